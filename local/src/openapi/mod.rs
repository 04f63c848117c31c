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

mod console;
mod imgix;
mod responses;
mod schemas;

use std::sync::OnceLock;

use serde_json::{Map, Value, json};
use shared::domain::api_key::{
    MAX_KEY_LIFETIME_SECONDS, MAX_LABEL_CHARS, MIN_KEY_LIFETIME_SECONDS,
};
use shared::domain::health::HealthStatus;
use shared::domain::idempotency::{IDEMPOTENCY_TTL_SECONDS, MAX_IDEMPOTENCY_KEY_CHARS};
use shared::domain::list_query::{MAX_CURSOR_CHARS, MAX_PAGE_LIMIT, names};
use shared::domain::rotation::{DEFAULT_GRACE_PERIOD_SECONDS, MAX_GRACE_PERIOD_SECONDS};
use shared::domain::{
    KeyScope, MAX_NAME_CHARS, MAX_VALUE_CHARS, SECRET_PLACEHOLDER, SortOrder, fields, key_request,
    object_path,
};
use shared::http::error::MAX_BODY_BYTES;
use shared::http::request::VERIFY_PARAMETER;
use shared::http::{Endpoint, REQUEST_ID_HEADER};
use shared::routes::PREFIXES;

use console::console_paths;
use responses::{operation_id, responses};
use schemas::{components, create_example, secret_keys, type_names};

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

/// The imgix dialect's document (docs/SPEC.md §24), as published: `docs/openapi-imgix.json`.
pub fn imgix_document_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut text = serde_json::to_string_pretty(&imgix::document()).unwrap_or_default();
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
        Endpoint::CreateApiKey => {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {
                "schema": {"type": "object", "additionalProperties": false, "required": [key_request::LABEL, key_request::SCOPE],
                    "properties": {
                        key_request::LABEL: {"type": "string", "minLength": 1, "maxLength": MAX_LABEL_CHARS,
                            "description": "What the key is for: 1 to 64 characters, no control characters, no white space at either end."},
                        key_request::SCOPE: {"type": "string", "enum": KeyScope::ALL.iter().map(KeyScope::as_str).collect::<Vec<_>>()},
                        key_request::EXPIRES_IN: {"type": ["integer", "null"], "minimum": MIN_KEY_LIFETIME_SECONDS, "maximum": MAX_KEY_LIFETIME_SECONDS,
                            "description": "Seconds the key works for; absent or null: until revoked."}
                    }},
                "example": {key_request::LABEL: "CI", key_request::SCOPE: "read", key_request::EXPIRES_IN: 7_776_000}
            }}});
        }
        Endpoint::VerifySource => {
            op["requestBody"] = json!({"required": false, "content": {"application/json": {
                "schema": {"type": "object", "additionalProperties": false, "properties": {
                    object_path::PATH: {"type": ["string", "null"], "minLength": 2, "maxLength": MAX_VALUE_CHARS,
                        "pattern": "^/[^?#\\\\]*$",
                        "description": "An object to fetch as the CDN would, its key under the source after `/<source>/`, not percent-encoded: reported as the `object` check, with its status, content type and length, or the storage's answer in words. No byte of it is returned."}
                }},
                "example": {object_path::PATH: "/photos/cat.jpg"}
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
        json!({"name": names::NAME, "in": "query", "required": false,
            "description": "Only the account's source with exactly this name, compared case-insensitively (names are unique that way): a page of one source or none, without `Link`; the other filters apply to it. Not a source name: 400 `Parameter name must be a source name`.",
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS, "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]*$"}}),
        json!({"name": names::CUSTOM_DOMAIN, "in": "query", "required": false,
            "description": "Only the account's source served under this custom domain (any letter case): a page of one source or none, without `Link`; the other filters apply to it. A name that cannot be a custom domain is 400 `Parameter custom_domain must be a public DNS name`.",
            "schema": {"type": "string", "maxLength": 253, "pattern": "^[A-Za-z0-9-]{1,63}(\\.[A-Za-z0-9-]{1,63})+$"}}),
        json!({"name": names::SUBDOMAIN, "in": "query", "required": false,
            "description": "Only the account's source served under this subdomain (any letter case): a page of one source or none, without `Link`; the other filters apply to it. Not a DNS label: 400 `Parameter subdomain must be a DNS label`.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 63, "pattern": "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"}}),
    ]
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
             SAS token (list one blob or file), web folders with a ranged `GET`; a web proxy has \
             no storage (`inconclusive`, `unsupported`, no request). With `{\"path\": …}` it also \
             fetches that object as the CDN would and reports it as the `object` check, which \
             leaves `status` and the source's health to the credentials. Addresses that are not \
             public are refused at connect time, redirects too (at most 3); at most 5 s and \
             64 KiB in all; at most 10 verifications a minute per account (then 429 with \
             `Retry-After`). The answer is 200 whatever the storage said; `status` tells.",
        ),
        Endpoint::ListApiKeys => (
            "List the account's API keys",
            "The keys of the account behind the API key, newest first, each with its scope, \
             expiry, creation and the day it was last used on (recorded at most once a day); \
             never a key itself. Any key may list. Revoked keys are not listed.",
        ),
        Endpoint::CreateApiKey => (
            "Create an API key",
            "A new key for the account, shown once in `key` and never again (only its SHA-256 is \
             stored). `read` keys read, `write` keys also change sources, `admin` keys also \
             manage keys; only an `admin` key may create one. At most 20 keys that work per \
             account. An audit event `api_key_created` names it by id and label.",
        ),
        Endpoint::RevokeApiKey => (
            "Revoke an API key",
            "The key stops working at once locally, and in AWS within the authorizer's cache time \
             (60 s). Only an `admin` key may revoke; the account's last admin key that works \
             cannot be revoked (409). An audit event `api_key_revoked` names it.",
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

#[cfg(test)]
mod tests {
    use super::schemas::type_title;
    use super::*;
    use shared::domain::{SourceType, credential_keys};

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
    fn the_committed_imgix_document_is_the_one_the_code_generates() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi-imgix.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == imgix_document_text(),
            "docs/openapi-imgix.json is stale: regenerate it with \
             `cargo run -q --bin image-sources -- openapi --imgix > docs/openapi-imgix.json`"
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
