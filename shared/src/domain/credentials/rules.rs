//! Which credential keys each source type takes (docs/SPEC.md §4), as data.

use super::super::SourceType;
use super::CredentialRole;
use super::buckets::BucketRule;
use super::values::{Kind, RegionRule};

/// The key that names an Azure source's service.
pub(super) const AZURE_SERVICE_KEY: &str = "service_type";

pub(super) struct KeyRule {
    pub key: &'static str,
    pub required: bool,
    pub kind: Kind,
}

impl KeyRule {
    /// What the key is for, from what its value is: a storage secret is whatever the rules check
    /// as one.
    pub fn role(&self) -> CredentialRole {
        match self.kind {
            Kind::AccessKey => CredentialRole::AccessKey,
            Kind::Secret => CredentialRole::Secret,
            Kind::Bucket(_) => CredentialRole::Bucket,
            Kind::Region(_) => CredentialRole::Region,
            Kind::Prefix => CredentialRole::Prefix,
            Kind::HexAccountId => CredentialRole::AccountId,
            Kind::PublicUrl => CredentialRole::Url,
            Kind::AzureAccountName => CredentialRole::AzureAccount,
            Kind::AzureServiceType => CredentialRole::AzureService,
            Kind::AzureContainer => CredentialRole::AzureResource,
            Kind::BasicUser => CredentialRole::BasicUser,
            Kind::BasicPassword => CredentialRole::BasicPassword,
            Kind::Latin1Key32 => CredentialRole::RequestKey,
        }
    }

    /// Whether the key holds a storage secret: the rules are the one place that says so.
    pub fn secret(&self) -> bool {
        self.kind.is_secret()
    }

    /// The key's own rule in words, for those who describe the API, where it has one.
    pub fn form(&self) -> Option<&'static str> {
        match self.kind {
            Kind::BasicUser => {
                Some("The user name the origin asks for, given with the password; no colon.")
            }
            Kind::BasicPassword => {
                Some("The password the origin asks for, given with the user name; no colon.")
            }
            Kind::Latin1Key32 => Some("Exactly 32 characters (Latin letters, digits and signs)."),
            _ => None,
        }
    }

    /// Whether the key refuses `:` (RFC 7617 ends a user id at the first one).
    pub fn no_colon(&self) -> bool {
        matches!(self.kind, Kind::BasicUser | Kind::BasicPassword)
    }
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
/// `container_name`/`share_name` are required by service type (`super::check_azure_service_type`).
const AZURE_RULES: &[KeyRule] = &[
    required("account_name", Kind::AzureAccountName),
    required(AZURE_SERVICE_KEY, Kind::AzureServiceType),
    optional("container_name", Kind::AzureContainer),
    optional("share_name", Kind::AzureContainer),
    required("sas_token", Kind::Secret),
    optional("prefix", Kind::Prefix),
];
/// How a web folder or a web proxy may authenticate to its origin, as imgix's do (docs/SPEC.md
/// §23, §25): Basic authentication (`username` and `password`, both or neither:
/// [`PAIRED_KEYS`]), and keys the origin may ask requests to carry.
const USERNAME: KeyRule = optional("username", Kind::BasicUser);
const PASSWORD: KeyRule = optional("password", Kind::BasicPassword);
const REQUEST_HANDSHAKE: KeyRule = optional("request_handshake", Kind::Latin1Key32);
const REQUEST_SIGNING_KEY: KeyRule = optional("request_signing_key", Kind::Latin1Key32);

const URL_RULES: &[KeyRule] = &[
    required("url", Kind::PublicUrl),
    USERNAME,
    PASSWORD,
    REQUEST_HANDSHAKE,
    REQUEST_SIGNING_KEY,
];
/// A web proxy has no storage location: each request names the URL (docs/SPEC.md §25).
const PROXY_RULES: &[KeyRule] = &[USERNAME, PASSWORD, REQUEST_HANDSHAKE, REQUEST_SIGNING_KEY];

/// Keys a type takes both or neither of.
pub(super) const PAIRED_KEYS: &[(SourceType, &str, &str)] = &[
    (SourceType::Url, USERNAME.key, PASSWORD.key),
    (SourceType::Proxy, USERNAME.key, PASSWORD.key),
];

/// The type's keys, in the order the reference document shows them.
pub(super) fn rules_for(source_type: SourceType) -> &'static [KeyRule] {
    match source_type {
        SourceType::S3 => S3_RULES,
        SourceType::Gcs => GCS_RULES,
        SourceType::Dos => DOS_RULES,
        SourceType::R2 => R2_RULES,
        SourceType::Akamai => AKAMAI_RULES,
        SourceType::Wasabi => WASABI_RULES,
        SourceType::Azure => AZURE_RULES,
        SourceType::Url => URL_RULES,
        SourceType::Proxy => PROXY_RULES,
    }
}

/// The rule of `key` for `source_type`, if the type takes that key.
pub(super) fn rule(source_type: SourceType, key: &str) -> Option<&'static KeyRule> {
    rules_for(source_type).iter().find(|rule| rule.key == key)
}
