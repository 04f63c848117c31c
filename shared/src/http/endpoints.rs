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
    AccountId, CursorScope, Fingerprint, GracePeriod, IdempotencyKey, Invalid, ListQuery, Position,
    Source, SourceId, SourceInput, SourceName, Timestamp, ValidationErrors, VersionMatch,
};
use crate::store::{CreateOutcome, PageRequest, StoreError};

type Outcome = Result<Response<Body>, ApiError>;

/// Lambda refuses a function response over 6 MB, and API Gateway then answers 502. A page stops
/// adding sources before its body, as the response payload will hold it (a JSON string, so every
/// `"` and `\` doubles), passes this, which leaves more than 1 MB for the headers and the rest.
pub const MAX_PAGE_PAYLOAD_BYTES: usize = 5 * 1024 * 1024;

/// Runs the endpoint `input` was read for.
pub async fn run(
    state: &AppState,
    account: &AccountId,
    input: EndpointInput,
    request_id: &str,
) -> Outcome {
    match input {
        EndpointInput::List { query, prefix } => {
            list_sources(state, account, &query, prefix, request_id).await
        }
        EndpointInput::Get { id } => get_source(state, account, &id, request_id).await,
        EndpointInput::Create {
            body,
            idempotency_key,
            prefix,
        } => {
            create_source(
                state,
                account,
                &body,
                idempotency_key.as_ref(),
                prefix,
                request_id,
            )
            .await
        }
        EndpointInput::Update { id, expected, body } => {
            update_source(state, account, &id, &expected, &body, request_id).await
        }
        EndpointInput::Delete { id, expected } => {
            delete_source(state, account, &id, &expected, request_id).await
        }
        EndpointInput::Rotate { id, expected, body } => {
            rotate_secret_token(state, account, &id, &expected, body.as_ref(), request_id).await
        }
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
    let mut body = String::from("[");
    let mut payload_bytes = 0;
    let mut kept = 0;
    for source in &page.sources {
        let json = serde_json::to_string(&source.public()).map_err(|_| ApiError::Internal(None))?;
        let cost = payload_len(&json) + 1;
        // At least one source per page, so that a walk always moves on.
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
        let link = next_link(prefix, query, &scope.encode(&next));
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// The bytes `json` takes inside the Lambda response payload, where it is a JSON string.
fn payload_len(json: &str) -> usize {
    json.len() + json.bytes().filter(|b| matches!(b, b'"' | b'\\')).count()
}

/// `<PREFIX/sources?...&cursor=...>; rel="next"` (RFC 8288), repeating the request's parameters.
fn next_link(prefix: &str, query: &ListQuery, cursor: &str) -> String {
    let mut parameters = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in query.link_parameters() {
        parameters.append_pair(name, &value);
    }
    parameters.append_pair(names::CURSOR, cursor);
    format!("<{prefix}/sources?{}>; rel=\"next\"", parameters.finish())
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
    body: &Map<String, Value>,
    idempotency_key: Option<&IdempotencyKey>,
    prefix: &str,
    request_id: &str,
) -> Outcome {
    let input = SourceInput::from_json(body);
    let requested_name = input.requested_name();
    let fields = match input.into_new_fields() {
        Ok(fields) => fields,
        Err(errors) => return Err(with_name_check(state, errors, requested_name, None).await),
    };
    let source = Source::new(account.clone(), fields);
    let fingerprint = idempotency_key.map(|_| Fingerprint::of(body));
    let idempotency = idempotency_key.zip(fingerprint.as_ref());
    match state.store.create_source(&source, idempotency).await? {
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

/// `PATCH /v1/sources/{id}`: merges, validates the whole result, writes only if something changed.
pub async fn update_source(
    state: &AppState,
    account: &AccountId,
    id: &SourceId,
    expected: &VersionMatch,
    body: &Map<String, Value>,
    request_id: &str,
) -> Outcome {
    let requested_name = SourceInput::from_json(body).requested_name();
    let outcome = state
        .store
        .update_source(account, id, expected, |stored| {
            let fields = SourceInput::from_json(body).apply_to(&stored.fields)?;
            Ok::<_, ValidationErrors>(stored.with_fields(fields))
        })
        .await?;
    match outcome.result {
        Ok(source) => Ok(source_response(StatusCode::OK, &source, request_id)),
        Err(errors) => Err(with_name_check(state, errors, requested_name, Some(id)).await),
    }
}

/// `DELETE /v1/sources/{id}`: removes the source and frees its name; touches no stored image.
pub async fn delete_source(
    state: &AppState,
    account: &AccountId,
    id: &SourceId,
    expected: &VersionMatch,
    request_id: &str,
) -> Outcome {
    state.store.delete_source(account, id, expected).await?;
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
    id: &SourceId,
    expected: &VersionMatch,
    body: Option<&Map<String, Value>>,
    request_id: &str,
) -> Outcome {
    // Read inside the update, as a PATCH's body is: a missing source (404) and a stale
    // If-Match (412) come before the body's rules (422).
    let outcome = state
        .store
        .update_source(account, id, expected, |stored| {
            let grace = GracePeriod::from_body(body)?;
            Ok::<_, ValidationErrors>(Some(stored.rotated(grace.seconds(), Timestamp::now())))
        })
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
