//! `delete-source`: wiring only. Its logic is `shared::functions::delete_source`,
//! the only endpoint this binary links.

use shared::functions::delete_source;
use shared::http::Endpoint;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::function::serve(Endpoint::DeleteSource, delete_source::handle).await
}
