//! The table's items as `serde_dynamo` writes them, and their keys.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use crate::domain::credentials::StoredCredentials;
use crate::domain::delivery::{Delivery, ServedName};
use crate::domain::health::{CheckSchedule, Health, HealthError, HealthStatus};
use crate::domain::{
    AccountId, Credentials, PreviousToken, SealedSecret, SecretToken, Source, SourceFields,
    SourceId, SourceName, SourceType, Timestamp,
};

use super::StoreError;

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) const ACCOUNT_PK_PREFIX: &str = "ACCOUNT#";

pub(crate) fn account_pk(account: &AccountId) -> String {
    format!("{ACCOUNT_PK_PREFIX}{account}")
}

pub(crate) fn source_sk(id: &SourceId) -> String {
    format!("{SOURCE_SK_PREFIX}{id}")
}

pub(crate) const SOURCE_SK_PREFIX: &str = "SOURCE#";

pub(crate) fn name_pk(name: &SourceName) -> String {
    format!("NAME#{}", name.claim_key())
}

pub(crate) const NAME_SK: &str = "NAME";

/// The key of the global claim on a host name a source is served under (docs/SPEC.md §23, §25):
/// custom domains and subdomains apart, as `a.b` and the label `a` are different names.
pub(crate) fn served_name_key(name: &ServedName) -> (String, &'static str) {
    match name {
        ServedName::Domain(domain) => (format!("DOMAIN#{domain}"), "DOMAIN"),
        ServedName::Subdomain(label) => (format!("SUBDOMAIN#{label}"), "SUBDOMAIN"),
    }
}

pub(crate) fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([
        ("PK".to_owned(), AttributeValue::S(pk)),
        ("SK".to_owned(), AttributeValue::S(sk.into())),
    ])
}

/// A source as stored: its storage secrets sealed (docs/SPEC.md §21; `SealedSecret` documents the
/// format), its signing tokens in clear (the contract shows them). Deliberately no `Debug`.
#[derive(Serialize, Deserialize)]
pub(crate) struct SourceItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub id: String,
    pub account_id: String,
    pub source: String,
    /// The name lowercased: the sort key of the name index (`table::NAME_INDEX_KEY`).
    pub name_lc: String,
    pub source_type: String,
    /// Items written before `enabled` existed are enabled.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Values in clear: every credential that is not a storage secret, and storage secrets
    /// written before sealing existed (sealed at the source's next write, or by `seal-secrets`).
    pub credentials: BTreeMap<String, String>,
    /// The storage secrets, sealed, by credential key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sealed_credentials: BTreeMap<String, SealedSecret>,
    pub require_token: bool,
    pub secret_token: String,
    /// The token the latest rotation replaced, and until when it signs (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_token_expires_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Absent on items written before it existed: their `updated_at` stands in, never earlier
    /// than the secret's last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_updated_at: Option<String>,
    /// The delivery settings (docs/SPEC.md §23) in the form responses show, when they are not
    /// all defaults; absent on items written before they existed, which read as the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<serde_json::Value>,
    pub version: u64,
    /// What the latest check found (docs/SPEC.md §22); absent until the first check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_checked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_error: Option<HealthErrorItem>,
    /// The due index's keys (`table::DUE_INDEX`): present while the source is enabled, so that
    /// a disabled source is not in the index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_shard: Option<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<i64>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub check_failures: u32,
    /// `Source::check_rev`; absent (0) on items no check has written.
    #[serde(default)]
    pub check_rev: u64,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// `health_error` as stored.
#[derive(Serialize, Deserialize)]
pub(crate) struct HealthErrorItem {
    pub code: String,
    pub message: String,
}

/// The due index's shard of a source: the last character of its id, whose bits are random, so
/// that the shards fill evenly and each account's sources spread over all of them.
pub(crate) fn due_shard(id: &SourceId) -> String {
    id.as_str()
        .chars()
        .last()
        .map(String::from)
        .unwrap_or_default()
}

impl SourceItem {
    /// The item of `source`; an error if a storage secret is still in clear: nothing writes one
    /// to the table (docs/SPEC.md §21).
    pub fn from_source(source: &Source) -> Result<Self, StoreError> {
        let StoredCredentials { clear, sealed } =
            source.fields.credentials.to_stored().ok_or_else(|| {
                StoreError::unexpected("a storage secret reached the table unsealed")
            })?;
        Ok(Self {
            pk: account_pk(&source.account_id),
            sk: source_sk(&source.id),
            id: source.id.to_string(),
            account_id: source.account_id.to_string(),
            source: source.fields.name.to_string(),
            name_lc: source.fields.name.claim_key(),
            source_type: source.fields.source_type.to_string(),
            enabled: source.fields.enabled,
            credentials: clear,
            sealed_credentials: sealed,
            require_token: source.fields.require_token,
            secret_token: source.secret_token.expose().to_owned(),
            previous_secret_token: source
                .previous_token
                .as_ref()
                .map(|p| p.token.expose().to_owned()),
            previous_secret_token_expires_at: source
                .previous_token
                .as_ref()
                .map(|p| p.expires_at.to_string()),
            created_at: source.created_at.to_string(),
            updated_at: source.updated_at.to_string(),
            secrets_updated_at: Some(source.secrets_updated_at.to_string()),
            delivery: (source.fields.delivery != Delivery::default())
                .then(|| source.fields.delivery.public()),
            version: source.version,
            health_status: (source.health.status != HealthStatus::Unknown)
                .then(|| source.health.status.as_str().to_owned()),
            health_checked_at: source.health.checked_at.map(|t| t.to_string()),
            health_error: source.health.error.as_ref().map(|e| HealthErrorItem {
                code: e.code.clone(),
                message: e.message.clone(),
            }),
            due_shard: source.schedule.map(|_| due_shard(&source.id)),
            due_at: source.schedule.map(|s| s.due_at.unix_seconds()),
            check_failures: source.schedule.map_or(0, |s| s.failures_in_a_row),
            check_rev: source.check_rev,
        })
    }

