//! The per-type credential rules (SPEC §4), as data, and the checks of each value.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use secrecy::{ExposeSecret, SecretString};

use super::SourceType;

/// What a secret looks like on the way out, and what a client echoes to mean "keep the stored one".
pub const SECRET_PLACEHOLDER: &str = "****";
pub const MAX_VALUE_CHARS: usize = 1024;

/// The storage secrets: write-only, shown as `****`.
const SECRET_KEYS: [&str; 3] = ["secret_access_key", "secret", "sas_token"];

pub(crate) fn is_secret_key(key: &str) -> bool {
    SECRET_KEYS.contains(&key)
}

/// One credential attribute's value. Secrets are kept in a [`SecretString`] so that no `Debug`,
/// log line or error can print them.
#[derive(Clone)]
pub enum CredentialValue {
    Plain(String),
    Secret(SecretString),
}

impl CredentialValue {
    pub fn new(key: &str, value: String) -> Self {
        if is_secret_key(key) {
            Self::Secret(SecretString::from(value))
        } else {
            Self::Plain(value)
        }
    }

    /// The real value, for storage and for the checks.
    pub fn expose(&self) -> &str {
        match self {
            Self::Plain(v) => v,
            Self::Secret(s) => s.expose_secret(),
        }
    }

    /// The value a client may see.
    pub fn public(&self) -> &str {
        match self {
            Self::Plain(v) => v,
            Self::Secret(_) => SECRET_PLACEHOLDER,
        }
    }

    pub(crate) fn is_placeholder(&self) -> bool {
        self.expose() == SECRET_PLACEHOLDER
    }
}

impl PartialEq for CredentialValue {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl fmt::Debug for CredentialValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.public())
    }
}

/// A credential set that satisfies its source type's rules (`require_token` and `secret_token`
/// are held by the source itself).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Credentials(BTreeMap<String, CredentialValue>);

impl Credentials {
    /// Values read back from the table, which were validated when they were written.
    pub(crate) fn from_stored(values: BTreeMap<String, CredentialValue>) -> Self {
        Self(values)
    }

    pub fn get(&self, key: &str) -> Option<&CredentialValue> {
        self.0.get(key)
    }

    /// In the type's table order, the order the reference document shows them in.
    pub fn iter_for(
        &self,
        source_type: SourceType,
    ) -> impl Iterator<Item = (&str, &CredentialValue)> {
        rules_for(source_type)
            .iter()
            .filter_map(|rule| self.0.get_key_value(rule.key))
            .map(|(k, v)| (k.as_str(), v))
    }

    pub(crate) fn into_map(self) -> BTreeMap<String, CredentialValue> {
        self.0
    }

    pub fn exposed_map(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .map(|(k, v)| (k.clone(), v.expose().to_owned()))
            .collect()
    }

    /// Checks `values` against `source_type`'s rules, pushing every problem onto `errors`.
    pub(crate) fn validate(
        source_type: SourceType,
        values: BTreeMap<String, CredentialValue>,
        errors: &mut Vec<String>,
    ) -> Option<Self> {
        let before = errors.len();
        let rules = rules_for(source_type);
        for rule in rules {
            match values.get(rule.key) {
                None if rule.required => errors.push(format!(
                    "Credential {} is required for {source_type} sources",
                    rule.key
                )),
                None => {}
                Some(value) => {
                    if let Err(message) = check_value(rule.kind, value.expose()) {
                        errors.push(format!("Credential {} {message}", rule.key));
                    }
                }
            }
        }
        for key in values.keys() {
            if !rules.iter().any(|rule| rule.key == key) {
                errors.push(format!(
                    "Credential {} is not supported for {source_type} sources",
                    display_key(key)
                ));
            }
        }
        if source_type == SourceType::Azure {
            check_azure_service_type(&values, errors);
        }
        (errors.len() == before).then_some(Self(values))
    }
}

