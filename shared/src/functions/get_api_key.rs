//! `GET /v1/api_key` (docs/SPEC.md §19): the key that made the request, from the authorizer's
//! context alone, so it costs no DynamoDB request beyond the authorizer's.

use lambda_http::Request;

use crate::http::{Context, HandlerFuture, Outcome, request, response};

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(get_api_key(cx, req))
}

async fn get_api_key(cx: &Context<'_>, req: Request) -> Outcome {
    let caller = request::caller(&req)?;
    Ok(response::api_key(&caller, cx.request_id()))
}
