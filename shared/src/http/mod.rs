//! The HTTP surface (docs/SPEC.md §1, §8): reading requests, who is calling, the error mapping,
//! the one place responses are built, and what the endpoints of `crate::functions` share.

pub mod caller;
mod context;
pub mod dialect;
pub mod error;
pub mod imgix;
pub mod request;
pub mod response;
pub(crate) mod sources;
pub mod strict_json;
pub(crate) mod verification;

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use lambda_http::{Body, Request, Response};

pub use crate::routes::{Endpoint, RouteError, RouteMatch, resolve};
pub use context::Context;
pub use dialect::Dialect;
pub use error::ApiError;
pub use response::{REQUEST_ID_HEADER, json_response};

use crate::AppState;

/// What an endpoint answers: a response, or the error [`response::error`] turns into one.
pub type Outcome = Result<Response<Body>, ApiError>;

/// An endpoint's future; boxed so that every handler has one plain function-pointer type.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// An endpoint: reads what it needs from the request and answers it, for the caller in the
/// context.
pub type Handler = for<'a> fn(&'a Context<'a>, Request) -> HandlerFuture<'a>;

/// Answers `req` with `handler`: the account from the authorizer context, the handler, the
/// error mapping, `x-request-id`, and one JSON log line. Every function's request goes through
/// here; `endpoint` is the route it came for (the log line names it when the request does not).
pub async fn respond(
    state: &AppState,
    endpoint: Endpoint,
    handler: Handler,
    req: Request,
) -> Response<Body> {
    let started = Instant::now();
    let request_id = request::request_id(&req);
    let method = req.method().clone();
    let route = request::resource_path(&req).unwrap_or_else(|| endpoint.resource().to_owned());
    let account = request::account_id(&req);
    let account_for_log = account.as_ref().map(|a| a.to_string()).unwrap_or_default();

    let dialect = Dialect::of(&req);
    let (outcome, subject_type) = match account {
        Err(err) => (Err(err), None),
        Ok(account) => {
            let actor = request::actor(&req, &request_id);
            let context = Context {
                state,
                endpoint,
                account,
                actor,
                scope: request::scope(&req),
                dialect,
                subject_type: std::sync::OnceLock::new(),
            };
            let outcome = match dialect {
                Dialect::Imgix => match imgix::check_media_type(&req) {
                    Ok(()) => handler(&context, req).await,
                    Err(err) => Err(err),
                },
                Dialect::Native => handler(&context, req).await,
            };
            (outcome, context.subject_type.get().copied())
        }
    };
    let response = outcome.unwrap_or_else(|err| {
        log_failure(&err, &request_id);
        response::dialect_error(dialect, err, &request_id, subject_type)
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
