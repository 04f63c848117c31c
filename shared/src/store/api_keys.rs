//! API keys, stored only as their SHA-256 (docs/SPEC.md §16, §26): one item keyed by the hash for
//! the authorizer's single GetItem, and a copy in the account's partition so that listing is a
//! Query, never a Scan. Beside the copies, the account's key ledger (`APIKEYS`), whose revision
//! every key write moves under a condition: the rules over all of an account's keys (at most 20
//! that work, never revoke its last working admin key) are checked against a read of them all,
//! and hold under concurrent writes because a write whose read is stale fails its condition and
//! reads again. Each creation and revocation writes its audit event in the same transaction.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use crate::domain::api_key::MAX_KEYS_PER_ACCOUNT;
use crate::domain::event::KeyFacts;
use crate::domain::{AccountId, Action, Actor, ApiKeyHash, Event, KeyScope, Timestamp};

use super::events::put_event;
use super::items::{account_pk, from_item, key, to_item};
use super::sources::put;
use super::transaction::{Commit, Role, Transaction, backoff};
use super::{Store, StoreError};

const APIKEY_SK: &str = "APIKEY";
const APIKEY_SK_PREFIX: &str = "APIKEY#";
/// The ledger's sort key: it begins like the copies' (`APIKEY…`), so one Query reads them all.
const LEDGER_SK: &str = "APIKEYS";
/// Revoked keys stay in the table this long (for the authorizer's answer and the operator's
/// `keys list`), then the table's TTL removes them.
const REVOKED_KEY_RETENTION_SECONDS: i64 = 90 * 24 * 3600;
/// How often a key write reads again when another key write of the account got in first.
const MAX_KEY_WRITE_ATTEMPTS: u32 = 40;

fn apikey_pk(hash: &ApiKeyHash) -> String {
    format!("APIKEY#{}", hash.as_str())
}

fn account_copy_sk(hash: &ApiKeyHash) -> String {
    format!("{APIKEY_SK_PREFIX}{}", hash.as_str())
}

#[derive(Serialize, Deserialize)]
struct ApiKeyItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    key_hash: String,
    account_id: String,
    label: String,
    created_at: String,
    /// Unix milliseconds of `created_at`, which orders keys made within one second; absent on
    /// keys made before it existed (their second stands in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created_ms: Option<i64>,
    revoked: bool,
    /// `read`, `write` or `admin`; keys made before scopes existed have none and are `write` keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    /// Epoch seconds from which the key no longer works (docs/SPEC.md §16); none for a key that lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_until: Option<i64>,
    /// The day (`YYYY-MM-DD`, UTC) the key was last used on, written at most once a day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_used_on: Option<String>,
    /// The table's TTL attribute: when DynamoDB may delete the item (a revoked or expired key,
    /// once it has been listed long enough).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

/// What a new key may do, and for how long.
#[derive(Clone, Debug, Default)]
pub struct KeyGrant {
    pub label: String,
    pub scope: KeyScope,
    /// The key stops working at this instant; `None` for never.
    pub valid_until: Option<Timestamp>,
}

/// What the table knows about a key.
#[derive(Clone, Debug)]
pub struct ApiKeyRecord {
    pub hash: ApiKeyHash,
    pub account_id: AccountId,
    pub label: String,
    pub created_at: String,
    /// When it was made, in Unix milliseconds: the listing's order.
    pub created_ms: i64,
    pub revoked: bool,
    pub scope: KeyScope,
    pub valid_until: Option<Timestamp>,
    /// The day it was last used on (`YYYY-MM-DD`); `None` before its first use.
    pub last_used_on: Option<String>,
}

impl ApiKeyRecord {
    /// Whether the key opens the API at `now`: neither revoked nor expired.
    pub fn works_at(&self, now: Timestamp) -> bool {
        !self.revoked && self.valid_until.is_none_or(|until| now < until)
    }

    /// What its audit events say of it.
    fn facts(&self) -> KeyFacts<'_> {
        KeyFacts {
            id: self.hash.key_id(),
            label: &self.label,
            scope: self.scope,
            expires_at: self.valid_until,
        }
    }
}