/// Azure's one conditional rule: the container for blob storage, the share for file shares.
fn check_azure_service_type(values: &BTreeMap<String, CredentialValue>, errors: &mut Vec<String>) {
    let (needed, refused) = match values.get("service_type").map(CredentialValue::expose) {
        Some("blob") => ("container_name", "share_name"),
        Some("file-share") => ("share_name", "container_name"),
        _ => return,
    };
    let service_type = if needed == "container_name" {
        "blob"
    } else {
        "file-share"
    };
    if !values.contains_key(needed) {
        errors.push(format!(
            "Credential {needed} is required for azure sources with service_type {service_type}"
        ));
    }
    if values.contains_key(refused) {
        errors.push(format!(
            "Credential {refused} is not supported for azure sources with service_type {service_type}"
        ));
    }
}

/// Key names come from the client: keep them short and printable inside an error message.
pub(crate) fn display_key(key: &str) -> String {
    let mut shown: String = key
        .chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if key.chars().count() > 64 {
        shown.push('…');
    }
    shown
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// An access key id: printable, no spaces.
    AccessKey,
    /// A storage secret: any printable text.
    Secret,
    Bucket(BucketRule),
    Region(RegionRule),
    /// A key prefix inside the bucket.
    Prefix,
    /// Cloudflare's account id: 32 hex characters.
    HexAccountId,
    /// A public `http(s)://` URL the CDN will fetch from.
    PublicUrl,
    AzureAccountName,
    AzureServiceType,
    /// An Azure container or file share name.
    AzureContainer,
}

#[derive(Clone, Copy, Debug)]
enum BucketRule {
    /// S3 and the S3-compatible stores (DigitalOcean Spaces, Wasabi).
    S3,
    Gcs,
    R2,
    /// NetStorage upload directory: a CP code, optionally with a path.
    Akamai,
}

#[derive(Clone, Copy, Debug)]
enum RegionRule {
    /// `us-east-1`, `ap-southeast-2`, `us-gov-west-1`.
    Aws,
    /// `nyc3`, `ams3`, `sgp1`.
    DigitalOcean,
}

struct KeyRule {
    key: &'static str,
    required: bool,
    kind: Kind,
}

const fn required(key: &'static str, kind: Kind) -> KeyRule {
    KeyRule {
        key,
        required: true,
        kind,
    }
}

const fn optional(key: &'static str, kind: Kind) -> KeyRule {
    KeyRule {
        key,
        required: false,
        kind,
    }
}

const S3_RULES: &[KeyRule] = &[
    required("bucket", Kind::Bucket(BucketRule::S3)),
    required("region", Kind::Region(RegionRule::Aws)),
    required("access_key_id", Kind::AccessKey),
    required("secret_access_key", Kind::Secret),
    optional("prefix", Kind::Prefix),
];
const GCS_RULES: &[KeyRule] = &[
    required("bucket", Kind::Bucket(BucketRule::Gcs)),
    required("access_key", Kind::AccessKey),
    required("secret", Kind::Secret),
    optional("prefix", Kind::Prefix),
];
const DOS_RULES: &[KeyRule] = &[
    required("bucket", Kind::Bucket(BucketRule::S3)),
    required("region", Kind::Region(RegionRule::DigitalOcean)),
    required("access_key", Kind::AccessKey),
    required("secret", Kind::Secret),
    optional("prefix", Kind::Prefix),
];
const R2_RULES: &[KeyRule] = &[
    required("bucket", Kind::Bucket(BucketRule::R2)),
    required("access_key", Kind::AccessKey),
    required("secret", Kind::Secret),
    optional("account_id", Kind::HexAccountId),
    optional("prefix", Kind::Prefix),
];
const AKAMAI_RULES: &[KeyRule] = &[
    required("bucket", Kind::Bucket(BucketRule::Akamai)),
    required("endpoint", Kind::PublicUrl),
    required("access_key", Kind::AccessKey),
    required("secret", Kind::Secret),
    optional("prefix", Kind::Prefix),
];
const WASABI_RULES: &[KeyRule] = &[
    required("bucket", Kind::Bucket(BucketRule::S3)),
    optional("region", Kind::Region(RegionRule::Aws)),
    required("access_key", Kind::AccessKey),
    required("secret", Kind::Secret),
    optional("prefix", Kind::Prefix),
];
/// `container_name`/`share_name` are required by service type; see [`check_azure_service_type`].
const AZURE_RULES: &[KeyRule] = &[
    required("account_name", Kind::AzureAccountName),
    required("service_type", Kind::AzureServiceType),
    optional("container_name", Kind::AzureContainer),
    optional("share_name", Kind::AzureContainer),
    required("sas_token", Kind::Secret),
    optional("prefix", Kind::Prefix),
];
const URL_RULES: &[KeyRule] = &[required("url", Kind::PublicUrl)];

