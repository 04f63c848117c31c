//! What an endpoint reads from the API Gateway request: the account (from the authorizer context
//! only), the request id, the path id, the query, the body and `If-Match`. Each endpoint reads
//! what it needs with these, once, before its logic runs: a 404 for an id that cannot be one, then
//! a 400 or 413 for a query or body that cannot be read.

use lambda_http::http::header;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde_json::{Map, Value};

use super::error::{ApiError, MAX_BODY_BYTES};
use super::strict_json::{self, StrictJsonError};
use crate::domain::idempotency::{IDEMPOTENCY_KEY_HEADER, MAX_IDEMPOTENCY_KEY_CHARS};
use crate::domain::{
    AccountId, Actor, Cursors, EventQuery, IdempotencyKey, KEY_ID_CHARS, KeyScope, ListQuery,
    ParameterError, SourceId, VersionMatch, fields,
};
use crate::http::caller::{
    ACCOUNT_CONTEXT_KEY, Caller, KEY_ID_CONTEXT_KEY, KEY_LABEL_CONTEXT_KEY, KEY_SCOPE_CONTEXT_KEY,
};
use crate::routes::{Endpoint, PREFIXES, resolve};

/// `?verify=true|false` of a create or update (absent: false); anything else, or twice, is 400.
pub fn verify_flag(req: &Request) -> Result<bool, ApiError> {
    let values = req
        .query_string_parameters_ref()
        .and_then(|p| p.all(VERIFY_PARAMETER))
        .unwrap_or_default();
    match values.as_slice() {
        [] | ["false"] => Ok(false),
        ["true"] => Ok(true),
        [_] => Err(ApiError::InvalidParameter(ParameterError::Verify)),
        _ => Err(ApiError::InvalidParameter(ParameterError::Repeated(
            VERIFY_PARAMETER,
        ))),
    }
}

/// The query parameter of docs/SPEC.md §14's verify-before-saving.
pub const VERIFY_PARAMETER: &str = "verify";

/// The `Idempotency-Key` of a create, if it has one: 400 when it is not 1–255 printable ASCII
/// characters, or given twice.
pub fn idempotency_key(req: &Request) -> Result<Option<IdempotencyKey>, ApiError> {
    let mut values = req.headers().get_all(IDEMPOTENCY_KEY_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(bad_request("Idempotency-Key must be given once"));
    }
    IdempotencyKey::parse(value.as_bytes())
        .map(Some)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters"
            ))
        })
}

/// An event listing's query parameters.
pub fn event_query(req: &Request) -> Result<EventQuery, ApiError> {
    let parameters = req.query_string_parameters_ref();
    EventQuery::parse(|name| parameters.and_then(|p| p.all(name)).unwrap_or_default())
        .map_err(ApiError::InvalidParameter)
}

/// Which of `candidates` (the endpoints one function serves) `req` came for, by the route API
/// Gateway matched; the first when the request names none.
pub fn endpoint_of(req: &Request, candidates: &[Endpoint]) -> Option<Endpoint> {
    // A function with one route has nothing to tell apart: no route matching per request.
    if let [only] = candidates {
        return Some(*only);
    }
    let resource = resource_path(req);
    let matched = resource.as_deref().and_then(|path| {
        resolve(req.method(), path)
            .ok()
            .map(|route| route.endpoint)
            .filter(|endpoint| candidates.contains(endpoint))
    });
    matched.or_else(|| candidates.first().copied())
}

/// Where a listing resumes: the position `raw` (a `cursor` parameter) names, if given; 400 when it
/// is not a cursor this listing made.
pub fn cursor<C: Cursors>(cursors: &C, raw: Option<&str>) -> Result<Option<C::Position>, ApiError> {
    raw.map(|raw| cursors.decode(raw))
        .transpose()
        .map_err(ApiError::InvalidParameter)
}

/// The listing's query parameters (API Gateway hands them over decoded, every value of each).
pub fn list_query(req: &Request) -> Result<ListQuery, ApiError> {
    let parameters = req.query_string_parameters_ref();
    ListQuery::parse(|name| parameters.and_then(|p| p.all(name)).unwrap_or_default())
        .map_err(ApiError::InvalidParameter)
}

/// The account the authorizer resolved the API key to. Nothing else in the request can name one.
pub fn account_id(req: &Request) -> Result<AccountId, ApiError> {
    let Some(RequestContext::ApiGatewayV1(context)) = req.request_context_ref() else {
        return Err(ApiError::Unauthorized);
    };
    context
        .authorizer
        .fields
        .get(ACCOUNT_CONTEXT_KEY)
        .and_then(Value::as_str)
        .and_then(|raw| AccountId::parse(raw).ok())
        .ok_or(ApiError::Unauthorized)
}

