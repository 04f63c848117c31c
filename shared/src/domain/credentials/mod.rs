//! Credential attributes (docs/SPEC.md §4): the value type that keeps secrets out of every print, and the
//! credential set of a source, which only the per-type rules can build.

mod buckets;
mod rules;
mod sealed;
mod values;

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use super::validation::{Invalid, display_key};
use super::{AzureService, SourceType};

pub use super::limits::{MAX_VALUE_CHARS, SECRET_PLACEHOLDER};
pub use sealed::{FORMAT_VERSION, SealedSecret, Wrap};

/// The secret key `key` names, as the `'static` name the messages carry: a key some type's rules
/// hold to be a storage secret (write-only, shown as `****`). The rules are the one place that
/// says which keys are secret; everything else asks here.
pub(crate) fn secret_key(key: &str) -> Option<&'static str> {
    SourceType::ALL.into_iter().find_map(|source_type| {
        rules::rule(source_type, key)
            .filter(|rule| rule.secret())
            .map(|rule| rule.key)
    })
}

/// What a credential is for, whatever its type calls it: the verify check and anything else that
/// uses credentials reads them by role, never by a literal key name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialRole {
    /// The access key id that signs requests.
    AccessKey,
    /// The storage's secret key (S3's `secret_access_key`, the others' `secret`, Azure's SAS).
    Secret,
    Bucket,
    Region,
    /// An object key prefix inside the bucket.
    Prefix,
    /// Cloudflare's account id.
    AccountId,
    /// A URL the CDN fetches from: Akamai's endpoint, a web folder's base URL.
    Url,
    AzureAccount,
    AzureService,
    /// An Azure container or file share (which one: [`super::AzureService::resource_key`]).
    AzureResource,
    /// A web folder's Basic authentication user id and password (docs/SPEC.md §23).
    BasicUser,
    BasicPassword,
    /// A web folder's request handshake or signing key (§23).
    RequestKey,
}

/// Whether `value` is one of `source_type`'s provider's regions, by the rule its `region`
/// credential is held to (S3's, for the S3-compatible types that take none): the verify check
/// quotes a region a storage names only when it is one.
pub fn is_provider_region(source_type: SourceType, value: &str) -> bool {
    // Region names are short (`ap-southeast-2`); the rule itself bounds no length.
    const MAX_REGION_CHARS: usize = 32;
    let rule = rules::rules_for(source_type)
        .iter()
        .find_map(|rule| match rule.kind {
            values::Kind::Region(region) => Some(region),
            _ => None,
        })
        .unwrap_or(values::RegionRule::Aws);
    value.len() <= MAX_REGION_CHARS && values::valid_region(rule, value)
}

/// What the rules say of one credential key of a type, for those who describe the API (the
/// OpenAPI document): the rules themselves stay private to this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialKey {
    pub key: &'static str,
    pub required: bool,
    /// A storage secret: write-only, shown as `****`.
    pub secret: bool,
    /// What a value must be beyond the rules every value shares, in words, where the key has
    /// such a rule (a web folder's login and request keys, docs/SPEC.md §23).
    pub form: Option<&'static str>,
    /// Whether `:` is refused (a Basic authentication user id or password).
    pub no_colon: bool,
}

/// The keys `source_type` takes, in the reference document's order.
pub fn credential_keys(source_type: SourceType) -> impl Iterator<Item = CredentialKey> {
    rules::rules_for(source_type)
        .iter()
        .map(|rule| CredentialKey {
            key: rule.key,
            required: rule.required,
            secret: rule.secret(),
            form: rule.form(),
            no_colon: rule.no_colon(),
        })
}

/// One credential attribute's value. Secrets are kept in a [`SecretString`] so that no `Debug`,
/// log line or error can print them, and are stored sealed (docs/SPEC.md §21).
#[derive(Clone)]
pub enum CredentialValue {
    Plain(String),
    /// A secret in clear: as a client sent it, opened for a check, or written before sealing.
    Secret(SecretString),
    /// A secret as the table keeps it: only `crate::sealing` opens it.
    Sealed(SealedSecret),
}

