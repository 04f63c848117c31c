//! The scheduled health checks (docs/SPEC.md §22): one run reads what is due from every shard of
//! the due index, takes a bounded batch fairly across accounts, claims each check with a lease,
//! verifies with bounded concurrency (the §14 code: same guard, timeouts, read budget), and
//! writes each source's health and next due time. The `check-sources` function runs one sweep
//! per schedule tick; `image-sources serve` every minute, `image-sources check-sources` once.
//!
//! Time is the caller's: a run is given `now`, which it compares due times with and writes
//! results at, so tests move time by passing it and never sleep.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::task::JoinSet;

use crate::AppState;
use crate::catalog::CHECK_SOURCES;
use crate::domain::health::HealthStatus;
use crate::domain::{Actor, Timestamp};
use crate::sealing::open_credentials;
use crate::store::table::DUE_SHARDS;
use crate::store::{DueCheck, StoreError};

/// Checks one run takes at most.
pub const BATCH: usize = 200;
/// Checks in flight at once.
pub const CONCURRENCY: usize = 20;
/// Index entries read per shard per run, at most: one Query of keys only (about 100 bytes each).
/// Every account with a check due among them gets a share of the batch, so an account's backlog
/// delays another's check by a run or two as long as the due backlog fits in
/// `DUE_SHARDS.len() * READ_PER_SHARD` entries (README "Source health").
pub const READ_PER_SHARD: usize = 1_000;
/// How long a claim holds a check: a run killed midway leaves its claimed checks due again after
/// this. Longer than the function's timeout (its catalog row's, well beyond a run's worst case,
/// which [`CLAIM_WINDOW`] and the check's deadline bound), so a live run never loses a claim.
pub const LEASE_SECONDS: i64 = 600;
/// No check starts after this much of a run: the last one then ends within the check's deadline
/// (`verify::DEADLINE`) plus the KMS and DynamoDB calls around it.
pub const CLAIM_WINDOW: Duration = Duration::from_secs(60);
/// The metrics' namespace and dimension (`template.yaml`'s alarm and dashboard name them).
pub const METRICS_NAMESPACE: &str = "ImageSources";
pub const METRICS_SERVICE: &str = CHECK_SOURCES.name;

/// What a run did, for its log line, its metrics and the admin command's summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Due index entries read.
    pub due: usize,
    /// Accounts with a check in the batch.
    pub accounts: usize,
    /// Checks whose result was written, by what they found.
    pub ok: usize,
    pub failed: usize,
    pub inconclusive: usize,
    /// `health_changed` events written.
    pub changed: usize,
    /// Sources this run found failing that were not before (a change to `failed`).
    pub became_failing: usize,
    /// Checks another run claimed first, or whose source changed meanwhile (nothing written;
    /// the source's next due time stands).
    pub skipped: usize,
    /// Checks that could not be made or written (a DynamoDB or KMS failure): due again after
    /// the lease.
    pub errors: usize,
    /// More was due than one run reads or takes.
    pub more_due: bool,
    pub duration_ms: u64,
}

impl SweepReport {
    pub fn checks(&self) -> usize {
        self.ok + self.failed + self.inconclusive
    }

    /// The CloudWatch embedded-metric log line of this run: CloudWatch reads the metrics from
    /// the function's log, with no API call (and so no IAM grant and no latency).
    pub fn metrics_line(&self, at_millis: i128) -> String {
        let metric = |name: &str, unit: &str| json!({"Name": name, "Unit": unit});
        json!({
            "_aws": {
                "Timestamp": at_millis,
                "CloudWatchMetrics": [{
                    "Namespace": METRICS_NAMESPACE,
                    "Dimensions": [["Service"]],
                    "Metrics": [
                        metric("ChecksRun", "Count"),
                        metric("ChecksOk", "Count"),
                        metric("ChecksFailed", "Count"),
                        metric("ChecksInconclusive", "Count"),
                        metric("FailingSources", "Count"),
                        metric("CheckErrors", "Count"),
                        metric("RunDuration", "Milliseconds"),
                    ],
                }],
            },
            "Service": METRICS_SERVICE,
            "ChecksRun": self.checks(),
            "ChecksOk": self.ok,
            "ChecksFailed": self.failed,
            "ChecksInconclusive": self.inconclusive,
            "FailingSources": self.became_failing,
            "CheckErrors": self.errors,
            "RunDuration": self.duration_ms,
        })
        .to_string()
    }
}

/// The metric names the template's alarms and dashboard use (a test holds them together).
pub const METRICS: [&str; 7] = [
    "ChecksRun",
    "ChecksOk",
    "ChecksFailed",
    "ChecksInconclusive",
    "FailingSources",
    "CheckErrors",
    "RunDuration",
];

