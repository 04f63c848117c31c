//! API keys, stored only as their SHA-256: one item keyed by the hash for the authorizer's single
//! GetItem, and a copy in the account's partition so that `keys list` is a Query, never a Scan.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use crate::domain::{AccountId, ApiKeyHash, KeyScope, Timestamp};

use super::items::{account_pk, from_item, key, to_item};
use super::{Store, StoreError};

const APIKEY_SK: &str = "APIKEY";
const APIKEY_SK_PREFIX: &str = "APIKEY#";
/// Revoked keys stay listed this long, then the table's TTL removes them.
const REVOKED_KEY_RETENTION_SECONDS: i64 = 90 * 24 * 3600;

fn apikey_pk(hash: &ApiKeyHash) -> String {
    format!("APIKEY#{}", hash.as_str())
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
    revoked: bool,
    /// `read` or `write`; keys made before scopes existed have none and are `write` keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    /// Epoch seconds from which the key no longer works (docs/SPEC.md §16); none for a key that lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_until: Option<i64>,
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
    pub revoked: bool,
    pub scope: KeyScope,
    pub valid_until: Option<Timestamp>,
}

impl ApiKeyRecord {
    /// Whether the key opens the API at `now`: neither revoked nor expired.
    pub fn works_at(&self, now: Timestamp) -> bool {
        !self.revoked && self.valid_until.is_none_or(|until| now < until)
    }
}

impl ApiKeyItem {
    fn into_record(self) -> Result<ApiKeyRecord, StoreError> {
        Ok(ApiKeyRecord {
            hash: ApiKeyHash::parse(&self.key_hash)
                .ok_or_else(|| StoreError::unexpected("stored API key has a malformed hash"))?,
            account_id: AccountId::parse(&self.account_id)
                .map_err(|_| StoreError::unexpected("stored API key has a malformed account id"))?,
            label: self.label,
            created_at: self.created_at,
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
        })
    }
}

impl Store {
    /// Records a new key for `account`.
    pub async fn put_api_key(
        &self,
        account: &AccountId,
        hash: &ApiKeyHash,
        grant: &KeyGrant,
    ) -> Result<(), StoreError> {
        let valid_until = grant.valid_until.map(|t| t.unix_seconds());
        let record = |pk: String, sk: String| ApiKeyItem {
            pk,
            sk,
            key_hash: hash.as_str().to_owned(),
            account_id: account.to_string(),
            label: grant.label.clone(),
            created_at: Timestamp::now().to_string(),
            revoked: false,
            scope: Some(grant.scope.as_str().to_owned()),
            valid_until,
            // An expiring key is listed (as expired) as long as a revoked one, then removed.
            expires_at: valid_until.map(|until| until + REVOKED_KEY_RETENTION_SECONDS),
        };
        let by_hash = record(apikey_pk(hash), APIKEY_SK.to_owned());
        let by_account = record(
            account_pk(account),
            format!("{APIKEY_SK_PREFIX}{}", hash.as_str()),
        );
        let put = |item: &ApiKeyItem| -> Result<TransactWriteItem, StoreError> {
            let put = aws_sdk_dynamodb::types::Put::builder()
                .table_name(&self.table)
                .set_item(Some(to_item(item)?))
                .condition_expression("attribute_not_exists(PK)")
                .build()?;
            Ok(TransactWriteItem::builder().put(put).build())
        };
        self.client
            .transact_write_items()
            .transact_items(put(&by_hash)?)
            .transact_items(put(&by_account)?)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
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

    /// The account's keys, oldest first by hash order.
    pub async fn list_api_keys(
        &self,
        account: &AccountId,
    ) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.query_prefix(account_pk(account), APIKEY_SK_PREFIX)
            .await?
            .into_iter()
            .map(|item| from_item::<ApiKeyItem>(item)?.into_record())
            .collect()
    }

    /// Revokes one of the account's keys; a key of another account is `NotFound`.
    pub async fn revoke_api_key(
        &self,
        account: &AccountId,
        hash: &ApiKeyHash,
    ) -> Result<(), StoreError> {
        let expires_at = Timestamp::now().unix_seconds() + REVOKED_KEY_RETENTION_SECONDS;
        let revoke = |pk: String, sk: String| -> Result<TransactWriteItem, StoreError> {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(pk, sk)))
                .update_expression("SET revoked = :true, expires_at = :expires_at")
                .condition_expression("account_id = :account")
                .expression_attribute_values(":true", AttributeValue::Bool(true))
                .expression_attribute_values(
                    ":expires_at",
                    AttributeValue::N(expires_at.to_string()),
                )
                .expression_attribute_values(":account", AttributeValue::S(account.to_string()))
                .build()?;
            Ok(TransactWriteItem::builder().update(update).build())
        };
        let outcome = self
            .client
            .transact_write_items()
            .transact_items(revoke(apikey_pk(hash), APIKEY_SK.to_owned())?)
            .transact_items(revoke(
                account_pk(account),
                format!("{APIKEY_SK_PREFIX}{}", hash.as_str()),
            )?)
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(aws_sdk_dynamodb::error::SdkError::ServiceError(e))
                if e.err().is_transaction_canceled_exception() =>
            {
                Err(StoreError::NotFound)
            }
            Err(err) => Err(StoreError::from_sdk(err)),
        }
    }
}
