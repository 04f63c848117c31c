//! A Lambda function's `main`: the clients built once per execution environment, then every
//! request through [`crate::http::respond`] with the one handler the function names. The
//! function's binary links that handler and nothing of the other endpoints.

use lambda_http::{Error, Request, run, service_fn};

use crate::AppState;
use crate::http::{Handler, request, respond};
use crate::routes::Endpoint;

/// Serves `endpoint` with `handler` until the runtime stops. A function that serves several
/// routes (`list-events`) names one of them: each request is told apart by the route API Gateway
/// matched, among the routes of `endpoint`'s function.
pub async fn serve(endpoint: Endpoint, handler: Handler) -> Result<(), Error> {
    crate::telemetry::init();
    run_with(endpoint, handler, AppState::from_env().await?).await
}

/// [`serve`] for a function that seals or opens storage secrets (`Endpoint::key_use`): the KMS
/// client is built too. A separate entry, so that the other functions do not link it.
pub async fn serve_with_keys(endpoint: Endpoint, handler: Handler) -> Result<(), Error> {
    crate::telemetry::init();
    run_with(endpoint, handler, AppState::from_env_with_keys().await?).await
}

/// [`serve`] for a function that calls no AWS service: its answers come from the request alone
/// (`AppState::without_table`), so its start reads no configuration and builds no client.
pub async fn serve_without_table(endpoint: Endpoint, handler: Handler) -> Result<(), Error> {
    crate::telemetry::init();
    run_with(endpoint, handler, AppState::without_table()).await
}

async fn run_with(endpoint: Endpoint, handler: Handler, state: AppState) -> Result<(), Error> {
    let state = &state;
    let served = Endpoint::served_by(endpoint.function_name());
    let served = &served;
    run(service_fn(move |req: Request| async move {
        let endpoint = request::endpoint_of(&req, served).unwrap_or(endpoint);
        Ok::<_, Error>(respond(state, endpoint, handler, req).await)
    }))
    .await
}
