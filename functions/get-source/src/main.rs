//! `get-source`: wiring only. Its logic is `shared::functions::get_source`,
//! the only endpoint this binary links.

use shared::functions::get_source;
use shared::http::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve(Endpoint::GetSource, get_source::handle).await
}
