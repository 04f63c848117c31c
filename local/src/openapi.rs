//! The published contract (docs/SPEC.md §18): an OpenAPI 3.1 document built from the code's own tables
//! (the routes and their functions, the source types and each one's credential rules, the JSON
//! field names, the error messages, headers and limits), so it cannot drift from what the
//! handlers do. The local gateway serves it at `/openapi.json`; `image-sources openapi` prints it
//! (`docs/openapi.json` holds a copy, and a test fails when that copy is stale). The Lambda
//! functions do not carry it: it lives in this crate only.
//!
//! The document is written as JSON (`serde_json`) from those tables. `utoipa`'s OpenAPI model was
//! the first choice, and a round trip through it showed it cannot hold all of OpenAPI 3.1 (its
//! response headers have no `required`, which the header checks rely on), so the document is
//! held to the OpenAPI 3.1 specification itself instead: CI validates it with
//! `openapi-spec-validator` and fuzzes the running API with it (schemathesis), and the test suite
//! validates real responses against its schemas (`tests/tests/openapi.rs`).

use std::sync::OnceLock;

use lambda_http::http::Method;
use serde_json::{Map, Value, json};
use shared::domain::health::{HEALTH, HealthStatus};
use shared::domain::idempotency::{IDEMPOTENCY_TTL_SECONDS, MAX_IDEMPOTENCY_KEY_CHARS};
use shared::domain::list_query::{MAX_CURSOR_CHARS, MAX_PAGE_LIMIT, names};
use shared::domain::rotation::{DEFAULT_GRACE_PERIOD_SECONDS, MAX_GRACE_PERIOD_SECONDS};
use shared::domain::{
    Action, AzureService, CredentialKey, KEY_ID_CHARS, KeyScope, MAX_NAME_CHARS, MAX_VALUE_CHARS,
    ParameterError, READ_ONLY_ATTRIBUTES, SECRET_PLACEHOLDER, SortOrder, SourceType,
    credential_keys, fields,
};
use shared::http::caller::API_KEY_HEADER;
use shared::http::error::{MAX_BODY_BYTES, RETRY_AFTER_SECONDS};
use shared::http::request::VERIFY_PARAMETER;
use shared::http::{ApiError, Endpoint, REQUEST_ID_HEADER};
use shared::routes::PREFIXES;
use shared::verify;
use shared::verify::ErrorCode;

/// Where the local gateway serves the document, without a key.
pub const DOCUMENT_PATH: &str = "/openapi.json";

/// The document as published: pretty JSON with a final newline, built once.
pub fn document_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
        text.push('\n');
        text
    })
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    let mut resources: Vec<&str> = Vec::new();
    for endpoint in Endpoint::ALL {
        if !resources.contains(&endpoint.resource()) {
            resources.push(endpoint.resource());
        }
    }
    for prefix in PREFIXES {
        for resource in resources.iter().copied() {
            let mut item = Map::new();
            for endpoint in Endpoint::ALL.iter().filter(|e| e.resource() == resource) {
                item.insert(
                    endpoint.method().as_str().to_ascii_lowercase(),
                    operation(*endpoint, prefix),
                );
            }
            paths.insert(format!("{prefix}{resource}"), Value::Object(item));
        }
    }
    console_paths(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Image Sources API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "The management API for an image CDN's sources, wire-compatible with the ImageBoss \
                 Sources API. Every route is served under both `/v1` and `/api/v1`. Every response is \
                 JSON and carries `{REQUEST_ID_HEADER}`; every error is `{{\"errors\": [\"...\"]}}`. \
                 Storage secrets ({}) are write-only: responses show them as `{SECRET_PLACEHOLDER}`, \
                 and a client that echoes `{SECRET_PLACEHOLDER}` back in an update keeps the stored \
                 secret. Bodies over {MAX_BODY_BYTES} bytes are refused with 413.",
                secret_keys().join(", ")
            ),
            "license": {"name": "MIT", "identifier": "MIT"}
        },
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": components(),
    })
}

fn operation(endpoint: Endpoint, prefix: &str) -> Value {
    let suffix = if prefix == PREFIXES[0] {
        ""
    } else {
        "UnderApi"
    };
    let (summary, description) = texts(endpoint);
    let mut op = json!({
        "operationId": format!("{}{suffix}", operation_id(endpoint)),
        "summary": summary,
        "description": format!("{description} Served by the Lambda function `{}`.", endpoint.function_name()),
        "tags": ["sources"],
        "responses": responses(endpoint, suffix),
    });
    let mut parameters = Vec::new();
    if endpoint.resource().contains("{id}") {
        parameters.push(json!({
            "name": "id", "in": "path", "required": true,
            "description": "The source's id. Anything that is not 24 lowercase hex characters is an unknown source (404).",
            "schema": {"$ref": "#/components/schemas/SourceId"}
        }));
    }
    if matches!(
        endpoint,
        Endpoint::UpdateSource | Endpoint::DeleteSource | Endpoint::RotateSecretToken
    ) {
        parameters.push(json!({
            "name": "If-Match", "in": "header", "required": false,
            "description": "ETags (`\"<version>\"`, also weak) any of which the stored version must match, or `*` (RFC 9110). Otherwise 412, and nothing changes.",
            "schema": {"type": "string"},
            "example": "\"1\""
        }));
    }
    if endpoint == Endpoint::ListSources {
        parameters.extend(list_parameters());
    }
    if matches!(endpoint, Endpoint::ListSourceEvents | Endpoint::ListEvents) {
        // Paged as the source listing, without its sort and filters.
        parameters.extend(
            list_parameters()
                .into_iter()
                .filter(|p| p["name"] == names::LIMIT || p["name"] == names::CURSOR),
        );
    }
    if endpoint == Endpoint::CreateSource {
        parameters.push(json!({
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": format!("Makes the create safe to retry (SPEC §15): the first successful create with this key is remembered for {} hours with a fingerprint of the `source` object; the same key and body again answer the same source, `Idempotent-Replayed: true`, and create nothing; another body is 422. Per account.", IDEMPOTENCY_TTL_SECONDS / 3600),
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_CHARS, "pattern": "^[ -~]+$"},
            "example": "create-shop-images-2026-03-05"
        }));
    }
    if matches!(endpoint, Endpoint::CreateSource | Endpoint::UpdateSource) {
        parameters.push(json!({
            "name": VERIFY_PARAMETER, "in": "query", "required": false,
            "description": "`true`: check the resulting credentials against the storage first, as `POST /v1/sources/{id}/verify` does (SPEC §14); a failed check is 422 `Credentials could not be verified: <message>` and nothing is saved. Counts toward the account's 10 verifications a minute.",
            "schema": {"type": "boolean", "default": false}
        }));
    }
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    match endpoint {
        Endpoint::CreateSource => {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/CreateRequest"},
                "example": create_example()
            }}});
        }
        Endpoint::RotateSecretToken => {
            op["requestBody"] = json!({"required": false, "content": {"application/json": {
                "schema": {"type": "object", "additionalProperties": false, "properties": {
                    fields::GRACE_PERIOD: {"type": "integer", "minimum": 0, "maximum": MAX_GRACE_PERIOD_SECONDS,
                        "default": DEFAULT_GRACE_PERIOD_SECONDS,
                        "description": "Seconds the replaced token keeps signing URLs."}
                }},
                "example": {fields::GRACE_PERIOD: 3600}
            }}});
        }
        Endpoint::UpdateSource => {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/UpdateRequest"},
                "example": {fields::SOURCE: {fields::CREDENTIAL_ATTRIBUTES: {fields::REQUIRE_TOKEN: "false"}}}
            }}});
        }
        _ => {}
    }
    op
}