/// Which key a revocation names: its public id (the API's `{id}`) or its whole hash (the admin
/// command's).
#[derive(Clone, Copy, Debug)]
pub enum KeyTarget<'a> {
    Id(&'a str),
    Hash(&'a ApiKeyHash),
}

impl KeyTarget<'_> {
    fn matches(&self, hash: &ApiKeyHash) -> bool {
        match self {
            KeyTarget::Id(id) => hash.key_id() == *id,
            KeyTarget::Hash(target) => hash == *target,
        }
    }
}

/// Whether a revocation may take the account's last working admin key (docs/SPEC.md §26): the
/// API may not (the account would be locked out); the operator's admin command may.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastAdmin {
    Keep,
    MayRevoke,
}

impl ApiKeyItem {
    fn into_record(self) -> Result<ApiKeyRecord, StoreError> {
        let created_ms = match self.created_ms {
            Some(ms) => ms,
            None => Timestamp::parse(&self.created_at)
                .map(|t| t.unix_seconds() * 1000)
                .ok_or_else(|| {
                    StoreError::unexpected("stored API key has a malformed created_at")
                })?,
        };
        Ok(ApiKeyRecord {
            hash: ApiKeyHash::parse(&self.key_hash)
                .ok_or_else(|| StoreError::unexpected("stored API key has a malformed hash"))?,
            account_id: AccountId::parse(&self.account_id)
                .map_err(|_| StoreError::unexpected("stored API key has a malformed account id"))?,
            label: self.label,
            created_at: self.created_at,
            created_ms,
            revoked: self.revoked,
            scope: match self.scope.as_deref() {
                None => KeyScope::Write,
                Some(raw) => KeyScope::parse(raw).ok_or_else(|| {
                    StoreError::unexpected("stored API key has a malformed scope")
                })?,
            },
            valid_until: self
                .valid_until
                .map(|seconds| {
                    Timestamp::from_unix_seconds(seconds).ok_or_else(|| {
                        StoreError::unexpected("stored API key has a malformed expiry")
                    })
                })
                .transpose()?,
            last_used_on: self.last_used_on,
        })
    }
}

/// The account's keys and its ledger's revision, as one Query read them.
struct KeyLedger {
    keys: Vec<ApiKeyRecord>,
    /// `None` before the account's first key write since the ledger existed.
    revision: Option<u64>,
}

#[derive(Deserialize)]
struct LedgerItem {
    revision: u64,
}

impl Store {
    /// Records a new key for `account`, with its audit event (docs/SPEC.md §26), unless the
    /// account already has [`MAX_KEYS_PER_ACCOUNT`] keys that work (`TooManyKeys`). Two round
    /// trips: the account's keys, then one transaction.
    pub async fn create_api_key(
        &self,
        account: &AccountId,
        hash: &ApiKeyHash,
        grant: &KeyGrant,
        actor: &Actor,
    ) -> Result<ApiKeyRecord, StoreError> {
        let (created, created_ms) = Timestamp::now_precise();
        let record = ApiKeyRecord {
            hash: hash.clone(),
            account_id: account.clone(),
            label: grant.label.clone(),
            created_at: created.to_string(),
            created_ms: i64::try_from(created_ms).unwrap_or(i64::MAX),
            revoked: false,
            scope: grant.scope,
            valid_until: grant.valid_until,
            last_used_on: None,
        };
        let valid_until = grant.valid_until.map(|t| t.unix_seconds());
        let item = |pk: String, sk: String| ApiKeyItem {
            pk,
            sk,
            key_hash: hash.as_str().to_owned(),
            account_id: account.to_string(),
            label: record.label.clone(),
            created_at: record.created_at.clone(),
            created_ms: Some(record.created_ms),
            revoked: false,
            scope: Some(grant.scope.as_str().to_owned()),
            valid_until,
            last_used_on: None,
            // An expiring key is listed (as expired) as long as a revoked one, then removed.
            expires_at: valid_until.map(|until| until + REVOKED_KEY_RETENTION_SECONDS),
        };
        let put_key =
            |item: &ApiKeyItem| put(&self.table, to_item(item)?, "attribute_not_exists(PK)");
        let event = Event::api_key(Action::ApiKeyCreated, &record.facts(), actor);
        for attempt in 1..=MAX_KEY_WRITE_ATTEMPTS {
            let ledger = self.key_ledger(account).await?;
            let now = Timestamp::now();
            if ledger.keys.iter().filter(|k| k.works_at(now)).count() >= MAX_KEYS_PER_ACCOUNT {
                return Err(StoreError::TooManyKeys);
            }
            let transaction = Transaction::default()
                .with(
                    Role::ApiKey,
                    put_key(&item(apikey_pk(hash), APIKEY_SK.to_owned()))?,
                )
                .with(
                    Role::ApiKey,
                    put_key(&item(account_pk(account), account_copy_sk(hash)))?,
                )
                .with(Role::KeyLedger, self.ledger_move(account, ledger.revision)?)
                .with(Role::Event, put_event(&self.table, account, &event)?);
            match transaction.send(self).await? {
                Commit::Committed => return Ok(record),
                Commit::ConditionsFailed(failed) if failed.contains(&Role::KeyLedger) => {
                    backoff(attempt).await;
                }
                Commit::Conflict => backoff(attempt).await,
                Commit::ConditionsFailed(failed) => {
                    return Err(StoreError::unexpected(format!(
                        "a key's creation failed on {}",
                        super::transaction::failed_roles(&failed)
                    )));
                }
            }
        }
        Err(StoreError::Contention)
    }

