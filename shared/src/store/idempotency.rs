//! Idempotency records (docs/SPEC.md §15): `ACCOUNT#<account>` / `IDEMPOTENCY#<key>`, written in the
//! create's own transaction, read only when a later create with the same key finds one, removed by
//! the table's TTL after 24 hours (and treated as absent from then on, since TTL deletes late).
//!
//! A record holds the key, the fingerprint of the request (a SHA-256, see `Fingerprint`), the id
//! of the source it created, the status answered and when it expires: no secret, and nothing of
//! the response, so a replay shows the source as it is at the time of the replay.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};

use crate::domain::idempotency::IDEMPOTENCY_TTL_SECONDS;
use crate::domain::{AccountId, Fingerprint, IdempotencyKey, Source, SourceId, Timestamp};

use super::items::{account_pk, to_item};
use super::table::TTL_ATTRIBUTE;
use super::{Store, StoreError};

const IDEMPOTENCY_SK_PREFIX: &str = "IDEMPOTENCY#";

fn idempotency_sk(key: &IdempotencyKey) -> String {
    format!("{IDEMPOTENCY_SK_PREFIX}{}", key.as_str())
}

#[derive(Serialize, Deserialize)]
struct IdempotencyItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    idempotency_key: String,
    fingerprint: String,
    source_id: String,
    status: u16,
    created_at: String,
    /// The table's TTL attribute (`table::TTL_ATTRIBUTE`).
    expires_at: i64,
}

/// A create remembered by its idempotency key.
#[derive(Clone, Debug)]
pub struct IdempotencyRecord {
    pub account_id: AccountId,
    pub key: IdempotencyKey,
    pub fingerprint: Fingerprint,
    pub source_id: SourceId,
    pub status: u16,
    /// Epoch seconds; from then on the record no longer counts.
    pub expires_at: i64,
}

impl IdempotencyRecord {
    pub(crate) fn new(source: &Source, key: &IdempotencyKey, fingerprint: &Fingerprint) -> Self {
        Self {
            account_id: source.account_id.clone(),
            key: key.clone(),
            fingerprint: fingerprint.clone(),
            source_id: source.id.clone(),
            status: 201,
            expires_at: source.created_at.unix_seconds() + IDEMPOTENCY_TTL_SECONDS,
        }
    }

    fn item(&self) -> IdempotencyItem {
        IdempotencyItem {
            pk: account_pk(&self.account_id),
            sk: idempotency_sk(&self.key),
            idempotency_key: self.key.as_str().to_owned(),
            fingerprint: self.fingerprint.as_str().to_owned(),
            source_id: self.source_id.to_string(),
            status: self.status,
            created_at: Timestamp::now().to_string(),
            expires_at: self.expires_at,
        }
    }

    /// The record's put in a create's transaction: only where no live record holds the key (an
    /// expired one that TTL has not removed yet may be replaced).
    pub(crate) fn put(&self, table: &str) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(to_item(&self.item())?))
            .condition_expression("attribute_not_exists(PK) OR #ttl <= :now")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(
                ":now",
                AttributeValue::N(Timestamp::now().unix_seconds().to_string()),
            )
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

impl Store {
    /// The account's live record for `key`, if any (strongly consistent).
    pub async fn idempotency_record(
        &self,
        account: &AccountId,
        key: &IdempotencyKey,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let Some(item) = self
            .read_item::<IdempotencyItem>(account_pk(account), idempotency_sk(key))
            .await?
        else {
            return Ok(None);
        };
        if item.expires_at <= Timestamp::now().unix_seconds() {
            return Ok(None);
        }
        let corrupt = |what: &str| StoreError::unexpected(format!("idempotency record: {what}"));
        Ok(Some(IdempotencyRecord {
            account_id: account.clone(),
            key: IdempotencyKey::parse(item.idempotency_key.as_bytes())
                .ok_or_else(|| corrupt("malformed key"))?,
            fingerprint: Fingerprint::from_stored(item.fingerprint),
            source_id: SourceId::parse(&item.source_id)
                .ok_or_else(|| corrupt("malformed source id"))?,
            status: item.status,
            expires_at: item.expires_at,
        }))
    }
}