/// docs/SPEC.md §11's query parameters. A known one with a value outside its schema is 400; unknown ones
/// are ignored.
fn list_parameters() -> Vec<Value> {
    let types = type_names().join("|");
    let health = HealthStatus::ALL
        .iter()
        .map(HealthStatus::as_str)
        .collect::<Vec<_>>()
        .join("|");
    vec![
        json!({"name": names::LIMIT, "in": "query", "required": false,
            "description": format!("Sources per page, at most. A page may hold fewer (it also ends after 1 MB of reading, or before a response would pass Lambda's 6 MB); follow `Link` until it is absent. Default {MAX_PAGE_LIMIT}."),
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_LIMIT}}),
        json!({"name": names::CURSOR, "in": "query", "required": false,
            "description": "Where the page starts: copy it from the previous page's `Link`. It is bound to the account, the sort and the filters it was made for; anything else (altered, truncated, another listing's) is 400 `Invalid cursor`.",
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_CURSOR_CHARS, "pattern": "^[A-Za-z0-9_-]+$"}}),
        json!({"name": names::SORT, "in": "query", "required": false,
            "description": "`created_at` (oldest first, the default), `-created_at`, `name` or `-name` (names compared case-insensitively).",
            "schema": {"type": "string", "enum": SortOrder::ALL.iter().map(SortOrder::as_str).collect::<Vec<_>>()}}),
        json!({"name": names::SOURCE_TYPE, "in": "query", "required": false,
            "description": "Only sources of this type, or of these types separated by commas.",
            "schema": {"type": "string", "pattern": format!("^({types})(,({types}))*$")}}),
        json!({"name": names::ENABLED, "in": "query", "required": false,
            "description": "Only enabled (`true`) or disabled (`false`) sources.",
            "schema": {"type": "boolean"}}),
        json!({"name": names::HEALTH, "in": "query", "required": false,
            "description": "Only sources whose health has this status, or one of these separated by commas (`failed`, `ok,inconclusive`).",
            "schema": {"type": "string", "pattern": format!("^({health})(,({health}))*$")}}),
        json!({"name": names::Q, "in": "query", "required": false,
            "description": "Only sources whose name starts with this, compared case-insensitively.",
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS, "pattern": "^[A-Za-z0-9_-]+$"}}),
        json!({"name": names::CUSTOM_DOMAIN, "in": "query", "required": false,
            "description": "Only the account's source served under this custom domain (any letter case): a page of one source or none, without `Link`; the other filters apply to it. A name that cannot be a custom domain is 400 `Parameter custom_domain must be a public DNS name`.",
            "schema": {"type": "string", "maxLength": 253, "pattern": "^[A-Za-z0-9-]{1,63}(\\.[A-Za-z0-9-]{1,63})+$"}}),
    ]
}

fn operation_id(endpoint: Endpoint) -> String {
    // One function serves both event listings; their operations need their own names.
    if endpoint == Endpoint::ListSourceEvents {
        return "listSourceEvents".to_owned();
    }
    // list-sources -> listSources
    let mut id = String::new();
    let mut upper = false;
    for c in endpoint.function_name().chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            id.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            id.push(c);
        }
    }
    id
}

fn texts(endpoint: Endpoint) -> (&'static str, &'static str) {
    match endpoint {
        Endpoint::ListSources => (
            "List the account's sources",
            "The sources of the account behind the API key, one page at a time, oldest first \
             unless `sort` says otherwise. The body is a JSON array; when more sources may follow, \
             `Link: <...>; rel=\"next\"` points to the next page with the same parameters. A \
             client that sends no parameter gets every source in one page while the account \
             holds at most 1,000 (and they fit in 1 MB). Walking every page returns each source \
             that existed for the whole walk exactly once.",
        ),
        Endpoint::GetSource => (
            "Fetch one source",
            "A source of another account is indistinguishable from a missing one: 404.",
        ),
        Endpoint::CreateSource => (
            "Create a source",
            "Validation collects every problem and answers 422 with all of them. The name is \
             unique across all accounts, compared case-insensitively. The server generates the \
             id, the timestamps and the URL-signing `secret_token`; `id`, `created_at`, \
             `updated_at`, `secrets_updated_at` and `credentials` inside `source` are ignored \
             (clients echo what they fetched). Storage secrets are sealed before they are \
             written (one KMS request).",
        ),
        Endpoint::UpdateSource => (
            "Update a source",
            "Only what is given changes. `credential_attributes` merge key by key; `null` removes \
             an optional key; `****` for a secret keeps the stored one. Changing `source_type` \
             drops the old type's credentials and needs the new type's full set. The result is \
             validated as a whole, as on create. Concurrent updates never lose one another.",
        ),
        Endpoint::DeleteSource => (
            "Delete a source",
            "Removes the source and frees its name at once; touches no image in the storage.",
        ),
        Endpoint::ListSourceEvents => (
            "List a source's audit events",
            "Every change to the source, newest first: who (the API key's id and label), when, \
             which request, and which fields changed; a non-secret field with its values before \
             and after, a secret by name only. Still readable after the source's deletion, by its \
             id; an id that is no source of the account and has no events is 404. Paged with \
             `limit`, `cursor` and `Link`, as the source listing. Kept 400 days.",
        ),
        Endpoint::ListEvents => (
            "List the account's audit events",
            "Every change to every source of the account, newest first, paged with `limit`, \
             `cursor` and `Link`. Kept 400 days.",
        ),
        Endpoint::VerifySource => (
            "Verify the source's credentials against its storage",
            "Reaches the storage the way the CDN would and reports what it found, changing \
             nothing: S3-compatible types with a SigV4-signed `ListObjectsV2` of one key under \
             the prefix (then a `HEAD` of a random key when listing is refused), Azure with its \
             SAS token (list one blob or file), web folders with a ranged `GET`. Addresses that \
             are not public are refused at connect time, redirects too (at most 3); at most 5 s \
             and 64 KiB; at most 10 verifications a minute per account (then 429 with \
             `Retry-After`). The answer is 200 whatever the storage said; `status` tells.",
        ),
        Endpoint::GetApiKey => (
            "Describe the calling API key",
            "The key that made the request, so a client can tell what it may do before it tries: \
             its id (the first 16 hex characters of its SHA-256), label, scope, expiry and \
             account. Never the key itself. Answered from the authorizer's context: no \
             DynamoDB request beyond the authorizer's (SPEC §19).",
        ),
        Endpoint::RotateSecretToken => (
            "Rotate the source's URL-signing token",
            "Generates a new `secret_token`. The replaced one keeps signing URLs for \
             `grace_period` seconds (0 to 604,800, default 86,400) and is shown meanwhile as \
             `previous_secret_token` with `previous_secret_token_expires_at`; rotating again \
             replaces it with the token current until then. A write: the version, `ETag` and \
             `updated_at` change, and `If-Match` applies.",
        ),
    }
}

