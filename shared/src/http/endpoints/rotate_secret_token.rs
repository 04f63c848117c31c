//! `POST /v1/sources/{id}/rotate_secret_token` (docs/SPEC.md §13): a new signing token; the
//! current one keeps signing for the grace period. One read and one write conditional on its
//! version.

use lambda_http::Request;
use lambda_http::http::StatusCode;

use crate::domain::{Action, GracePeriod, Timestamp};
use crate::http::{ApiError, Context, HandlerFuture, Outcome, request, response};

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(rotate_secret_token(cx, req))
}

async fn rotate_secret_token(cx: &Context<'_>, req: Request) -> Outcome {
    let id = request::source_id(&req)?;
    let expected = request::if_match(&req);
    let body = request::json_object(&req)?;
    let write = cx.write(&id, &expected, Action::SecretTokenRotated);
    // The body's rules are checked inside the update, as a PATCH's body is: a missing source
    // (404) and a stale If-Match (412) come before them (422).
    let updated = cx
        .state
        .store
        .update_source(&write, None, |stored| {
            let grace = GracePeriod::from_body(body.as_ref()).map_err(ApiError::Validation)?;
            Ok::<_, ApiError>(Some(stored.rotated(grace.seconds(), Timestamp::now())))
        })
        .await?;
    Ok(response::source(
        StatusCode::OK,
        &updated.source,
        cx.request_id(),
    ))
}