fn rules_for(source_type: SourceType) -> &'static [KeyRule] {
    match source_type {
        SourceType::S3 => S3_RULES,
        SourceType::Gcs => GCS_RULES,
        SourceType::Dos => DOS_RULES,
        SourceType::R2 => R2_RULES,
        SourceType::Akamai => AKAMAI_RULES,
        SourceType::Wasabi => WASABI_RULES,
        SourceType::Azure => AZURE_RULES,
        SourceType::Url => URL_RULES,
    }
}

/// The message after "Credential <key> " when `value` is not a valid `kind`.
fn check_value(kind: Kind, value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        return Err("can't be blank");
    }
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err("is too long (maximum is 1024 characters)");
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    let valid = match kind {
        Kind::AccessKey => value.chars().all(|c| !c.is_whitespace()),
        Kind::Secret | Kind::Prefix => true,
        Kind::Bucket(rule) => valid_bucket(rule, value),
        Kind::Region(rule) => valid_region(rule, value),
        Kind::HexAccountId => {
            value.len() == 32
                && value
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        }
        Kind::PublicUrl => return check_public_url(value),
        Kind::AzureAccountName => {
            (3..=24).contains(&value.len())
                && value
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }
        Kind::AzureServiceType => {
            return if matches!(value, "blob" | "file-share") {
                Ok(())
            } else {
                Err("is not included in the list")
            };
        }
        Kind::AzureContainer => {
            (3..=63).contains(&value.len())
                && lower_alnum_with(value, b"-")
                && !value.contains("--")
        }
    };
    if valid { Ok(()) } else { Err("is invalid") }
}

/// Only lowercase letters, digits and `extra`, starting and ending with a letter or digit.
fn lower_alnum_with(value: &str, extra: &[u8]) -> bool {
    let bytes = value.as_bytes();
    let edge = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    bytes.first().is_some_and(|&b| edge(b))
        && bytes.last().is_some_and(|&b| edge(b))
        && bytes.iter().all(|&b| edge(b) || extra.contains(&b))
}

fn valid_bucket(rule: BucketRule, value: &str) -> bool {
    let looks_like_ip = value.parse::<Ipv4Addr>().is_ok();
    match rule {
        BucketRule::S3 => {
            (3..=63).contains(&value.len())
                && lower_alnum_with(value, b".-")
                && !value.contains("..")
                && !looks_like_ip
        }
        BucketRule::Gcs => {
            (3..=222).contains(&value.len())
                && lower_alnum_with(value, b"._-")
                && value
                    .split('.')
                    .all(|part| !part.is_empty() && part.len() <= 63)
                && (value.contains('.') || value.len() <= 63)
                && !value.starts_with("goog")
                && !looks_like_ip
        }
        BucketRule::R2 => (3..=63).contains(&value.len()) && lower_alnum_with(value, b"-"),
        BucketRule::Akamai => {
            value.len() <= 255
                && !value.starts_with('/')
                && !value.split('/').any(|part| part == "..")
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
        }
    }
}

fn valid_region(rule: RegionRule, value: &str) -> bool {
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

/// An absolute `http(s)://` URL whose host the CDN may fetch from: not `localhost`, not a loopback,
/// private, link-local or unspecified address (in any of the forms a URL parser accepts), and no
/// user name or password, which would be shown in clear.
fn check_public_url(value: &str) -> Result<(), &'static str> {
    const REFUSED: &str = "must be a public http(s) URL";
    let url = url::Url::parse(value).map_err(|_| REFUSED)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(REFUSED);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password");
    }
    match url.host() {
        None => Err(REFUSED),
        Some(url::Host::Domain(domain)) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            if domain.is_empty() || domain == "localhost" || domain.ends_with(".localhost") {
                Err(REFUSED)
            } else {
                Ok(())
            }
        }
        Some(url::Host::Ipv4(ip)) if refused_ip(IpAddr::V4(ip)) => Err(REFUSED),
        Some(url::Host::Ipv6(ip)) if refused_ip(IpAddr::V6(ip)) => Err(REFUSED),
        Some(_) => Ok(()),
    }
}