/// The statuses each endpoint answers with, each with its body and headers.
fn responses(endpoint: Endpoint, suffix: &str) -> Value {
    let mut responses = Map::new();
    let source = |description: &str, created: bool| {
        let mut headers = common_headers();
        headers.insert("ETag".into(), json!({"$ref": "#/components/headers/ETag"}));
        let mut response = json!({
            "description": description,
            "headers": headers,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Source"},
                                             "example": source_example()}}
        });
        if created {
            response["headers"]["Location"] = json!({"$ref": "#/components/headers/Location"});
            response["headers"]["Idempotent-Replayed"] =
                json!({"$ref": "#/components/headers/Idempotent-Replayed"});
            response["links"] = links(suffix);
        }
        response
    };
    match endpoint {
        Endpoint::ListSources => {
            let mut headers = common_headers();
            headers.insert("Link".into(), json!({"$ref": "#/components/headers/Link"}));
            responses.insert("200".into(), json!({
                "description": "One page of the account's sources, in the order asked for.",
                "headers": headers,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SourceList"}}}
            }));
        }
        Endpoint::GetSource => {
            responses.insert("200".into(), source("The source.", false));
        }
        Endpoint::CreateSource => {
            responses.insert("201".into(), source("The new source.", true));
        }
        Endpoint::UpdateSource => {
            responses.insert("200".into(), source("The whole updated source.", false));
        }
        Endpoint::ListSourceEvents | Endpoint::ListEvents => {
            let mut headers = common_headers();
            headers.insert(
                "Link".into(),
                json!({"$ref": "#/components/headers/EventsLink"}),
            );
            responses.insert("200".into(), json!({
                "description": "One page of events, newest first.",
                "headers": headers,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventList"}}}
            }));
        }
        Endpoint::VerifySource => {
            responses.insert("200".into(), json!({
                "description": "What the check found (whatever it found: `status` tells).",
                "headers": common_headers(),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerificationResult"},
                    "example": {"verification": {"status": "failed", "checked_at": "2026-03-05T14:10:00Z", "latency_ms": 212,
                        "checks": [{"check": "connect", "result": "ok"}, {"check": "authenticate", "result": "failed"}],
                        "error": {"code": "access_denied", "message": "The storage refused the credentials (HTTP 403)"}}}}}
            }));
        }
        Endpoint::RotateSecretToken => {
            responses.insert(
                "200".into(),
                source(
                    "The source with its new token, and the replaced one while it signs.",
                    false,
                ),
            );
        }
        Endpoint::GetApiKey => {
            responses.insert("200".into(), json!({
                "description": "The calling key.",
                "headers": common_headers(),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiKey"},
                    "example": {"api_key": {"id": "0123456789abcdef", "label": "CI", "scope": "read",
                        "expires_at": "2027-03-05T14:10:00Z", "account": "acme"}}}}
            }));
        }
        Endpoint::DeleteSource => {
            responses.insert("200".into(), json!({
                "description": "Deleted: an empty object.",
                "headers": common_headers(),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deleted"}}}
            }));
        }
    }
    let has_body = matches!(endpoint, Endpoint::CreateSource | Endpoint::UpdateSource);
    let rotates = endpoint == Endpoint::RotateSecretToken;
    let has_id = endpoint.resource().contains("{id}");
    let pinned = matches!(
        endpoint,
        Endpoint::UpdateSource | Endpoint::DeleteSource | Endpoint::RotateSecretToken
    );
    let listing = matches!(
        endpoint,
        Endpoint::ListSources | Endpoint::ListSourceEvents | Endpoint::ListEvents
    );
    let writes = endpoint.method() != Method::GET;
    let creates = endpoint == Endpoint::CreateSource;
    let verifies = matches!(
        endpoint,
        Endpoint::VerifySource | Endpoint::CreateSource | Endpoint::UpdateSource
    );
    let throttled = if verifies {
        "Throttled by API Gateway; or the account's verifications of this minute (10) are used up: retry after `Retry-After` seconds."
    } else {
        "Throttled by API Gateway."
    };
    let errors = [
        (
            "400",
            has_body,
            "The body is not JSON, not an object, or has no `source` object; or `verify` is not `true` or `false`.",
            vec![
                "Request body is not valid JSON".to_owned(),
                ParameterError::Verify.to_string(),
            ],
        ),
        (
            "400",
            listing,
            "A known query parameter with a bad value, named; given twice; or a cursor this listing did not make.",
            vec![
                ParameterError::Limit.to_string(),
                ParameterError::Cursor.to_string(),
            ],
        ),
        (
            "401",
            true,
            "No key, an unknown key or a revoked key: always the same body.",
            vec![ApiError::Unauthorized.to_string()],
        ),
        (
            "400",
            creates,
            "The body is not JSON, not an object, or has no `source` object; or `Idempotency-Key` is not 1 to 255 printable ASCII characters, or given twice.",
            vec!["Request body is not valid JSON".to_owned()],
        ),
        (
            "400",
            rotates,
            "The body is not JSON or not a JSON object.",
            vec!["Request body must be a JSON object".to_owned()],
        ),
        (
            "403",
            writes,
            "The key is valid but may not do this: a `read` key only reads (SPEC §16).",
            vec![ApiError::Forbidden.to_string()],
        ),
        (
            "404",
            has_id,
            "No such source in this account.",
            vec![ApiError::SourceNotFound.to_string()],
        ),
        (
            "404",
            creates,
            "A replayed create (`Idempotent-Replayed: true`) whose source has been deleted since.",
            vec![ApiError::SourceNotFound.to_string()],
        ),
        (
            "412",
            pinned,
            "`If-Match` names no version that is stored; nothing changed.",
            vec![ApiError::PreconditionFailed.to_string()],
        ),
        (
            "413",
            has_body || rotates,
            "The body is over the limit.",
            vec![ApiError::PayloadTooLarge.to_string()],
        ),
        (
            "422",
            has_body || rotates,
            "Every validation problem, in the reference API's wording; on a create, also an `Idempotency-Key` already used with another body; with `?verify=true`, credentials that failed the check (`Credentials could not be verified: <message>`).",
            vec![
                "Source has already been taken".to_owned(),
                "Credential bucket is invalid".to_owned(),
            ],
        ),
        ("429", true, throttled, vec!["Too Many Requests".to_owned()]),
        (
            "500",
            true,
            "Unexpected; no internal detail (the request id is in the header).",
            vec![ApiError::Internal(None).to_string()],
        ),
        (
            "503",
            true,
            "DynamoDB unavailable or throttled after retries, or too much contention on one source: retry after `Retry-After` seconds.",
            vec![ApiError::Unavailable(None).to_string()],
        ),
    ];
    for (status, applies, description, example) in errors {
        if !applies {
            continue;
        }
        let mut headers = common_headers();
        if status == "503" || (status == "429" && verifies) {
            headers.insert(
                "Retry-After".into(),
                json!({"$ref": "#/components/headers/Retry-After"}),
            );
        }
        responses.insert(
            status.into(),
            json!({
                "description": description,
                "headers": headers,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"},
                                                 "example": {"errors": example}}}
            }),
        );
    }
    Value::Object(responses)
}