impl CredentialValue {
    pub fn new(key: &str, value: String) -> Self {
        if secret_key(key).is_some() {
            Self::Secret(SecretString::from(value))
        } else {
            Self::Plain(value)
        }
    }

    /// The real value, for the checks: `None` for a sealed secret, which must be opened first.
    pub fn clear(&self) -> Option<&str> {
        match self {
            Self::Plain(v) => Some(v),
            Self::Secret(s) => Some(s.expose_secret()),
            Self::Sealed(_) => None,
        }
    }

    /// The value a client may see.
    pub fn public(&self) -> &str {
        match self {
            Self::Plain(v) => v,
            Self::Secret(_) | Self::Sealed(_) => SECRET_PLACEHOLDER,
        }
    }

    pub(crate) fn is_placeholder(&self) -> bool {
        matches!(self, Self::Secret(s) if s.expose_secret() == SECRET_PLACEHOLDER)
    }
}

/// Values compare as what they hold: a sealed secret equals only the same envelope, since nothing
/// that writes may open one to compare it with a value in clear.
impl PartialEq for CredentialValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Plain(a), Self::Plain(b)) => a == b,
            (Self::Secret(a), Self::Secret(b)) => a.expose_secret() == b.expose_secret(),
            (Self::Sealed(a), Self::Sealed(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Debug for CredentialValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.public())
    }
}

/// A credential set as the table holds it: values in clear (secrets among them only if written
/// before sealing existed) and sealed secrets.
pub(crate) struct StoredCredentials {
    pub clear: BTreeMap<String, String>,
    pub sealed: BTreeMap<String, SealedSecret>,
}

/// A credential set that satisfies its source type's rules (`require_token` and `secret_token`
/// are held by the source itself). Built only by [`Credentials::validate`], from the values it
/// checked, or from the table, which holds only what was validated when it was written.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Credentials(BTreeMap<&'static str, CredentialValue>);

impl Credentials {
    /// Values read back from the table; `None` if one has a key the type does not take (never
    /// written by this code: a bug or tampering).
    pub(crate) fn from_stored(source_type: SourceType, stored: StoredCredentials) -> Option<Self> {
        let clear = stored.clear.into_iter().map(|(key, value)| {
            let key = rules::rule(source_type, &key)?.key;
            Some((key, CredentialValue::new(key, value)))
        });
        let sealed = stored.sealed.into_iter().map(|(key, sealed)| {
            let key = secret_key(rules::rule(source_type, &key)?.key)?;
            Some((key, CredentialValue::Sealed(sealed)))
        });
        let values: BTreeMap<_, _> = clear.chain(sealed).collect::<Option<_>>()?;
        Some(Self(values))
    }

    /// Values in clear as the table would hold them before sealing (the unit tests' way in).
    #[cfg(test)]
    pub(crate) fn from_clear(
        source_type: SourceType,
        clear: BTreeMap<String, String>,
    ) -> Option<Self> {
        Self::from_stored(
            source_type,
            StoredCredentials {
                clear,
                sealed: BTreeMap::new(),
            },
        )
    }

    /// The set as the table stores it; `None` if a secret is still in clear: it must be sealed
    /// before it is written (docs/SPEC.md §21).
    pub(crate) fn to_stored(&self) -> Option<StoredCredentials> {
        let mut stored = StoredCredentials {
            clear: BTreeMap::new(),
            sealed: BTreeMap::new(),
        };
        for (key, value) in &self.0 {
            match value {
                CredentialValue::Plain(v) => {
                    stored.clear.insert((*key).to_owned(), v.clone());
                }
                CredentialValue::Sealed(sealed) => {
                    stored.sealed.insert((*key).to_owned(), sealed.clone());
                }
                CredentialValue::Secret(_) => return None,
            }
        }
        Some(stored)
    }

    /// The secrets still in clear, by key.
    pub fn clear_secrets(&self) -> impl Iterator<Item = (&'static str, &SecretString)> {
        self.0.iter().filter_map(|(key, value)| match value {
            CredentialValue::Secret(secret) => Some((*key, secret)),
            _ => None,
        })
    }

