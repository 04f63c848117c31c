//! `get-api-key`: wiring only. Its logic is `shared::functions::get_api_key`, which answers
//! from the authorizer's context: the function has no table and no DynamoDB permission.

use shared::functions::get_api_key;
use shared::http::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve_without_table(Endpoint::GetApiKey, get_api_key::handle).await
}
