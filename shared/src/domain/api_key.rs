use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// An API key as the client holds it. Never stored, never logged: `Debug` prints `[REDACTED]`.
#[derive(Debug, Clone)]
pub struct ApiKey(SecretString);

/// Keys are `isk_` followed by 64 hex characters (256 bits from the OS CSPRNG); the prefix lets
/// secret scanners recognise a leaked key.
const PREFIX: &str = "isk_";

impl ApiKey {
    pub fn generate() -> Self {
        let bytes: [u8; 32] = super::random_bytes();
        Self(SecretString::from(format!(
            "{PREFIX}{}",
            hex::encode(bytes)
        )))
    }

    /// Whatever the client sent; an unknown value simply hashes to a key nobody holds.
    pub fn from_header(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        (!raw.is_empty() && raw.len() <= 256).then(|| Self(SecretString::from(raw.to_owned())))
    }

    pub fn hash(&self) -> ApiKeyHash {
        ApiKeyHash(hex::encode(Sha256::digest(
            self.0.expose_secret().as_bytes(),
        )))
    }

    /// For the one place a key is shown: the admin command that created it.
    pub fn reveal(&self) -> &str {
        self.0.expose_secret()
    }
}

/// SHA-256 of an API key, lowercase hex: what the table stores and what `keys list` shows as the key id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiKeyHash(String);

impl ApiKeyHash {
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key's public id (docs/SPEC.md §17): the first 16 hex characters of its SHA-256.
    pub fn key_id(&self) -> &str {
        &self.0[..KEY_ID_CHARS]
    }
}

/// Hex characters of a key's SHA-256 that name it in the authorizer context and the audit trail.
pub const KEY_ID_CHARS: usize = 16;

/// What a key may do (docs/SPEC.md §16, §26), each scope everything the one before may: a `read`
/// key only reads, a `write` key also writes sources, an `admin` key also manages the account's
/// keys. Which scope each route needs is its row's in `crate::catalog`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum KeyScope {
    Read,
    /// What keys made before scopes existed are.
    #[default]
    Write,
    /// What `serve`'s key and `keys create` without `--scope` are.
    Admin,
}

impl KeyScope {
    pub const ALL: [KeyScope; 3] = [KeyScope::Read, KeyScope::Write, KeyScope::Admin];

    pub fn as_str(&self) -> &'static str {
        match self {
            KeyScope::Read => "read",
            KeyScope::Write => "write",
            KeyScope::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether a key of this scope may do what needs `needed`.
    pub fn covers(&self, needed: KeyScope) -> bool {
        *self >= needed
    }

    /// Whether the key sees sources' signing tokens (docs/SPEC.md §26): a `read` key inspects, and
    /// must not be able to sign URLs.
    pub fn sees_signing_tokens(&self) -> bool {
        self.covers(KeyScope::Write)
    }
}

pub use super::limits::{MAX_KEY_LIFETIME_SECONDS, MAX_KEYS_PER_ACCOUNT, MIN_KEY_LIFETIME_SECONDS};
pub use super::validation::LabelProblem;

pub use super::limits::MAX_LABEL_CHARS;

/// A key's label: 1–64 characters, none a control character, no white space at either end. It is
/// shown in `keys list`, the console's header and every audit event the key writes, so it must
/// read as one line of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyLabel(String);

impl KeyLabel {
    /// For the admin command: the label, or what is wrong with it in a sentence.
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::check(raw).map_err(|problem| match problem {
            LabelProblem::Blank => {
                format!("a label is 1 to {MAX_LABEL_CHARS} characters (this one has 0)")
            }
            LabelProblem::TooLong { chars } => {
                format!("a label is 1 to {MAX_LABEL_CHARS} characters (this one has {chars})")
            }
            LabelProblem::ControlCharacters => {
                "a label must not contain control characters (line breaks, tabs, …)".to_owned()
            }
            LabelProblem::SurroundingWhiteSpace => {
                "a label must not start or end with white space".to_owned()
            }
        })
    }

    pub fn check(raw: &str) -> Result<Self, LabelProblem> {
        let chars = raw.chars().count();
        if chars == 0 {
            return Err(LabelProblem::Blank);
        }
        if chars > MAX_LABEL_CHARS {
            return Err(LabelProblem::TooLong { chars });
        }
        if raw.chars().any(char::is_control) {
            return Err(LabelProblem::ControlCharacters);
        }
        if raw.trim() != raw {
            return Err(LabelProblem::SurroundingWhiteSpace);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::KeyLabel;

    #[test]
    fn a_label_is_1_to_64_printable_characters() {
        for good in [
            "ci",
            "CI deploy (read-only)",
            "é",
            &"x".repeat(64),
            &"é".repeat(64),
            "<img src=x>",
        ] {
            assert_eq!(KeyLabel::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            &"x".repeat(65),
            &"é".repeat(65),
            "a\nb",
            "tab\there",
            "bell\u{7}",
            " ci",
            "ci ",
            "\u{85}next",
        ] {
            assert!(KeyLabel::parse(bad).is_err(), "{bad:?}");
        }
    }

    use super::*;

    #[test]
    fn generated_keys_are_long_random_and_hash_to_hex() {
        let a = ApiKey::generate();
        let b = ApiKey::generate();
        assert_ne!(a.reveal(), b.reveal());
        assert_eq!(a.reveal().len(), PREFIX.len() + 64);
        assert!(ApiKeyHash::parse(a.hash().as_str()).is_some());
        assert_eq!(a.hash(), ApiKey::from_header(a.reveal()).unwrap().hash());
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let key = ApiKey::generate();
        assert!(!format!("{key:?}").contains(&key.reveal()[4..]));
    }

    #[test]
    fn each_scope_covers_the_ones_before_it() {
        use KeyScope::{Admin, Read, Write};
        for (scope, covered) in [
            (Read, vec![Read]),
            (Write, vec![Read, Write]),
            (Admin, vec![Read, Write, Admin]),
        ] {
            for needed in KeyScope::ALL {
                assert_eq!(
                    scope.covers(needed),
                    covered.contains(&needed),
                    "{scope:?} {needed:?}"
                );
            }
        }
        assert!(!Read.sees_signing_tokens());
        assert!(Write.sees_signing_tokens() && Admin.sees_signing_tokens());
        assert_eq!(KeyScope::default(), Write, "what keys without a scope are");
        for scope in KeyScope::ALL {
            assert_eq!(KeyScope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(KeyScope::parse("Admin"), None);
    }

    #[test]
    fn the_key_id_is_the_first_16_hex_characters_of_the_hash() {
        let hash = ApiKey::from_header("isk_example").unwrap().hash();
        assert_eq!(hash.key_id(), &hash.as_str()[..16]);
        assert_eq!(hash.key_id().len(), KEY_ID_CHARS);
    }

    #[test]
    fn blank_header_is_no_key() {
        assert!(ApiKey::from_header("  ").is_none());
        assert!(ApiKey::from_header(&"k".repeat(257)).is_none());
    }
}