    /// The key with this hash, revoked or not: the authorizer's one round trip. Strongly consistent,
    /// so a revocation takes effect at once (behind API Gateway's authorizer cache).
    pub async fn find_api_key(
        &self,
        hash: &ApiKeyHash,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.read_item::<ApiKeyItem>(apikey_pk(hash), APIKEY_SK)
            .await?
            .map(ApiKeyItem::into_record)
            .transpose()
    }

    /// The account's keys, revoked ones included (the caller chooses what to show), newest
    /// first: one Query.
    pub async fn list_api_keys(
        &self,
        account: &AccountId,
    ) -> Result<Vec<ApiKeyRecord>, StoreError> {
        Ok(self.key_ledger(account).await?.keys)
    }

    /// Revokes the account's key `target` names, with its audit event; `NotFound` for a key of
    /// another account, an unknown one or one revoked already, and `LastAdminKey` when `rule`
    /// keeps the account's last working admin key and this is it. Two round trips.
    pub async fn revoke_api_key(
        &self,
        account: &AccountId,
        target: KeyTarget<'_>,
        rule: LastAdmin,
        actor: &Actor,
    ) -> Result<ApiKeyRecord, StoreError> {
        for attempt in 1..=MAX_KEY_WRITE_ATTEMPTS {
            let ledger = self.key_ledger(account).await?;
            let now = Timestamp::now();
            let Some(record) = ledger
                .keys
                .iter()
                .find(|k| !k.revoked && target.matches(&k.hash))
            else {
                return Err(StoreError::NotFound);
            };
            let working_admin = |k: &ApiKeyRecord| k.scope == KeyScope::Admin && k.works_at(now);
            let other_admins = ledger
                .keys
                .iter()
                .filter(|k| k.hash != record.hash && working_admin(k))
                .count();
            if rule == LastAdmin::Keep && working_admin(record) && other_admins == 0 {
                return Err(StoreError::LastAdminKey);
            }
            let event = Event::api_key(Action::ApiKeyRevoked, &record.facts(), actor);
            let transaction = Transaction::default()
                .with(
                    Role::ApiKey,
                    self.revoke_item(account, apikey_pk(&record.hash), APIKEY_SK.to_owned())?,
                )
                .with(
                    Role::ApiKey,
                    self.revoke_item(account, account_pk(account), account_copy_sk(&record.hash))?,
                )
                .with(Role::KeyLedger, self.ledger_move(account, ledger.revision)?)
                .with(Role::Event, put_event(&self.table, account, &event)?);
            match transaction.send(self).await? {
                Commit::Committed => {
                    return Ok(ApiKeyRecord {
                        revoked: true,
                        ..record.clone()
                    });
                }
                Commit::ConditionsFailed(failed) if failed.contains(&Role::KeyLedger) => {
                    backoff(attempt).await;
                }
                Commit::Conflict => backoff(attempt).await,
                Commit::ConditionsFailed(failed) => {
                    return Err(StoreError::unexpected(format!(
                        "a key's revocation failed on {}",
                        super::transaction::failed_roles(&failed)
                    )));
                }
            }
        }
        Err(StoreError::Contention)
    }

