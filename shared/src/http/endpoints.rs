//! One function per endpoint: the code each Lambda function and the local gateway run. Each takes
//! its request already read ([`EndpointInput`]).

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde_json::{Map, Value};

use super::error::{ApiError, json_response, json_text_response};
use super::request::EndpointInput;
use crate::AppState;
use crate::domain::idempotency::IDEMPOTENT_REPLAYED_HEADER;
use crate::domain::list_query::names;
use crate::domain::{
    AccountId, Action, Actor, CursorScope, Event, EventCursorScope, EventPosition, EventQuery,
    EventScope, Fingerprint, GracePeriod, IdempotencyKey, Invalid, ListQuery, Position, Source,
    SourceFields, SourceId, SourceInput, SourceName, Timestamp, ValidationErrors, VersionMatch,
};
use crate::store::{CreateOutcome, PageRequest, RateDecision, StoreError};
use crate::verify::{Status as VerificationStatus, Verification};

type Outcome = Result<Response<Body>, ApiError>;

/// Lambda refuses a function response over 6 MB, and API Gateway then answers 502. A page stops
/// adding sources before its body, as the response payload will hold it (a JSON string, so every
/// `"` and `\` doubles), passes this, which leaves more than 1 MB for the headers and the rest.
pub const MAX_PAGE_PAYLOAD_BYTES: usize = 5 * 1024 * 1024;

/// Runs the endpoint `input` was read for.
pub async fn run(
    state: &AppState,
    account: &AccountId,
    actor: &Actor,
    input: EndpointInput,
) -> Outcome {
    let request_id = actor.request_id.as_str();
    match input {
        EndpointInput::List { query, prefix } => {
            list_sources(state, account, &query, prefix, request_id).await
        }
        EndpointInput::Get { id } => get_source(state, account, &id, request_id).await,
        EndpointInput::Create {
            body,
            idempotency_key,
            verify,
            prefix,
        } => {
            create_source(
                state,
                account,
                actor,
                &body,
                (idempotency_key.as_ref(), verify),
                prefix,
            )
            .await
        }
        EndpointInput::Update {
            id,
            expected,
            body,
            verify,
        } => update_source(state, account, actor, &id, &expected, &body, verify).await,
        EndpointInput::Verify { id } => verify_source(state, account, &id, request_id).await,
        EndpointInput::Delete { id, expected } => {
            delete_source(state, account, actor, &id, &expected).await
        }
        EndpointInput::Rotate { id, expected, body } => {
            rotate_secret_token(state, account, actor, &id, &expected, body.as_ref()).await
        }
        EndpointInput::Events {
            scope,
            query,
            prefix,
        } => list_events(state, account, &scope, &query, prefix, request_id).await,
    }
}

/// `GET /v1/sources`: one page of the account's sources (SPEC §11), a JSON array, with
/// `Link: <...>; rel="next"` when more may follow.
pub async fn list_sources(
    state: &AppState,
    account: &AccountId,
    query: &ListQuery,
    prefix: &str,
    request_id: &str,
) -> Outcome {
    let scope = CursorScope {
        account,
        sort: query.sort,
        filter: &query.filter,
    };
    let after = query
        .cursor
        .as_deref()
        .map(|raw| scope.decode(raw))
        .transpose()
        .map_err(ApiError::InvalidParameter)?;
    let page = state
        .store
        .list_page(
            account,
            &PageRequest {
                sort: query.sort,
                filter: &query.filter,
                limit: query.limit.get(),
                after,
            },
        )
        .await?;
    let (body, kept) = json_page(page.sources.iter().map(Source::public))?;
    // Cut short by the payload budget: resume after the last source this page holds.
    let next = if kept < page.sources.len() {
        page.sources[..kept]
            .last()
            .map(|last| Position::after(last, query.sort))
    } else {
        page.next
    };
    let mut response = json_text_response(StatusCode::OK, body, request_id);
    if let Some(next) = next {
        let mut parameters = query.link_parameters();
        parameters.push((names::CURSOR, scope.encode(&next)));
        insert_link(&mut response, &format!("{prefix}/sources"), &parameters);
    }
    Ok(response)
}

