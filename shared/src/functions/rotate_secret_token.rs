//! `POST /v1/sources/{id}/rotate_secret_token` (docs/SPEC.md §13): a new signing token; the
//! current one keeps signing for the grace period. One read and one write conditional on its
//! version.

use lambda_http::Request;
use lambda_http::http::StatusCode;

use crate::domain::{Action, GracePeriod, Timestamp};
use crate::http::sources::{sealed_source, sealing};
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
    let stored = cx.state.store.get_source(&cx.account, &id).await?;
    // A secret written before sealing existed is sealed at this write (one KMS request, only
    // then); sealed ones are written back as they are (docs/SPEC.md §21).
    let sealed = sealing(cx, &id, &stored.fields.credentials).await?;
    let updated = cx
        .state
        .store
        .update_source(&write, Some(stored), |stored| {
            let grace = GracePeriod::from_body(body.as_ref()).map_err(ApiError::Validation)?;
            let rotated = stored.rotated(grace.seconds(), Timestamp::now());
            // A concurrent write by code older than sealing may bring a secret in clear back.
            let rotated = sealed_source(rotated, &sealed).ok_or(ApiError::Unavailable(None))?;
            Ok::<_, ApiError>(Some(rotated))
        })
        .await?;
    Ok(response::source(cx, StatusCode::OK, &updated.source))
}
