//! What an endpoint reads from the API Gateway request: the account (from the authorizer context
//! only), the request id, the path id, the body and `If-Match`.

use lambda_http::http::header;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde_json::{Map, Value};

use super::error::{ApiError, MAX_BODY_BYTES};
use super::strict_json::{self, StrictJsonError};
use crate::authorizer::ACCOUNT_CONTEXT_KEY;
use crate::domain::{AccountId, SourceId};

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
        return Err(bad_request(
            "Request body is empty: expected a JSON object with a \"source\" object",
        ));
    }
    let value = strict_json::parse(bytes).map_err(|err| match err {
        StrictJsonError::Syntax => bad_request("Request body is not valid JSON"),
        StrictJsonError::DuplicateKey => bad_request("Request body has a duplicate key"),
    })?;
    let Value::Object(mut body) = value else {
        return Err(bad_request("Request body must be a JSON object"));
    };
    match body.remove("source") {
        Some(Value::Object(source)) => Ok(source),
        Some(_) => Err(bad_request("Request body's \"source\" must be an object")),
        None => Err(bad_request("Request body must have a \"source\" object")),
    }
}

fn bad_request(message: &str) -> ApiError {
    ApiError::BadRequest(message.to_owned())
}

/// The version `If-Match` pins, if any. `*` pins nothing; a value that is no ETag of ours can
/// never match, so it is a 412.
pub fn if_match(req: &Request) -> Result<Option<u64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::PreconditionFailed)?
        .trim();
    if text == "*" {
        return Ok(None);
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|v| v.parse::<u64>().ok())
        .map(Some)
        .ok_or(ApiError::PreconditionFailed)
}
