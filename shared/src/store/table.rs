//! The table's definition in code: what tests and `image-sources init` create, and what
//! `template.yaml` must declare (a test compares them).

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ScalarAttributeType, TableDescription, TableStatus, TimeToLiveSpecification,
};

use super::StoreError;

pub const PARTITION_KEY: &str = "PK";
pub const SORT_KEY: &str = "SK";
/// Epoch seconds after which DynamoDB may delete an item (revoked API keys).
pub const TTL_ATTRIBUTE: &str = "expires_at";
pub const BILLING_MODE: BillingMode = BillingMode::PayPerRequest;
/// The local secondary index that lists an account's sources by name (SPEC §11): the table's
/// partition key, and the source's lowercased name as its sort key. Only source items carry that
/// attribute, so nothing else of the partition is in the index. It projects every attribute: a
/// page is answered from the index alone, one Query, strongly consistent.
pub const NAME_INDEX: &str = "by_name";
/// The sort key of [`NAME_INDEX`]: the source's name, lowercased.
pub const NAME_INDEX_KEY: &str = "name_lc";
pub const NAME_INDEX_PROJECTION: ProjectionType = ProjectionType::All;

/// Creates the table if it does not exist and waits until it is active. Returns whether it created it.
pub async fn ensure_table(client: &Client, name: &str) -> Result<bool, StoreError> {
    match client.describe_table().table_name(name).send().await {
        Ok(existing) => return has_name_index(existing.table(), name).map(|()| false),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) => {}
        Err(err) => return Err(StoreError::from_sdk(err)),
    }
    let created = client
        .create_table()
        .table_name(name)
        .billing_mode(BILLING_MODE)
        .attribute_definitions(string_attribute(PARTITION_KEY)?)
        .attribute_definitions(string_attribute(SORT_KEY)?)
        .attribute_definitions(string_attribute(NAME_INDEX_KEY)?)
        .key_schema(key_element(PARTITION_KEY, KeyType::Hash)?)
        .key_schema(key_element(SORT_KEY, KeyType::Range)?)
        .local_secondary_indexes(name_index()?)
        .send()
        .await;
    match created {
        Ok(_) => {}
        // Someone else created it in between: fine.
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            return Ok(false);
        }
        Err(err) => return Err(StoreError::from_sdk(err)),
    }
    wait_until_active(client, name).await?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL_ATTRIBUTE)
                .build()?,
        )
        .send()
        .await
        .map_err(StoreError::from_sdk)?;
    Ok(true)
}

fn name_index() -> Result<LocalSecondaryIndex, StoreError> {
    Ok(LocalSecondaryIndex::builder()
        .index_name(NAME_INDEX)
        .key_schema(key_element(PARTITION_KEY, KeyType::Hash)?)
        .key_schema(key_element(NAME_INDEX_KEY, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(NAME_INDEX_PROJECTION)
                .build(),
        )
        .build()?)
}

/// A table made before the name index existed cannot gain it (DynamoDB adds local secondary
/// indexes only at creation): say so instead of failing every listing by name later.
fn has_name_index(table: Option<&TableDescription>, name: &str) -> Result<(), StoreError> {
    let indexed = table.is_some_and(|t| {
        t.local_secondary_indexes()
            .iter()
            .any(|index| index.index_name() == Some(NAME_INDEX))
    });
    if indexed {
        return Ok(());
    }
    Err(StoreError::MissingIndex {
        table: name.to_owned(),
        index: NAME_INDEX,
    })
}

async fn wait_until_active(client: &Client, name: &str) -> Result<(), StoreError> {
    for _ in 0..100 {
        let table = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        if table.table.and_then(|t| t.table_status) == Some(TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(StoreError::unexpected(format!(
        "table {name} did not become active"
    )))
}

fn string_attribute(name: &str) -> Result<AttributeDefinition, StoreError> {
    Ok(AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()?)
}

fn key_element(name: &str, key_type: KeyType) -> Result<KeySchemaElement, StoreError> {
    Ok(KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()?)
}
