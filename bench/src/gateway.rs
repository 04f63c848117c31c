//! Warm latency through the local gateway (the same endpoint code, authorizer included, on the
//! embedded DynamoDB), and how GET and LIST hold up when the table fills with other accounts.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use integration_tests::TestApp;
use serde::Serialize;
use serde_json::json;
use tokio::task::JoinSet;

use crate::stats::Summary;
use crate::workload::{WorkloadError, seed_sources, source_body};

#[derive(Debug, thiserror::Error)]
pub enum GatewayBenchError {
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    #[error("{endpoint}: {method} {path} answered {status}: {body}")]
    Unexpected {
        endpoint: &'static str,
        method: String,
        path: String,
        status: u16,
        body: String,
    },
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("bulk load: {0}")]
    BulkLoad(String),
    #[error("a worker task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// One request of a load: method, path, body, and the status it must get.
#[derive(Clone, Debug)]
struct Call {
    method: reqwest::Method,
    path: String,
    body: Option<serde_json::Value>,
    expect: u16,
}

#[derive(Clone, Debug, Serialize)]
pub struct LatencyResult {
    pub endpoint: &'static str,
    pub concurrency: usize,
    pub latency: Summary,
    pub requests_per_second: f64,
}

/// Sends `calls` split over `concurrency` workers, each in order; every answer must be as expected.
async fn run_load(
    app: &TestApp,
    key: &str,
    endpoint: &'static str,
    calls: Vec<Call>,
    concurrency: usize,
) -> Result<(Vec<Duration>, Duration), GatewayBenchError> {
    let mut shares: Vec<Vec<Call>> = vec![Vec::new(); concurrency];
    for (n, call) in calls.into_iter().enumerate() {
        shares[n % concurrency].push(call);
    }
    let started = Instant::now();
    let mut workers = JoinSet::new();
    for share in shares {
        let (http, base, key) = (app.http.clone(), app.base_url.clone(), key.to_owned());
        workers.spawn(async move {
            let mut latencies = Vec::with_capacity(share.len());
            for call in share {
                let mut request = http
                    .request(call.method.clone(), format!("{base}{}", call.path))
                    .header(shared::authorizer::API_KEY_HEADER, &key);
                if let Some(body) = &call.body {
                    request = request
                        .header("content-type", "application/json")
                        .body(body.to_string());
                }
                let sent = Instant::now();
                let response = request.send().await?;
                let status = response.status().as_u16();
                let body = response.text().await?;
                latencies.push(sent.elapsed());
                if status != call.expect {
                    return Err(GatewayBenchError::Unexpected {
                        endpoint,
                        method: call.method.to_string(),
                        path: call.path,
                        status,
                        body: body.chars().take(300).collect(),
                    });
                }
            }
            Ok(latencies)
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = workers.join_next().await {
        latencies.extend(done??);
    }
    Ok((latencies, started.elapsed()))
}

fn call(
    method: reqwest::Method,
    path: String,
    body: Option<serde_json::Value>,
    expect: u16,
) -> Call {
    Call {
        method,
        path,
        body,
        expect,
    }
}

/// Per endpoint and concurrency level, `requests` requests; each endpoint has an account of its own
/// so that one load does not change what the next one reads.
pub async fn latency(
    app: &TestApp,
    concurrency_levels: &[usize],
    requests: usize,
) -> Result<Vec<LatencyResult>, GatewayBenchError> {
    use reqwest::Method;
    let mut results = Vec::new();
    for (level, &concurrency) in concurrency_levels.iter().enumerate() {
        let tag = format!("c{concurrency}-{level}");
        let read_key = app.db.api_key(&format!("latency-read-{tag}")).await;
        let read_ids = seed_sources(app, &read_key, &format!("{tag}-read"), 20).await?;
        let write_key = app.db.api_key(&format!("latency-write-{tag}")).await;
        let patch_ids = seed_sources(app, &write_key, &format!("{tag}-patch"), concurrency).await?;
        let delete_ids = seed_sources(app, &write_key, &format!("{tag}-delete"), requests).await?;

        let loads: Vec<(&'static str, &str, Vec<Call>)> = vec![
            (
                "GET /v1/sources/{id}",
                &read_key,
                (0..requests)
                    .map(|n| {
                        let id = &read_ids[n % read_ids.len()];
                        call(Method::GET, format!("/v1/sources/{id}"), None, 200)
                    })
                    .collect(),
            ),
            (
                "GET /v1/sources",
                &read_key,
                (0..requests)
                    .map(|_| call(Method::GET, "/v1/sources".into(), None, 200))
                    .collect(),
            ),
            (
                "POST /v1/sources",
                &write_key,
                (0..requests)
                    .map(|n| {
                        let body = source_body(&format!("{tag}-created-{n}"));
                        call(Method::POST, "/v1/sources".into(), Some(body), 201)
                    })
                    .collect(),
            ),
            (
                // Each worker patches a source of its own: this measures latency, not contention.
                "PATCH /v1/sources/{id}",
                &write_key,
                (0..requests)
                    .map(|n| {
                        let id = &patch_ids[n % concurrency];
                        let flag = if (n / concurrency) % 2 == 0 { "true" } else { "false" };
                        let body = json!({ "source": { "credential_attributes": { "require_token": flag } } });
                        call(Method::PATCH, format!("/v1/sources/{id}"), Some(body), 200)
                    })
                    .collect(),
            ),
            (
                "DELETE /v1/sources/{id}",
                &write_key,
                delete_ids
                    .iter()
                    .map(|id| call(Method::DELETE, format!("/v1/sources/{id}"), None, 200))
                    .collect(),
            ),
        ];
        for (endpoint, key, calls) in loads {
            let (latencies, elapsed) = run_load(app, key, endpoint, calls, concurrency).await?;
            let count = latencies.len();
            if let Some(latency) = Summary::of(&latencies) {
                results.push(LatencyResult {
                    endpoint,
                    concurrency,
                    latency,
                    requests_per_second: count as f64 / elapsed.as_secs_f64(),
                });
            }
            eprintln!("  latency: {endpoint} at concurrency {concurrency} done");
        }
    }
    Ok(results)
}

#[derive(Clone, Debug, Serialize)]
pub struct ScalePoint {
    pub foreign_items: usize,
    pub get: Summary,
    pub list: Summary,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScaleResult {
    /// The DynamoDB-compatible server the table lived on.
    pub server: String,
    pub account_sources: usize,
    pub empty: ScalePoint,
    pub loaded: ScalePoint,
    pub load_seconds: f64,
    pub get_p50_ratio: f64,
    pub list_p50_ratio: f64,
}

async fn scale_point(
    app: &TestApp,
    key: &str,
    ids: &[String],
    requests: usize,
    foreign_items: usize,
) -> Result<ScalePoint, GatewayBenchError> {
    use reqwest::Method;
    let gets = (0..requests)
        .map(|n| {
            let id = &ids[n % ids.len()];
            call(Method::GET, format!("/v1/sources/{id}"), None, 200)
        })
        .collect();
    let lists = (0..requests)
        .map(|_| call(Method::GET, "/v1/sources".into(), None, 200))
        .collect();
    let (get, _) = run_load(app, key, "scale GET", gets, 1).await?;
    let (list, _) = run_load(app, key, "scale LIST", lists, 1).await?;
    let none = || GatewayBenchError::BulkLoad("no samples".into());
    Ok(ScalePoint {
        foreign_items,
        get: Summary::of(&get).ok_or_else(none)?,
        list: Summary::of(&list).ok_or_else(none)?,
    })
}

/// An account with `account_sources` sources, measured on an otherwise empty table and again once
/// the table holds `foreign_items` items of other accounts (half sources, half their name claims,
/// as the API writes them).
pub async fn scale(
    app: &TestApp,
    server: String,
    account_sources: usize,
    foreign_items: usize,
    requests: usize,
) -> Result<ScaleResult, GatewayBenchError> {
    let key = app.db.api_key("scale").await;
    let ids = seed_sources(app, &key, "scale", account_sources).await?;
    let empty = scale_point(app, &key, &ids, requests, 0).await?;
    let started = Instant::now();
    bulk_load_foreign(app, foreign_items).await?;
    let load_seconds = started.elapsed().as_secs_f64();
    eprintln!("  scale: {foreign_items} foreign items loaded in {load_seconds:.1} s");
    let loaded = scale_point(app, &key, &ids, requests, foreign_items).await?;
    Ok(ScaleResult {
        server,
        account_sources,
        get_p50_ratio: loaded.get.p50_ms / empty.get.p50_ms,
        list_p50_ratio: loaded.list.p50_ms / empty.list.p50_ms,
        empty,
        loaded,
        load_seconds,
    })
}

const SOURCES_PER_FOREIGN_ACCOUNT: usize = 100;

/// Item `n` of the foreign load: even ones are sources, odd ones the name claim of the one before.
fn foreign_item(n: usize) -> HashMap<String, AttributeValue> {
    let s = |v: String| AttributeValue::S(v);
    let source = n / 2;
    let account = format!("foreign-{}", source / SOURCES_PER_FOREIGN_ACCOUNT);
    let id = format!("{:08x}{:016x}", 0x6900_0000 + source, source);
    let name = format!("{account}-images-{source}");
    if n % 2 == 1 {
        return HashMap::from([
            ("PK".into(), s(format!("NAME#{name}"))),
            ("SK".into(), s("NAME".into())),
            ("account_id".into(), s(account)),
            ("source_id".into(), s(id)),
        ]);
    }
    let credentials = HashMap::from([
        ("bucket".to_owned(), s(format!("bucket-{source}"))),
        ("region".to_owned(), s("us-east-1".into())),
        ("access_key_id".to_owned(), s("AKIAFOREIGN000000000".into())),
        (
            "secret_access_key".to_owned(),
            s("foreign-secret-0000000000000000000000000".into()),
        ),
    ]);
    HashMap::from([
        ("PK".into(), s(format!("ACCOUNT#{account}"))),
        ("SK".into(), s(format!("SOURCE#{id}"))),
        ("id".into(), s(id)),
        ("account_id".into(), s(account)),
        ("source".into(), s(name)),
        ("source_type".into(), s("s3".into())),
        ("credentials".into(), AttributeValue::M(credentials)),
        ("require_token".into(), AttributeValue::Bool(false)),
        ("secret_token".into(), s(format!("{source:064x}"))),
        ("created_at".into(), s("2026-11-23T00:00:00Z".into())),
        ("updated_at".into(), s("2026-11-23T00:00:00Z".into())),
        ("version".into(), AttributeValue::N("1".into())),
    ])
}

/// Writes the foreign items with BatchWriteItem, 25 at a time, a few batches in flight.
async fn bulk_load_foreign(app: &TestApp, items: usize) -> Result<(), GatewayBenchError> {
    const BATCH: usize = 25;
    const IN_FLIGHT: usize = 4;
    let batches: Vec<std::ops::Range<usize>> = (0..items)
        .step_by(BATCH)
        .map(|start| start..(start + BATCH).min(items))
        .collect();
    let mut writers = JoinSet::new();
    for worker in 0..IN_FLIGHT {
        let client = app.db.inspector.clone();
        let table = app.db.table.clone();
        let mine: Vec<_> = batches
            .iter()
            .skip(worker)
            .step_by(IN_FLIGHT)
            .cloned()
            .collect();
        writers.spawn(async move {
            for range in mine {
                let mut requests = range
                    .map(|n| {
                        PutRequest::builder()
                            .set_item(Some(foreign_item(n)))
                            .build()
                            .map(|put| WriteRequest::builder().put_request(put).build())
                            .map_err(|e| e.to_string())
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                // DynamoDB may leave part of a batch unprocessed; resend it until none is left.
                while !requests.is_empty() {
                    let written = client
                        .batch_write_item()
                        .request_items(&table, requests)
                        .send()
                        .await
                        .map_err(|e| format!("{e:?}"))?;
                    requests = written
                        .unprocessed_items
                        .and_then(|mut left| left.remove(&table))
                        .unwrap_or_default();
                }
            }
            Ok::<_, String>(())
        });
    }
    while let Some(done) = writers.join_next().await {
        done?.map_err(GatewayBenchError::BulkLoad)?;
    }
    Ok(())
}