/// `GET /v1/sources/{id}/events` and `GET /v1/events` (SPEC §17): one page of events, newest
/// first, with `Link` while more may follow. A source's events stay readable after its deletion;
/// an id with no events that is no source of the account is 404.
pub async fn list_events(
    state: &AppState,
    account: &AccountId,
    scope: &EventScope,
    query: &EventQuery,
    prefix: &str,
    request_id: &str,
) -> Outcome {
    let cursors = EventCursorScope { account, scope };
    let after = query
        .cursor
        .as_deref()
        .map(|raw| cursors.decode(raw))
        .transpose()
        .map_err(ApiError::InvalidParameter)?;
    let page = state
        .store
        .list_events(account, scope, query.limit.get(), after.as_ref())
        .await?;
    if let (EventScope::Source(id), true, None) = (scope, page.events.is_empty(), &after) {
        // Sources written before the audit trail existed have no events; unknown ids are 404.
        state.store.get_source(account, id).await?;
    }
    let (body, kept) = json_page(page.events.iter().map(Event::public))?;
    let next = if kept < page.events.len() {
        page.events[..kept]
            .last()
            .map(|last| EventPosition::after(last, scope))
    } else {
        page.next
    };
    let mut response = json_text_response(StatusCode::OK, body, request_id);
    if let Some(next) = next {
        let path = match scope {
            EventScope::Account => format!("{prefix}/events"),
            EventScope::Source(id) => format!("{prefix}/sources/{id}/events"),
        };
        let mut parameters = Vec::new();
        if query.limit_given {
            parameters.push((names::LIMIT, query.limit.get().to_string()));
        }
        parameters.push((names::CURSOR, cursors.encode(&next)));
        insert_link(&mut response, &path, &parameters);
    }
    Ok(response)
}

/// A JSON array of `items` for a page, stopping before the body, as the response payload will
/// hold it, passes [`MAX_PAGE_PAYLOAD_BYTES`] (at least one item, so that a walk always moves
/// on). Returns the body and how many items it holds.
fn json_page<T: serde::Serialize>(
    items: impl Iterator<Item = T>,
) -> Result<(String, usize), ApiError> {
    let mut body = String::from("[");
    let mut payload_bytes = 0;
    let mut kept = 0;
    for item in items {
        let json = serde_json::to_string(&item).map_err(|_| ApiError::Internal(None))?;
        let cost = payload_len(&json) + 1;
        if kept > 0 && payload_bytes + cost > MAX_PAGE_PAYLOAD_BYTES {
            break;
        }
        if kept > 0 {
            body.push(',');
        }
        body.push_str(&json);
        payload_bytes += cost;
        kept += 1;
    }
    body.push(']');
    Ok((body, kept))
}

/// `Link: <path?parameters>; rel="next"` (RFC 8288).
fn insert_link(response: &mut Response<Body>, path: &str, parameters: &[(&str, String)]) {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in parameters {
        query.append_pair(name, value);
    }
    let link = format!("<{path}?{}>; rel=\"next\"", query.finish());
    if let Ok(value) = HeaderValue::from_str(&link) {
        response.headers_mut().insert(header::LINK, value);
    }
}

/// The bytes `json` takes inside the Lambda response payload, where it is a JSON string.
fn payload_len(json: &str) -> usize {
    json.len() + json.bytes().filter(|b| matches!(b, b'"' | b'\\')).count()
}

/// `GET /v1/sources/{id}`.
pub async fn get_source(
    state: &AppState,
    account: &AccountId,
    id: &SourceId,
    request_id: &str,
) -> Outcome {
    let source = state.store.get_source(account, id).await?;
    Ok(source_response(StatusCode::OK, &source, request_id))
}

