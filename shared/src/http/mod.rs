//! The HTTP surface (SPEC §1, §8): routing, request reading, the endpoints and the error mapping.

pub mod endpoints;
pub mod error;
pub mod request;
pub mod routes;
pub mod strict_json;

use std::time::Instant;

use lambda_http::{Body, Request, Response};

pub use error::{ApiError, REQUEST_ID_HEADER, json_response};
pub use routes::{Endpoint, RouteError, RouteMatch, resolve};

use crate::AppState;

/// Runs `endpoint` for `req`: the account from the authorizer context, the request read once into
/// the endpoint's typed input, the endpoint's logic, the error mapping, `x-request-id`, and one JSON log line. Every Lambda function's handler.
pub async fn handle(state: &AppState, endpoint: Endpoint, req: Request) -> Response<Body> {
    let started = Instant::now();
    let request_id = request::request_id(&req);
    let method = req.method().clone();
    let route = request::resource_path(&req).unwrap_or_else(|| endpoint.resource().to_owned());
    let account = request::account_id(&req);
    let account_for_log = account.as_ref().map(|a| a.to_string()).unwrap_or_default();

    let outcome = match account {
        Err(err) => Err(err),
        Ok(account) => match request::read(endpoint, &req) {
            Err(err) => Err(err),
            Ok(input) => {
                let actor = request::actor(&req, &request_id);
                endpoints::run(state, &account, &actor, input).await
            }
        },
    };
    let response = outcome.unwrap_or_else(|err| {
        log_failure(&err, &request_id);
        err.into_response(&request_id)
    });
    tracing::info!(
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        account_id = %account_for_log,
        request_id = %request_id,
        "request"
    );
    response
}

/// Server-side failures get their cause logged (never a body or a secret: store errors carry
/// DynamoDB's own messages only).
fn log_failure(err: &ApiError, request_id: &str) {
    if let ApiError::Unavailable(Some(cause)) | ApiError::Internal(Some(cause)) = err {
        tracing::error!(
            request_id = %request_id,
            error = %aws_smithy_types::error::display::DisplayErrorContext(cause),
            "request failed"
        );
    }
}