/// Addresses that are not on the public internet.
pub(crate) fn refused_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => refused_ipv4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return refused_ipv4(v4);
            }
            let segments = v6.segments();
            // NAT64 (64:ff9b::/96) embeds an IPv4 address in its last 32 bits.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = segments[6].to_be_bytes();
                let [c, d] = segments[7].to_be_bytes();
                return refused_ipv4(Ipv4Addr::new(a, b, c, d));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (segments[0] & 0xffc0) == 0xfe80 // link-local
                || (segments[0] & 0xfe00) == 0xfc00 // unique local
                || segments[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible, deprecated
                || v6 == Ipv6Addr::UNSPECIFIED
        }
    }
}

fn refused_ipv4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || a >= 240 // reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(t: SourceType, pairs: &[(&str, &str)]) -> Vec<String> {
        let values = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), CredentialValue::new(k, v.to_string())))
            .collect();
        let mut errors = Vec::new();
        let ok = Credentials::validate(t, values, &mut errors);
        assert_eq!(ok.is_some(), errors.is_empty());
        errors
    }

    const S3_OK: [(&str, &str); 4] = [
        ("access_key_id", "AKIA..."),
        ("secret_access_key", "wJalr..."),
        ("bucket", "my-bucket"),
        ("region", "us-east-1"),
    ];

    fn s3_with(key: &str, value: &str) -> Vec<String> {
        let mut pairs: Vec<(&str, &str)> =
            S3_OK.iter().copied().filter(|(k, _)| *k != key).collect();
        pairs.push((key, value));
        check(SourceType::S3, &pairs)
    }

    #[test]
    fn a_complete_set_of_every_type_is_valid() {
        assert!(check(SourceType::S3, &S3_OK).is_empty());
        let common = [("access_key", "GOOG1E"), ("secret", "s3cr3t")];
        let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&str, &str)> {
            common.iter().chain(extra).copied().collect()
        };
        assert!(
            check(
                SourceType::Gcs,
                &with(&[("bucket", "my_bucket.example.com")])
            )
            .is_empty()
        );
        assert!(
            check(
                SourceType::Dos,
                &with(&[("bucket", "space"), ("region", "nyc3")])
            )
            .is_empty()
        );
        assert!(
            check(
                SourceType::R2,
                &with(&[
                    ("bucket", "r2-bucket"),
                    ("account_id", "0123456789abcdef0123456789abcdef")
                ])
            )
            .is_empty()
        );
        assert!(
            check(
                SourceType::Akamai,
                &with(&[
                    ("bucket", "123456/images"),
                    ("endpoint", "https://example-nsu.akamaihd.net")
                ])
            )
            .is_empty()
        );
        assert!(
            check(
                SourceType::Wasabi,
                &with(&[("bucket", "w-bucket"), ("region", "eu-central-1")])
            )
            .is_empty()
        );
        assert!(
            check(
                SourceType::Azure,
                &[
                    ("account_name", "myaccount"),
                    ("service_type", "blob"),
                    ("container_name", "images"),
                    ("sas_token", "sv=2020&sig=x")
                ]
            )
            .is_empty()
        );
        assert!(
            check(
                SourceType::Azure,
                &[
                    ("account_name", "myaccount"),
                    ("service_type", "file-share"),
                    ("share_name", "images"),
                    ("sas_token", "sv=2020&sig=x")
                ]
            )
            .is_empty()
        );
        assert!(
            check(
                SourceType::Url,
                &[("url", "https://images.example.com/base/")]
            )
            .is_empty()
        );
    }

    #[test]
    fn every_missing_required_key_is_reported_with_the_type() {
        assert_eq!(
            check(SourceType::S3, &[]),
            [
                "Credential bucket is required for s3 sources",
                "Credential region is required for s3 sources",
                "Credential access_key_id is required for s3 sources",
                "Credential secret_access_key is required for s3 sources",
            ]
        );
        assert_eq!(
            check(SourceType::Url, &[]),
            ["Credential url is required for url sources"]
        );
        assert_eq!(
            check(SourceType::Azure, &[]),
            [
                "Credential account_name is required for azure sources",
                "Credential service_type is required for azure sources",
                "Credential sas_token is required for azure sources",
            ]
        );
        for (t, keys) in [
            (SourceType::Gcs, &["bucket", "access_key", "secret"][..]),
            (
                SourceType::Dos,
                &["bucket", "region", "access_key", "secret"],
            ),
            (SourceType::R2, &["bucket", "access_key", "secret"]),
            (
                SourceType::Akamai,
                &["bucket", "endpoint", "access_key", "secret"],
            ),
            (SourceType::Wasabi, &["bucket", "access_key", "secret"]),
        ] {
            let expected: Vec<String> = keys
                .iter()
                .map(|k| format!("Credential {k} is required for {t} sources"))
                .collect();
            assert_eq!(check(t, &[]), expected);
        }
    }

    #[test]
    fn unknown_keys_are_refused_not_dropped() {
        assert_eq!(
            s3_with("foo", "x"),
            ["Credential foo is not supported for s3 sources"]
        );
        assert_eq!(
            check(
                SourceType::Url,
                &[("url", "https://example.com"), ("bucket", "b")]
            ),
            ["Credential bucket is not supported for url sources"]
        );
        assert_eq!(
            s3_with("account_id", "x"),
            ["Credential account_id is not supported for s3 sources"]
        );
    }

    #[test]
    fn azure_service_type_decides_container_or_share() {
        let base = [("account_name", "acct"), ("sas_token", "sig")];
        let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&str, &str)> {
            base.iter().chain(extra).copied().collect()
        };
        assert_eq!(
            check(SourceType::Azure, &with(&[("service_type", "blob")])),
            ["Credential container_name is required for azure sources with service_type blob"]
        );
        assert_eq!(
            check(SourceType::Azure, &with(&[("service_type", "file-share")])),
            ["Credential share_name is required for azure sources with service_type file-share"]
        );
        assert_eq!(
            check(
                SourceType::Azure,
                &with(&[
                    ("service_type", "blob"),
                    ("container_name", "c01"),
                    ("share_name", "s01")
                ])
            ),
            ["Credential share_name is not supported for azure sources with service_type blob"]
        );
        assert_eq!(
            check(
                SourceType::Azure,
                &with(&[("service_type", "queue"), ("container_name", "c01")])
            ),
            ["Credential service_type is not included in the list"]
        );
        assert_eq!(
            check(
                SourceType::Azure,
                &with(&[("service_type", "blob"), ("container_name", "Bad--Name")])
            ),
            ["Credential container_name is invalid"]
        );
        assert_eq!(
            check(
                SourceType::Azure,
                &[
                    ("account_name", "UPPER"),
                    ("service_type", "blob"),
                    ("container_name", "c01"),
                    ("sas_token", "s")
                ]
            ),
            ["Credential account_name is invalid"]
        );
    }

    #[test]
    fn generic_value_rules() {
        assert_eq!(s3_with("bucket", ""), ["Credential bucket can't be blank"]);
        assert_eq!(
            s3_with("secret_access_key", &"x".repeat(1025)),
            ["Credential secret_access_key is too long (maximum is 1024 characters)"]
        );
        assert!(s3_with("secret_access_key", &"x".repeat(1024)).is_empty());
        assert_eq!(
            s3_with("access_key_id", "AKIA\u{0}X"),
            ["Credential access_key_id must not contain control characters"]
        );
        assert_eq!(
            s3_with("prefix", "a\nb"),
            ["Credential prefix must not contain control characters"]
        );
        assert_eq!(
            s3_with("access_key_id", "AKIA X"),
            ["Credential access_key_id is invalid"]
        );
        assert!(s3_with("prefix", "images/2026/").is_empty());
    }

    #[test]
    fn bucket_names_per_provider() {
        for bad in [
            "ab",
            "My-Bucket",
            "-bucket",
            "bucket-",
            "a..b",
            "192.168.1.1",
            "under_score",
            &"b".repeat(64),
        ] {
            assert_eq!(
                s3_with("bucket", bad),
                ["Credential bucket is invalid"],
                "{bad}"
            );
        }
        let gcs = |bucket: &'static str| {
            check(
                SourceType::Gcs,
                &[("access_key", "k"), ("secret", "s"), ("bucket", bucket)],
            )
        };
        assert!(gcs("with_underscore").is_empty());
        assert_eq!(gcs("google-thing"), ["Credential bucket is invalid"]);
        let r2 = |bucket: &'static str| {
            check(
                SourceType::R2,
                &[("access_key", "k"), ("secret", "s"), ("bucket", bucket)],
            )
        };
        assert_eq!(r2("dotted.name"), ["Credential bucket is invalid"]);
        let akamai = |bucket: &'static str| {
            check(
                SourceType::Akamai,
                &[
                    ("access_key", "k"),
                    ("secret", "s"),
                    ("endpoint", "https://e.example"),
                    ("bucket", bucket),
                ],
            )
        };
        assert_eq!(akamai("/abs"), ["Credential bucket is invalid"]);
        assert_eq!(akamai("123/../etc"), ["Credential bucket is invalid"]);
    }

    #[test]
    fn regions_per_provider() {
        for good in [
            "us-east-1",
            "ap-southeast-2",
            "us-gov-west-1",
            "eu-central-2",
        ] {
            assert!(s3_with("region", good).is_empty(), "{good}");
        }
        for bad in ["us-east", "US-EAST-1", "useast1", "us-east-123", "nyc3"] {
            assert_eq!(
                s3_with("region", bad),
                ["Credential region is invalid"],
                "{bad}"
            );
        }
        let dos = |region: &'static str| {
            check(
                SourceType::Dos,
                &[
                    ("access_key", "k"),
                    ("secret", "s"),
                    ("bucket", "space"),
                    ("region", region),
                ],
            )
        };
        assert!(dos("ams3").is_empty());
        assert_eq!(dos("us-east-1"), ["Credential region is invalid"]);
        let r2 = |id: &'static str| {
            check(
                SourceType::R2,
                &[
                    ("access_key", "k"),
                    ("secret", "s"),
                    ("bucket", "bkt"),
                    ("account_id", id),
                ],
            )
        };
        assert_eq!(r2("not-hex"), ["Credential account_id is invalid"]);
    }

    #[test]
    fn urls_must_be_public_http() {
        let url = |u: &str| {
            let mut errors = Vec::new();
            let values = [(
                "url".to_string(),
                CredentialValue::new("url", u.to_string()),
            )]
            .into();
            Credentials::validate(SourceType::Url, values, &mut errors);
            errors
        };
        for good in [
            "https://images.example.com/",
            "http://example.com:8080/path?q=1",
            "https://8.8.8.8/",
            "https://[2606:4700::1111]/",
        ] {
            assert!(url(good).is_empty(), "{good}");
        }
        for bad in [
            "ftp://example.com/",
            "example.com",
            "/relative",
            "https://",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f000001/",
            "http://0/",
            "http://0.0.0.0/",
            "http://10.0.0.1/",
            "http://172.16.5.4/",
            "http://192.168.0.10/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[::]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ] {
            assert_eq!(
                url(bad),
                ["Credential url must be a public http(s) URL"],
                "{bad}"
            );
        }
        assert_eq!(
            url("https://user:pass@example.com/"),
            ["Credential url must not contain a user name or password"]
        );
    }

    #[test]
    fn akamai_endpoint_is_checked_like_a_url() {
        let errors = check(
            SourceType::Akamai,
            &[
                ("access_key", "k"),
                ("secret", "s"),
                ("bucket", "123"),
                ("endpoint", "http://10.1.2.3"),
            ],
        );
        assert_eq!(errors, ["Credential endpoint must be a public http(s) URL"]);
    }

    #[test]
    fn secrets_are_redacted_in_debug_and_public_output() {
        let value = CredentialValue::new("secret", "hunter2".into());
        assert_eq!(value.public(), "****");
        assert!(!format!("{value:?}").contains("hunter2"));
        assert_eq!(value.expose(), "hunter2");
        assert_eq!(CredentialValue::new("bucket", "b".into()).public(), "b");
    }

    #[test]
    fn long_or_odd_key_names_are_shortened_in_messages() {
        let long = "k".repeat(100);
        let errors = s3_with(&long, "v");
        assert!(errors[0].len() < 120, "{errors:?}");
        assert_eq!(display_key("a\u{1}b"), "a?b");
    }
}
