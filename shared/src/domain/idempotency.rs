//! Idempotent creates (docs/SPEC.md §15): the client's `Idempotency-Key` and the fingerprint of the
//! request it came with.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The header a create takes.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// The header a replayed answer carries (`true`).
pub const IDEMPOTENT_REPLAYED_HEADER: &str = "idempotent-replayed";
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;
/// How long a key is remembered.
pub const IDEMPOTENCY_TTL_SECONDS: i64 = 24 * 3600;

/// 1–255 printable ASCII characters (space included, as inside a header value), as the client
/// sent them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &[u8]) -> Option<Self> {
        let printable = raw.iter().all(|b| (0x20..=0x7e).contains(b));
        if raw.is_empty() || raw.len() > MAX_IDEMPOTENCY_KEY_CHARS || !printable {
            return None;
        }
        std::str::from_utf8(raw).ok().map(|s| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// SHA-256 of the canonical JSON of a create's `source` object (keys sorted at every level, no
/// white space), lowercase hex. The same request always has the same fingerprint, whatever order
/// or spacing its JSON used; keys beside `source`, which a create ignores, do not count.
///
/// It holds no secret in clear: it is a one-way digest of a body whose secrets the source item
/// stores in clear anyway (the table's one copy of them), so it tells nobody with access to the
/// table anything the source item does not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn of(source: &Map<String, Value>) -> Self {
        let mut canonical = String::new();
        write_object(&mut canonical, source);
        Self(hex::encode(Sha256::digest(canonical.as_bytes())))
    }

    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn write_object(out: &mut String, object: &Map<String, Value>) {
    let mut keys: Vec<&String> = object.keys().collect();
    keys.sort();
    out.push('{');
    for (n, key) in keys.into_iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&Value::String(key.clone()).to_string());
        out.push(':');
        write_value(out, &object[key]);
    }
    out.push('}');
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Object(object) => write_object(out, object),
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_key_is_1_to_255_printable_ascii_characters() {
        assert!(IdempotencyKey::parse(b"a").is_some());
        assert!(IdempotencyKey::parse(b"order 42 / retry #3").is_some());
        assert!(IdempotencyKey::parse(&[b'k'; 255]).is_some());
        for bad in [
            &b""[..],
            &[b'k'; 256],
            b"tab\there",
            b"nul\0",
            "é".as_bytes(),
            b"\x7f",
        ] {
            assert!(IdempotencyKey::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn the_fingerprint_ignores_key_order_and_spacing() {
        let a = object(json!({"source": "a", "credential_attributes": {"x": "1", "y": "2"}}));
        let b: Map<String, Value> = serde_json::from_str(
            r#"{ "credential_attributes" : {"y":"2","x":"1"}, "source":"a" }"#,
        )
        .unwrap();
        assert_eq!(Fingerprint::of(&a), Fingerprint::of(&b));
        let c = object(json!({"source": "a", "credential_attributes": {"x": "1", "y": "3"}}));
        assert_ne!(Fingerprint::of(&a), Fingerprint::of(&c));
        let typed = object(json!({"source": "a", "credential_attributes": {"x": 1, "y": "2"}}));
        assert_ne!(Fingerprint::of(&a), Fingerprint::of(&typed));
        assert_eq!(Fingerprint::of(&a).as_str().len(), 64);
    }

    #[test]
    fn the_fingerprint_holds_nothing_of_the_body() {
        let body = object(json!({"credential_attributes": {"secret": "very-secret-value"}}));
        let fingerprint = Fingerprint::of(&body);
        assert!(!fingerprint.as_str().contains("secret"));
        assert!(fingerprint.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
