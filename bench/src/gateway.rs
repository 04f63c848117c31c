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
pub(crate) struct Call {
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
pub(crate) async fn run_load(
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
                    .header(shared::http::caller::API_KEY_HEADER, &key);
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

pub(crate) fn call(
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
    /// The table without foreign items, measured interleaved with the loaded one.
    pub empty: ScalePoint,
    pub loaded: ScalePoint,
    pub load_seconds: f64,
    /// Second table / first while both were empty: the noise floor of the ratios below.
    pub control_get_p50_ratio: f64,
    pub control_list_p50_ratio: f64,
    pub get_p50_ratio: f64,
    pub list_p50_ratio: f64,
}

/// One table of the scale comparison: its app, the account's key and its sources.
pub struct ScaleTable<'a> {
    pub app: &'a TestApp,
    key: String,
    ids: Vec<String>,
}

impl<'a> ScaleTable<'a> {
    /// Seeds an account with `sources` sources in `app`'s table.
    pub async fn seed(app: &'a TestApp, sources: usize) -> Result<Self, GatewayBenchError> {
        let key = app.db.api_key("scale").await;
        let ids = seed_sources(app, &key, "scale", sources).await?;
        Ok(Self { app, key, ids })
    }

    async fn gets(&self, from: usize, count: usize) -> Result<Vec<Duration>, GatewayBenchError> {
        let calls = (from..from + count)
            .map(|n| {
                let id = &self.ids[n % self.ids.len()];
                call(reqwest::Method::GET, format!("/v1/sources/{id}"), None, 200)
            })
            .collect();
        Ok(run_load(self.app, &self.key, "scale GET", calls, 1)
            .await?
            .0)
    }

