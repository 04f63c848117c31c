//! The DynamoDB store (docs/SPEC.md §9): one table, sources in their account's partition, a global name
//! claim per source name, API keys by SHA-256.

mod api_keys;
mod client;
mod error;
mod events;
mod health;
mod idempotency;
mod items;
mod list;
mod scan;
mod sources;
pub mod table;
mod transaction;
mod verify_rate;

pub use api_keys::{ApiKeyRecord, KeyGrant, KeyTarget, LastAdmin};
pub use client::{
    client_from_env, function_client, local_client, local_config, unreachable_client,
};
// Every client's settings, named where the store's callers have always found them.
pub use crate::sdk::{ClientSettings, Trust};
pub use error::StoreError;
pub use events::EventPage;
pub use health::{DueCheck, DueShard};
pub use idempotency::IdempotencyRecord;
pub use list::{MAX_QUERIES_PER_FILTERED_PAGE, PageRequest, SourcePage};
pub use scan::SOURCE_ITEM_PREFIX;
pub use sources::{Creation, SourceWrite, Updated};
pub use verify_rate::{MAX_VERIFICATIONS_PER_MINUTE, RateDecision};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

/// The table behind the API. Cheap to clone; build it once per execution environment.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// The item at (`pk`, `sk`), decoded: one strongly consistent GetItem; `None` when there is
    /// none. Every single-item read of the store is this one.
    async fn read_item<T: serde::de::DeserializeOwned>(
        &self,
        pk: String,
        sk: impl Into<String>,
    ) -> Result<Option<T>, StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(items::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?
            .item
            .map(items::from_item)
            .transpose()
    }

    /// Every item of partition `pk` whose sort key starts with `prefix`: one strongly consistent
    /// Query per 1 MB page, following `LastEvaluatedKey` to the end. Never a Scan.
    async fn query_prefix(&self, pk: String, prefix: &str) -> Result<Vec<items::Item>, StoreError> {
        let mut items = Vec::new();
        let mut start_key = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
                .consistent_read(true)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(last) if !last.is_empty() => start_key = Some(last),
                _ => return Ok(items),
            }
        }
    }
}
