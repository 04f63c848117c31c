//! `verify-source`: wiring only; the logic is `shared::http::endpoints`.

use lambda_http::{Error, Request, run, service_fn};
use shared::AppState;
use shared::http::{Endpoint, handle};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let state = AppState::from_env().await?;
    let state = &state;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(handle(state, Endpoint::VerifySource, req).await)
    }))
    .await
}
