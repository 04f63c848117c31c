//! `GET /v1/sources/{id}`: one read.

use lambda_http::Request;
use lambda_http::http::StatusCode;

use crate::http::{Context, HandlerFuture, Outcome, request, response};

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(get_source(cx, req))
}

async fn get_source(cx: &Context<'_>, req: Request) -> Outcome {
    let id = request::source_id(&req)?;
    let source = cx.state.store.get_source(&cx.account, &id).await?;
    Ok(response::source(cx, StatusCode::OK, &source))
}