fn common_headers() -> Map<String, Value> {
    let mut headers = Map::new();
    headers.insert(
        REQUEST_ID_HEADER.into(),
        json!({"$ref": "#/components/headers/RequestId"}),
    );
    headers
}

/// The console's files (docs/SPEC.md §20): served by the `console` function without a key (they
/// hold no data), each response with the console's security headers.
fn console_paths(paths: &mut Map<String, Value>) {
    let mut headers = common_headers();
    for (name, description) in [
        (
            "Content-Security-Policy",
            format!("`{}`", shared::functions::console::CONTENT_SECURITY_POLICY),
        ),
        ("X-Content-Type-Options", "`nosniff`".to_owned()),
        ("Referrer-Policy", "`no-referrer`".to_owned()),
    ] {
        headers.insert(
            name.into(),
            json!({"required": true, "description": description, "schema": {"type": "string"}}),
        );
    }
    let text = json!({"schema": {"type": "string"}});
    let mut page_headers = headers.clone();
    page_headers.insert(
        "Cache-Control".into(),
        json!({"required": true, "description": "`no-cache` for the page; the other files, named by the release's version, are cacheable for a year.", "schema": {"type": "string"}}),
    );
    let not_found = json!({
        "description": "No such file in this release (a file of another version included).",
        "headers": headers,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"},
            "example": {"errors": [ApiError::RouteNotFound.to_string()]}}}
    });
    let page = json!({
        "description": "The console's page (`index.html`).",
        "headers": page_headers,
        "content": {"text/html": text}
    });
    paths.insert(shared::catalog::CONSOLE.public_paths()[0].to_owned(), json!({"get": {
        "operationId": "getConsole",
        "summary": "The console",
        "description": format!("Redirects to `console/`, below which the page's relative URLs resolve (a client that follows the redirect gets the page). No key: the files hold no data; the page asks for a key and calls this API with it. Served by the Lambda function `{}`.", shared::catalog::CONSOLE.name),
        "tags": ["console"],
        "security": [],
        "responses": {
            "308": {"description": "To `console/`.", "headers": {
                "Location": {"required": true, "schema": {"type": "string", "const": "console/"}},
                "Content-Security-Policy": headers["Content-Security-Policy"].clone()
            }},
            "200": page.clone()
        }
    }}));
    paths.insert("/console/{file}".to_owned(), json!({"get": {
        "operationId": "getConsoleFile",
        "summary": "A file of the console",
        "description": format!("Empty or `index.html`: the page. `v/<version>/<name>`: one of the files the page names (scripts, the stylesheet, the icon, and this document, which the forms are made from); another version is 404. API Gateway's route is `/console/{{proxy+}}`: `file` may hold slashes. Served by the Lambda function `{}`.", shared::catalog::CONSOLE.name),
        "tags": ["console"],
        "security": [],
        "parameters": [{"name": "file", "in": "path", "required": true,
            "description": "The path below `/console/`.", "schema": {"type": "string"},
            "example": "index.html"}],
        "responses": {
            "200": {
                "description": "The file.",
                "headers": page["headers"].clone(),
                "content": {"text/html": text, "text/javascript": text, "text/css": text,
                            "image/svg+xml": text, "application/json": {"schema": {"type": "object"}}}
            },
            "404": not_found
        }
    }}));
}

/// From a created source to the operations on it, for clients and for stateful testing.
fn links(suffix: &str) -> Value {
    let to = |endpoint: Endpoint, description: &str| {
        json!({
            "operationId": format!("{}{suffix}", operation_id(endpoint)),
            "parameters": {"id": "$response.body#/id"},
            "description": description
        })
    };
    json!({
        "GetSource": to(Endpoint::GetSource, "The created source."),
        "UpdateSource": to(Endpoint::UpdateSource, "Update the created source."),
        "DeleteSource": to(Endpoint::DeleteSource, "Delete the created source."),
        "RotateSecretToken": to(Endpoint::RotateSecretToken, "Rotate the created source's signing token."),
        "VerifySource": to(Endpoint::VerifySource, "Verify the created source's credentials."),
    })
}

