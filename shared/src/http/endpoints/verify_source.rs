//! `POST /v1/sources/{id}/verify` (docs/SPEC.md §14): reaches the source's storage as the CDN
//! would and reports what it found; changes nothing but the account's rate counter. 1 read, 1
//! counter update, then the storage's own calls. A body, if any, is not read: the check takes
//! nothing but the stored source.

use lambda_http::Request;
use lambda_http::http::StatusCode;

use super::verification;
use crate::http::{Context, HandlerFuture, Outcome, json_response, request};

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(verify_source(cx, req))
}

async fn verify_source(cx: &Context<'_>, req: Request) -> Outcome {
    let id = request::source_id(&req)?;
    let source = cx.state.store.get_source(&cx.account, &id).await?;
    let verification = verification::counted(cx, Some(&id), &source.fields).await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "verification": verification }),
        cx.request_id(),
    ))
}
