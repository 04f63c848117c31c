//! `POST /v1/sources`: validates everything, then creates the source and claims its name in one
//! transaction with its audit event (and the idempotency record, when the request has a key:
//! docs/SPEC.md §15); with `?verify=true`, checks the credentials first (§14), unless the key
//! says this is a repeat (one read of its record, only with both). Through the imgix API the body
//! is imgix's document, mapped to the native one first (§24).

use lambda_http::Request;
use lambda_http::http::HeaderValue;
use secrecy::ExposeSecret;
use serde_json::{Map, Value};

use crate::domain::idempotency::IDEMPOTENT_REPLAYED_HEADER;
use crate::domain::{Fingerprint, Invalid, Source, SourceId, SourceInput, ValidationErrors};
use crate::http::sources::{sealed_source, sealing, with_name_check};
use crate::http::verification;
use crate::http::{ApiError, Context, Dialect, HandlerFuture, Outcome, imgix, request, response};
use crate::sealing::SealError;
use crate::store::{Creation, IdempotencyRecord, StoreError};

pub fn handle<'a>(cx: &'a Context<'a>, req: Request) -> HandlerFuture<'a> {
    Box::pin(create_source(cx, req))
}

async fn create_source(cx: &Context<'_>, req: Request) -> Outcome {
    let idempotency_key = request::idempotency_key(&req)?;
    let verify = request::verify_flag(&req)?;
    let body = match cx.dialect {
        Dialect::Native => request::source_object(&req)?,
        // imgix's document, as the native object it maps to (docs/SPEC.md §24).
        Dialect::Imgix => imgix::native_body(&imgix::attributes(&req, None)?, None)?,
    };
    if let Some(source_type) = imgix::requested_type(&body) {
        cx.note_type(source_type);
    }
    let prefix = request::route_prefix(&req);

    let input = SourceInput::from_json(&body);
    let requested_name = input.requested_name();
    let fields = match input.into_new_fields() {
        Ok(fields) => fields,
        Err(errors) => return Err(with_name_check(cx, errors, requested_name, None).await),
    };
    let fingerprint = match &idempotency_key {
        Some(_) => {
            let keys = cx.state.keys().ok_or(SealError::NotConfigured)?;
            Some(Fingerprint::of(
                keys.fingerprint_key().await?.expose_secret(),
                &body,
            ))
        }
        None => None,
    };
    if verify {
        // A repeat answers as the first request did, whatever happened since (docs/SPEC.md §15):
        // the key's record decides before the storage is asked, or the minute's counter is.
        if let Some(key) = &idempotency_key
            && let Some(record) = cx.state.store.idempotency_record(&cx.account, key).await?
        {
            return answer_repeat(cx, &record, fingerprint.as_ref(), &body, prefix).await;
        }
        verification::verified(cx, None, &fields).await?;
    }
    let source = Source::new(cx.account.clone(), fields);
    // The secrets are sealed once the request is known to be valid (and verified): one KMS
    // request, and the table never sees them in clear (docs/SPEC.md §21).
    let sealed = sealing(cx, &source.id, &source.fields.credentials).await?;
    let source = sealed_source(source, &sealed).ok_or(SealError::Unsealed)?;
    let idempotency = idempotency_key.as_ref().zip(fingerprint.as_ref());
    match cx
        .state
        .store
        .create_source(&source, idempotency, &cx.actor)
        .await?
    {
        Creation::Created => Ok(response::created(cx, &source, prefix)),
        Creation::KeyUsed(record) => {
            answer_repeat(cx, &record, fingerprint.as_ref(), &body, prefix).await
        }
    }
}

/// A create whose key was used already: with the same body, the first answer again; with another,
/// 422.
async fn answer_repeat(
    cx: &Context<'_>,
    record: &IdempotencyRecord,
    fingerprint: Option<&Fingerprint>,
    body: &Map<String, Value>,
    prefix: &str,
) -> Outcome {
    if fingerprint.is_some_and(|f| record.fingerprint.matches(f, body)) {
        replay(cx, &record.source_id, prefix).await
    } else {
        Err(ApiError::Validation(ValidationErrors(vec![
            Invalid::IdempotencyKeyReused,
        ])))
    }
}

/// The answer to a create repeated with its idempotency key and body: the same status and the
/// same source, as it is now, marked `Idempotent-Replayed: true`; a source deleted since is 404,
/// marked the same way.
async fn replay(cx: &Context<'_>, id: &SourceId, prefix: &str) -> Outcome {
    let request_id = cx.request_id();
    let mut response = match cx.state.store.get_source(&cx.account, id).await {
        Ok(source) => response::created(cx, &source, prefix),
        Err(StoreError::NotFound) => response::error(ApiError::SourceNotFound, request_id),
        Err(err) => return Err(err.into()),
    };
    response
        .headers_mut()
        .insert(IDEMPOTENT_REPLAYED_HEADER, HeaderValue::from_static("true"));
    Ok(response)
}
