//! `list-events`: wiring only; the logic is `shared::http::endpoints`. One function serves both
//! event listings (a source's and the account's), told apart by the route API Gateway matched.

use lambda_http::{Error, Request, run, service_fn};
use shared::AppState;
use shared::http::request::endpoint_of;
use shared::http::{Endpoint, handle};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let state = AppState::from_env().await?;
    let state = &state;
    let served = Endpoint::served_by("list-events");
    let served = &served;
    run(service_fn(move |req: Request| async move {
        let endpoint = endpoint_of(&req, served).unwrap_or(Endpoint::ListEvents);
        Ok::<_, Error>(handle(state, endpoint, req).await)
    }))
    .await
}