fn components() -> Value {
    let mut schemas = Map::new();
    schemas.insert("SourceId".into(), json!({
        "type": "string", "pattern": "^[0-9a-f]{24}$",
        "description": "4 bytes of big-endian Unix seconds, then 8 random bytes, as lowercase hex: ids sort by creation time."
    }));
    schemas.insert("SourceName".into(), json!({
        "type": "string", "minLength": 1, "maxLength": shared::domain::MAX_NAME_CHARS,
        "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]*$",
        "description": "The first path segment of the CDN's image URLs: unique across all accounts, compared case-insensitively."
    }));
    schemas.insert(
        "SourceType".into(),
        json!({"type": "string", "enum": type_names()}),
    );
    schemas.insert("Timestamp".into(), json!({
        "type": "string", "format": "date-time", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
        "description": "UTC, RFC 3339 to the second."
    }));
    schemas.insert("SecretToken".into(), json!({
        "type": "string", "pattern": "^[0-9a-f]{64}$",
        "description": "The source's URL-signing key, generated by the server: bossToken = hex(HMAC-SHA256(secret_token, path))."
    }));
    schemas.insert(
        "Errors".into(),
        json!({
            "type": "object", "required": ["errors"], "additionalProperties": false,
            "properties": {"errors": {"type": "array", "minItems": 1, "items": {"type": "string"}}}
        }),
    );
    schemas.insert("VerificationResult".into(), json!({
        "type": "object", "required": ["verification"], "additionalProperties": false,
        "properties": {"verification": {
            "type": "object", "additionalProperties": false,
            "required": ["status", "checked_at", "latency_ms", "checks"],
            "properties": {
                "status": {"type": "string", "enum": verify::Status::ALL,
                    "description": "`inconclusive`: the storage answered but could not tell, e.g. credentials that may read objects but not list the bucket."},
                "checked_at": {"$ref": "#/components/schemas/Timestamp"},
                "latency_ms": {"type": "integer", "minimum": 0},
                "checks": {"type": "array", "items": {
                    "type": "object", "additionalProperties": false, "required": ["check", "result"],
                    "properties": {
                        "check": {"type": "string", "enum": verify::CheckName::ALL},
                        "result": {"type": "string", "enum": verify::CheckResult::ALL}
                    }}},
                "error": {"type": "object", "additionalProperties": false, "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "enum": verify::ErrorCode::ALL},
                        "message": {"type": "string", "description": "Never holds a secret, a signature or a SAS token."}
                    }}
            }}}
    }));
    schemas.insert("ApiKey".into(), json!({
        "type": "object", "additionalProperties": false, "required": ["api_key"],
        "properties": {"api_key": {
            "type": "object", "additionalProperties": false,
            "required": ["id", "label", "scope", "expires_at", "account"],
            "properties": {
                "id": {"type": "string", "pattern": format!("^[0-9a-f]{{{KEY_ID_CHARS}}}$"),
                       "description": "The first 16 hex characters of the key's SHA-256, as in the audit trail."},
                "label": {"type": "string"},
                "scope": {"type": "string", "enum": KeyScope::ALL.iter().map(KeyScope::as_str).collect::<Vec<_>>(),
                          "description": "`read` keys may only GET (SPEC §16)."},
                "expires_at": {"anyOf": [{"$ref": "#/components/schemas/Timestamp"}, {"type": "null"}],
                               "description": "When the key stops working; `null` for never."},
                "account": {"type": "string"}
            }
        }}
    }));
    schemas.insert(
        "Deleted".into(),
        json!({"type": "object", "maxProperties": 0, "description": "`{}`"}),
    );
    schemas.insert(
        "SourceList".into(),
        json!({"type": "array", "items": {"$ref": "#/components/schemas/Source"}}),
    );
    schemas.insert("Event".into(), event_schema());
    schemas.insert("Delivery".into(), delivery_schema(false));
    schemas.insert("Health".into(), health_schema());
    schemas.insert("DeliveryInput".into(), delivery_schema(true));
    schemas.insert(
        "EventList".into(),
        json!({"type": "array", "items": {"$ref": "#/components/schemas/Event"}}),
    );

    let mut one_of = Vec::new();
    let mut create_one_of = Vec::new();
    let mut mapping = Map::new();
    let mut create_mapping = Map::new();
    for source_type in SourceType::ALL {
        let name = type_title(source_type);
        schemas.insert(
            format!("{name}Credentials"),
            stored_credentials(source_type),
        );
        schemas.insert(format!("{name}Source"), stored_source(source_type, &name));
        schemas.insert(
            format!("{name}CredentialAttributes"),
            credential_attributes(source_type),
        );
        schemas.insert(
            format!("{name}SourceCreate"),
            source_create(source_type, &name),
        );
        one_of.push(json!({"$ref": format!("#/components/schemas/{name}Source")}));
        create_one_of.push(json!({"$ref": format!("#/components/schemas/{name}SourceCreate")}));
        mapping.insert(
            source_type.as_str().into(),
            json!(format!("#/components/schemas/{name}Source")),
        );
        create_mapping.insert(
            source_type.as_str().into(),
            json!(format!("#/components/schemas/{name}SourceCreate")),
        );
    }
    schemas.insert(
        "Source".into(),
        json!({
            "oneOf": one_of,
            "discriminator": {"propertyName": fields::SOURCE_TYPE, "mapping": mapping},
            "example": source_example()
        }),
    );
    schemas.insert(
        "CreateRequest".into(),
        json!({
            "type": "object", "required": [fields::SOURCE],
            "description": "Keys beside `source` are ignored.",
            "properties": {fields::SOURCE: {
                "oneOf": create_one_of,
                "discriminator": {"propertyName": fields::SOURCE_TYPE, "mapping": create_mapping}
            }},
            "example": create_example()
        }),
    );
    schemas.insert(
        "UpdateRequest".into(),
        json!({
            "type": "object", "required": [fields::SOURCE],
            "description": "Keys beside `source` are ignored.",
            "properties": {fields::SOURCE: source_update()}
        }),
    );

    json!({
        "securitySchemes": {"apiKey": {
            "type": "apiKey", "in": "header", "name": API_KEY_HEADER,
            "description": "A key made by `image-sources keys create`. No key, an unknown key or a revoked key: 401."
        }},
        "headers": {
            "RequestId": {"required": true, "description": "API Gateway's request id (a fresh one locally).",
                          "schema": {"type": "string", "minLength": 1}},
            "ETag": {"required": true, "description": "The source's version, for `If-Match`.",
                     "schema": {"type": "string", "pattern": "^\"[0-9]+\"$"}},
            "Location": {"required": true, "description": "The new source, under the prefix the request used.",
                         "schema": {"type": "string", "pattern": "^(/api)?/v1/sources/[0-9a-f]{24}$"}},
            "Idempotent-Replayed": {"required": false, "description": "`true` on the answer to a create repeated with its `Idempotency-Key` and body: nothing was created, the source is the one the first request created, as it is now.",
                     "schema": {"type": "string", "enum": ["true"]}},
            "EventsLink": {"required": false, "description": "`<PREFIX/events?...&cursor=...>; rel=\"next\"` (or under `/sources/{id}/events`) while more events may follow. Absent on the last page.",
                     "schema": {"type": "string", "pattern": "^<(/api)?/v1/(sources/[0-9a-f]{24}/)?events\\?[^>]*cursor=[A-Za-z0-9_-]+>; rel=\"next\"$"}},
            "Link": {"required": false, "description": "`<PREFIX/sources?...&cursor=...>; rel=\"next\"` (RFC 8288) while more sources may follow: the same prefix and parameters, and the cursor of the next page. Absent on the last page.",
                     "schema": {"type": "string", "pattern": "^<(/api)?/v1/sources\\?[^>]*cursor=[A-Za-z0-9_-]+>; rel=\"next\"$"}},
            "Retry-After": {"required": true, "description": "Seconds to wait before retrying.",
                            "schema": {"type": "string", "pattern": "^[0-9]+$"}, "example": RETRY_AFTER_SECONDS.to_string()}
        },
        "schemas": schemas,
    })
}

