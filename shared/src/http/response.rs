//! Every response the API sends is built here: JSON bodies with `x-request-id`, a source with its
//! `ETag`, a create's `Location`, a listing's page with its `Link`, and the errors
//! (docs/SPEC.md §8) with `Retry-After` and `Allow`.

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Response};

use super::error::{ApiError, RETRY_AFTER_SECONDS};
use super::{Context, Dialect, Outcome};
use crate::domain::list_query::names;
use crate::domain::{ApiKey, Cursors, Source};
use crate::http::caller::Caller;
use crate::store::ApiKeyRecord;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Lambda refuses a function response over 6 MB, and API Gateway then answers 502. A page stops
/// adding items before its body, as the response payload will hold it (a JSON string, so every
/// `"` and `\` doubles), passes this, which leaves more than 1 MB for the headers and the rest.
pub const MAX_PAGE_PAYLOAD_BYTES: usize = 5 * 1024 * 1024;

/// A JSON response with the headers every response carries.
pub fn json_response(
    status: StatusCode,
    body: &impl serde::Serialize,
    request_id: &str,
) -> Response<Body> {
    match serde_json::to_string(body) {
        Ok(text) => json_text(status, text, request_id),
        Err(_) => json_text(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"errors":["Internal server error"]}"#.to_owned(),
            request_id,
        ),
    }
}

/// [`json_response`] for a body already serialized (a page, the published OpenAPI document).
pub fn json_text(status: StatusCode, text: String, request_id: &str) -> Response<Body> {
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// `GET /v1/api_key` (docs/SPEC.md §19): the calling key, never the key itself.
pub fn api_key(caller: &Caller, request_id: &str) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &serde_json::json!({ "api_key": {
            "id": caller.key_id,
            "label": caller.key_label,
            "scope": caller.scope.as_str(),
            "expires_at": caller.expires_at.map(|t| t.to_string()),
            "account": caller.account.as_str(),
        }}),
        request_id,
    )
}

/// `{"errors": [...]}` with the error's status, and the headers some errors carry.
pub fn error(err: ApiError, request_id: &str) -> Response<Body> {
    let mut response = json_response(
        err.status(),
        &serde_json::json!({ "errors": err.messages() }),
        request_id,
    );
    error_headers(&err, response.headers_mut());
    response
}

/// The headers an error's answer carries in either dialect: `Retry-After` of a 503 or 429,
/// `Allow` of a 405.
pub(crate) fn error_headers(err: &ApiError, headers: &mut lambda_http::http::HeaderMap) {
    match err {
        ApiError::Unavailable(_) => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        ApiError::TooManyVerifications {
            retry_after_seconds,
        } => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_seconds));
        }
        ApiError::MethodNotAllowed(allowed) => {
            let allow = allowed
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(value) = HeaderValue::from_str(&allow) {
                headers.insert(header::ALLOW, value);
            }
        }
        _ => {}
    }
}