/// Who sends the request, for the audit trail: the key's id and label from the authorizer context
/// (absent in an event made by hand), and the request id.
pub fn actor(req: &Request, request_id: &str) -> Actor {
    let context_text = |key: &str| match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context
            .authorizer
            .fields
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    Actor {
        api_key_id: context_text(KEY_ID_CONTEXT_KEY),
        api_key_label: context_text(KEY_LABEL_CONTEXT_KEY),
        request_id: request_id.to_owned(),
    }
}

/// The calling key's scope from the authorizer context; `read` when the context names none or
/// another (docs/SPEC.md §26: the least a key may see).
pub fn scope(req: &Request) -> KeyScope {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context
            .authorizer
            .fields
            .get(KEY_SCOPE_CONTEXT_KEY)
            .and_then(Value::as_str)
            .and_then(KeyScope::parse)
            .unwrap_or(KeyScope::Read),
        _ => KeyScope::Read,
    }
}

/// The `{id}` of `DELETE /v1/api_keys/{id}`: a key's public id (16 lowercase hex characters);
/// anything else names no key (404).
pub fn key_id(req: &Request) -> Result<String, ApiError> {
    req.path_parameters_ref()
        .and_then(|params| params.first("id"))
        .filter(|id| {
            id.len() == KEY_ID_CHARS && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
        .map(str::to_owned)
        .ok_or(ApiError::KeyNotFound)
}

/// The calling key as the authorizer described it (docs/SPEC.md §19): 401 when the context does not
/// describe one in full.
pub fn caller(req: &Request) -> Result<Caller, ApiError> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => {
            Caller::from_context(&context.authorizer.fields).ok_or(ApiError::Unauthorized)
        }
        _ => Err(ApiError::Unauthorized),
    }
}

/// API Gateway's request id, else Lambda's, else a fresh one.
pub fn request_id(req: &Request) -> String {
    if let Some(RequestContext::ApiGatewayV1(context)) = req.request_context_ref()
        && let Some(id) = context.request_id.as_deref().filter(|id| !id.is_empty())
    {
        return id.to_owned();
    }
    if let Some(context) = req.lambda_context_ref()
        && !context.request_id.is_empty()
    {
        return context.request_id.clone();
    }
    uuid::Uuid::new_v4().to_string()
}

/// The route template API Gateway matched (`/v1/sources/{id}`), for the log line.
pub fn resource_path(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.resource_path.clone(),
        _ => None,
    }
}

/// The prefix (`/v1` or `/api/v1`) of the route the request came in on, for links back into the
/// API; `/v1` when the request carries no route (an event made by hand).
pub fn route_prefix(req: &Request) -> &'static str {
    let resource = resource_path(req).unwrap_or_default();
    PREFIXES
        .iter()
        .copied()
        .find(|prefix| {
            resource
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
        })
        .unwrap_or(PREFIXES[0])
}

/// The `{id}` path parameter; anything that is not 24 hex characters is an unknown source.
pub fn source_id(req: &Request) -> Result<SourceId, ApiError> {
    req.path_parameters_ref()
        .and_then(|params| params.first("id"))
        .and_then(SourceId::parse)
        .ok_or(ApiError::SourceNotFound)
}

/// The `source` object of a create or update body: 413 over 64 KiB, 400 for anything but a JSON
/// object with a `source` object in it.
pub fn source_object(req: &Request) -> Result<Map<String, Value>, ApiError> {
    let Some(mut body) = json_object(req)? else {
        return Err(bad_request(
            "Request body is empty: expected a JSON object with a \"source\" object",
        ));
    };
    match body.remove(fields::SOURCE) {
        Some(Value::Object(source)) => Ok(source),
        Some(_) => Err(bad_request("Request body's \"source\" must be an object")),
        None => Err(bad_request("Request body must have a \"source\" object")),
    }
}

/// The body as a JSON object, or `None` when it is empty (white space only): 413 over 64 KiB, 400
/// for anything that is not a JSON object (duplicate keys included).
pub fn json_object(req: &Request) -> Result<Option<Map<String, Value>>, ApiError> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => b"",
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value = strict_json::parse(bytes).map_err(|err| match err {
        StrictJsonError::Syntax => bad_request("Request body is not valid JSON"),
        StrictJsonError::DuplicateKey => bad_request("Request body has a duplicate key"),
    })?;
    match value {
        Value::Object(body) => Ok(Some(body)),
        _ => Err(bad_request("Request body must be a JSON object")),
    }
}