fn type_names() -> Vec<&'static str> {
    SourceType::ALL.iter().map(SourceType::as_str).collect()
}

/// `s3` -> `S3`, `url` -> `Url`: the schema names of a type.
fn type_title(source_type: SourceType) -> String {
    let name = source_type.as_str();
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn secret_keys() -> Vec<String> {
    let mut keys: Vec<String> = SourceType::ALL
        .into_iter()
        .flat_map(credential_keys)
        .filter(|k| k.secret)
        .map(|k| format!("`{}`", k.key))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A credential value as a client may send it (docs/SPEC.md §4: a string, checked for what it is).
fn value_schema(key: &CredentialKey) -> Value {
    let mut schema = json!({
        "type": "string", "minLength": 1, "maxLength": MAX_VALUE_CHARS,
        "description": "No control characters, no white space at either end."
    });
    if key.secret {
        schema["description"] = json!(format!(
            "A storage secret: write-only. `{SECRET_PLACEHOLDER}` keeps the stored secret on update, and is no secret on create."
        ));
        // JSON Schema's own word for it: the console makes it a password field.
        schema["writeOnly"] = json!(true);
    }
    if let Some(form) = key.form {
        schema["description"] = json!(format!(
            "{form} {}",
            schema["description"].as_str().unwrap_or_default()
        ));
    }
    if key.no_colon {
        schema["pattern"] = json!("^[^:]*$");
    }
    if !key.secret && (key.key == "url" || key.key == "endpoint") {
        schema["format"] = json!("uri");
        schema["pattern"] = json!("^https?://");
        schema["description"] = json!(
            "A public http(s) URL in canonical form (its own WHATWG serialization), with no user name or password."
        );
    }
    schema
}

fn require_token_input() -> Value {
    json!({"type": ["string", "boolean", "null"], "enum": ["true", "false", true, false, null],
           "description": "Whether the CDN requires signed URLs: \"false\" when absent on create; `null` resets it to \"false\"."})
}

/// The credentials as responses show them: storage secrets as `****`.
fn stored_credentials(source_type: SourceType) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for key in credential_keys(source_type) {
        let schema = if key.secret {
            json!({"type": "string", "enum": [SECRET_PLACEHOLDER], "description": "A storage secret: never shown."})
        } else {
            json!({"type": "string", "minLength": 1, "maxLength": MAX_VALUE_CHARS})
        };
        properties.insert(key.key.into(), schema);
        if key.required {
            required.push(key.key);
        }
    }
    properties.insert(
        fields::REQUIRE_TOKEN.into(),
        json!({"type": "string", "enum": ["true", "false"]}),
    );
    properties.insert(
        fields::SECRET_TOKEN.into(),
        json!({"$ref": "#/components/schemas/SecretToken"}),
    );
    properties.insert(
        fields::PREVIOUS_SECRET_TOKEN.into(),
        json!({"$ref": "#/components/schemas/SecretToken",
               "description": "The token the latest rotation replaced, while it still signs URLs (SPEC §13); absent after."}),
    );
    properties.insert(
        fields::PREVIOUS_SECRET_TOKEN_EXPIRES_AT.into(),
        json!({"$ref": "#/components/schemas/Timestamp",
               "description": "When `previous_secret_token` stops signing; present exactly when it is."}),
    );
    required.extend([fields::REQUIRE_TOKEN, fields::SECRET_TOKEN]);
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false,
    "dependentRequired": {
        fields::PREVIOUS_SECRET_TOKEN: [fields::PREVIOUS_SECRET_TOKEN_EXPIRES_AT],
        fields::PREVIOUS_SECRET_TOKEN_EXPIRES_AT: [fields::PREVIOUS_SECRET_TOKEN]
    }})
}

fn stored_source(source_type: SourceType, name: &str) -> Value {
    json!({
        "type": "object", "additionalProperties": false,
        "required": [fields::ID, fields::SOURCE, fields::SOURCE_TYPE, fields::ENABLED, fields::CREDENTIALS, "delivery", fields::CREATED_AT, fields::UPDATED_AT, fields::SECRETS_UPDATED_AT, HEALTH],
        "properties": {
            HEALTH: {"$ref": "#/components/schemas/Health"},
            fields::ID: {"$ref": "#/components/schemas/SourceId"},
            fields::SOURCE: {"$ref": "#/components/schemas/SourceName"},
            fields::SOURCE_TYPE: {"type": "string", "enum": [source_type.as_str()]},
            fields::ENABLED: enabled_schema(),
            fields::CREDENTIALS: {"$ref": format!("#/components/schemas/{name}Credentials")},
            "delivery": {"$ref": "#/components/schemas/Delivery"},
            fields::CREATED_AT: {"$ref": "#/components/schemas/Timestamp"},
            fields::UPDATED_AT: {"$ref": "#/components/schemas/Timestamp"},
            fields::SECRETS_UPDATED_AT: {
                "allOf": [{"$ref": "#/components/schemas/Timestamp"}],
                "description": "When a storage secret last changed (set on create; moved by a write \
                    that sets, changes or removes one, not by other writes): a client that cannot \
                    see secrets learns that one changed. Sources stored before this field existed \
                    show their `updated_at`."
            }
        }
    })
}

/// The credentials a create sends for `source_type`.
fn credential_attributes(source_type: SourceType) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for key in credential_keys(source_type) {
        let mut schema = value_schema(&key);
        if key.required {
            required.push(key.key);
        } else {
            // `null` stands for an absent optional key, on create as on update.
            schema["type"] = json!(["string", "null"]);
        }
        properties.insert(key.key.into(), schema);
    }
    properties.insert(fields::REQUIRE_TOKEN.into(), require_token_input());
    let mut schema = json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false});
    if source_type == SourceType::Azure {
        schema["description"] = json!(
            "`container_name` is required with `service_type` `blob`, `share_name` with `file-share`."
        );
        let services: Vec<&str> = AzureService::ALL.iter().map(AzureService::as_str).collect();
        schema["properties"]["service_type"]["enum"] = json!(services);
    }
    schema
}

/// docs/SPEC.md §22's health, as every source response shows it.
fn health_schema() -> Value {
    let statuses: Vec<&str> = HealthStatus::ALL.iter().map(HealthStatus::as_str).collect();
    json!({
        "type": "object", "additionalProperties": false,
        "required": ["status", "checked_at", "error"],
        "description": "What the latest check of the source's credentials found (as `POST /v1/sources/{id}/verify` reports; the scheduled checks run at least daily while the source is enabled, sooner after a failure). Observed, never written by a client: it moves neither `version`, the ETag nor `updated_at`. A disabled source keeps the health its last check found.",
        "properties": {
            "status": {"type": "string", "enum": statuses, "description": "`unknown` until the first check."},
            "checked_at": {"anyOf": [{"$ref": "#/components/schemas/Timestamp"}, {"type": "null"}]},
            "error": {"anyOf": [{"type": "null"}, {
                "type": "object", "additionalProperties": false, "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": ErrorCode::ALL.iter().map(|c| serde_json::to_value(c).unwrap_or_default()).collect::<Vec<_>>()},
                    "message": {"type": "string"}
                }
            }]}
        }
    })
}

