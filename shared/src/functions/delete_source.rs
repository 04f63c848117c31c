//! `DELETE /v1/sources/{id}`: removes the source and frees its name in one transaction with its
//! audit event; touches no stored image.

use lambda_http::Request;

use crate::domain::Action;
use crate::http::{Context, HandlerFuture, Outcome, request, response};

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(delete_source(cx, req))
}

async fn delete_source(cx: &Context<'_>, req: Request) -> Outcome {
    let id = request::source_id(&req)?;
    let expected = request::if_match(&req);
    cx.state
        .store
        .delete_source(&cx.write(&id, &expected, Action::Deleted))
        .await?;
    Ok(response::deleted(cx))
}
