//! The imgix dialect on the wire (docs/SPEC.md §24): its media types, reading a JSON:API document
//! into imgix's attributes, its list parameters and offset paging, and every document and error
//! it answers. The mapping of a source itself is `crate::domain::imgix`; the endpoints are the
//! native ones, which call here when their request came through the imgix API.

use std::cmp::Ordering;

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::request;
use super::response::{MAX_PAGE_PAYLOAD_BYTES, REQUEST_ID_HEADER, payload_len};
use crate::domain::imgix::{self as mapping, Problem};
use crate::domain::{Invalid, Source, SourceId, SourceType, SourceView, fields};
use crate::routes::{Endpoint, RouteError, RouteMatch};

/// JSON:API's media type: every answer's `Content-Type`.
pub const MEDIA_TYPE: &str = "application/vnd.api+json";
/// The resource type of a source.
pub const SOURCES: &str = "sources";
/// The paths the dialect serves, imgix's exactly.
pub const LIST_PATH: &str = "/api/v1/sources";
/// A page's size when the request names none, and the most it may name.
pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 1_000;
/// What a list document holds besides its sources, at most, in payload bytes.
const ENVELOPE_BYTES: usize = 1_024;
/// The deepest page a list may ask for (far past any account: a page past the last is empty).
pub const MAX_PAGE_NUMBER: usize = 1_000_000;

/// The dialect's routes: the native sources' two resources, under imgix's `/api/v1` only.
pub const RESOURCES: [&str; 2] = ["/sources", "/sources/{id}"];

/// The endpoints the dialect serves (the functions of the sources' resources).
pub fn endpoints() -> impl Iterator<Item = Endpoint> {
    Endpoint::ALL
        .into_iter()
        .filter(|e| RESOURCES.contains(&e.resource()))
}

/// The dialect's route of `method` and `path`: imgix's paths only (`/api/v1/sources`,
/// `/api/v1/sources/{id}`), whatever else the native API serves.
pub fn resolve(method: &Method, path: &str) -> Result<RouteMatch, RouteError> {
    let ours = path.strip_prefix("/api/v1/sources").is_some_and(|rest| {
        rest.is_empty()
            || rest
                .strip_prefix('/')
                .is_some_and(|id| !id.is_empty() && !id.contains('/'))
    });
    if !ours {
        return Err(RouteError::NotFound);
    }
    crate::routes::resolve(method, path)
}

