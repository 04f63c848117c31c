//! `verify-source`: wiring only. Its logic is `shared::http::endpoints::verify_source`,
//! the only endpoint this binary links.

use shared::http::Endpoint;
use shared::http::endpoints::verify_source;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve_with_keys(Endpoint::VerifySource, verify_source::handle).await
}