/// `POST /v1/sources`: validates everything, then creates the source and claims its name at once
/// (with the idempotency record, when the request has a key: SPEC §15).
pub async fn create_source(
    state: &AppState,
    account: &AccountId,
    actor: &Actor,
    body: &Map<String, Value>,
    (idempotency_key, verify): (Option<&IdempotencyKey>, bool),
    prefix: &str,
) -> Outcome {
    let request_id = actor.request_id.as_str();
    let input = SourceInput::from_json(body);
    let requested_name = input.requested_name();
    let fields = match input.into_new_fields() {
        Ok(fields) => fields,
        Err(errors) => return Err(with_name_check(state, errors, requested_name, None).await),
    };
    if verify {
        verified(state, account, &fields, request_id).await?;
    }
    let source = Source::new(account.clone(), fields);
    let fingerprint = idempotency_key.map(|_| Fingerprint::of(body));
    let idempotency = idempotency_key.zip(fingerprint.as_ref());
    match state
        .store
        .create_source(&source, idempotency, actor)
        .await?
    {
        CreateOutcome::Created => Ok(created_response(&source, prefix, request_id)),
        CreateOutcome::KeyUsed(record) if Some(&record.fingerprint) == fingerprint.as_ref() => {
            replay(state, account, &record.source_id, prefix, request_id).await
        }
        CreateOutcome::KeyUsed(_) => Err(ApiError::Validation(ValidationErrors(vec![
            Invalid::IdempotencyKeyReused,
        ]))),
    }
}

/// The answer to a create repeated with its idempotency key and body: the same status and the
/// same source, as it is now, marked `Idempotent-Replayed: true`; a source deleted since is 404,
/// marked the same way.
async fn replay(
    state: &AppState,
    account: &AccountId,
    id: &SourceId,
    prefix: &str,
    request_id: &str,
) -> Outcome {
    let mut response = match state.store.get_source(account, id).await {
        Ok(source) => created_response(&source, prefix, request_id),
        Err(StoreError::NotFound) => ApiError::SourceNotFound.into_response(request_id),
        Err(err) => return Err(err.into()),
    };
    response
        .headers_mut()
        .insert(IDEMPOTENT_REPLAYED_HEADER, HeaderValue::from_static("true"));
    Ok(response)
}

fn created_response(source: &Source, prefix: &str, request_id: &str) -> Response<Body> {
    let mut response = source_response(StatusCode::CREATED, source, request_id);
    let location = format!("{prefix}/sources/{}", source.id);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `PATCH /v1/sources/{id}`: merges, validates the whole result, writes only if something changed;
/// with `?verify=true`, checks the resulting credentials first (SPEC §14).
pub async fn update_source(
    state: &AppState,
    account: &AccountId,
    actor: &Actor,
    id: &SourceId,
    expected: &VersionMatch,
    body: &Map<String, Value>,
    verify: bool,
) -> Outcome {
    let request_id = actor.request_id.as_str();
    let requested_name = SourceInput::from_json(body).requested_name();
    let outcome = state
        .store
        .update_source_checked(
            account,
            id,
            expected,
            (Action::Updated, actor),
            |stored| {
                let fields = SourceInput::from_json(body)
                    .apply_to(&stored.fields)
                    .map_err(ApiError::Validation)?;
                Ok(stored.with_fields(fields))
            },
            |source| {
                // The check's future outlives the borrow of the source read: it owns a copy.
                let fields = verify.then(|| source.fields.clone());
                Box::pin(async move {
                    match fields {
                        Some(fields) => verified(state, account, &fields, request_id).await,
                        None => Ok(()),
                    }
                })
            },
        )
        .await?;
    match outcome.result {
        Ok(source) => Ok(source_response(StatusCode::OK, &source, request_id)),
        Err(ApiError::Validation(errors)) => {
            Err(with_name_check(state, errors, requested_name, Some(id)).await)
        }
        Err(other) => Err(other),
    }
}

/// `POST /v1/sources/{id}/verify` (SPEC §14): reaches the source's storage as the CDN would and
/// reports what it found; changes nothing but the account's rate counter. 1 read, 1 counter
/// update, then the storage's own calls.
pub async fn verify_source(
    state: &AppState,
    account: &AccountId,
    id: &SourceId,
    request_id: &str,
) -> Outcome {
    let source = state.store.get_source(account, id).await?;
    let verification = counted_verification(state, account, &source.fields, request_id).await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "verification": verification }),
        request_id,
    ))
}

