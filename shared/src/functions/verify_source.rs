//! `POST /v1/sources/{id}/verify` (docs/SPEC.md §14): reaches the source's storage as the CDN
//! would and reports what it found. 1 read, 1 counter update, the storage's own calls, then the
//! source's health (docs/SPEC.md §22): 1 conditional write that leaves `version`, the ETag and
//! `updated_at` alone, with a `health_changed` event in its transaction when the status changed.
//! The body, optional, names an object to fetch as the CDN would: `{"path": "/photos/cat.jpg"}`
//! (§25), reported as a check of its own.

use lambda_http::Request;
use lambda_http::http::StatusCode;

use crate::domain::{Actor, ObjectPath, Timestamp};
use crate::http::verification;
use crate::http::{ApiError, Context, HandlerFuture, Outcome, json_response, request};

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(verify_source(cx, req))
}

async fn verify_source(cx: &Context<'_>, req: Request) -> Outcome {
    let id = request::source_id(&req)?;
    let body = request::json_object(&req)?;
    let source = cx.state.store.get_source(&cx.account, &id).await?;
    // Refused before the minute's counter moves: a mistake costs no verification.
    let object = ObjectPath::from_body(body.as_ref()).map_err(ApiError::Validation)?;
    let verification =
        verification::counted(cx, Some(&id), &source.fields, object.as_ref()).await?;
    // A client's check is a check like the scheduled ones: its result is the source's health,
    // recorded by the system (the event carries this request's id). A write that came in
    // meanwhile wins, and the result, which says nothing of it, is not recorded.
    // The client asked for the verification, and gets it even when the health cannot be
    // written (DynamoDB failing): a 503 would only make it verify again.
    let system = Actor::system(cx.request_id());
    let now = Timestamp::now();
    let recorded = cx
        .state
        .store
        .record_health(&source, verification.health(now), now, &system)
        .await;
    if let Err(err) = recorded {
        tracing::error!(request_id = %cx.request_id(), source_id = %id, error = %err, "the verification's health could not be written");
    }
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "verification": verification }),
        cx.request_id(),
    ))
}
