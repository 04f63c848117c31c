//! `list-sources`: wiring only. Its logic is `shared::http::endpoints::list_sources`,
//! the only endpoint this binary links.

use shared::http::Endpoint;
use shared::http::endpoints::list_sources;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve(Endpoint::ListSources, list_sources::handle).await
}
