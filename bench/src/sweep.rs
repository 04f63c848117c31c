//! The health sweep (docs/SPEC.md §22): how many checks one run makes per minute against a
//! storage on loopback (s3s-fs, SigV4 checked), its worst case against the function's timeout
//! (a full batch against a storage that never answers), and what checking 10,000 sources a day
//! costs. The sweep runs in process: it is the code the `check-sources` binary runs, and the
//! binary's own init, RSS and round trips are in the cold-start and warm tables.

use std::time::Instant;

use serde::Serialize;
use shared::catalog::CHECK_SOURCES;
use shared::domain::{Source, SourceInput, Timestamp};
use shared::functions::check_sources::{self, BATCH, CONCURRENCY, SweepReport};
use shared::verify::Provider;

use crate::cost::{CapacityResult, PRICES};

/// The sources the daily bill is for.
pub const DAILY_SOURCES: u64 = 10_000;
/// The function's memory (`template.yaml`).
pub const MEMORY_MB: f64 = 256.0;
const RUNS_PER_DAY: u64 = 24 * 60;

#[derive(Clone, Debug, Serialize)]
pub struct SweepResult {
    pub batch: usize,
    pub concurrency: usize,
    /// A full batch of checks against s3s-fs on loopback: the run's duration.
    pub full_run_ms: u64,
    pub full_run_checks: usize,
    /// Checks per minute of run time at that pace.
    pub checks_per_minute: f64,
    /// A full batch against a storage that never answers: every check runs into the 5 s deadline.
    pub worst_run_ms: u64,
    pub worst_run_checks: usize,
    pub timeout_ms: u64,
    /// An idle run (nothing due): the 16 shard Queries.
    pub idle_run_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("seeding failed: {0}")]
    Seed(String),
    #[error("a sweep failed: {0}")]
    Sweep(String),
}

/// `count` sources of account `account` that the S3 check sends to `endpoint`, created through
/// the store as the API stores them (their secrets sealed with `keys`).
async fn seed(state: &shared::AppState, account: &str, count: usize) -> Result<(), SweepError> {
    let account_id = shared::domain::AccountId::parse(account)
        .map_err(|e| SweepError::Seed(format!("{e:?}")))?;
    for n in 0..count {
        let body = crate::workload::verifiable_body(&format!("{account}-{n:04}"));
        let fields = body["source"]
            .as_object()
            .map(SourceInput::from_json)
            .ok_or_else(|| SweepError::Seed("a source body".into()))?
            .into_new_fields()
            .map_err(|e| SweepError::Seed(format!("{e:?}")))?;
        let mut source = Source::new(account_id.clone(), fields);
        let values = shared::sealing::seal_credentials(
            state.keys(),
            &source.account_id,
            &source.id,
            &source.fields.credentials,
        )
        .await
        .map_err(|e| SweepError::Seed(e.to_string()))?;
        source.fields.credentials = values
            .apply(&source.fields.credentials)
            .ok_or_else(|| SweepError::Seed("sealing".into()))?;
        state
            .store
            .create_source(&source, None, &shared::domain::Actor::default())
            .await
            .map_err(|e| SweepError::Seed(e.to_string()))?;
    }
    Ok(())
}

async fn run(state: &shared::AppState, now: Timestamp) -> Result<(SweepReport, u64), SweepError> {
    let started = Instant::now();
    let report = check_sources::sweep(state, now, "bench-sweep")
        .await
        .map_err(|e| SweepError::Sweep(e.to_string()))?;
    Ok((report, started.elapsed().as_millis() as u64))
}

/// Measures the sweep on fresh tables of the embedded DynamoDB: one with a batch of sources
/// that s3s-fs accepts, one whose storage never answers.
pub async fn measure() -> Result<SweepResult, SweepError> {
    let provider = Provider::of(shared::domain::SourceType::S3)
        .ok_or_else(|| SweepError::Seed("S3 speaks S3".into()))?;
    let keys = std::sync::Arc::new(integration_tests::test_keys().await);

    let s3 = integration_tests::storage::S3Server::start(Default::default()).await;
    let network = integration_tests::storage::TestNetwork::start().await;
    let db = integration_tests::TestDb::start().await;
    let state = shared::AppState::new(db.store.clone())
        .with_keys(keys.clone())
        .with_verifier(network.verifier(true, &[(provider, &s3.endpoint)]));
    let now = Timestamp::now();
    let (_, idle_run_ms) = run(&state, now).await?;
    for account in 0..10 {
        seed(&state, &format!("sweep{account:02}"), BATCH / 10).await?;
    }
    let (full, full_run_ms) = run(&state, Timestamp::now()).await?;
    if full.ok != BATCH {
        return Err(SweepError::Sweep(format!(
            "{} of {BATCH} checks were ok: {full:?}",
            full.ok
        )));
    }

    let hanging = integration_tests::storage::hanging_server().await;
    let hanging = format!("http://{hanging}");
    let db = integration_tests::TestDb::start().await;
    let state = shared::AppState::new(db.store.clone())
        .with_keys(keys)
        .with_verifier(network.verifier(true, &[(provider, &hanging)]));
    for account in 0..10 {
        seed(&state, &format!("stuck{account:02}"), BATCH / 10).await?;
    }
    let (worst, worst_run_ms) = run(&state, Timestamp::now()).await?;
    Ok(SweepResult {
        batch: BATCH,
        concurrency: CONCURRENCY,
        full_run_ms,
        full_run_checks: full.checks(),
        checks_per_minute: full.checks() as f64 * 60_000.0 / full_run_ms.max(1) as f64,
        worst_run_ms,
        worst_run_checks: worst.checks(),
        timeout_ms: CHECK_SOURCES.timeout_seconds * 1000,
        idle_run_ms,
    })
}

