//! The credential check of docs/SPEC.md §14 as the endpoints use it: counted against the
//! account's minute, logged by its outcome, and for `?verify=true` turned into a 422.

use super::sources::opened;
use crate::domain::{Invalid, ObjectPath, SourceFields, SourceId, ValidationErrors};
use crate::http::{ApiError, Context};
use crate::store::RateDecision;
use crate::verify::{Status, Verification};

/// `?verify=true`: the credentials of `fields` (of source `id`, `None` for a source not created
/// yet, whose secrets are all in clear) pass, or the request is 422
/// `Credentials could not be verified: <message>` and nothing is written. An inconclusive result
/// passes: the storage answered, and the credentials were not refused.
pub(crate) async fn verified(
    cx: &Context<'_>,
    id: Option<&SourceId>,
    fields: &SourceFields,
) -> Result<(), ApiError> {
    let verification = counted(cx, id, fields, None).await?;
    match verification.status {
        Status::Failed => Err(ApiError::Validation(ValidationErrors(vec![
            Invalid::CredentialsNotVerified(verification.message().unwrap_or_default().to_owned()),
        ]))),
        Status::Ok | Status::Inconclusive => Ok(()),
    }
}

/// One verification of `fields`' credentials (of source `id`), with the object check when
/// `object` names one (docs/SPEC.md §25), counted against the account's minute first (429 when
/// it is used up), its sealed secrets opened then (so the minute's limit bounds the KMS requests
/// too; a secret that does not open is 500, the reason logged: docs/SPEC.md §21), logged by its
/// outcome.
pub(crate) async fn counted(
    cx: &Context<'_>,
    id: Option<&SourceId>,
    fields: &SourceFields,
    object: Option<&ObjectPath>,
) -> Result<Verification, ApiError> {
    match cx.state.store.count_verification(&cx.account).await? {
        RateDecision::Allowed => {}
        RateDecision::Limited {
            retry_after_seconds,
        } => {
            return Err(ApiError::TooManyVerifications {
                retry_after_seconds,
            });
        }
    }
    // A proxy's check answers without its secrets (docs/SPEC.md §25): nothing to open.
    let fields = match id {
        Some(id) if fields.source_type.has_storage() => opened(cx, id, fields).await?,
        _ => fields.clone(),
    };
    let verification = cx
        .state
        .verifier
        .verify_with_object(fields.source_type, &fields.credentials, object)
        .await;
    // The outcome's code, never its message's inputs (the credentials).
    tracing::info!(
        request_id = %cx.request_id(),
        status = verification.status.as_str(),
        error = verification.error.as_ref().map_or("none", |e| e.code.as_str()),
        latency_ms = verification.latency_ms,
        "verification"
    );
    Ok(verification)
}
