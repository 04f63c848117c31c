//! `revoke-api-key`: wiring only. Its logic is `shared::functions::revoke_api_key`,
//! the only endpoint this binary links.

use shared::functions::revoke_api_key;
use shared::http::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve(Endpoint::RevokeApiKey, revoke_api_key::handle).await
}
