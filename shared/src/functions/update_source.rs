//! `PATCH /v1/sources/{id}`: merges, validates the whole result, writes only if something changed
//! (docs/SPEC.md §5, §7); with `?verify=true`, checks the resulting credentials before the write
//! is attempted (§14). Secrets the body sets are sealed before the write; kept ones keep their
//! ciphertext (§21). Through the imgix API the body is imgix's document, mapped against the
//! stored source on each attempt (§24).

use std::borrow::Cow;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::{Map, Value};

use crate::domain::imgix as imgix_mapping;
use crate::domain::{
    Action, Source, SourceFields, SourceInput, SourceName, ValidationErrors, fields,
};
use crate::http::sources::{sealed_source, sealing, with_name_check};
use crate::http::verification;
use crate::http::{ApiError, Context, Dialect, HandlerFuture, Outcome, imgix, request, response};
use crate::sealing::SealError;
use crate::store::{SourceWrite, StoreError, Updated};

/// How many times an update merges, checks (`?verify=true`: each check counts against the
/// account's minute) and seals credentials that a concurrent write keeps changing before it
/// gives up with 503.
const MAX_MERGE_ATTEMPTS: u32 = 3;

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(update_source(cx, req))
}

async fn update_source(cx: &Context<'_>, req: Request) -> Outcome {
    let id = request::source_id(&req)?;
    let verify = request::verify_flag(&req)?;
    let expected = request::if_match(&req);
    let body = match cx.dialect {
        Dialect::Native => Body::Native(request::source_object(&req)?),
        Dialect::Imgix => Body::Imgix(imgix::attributes(&req, Some(&id))?),
    };
    let write = cx.write(&id, &expected, Action::Updated);
    match merged_update(cx, &write, &body, verify).await {
        Ok(updated) => Ok(response::source(cx, StatusCode::OK, &updated.source)),
        Err(Refusal::Invalid(errors)) => {
            Err(with_name_check(cx, errors, body.requested_name(), Some(&id)).await)
        }
        Err(Refusal::Api(err)) => Err(err),
        Err(Refusal::Store(err)) => Err(err.into()),
        Err(Refusal::CredentialsChanged) => Err(StoreError::Contention.into()),
    }
}

/// An update's body: the native `source` object, or imgix's attributes (docs/SPEC.md §24), which
/// map to a native object only against the stored source (imgix merges `deployment` key by
/// key; ours replaces the objects it groups those keys in).
enum Body {
    Native(Map<String, Value>),
    Imgix(Map<String, Value>),
}

impl Body {
    /// The native `source` object this body sets on `stored`.
    fn native_for(&self, stored: &SourceFields) -> Result<Cow<'_, Map<String, Value>>, Refusal> {
        match self {
            Body::Native(body) => Ok(Cow::Borrowed(body)),
            Body::Imgix(attributes) => imgix::native_body(attributes, Some(stored))
                .map(Cow::Owned)
                .map_err(Refusal::Api),
        }
    }

    /// The name the body asks for, for the name check of a 422.
    fn requested_name(&self) -> Option<SourceName> {
        let name = match self {
            Body::Native(body) => body.get(fields::SOURCE),
            Body::Imgix(attributes) => attributes.get(imgix_mapping::NAME),
        };
        name.and_then(Value::as_str)
            .and_then(|n| SourceName::parse(n).ok())
    }
}

/// Why an update wrote nothing.
enum Refusal {
    /// The merged source breaks the rules (422, with the name check).
    Invalid(ValidationErrors),
    Store(StoreError),
    /// The credential check's answer (422, 429), its counter's failure, or the key service's.
    Api(ApiError),
    /// A concurrent write changed what the merge gives for the credentials since they were
    /// checked or sealed: merge, check and seal again before writing.
    CredentialsChanged,
}

impl From<StoreError> for Refusal {
    fn from(err: StoreError) -> Self {
        Refusal::Store(err)
    }
}

impl From<SealError> for Refusal {
    fn from(err: SealError) -> Self {
        Refusal::Api(err.into())
    }
}

/// The stored fields with the body merged in, the whole result validated.
fn merged(body: &Body, stored: &Source) -> Result<SourceFields, Refusal> {
    merged_native(&*body.native_for(&stored.fields)?, stored)
}

/// [`merged`] for a body already mapped to the native object it sets on `stored`.
fn merged_native(native: &Map<String, Value>, stored: &Source) -> Result<SourceFields, Refusal> {
    SourceInput::from_json(native)
        .apply_to(&stored.fields)
        .map_err(Refusal::Invalid)
}

/// Read, merge (422), with `?verify=true` check the merged credentials (the source as stored when
/// the body changes nothing; kept secrets opened for it), seal the secrets the body sets (one KMS
/// request, none when it sets none), then write from that read. A failed check writes nothing.
/// Should a concurrent write change the merged credentials before ours lands, they are checked
/// and sealed again.
async fn merged_update(
    cx: &Context<'_>,
    write: &SourceWrite<'_>,
    body: &Body,
    verify: bool,
) -> Result<Updated, Refusal> {
    for _ in 0..MAX_MERGE_ATTEMPTS {
        let stored = cx.state.store.get_source(write.account, write.id).await?;
        if !write.expected.allows(stored.version) {
            return Err(StoreError::VersionMismatch.into());
        }
        let native = body.native_for(&stored.fields)?;
        // A problem is named for the type the result has (the body's, else the stored one).
        cx.note_type(imgix::requested_type(&native).unwrap_or(stored.fields.source_type));
        let checked = merged_native(&native, &stored)?;
        if verify {
            verification::verified(cx, Some(write.id), &checked)
                .await
                .map_err(Refusal::Api)?;
        }
        let sealed = sealing(cx, write.id, &checked.credentials).await?;
        let written = cx
            .state
            .store
            .update_source(write, Some(stored), |current| {
                let fields = merged(body, current)?;
                if verify
                    && (fields.source_type != checked.source_type
                        || fields.credentials != checked.credentials)
                {
                    return Err(Refusal::CredentialsChanged);
                }
                match current.with_fields(fields) {
                    None => Ok(None),
                    Some(next) => sealed_source(next, &sealed)
                        .map(Some)
                        .ok_or(Refusal::CredentialsChanged),
                }
            })
            .await;
        match written {
            Err(Refusal::CredentialsChanged) => {}
            other => return other,
        }
    }
    Err(Refusal::CredentialsChanged)
}
