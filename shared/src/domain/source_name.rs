use std::fmt;
use validator::ValidateLength;

use super::validation::Invalid;

/// A source's name: the first path segment of the CDN's image URLs, unique across all accounts,
/// compared case-insensitively. 1–64 characters of `^[A-Za-z0-9][A-Za-z0-9_-]*$`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceName(String);

pub use super::limits::MAX_NAME_CHARS;

impl SourceName {
    /// Every problem with `raw`, in the docs/SPEC.md's wording, or the name.
    pub fn parse(raw: &str) -> Result<Self, Vec<Invalid>> {
        if raw.is_empty() {
            return Err(vec![Invalid::NameBlank]);
        }
        let mut errors = Vec::new();
        if !raw.validate_length(None, Some(MAX_NAME_CHARS), None) {
            errors.push(Invalid::NameTooLong);
        }
        let mut bytes = raw.bytes();
        let well_formed = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !well_formed {
            errors.push(Invalid::NameInvalid);
        }
        if errors.is_empty() {
            Ok(Self(raw.to_owned()))
        } else {
            Err(errors)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that the global name claim is keyed on.
    pub fn claim_key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for SourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_names() {
        for name in ["a", "my-images", "My_Images-2", &"x".repeat(64)] {
            assert!(SourceName::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn blank() {
        assert_eq!(SourceName::parse("").unwrap_err(), [Invalid::NameBlank]);
    }

    #[test]
    fn invalid() {
        for name in [
            "-lead",
            "_lead",
            "has space",
            "dot.ted",
            "slash/x",
            "ｍy",
            "mу-cyrillic",
            "a\u{0}",
        ] {
            assert_eq!(
                SourceName::parse(name).unwrap_err(),
                [Invalid::NameInvalid],
                "{name:?}"
            );
        }
    }

    #[test]
    fn too_long() {
        assert_eq!(
            SourceName::parse(&"x".repeat(65)).unwrap_err(),
            [Invalid::NameTooLong]
        );
        assert_eq!(SourceName::parse(&"-".repeat(65)).unwrap_err().len(), 2);
    }

    #[test]
    fn claim_key_folds_case() {
        assert_eq!(
            SourceName::parse("My-Images").unwrap().claim_key(),
            "my-images"
        );
    }
}