    /// The sealed secrets, by key.
    pub fn sealed_secrets(&self) -> impl Iterator<Item = (&'static str, &SealedSecret)> {
        self.0.iter().filter_map(|(key, value)| match value {
            CredentialValue::Sealed(sealed) => Some((*key, sealed)),
            _ => None,
        })
    }

    /// The same set with `key`'s value replaced (a secret sealed or opened); `key` must be one
    /// the set holds.
    pub(crate) fn replaced(&self, key: &str, value: CredentialValue) -> Self {
        let mut values = self.0.clone();
        if let Some(slot) = values.get_mut(key) {
            *slot = value;
        }
        Self(values)
    }

    /// Whether a secret differs between the two sets (a key added, removed or given a new
    /// value): what moves `secrets_updated_at`. Secrets compare as [`CredentialValue`]s do.
    pub(crate) fn secrets_differ(&self, other: &Self) -> bool {
        let secrets = |c: &Self| -> Vec<(&'static str, CredentialValue)> {
            c.0.iter()
                .filter(|(key, _)| secret_key(key).is_some())
                .map(|(key, value)| (*key, value.clone()))
                .collect()
        };
        secrets(self) != secrets(other)
    }

    pub fn get(&self, key: &str) -> Option<&CredentialValue> {
        self.0.get(key)
    }

    /// The value that plays `role` for a `source_type` source, if it has one. For Azure's
    /// container or share, [`Credentials::get`] with the service's `resource_key`.
    pub fn by_role(
        &self,
        source_type: SourceType,
        role: CredentialRole,
    ) -> Option<&CredentialValue> {
        rules::rules_for(source_type)
            .iter()
            .find(|rule| rule.role() == role)
            .and_then(|rule| self.0.get(rule.key))
    }

    /// The Azure service of an `azure` source.
    pub fn azure_service(&self) -> Option<AzureService> {
        AzureService::parse(
            self.by_role(SourceType::Azure, CredentialRole::AzureService)?
                .clear()?,
        )
    }

    /// In the type's table order, the order the reference document shows them in.
    pub fn iter_for(
        &self,
        source_type: SourceType,
    ) -> impl Iterator<Item = (&'static str, &CredentialValue)> {
        rules::rules_for(source_type)
            .iter()
            .filter_map(|rule| Some((rule.key, self.0.get(rule.key)?)))
    }

