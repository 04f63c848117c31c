//! `DELETE /v1/api_keys/{id}` (docs/SPEC.md §26, admin keys only): revokes one of the account's
//! keys, with its audit event; 204. Refused with 409 when it is the account's last working admin
//! key (the account would be locked out), 404 for an id no working key of the account has. The
//! key stops working at once for the local gateway, and in AWS within the authorizer's cache time.

use lambda_http::Request;

use crate::http::{ApiError, Context, HandlerFuture, Outcome, request, response};
use crate::store::{KeyTarget, LastAdmin, StoreError};

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(revoke_api_key(cx, req))
}

async fn revoke_api_key(cx: &Context<'_>, req: Request) -> Outcome {
    let id = request::key_id(&req)?;
    let revoked = cx
        .state
        .store
        .revoke_api_key(&cx.account, KeyTarget::Id(&id), LastAdmin::Keep, &cx.actor)
        .await;
    match revoked {
        Ok(_) => Ok(response::no_content(cx.request_id())),
        Err(StoreError::NotFound) => Err(ApiError::KeyNotFound),
        Err(err) => Err(err.into()),
    }
}
