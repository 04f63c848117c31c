//! `get-source`: wiring only. Its logic is `shared::http::endpoints::get_source`,
//! the only endpoint this binary links.

use shared::http::Endpoint;
use shared::http::endpoints::get_source;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve(Endpoint::GetSource, get_source::handle).await
}