    /// The values, for merging an update into them.
    pub(crate) fn to_values(&self) -> BTreeMap<String, CredentialValue> {
        self.0
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    /// Whether `source_type` takes a credential named `key`.
    pub(crate) fn supports(source_type: SourceType, key: &str) -> bool {
        rules::rule(source_type, key).is_some()
    }

    /// Checks `values` against `source_type`'s rules, pushing every problem onto `errors`. The set
    /// it returns holds each value exactly as it was checked.
    pub(crate) fn validate(
        source_type: SourceType,
        mut values: BTreeMap<String, CredentialValue>,
        errors: &mut Vec<Invalid>,
    ) -> Option<Self> {
        let before = errors.len();
        let mut checked = BTreeMap::new();
        let mut given = Vec::new();
        for rule in rules::rules_for(source_type) {
            if values.contains_key(rule.key) {
                given.push(rule.key);
            }
            match values.remove(rule.key) {
                None if rule.required => errors.push(Invalid::CredentialRequired {
                    key: rule.key,
                    source_type,
                }),
                None => {}
                // A sealed secret was checked before it was sealed.
                Some(value) => match value
                    .clear()
                    .map(|text| values::check_value(rule.kind, text))
                {
                    None | Some(Ok(())) => {
                        checked.insert(rule.key, value);
                    }
                    Some(Err(problem)) => errors.push(Invalid::Credential {
                        key: rule.key,
                        problem,
                    }),
                },
            }
        }
        // What no rule took is not a credential of this type.
        for key in values.keys() {
            errors.push(Invalid::CredentialNotSupported {
                key: display_key(key),
                source_type,
            });
        }
        if source_type == SourceType::Azure {
            check_azure_service_type(&checked, &given, errors);
        }
        for (paired_type, first, second) in rules::PAIRED_KEYS {
            if *paired_type != source_type {
                continue;
            }
            match (given.contains(first), given.contains(second)) {
                (true, false) => errors.push(Invalid::CredentialRequiredWith {
                    key: second,
                    with: first,
                }),
                (false, true) => errors.push(Invalid::CredentialRequiredWith {
                    key: first,
                    with: second,
                }),
                _ => {}
            }
        }
        (errors.len() == before).then_some(Self(checked))
    }
}

/// Azure's one conditional rule: the container for blob storage, the share for file shares.
fn check_azure_service_type(
    checked: &BTreeMap<&'static str, CredentialValue>,
    given: &[&'static str],
    errors: &mut Vec<Invalid>,
) {
    let Some(service) = checked
        .get(rules::AZURE_SERVICE_KEY)
        .and_then(|value| AzureService::parse(value.clear()?))
    else {
        return;
    };
    let service_type = service.as_str();
    let needed = service.resource_key();
    let refused = service.other().resource_key();
    if !given.contains(&needed) {
        errors.push(Invalid::CredentialRequiredForService {
            key: needed,
            service_type,
        });
    }
    if given.contains(&refused) {
        errors.push(Invalid::CredentialNotSupportedForService {
            key: refused,
            service_type,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rules are the one place that says what is secret: every key a type checks as a
    /// secret is kept and shown as one, and no key is a secret for one type and plain for another
    /// (a value is made secret by its name alone, before its type is known).
    #[test]
    fn secrecy_comes_from_the_rules_alone() {
        let mut secret_keys = Vec::new();
        for source_type in SourceType::ALL {
            for key in credential_keys(source_type) {
                let value = CredentialValue::new(key.key, "some-value".to_owned());
                assert_eq!(
                    value.public() == SECRET_PLACEHOLDER,
                    key.secret,
                    "{source_type:?} {}",
                    key.key
                );
                assert_eq!(secret_key(key.key).is_some(), key.secret, "{}", key.key);
                if key.secret {
                    secret_keys.push(key.key);
                }
            }
        }
        secret_keys.sort_unstable();
        secret_keys.dedup();
        assert_eq!(
            secret_keys,
            [
                "password",
                "request_handshake",
                "request_signing_key",
                "sas_token",
                "secret",
                "secret_access_key"
            ]
        );
        assert!(secret_key("bucket").is_none());
    }

    #[test]
    fn credentials_are_read_by_role_whatever_the_type_calls_them() {
        let s3 = Credentials(BTreeMap::from([
            (
                "access_key_id",
                CredentialValue::new("access_key_id", "AKIA".into()),
            ),
            (
                "secret_access_key",
                CredentialValue::new("secret_access_key", "s3-secret".into()),
            ),
        ]));
        let gcs = Credentials(BTreeMap::from([
            (
                "access_key",
                CredentialValue::new("access_key", "GOOG".into()),
            ),
            (
                "secret",
                CredentialValue::new("secret", "gcs-secret".into()),
            ),
        ]));
        let role =
            |c: &Credentials, t, r| c.by_role(t, r).and_then(|v| v.clear()).map(str::to_owned);
        assert_eq!(
            role(&s3, SourceType::S3, CredentialRole::AccessKey).as_deref(),
            Some("AKIA")
        );
        assert_eq!(
            role(&s3, SourceType::S3, CredentialRole::Secret).as_deref(),
            Some("s3-secret")
        );
        assert_eq!(
            role(&gcs, SourceType::Gcs, CredentialRole::Secret).as_deref(),
            Some("gcs-secret")
        );
        assert_eq!(role(&gcs, SourceType::Gcs, CredentialRole::Bucket), None);
    }

    fn check(t: SourceType, pairs: &[(&str, &str)]) -> Vec<String> {
        let values = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), CredentialValue::new(k, v.to_string())))
            .collect();
        let mut errors = Vec::new();
        let ok = Credentials::validate(t, values, &mut errors);
        assert_eq!(ok.is_some(), errors.is_empty());
        errors.iter().map(Invalid::to_string).collect()
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

    /// Each provider's rules are tested in `buckets.rs`; here, that they answer for `bucket`.
    #[test]
    fn a_bucket_is_checked_by_its_providers_rule() {
        assert_eq!(
            s3_with("bucket", "xn--images"),
            ["Credential bucket is invalid"]
        );
        let gcs = |bucket: &'static str| {
            check(
                SourceType::Gcs,
                &[("access_key", "k"), ("secret", "s"), ("bucket", bucket)],
            )
        };
        assert!(gcs("with_underscore").is_empty());
        assert_eq!(gcs("g00gle-images"), ["Credential bucket is invalid"]);
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
    fn url_problems_are_named_after_the_key() {
        let url = |u: &str| check(SourceType::Url, &[("url", u)]);
        assert!(url("https://images.example.com/base/").is_empty());
        assert_eq!(
            url("http://10.0.0.1/"),
            ["Credential url must be a public http(s) URL"]
        );
        assert_eq!(
            url("http://example.com\\@169.254.169.254/"),
            ["Credential url must not contain a backslash"]
        );
        assert_eq!(
            url("https://user:pass@example.com/"),
            ["Credential url must not contain a user name or password"]
        );
        assert_eq!(
            url("https://Example.com/"),
            ["Credential url must be written in canonical form: https://example.com/"]
        );
        assert_eq!(
            url(" https://example.com/"),
            ["Credential url must not start or end with white space"]
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
        assert_eq!(value.clear(), Some("hunter2"));
        assert_eq!(CredentialValue::new("bucket", "b".into()).public(), "b");
    }

    #[test]
    fn long_or_odd_key_names_are_shortened_in_messages() {
        let long = "k".repeat(100);
        let errors = s3_with(&long, "v");
        assert!(errors[0].len() < 120, "{errors:?}");
        assert_eq!(display_key("a\u{1}b"), "a?b");
    }

    /// docs/SPEC.md §23: a web folder's origin login, both keys or neither, no `:` in either;
    /// its request keys exactly 32 Latin-1 characters; all but the user id secret.
    #[test]
    fn a_web_folder_may_authenticate_to_its_origin() {
        let url = ("url", "https://images.example.com/");
        assert!(check(SourceType::Url, &[url]).is_empty());
        assert!(
            check(
                SourceType::Url,
                &[url, ("username", "cdn"), ("password", "pw-0123")]
            )
            .is_empty()
        );
        assert_eq!(
            check(SourceType::Url, &[url, ("username", "cdn")]),
            ["Credential password is required with username"]
        );
        assert_eq!(
            check(SourceType::Url, &[url, ("password", "pw-0123")]),
            ["Credential username is required with password"]
        );
        assert_eq!(
            check(
                SourceType::Url,
                &[url, ("username", "c:dn"), ("password", "p:w")]
            ),
            [
                "Credential username is invalid",
                "Credential password is invalid"
            ]
        );
        let latin1 = "é".repeat(32);
        let euro = "€".repeat(32);
        for (value, ok) in [
            ("k".repeat(32), true),
            (latin1, true),
            ("k".repeat(31), false),
            ("k".repeat(33), false),
            (euro, false),
        ] {
            for key in ["request_handshake", "request_signing_key"] {
                assert_eq!(
                    check(SourceType::Url, &[url, (key, value.as_str())]).is_empty(),
                    ok,
                    "{key} {value}"
                );
            }
        }
        for key in ["password", "request_handshake", "request_signing_key"] {
            assert_eq!(
                CredentialValue::new(key, "x".into()).public(),
                SECRET_PLACEHOLDER
            );
        }
        assert_eq!(
            CredentialValue::new("username", "cdn".into()).public(),
            "cdn"
        );
        // The other types take none of them.
        assert_eq!(
            check(SourceType::S3, &[("username", "cdn")])
                .iter()
                .filter(|m| m.contains("username is not supported"))
                .count(),
            1
        );
    }
}