/// `Content-Type`, when the request has one: JSON:API's type (with no media-type parameter but
/// `ext` or `profile`, as JSON:API asks) or `application/json`; anything else is 415. imgix's
/// own client sends it even on a GET: it is accepted there too.
pub fn check_media_type(req: &Request) -> Result<(), ApiError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().map_err(|_| ApiError::UnsupportedMediaType)?;
    let mut parts = text.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let parameters: Vec<String> = parts
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    let allowed = match essence.as_str() {
        MEDIA_TYPE => parameters
            .iter()
            .all(|p| p.starts_with("ext=") || p.starts_with("profile=")),
        "application/json" => true,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// The `attributes` of a create's (`path_id` `None`) or an update's document: `data` an object
/// whose `type` is `sources` (else 409); on a create without `id` (403: the server makes ids),
/// on an update with the path's `id` (else 409). 400 for a body that is not such a document.
pub fn attributes(
    req: &Request,
    path_id: Option<&SourceId>,
) -> Result<Map<String, Value>, ApiError> {
    const NOT_A_DOCUMENT: &str = "Request body must be a JSON:API document with a data object";
    let Some(Value::Object(mut data)) =
        request::json_object(req)?.and_then(|mut b| b.remove("data"))
    else {
        return Err(invalid("/data", NOT_A_DOCUMENT));
    };
    if data.get("type").and_then(Value::as_str) != Some(SOURCES) {
        return Err(ApiError::Conflict(
            "data.type must be \"sources\" at this endpoint".to_owned(),
        ));
    }
    match (path_id, data.get("id")) {
        (None, None) => {}
        (None, Some(_)) => return Err(ApiError::ClientGeneratedId),
        (Some(id), Some(Value::String(given))) if given == id.as_str() => {}
        (Some(_), _) => {
            return Err(ApiError::Conflict(
                "data.id must be the id of the source in the path".to_owned(),
            ));
        }
    }
    match data.remove("attributes") {
        None => Ok(Map::new()),
        Some(Value::Object(attributes)) => Ok(attributes),
        Some(_) => Err(invalid(
            "/data/attributes",
            "data.attributes must be an object",
        )),
    }
}

fn invalid(pointer: &str, detail: &str) -> ApiError {
    ApiError::ImgixInvalid(vec![Problem {
        pointer: pointer.to_owned(),
        detail: detail.to_owned(),
    }])
}

/// imgix's attributes as the native source object of a create (`stored` `None`) or of an update
/// of `stored`: 400 with each problem of the mapping.
pub fn native_body(
    attributes: &Map<String, Value>,
    stored: Option<&crate::domain::SourceFields>,
) -> Result<Map<String, Value>, ApiError> {
    mapping::to_native(attributes, stored).map_err(ApiError::ImgixInvalid)
}

/// A source as a JSON:API resource: imgix's attributes, and in `meta` what imgix does not have.
pub fn resource(source: &Source, view: SourceView<'_>) -> Value {
    let public = match serde_json::to_value(source.public(view)) {
        Ok(Value::Object(public)) => public,
        _ => Map::new(),
    };
    let mut meta = Map::new();
    meta.insert("version".to_owned(), Value::from(source.version));
    for key in mapping::META_FIELDS {
        if let Some(value) = public.get(key) {
            meta.insert(key.to_owned(), value.clone());
        }
    }
    json!({
        "type": SOURCES,
        "id": source.id.as_str(),
        "attributes": mapping::to_imgix(&public),
        "meta": meta,
    })
}

/// A document's envelope around `data`.
fn document(data: Value, meta: Value) -> Value {
    json!({"data": data, "included": [], "jsonapi": {"version": "1.0"}, "meta": meta})
}

/// A JSON:API response with the headers every answer carries.
fn answer(status: StatusCode, body: &Value, request_id: &str) -> Response<Body> {
    let text = serde_json::to_string(body).unwrap_or_else(|_| {
        r#"{"errors":[{"status":"500","code":"internal_error","title":"InternalServerError","detail":"Internal server error"}]}"#.to_owned()
    });
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// One source: its document with its `ETag` (and on a create, 201 and `Location`).
pub fn source(
    status: StatusCode,
    source: &Source,
    view: SourceView<'_>,
    request_id: &str,
) -> Response<Body> {
    let mut response = answer(
        status,
        &document(resource(source, view), json!({})),
        request_id,
    );
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&source.etag()) {
        headers.insert(header::ETAG, etag);
    }
    if status == StatusCode::CREATED
        && let Ok(location) = HeaderValue::from_str(&format!("{LIST_PATH}/{}", source.id))
    {
        headers.insert(header::LOCATION, location);
    }
    response
}

/// A list request's parameters (docs/SPEC.md §24).
#[derive(Debug, Default)]
pub struct ListQuery {
    pub page_number: usize,
    pub page_size: usize,
    /// Keys in order: (attribute path, descending).
    pub sort: Vec<(SortKey, bool)>,
    /// (dotted attribute path, lowercase needle): substring matches.
    pub filters: Vec<(String, String)>,
    /// `filter[name:eq]`: the exact name, any letter case.
    pub exact_name: Option<String>,
    /// `fields[sources]`: the attributes kept (dotted paths reach into `deployment`).
    pub fields: Option<Vec<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Name,
    DateDeployed,
    Enabled,
}

/// The filters imgix answers (seeds 001, 003); `type` is `deployment.type`'s older name.
pub const FILTERS: [&str; 13] = [
    "name",
    "enabled",
    "type",
    "deployment.type",
    "deployment.custom_domains",
    "deployment.imgix_subdomains",
    "deployment.s3_bucket",
    "deployment.gcs_bucket",
    "deployment.azure_bucket",
    "deployment.webfolder_base_url",
    "deployment.bucket_name",
    "deployment.region",
    "deployment.storage_provider",
];

fn parameter_error(parameter: &str, detail: impl Into<String>) -> ApiError {
    ApiError::ImgixParameter {
        parameter: parameter.to_owned(),
        detail: detail.into(),
    }
}

impl ListQuery {
    /// The list parameters of `req`; 400 naming the parameter for a bad page or sort. Filters
    /// imgix does not have are ignored, as imgix ignores them.
    pub fn of(req: &Request) -> Result<ListQuery, ApiError> {
        let parameters = req.query_string_parameters_ref();
        let one = |name: &str| -> Result<Option<String>, ApiError> {
            match parameters
                .and_then(|p| p.all(name))
                .unwrap_or_default()
                .as_slice()
            {
                [] => Ok(None),
                [value] => Ok(Some((*value).to_owned())),
                _ => Err(parameter_error(name, format!("{name} must be given once"))),
            }
        };
        let number =
            |name: &str, min: usize, max: usize, default: usize| -> Result<usize, ApiError> {
                match one(name)? {
                    None => Ok(default),
                    Some(raw) => raw
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (min..=max).contains(n))
                        .ok_or_else(|| {
                            parameter_error(
                                name,
                                format!("{name} must be an integer from {min} to {max}"),
                            )
                        }),
                }
            };
        let mut query = ListQuery {
            page_number: number("page[number]", 0, MAX_PAGE_NUMBER, 0)?,
            page_size: number("page[size]", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)?,
            ..ListQuery::default()
        };
        if let Some(sort) = one("sort")? {
            for part in sort.split(',') {
                let (descending, name) = match part.strip_prefix('-') {
                    Some(name) => (true, name),
                    None => (false, part),
                };
                let key = match name {
                    "name" => SortKey::Name,
                    "date_deployed" => SortKey::DateDeployed,
                    "enabled" => SortKey::Enabled,
                    _ => {
                        return Err(parameter_error(
                            "sort",
                            "sort must be name, date_deployed or enabled, comma-separated, each with - for descending",
                        ));
                    }
                };
                query.sort.push((key, descending));
            }
        }
        for filter in FILTERS {
            let name = format!("filter[{filter}]");
            if let Some(value) = one(&name)? {
                let path = if filter == "type" {
                    "deployment.type"
                } else {
                    filter
                };
                query.filters.push((path.to_owned(), value.to_lowercase()));
            }
        }
        query.exact_name = one("filter[name:eq]")?.map(|n| n.to_lowercase());
        query.fields = one("fields[sources]")?.map(|fields| {
            fields
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect()
        });
        Ok(query)
    }

    /// Whether a source's attributes pass every filter: strings (and each string of a list) as
    /// case-insensitive substrings, booleans as `true`/`false`.
    fn admits(&self, attributes: &Value) -> bool {
        let name_matches = self.exact_name.as_ref().is_none_or(|exact| {
            attributes["name"]
                .as_str()
                .is_some_and(|name| name.to_lowercase() == *exact)
        });
        name_matches
            && self.filters.iter().all(|(path, needle)| {
                let value = path.split('.').fold(attributes, |v, part| &v[part]);
                matches(value, needle)
            })
    }
}

