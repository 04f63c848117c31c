//! `GET /v1/api_keys` (docs/SPEC.md §26): the account's keys, newest first, never a key itself.
//! Any scope may list: a read key sees what exists. One Query.

use lambda_http::Request;

use crate::http::{Context, HandlerFuture, Outcome, response};

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(list_api_keys(cx, req))
}

async fn list_api_keys(cx: &Context<'_>, _req: Request) -> Outcome {
    let keys = cx.state.store.list_api_keys(&cx.account).await?;
    Ok(response::api_keys(&keys, cx.request_id()))
}
