//! The bill (issue 17): DynamoDB capacity per call, measured with `ReturnConsumedCapacity` on a
//! server that reports it (DynamoDB Local), and the price per million calls of each endpoint at
//! AWS list prices: Lambda arm64 at the measured warm duration and 128 MB, API Gateway REST,
//! DynamoDB on-demand, KMS requests. The prices and their date are here, in one place.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsInput, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;
use serde_json::{Value, json};
use shared::functions::dispatch;
use shared::http::Endpoint;
use shared::store::{ClientSettings, Store, local_config, table};

use crate::lambda::WarmResult;

/// AWS list prices, us-east-1, on the date below (https://aws.amazon.com/lambda/pricing/,
/// https://aws.amazon.com/api-gateway/pricing/, https://aws.amazon.com/dynamodb/pricing/on-demand/).
#[derive(Clone, Debug, Serialize)]
pub struct Prices {
    pub as_of: &'static str,
    pub region: &'static str,
    /// Lambda on arm64 (Graviton), first tier.
    pub lambda_arm64_usd_per_gb_second: f64,
    pub lambda_usd_per_million_requests: f64,
    pub memory_mb: f64,
    /// REST APIs, the first 333 million requests a month.
    pub api_gateway_rest_usd_per_million: f64,
    /// On-demand, since the price cut of 2024-11-01.
    pub dynamodb_usd_per_million_read_units: f64,
    pub dynamodb_usd_per_million_write_units: f64,
    /// KMS symmetric-key requests (GenerateDataKey, Decrypt), beyond the free tier
    /// (https://aws.amazon.com/kms/pricing/): the sealed secrets of docs/SPEC.md §21.
    pub kms_usd_per_10k_requests: f64,
}

pub const PRICES: Prices = Prices {
    as_of: "2026-12-01",
    region: "us-east-1",
    lambda_arm64_usd_per_gb_second: 0.000_013_333_4,
    lambda_usd_per_million_requests: 0.20,
    memory_mb: 128.0,
    api_gateway_rest_usd_per_million: 3.50,
    dynamodb_usd_per_million_read_units: 0.125,
    dynamodb_usd_per_million_write_units: 0.625,
    kms_usd_per_10k_requests: 0.03,
};

/// Asks every request for its consumed capacity (table and indexes) and adds it up, reads and
/// writes apart.
#[derive(Clone, Debug, Default)]
pub struct CapacityMeter(Arc<Mutex<Units>>);

#[derive(Clone, Debug, Default, Serialize)]
pub struct Units {
    pub read: f64,
    pub write: f64,
    /// Capacity units per operation name.
    pub by_operation: BTreeMap<String, f64>,
}

impl CapacityMeter {
    pub fn take(&self) -> Units {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn add(&self, operation: &str, write: bool, capacity: &[&ConsumedCapacity]) {
        let units: f64 = capacity.iter().filter_map(|c| c.capacity_units()).sum();
        let mut total = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if write {
            total.write += units;
        } else {
            total.read += units;
        }
        *total.by_operation.entry(operation.to_owned()).or_default() += units;
    }
}

impl Intercept for CapacityMeter {
    fn name(&self) -> &'static str {
        "CapacityMeter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        // INDEXES, whose total counts the table and every index: DynamoDB Local's TOTAL leaves
        // the local secondary indexes' writes out unless the write also touches a global index
        // (a create measured 12 units before the due index existed and 24 after, for 20 and 24
        // by INDEXES: the real difference is the due index's entry).
        let total = Some(ReturnConsumedCapacity::Indexes);
        if let Some(i) = input.downcast_mut::<GetItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<QueryInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<UpdateItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<TransactWriteItemsInput>() {
            i.return_consumed_capacity = total;
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Ok(output)) = context.output_or_error() else {
            return Ok(());
        };
        if let Some(o) = output.downcast_ref::<GetItemOutput>() {
            self.add(
                "GetItem",
                false,
                &o.consumed_capacity().into_iter().collect::<Vec<_>>(),
            );
        } else if let Some(o) = output.downcast_ref::<QueryOutput>() {
            self.add(
                "Query",
                false,
                &o.consumed_capacity().into_iter().collect::<Vec<_>>(),
            );
        } else if let Some(o) = output.downcast_ref::<UpdateItemOutput>() {
            self.add(
                "UpdateItem",
                true,
                &o.consumed_capacity().into_iter().collect::<Vec<_>>(),
            );
        } else if let Some(o) = output.downcast_ref::<TransactWriteItemsOutput>() {
            self.add(
                "TransactWriteItems",
                true,
                &o.consumed_capacity().iter().collect::<Vec<_>>(),
            );
        }
        Ok(())
    }
}

