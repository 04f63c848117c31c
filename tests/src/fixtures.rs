//! The request bodies the suites share: one valid credential set per source type, and the
//! `{"source": {...}}` bodies built from them. Secrets are long enough for the leak scan to look
//! for them in every body and log line.

use serde_json::{Map, Value, json};
use shared::domain::SourceType;

/// The header API Gateway's authorizer reads (docs/SPEC.md §2).
pub const API_KEY_HEADER: &str = shared::http::caller::API_KEY_HEADER;

/// A complete, valid credential set of `source_type`, every optional key included.
pub fn credentials(source_type: SourceType) -> Map<String, Value> {
    let value = match source_type {
        SourceType::S3 => json!({"access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "secret_access_key": "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY",
            "bucket": "my-bucket", "region": "us-east-1", "prefix": "images/"}),
        SourceType::Gcs => {
            json!({"access_key": "GOOG1EXAMPLEACCESSKEY", "secret": "gcs-hmac-secret-0123456789",
            "bucket": "my_bucket.example.com", "prefix": "masters/"})
        }
        SourceType::Dos => {
            json!({"access_key": "DO00EXAMPLEKEY", "secret": "spaces-secret-0123456789",
            "bucket": "my-space", "region": "nyc3", "prefix": "img/"})
        }
        SourceType::R2 => {
            json!({"access_key": "r2-access-key-id", "secret": "r2-secret-0123456789",
            "bucket": "images", "account_id": "0123456789abcdef0123456789abcdef", "prefix": "p/"})
        }
        SourceType::Akamai => {
            json!({"access_key": "akamai-key", "secret": "akamai-secret-0123456789",
            "bucket": "123456/images", "endpoint": "https://example-nsu.akamaihd.net", "prefix": "2026/"})
        }
        SourceType::Wasabi => {
            json!({"access_key": "WASABIEXAMPLEKEY", "secret": "wasabi-secret-0123456789",
            "bucket": "w-bucket", "region": "eu-central-1", "prefix": "x/"})
        }
        SourceType::Azure => json!({"account_name": "myaccount", "service_type": "blob",
            "container_name": "images", "sas_token": "sv=2024-11-04&ss=b&sig=azure-signature-0123456789",
            "prefix": "a/"}),
        SourceType::Url => json!({"url": "https://images.example.com/base/",
            "username": "cdn-fetcher", "password": "web-origin-password-0123456789",
            "request_handshake": "handshake-0123456789abcdefghijkl",
            "request_signing_key": "signing-key-0123456789abcdefghij"}),
        SourceType::Proxy => {
            json!({"username": "proxy-fetcher", "password": "proxy-origin-password-0123456789",
            "request_handshake": "handshake-9876543210abcdefghijkl",
            "request_signing_key": "signing-key-9876543210abcdefghij"})
        }
    };
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A create body for a source of `source_type` named `name`, with [`credentials`].
pub fn source_body(name: &str, source_type: SourceType) -> Value {
    source_with(name, source_type, credentials(source_type))
}

/// A create body with the given credential attributes; a proxy's with `require_token: "true"`
/// unless they say otherwise, since an unsigned proxy is refused (docs/SPEC.md §25).
pub fn source_with(
    name: &str,
    source_type: SourceType,
    mut attributes: Map<String, Value>,
) -> Value {
    if source_type == SourceType::Proxy {
        attributes
            .entry(shared::domain::fields::REQUIRE_TOKEN)
            .or_insert(json!("true"));
    }
    json!({"source": {"source": name, "source_type": source_type.as_str(),
        "credential_attributes": attributes}})
}

/// A `{"source": {"credential_attributes": {...}}}` update body.
pub fn credential_patch(attributes: Value) -> Value {
    json!({"source": {"credential_attributes": attributes}})
}
