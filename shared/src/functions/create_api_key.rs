//! `POST /v1/api_keys` (docs/SPEC.md §26, admin keys only): a new key for the caller's account,
//! shown once in the answer and never stored (only its SHA-256), with its audit event; 422 when
//! the body is wrong or the account already has 20 working keys. Two round trips: the account's
//! keys, then one transaction.

use lambda_http::Request;

use crate::domain::key_request::KeyRequest;
use crate::domain::{ApiKey, Timestamp};
use crate::http::{ApiError, Context, HandlerFuture, Outcome, request, response};
use crate::store::KeyGrant;

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(create_api_key(cx, req))
}

async fn create_api_key(cx: &Context<'_>, req: Request) -> Outcome {
    let body = request::json_object(&req)?;
    let asked = KeyRequest::from_body(body.as_ref()).map_err(ApiError::Validation)?;
    let key = ApiKey::generate();
    let grant = KeyGrant {
        label: asked.label.as_str().to_owned(),
        scope: asked.scope,
        valid_until: asked
            .expires_in
            .and_then(|seconds| Timestamp::now().plus_seconds(seconds)),
    };
    let record = cx
        .state
        .store
        .create_api_key(&cx.account, &key.hash(), &grant, &cx.actor)
        .await?;
    Ok(response::created_api_key(&record, &key, cx.request_id()))
}
