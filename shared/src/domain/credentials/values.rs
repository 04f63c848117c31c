//! The check of one credential value for what it is (docs/SPEC.md §4). A value is checked exactly as it
//! will be stored: nothing is trimmed or rewritten, so what passed is what the CDN gets.

use super::super::AzureService;
use super::super::public_url::PublicUrl;
use super::super::validation::ValueProblem;
use super::buckets::{BucketRule, lower_alnum_with, valid_bucket};
use super::{MAX_VALUE_CHARS, SECRET_PLACEHOLDER};

#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// An access key id: printable, no spaces.
    AccessKey,
    /// A storage secret: any printable text.
    Secret,
    Bucket(BucketRule),
    Region(RegionRule),
    /// An object key prefix inside the bucket.
    Prefix,
    /// Cloudflare's account id: 32 hex characters.
    HexAccountId,
    /// A public `http(s)://` URL the CDN will fetch from.
    PublicUrl,
    AzureAccountName,
    AzureServiceType,
    /// An Azure container or file share name.
    AzureContainer,
    /// A web folder's Basic authentication user id (docs/SPEC.md §23): no `:`, which would end it
    /// (RFC 7617 §2).
    BasicUser,
    /// A web folder's Basic authentication password: a secret, no `:` either (§23).
    BasicPassword,
    /// A web folder's request handshake or signing key: a secret of exactly 32 Latin-1
    /// characters (§23).
    Latin1Key32,
}

impl Kind {
    /// Whether a value of this kind is a storage secret: write-only, shown as `****`, sealed at
    /// rest (docs/SPEC.md §21).
    pub(crate) fn is_secret(&self) -> bool {
        matches!(self, Kind::Secret | Kind::BasicPassword | Kind::Latin1Key32)
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum RegionRule {
    /// `us-east-1`, `ap-southeast-2`, `us-gov-west-1`.
    Aws,
    /// `nyc3`, `ams3`, `sgp1`.
    DigitalOcean,
}

/// S3's limit on an object key, in bytes of UTF-8; a prefix of one can be no longer.
const MAX_PREFIX_BYTES: usize = 1024;

/// Checks `value` as a `kind`; the rules every value shares come first.
pub(super) fn check_value(kind: Kind, value: &str) -> Result<(), ValueProblem> {
    if value.is_empty() {
        return Err(ValueProblem::Blank);
    }
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(ValueProblem::TooLong);
    }
    if value.chars().any(char::is_control) {
        return Err(ValueProblem::ControlCharacters);
    }
    if value.trim() != value {
        return Err(ValueProblem::SurroundingWhitespace);
    }
    if value == SECRET_PLACEHOLDER && !kind.is_secret() {
        return Err(ValueProblem::PlaceholderForPlainValue);
    }
    let valid = match kind {
        Kind::AccessKey => value.chars().all(|c| !c.is_whitespace()),
        Kind::Secret => true,
        Kind::Prefix => valid_prefix(value),
        Kind::Bucket(rule) => valid_bucket(rule, value),
        Kind::Region(rule) => valid_region(rule, value),
        Kind::HexAccountId => {
            value.len() == 32
                && value
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        }
        Kind::PublicUrl => {
            return PublicUrl::parse(value.to_owned())
                .map(drop)
                .map_err(ValueProblem::Url);
        }
        Kind::AzureAccountName => {
            (3..=24).contains(&value.len())
                && value
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }
        Kind::AzureServiceType => {
            return if AzureService::parse(value).is_some() {
                Ok(())
            } else {
                Err(ValueProblem::NotIncluded)
            };
        }
        Kind::AzureContainer => {
            (3..=63).contains(&value.len())
                && lower_alnum_with(value, b"-")
                && !value.contains("--")
        }
        Kind::BasicUser | Kind::BasicPassword => !value.contains(':'),
        Kind::Latin1Key32 => value.chars().count() == 32 && value.chars().all(|c| c <= '\u{ff}'),
    };
    if valid {
        Ok(())
    } else {
        Err(ValueProblem::Invalid)
    }
}

/// An object key prefix (`images/2026/`): at most 1,024 bytes (S3's key limit, "Naming objects",
/// docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html), no `.` or `..` segment (which
/// HTTP clients and SDKs resolve away, so the object reached would not be the one named), and no
/// leading `/` (S3 would take it as an empty first segment, most tools as nothing: two readings).
/// White space at either end and control characters are refused for every value.
fn valid_prefix(value: &str) -> bool {
    value.len() <= MAX_PREFIX_BYTES
        && !value.starts_with('/')
        && !value
            .split('/')
            .any(|segment| segment == "." || segment == "..")
}

pub(super) fn valid_region(rule: RegionRule, value: &str) -> bool {
    match rule {
        RegionRule::Aws => {
            let parts: Vec<&str> = value.split('-').collect();
            parts.len() >= 3
                && parts[0].len() == 2
                && parts[..parts.len() - 1]
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
                && parts.last().is_some_and(|p| {
                    (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
                })
        }
        RegionRule::DigitalOcean => {
            let bytes = value.as_bytes();
            bytes.len() == 4
                && bytes[..3].iter().all(u8::is_ascii_lowercase)
                && bytes[3].is_ascii_digit()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_object_key_prefixes() {
        for good in ["images/", "images/2026/", "a", "a.b/c..d/", "ü/"] {
            assert_eq!(check_value(Kind::Prefix, good), Ok(()), "{good}");
        }
        for bad in ["../x", "a/../b", "./a", "a/.", "/abs", &"p".repeat(1025)] {
            assert!(check_value(Kind::Prefix, bad).is_err(), "{bad}");
        }
        assert_eq!(
            check_value(Kind::Prefix, " images/"),
            Err(ValueProblem::SurroundingWhitespace)
        );
        assert_eq!(
            check_value(Kind::Prefix, "****"),
            Err(ValueProblem::PlaceholderForPlainValue)
        );
    }

    #[test]
    fn a_prefix_is_limited_in_bytes_not_only_characters() {
        // 600 two-byte characters: within 1,024 characters, over 1,024 bytes.
        assert_eq!(
            check_value(Kind::Prefix, &"é".repeat(600)),
            Err(ValueProblem::Invalid)
        );
    }

    #[test]
    fn the_placeholder_is_a_valid_value_only_for_secrets() {
        assert_eq!(check_value(Kind::Secret, "****"), Ok(()));
        for kind in [Kind::AccessKey, Kind::Prefix, Kind::AzureAccountName] {
            assert_eq!(
                check_value(kind, "****"),
                Err(ValueProblem::PlaceholderForPlainValue)
            );
        }
    }

    #[test]
    fn surrounding_white_space_is_refused_for_every_kind() {
        for kind in [Kind::AccessKey, Kind::Secret, Kind::Prefix, Kind::PublicUrl] {
            for value in [" x", "x ", "\u{a0}x", "x\u{2003}"] {
                assert_eq!(
                    check_value(kind, value),
                    Err(ValueProblem::SurroundingWhitespace),
                    "{kind:?} {value:?}"
                );
            }
        }
    }
}
