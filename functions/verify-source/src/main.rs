//! `verify-source`: wiring only. Its logic is `shared::functions::verify_source`,
//! the only endpoint this binary links.

use shared::functions::verify_source;
use shared::http::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve_with_keys(Endpoint::VerifySource, verify_source::handle).await
}
