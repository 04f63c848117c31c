//! `create-source`: wiring only. Its logic is `shared::http::endpoints::create_source`,
//! the only endpoint this binary links.

use shared::http::Endpoint;
use shared::http::endpoints::create_source;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve_with_keys(Endpoint::CreateSource, create_source::handle).await
}