fn matches(value: &Value, needle: &str) -> bool {
    match value {
        Value::String(text) => text.to_lowercase().contains(needle),
        Value::Bool(b) => needle == if *b { "true" } else { "false" },
        Value::Array(items) => items.iter().any(|item| matches(item, needle)),
        _ => false,
    }
}

/// `attributes` with only the named fields (`fields[sources]`): `deployment.type` keeps that key
/// of `deployment`, `deployment` all of it.
fn sparse(attributes: &Value, fields: &[String]) -> Value {
    let mut kept = Map::new();
    for field in fields {
        match field.split_once('.') {
            None => {
                if let Some(value) = attributes.get(field) {
                    kept.insert(field.clone(), value.clone());
                }
            }
            Some((parent, child)) => {
                if let Some(value) = attributes.get(parent).and_then(|p| p.get(child)) {
                    let entry = kept.entry(parent.to_owned()).or_insert_with(|| json!({}));
                    if let Some(entry) = entry.as_object_mut() {
                        entry.insert(child.to_owned(), value.clone());
                    }
                }
            }
        }
    }
    Value::Object(kept)
}

/// One page of `sources` (all of the account's, as read) under `query`, with imgix's pagination:
/// filtered, sorted (by name by default, then by id, so that pages never overlap), counted, and
/// cut at the page; a page that would pass Lambda's payload limit is a 400 naming `page[size]`.
pub fn list(
    sources: &[Source],
    query: &ListQuery,
    view: SourceView<'_>,
    request_id: &str,
) -> Result<Response<Body>, ApiError> {
    let mut resources: Vec<(Value, &Source)> = sources
        .iter()
        .map(|s| (resource(s, view), s))
        .filter(|(r, _)| query.admits(&r["attributes"]))
        .collect();
    let keys = if query.sort.is_empty() {
        vec![(SortKey::Name, false)]
    } else {
        query.sort.clone()
    };
    resources.sort_by(|(_, a), (_, b)| {
        let mut order = Ordering::Equal;
        for (key, descending) in &keys {
            let by = match key {
                SortKey::Name => a
                    .fields
                    .name
                    .as_str()
                    .to_lowercase()
                    .cmp(&b.fields.name.as_str().to_lowercase()),
                SortKey::DateDeployed => a.updated_at.cmp(&b.updated_at),
                SortKey::Enabled => a.fields.enabled.cmp(&b.fields.enabled),
            };
            order = order.then(if *descending { by.reverse() } else { by });
        }
        order.then_with(|| a.id.as_str().cmp(b.id.as_str()))
    });
    let total = resources.len();
    let total_pages = total.div_ceil(query.page_size);
    let start = query.page_number.saturating_mul(query.page_size);
    let mut page = Vec::new();
    // The document around the page (`included`, `jsonapi`, the pagination) counts too.
    let mut payload = ENVELOPE_BYTES;
    for (resource, _) in resources.iter().skip(start).take(query.page_size) {
        let resource = match &query.fields {
            Some(fields) => {
                let mut kept = resource.clone();
                kept["attributes"] = sparse(&resource["attributes"], fields);
                kept
            }
            None => resource.clone(),
        };
        let cost = serde_json::to_string(&resource).map_or(0, |t| payload_len(&t) + 1);
        if !page.is_empty() && payload + cost > MAX_PAGE_PAYLOAD_BYTES {
            // Offset paging cannot resume inside a page: a shorter page would make the next
            // page's offset skip sources. The client asks for smaller pages instead.
            return Err(parameter_error(
                "page[size]",
                format!(
                    "page[size] is too large for these sources: the page would pass the response \
                     size limit; ask for at most {}",
                    page.len()
                ),
            ));
        }
        payload += cost;
        page.push(resource);
    }
    let current = query.page_number;
    let has_next = start + query.page_size < total;
    let has_previous = current > 0;
    let meta = json!({"pagination": {
        "currentPage": current,
        "pageSize": query.page_size,
        "totalPages": total_pages,
        "totalRecords": total,
        "hasNextPage": has_next,
        "hasPreviousPage": has_previous,
        "nextPage": if has_next { Value::from(current + 1) } else { Value::Null },
        "previousPage": if has_previous { Value::from(current - 1) } else { Value::Null },
    }});
    Ok(answer(
        StatusCode::OK,
        &document(Value::Array(page), meta),
        request_id,
    ))
}

