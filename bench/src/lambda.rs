//! The function processes as Lambda runs them: cold starts, memory after warm invocations, and
//! DynamoDB round trips per invocation counted at the DynamoDB side.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use axum::body::Bytes;
use integration_tests::fault_proxy::FaultProxy;
use serde::Serialize;

use crate::process::{Backend, ColdStart, RunError, Subject};
use crate::stats::Summary;
use crate::workload::{WorkloadError, is_success};

/// The event of one invocation, made before the process starts so that it can seed what the
/// invocation needs (a source to delete, a free name to create).
pub type EventFuture<'a> = Pin<Box<dyn Future<Output = Result<Bytes, WorkloadError>> + 'a>>;
pub type EventSource<'a> = Box<dyn FnMut() -> EventFuture<'a> + 'a>;

/// A subject and the events it is invoked with.
pub struct Case<'a> {
    pub subject: Subject,
    pub events: EventSource<'a>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ColdStartResult {
    pub subject: String,
    pub init: Summary,
    pub first_response: Summary,
    /// Every sample, in ms, for the chart.
    pub init_samples_ms: Vec<f64>,
    pub first_response_samples_ms: Vec<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum LambdaBenchError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    #[error("{0}: no samples")]
    NoSamples(String),
}

/// `runs` fresh processes per case, the cases interleaved so that drift in the machine's load
/// spreads over all of them alike. One unmeasured start per case first puts its files in the page
/// cache, as they are on a Lambda host that has the code.
pub async fn cold_starts(
    cases: &mut [Case<'_>],
    backend: &Backend,
    runs: usize,
) -> Result<Vec<ColdStartResult>, LambdaBenchError> {
    let mut samples: Vec<Vec<ColdStart>> = vec![Vec::with_capacity(runs); cases.len()];
    for round in 0..=runs {
        for (case, samples) in cases.iter_mut().zip(&mut samples) {
            let event = (case.events)().await?;
            let cold = case.subject.cold_start(backend, event, is_success).await?;
            if round > 0 {
                samples.push(cold);
            }
        }
        if round % 10 == 0 {
            eprintln!("  cold starts: {round}/{runs}");
        }
    }
    cases
        .iter()
        .zip(samples)
        .map(|(case, samples)| {
            let init: Vec<Duration> = samples.iter().map(|s| s.init).collect();
            let first: Vec<Duration> = samples.iter().map(|s| s.first_response).collect();
            let name = case.subject.name.clone();
            Ok(ColdStartResult {
                init: Summary::of(&init)
                    .ok_or_else(|| LambdaBenchError::NoSamples(name.clone()))?,
                first_response: Summary::of(&first)
                    .ok_or_else(|| LambdaBenchError::NoSamples(name.clone()))?,
                init_samples_ms: init.into_iter().map(crate::stats::millis).collect(),
                first_response_samples_ms: first.into_iter().map(crate::stats::millis).collect(),
                subject: name,
            })
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct WarmResult {
    pub subject: String,
    pub invocations: usize,
    /// `VmHWM` after the last invocation.
    pub peak_rss_mib: Option<f64>,
    /// Requests that reached DynamoDB, by operation, over all the invocations.
    pub dynamodb_requests: BTreeMap<String, usize>,
    /// The same, per invocation.
    pub dynamodb_requests_per_call: f64,
    /// Answer time of the warm invocations (from hand-out to answer).
    pub warm: Summary,
}

/// One process per case, `invocations` events one after the other, DynamoDB behind `proxy`,
/// which counts what reaches it.
pub async fn warm_runs(
    cases: &mut [Case<'_>],
    backend: &Backend,
    proxy: &FaultProxy,
    invocations: usize,
) -> Result<Vec<WarmResult>, LambdaBenchError> {
    let mut results = Vec::new();
    for case in cases.iter_mut() {
        let mut events: Vec<Bytes> = Vec::with_capacity(invocations);
        for _ in 0..invocations {
            events.push((case.events)().await?);
        }
        proxy.reset_counts();
        let run = case.subject.warm_run(backend, events, is_success).await?;
        let counts: BTreeMap<String, usize> = proxy.forwarded().into_iter().collect();
        let total: usize = counts.values().sum();
        let durations: Vec<Duration> = run
            .answers
            .iter()
            .map(|a| a.answered.duration_since(a.handed_out))
            .collect();
        let name = case.subject.name.clone();
        eprintln!("  warm: {name} done");
        results.push(WarmResult {
            invocations: run.answers.len(),
            peak_rss_mib: run.peak_rss_kib.map(|kib| kib as f64 / 1024.0),
            dynamodb_requests_per_call: total as f64 / run.answers.len().max(1) as f64,
            dynamodb_requests: counts,
            warm: Summary::of(&durations)
                .ok_or_else(|| LambdaBenchError::NoSamples(name.clone()))?,
            subject: name,
        });
    }
    Ok(results)
}