/// What checking [`DAILY_SOURCES`] sources once a day costs (each found as it was, so no
/// event; the schedule's 1,440 runs a day), at the list prices of `cost::PRICES`.
#[derive(Clone, Debug, Serialize)]
pub struct DailyCost {
    pub sources: u64,
    pub runs: u64,
    pub checks: u64,
    pub lambda_usd: f64,
    pub dynamodb_usd: f64,
    pub kms_usd: f64,
    pub total_usd_per_day: f64,
    pub total_usd_per_month: f64,
}

/// The bill, from the capacity measured per idle run and per unchanged check, and the sweep's
/// run times: Lambda bills each run's duration at 256 MB, the idle part once per run and each
/// check's share of a full run's time.
pub fn daily_cost(capacity: &[CapacityResult], sweep: &SweepResult) -> Option<DailyCost> {
    let row = |call: &str| {
        capacity
            .iter()
            .find(|c| c.function == CHECK_SOURCES.name && c.call.starts_with(call))
    };
    let idle = row("an idle run")?;
    let check = row("a check that found")?;
    let p = &PRICES;
    let checks = DAILY_SOURCES;
    let runs = RUNS_PER_DAY;
    let per_check_ms = sweep.full_run_ms as f64 / sweep.full_run_checks.max(1) as f64;
    let billed_ms = runs as f64 * (sweep.idle_run_ms.max(1) as f64) + checks as f64 * per_check_ms;
    let lambda_usd = runs as f64 * p.lambda_usd_per_million_requests / 1e6
        + MEMORY_MB / 1024.0 * billed_ms / 1000.0 * p.lambda_arm64_usd_per_gb_second;
    let dynamodb_usd = (runs as f64 * idle.read_units_per_call
        + checks as f64 * check.read_units_per_call)
        * p.dynamodb_usd_per_million_read_units
        / 1e6
        + (runs as f64 * idle.write_units_per_call + checks as f64 * check.write_units_per_call)
            * p.dynamodb_usd_per_million_write_units
            / 1e6;
    let kms_usd = checks as f64 * check.kms_requests_per_call * p.kms_usd_per_10k_requests / 1e4;
    let total = lambda_usd + dynamodb_usd + kms_usd;
    Some(DailyCost {
        sources: DAILY_SOURCES,
        runs,
        checks,
        lambda_usd,
        dynamodb_usd,
        kms_usd,
        total_usd_per_day: total,
        total_usd_per_month: total * 30.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_daily_bill_adds_runs_checks_and_key_requests() {
        let row = |call: &str, read: f64, write: f64, kms: f64| CapacityResult {
            function: CHECK_SOURCES.name.into(),
            call: call.into(),
            calls: 1,
            read_units_per_call: read,
            write_units_per_call: write,
            by_operation: BTreeMap::new(),
            kms_requests_per_call: kms,
        };
        let capacity = [
            row("an idle run", 8.0, 0.0, 0.0),
            row("a check that found its source as before", 0.0, 4.0, 1.0),
        ];
        let sweep = SweepResult {
            batch: 200,
            concurrency: 20,
            full_run_ms: 2_000,
            full_run_checks: 200,
            checks_per_minute: 6_000.0,
            worst_run_ms: 60_000,
            worst_run_checks: 200,
            timeout_ms: 180_000,
            idle_run_ms: 20,
        };
        let cost = daily_cost(&capacity, &sweep).unwrap();
        // 1,440 x 8 read units; 10,000 x 4 write units; 10,000 Decrypts.
        let dynamodb = 11_520.0 * 0.125 / 1e6 + 40_000.0 * 0.625 / 1e6;
        assert!((cost.dynamodb_usd - dynamodb).abs() < 1e-12, "{cost:?}");
        assert!((cost.kms_usd - 0.03).abs() < 1e-12);
        // 1,440 x 20 ms + 10,000 x 10 ms at 0.25 GB.
        let lambda = 1_440.0 * 0.2 / 1e6 + 0.25 * 128.8 * 0.000_013_333_4;
        assert!((cost.lambda_usd - lambda).abs() < 1e-9, "{cost:?}");
        assert!((cost.total_usd_per_month - 30.0 * cost.total_usd_per_day).abs() < 1e-12);
    }
}