fn bad_request(message: &str) -> ApiError {
    ApiError::BadRequest(message.to_owned())
}

/// The versions `If-Match` allows (RFC 9110 §13.1.1): every `If-Match` field of the request
/// read as one list; `*` allows any; a tag matches when it is one of our ETags, `"<version>"`,
/// also in its weak form `W/"<version>"` (intermediaries that compress weaken ETags). A field
/// that is not a list of entity-tags allows nothing, so it is a 412.
pub fn if_match(req: &Request) -> VersionMatch {
    let mut fields = req.headers().get_all(header::IF_MATCH).iter().peekable();
    if fields.peek().is_none() {
        return VersionMatch::Any;
    }
    let mut versions = Vec::new();
    for field in fields {
        let Some(tags) = entity_tags(field.as_bytes()) else {
            return VersionMatch::OneOf(Vec::new());
        };
        for tag in tags {
            match tag {
                EntityTag::Any => return VersionMatch::Any,
                EntityTag::Opaque(opaque) => versions.extend(
                    std::str::from_utf8(opaque)
                        .ok()
                        .and_then(|v| v.parse::<u64>().ok()),
                ),
            }
        }
    }
    VersionMatch::OneOf(versions)
}

enum EntityTag<'a> {
    Any,
    /// Between the quotes, weak or strong.
    Opaque(&'a [u8]),
}

/// `"*"`, or a comma-separated list of `[W/]"<etagc>*"` (empty elements allowed, RFC 9110 §5.6.1);
/// `None` if the field is anything else.
fn entity_tags(field: &[u8]) -> Option<Vec<EntityTag<'_>>> {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let trimmed = field.trim_ascii();
    if trimmed == b"*" {
        return Some(vec![EntityTag::Any]);
    }
    let mut tags = Vec::new();
    let mut rest = trimmed;
    loop {
        while let [first, tail @ ..] = rest {
            if is_ows(first) || *first == b',' {
                rest = tail;
            } else {
                break;
            }
        }
        if rest.is_empty() {
            return Some(tags);
        }
        let quoted = rest
            .strip_prefix(b"W/")
            .unwrap_or(rest)
            .strip_prefix(b"\"")?;
        // etagc: %x21 / %x23-7E / obs-text (anything visible but the quote).
        let end = quoted.iter().position(|b| *b == b'"')?;
        let opaque = &quoted[..end];
        if !opaque
            .iter()
            .all(|b| *b == 0x21 || *b >= 0x23 && *b != 0x7f)
        {
            return None;
        }
        tags.push(EntityTag::Opaque(opaque));
        rest = &quoted[end + 1..];
        let after = rest.iter().position(|b| !is_ows(b)).unwrap_or(rest.len());
        rest = &rest[after..];
        match rest.first() {
            None | Some(b',') => {}
            Some(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_if_match(values: &[&str]) -> VersionMatch {
        let mut builder = lambda_http::http::Request::builder();
        for value in values {
            builder = builder.header(header::IF_MATCH, *value);
        }
        if_match(&builder.body(Body::Empty).unwrap())
    }

    #[test]
    fn no_if_match_or_a_star_allows_any_version() {
        assert_eq!(with_if_match(&[]), VersionMatch::Any);
        assert_eq!(with_if_match(&["*"]), VersionMatch::Any);
        assert_eq!(with_if_match(&[" * "]), VersionMatch::Any);
    }

    #[test]
    fn any_tag_of_a_list_or_of_several_fields_matches() {
        assert_eq!(with_if_match(&["\"3\""]), VersionMatch::only(3));
        assert_eq!(with_if_match(&["W/\"3\""]), VersionMatch::only(3));
        assert_eq!(
            with_if_match(&["\"1\", \"4\""]),
            VersionMatch::OneOf(vec![1, 4])
        );
        assert_eq!(
            with_if_match(&["\"1\"", "W/\"4\""]),
            VersionMatch::OneOf(vec![1, 4])
        );
        assert_eq!(
            with_if_match(&[" , \"1\" ,, \"x,y\" ,"]),
            VersionMatch::only(1)
        );
    }

    #[test]
    fn tags_not_ours_or_malformed_fields_match_nothing() {
        for field in [
            "\"abc\"",
            "1",
            "\"1",
            "\"1\" \"2\"",
            "W/1",
            "\"1\"x",
            "*, \"1\"",
        ] {
            assert_eq!(
                with_if_match(&[field]),
                VersionMatch::OneOf(Vec::new()),
                "{field}"
            );
        }
    }
}