    /// Notes that `record`'s key was used on `today` (`YYYY-MM-DD`, docs/SPEC.md §26), unless
    /// it already says so: the authorizer calls it only when the record it read names another
    /// day, so a key costs one conditional write on each of its two items a day, and nothing on
    /// its other calls. A revoked key's items are left alone.
    pub async fn record_key_use(
        &self,
        record: &ApiKeyRecord,
        today: &str,
    ) -> Result<(), StoreError> {
        let update = |pk: String, sk: String| {
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(pk, sk)))
                .update_expression("SET last_used_on = :today")
                .condition_expression(
                    "attribute_exists(PK) AND revoked = :false \
                     AND (attribute_not_exists(last_used_on) OR last_used_on < :today)",
                )
                .expression_attribute_values(":today", AttributeValue::S(today.to_owned()))
                .expression_attribute_values(":false", AttributeValue::Bool(false))
                .send()
        };
        let (by_hash, copy) = tokio::join!(
            update(apikey_pk(&record.hash), APIKEY_SK.to_owned()),
            update(
                account_pk(&record.account_id),
                account_copy_sk(&record.hash)
            ),
        );
        StoreError::unless_condition_failed(by_hash)?;
        StoreError::unless_condition_failed(copy)?;
        Ok(())
    }

    /// The account's keys, newest first, and its ledger: one Query over `APIKEY…`.
    async fn key_ledger(&self, account: &AccountId) -> Result<KeyLedger, StoreError> {
        let mut keys = Vec::new();
        let mut revision = None;
        for item in self.query_prefix(account_pk(account), APIKEY_SK).await? {
            let is_ledger =
                matches!(item.get("SK"), Some(AttributeValue::S(sk)) if sk == LEDGER_SK);
            if is_ledger {
                revision = Some(from_item::<LedgerItem>(item)?.revision);
            } else {
                keys.push(from_item::<ApiKeyItem>(item)?.into_record()?);
            }
        }
        // Newest first, to the millisecond; the hash breaks ties, so the order is stable.
        keys.sort_by(|a, b| (b.created_ms, b.hash.as_str()).cmp(&(a.created_ms, a.hash.as_str())));
        Ok(KeyLedger { keys, revision })
    }

    /// The ledger's move from the revision read to the next, failing if another key write
    /// moved it since.
    fn ledger_move(
        &self,
        account: &AccountId,
        read: Option<u64>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(account), LEDGER_SK)))
            .update_expression("SET revision = :next")
            .expression_attribute_values(
                ":next",
                AttributeValue::N((read.unwrap_or(0) + 1).to_string()),
            );
        update = match read {
            None => update.condition_expression("attribute_not_exists(PK)"),
            Some(revision) => update
                .condition_expression("revision = :read")
                .expression_attribute_values(":read", AttributeValue::N(revision.to_string())),
        };
        Ok(TransactWriteItem::builder().update(update.build()?).build())
    }

    /// One of a key's items marked revoked, kept [`REVOKED_KEY_RETENTION_SECONDS`].
    fn revoke_item(
        &self,
        account: &AccountId,
        pk: String,
        sk: String,
    ) -> Result<TransactWriteItem, StoreError> {
        let expires_at = Timestamp::now().unix_seconds() + REVOKED_KEY_RETENTION_SECONDS;
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .update_expression("SET revoked = :true, expires_at = :expires_at")
            .condition_expression("account_id = :account")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":expires_at", AttributeValue::N(expires_at.to_string()))
            .expression_attribute_values(":account", AttributeValue::S(account.to_string()))
            .build()?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}
