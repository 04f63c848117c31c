//! One module per Lambda function, named like its binary in `functions/` (CONTRIBUTING.md
//! says how to add one): the thirteen endpoints, each with a [`Handler`] named `handle`, the authorizer,
//! the console and the scheduled health checks. Their facts (routes, IAM, key use, timeout,
//! memory) are rows of [`crate::catalog`]; their code is here. A Lambda function names its
//! handler itself, so its binary links that module and no other; [`dispatch`] chooses by
//! [`Endpoint`] at run time, for the local gateway and the tests.

pub mod authorizer;
pub mod check_sources;
pub mod console;
pub mod create_api_key;
pub mod create_source;
pub mod delete_source;
pub mod get_api_key;
pub mod get_source;
pub mod list_api_keys;
pub mod list_events;
pub mod list_sources;
pub mod revoke_api_key;
pub mod rotate_secret_token;
pub mod update_source;
pub mod verify_source;

use lambda_http::{Body, Request, Response};

use crate::AppState;
use crate::http::{Handler, respond};
use crate::routes::Endpoint;

/// The handler of `endpoint`.
pub fn handler(endpoint: Endpoint) -> Handler {
    match endpoint {
        Endpoint::ListSources => list_sources::handle,
        Endpoint::GetSource => get_source::handle,
        Endpoint::CreateSource => create_source::handle,
        Endpoint::UpdateSource => update_source::handle,
        Endpoint::DeleteSource => delete_source::handle,
        Endpoint::RotateSecretToken => rotate_secret_token::handle,
        Endpoint::ListSourceEvents | Endpoint::ListEvents => list_events::handle,
        Endpoint::VerifySource => verify_source::handle,
        Endpoint::GetApiKey => get_api_key::handle,
        Endpoint::ListApiKeys => list_api_keys::handle,
        Endpoint::CreateApiKey => create_api_key::handle,
        Endpoint::RevokeApiKey => revoke_api_key::handle,
    }
}

/// [`respond`] with the handler of `endpoint`, chosen at run time: the local gateway's and the
/// tests' way in. No Lambda function calls it.
pub async fn dispatch(state: &AppState, endpoint: Endpoint, req: Request) -> Response<Body> {
    respond(state, endpoint, handler(endpoint), req).await
}