/// imgix's title of a status: its reason phrase in CamelCase (`BadRequest`, `NotFound`).
fn title(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("Error")
        .split([' ', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// One JSON:API error object.
fn error_object(
    status: StatusCode,
    code: &str,
    detail: String,
    source: Option<Value>,
    request_id: &str,
) -> Value {
    let mut error = json!({
        "id": request_id,
        "status": status.as_str(),
        "code": code,
        "title": title(status),
        "detail": detail,
        "meta": {},
    });
    if let Some(source) = source {
        error["source"] = source;
    }
    error
}

/// The detail of a 401, the same whatever was wrong with the key (docs/SPEC.md §24).
pub const UNAUTHORIZED_DETAIL: &str = "A valid API key is required and could not be determined.";

/// A stable, machine-readable code per kind of error.
fn code(err: &ApiError) -> &'static str {
    match err {
        ApiError::BadRequest(_) => "bad_request",
        ApiError::InvalidParameter(_) | ApiError::ImgixParameter { .. } => "invalid_parameter",
        ApiError::ImgixInvalid(_) | ApiError::Validation(_) => "invalid_attribute",
        ApiError::Unauthorized => "unauthorized",
        ApiError::Forbidden => "forbidden",
        ApiError::ClientGeneratedId => "client_generated_id",
        ApiError::SourceNotFound | ApiError::KeyNotFound => "not_found",
        ApiError::RouteNotFound => "route_not_found",
        ApiError::LastAdminKey | ApiError::Conflict(_) => "conflict",
        ApiError::MethodNotAllowed(_) => "method_not_allowed",
        ApiError::PreconditionFailed => "precondition_failed",
        ApiError::PayloadTooLarge => "payload_too_large",
        ApiError::UnsupportedMediaType => "unsupported_media_type",
        ApiError::HeadersTooLarge => "headers_too_large",
        ApiError::RequestTimeout => "request_timeout",
        ApiError::TooManyVerifications { .. } => "too_many_requests",
        ApiError::Unavailable(_) => "service_unavailable",
        ApiError::Internal(_) | ApiError::ResponseTooLarge => "internal_error",
    }
}

/// An error as imgix answers it: validation problems as 400, one error object each with the
/// field at fault (named as imgix names it: `source_type` is the type of the source the
/// request writes, when known), everything else with the native status and its message.
pub fn error(err: &ApiError, request_id: &str, source_type: Option<SourceType>) -> Response<Body> {
    let kind = code(err);
    let (status, errors) = match err {
        ApiError::Validation(errors) => {
            let status = StatusCode::BAD_REQUEST;
            let source_type = source_type.or_else(|| errors.0.iter().find_map(type_of));
            let objects = errors
                .0
                .iter()
                .map(|invalid| {
                    let pointer = mapping::pointer_of(invalid, source_type);
                    error_object(
                        status,
                        kind,
                        mapping::imgix_message(invalid, source_type),
                        pointer.map(|p| json!({"pointer": p})),
                        request_id,
                    )
                })
                .collect();
            (status, objects)
        }
        ApiError::ImgixInvalid(problems) => {
            let status = StatusCode::BAD_REQUEST;
            let objects = problems
                .iter()
                .map(|p| {
                    error_object(
                        status,
                        kind,
                        p.detail.clone(),
                        Some(json!({"pointer": p.pointer})),
                        request_id,
                    )
                })
                .collect();
            (status, objects)
        }
        ApiError::ImgixParameter { parameter, detail } => {
            let status = StatusCode::BAD_REQUEST;
            (
                status,
                vec![error_object(
                    status,
                    kind,
                    detail.clone(),
                    Some(json!({"parameter": parameter})),
                    request_id,
                )],
            )
        }
        other => {
            let status = other.status();
            let detail = match other {
                ApiError::Unauthorized => UNAUTHORIZED_DETAIL.to_owned(),
                ApiError::SourceNotFound => "Resource not found.".to_owned(),
                ApiError::InvalidParameter(problem) => problem.to_string(),
                _ => other.messages().join(" "),
            };
            (
                status,
                vec![error_object(status, kind, detail, None, request_id)],
            )
        }
    };
    let mut response = answer(
        status,
        &json!({"errors": errors, "jsonapi": {"version": "1.0"}, "meta": {}}),
        request_id,
    );
    super::response::error_headers(err, response.headers_mut());
    response
}

/// The type a problem names, if it names one.
fn type_of(invalid: &Invalid) -> Option<SourceType> {
    match invalid {
        Invalid::CredentialRequired { source_type, .. }
        | Invalid::CredentialNotSupported { source_type, .. } => Some(*source_type),
        _ => None,
    }
}

/// The native `source` key of a create body, so that a problem is named for its type.
pub fn requested_type(native: &Map<String, Value>) -> Option<SourceType> {
    native
        .get(fields::SOURCE_TYPE)
        .and_then(Value::as_str)
        .and_then(|t| SourceType::parse(t).ok())
}
