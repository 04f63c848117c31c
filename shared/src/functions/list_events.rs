//! `GET /v1/sources/{id}/events` and `GET /v1/events` (docs/SPEC.md §17): one page of events,
//! newest first, with `Link` while more may follow. One function serves both, told apart by the
//! route API Gateway matched (`Context::endpoint`). A source's events stay readable after its deletion; an id with no
//! events that is no source of the account is 404.

use lambda_http::Request;

use crate::domain::list_query::names;
use crate::domain::{Event, EventCursorScope, EventPosition, EventScope};
use crate::http::response::{self, Page};
use crate::http::{Context, HandlerFuture, Outcome, request};
use crate::routes::Endpoint;

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(list_events(cx, req))
}

async fn list_events(cx: &Context<'_>, req: Request) -> Outcome {
    let scope = match cx.endpoint {
        Endpoint::ListEvents => EventScope::Account,
        _ => EventScope::Source(request::source_id(&req)?),
    };
    let query = request::event_query(&req)?;
    let prefix = request::route_prefix(&req);
    let cursors = EventCursorScope {
        account: &cx.account,
        scope: &scope,
    };
    let after = request::cursor(&cursors, query.cursor.as_deref())?;
    let page = cx
        .state
        .store
        .list_events(&cx.account, &scope, query.limit.get(), after.as_ref())
        .await?;
    if let (EventScope::Source(id), true, None) = (&scope, page.events.is_empty(), &after) {
        // Sources written before the audit trail existed have no events; unknown ids are 404.
        cx.state.store.get_source(&cx.account, id).await?;
    }
    let path = match &scope {
        EventScope::Account => format!("{prefix}/events"),
        EventScope::Source(id) => format!("{prefix}/sources/{id}/events"),
    };
    let mut parameters = Vec::new();
    if query.limit_given {
        parameters.push((names::LIMIT, query.limit.get().to_string()));
    }
    response::page(
        cx,
        Page {
            cursors: &cursors,
            items: &page.events,
            next: page.next,
            resume_after: &|last: &Event| EventPosition::after(last, &scope),
            path,
            parameters,
        },
        Event::public,
    )
}