    async fn lists(&self, count: usize) -> Result<Vec<Duration>, GatewayBenchError> {
        let calls = (0..count)
            .map(|_| call(reqwest::Method::GET, "/v1/sources".into(), None, 200))
            .collect();
        Ok(run_load(self.app, &self.key, "scale LIST", calls, 1)
            .await?
            .0)
    }
}

const BLOCK: usize = 50;

/// `requests` GETs and LISTs on each table, in alternating blocks (which table goes first
/// alternates too), so that drift in the machine's speed falls on both alike.
async fn interleaved(
    a: &ScaleTable<'_>,
    b: &ScaleTable<'_>,
    requests: usize,
    foreign_items: (usize, usize),
) -> Result<(ScalePoint, ScalePoint), GatewayBenchError> {
    let (mut a_get, mut a_list, mut b_get, mut b_list) = (vec![], vec![], vec![], vec![]);
    for block in 0..requests.div_ceil(BLOCK) {
        let from = block * BLOCK;
        let count = BLOCK.min(requests - from);
        let (first, second) = if block % 2 == 0 { (a, b) } else { (b, a) };
        for table in [first, second] {
            let (get, list) = if std::ptr::eq(table, a) {
                (&mut a_get, &mut a_list)
            } else {
                (&mut b_get, &mut b_list)
            };
            get.extend(table.gets(from, count).await?);
            list.extend(table.lists(count).await?);
        }
    }
    let point = |items, get: &[Duration], list: &[Duration]| {
        let none = || GatewayBenchError::BulkLoad("no samples".into());
        Ok::<_, GatewayBenchError>(ScalePoint {
            foreign_items: items,
            get: Summary::of(get).ok_or_else(none)?,
            list: Summary::of(list).ok_or_else(none)?,
        })
    };
    Ok((
        point(foreign_items.0, &a_get, &a_list)?,
        point(foreign_items.1, &b_get, &b_list)?,
    ))
}

/// Two tables on the same server, each with an account of `account_sources` sources. Measured
/// side by side while both hold nothing else (the control: how far apart two identical tables
/// measure), then again once the second holds `foreign_items` items of other accounts (half
/// sources, half their name claims, as the API writes them).
pub async fn scale(
    empty: &ScaleTable<'_>,
    loaded: &ScaleTable<'_>,
    server: String,
    foreign_items: usize,
    requests: usize,
) -> Result<ScaleResult, GatewayBenchError> {
    let (control_a, control_b) = interleaved(empty, loaded, requests, (0, 0)).await?;
    let started = Instant::now();
    bulk_load_foreign(loaded.app, foreign_items).await?;
    let load_seconds = started.elapsed().as_secs_f64();
    eprintln!("  scale: {foreign_items} foreign items loaded in {load_seconds:.1} s");
    let (empty_point, loaded_point) =
        interleaved(empty, loaded, requests, (0, foreign_items)).await?;
    Ok(ScaleResult {
        server,
        account_sources: empty.ids.len(),
        control_get_p50_ratio: control_b.get.p50_ms / control_a.get.p50_ms,
        control_list_p50_ratio: control_b.list.p50_ms / control_a.list.p50_ms,
        get_p50_ratio: loaded_point.get.p50_ms / empty_point.get.p50_ms,
        list_p50_ratio: loaded_point.list.p50_ms / empty_point.list.p50_ms,
        empty: empty_point,
        loaded: loaded_point,
        load_seconds,
    })
}

const SOURCES_PER_FOREIGN_ACCOUNT: usize = 100;

/// Item `n` of the foreign load: even ones are sources, odd ones the name claim of the one before.
fn foreign_item(n: usize) -> HashMap<String, AttributeValue> {
    let source = n / 2;
    let account = format!("foreign-{}", source / SOURCES_PER_FOREIGN_ACCOUNT);
    let [item, claim] = source_items(&account, source, &format!("{account}-images-{source}"));
    if n % 2 == 1 { claim } else { item }
}

/// A source of `account` named `name` and its name claim, as the API stores them (its id made
/// from `n`, so that ids stay unique across a load).
pub(crate) fn source_items(
    account: &str,
    n: usize,
    name: &str,
) -> [HashMap<String, AttributeValue>; 2] {
    let s = |v: String| AttributeValue::S(v);
    let id = format!("{:08x}{:016x}", 0x6900_0000 + n, n);
    let claim = HashMap::from([
        ("PK".into(), s(format!("NAME#{}", name.to_lowercase()))),
        ("SK".into(), s("NAME".into())),
        ("account_id".into(), s(account.to_owned())),
        ("source_id".into(), s(id.clone())),
    ]);
    let credentials = HashMap::from([
        ("bucket".to_owned(), s(format!("bucket-{n}"))),
        ("region".to_owned(), s("us-east-1".into())),
        ("access_key_id".to_owned(), s("AKIAFOREIGN000000000".into())),
        (
            "secret_access_key".to_owned(),
            s("foreign-secret-0000000000000000000000000".into()),
        ),
    ]);
    let item = HashMap::from([
        ("PK".into(), s(format!("ACCOUNT#{account}"))),
        ("SK".into(), s(format!("SOURCE#{id}"))),
        ("id".into(), s(id)),
        ("account_id".into(), s(account.to_owned())),
        ("source".into(), s(name.to_owned())),
        (
            shared::store::table::NAME_INDEX_KEY.into(),
            s(name.to_lowercase()),
        ),
        ("source_type".into(), s("s3".into())),
        ("enabled".into(), AttributeValue::Bool(true)),
        ("credentials".into(), AttributeValue::M(credentials)),
        ("require_token".into(), AttributeValue::Bool(false)),
        ("secret_token".into(), s(format!("{n:064x}"))),
        ("created_at".into(), s("2026-11-23T00:00:00Z".into())),
        ("updated_at".into(), s("2026-11-23T00:00:00Z".into())),
        ("version".into(), AttributeValue::N("1".into())),
    ]);
    [item, claim]
}

/// Writes the foreign items with BatchWriteItem, 25 at a time, a few batches in flight.
async fn bulk_load_foreign(app: &TestApp, items: usize) -> Result<(), GatewayBenchError> {
    bulk_load(app, items, foreign_item).await
}

/// Writes items `0..items` made by `item` with BatchWriteItem, 25 at a time, a few batches in
/// flight.
pub(crate) async fn bulk_load(
    app: &TestApp,
    items: usize,
    item: fn(usize) -> HashMap<String, AttributeValue>,
) -> Result<(), GatewayBenchError> {
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
                            .set_item(Some(item(n)))
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