/// docs/SPEC.md §17's event.
fn event_schema() -> Value {
    let actions: Vec<&str> = Action::ALL.iter().map(Action::as_str).collect();
    json!({
        "type": "object", "additionalProperties": false,
        "required": ["id", "source_id", "source", "action", "version", "changes", "api_key_id", "api_key_label", "request_id", "at"],
        "properties": {
            "id": {"type": "string", "pattern": "^[0-9a-f]{24}$", "description": "Sorts by time."},
            "source_id": {"$ref": "#/components/schemas/SourceId"},
            "source": {"$ref": "#/components/schemas/SourceName", "description": "The source's name at the time."},
            "action": {"type": "string", "enum": actions},
            "version": {"type": "integer", "minimum": 1, "description": "The source's version this write made (a delete: the deleted version plus one)."},
            "changes": {"type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["field"],
                "properties": {
                    "field": {"type": "string", "description": "`source`, `source_type`, `enabled`, `credentials.<key>`, `delivery.<key>`, `secrets_updated_at`; for `health_changed`, `health.status` and `health.error.code`."},
                    "from": {"type": ["string", "boolean", "integer", "array", "object", "null"], "description": "Absent for a secret, and where the field did not exist; a `delivery.<key>` field shows that key's value."},
                    "to": {"type": ["string", "boolean", "integer", "array", "object", "null"], "description": "Absent for a secret, and where the field no longer exists; a `delivery.<key>` field shows that key's value."}
                }
            }},
            "api_key_id": {"type": ["string", "null"], "pattern": "^[0-9a-f]{16}$", "description": "The first 16 hex characters of the key's SHA-256."},
            "api_key_label": {"type": ["string", "null"], "description": "`system` (with a `null` `api_key_id`) for what no key wrote: `health_changed`."},
            "request_id": {"type": "string"},
            "at": {"$ref": "#/components/schemas/Timestamp"}
        }
    })
}

/// docs/SPEC.md §23's delivery settings: as every response shows them (defaults filled in), or as
/// a create or a PATCH gives them (`input`: every key optional, `null` for its default; a PATCH
/// replaces the keys it names).
fn delivery_schema(input: bool) -> Value {
    use shared::domain::delivery::{
        CacheBehavior, MAX_CUSTOM_DOMAINS, MAX_DEFAULT_PARAMS, MAX_PARAM_VALUE_CHARS,
        MAX_TTL_SECONDS, MIN_ERROR_TTL_SECONDS, MIN_TTL_SECONDS,
    };
    let nullable = |schema: Value| {
        if input {
            json!({"anyOf": [schema, {"type": "null"}]})
        } else {
            schema
        }
    };
    // LDH labels, at least two; a request may use any letter case (stored lowercase).
    let domain_pattern = if input {
        "^[A-Za-z0-9-]{1,63}(\\.[A-Za-z0-9-]{1,63})+$"
    } else {
        "^[a-z0-9-]{1,63}(\\.[a-z0-9-]{1,63})+$"
    };
    let behaviors: Vec<&str> = CacheBehavior::ALL
        .iter()
        .map(CacheBehavior::as_str)
        .collect();
    let fallback = json!({
        "type": "object", "additionalProperties": false, "required": ["url"],
        "properties": {
            "url": {"type": "string", "format": "uri", "pattern": "^https?://",
                "description": "A public http(s) URL in canonical form, as `url` credentials (docs/SPEC.md §4); stored byte for byte."},
            "append_query": {"type": "boolean", "default": false}
        }
    });
    let mut cache = json!({
        "type": "object", "additionalProperties": false,
        "properties": {
            "behavior": nullable(json!({"type": "string", "enum": behaviors, "default": "respect_origin"})),
            "ttl": nullable(json!({"type": "integer", "minimum": MIN_TTL_SECONDS, "maximum": MAX_TTL_SECONDS, "default": MAX_TTL_SECONDS})),
            "error_ttl": nullable(json!({"type": "integer", "minimum": MIN_ERROR_TTL_SECONDS, "maximum": MAX_TTL_SECONDS, "default": 300}))
        }
    });
    let mut fallbacks = json!({
        "type": "object", "additionalProperties": false,
        "properties": {
            "error": {"anyOf": [fallback.clone(), {"type": "null"}], "description": "The image answered when the origin fails; null: the CDN's own error."},
            "missing": {"anyOf": [fallback, {"type": "null"}], "description": "The image answered when the origin has none; null: the CDN's own 404."}
        }
    });
    let mut schema = json!({
        "type": "object", "additionalProperties": false,
        "description": "How the CDN delivers the source's images (imgix's delivery settings).",
        "properties": {
            "custom_domains": nullable(json!({
                "type": "array", "maxItems": MAX_CUSTOM_DOMAINS, "uniqueItems": true,
                "items": {"type": "string", "maxLength": 253, "pattern": domain_pattern},
                "description": "Public DNS names through which the CDN serves this source, unique across all sources of all accounts (case-insensitively); 422 `Custom domain <name> has already been taken`."
            })),
            "default_params": nullable(json!({
                "type": "object", "maxProperties": MAX_DEFAULT_PARAMS,
                "propertyNames": {"pattern": "^[a-z0-9-]{1,32}$"},
                "additionalProperties": {"type": "string", "maxLength": MAX_PARAM_VALUE_CHARS},
                "description": "Rendering parameters applied to every request of the source; values without control characters."
            })),
            "cache": nullable(cache.clone()),
            "fallback_images": nullable(fallbacks.clone()),
            "crossdomain_xml": nullable(json!({"type": "boolean", "default": false}))
        }
    });
    if !input {
        cache["required"] = json!(["behavior", "ttl", "error_ttl"]);
        fallbacks["required"] = json!(["error", "missing"]);
        schema["properties"]["cache"] = cache;
        schema["properties"]["fallback_images"] = fallbacks;
        schema["required"] = json!([
            "custom_domains",
            "default_params",
            "cache",
            "fallback_images",
            "crossdomain_xml"
        ]);
    }
    schema
}

/// docs/SPEC.md §12: a JSON boolean, nothing else.
fn enabled_schema() -> Value {
    json!({"type": "boolean", "default": true,
        "description": "Whether the CDN serves the source. A disabled source keeps its name, credentials and token."})
}