    /// Stored items were validated when written; a malformed one is a bug or tampering, not a
    /// client mistake.
    pub fn into_source(self) -> Result<Source, StoreError> {
        let corrupt =
            |what: &str| StoreError::unexpected(format!("stored source has a malformed {what}"));
        let source_type = SourceType::parse(&self.source_type).map_err(|_| corrupt("type"))?;
        let stored = StoredCredentials {
            clear: self.credentials,
            sealed: self.sealed_credentials,
        };
        let credentials = Credentials::from_stored(source_type, stored)
            .ok_or_else(|| corrupt("credential key"))?;
        let updated_at = Timestamp::parse(&self.updated_at).ok_or_else(|| corrupt("updated_at"))?;
        let delivery = match &self.delivery {
            None => Delivery::default(),
            Some(stored) => Delivery::default()
                .read(stored, &mut Vec::new())
                .ok_or_else(|| corrupt("delivery"))?,
        };
        let secrets_updated_at = match self.secrets_updated_at {
            Some(at) => Timestamp::parse(&at).ok_or_else(|| corrupt("secrets_updated_at"))?,
            None => updated_at,
        };
        Ok(Source {
            id: SourceId::parse(&self.id).ok_or_else(|| corrupt("id"))?,
            account_id: AccountId::parse(&self.account_id).map_err(|_| corrupt("account id"))?,
            fields: SourceFields {
                name: SourceName::parse(&self.source).map_err(|_| corrupt("name"))?,
                source_type,
                credentials,
                require_token: self.require_token,
                enabled: self.enabled,
                delivery,
            },
            secret_token: SecretToken::from_stored(self.secret_token),
            previous_token: match (
                self.previous_secret_token,
                self.previous_secret_token_expires_at,
            ) {
                (Some(token), Some(expires_at)) => Some(PreviousToken {
                    token: SecretToken::from_stored(token),
                    expires_at: Timestamp::parse(&expires_at)
                        .ok_or_else(|| corrupt("previous token's expiry"))?,
                }),
                (None, None) => None,
                _ => return Err(corrupt("previous token")),
            },
            created_at: Timestamp::parse(&self.created_at).ok_or_else(|| corrupt("created_at"))?,
            updated_at,
            secrets_updated_at,
            version: self.version,
            health: Health {
                status: match &self.health_status {
                    None => HealthStatus::Unknown,
                    Some(status) => {
                        HealthStatus::parse(status).ok_or_else(|| corrupt("health status"))?
                    }
                },
                checked_at: self
                    .health_checked_at
                    .map(|at| Timestamp::parse(&at).ok_or_else(|| corrupt("health_checked_at")))
                    .transpose()?,
                error: self.health_error.map(|e| HealthError {
                    code: e.code,
                    message: e.message,
                }),
            },
            schedule: self
                .due_at
                .map(|due| {
                    Timestamp::from_unix_seconds(due)
                        .map(|due_at| CheckSchedule {
                            due_at,
                            failures_in_a_row: self.check_failures,
                        })
                        .ok_or_else(|| corrupt("due_at"))
                })
                .transpose()?,
            check_rev: self.check_rev,
        })
    }
}

fn enabled_by_default() -> bool {
    true
}

/// A global claim: on a source name (case-folded), so that no two sources anywhere share one, or
/// on a custom domain or a subdomain (lowercase, docs/SPEC.md §23, §25), so that no two sources
/// are served under one; each also finds the account's source holding it (the listing's
/// `name`, `custom_domain` and `subdomain`).
#[derive(Serialize, Deserialize)]
pub(crate) struct ClaimItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub account_id: String,
    pub source_id: String,
}

impl ClaimItem {
    pub fn name(source: &Source) -> Self {
        Self::of(source, name_pk(&source.fields.name), NAME_SK)
    }

    pub fn served_name(source: &Source, name: &ServedName) -> Self {
        let (pk, sk) = served_name_key(name);
        Self::of(source, pk, sk)
    }

    fn of(source: &Source, pk: String, sk: &str) -> Self {
        Self {
            pk,
            sk: sk.to_owned(),
            account_id: source.account_id.to_string(),
            source_id: source.id.to_string(),
        }
    }

    pub fn key(&self) -> Item {
        key(self.pk.clone(), self.sk.clone())
    }
}

pub(crate) fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    Ok(serde_dynamo::to_item(value)?)
}

pub(crate) fn from_item<'a, T: Deserialize<'a>>(item: Item) -> Result<T, StoreError> {
    Ok(serde_dynamo::from_item(item)?)
}