/// Capacity of one typical call of each function.
#[derive(Clone, Debug, Serialize)]
pub struct CapacityResult {
    pub function: String,
    /// What the call did, for the table.
    pub call: String,
    pub calls: usize,
    pub read_units_per_call: f64,
    pub write_units_per_call: f64,
    pub by_operation: BTreeMap<String, f64>,
    /// Requests to the key service (KMS in AWS), counted by the keys the calls sealed and
    /// opened with.
    pub kms_requests_per_call: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum CostError {
    #[error("the table could not be made at {0}: {1}")]
    Table(String, String),
    #[error("{function}: {status} where a success was expected")]
    Call { function: String, status: u16 },
    #[error("{0} reports no consumed capacity")]
    NotReported(String),
}

const CALLS: usize = 5;

/// One measured call of an endpoint: [`CALLS`] requests, the n-th to the source `source(n)`
/// made beforehand (an index into the 20 the measure creates first) with `body(n)`; `prepare`, a
/// request made before and not measured.
struct Measured {
    endpoint: Endpoint,
    call: &'static str,
    expected: u16,
    source: fn(usize) -> Option<usize>,
    body: fn(usize) -> Option<Value>,
    prepare: Option<fn() -> (usize, Value)>,
    /// Through the imgix dialect (docs/SPEC.md §24): the same function, the imgix API's event.
    imgix: bool,
}

fn no_source(_: usize) -> Option<usize> {
    None
}

fn no_body(_: usize) -> Option<Value> {
    None
}

/// Every endpoint's typical calls, in the order the report shows them (the authorizer and the
/// health checks, which are not requests to an endpoint, follow).
const MEASURED: [Measured; 18] = [
    Measured {
        endpoint: Endpoint::GetSource,
        call: "one source",
        expected: 200,
        source: |_| Some(0),
        body: no_body,
        prepare: None,
        imgix: false,
    },
    Measured {
        endpoint: Endpoint::ListSources,
        call: "a page of 20 sources",
        expected: 200,
        source: no_source,
        body: no_body,
        prepare: None,
        imgix: false,
    },
    Measured {
        endpoint: Endpoint::CreateSource,
        call: "a source, its name claim and its event",
        expected: 201,
        source: no_source,
        body: |n| Some(cost_source(100 + n)),
        prepare: None,
        imgix: false,
    },
    // docs/SPEC.md §23: each custom domain is a claim item in the create's transaction.
    Measured {
        endpoint: Endpoint::CreateSource,
        call: "the same with 2 custom domains",
        expected: 201,
        source: no_source,
        body: |n| {
            let mut body = cost_source(200 + n);
            body["source"]["delivery"] = json!({"custom_domains":
                [format!("c{n}-a.example.com"), format!("c{n}-b.example.com")]});
            Some(body)
        },
        prepare: None,
        imgix: false,
    },
    // docs/SPEC.md §25: a subdomain is a claim item too.
    Measured {
        endpoint: Endpoint::CreateSource,
        call: "the same with 2 subdomains",
        expected: 201,
        source: no_source,
        body: |n| {
            let mut body = cost_source(300 + n);
            body["source"]["delivery"] =
                json!({"subdomains": [format!("s{n}-a"), format!("s{n}-b")]});
            Some(body)
        },
        prepare: None,
        imgix: false,
    },
    Measured {
        endpoint: Endpoint::UpdateSource,
        call: "one credential changed",
        expected: 200,
        source: |_| Some(1),
        body: |n| {
            let flag = if n % 2 == 0 { "true" } else { "false" };
            Some(json!({"source": {"credential_attributes": {"require_token": flag}}}))
        },
        prepare: None,
        imgix: false,
    },
    // Two domains claimed and two released in the PATCH's transaction (the first two set
    // before, outside the measure).
    Measured {
        endpoint: Endpoint::UpdateSource,
        call: "2 custom domains replaced by 2 others",
        expected: 200,
        source: |_| Some(15),
        body: |n| {
            Some(json!({"source": {"delivery": {"custom_domains":
                [format!("u{n}-a.example.com"), format!("u{n}-b.example.com")]}}}))
        },
        imgix: false,
        prepare: Some(|| {
            (
                15,
                json!({"source": {"delivery": {"custom_domains": ["u-a.example.com", "u-b.example.com"]}}}),
            )
        }),
    },
    // The worst PATCH: a rename, 25 custom domains and 10 subdomains replaced by others, one
    // transaction of 74 items (the first set made before, outside the measure).
    Measured {
        endpoint: Endpoint::UpdateSource,
        call: "the worst: a rename, 25 domains and 10 subdomains replaced (74 items)",
        expected: 200,
        source: |_| Some(16),
        body: |n| {
            let domains: Vec<String> = (0..25).map(|d| format!("w{n}-{d}.example.com")).collect();
            let labels: Vec<String> = (0..10).map(|d| format!("w{n}-{d}")).collect();
            Some(json!({"source": {"source": format!("worst-{n}"),
                "delivery": {"custom_domains": domains, "subdomains": labels}}}))
        },
        imgix: false,
        prepare: Some(|| {
            let domains: Vec<String> = (0..25).map(|d| format!("w-{d}.example.com")).collect();
            let labels: Vec<String> = (0..10).map(|d| format!("w-{d}")).collect();
            (
                16,
                json!({"source": {"delivery": {"custom_domains": domains, "subdomains": labels}}}),
            )
        }),
    },
    Measured {
        endpoint: Endpoint::RotateSecretToken,
        call: "a new signing token",
        expected: 200,
        source: |_| Some(2),
        body: |_| Some(json!({"grace_period": 60})),
        prepare: None,
        imgix: false,
    },
    Measured {
        endpoint: Endpoint::ListSourceEvents,
        call: "a page of a source's events",
        expected: 200,
        source: |_| Some(1),
        body: no_body,
        prepare: None,
        imgix: false,
    },
    Measured {
        endpoint: Endpoint::VerifySource,
        call: "the source and the rate counter (the storage's calls are not DynamoDB's)",
        expected: 200,
        source: |n| Some(3 + n),
        body: no_body,
        prepare: None,
        imgix: false,
    },
    // docs/SPEC.md §26: the account's keys, and a key made (its two items, the ledger, its
    // event, after the Query that counts the account's keys).
    Measured {
        endpoint: Endpoint::ListApiKeys,
        call: "the account's keys",
        expected: 200,
        source: no_source,
        body: no_body,
        prepare: None,
        imgix: false,
    },
    Measured {
        endpoint: Endpoint::CreateApiKey,
        call: "a key: its two items, the ledger and its event",
        expected: 201,
        source: no_source,
        body: |n| Some(json!({"label": format!("cost {n}"), "scope": "read"})),
        prepare: None,
        imgix: false,
    },
    // docs/SPEC.md §24: the same calls through the imgix dialect. Its list reads the whole
    // account (here 20 sources and the ones made above) to count, filter and sort it.
    Measured {
        endpoint: Endpoint::GetSource,
        call: "one source, as imgix's document",
        expected: 200,
        source: |_| Some(0),
        body: no_body,
        prepare: None,
        imgix: true,
    },
    Measured {
        endpoint: Endpoint::ListSources,
        call: "a page of 20, the whole account read (imgix's offset paging)",
        expected: 200,
        source: no_source,
        body: no_body,
        prepare: None,
        imgix: true,
    },
    Measured {
        endpoint: Endpoint::CreateSource,
        call: "a web folder with one subdomain (imgix requires one)",
        expected: 201,
        source: no_source,
        body: |n| {
            Some(crate::workload::imgix_create_body(&format!(
                "imgix-cost-{n}"
            )))
        },
        prepare: None,
        imgix: true,
    },
    Measured {
        endpoint: Endpoint::UpdateSource,
        call: "cache_ttl_value changed (deployment merged)",
        expected: 200,
        source: |_| Some(4),
        body: |n| {
            Some(json!({"data": {"type": "sources", "attributes":
            {"deployment": {"cache_ttl_value": 3600 + n}}}}))
        },
        prepare: None,
        imgix: true,
    },
    Measured {
        endpoint: Endpoint::DeleteSource,
        call: "a source, its name claim, and its event",
        expected: 200,
        source: |n| Some(10 + n),
        body: no_body,
        prepare: None,
        imgix: false,
    },
];

/// The n-th source the measure creates.
fn cost_source(n: usize) -> Value {
    crate::workload::source_body(&format!("cost-{n}"))
}

/// One typical call of every function, [`CALLS`] times each, against `endpoint`, which must
/// report consumed capacity: a page of 20 sources, one source of ~0.5 KB, a change to it, and so on.
pub async fn capacity(endpoint: &str) -> Result<Vec<CapacityResult>, CostError> {
    let meter = CapacityMeter::default();
    let table_name = format!("cost-{}", uuid::Uuid::new_v4().simple());
    let client = Client::from_conf(
        local_config(endpoint, ClientSettings::default())
            .interceptor(meter.clone())
            .build(),
    );
    table::ensure_table(&client, &table_name)
        .await
        .map_err(|e| CostError::Table(endpoint.to_owned(), format!("{e}")))?;
    let store = Store::new(client, table_name);
    // Verifications resolve nothing and reach loopback only: their DynamoDB part is the figure.
    let verifier = integration_tests::storage::TestNetwork::start()
        .await
        .verifier(false, &[]);
    let keys = std::sync::Arc::new(integration_tests::test_keys().await);
    let state = shared::AppState::new(store.clone())
        .with_keys(keys.clone())
        .with_verifier(verifier);
    let run_in = |endpoint: Endpoint,
                  id: Option<String>,
                  mut body: Option<serde_json::Value>,
                  imgix: bool| {
        let state = state.clone();
        async move {
            // An update's document names the source it changes (JSON:API).
            if let (true, Some(id), Some(body)) = (imgix, &id, body.as_mut()) {
                body["data"]["id"] = Value::from(id.as_str());
            }
            let mut request = integration_tests::lambda_request(
                endpoint,
                id.as_deref(),
                body.map(|b| b.to_string().into_bytes()),
            );
            if imgix {
                use lambda_http::RequestExt;
                request = request.with_stage_variables(std::collections::HashMap::from([(
                    shared::http::dialect::DIALECT_STAGE_VARIABLE.to_owned(),
                    shared::http::dialect::IMGIX_DIALECT.to_owned(),
                )]));
            }
            let response = dispatch(&state, endpoint, request).await;
            let status = response.status().as_u16();
            let body: serde_json::Value = match response.body() {
                lambda_http::Body::Text(text) => serde_json::from_str(text).unwrap_or_default(),
                _ => serde_json::Value::Null,
            };
            (status, body)
        }
    };
    let run = |endpoint: Endpoint, id: Option<String>, body: Option<serde_json::Value>| {
        run_in(endpoint, id, body, false)
    };
    let mut ids = Vec::new();
    for n in 0..20 {
        let (status, body) = run(Endpoint::CreateSource, None, Some(cost_source(n))).await;
        if status != 201 {
            return Err(CostError::Call {
                function: "create-source".into(),
                status,
            });
        }
        ids.push(body["id"].as_str().unwrap_or_default().to_owned());
    }
    meter.take();
    if ids.is_empty() {
        return Err(CostError::NotReported(endpoint.to_owned()));
    }
    let key = shared::domain::ApiKey::generate();
    let account = shared::domain::AccountId::parse("acme").map_err(|_| CostError::Call {
        function: "authorizer".into(),
        status: 0,
    })?;
    store
        .create_api_key(
            &account,
            &key.hash(),
            &shared::store::KeyGrant {
                scope: shared::domain::KeyScope::Admin,
                ..shared::store::KeyGrant::default()
            },
            &shared::domain::Actor::operator(),
        )
        .await
        .map_err(|e| CostError::Table(endpoint.to_owned(), format!("{e}")))?;
    meter.take();

    let mut results = Vec::new();
    let mut kms_mark = keys.requests();
    let mut measure = |function: &str, call: &str, expected: u16, outcomes: Vec<u16>| {
        let units = meter.take();
        let kms_requests = keys.requests() - kms_mark;
        kms_mark = keys.requests();
        if let Some(status) = outcomes.iter().find(|s| **s != expected) {
            return Err(CostError::Call {
                function: function.to_owned(),
                status: *status,
            });
        }
        let n = outcomes.len() as f64;
        results.push(CapacityResult {
            function: function.to_owned(),
            call: call.to_owned(),
            calls: outcomes.len(),
            read_units_per_call: units.read / n,
            write_units_per_call: units.write / n,
            by_operation: units
                .by_operation
                .into_iter()
                .map(|(op, u)| (op, u / n))
                .collect(),
            kms_requests_per_call: kms_requests as f64 / n,
        });
        Ok(())
    };
    for case in &MEASURED {
        if let Some(prepare) = case.prepare {
            let (source, body) = prepare();
            run(case.endpoint, Some(ids[source].clone()), Some(body)).await;
            meter.take();
        }
        let mut outcomes = Vec::new();
        for n in 0..CALLS {
            let id = (case.source)(n).map(|i| ids[i].clone());
            outcomes.push(
                run_in(case.endpoint, id, (case.body)(n), case.imgix)
                    .await
                    .0,
            );
        }
        let function = if case.imgix {
            format!("{} (imgix)", case.endpoint.function_name())
        } else {
            case.endpoint.function_name().to_owned()
        };
        measure(&function, case.call, case.expected, outcomes)?;
    }
    // A key's revocation: the keys the create row made, one each.
    let made: Vec<String> = store
        .list_api_keys(&account)
        .await
        .map_err(|e| CostError::Table(endpoint.to_owned(), format!("{e}")))?
        .into_iter()
        .filter(|k| k.label.starts_with("cost "))
        .map(|k| k.hash.key_id().to_owned())
        .collect();
    meter.take();
    let mut outcomes = Vec::new();
    for id in made.into_iter().take(CALLS) {
        outcomes.push(run(Endpoint::RevokeApiKey, Some(id), None).await.0);
    }
    measure(
        Endpoint::RevokeApiKey.function_name(),
        "a key: its two items, the ledger and its event",
        204,
        std::mem::take(&mut outcomes),
    )?;
    // The authorizer: a key's first use of a day notes the day on it (docs/SPEC.md §26); its
    // other uses that day read it only.
    let use_key = || async {
        let ok = shared::http::caller::caller_for_key(&store, Some(key.reveal()))
            .await
            .is_ok();
        if ok { 200 } else { 401 }
    };
    let first = use_key().await;
    measure(
        "authorizer",
        "a key's first use of the day (the day noted on its two items)",
        200,
        vec![first],
    )?;
    for _ in 0..CALLS {
        outcomes.push(use_key().await);
    }
    measure(
        "authorizer",
        "a key's other uses that day (API Gateway caches the answer 60 s)",
        200,
        std::mem::take(&mut outcomes),
    )?;
    // docs/SPEC.md §22: the health checks. Every source made above is due at once; the
    // verifier reaches nothing, so every check fails: the first run records each source's change
    // (a health_changed event), a run 15 minutes later finds each as it was. An idle run (nothing
    // due) is the due index's 16 shard Queries, which every run pays.
    meter.take();
    let kms_before = keys.requests();
    let now = shared::domain::Timestamp::now();
    let sweep_at = |at: shared::domain::Timestamp| {
        let state = state.clone();
        async move {
            shared::functions::check_sources::sweep(&state, at, "cost")
                .await
                .map_err(|e| CostError::Table(endpoint.to_owned(), format!("{e}")))
        }
    };
    let changed = sweep_at(now).await?;
    let (changed_units, changed_kms) = (meter.take(), keys.requests() - kms_before);
    let idle = sweep_at(now).await?;
    let idle_units = meter.take();
    let kms_before = keys.requests();
    let later = now.plus_seconds(15 * 60).unwrap_or(now);
    let unchanged = sweep_at(later).await?;
    let (unchanged_units, unchanged_kms) = (meter.take(), keys.requests() - kms_before);
    if idle.checks() != 0 || changed.changed == 0 || unchanged.changed != 0 {
        return Err(CostError::Call {
            function: shared::catalog::CHECK_SOURCES.name.into(),
            status: 0,
        });
    }
    let per_check = |units: &Units, checks: usize, kms: u64, call: &str| {
        let n = checks.max(1) as f64;
        CapacityResult {
            function: shared::catalog::CHECK_SOURCES.name.into(),
            call: call.to_owned(),
            calls: checks,
            read_units_per_call: (units.read - idle_units.read) / n,
            write_units_per_call: (units.write - idle_units.write) / n,
            by_operation: units
                .by_operation
                .iter()
                .map(|(op, u)| {
                    let idle = idle_units.by_operation.get(op).copied().unwrap_or(0.0);
                    (op.clone(), (u - idle) / n)
                })
                .collect(),
            kms_requests_per_call: kms as f64 / n,
        }
    };
    results.push(CapacityResult {
        function: shared::catalog::CHECK_SOURCES.name.into(),
        call: "an idle run: the due index's 16 shard Queries".into(),
        calls: 1,
        read_units_per_call: idle_units.read,
        write_units_per_call: idle_units.write,
        by_operation: idle_units.by_operation.clone(),
        kms_requests_per_call: 0.0,
    });
    results.push(per_check(
        &unchanged_units,
        unchanged.checks(),
        unchanged_kms,
        "a check that found its source as before (claim and result)",
    ));
    results.push(per_check(
        &changed_units,
        changed.checks(),
        changed_kms,
        "a check whose health changed (claim, result and its event)",
    ));
    if results
        .iter()
        .all(|r| r.read_units_per_call + r.write_units_per_call == 0.0)
    {
        return Err(CostError::NotReported(endpoint.to_owned()));
    }
    Ok(results)
}

/// One endpoint's price per million calls.
#[derive(Clone, Debug, Serialize)]
pub struct CostRow {
    pub function: String,
    /// What the call did (a function may have several rows).
    pub call: String,
    pub read_units_per_call: f64,
    pub write_units_per_call: f64,
    /// The warm duration (p50) rounded up to the millisecond, as Lambda bills it.
    pub billed_ms: f64,
    pub lambda_usd: f64,
    pub api_gateway_usd: f64,
    pub dynamodb_usd: f64,
    pub kms_requests_per_call: f64,
    pub kms_usd: f64,
    pub total_usd: f64,
}

/// Per million calls of each function whose capacity and warm duration were both measured. The
/// authorizer's row has no API Gateway request of its own (it runs inside another's).
pub fn per_million(capacity: &[CapacityResult], warm: &[WarmResult]) -> Vec<CostRow> {
    let p = &PRICES;
    capacity
        .iter()
        .filter_map(|c| {
            let warm = warm.iter().find(|w| w.subject == c.function)?;
            let billed_ms = warm.warm.p50_ms.ceil().max(1.0);
            let gb_seconds = p.memory_mb / 1024.0 * billed_ms / 1000.0;
            let lambda_usd = p.lambda_usd_per_million_requests
                + gb_seconds * p.lambda_arm64_usd_per_gb_second * 1e6;
            // The health checks' runs are per minute, not per request: their bill is
            // `sweep::daily_cost`.
            if c.function == shared::catalog::CHECK_SOURCES.name {
                return None;
            }
            let api_gateway_usd = if c.function == "authorizer" {
                0.0
            } else {
                p.api_gateway_rest_usd_per_million
            };
            let dynamodb_usd = c.read_units_per_call * p.dynamodb_usd_per_million_read_units
                + c.write_units_per_call * p.dynamodb_usd_per_million_write_units;
            let kms_usd = c.kms_requests_per_call * p.kms_usd_per_10k_requests * 100.0;
            Some(CostRow {
                function: c.function.clone(),
                call: c.call.clone(),
                read_units_per_call: c.read_units_per_call,
                write_units_per_call: c.write_units_per_call,
                billed_ms,
                lambda_usd,
                api_gateway_usd,
                dynamodb_usd,
                kms_requests_per_call: c.kms_requests_per_call,
                kms_usd,
                total_usd: lambda_usd + api_gateway_usd + dynamodb_usd + kms_usd,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_get_costs_its_request_duration_and_read_unit() {
        let warm = WarmResult {
            subject: "get-source".into(),
            invocations: 1,
            peak_rss_mib: None,
            dynamodb_requests: BTreeMap::new(),
            dynamodb_requests_per_call: 1.0,
            warm: crate::stats::Summary {
                samples: 1,
                p50_ms: 2.2,
                p90_ms: 2.2,
                p99_ms: 2.2,
                min_ms: 2.2,
                max_ms: 2.2,
            },
        };
        let capacity = CapacityResult {
            function: "get-source".into(),
            call: "one source".into(),
            calls: 1,
            read_units_per_call: 1.0,
            write_units_per_call: 0.0,
            by_operation: BTreeMap::new(),
            kms_requests_per_call: 0.0,
        };
        let row = &per_million(std::slice::from_ref(&capacity), std::slice::from_ref(&warm))[0];
        assert_eq!(row.billed_ms, 3.0);
        // 0.125 GB x 3 ms = 0.000375 GB-s; x 1e6 calls x $0.0000133334 = $5.00 + $0.20 requests.
        assert!(
            (row.lambda_usd - (0.20 + 0.000_375 * 13.3334)).abs() < 1e-6,
            "{}",
            row.lambda_usd
        );
        assert_eq!(row.api_gateway_usd, 3.50);
        assert_eq!(row.dynamodb_usd, 0.125);
        assert_eq!(row.kms_usd, 0.0);
        // A call that seals: one KMS request, $0.03 per 10,000.
        let sealing = CapacityResult {
            kms_requests_per_call: 1.0,
            ..capacity
        };
        let row = &per_million(&[sealing], &[warm])[0];
        assert!((row.kms_usd - 3.0).abs() < 1e-9, "{}", row.kms_usd);
        assert!((row.total_usd - row.lambda_usd - 3.50 - 0.125 - 3.0).abs() < 1e-9);
    }
}
