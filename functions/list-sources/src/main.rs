//! `list-sources`: wiring only. Its logic is `shared::functions::list_sources`,
//! the only endpoint this binary links.

use shared::functions::list_sources;
use shared::http::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve(Endpoint::ListSources, list_sources::handle).await
}
