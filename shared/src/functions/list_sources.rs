//! `GET /v1/sources`: one page of the account's sources (docs/SPEC.md §11), a JSON array, with
//! `Link: <...>; rel="next"` when more may follow.

use lambda_http::Request;

use crate::domain::list_query::ClaimLookup;
use crate::domain::{CursorScope, Position, Source};
use crate::http::response::{self, Page};
use crate::http::{Context, Dialect, HandlerFuture, Outcome, imgix, request};
use crate::store::PageRequest;

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(list_sources(cx, req))
}

async fn list_sources(cx: &Context<'_>, req: Request) -> Outcome {
    if cx.dialect == Dialect::Imgix {
        // imgix's offset paging (docs/SPEC.md §24): the account's sources, read in full (its
        // size, never the table's), filtered, sorted and counted here.
        let query = imgix::ListQuery::of(&req)?;
        let sources = cx.state.store.list_sources(&cx.account).await?;
        return imgix::list(&sources, &query, cx.view(), cx.request_id());
    }
    let query = request::list_query(&req)?;
    let prefix = request::route_prefix(&req);
    let cursors = CursorScope {
        account: &cx.account,
        sort: query.sort,
        filter: &query.filter,
    };
    let after = request::cursor(&cursors, query.cursor.as_deref())?;
    // `name`, `custom_domain` and `subdomain` each name one source through its claim: 2 reads,
    // one page of 0 or 1 (docs/SPEC.md §23, §25), the other parameters applied to it.
    if let Some(lookup) = query.claim_lookup() {
        let store = &cx.state.store;
        let found = match lookup {
            ClaimLookup::Name(name) => store.source_by_exact_name(&cx.account, name).await?,
            ClaimLookup::Served(served) => {
                store.source_by_served_name(&cx.account, &served).await?
            }
        };
        let sources: Vec<Source> = found
            .into_iter()
            .filter(|s| query.admits_claimed(s))
            .collect();
        return response::page(
            cx,
            Page {
                cursors: &cursors,
                items: &sources,
                next: None,
                resume_after: &|last: &Source| Position::after(last, query.sort),
                path: format!("{prefix}/sources"),
                parameters: query.link_parameters(),
            },
            |s| s.public(cx.view()),
        );
    }
    let page = cx
        .state
        .store
        .list_page(
            &cx.account,
            &PageRequest {
                sort: query.sort,
                filter: &query.filter,
                limit: query.limit.get(),
                after,
            },
        )
        .await?;
    response::page(
        cx,
        Page {
            cursors: &cursors,
            items: &page.sources,
            next: page.next,
            resume_after: &|last: &Source| Position::after(last, query.sort),
            path: format!("{prefix}/sources"),
            parameters: query.link_parameters(),
        },
        |s| s.public(cx.view()),
    )
}