/// One sweep at `now`: every shard read, a fair batch checked, results written. `run_id` names
/// the run in the events it records (their `request_id`) and in its log lines. An error only
/// when the due index cannot be read; a check that fails to be made is counted and left due.
pub async fn sweep(
    state: &AppState,
    now: Timestamp,
    run_id: &str,
) -> Result<SweepReport, StoreError> {
    sweep_with_progress(state, now, run_id, &mut |_| {}).await
}

/// [`sweep`], calling `progress` with the report so far once the due index is read and after
/// every [`CONCURRENCY`] finished checks (the admin command's progress line).
pub async fn sweep_with_progress(
    state: &AppState,
    now: Timestamp,
    run_id: &str,
    progress: &mut (dyn FnMut(&SweepReport) + Send),
) -> Result<SweepReport, StoreError> {
    let started = Instant::now();
    let mut report = SweepReport::default();
    let mut due = Vec::new();
    for shard in DUE_SHARDS {
        let read = state.store.due_checks(shard, now, READ_PER_SHARD).await?;
        report.more_due |= read.more;
        due.extend(read.checks);
    }
    report.due = due.len();
    let batch = fair_batch(due, BATCH);
    report.more_due |= report.due > batch.len();
    report.accounts = {
        let mut accounts: Vec<&str> = batch.iter().map(|d| d.account.as_str()).collect();
        accounts.sort_unstable();
        accounts.dedup();
        accounts.len()
    };
    progress(&report);
    let state = Arc::new(state.clone());
    let actor = Arc::new(Actor::system(run_id));
    let mut running = JoinSet::new();
    let mut queue: VecDeque<DueCheck> = batch.into();
    loop {
        while running.len() < CONCURRENCY && started.elapsed() < CLAIM_WINDOW {
            let Some(check) = queue.pop_front() else {
                break;
            };
            let (state, actor) = (state.clone(), actor.clone());
            running.spawn(async move { check_one(&state, &check, now, &actor).await });
        }
        match running.join_next().await {
            Some(Ok(result)) => tally(&mut report, result),
            // A check task that panicked: counted, its source due again after the lease.
            Some(Err(_)) => report.errors += 1,
            None => break,
        }
        let finished = report.checks() + report.skipped + report.errors;
        if finished % CONCURRENCY == 0 {
            progress(&report);
        }
    }
    // Checks never started (the claim window closed) stay due: the next run takes them.
    report.more_due |= !queue.is_empty();
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(report)
}

/// [`sweep`] as a scheduled run: its summary logged, its metrics published as an embedded-metric
/// log line (only codes and counts: no source's credentials or storage text).
pub async fn scheduled_run(
    state: &AppState,
    now: Timestamp,
    run_id: &str,
) -> Result<SweepReport, StoreError> {
    let report = match sweep(state, now, run_id).await {
        Ok(report) => report,
        Err(err) => {
            // The run could not read the due index: an error metric, so the alarm sees it.
            let failed = SweepReport {
                errors: 1,
                ..SweepReport::default()
            };
            println!("{}", failed.metrics_line(Timestamp::now_precise().1));
            return Err(err);
        }
    };
    tracing::info!(
        request_id = run_id,
        due = report.due,
        accounts = report.accounts,
        checks = report.checks(),
        ok = report.ok,
        failed = report.failed,
        inconclusive = report.inconclusive,
        changed = report.changed,
        skipped = report.skipped,
        errors = report.errors,
        more_due = report.more_due,
        duration_ms = report.duration_ms,
        "health sweep"
    );
    // Printed as it is: CloudWatch reads an embedded-metric line only when it is the whole
    // log line.
    println!("{}", report.metrics_line(Timestamp::now_precise().1));
    Ok(report)
}

/// At most `limit` of `due`, fairly across accounts: accounts in the order of their oldest due
/// check, one check each in turn (oldest first within an account), round after round. An
/// account with thousands due takes one place per round like any other.
pub fn fair_batch(mut due: Vec<DueCheck>, limit: usize) -> Vec<DueCheck> {
    due.sort_by(|a, b| (a.due_at, a.id.as_str()).cmp(&(b.due_at, b.id.as_str())));
    let mut order: Vec<String> = Vec::new();
    let mut queues: BTreeMap<String, VecDeque<DueCheck>> = BTreeMap::new();
    for check in due {
        let account = check.account.as_str().to_owned();
        if !queues.contains_key(&account) {
            order.push(account.clone());
        }
        queues.entry(account).or_default().push_back(check);
    }
    let mut batch = Vec::new();
    while batch.len() < limit {
        let before = batch.len();
        for account in &order {
            if batch.len() >= limit {
                break;
            }
            if let Some(check) = queues.get_mut(account).and_then(VecDeque::pop_front) {
                batch.push(check);
            }
        }
        if batch.len() == before {
            break;
        }
    }
    batch
}

/// How one check ended.
enum CheckEnd {
    Written { status: HealthStatus, changed: bool },
    Skipped,
    Error,
}

