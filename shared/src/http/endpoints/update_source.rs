//! `PATCH /v1/sources/{id}`: merges, validates the whole result, writes only if something changed
//! (docs/SPEC.md §5, §7); with `?verify=true`, checks the resulting credentials before the write
//! is attempted (§14).

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::{Map, Value};

use super::{verification, with_name_check};
use crate::domain::{Action, Source, SourceFields, SourceInput, ValidationErrors};
use crate::http::{ApiError, Context, HandlerFuture, Outcome, request, response};
use crate::store::{SourceWrite, StoreError, Updated};

/// How many times a `?verify=true` update checks credentials that a concurrent write keeps
/// changing before it gives up with 503 (each check counts against the account's minute).
const MAX_VERIFIED_ATTEMPTS: u32 = 3;

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(update_source(cx, req))
}

async fn update_source(cx: &Context<'_>, req: Request) -> Outcome {
    let id = request::source_id(&req)?;
    let verify = request::verify_flag(&req)?;
    let expected = request::if_match(&req);
    let body = request::source_object(&req)?;
    let write = cx.write(&id, &expected, Action::Updated);
    let updated = if verify {
        verified_update(cx, &write, &body).await
    } else {
        cx.state
            .store
            .update_source(&write, None, |stored| {
                Ok(stored.with_fields(merged(&body, stored)?))
            })
            .await
    };
    match updated {
        Ok(updated) => Ok(response::source(
            StatusCode::OK,
            &updated.source,
            cx.request_id(),
        )),
        Err(Refusal::Invalid(errors)) => {
            let requested_name = SourceInput::from_json(&body).requested_name();
            Err(with_name_check(cx, errors, requested_name, Some(&id)).await)
        }
        Err(Refusal::Api(err)) => Err(err),
        Err(Refusal::Store(err)) => Err(err.into()),
        Err(Refusal::CredentialsChanged) => Err(StoreError::Contention.into()),
    }
}

/// Why an update wrote nothing.
enum Refusal {
    /// The merged source breaks the rules (422, with the name check).
    Invalid(ValidationErrors),
    Store(StoreError),
    /// The credential check's answer (422, 429) or its counter's failure.
    Api(ApiError),
    /// A concurrent write changed what the merge gives for the credentials since they were
    /// checked: check again before writing.
    CredentialsChanged,
}

impl From<StoreError> for Refusal {
    fn from(err: StoreError) -> Self {
        Refusal::Store(err)
    }
}

/// The stored fields with the body merged in, the whole result validated.
fn merged(body: &Map<String, Value>, stored: &Source) -> Result<SourceFields, Refusal> {
    SourceInput::from_json(body)
        .apply_to(&stored.fields)
        .map_err(Refusal::Invalid)
}

/// `?verify=true`: read, merge, check the merged credentials (the source as stored when the body
/// changes nothing), then write from that read. A failed check writes nothing. Should a
/// concurrent write change the merged credentials before ours lands, they are checked again.
async fn verified_update(
    cx: &Context<'_>,
    write: &SourceWrite<'_>,
    body: &Map<String, Value>,
) -> Result<Updated, Refusal> {
    for _ in 0..MAX_VERIFIED_ATTEMPTS {
        let stored = cx.state.store.get_source(write.account, write.id).await?;
        if !write.expected.allows(stored.version) {
            return Err(StoreError::VersionMismatch.into());
        }
        let checked = merged(body, &stored)?;
        verification::verified(cx, &checked)
            .await
            .map_err(Refusal::Api)?;
        let written = cx
            .state
            .store
            .update_source(write, Some(stored), |current| {
                let fields = merged(body, current)?;
                if fields.source_type != checked.source_type
                    || fields.credentials != checked.credentials
                {
                    return Err(Refusal::CredentialsChanged);
                }
                Ok(current.with_fields(fields))
            })
            .await;
        match written {
            Err(Refusal::CredentialsChanged) => {}
            other => return other,
        }
    }
    Err(Refusal::CredentialsChanged)
}
