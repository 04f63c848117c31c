//! `list-events`: wiring only; the logic is `shared::functions::list_events`, the only
//! endpoint this binary links. It serves both event listings (a source's and the account's), told
//! apart by the route API Gateway matched.

use shared::functions::list_events;
use shared::http::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve(Endpoint::ListEvents, list_events::handle).await
}