fn tally(report: &mut SweepReport, end: CheckEnd) {
    match end {
        CheckEnd::Written { status, changed } => {
            match status {
                HealthStatus::Ok => report.ok += 1,
                HealthStatus::Failed => report.failed += 1,
                HealthStatus::Inconclusive | HealthStatus::Unknown => report.inconclusive += 1,
            }
            report.changed += usize::from(changed);
            report.became_failing += usize::from(changed && status == HealthStatus::Failed);
        }
        CheckEnd::Skipped => report.skipped += 1,
        CheckEnd::Error => report.errors += 1,
    }
}

/// Claims, checks and records one source. Errors are logged by kind only: never a credential,
/// never the storage's text.
async fn check_one(state: &AppState, due: &DueCheck, now: Timestamp, actor: &Actor) -> CheckEnd {
    let lease_until = now.plus_seconds(LEASE_SECONDS).unwrap_or(now);
    let claimed = match state.store.claim_check(due, lease_until).await {
        Ok(Some(claimed)) => claimed,
        Ok(None) => return CheckEnd::Skipped,
        Err(err) => {
            tracing::error!(request_id = %actor.request_id, source_id = %due.id, error = %err, "a health check could not be claimed");
            return CheckEnd::Error;
        }
    };
    // A proxy's check answers without its secrets (docs/SPEC.md §25): nothing to open.
    let opened = if claimed.fields.source_type.has_storage() {
        open_credentials(
            state.keys(),
            &claimed.account_id,
            &claimed.id,
            &claimed.fields.credentials,
        )
        .await
    } else {
        Ok(claimed.fields.credentials.clone())
    };
    let credentials = match opened {
        Ok(credentials) => credentials,
        Err(err) => {
            tracing::error!(request_id = %actor.request_id, source_id = %due.id, error = %err, "a health check could not open the source's secrets");
            return CheckEnd::Error;
        }
    };
    let verification = state
        .verifier
        .verify(claimed.fields.source_type, &credentials)
        .await;
    drop(credentials);
    let health = verification.health(now);
    match state
        .store
        .record_health(&claimed, health, now, actor)
        .await
    {
        Ok(Some((status, changed))) => CheckEnd::Written { status, changed },
        Ok(None) => CheckEnd::Skipped,
        Err(err) => {
            tracing::error!(request_id = %actor.request_id, source_id = %due.id, error = %err, "a health check's result could not be written");
            CheckEnd::Error
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, SourceId};

    fn due(account: &str, n: u32, due_at: i64) -> DueCheck {
        DueCheck {
            account: AccountId::parse(account).unwrap(),
            id: SourceId::parse(&format!("{n:024x}")).unwrap(),
            due_at,
        }
    }

    #[test]
    fn a_batch_takes_one_of_each_account_in_turn_oldest_first() {
        // `big` has 10,000 checks due before anyone else's.
        let mut all: Vec<DueCheck> = (0..10_000).map(|n| due("big", n, 100)).collect();
        all.push(due("small", 20_000, 160));
        all.push(due("other", 20_001, 220));
        all.push(due("other", 20_002, 230));
        let batch = fair_batch(all, 6);
        let accounts: Vec<&str> = batch.iter().map(|d| d.account.as_str()).collect();
        assert_eq!(accounts, ["big", "small", "other", "big", "other", "big"]);
        // Within an account, the oldest due first.
        assert_eq!(batch[3].id, due("big", 1, 100).id);
        assert_eq!(batch[4].due_at, 230);
    }

    #[test]
    fn a_batch_is_bounded_and_empty_when_nothing_is_due() {
        let all: Vec<DueCheck> = (0..500)
            .map(|n| due(&format!("a{}", n % 7), n, 1))
            .collect();
        assert_eq!(fair_batch(all, BATCH).len(), BATCH);
        assert!(fair_batch(Vec::new(), BATCH).is_empty());
    }

    #[test]
    fn the_metrics_line_is_an_embedded_metric_document_of_every_metric() {
        let report = SweepReport {
            ok: 3,
            failed: 2,
            changed: 2,
            became_failing: 1,
            inconclusive: 1,
            errors: 1,
            duration_ms: 1234,
            ..SweepReport::default()
        };
        let line: serde_json::Value =
            serde_json::from_str(&report.metrics_line(1_800_000_000_000)).unwrap();
        let declared: Vec<&str> = line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(declared, METRICS);
        assert_eq!(line["ChecksRun"], 6);
        assert_eq!(line["ChecksFailed"], 2);
        assert_eq!(line["FailingSources"], 1, "sources that started failing");
        assert_eq!(line["CheckErrors"], 1);
        assert_eq!(line["Service"], METRICS_SERVICE);
        assert_eq!(line["_aws"]["Timestamp"], 1_800_000_000_000_i64);
    }
}
