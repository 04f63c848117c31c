//! Bucket names as each provider defines them. Each rule cites the provider's documentation.

use std::net::Ipv4Addr;

#[derive(Clone, Copy, Debug)]
pub(crate) enum BucketRule {
    /// S3 and the stores that follow its rules (DigitalOcean Spaces, Wasabi).
    S3,
    Gcs,
    R2,
    /// A NetStorage upload directory: a CP code, optionally with a path.
    Akamai,
}

pub(super) fn valid_bucket(rule: BucketRule, value: &str) -> bool {
    match rule {
        BucketRule::S3 => valid_s3(value),
        BucketRule::Gcs => valid_gcs(value),
        BucketRule::R2 => valid_r2(value),
        BucketRule::Akamai => valid_akamai(value),
    }
}

/// Only lowercase letters, digits and `extra`, starting and ending with a letter or digit.
pub(super) fn lower_alnum_with(value: &str, extra: &[u8]) -> bool {
    let bytes = value.as_bytes();
    let edge = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    bytes.first().is_some_and(|&b| edge(b))
        && bytes.last().is_some_and(|&b| edge(b))
        && bytes.iter().all(|&b| edge(b) || extra.contains(&b))
}

fn looks_like_ipv4(value: &str) -> bool {
    value.parse::<Ipv4Addr>().is_ok()
}

/// Amazon S3, "General purpose bucket naming rules"
/// (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3-63 characters of
/// lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit, no `..`,
/// not an IP address, and none of the prefixes and suffixes AWS reserves for its own features.
/// DigitalOcean Spaces and Wasabi document S3's rules for their buckets.
fn valid_s3(value: &str) -> bool {
    const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
    const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    (3..=63).contains(&value.len())
        && lower_alnum_with(value, b".-")
        && !value.contains("..")
        && !looks_like_ipv4(value)
        && !RESERVED_PREFIXES.iter().any(|p| value.starts_with(p))
        && !RESERVED_SUFFIXES.iter().any(|s| value.ends_with(s))
}

/// Google Cloud Storage, "Bucket names" (cloud.google.com/storage/docs/buckets#naming): lowercase
/// letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit; 3-63 characters,
/// or up to 222 with dots where each dot-separated part is at most 63; not an IP address; not
/// beginning with `goog`; not containing `google` or close misspellings such as `g00gle`.
fn valid_gcs(value: &str) -> bool {
    (3..=222).contains(&value.len())
        && lower_alnum_with(value, b"._-")
        && value
            .split('.')
            .all(|part| !part.is_empty() && part.len() <= 63)
        && (value.contains('.') || value.len() <= 63)
        && !value.starts_with("goog")
        && !spells_google(value)
        && !looks_like_ipv4(value)
}

/// `google` with the look-alike digits Google's rule has in mind read as letters (`g00gle`,
/// `goog1e`, `g0ogl3`), and separators ignored (`goo-gle`).
fn spells_google(value: &str) -> bool {
    let folded: String = value
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .map(|c| match c {
            '0' => 'o',
            '1' => 'l',
            '3' => 'e',
            '9' => 'g',
            other => other,
        })
        .collect();
    folded.contains("google")
}

/// Cloudflare R2, "Create new buckets" (developers.cloudflare.com/r2/buckets/create-buckets/):
/// 3-63 characters of lowercase letters, digits and `-`, not starting or ending with `-`.
fn valid_r2(value: &str) -> bool {
    (3..=63).contains(&value.len()) && lower_alnum_with(value, b"-")
}

/// Akamai NetStorage, "Upload directories" (techdocs.akamai.com/netstorage): every upload
/// directory starts with its CP code, the number Akamai assigns to it, and may go on with a path
/// inside it (`123456` or `123456/images/2026`). Written without the leading `/` that NetStorage's
/// API paths carry, as the ImageBoss dashboard does; path segments are letters, digits, `.`, `_`
/// and `-`, none empty and none `.` or `..`.
fn valid_akamai(value: &str) -> bool {
    let mut parts = value.split('/');
    let cp_code = parts.next().unwrap_or_default();
    value.len() <= 255
        && (1..=10).contains(&cp_code.len())
        && cp_code.bytes().all(|b| b.is_ascii_digit())
        && parts.all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_refuses_what_aws_refuses() {
        for good in ["my-bucket", "a.b.c", "abc", "logs-2026", &"b".repeat(63)] {
            assert!(valid_s3(good), "{good}");
        }
        for bad in [
            "ab",
            "My-Bucket",
            "-bucket",
            "bucket-",
            "a..b",
            "192.168.1.1",
            "under_score",
            "xn--bucket",
            "sthree-bucket",
            "amzn-s3-demo-bucket",
            "bucket-s3alias",
            "bucket--ol-s3",
            "bucket.mrap",
            "bucket--x-s3",
            "bucket--table-s3",
            &"b".repeat(64),
        ] {
            assert!(!valid_s3(bad), "{bad}");
        }
    }

    #[test]
    fn gcs_refuses_google_and_its_misspellings() {
        for good in ["with_underscore", "my-bucket.example.com", "goo-bucket"] {
            assert!(valid_gcs(good), "{good}");
        }
        for bad in [
            "google-thing",
            "goog-images",
            "my-google-bucket",
            "g00gle",
            "images-g00gle",
            "goog1e-images",
            "my-go0gle",
            "goo-gle-bucket",
            "10.0.0.1",
            "_lead",
        ] {
            assert!(!valid_gcs(bad), "{bad}");
        }
    }

    #[test]
    fn r2_takes_lowercase_letters_digits_and_hyphens() {
        assert!(valid_r2("r2-bucket"));
        assert!(!valid_r2("dotted.name"));
        assert!(!valid_r2("-lead"));
    }

    #[test]
    fn akamai_is_a_cp_code_with_an_optional_path() {
        for good in ["123456", "123456/images", "1/a.b/c_d-e"] {
            assert!(valid_akamai(good), "{good}");
        }
        for bad in [
            "abc",
            "",
            "/123456",
            "123456/",
            "123456//images",
            "123/../etc",
            "123/./x",
            "12345678901",
            "images/123456",
            "123 456",
        ] {
            assert!(!valid_akamai(bad), "{bad}");
        }
    }
}