/// `?verify=true`: the credentials of `fields` pass, or the request is 422 `Credentials could not
/// be verified: <message>` and nothing is written. An inconclusive result passes: the storage
/// answered, and the credentials were not refused.
async fn verified(
    state: &AppState,
    account: &AccountId,
    fields: &SourceFields,
    request_id: &str,
) -> Result<(), ApiError> {
    let verification = counted_verification(state, account, fields, request_id).await?;
    match verification.status {
        VerificationStatus::Failed => Err(ApiError::Validation(ValidationErrors(vec![
            Invalid::CredentialsNotVerified(verification.message().unwrap_or_default().to_owned()),
        ]))),
        VerificationStatus::Ok | VerificationStatus::Inconclusive => Ok(()),
    }
}

/// One verification of `fields`' credentials, counted against the account's minute first (429
/// when it is used up), logged by its outcome.
async fn counted_verification(
    state: &AppState,
    account: &AccountId,
    fields: &SourceFields,
    request_id: &str,
) -> Result<Verification, ApiError> {
    count_verification(state, account).await?;
    let verification = state
        .verifier
        .verify(fields.source_type, &fields.credentials)
        .await;
    log_verification(&verification, request_id);
    Ok(verification)
}

async fn count_verification(state: &AppState, account: &AccountId) -> Result<(), ApiError> {
    match state.store.count_verification(account).await? {
        RateDecision::Allowed => Ok(()),
        RateDecision::Limited {
            retry_after_seconds,
        } => Err(ApiError::TooManyVerifications {
            retry_after_seconds,
        }),
    }
}

/// The outcome's code, never its message's inputs (the credentials).
fn log_verification(verification: &Verification, request_id: &str) {
    tracing::info!(
        request_id = %request_id,
        status = ?verification.status,
        error = ?verification.error.as_ref().map(|e| e.code),
        latency_ms = verification.latency_ms,
        "verification"
    );
}

/// `DELETE /v1/sources/{id}`: removes the source and frees its name; touches no stored image.
pub async fn delete_source(
    state: &AppState,
    account: &AccountId,
    actor: &Actor,
    id: &SourceId,
    expected: &VersionMatch,
) -> Outcome {
    let request_id = actor.request_id.as_str();
    state
        .store
        .delete_source(account, id, expected, actor)
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({}),
        request_id,
    ))
}

/// `POST /v1/sources/{id}/rotate_secret_token` (SPEC §13): a new signing token; the current one
/// keeps signing for the grace period. One read and one write conditional on its version.
pub async fn rotate_secret_token(
    state: &AppState,
    account: &AccountId,
    actor: &Actor,
    id: &SourceId,
    expected: &VersionMatch,
    body: Option<&Map<String, Value>>,
) -> Outcome {
    let request_id = actor.request_id.as_str();
    // Read inside the update, as a PATCH's body is: a missing source (404) and a stale
    // If-Match (412) come before the body's rules (422).
    let outcome = state
        .store
        .update_source(
            account,
            id,
            expected,
            (Action::SecretTokenRotated, actor),
            |stored| {
                let grace = GracePeriod::from_body(body)?;
                Ok::<_, ValidationErrors>(Some(stored.rotated(grace.seconds(), Timestamp::now())))
            },
        )
        .await?;
    let source = outcome.result.map_err(ApiError::Validation)?;
    Ok(source_response(StatusCode::OK, &source, request_id))
}

fn source_response(status: StatusCode, source: &Source, request_id: &str) -> Response<Body> {
    let mut response = json_response(status, &source.public(), request_id);
    if let Ok(etag) = HeaderValue::from_str(&source.etag()) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// A request with other mistakes may also ask for a taken name: say so in the same answer, as the
/// reference API does. Costs one read, on the error path only.
async fn with_name_check(
    state: &AppState,
    mut errors: ValidationErrors,
    requested_name: Option<SourceName>,
    source: Option<&SourceId>,
) -> ApiError {
    if let Some(name) = requested_name {
        match state.store.name_taken(&name, source).await {
            Ok(true) => errors.0.push(Invalid::NameTaken),
            Ok(false) => {}
            Err(err) => return err.into(),
        }
    }
    ApiError::Validation(errors)
}
