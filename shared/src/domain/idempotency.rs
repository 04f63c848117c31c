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

/// HMAC-SHA-256 of the canonical JSON of a create's `source` object (keys sorted at every level,
/// no white space), as `hmac-sha256:<lowercase hex>`. The same request always has the same
/// fingerprint, whatever order or spacing its JSON used; keys beside `source`, which a create
/// ignores, do not count.
///
/// Keyed with a key the table does not hold (docs/SPEC.md §21: KMS's, or the local key file's):
/// the body holds secrets, and a plain digest of it would let a table reader check a guessed one
/// offline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint(String);

const KEYED_PREFIX: &str = "hmac-sha256:";

impl Fingerprint {
    pub fn of(key: &[u8; 32], source: &Map<String, Value>) -> Self {
        use hmac::{Hmac, KeyInit, Mac};
        // HMAC takes keys of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts 32-byte keys"));
        mac.update(canonical(source).as_bytes());
        Self(format!(
            "{KEYED_PREFIX}{}",
            hex::encode(mac.finalize().into_bytes())
        ))
    }

    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this stored fingerprint is `fingerprint`'s request: the same keyed fingerprint,
    /// or, for a record written before fingerprints were keyed (kept 24 hours at most), the
    /// plain SHA-256 of `source` such a record holds. The plain digest is computed here, never
    /// stored again.
    pub fn matches(&self, fingerprint: &Fingerprint, source: &Map<String, Value>) -> bool {
        if self.0.starts_with(KEYED_PREFIX) {
            return *self == *fingerprint;
        }
        self.0 == hex::encode(Sha256::digest(canonical(source).as_bytes()))
    }
}

fn canonical(source: &Map<String, Value>) -> String {
    let mut canonical = String::new();
    write_object(&mut canonical, source);
    canonical
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

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn the_fingerprint_ignores_key_order_and_spacing() {
        let a = object(json!({"source": "a", "credential_attributes": {"x": "1", "y": "2"}}));
        let b: Map<String, Value> = serde_json::from_str(
            r#"{ "credential_attributes" : {"y":"2","x":"1"}, "source":"a" }"#,
        )
        .unwrap();
        assert_eq!(Fingerprint::of(&KEY, &a), Fingerprint::of(&KEY, &b));
        let c = object(json!({"source": "a", "credential_attributes": {"x": "1", "y": "3"}}));
        assert_ne!(Fingerprint::of(&KEY, &a), Fingerprint::of(&KEY, &c));
        let typed = object(json!({"source": "a", "credential_attributes": {"x": 1, "y": "2"}}));
        assert_ne!(Fingerprint::of(&KEY, &a), Fingerprint::of(&KEY, &typed));
        assert_eq!(Fingerprint::of(&KEY, &a).as_str().len(), 12 + 64);
    }

    /// docs/SPEC.md §21: a table reader who guesses a secret cannot check the guess against the
    /// stored fingerprint without the key; with another key, the same body does not match.
    #[test]
    fn the_fingerprint_is_keyed_and_holds_nothing_of_the_body() {
        let body = object(json!({"credential_attributes": {"secret": "very-secret-value"}}));
        let fingerprint = Fingerprint::of(&KEY, &body);
        assert!(!fingerprint.as_str().contains("very-secret"));
        let plain = hex::encode(Sha256::digest(canonical(&body).as_bytes()));
        assert!(!fingerprint.as_str().contains(&plain));
        assert_ne!(fingerprint, Fingerprint::of(&[8; 32], &body));
        assert!(fingerprint.matches(&fingerprint, &body));
        assert!(!Fingerprint::of(&[8; 32], &body).matches(&fingerprint, &body));
    }

    /// Records written before fingerprints were keyed still replay for their last 24 hours.
    #[test]
    fn a_plain_fingerprint_of_an_older_record_still_matches_its_body() {
        let body = object(json!({"source": "a"}));
        let other = object(json!({"source": "b"}));
        let old =
            Fingerprint::from_stored(hex::encode(Sha256::digest(canonical(&body).as_bytes())));
        let now = Fingerprint::of(&KEY, &body);
        assert!(old.matches(&now, &body));
        assert!(!old.matches(&Fingerprint::of(&KEY, &other), &other));
    }
}
