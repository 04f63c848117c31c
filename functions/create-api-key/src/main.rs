//! `create-api-key`: wiring only. Its logic is `shared::functions::create_api_key`,
//! the only endpoint this binary links.

use shared::functions::create_api_key;
use shared::http::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve(Endpoint::CreateApiKey, create_api_key::handle).await
}
