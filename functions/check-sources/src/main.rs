//! `check-sources`: wiring only. EventBridge invokes it every minute (`template.yaml`); each
//! invocation is one sweep of `shared::functions::check_sources` (docs/SPEC.md §22), named by its request id.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::AppState;
use shared::domain::Timestamp;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    // It opens storage secrets to check them: the KMS client too (`catalog::CHECK_SOURCES.key_use`).
    let state = AppState::from_env_with_keys().await?;
    let state = &state;
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let report = shared::functions::check_sources::scheduled_run(
                state,
                Timestamp::now(),
                &event.context.request_id,
            )
            .await?;
            Ok::<_, Error>(serde_json::json!({ "checks": report.checks() }))
        },
    ))
    .await
}
