//! `rotate-secret-token`: wiring only. Its logic is `shared::http::endpoints::rotate_secret_token`,
//! the only endpoint this binary links.

use shared::http::Endpoint;
use shared::http::endpoints::rotate_secret_token;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve_with_keys(Endpoint::RotateSecretToken, rotate_secret_token::handle)
        .await
}
