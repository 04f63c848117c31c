//! What each operation answers: its statuses with their bodies and headers, and the links from a
//! created source to the operations on it.

use lambda_http::http::Method;
use serde_json::{Map, Value, json};
use shared::domain::ParameterError;
use shared::domain::object_path::PathProblem;
use shared::http::{ApiError, Endpoint, REQUEST_ID_HEADER};

use super::schemas::source_example;

pub(super) fn operation_id(endpoint: Endpoint) -> String {
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

/// The statuses each endpoint answers with, each with its body and headers.
pub(super) fn responses(endpoint: Endpoint, suffix: &str) -> Value {
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
        Endpoint::ListApiKeys => {
            responses.insert("200".into(), json!({
                "description": "The account's keys that are not revoked, newest first (expired ones too: `expires_at` says so); never a key itself.",
                "headers": common_headers(),
                "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/AccountKey"}, "maxItems": 1000},
                    "example": [{"id": "0123456789abcdef", "label": "CI", "scope": "read",
                        "expires_at": "2027-03-05T14:10:00Z", "created_at": "2026-03-05T14:10:00Z", "last_used_on": "2026-03-06"}]}}
            }));
        }
        Endpoint::CreateApiKey => {
            responses.insert("201".into(), json!({
                "description": "The new key, with the key itself in `key`: shown this once, never stored (only its SHA-256), never shown again.",
                "headers": common_headers(),
                "links": {"RevokeApiKey": {
                    "operationId": format!("{}{suffix}", operation_id(Endpoint::RevokeApiKey)),
                    "parameters": {"id": "$response.body#/id"},
                    "description": "Revoke the key just made."
                }},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreatedKey"},
                    "example": {"id": "0123456789abcdef", "label": "CI", "scope": "read",
                        "expires_at": null, "created_at": "2026-03-05T14:10:00Z", "last_used_on": null,
                        "key": "isk_0000000000000000000000000000000000000000000000000000000000000000"}}}
            }));
        }
        Endpoint::RevokeApiKey => {
            responses.insert("204".into(), json!({
                "description": "Revoked: the key stops working at once locally, and in AWS within the authorizer's cache time (60 s). No body.",
                "headers": common_headers()
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
    // The optional `{"path"}` of the object check (docs/SPEC.md §25).
    let checks_object = endpoint == Endpoint::VerifySource;
    let has_id = endpoint.resource().contains("{id}");
    // The account's keys (docs/SPEC.md §26): an `{id}` names a key, not a source.
    let names_key = endpoint == Endpoint::RevokeApiKey;
    let creates_key = endpoint == Endpoint::CreateApiKey;
    let needs_admin = endpoint.scope() == shared::domain::KeyScope::Admin;
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
            rotates || checks_object || creates_key,
            "The body is not JSON or not a JSON object.",
            vec!["Request body must be a JSON object".to_owned()],
        ),
        (
            "403",
            writes && !needs_admin,
            "The key is valid but may not do this: a `read` key only reads (SPEC §16).",
            vec![ApiError::Forbidden.to_string()],
        ),
        (
            "403",
            needs_admin,
            "The key is valid but may not do this: only an `admin` key manages the account's keys (SPEC §26).",
            vec![ApiError::Forbidden.to_string()],
        ),
        (
            "404",
            has_id && !names_key,
            "No such source in this account.",
            vec![ApiError::SourceNotFound.to_string()],
        ),
        (
            "404",
            names_key,
            "No key of this account that is not revoked has this id.",
            vec![ApiError::KeyNotFound.to_string()],
        ),
        (
            "409",
            names_key,
            "The key is the account's last admin key that works: revoking it would lock the account out. Create another admin key first.",
            vec![ApiError::LastAdminKey.to_string()],
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
            has_body || rotates || checks_object || creates_key,
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
        (
            "422",
            creates_key,
            "Every problem of the body (`label` 1 to 64 printable characters, `scope` one of `read`, `write`, `admin`, `expires_in` 3,600 to 63,072,000 seconds), or the account already has 20 keys that work.",
            vec![
                "Label can't be blank".to_owned(),
                "Scope must be one of read, write, admin".to_owned(),
            ],
        ),
        (
            "422",
            checks_object,
            "`path` is not the path of an object inside the source (a URL, a `.` or `..` segment, a query, control characters, over 1,024 characters), or the body has another key; nothing is fetched or counted.",
            vec![PathProblem::Url.to_string()],
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

pub(super) fn common_headers() -> Map<String, Value> {
    let mut headers = Map::new();
    headers.insert(
        REQUEST_ID_HEADER.into(),
        json!({"$ref": "#/components/headers/RequestId"}),
    );
    headers
}

/// From a created source to the operations on it, for clients and for stateful testing.
pub(super) fn links(suffix: &str) -> Value {
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