/// Keys inside `source` that clients echo from what they fetched: accepted and ignored.
fn echoed_properties(properties: &mut Map<String, Value>) {
    for key in READ_ONLY_ATTRIBUTES {
        properties.insert(
            key.into(),
            json!({"description": "Read-only: ignored, whatever its value."}),
        );
    }
}

fn source_create(source_type: SourceType, name: &str) -> Value {
    let mut properties = Map::new();
    properties.insert(
        fields::SOURCE.into(),
        json!({"$ref": "#/components/schemas/SourceName"}),
    );
    properties.insert(
        fields::SOURCE_TYPE.into(),
        json!({"type": "string", "enum": [source_type.as_str()]}),
    );
    properties.insert(fields::ENABLED.into(), enabled_schema());
    properties.insert(
        fields::CREDENTIAL_ATTRIBUTES.into(),
        json!({"$ref": format!("#/components/schemas/{name}CredentialAttributes")}),
    );
    properties.insert(
        "delivery".into(),
        json!({"anyOf": [{"$ref": "#/components/schemas/DeliveryInput"}, {"type": "null"}]}),
    );
    echoed_properties(&mut properties);
    json!({
        "type": "object", "additionalProperties": false,
        "required": [fields::SOURCE, fields::SOURCE_TYPE, fields::CREDENTIAL_ATTRIBUTES],
        "properties": properties
    })
}

/// An update: everything optional; the credential keys are those of the stored type (or of the
/// new type, when `source_type` changes), so the document lists every type's keys.
fn source_update() -> Value {
    let mut credential_properties = Map::new();
    for source_type in SourceType::ALL {
        for key in credential_keys(source_type) {
            let mut schema = value_schema(&key);
            schema["type"] = json!(["string", "null"]);
            schema["description"] = json!(format!(
                "{} `null` removes an optional key.",
                schema["description"].as_str().unwrap_or_default()
            ));
            credential_properties.entry(key.key).or_insert(schema);
        }
    }
    credential_properties.insert(fields::REQUIRE_TOKEN.into(), require_token_input());
    let mut properties = Map::new();
    properties.insert(
        fields::SOURCE.into(),
        json!({"$ref": "#/components/schemas/SourceName"}),
    );
    properties.insert(
        fields::SOURCE_TYPE.into(),
        json!({"$ref": "#/components/schemas/SourceType"}),
    );
    properties.insert(fields::ENABLED.into(), enabled_schema());
    properties.insert(fields::CREDENTIAL_ATTRIBUTES.into(), json!({
        "type": "object", "properties": credential_properties, "additionalProperties": false,
        "description": "Merged key by key into the stored credentials; the result must be a valid set for the source's type."
    }));
    properties.insert(
        "delivery".into(),
        json!({"anyOf": [{"$ref": "#/components/schemas/DeliveryInput"}, {"type": "null"}],
            "description": "Replaces the keys it names; a key set to null returns to its default, and `\"delivery\": null` all of them."}),
    );
    echoed_properties(&mut properties);
    json!({"type": "object", "additionalProperties": false, "properties": properties})
}

/// docs/SPEC.md §5's example request.
fn create_example() -> Value {
    json!({fields::SOURCE: {fields::SOURCE: "my-images", fields::SOURCE_TYPE: "s3",
        fields::CREDENTIAL_ATTRIBUTES: {"access_key_id": "AKIA...", "secret_access_key": "wJalr...",
            "bucket": "my-bucket", "region": "us-east-1", fields::REQUIRE_TOKEN: "true"}}})
}

/// docs/SPEC.md §3's example source.
fn source_example() -> Value {
    json!({
        fields::ID: "69a99ae507f19000072d0125", fields::SOURCE: "my-images", fields::SOURCE_TYPE: "s3",
        fields::ENABLED: true,
        fields::CREDENTIALS: {"bucket": "my-bucket", "region": "us-east-1", "access_key_id": "AKIA...",
            "secret_access_key": SECRET_PLACEHOLDER, fields::REQUIRE_TOKEN: "true",
            fields::SECRET_TOKEN: "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"},
        "delivery": shared::domain::delivery::Delivery::default().public(),
        fields::CREATED_AT: "2026-03-05T14:10:00Z", fields::UPDATED_AT: "2026-03-05T14:10:00Z",
        fields::SECRETS_UPDATED_AT: "2026-03-05T14:10:00Z",
        HEALTH: {"status": "ok", "checked_at": "2026-03-06T09:00:00Z", "error": null}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGENERATE: &str = "cargo run --bin image-sources -- openapi > docs/openapi.json";

    #[test]
    fn the_committed_document_is_the_one_the_code_generates() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == document_text(),
            "docs/openapi.json is stale: regenerate it with `{REGENERATE}`"
        );
    }

    #[test]
    fn every_route_of_the_code_is_documented_and_no_other() {
        let document = document();
        let mut documented: Vec<(String, String)> = document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .map(move |method| (method.to_ascii_uppercase(), path.clone()))
            })
            .collect();
        // The console's too; OpenAPI has no `{proxy+}`, its `{file}` may hold slashes. Its routes
        // take every method, of which GET is the one served (the others are 405).
        let mut routes: Vec<(String, String)> = crate::gateway::routes()
            .into_iter()
            .map(|(method, path, function)| {
                let method = if function == shared::catalog::CONSOLE.name {
                    assert_eq!(method, shared::catalog::PUBLIC_METHOD);
                    "GET".to_owned()
                } else {
                    method
                };
                (method, path.replace("{proxy+}", "{file}"))
            })
            .collect();
        documented.sort();
        routes.sort();
        assert_eq!(documented, routes);
    }

    #[test]
    fn every_source_type_has_its_credential_shapes_with_the_rules_required_keys() {
        let document = document();
        let schemas = &document["components"]["schemas"];
        for source_type in SourceType::ALL {
            let name = type_title(source_type);
            let stored = &schemas[format!("{name}Credentials")];
            let sent = &schemas[format!("{name}CredentialAttributes")];
            for key in credential_keys(source_type) {
                assert!(
                    stored["properties"].get(key.key).is_some(),
                    "{name} {}",
                    key.key
                );
                assert!(
                    sent["properties"].get(key.key).is_some(),
                    "{name} {}",
                    key.key
                );
                let required = |schema: &Value| {
                    schema["required"]
                        .as_array()
                        .unwrap()
                        .contains(&json!(key.key))
                };
                assert_eq!(required(sent), key.required, "{name} {}", key.key);
                assert_eq!(required(stored), key.required, "{name} {}", key.key);
                if key.secret {
                    assert_eq!(stored["properties"][key.key]["enum"], json!(["****"]));
                }
            }
        }
        assert_eq!(
            schemas["Source"]["oneOf"].as_array().unwrap().len(),
            SourceType::ALL.len()
        );
    }
}
