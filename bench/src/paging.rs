//! Listing's account-size axis (docs/SPEC.md §11): a page of 100 from an account of 10,000 sources against
//! one from an account of 100, in both index orders, through the local gateway; and the largest
//! response payload a page can make, against Lambda's 6 MB.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::{TestApp, next_link};
use serde::Serialize;

use crate::gateway::{GatewayBenchError, bulk_load, call, run_load, source_items};
use crate::stats::Summary;

/// Sources per page in the comparison.
pub const PAGE: usize = 100;
/// Sources of the small account: one page.
pub const SMALL_ACCOUNT: usize = 100;
/// The largest sources the rules allow, in the characters JSON escapes, for the largest page.
const HUGE_SOURCES: usize = 700;

const SMALL: &str = "paging-small";
const LARGE: &str = "paging-large";
const HUGE: &str = "paging-huge";

#[derive(Clone, Debug, Serialize)]
pub struct OrderPoint {
    pub sort: &'static str,
    pub small: Summary,
    pub large: Summary,
    /// p50 large / p50 small.
    pub ratio: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PagingResult {
    pub server: String,
    pub page: usize,
    pub small_sources: usize,
    pub large_sources: usize,
    /// Pages of the large account the requests rotated through (the whole walk, not its start).
    pub large_pages: usize,
    pub orders: Vec<OrderPoint>,
    /// The largest body any page answered, counted as Lambda carries it (a JSON string), with
    /// `HUGE_SOURCES` sources of 1,024-character values made of `"`.
    pub largest_page_payload_bytes: usize,
    pub lambda_limit_bytes: usize,
    pub load_seconds: f64,
}

fn small_item(n: usize) -> HashMap<String, AttributeValue> {
    pick(
        n,
        source_items(SMALL, 1_000_000 + n / 2, &format!("Small-{:05}", n / 2)),
    )
}

fn large_item(n: usize) -> HashMap<String, AttributeValue> {
    pick(
        n,
        source_items(LARGE, 2_000_000 + n / 2, &format!("Large-{:05}", n / 2)),
    )
}

fn huge_item(n: usize) -> HashMap<String, AttributeValue> {
    let [mut item, claim] = source_items(HUGE, 3_000_000 + n / 2, &format!("huge-{:05}", n / 2));
    if let Some(AttributeValue::M(credentials)) = item.get_mut("credentials") {
        let quotes = "\"".repeat(shared::domain::MAX_VALUE_CHARS);
        credentials.insert("access_key_id".into(), AttributeValue::S(quotes.clone()));
        credentials.insert("prefix".into(), AttributeValue::S(quotes));
    }
    pick(n, [item, claim])
}

/// Even items are sources, odd ones the name claim of the source before.
fn pick(
    n: usize,
    [item, claim]: [HashMap<String, AttributeValue>; 2],
) -> HashMap<String, AttributeValue> {
    if n % 2 == 1 { claim } else { item }
}

/// The body's size inside Lambda's response payload, where it is a JSON string.
fn payload_bytes(body: &str) -> usize {
    body.len() + body.bytes().filter(|b| matches!(b, b'"' | b'\\')).count()
}

/// Every page's path of a walk from `first`, and the largest page payload seen.
async fn walk(
    app: &TestApp,
    key: &str,
    first: &str,
) -> Result<(Vec<String>, usize), GatewayBenchError> {
    let mut paths = Vec::new();
    let mut largest = 0;
    let mut next = Some(first.to_owned());
    while let Some(path) = next.take() {
        let response = app.get(&path, key).await;
        if response.status != 200 {
            return Err(GatewayBenchError::Unexpected {
                endpoint: "paging walk",
                method: "GET".into(),
                path,
                status: response.status,
                body: response.text.chars().take(300).collect(),
            });
        }
        largest = largest.max(payload_bytes(&response.text));
        next = next_link(response.header("link"));
        paths.push(path);
    }
    Ok((paths, largest))
}

async fn pages(
    app: &TestApp,
    key: &str,
    paths: &[String],
    from: usize,
    count: usize,
) -> Result<Vec<std::time::Duration>, GatewayBenchError> {
    let calls = (from..from + count)
        .map(|n| {
            call(
                reqwest::Method::GET,
                paths[n % paths.len()].clone(),
                None,
                200,
            )
        })
        .collect();
    Ok(run_load(app, key, "paging LIST", calls, 1).await?.0)
}

/// Seeds the accounts in `app`'s table and measures: `requests` pages per account and order, in
/// alternating blocks.
pub async fn paging(
    app: &TestApp,
    server: String,
    large_sources: usize,
    requests: usize,
) -> Result<PagingResult, GatewayBenchError> {
    let started = Instant::now();
    bulk_load(app, 2 * SMALL_ACCOUNT, small_item).await?;
    bulk_load(app, 2 * large_sources, large_item).await?;
    bulk_load(app, 2 * HUGE_SOURCES, huge_item).await?;
    let load_seconds = started.elapsed().as_secs_f64();
    let small_key = app.db.api_key(SMALL).await;
    let large_key = app.db.api_key(LARGE).await;
    let huge_key = app.db.api_key(HUGE).await;

    let mut orders = Vec::new();
    let mut large_pages = 0;
    for sort in ["created_at", "name"] {
        let first = format!("/v1/sources?limit={PAGE}&sort={sort}");
        let (small_paths, _) = walk(app, &small_key, &first).await?;
        let (large_paths, _) = walk(app, &large_key, &first).await?;
        large_pages = large_paths.len();
        const BLOCK: usize = 50;
        let (mut small, mut large) = (Vec::new(), Vec::new());
        for block in 0..requests.div_ceil(BLOCK) {
            let from = block * BLOCK;
            let count = BLOCK.min(requests - from);
            // Which account goes first alternates, so drift falls on both alike.
            if block % 2 == 0 {
                small.extend(pages(app, &small_key, &small_paths, from, count).await?);
                large.extend(pages(app, &large_key, &large_paths, from, count).await?);
            } else {
                large.extend(pages(app, &large_key, &large_paths, from, count).await?);
                small.extend(pages(app, &small_key, &small_paths, from, count).await?);
            }
        }
        let none = || GatewayBenchError::BulkLoad("no samples".into());
        let small = Summary::of(&small).ok_or_else(none)?;
        let large = Summary::of(&large).ok_or_else(none)?;
        orders.push(OrderPoint {
            sort,
            ratio: large.p50_ms / small.p50_ms,
            small,
            large,
        });
    }

    let mut largest_page_payload_bytes = 0;
    for first in ["/v1/sources", "/v1/sources?source_type=s3"] {
        let (_, largest) = walk(app, &huge_key, first).await?;
        largest_page_payload_bytes = largest_page_payload_bytes.max(largest);
    }
    Ok(PagingResult {
        server,
        page: PAGE,
        small_sources: SMALL_ACCOUNT,
        large_sources,
        large_pages,
        orders,
        largest_page_payload_bytes,
        lambda_limit_bytes: image_sources::gateway::LAMBDA_MAX_RESPONSE_BYTES,
        load_seconds,
    })
}
