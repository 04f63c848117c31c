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
mod tests;
