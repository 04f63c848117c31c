//! `list-api-keys`: wiring only. Its logic is `shared::functions::list_api_keys`,
//! the only endpoint this binary links.

use shared::functions::list_api_keys;
use shared::http::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve(Endpoint::ListApiKeys, list_api_keys::handle).await
}