/// A source as clients see it, with its `ETag`; in the imgix dialect its JSON:API document.
pub fn source(cx: &Context<'_>, status: StatusCode, source: &Source) -> Response<Body> {
    if cx.dialect == Dialect::Imgix {
        return super::imgix::source(status, source, cx.view(), cx.request_id());
    }
    let mut response = json_response(status, &source.public(cx.view()), cx.request_id());
    if let Ok(etag) = HeaderValue::from_str(&source.etag()) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// A created source: 201, its `ETag`, and `Location` under the prefix the request came in on
/// (imgix's path in its dialect).
pub fn created(cx: &Context<'_>, source: &Source, prefix: &str) -> Response<Body> {
    let mut response = self::source(cx, StatusCode::CREATED, source);
    if cx.dialect == Dialect::Imgix {
        return response;
    }
    let location = format!("{prefix}/sources/{}", source.id);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The account's keys (docs/SPEC.md §26): those not revoked, newest first, never the key.
pub fn api_keys(keys: &[ApiKeyRecord], request_id: &str) -> Response<Body> {
    let listed: Vec<serde_json::Value> = keys.iter().filter(|k| !k.revoked).map(key_json).collect();
    json_response(StatusCode::OK, &listed, request_id)
}

/// A key just made: 201, the key itself in `key`, this once (docs/SPEC.md §26).
pub fn created_api_key(record: &ApiKeyRecord, key: &ApiKey, request_id: &str) -> Response<Body> {
    let mut body = key_json(record);
    body["key"] = serde_json::Value::from(key.reveal());
    json_response(StatusCode::CREATED, &body, request_id)
}

/// A key as the listing shows it.
fn key_json(record: &ApiKeyRecord) -> serde_json::Value {
    serde_json::json!({
        "id": record.hash.key_id(),
        "label": record.label,
        "scope": record.scope.as_str(),
        "expires_at": record.valid_until.map(|t| t.to_string()),
        "created_at": record.created_at,
        "last_used_on": record.last_used_on,
    })
}

/// 204 without a body: what a key's revocation answers (docs/SPEC.md §26).
pub fn no_content(request_id: &str) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// What a delete answers: `{}`, or in the imgix dialect 204.
pub fn deleted(cx: &Context<'_>) -> Response<Body> {
    match cx.dialect {
        Dialect::Native => json_response(StatusCode::OK, &serde_json::json!({}), cx.request_id()),
        Dialect::Imgix => no_content(cx.request_id()),
    }
}

/// An error as the dialect answers it (`source_type`: that of the source the request writes,
/// when known, for the imgix dialect's field names).
pub fn dialect_error(
    dialect: Dialect,
    err: ApiError,
    request_id: &str,
    source_type: Option<crate::domain::SourceType>,
) -> Response<Body> {
    match dialect {
        Dialect::Native => error(err, request_id),
        Dialect::Imgix => super::imgix::error(&err, request_id, source_type),
    }
}

/// One page of a listing as the store read it, and how to link to the next.
pub struct Page<'a, C: Cursors, T> {
    /// The listing's cursors.
    pub cursors: &'a C,
    pub items: &'a [T],
    /// Where the store says the next page starts, if anything may follow.
    pub next: Option<C::Position>,
    /// Where a page cut short by the payload budget resumes: just after its last item.
    pub resume_after: &'a dyn Fn(&T) -> C::Position,
    /// The listing's path (`/v1/sources`), for `Link`.
    pub path: String,
    /// The `Link`'s query parameters before the cursor, in canonical form.
    pub parameters: Vec<(&'static str, String)>,
}

/// A listing's page (docs/SPEC.md §11, §17): a JSON array of `view` of each item, stopping before
/// the payload passes [`MAX_PAGE_PAYLOAD_BYTES`] (at least one item, so that a walk always moves
/// on), and `Link: <path?parameters&cursor=...>; rel="next"` while more may follow.
pub fn page<'a, C: Cursors, T, V: serde::Serialize>(
    cx: &Context<'_>,
    page: Page<'a, C, T>,
    view: impl Fn(&'a T) -> V,
) -> Outcome {
    let mut body = String::from("[");
    let mut payload_bytes = 0;
    let mut kept = 0;
    for item in page.items {
        let json = serde_json::to_string(&view(item)).map_err(|_| ApiError::Internal(None))?;
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
    let next = if kept < page.items.len() {
        page.items[..kept].last().map(page.resume_after)
    } else {
        page.next
    };
    let mut response = json_text(StatusCode::OK, body, cx.request_id());
    if let Some(next) = next {
        let mut parameters = page.parameters;
        parameters.push((names::CURSOR, page.cursors.encode(&next)));
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &parameters {
            query.append_pair(name, value);
        }
        // RFC 8288.
        let link = format!("<{}?{}>; rel=\"next\"", page.path, query.finish());
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// The bytes `json` takes inside the Lambda response payload, where it is a JSON string.
pub(crate) fn payload_len(json: &str) -> usize {
    json.len() + json.bytes().filter(|b| matches!(b, b'"' | b'\\')).count()
}
