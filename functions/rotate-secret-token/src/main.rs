//! `rotate-secret-token`: wiring only. Its logic is `shared::functions::rotate_secret_token`,
//! the only endpoint this binary links.

use shared::functions::rotate_secret_token;
use shared::http::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve_with_keys(Endpoint::RotateSecretToken, rotate_secret_token::handle)
        .await
}
