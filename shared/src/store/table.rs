//! The table's definition in code: what tests and `image-sources init` create, and what
//! `template.yaml` must declare (a test compares them).

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement, KeyType, LocalSecondaryIndex,
    Projection, ProjectionType, ScalarAttributeType, TableDescription, TableStatus,
    TimeToLiveSpecification,
};

use super::StoreError;

pub const PARTITION_KEY: &str = "PK";
pub const SORT_KEY: &str = "SK";
/// Epoch seconds after which DynamoDB may delete an item (revoked API keys).
pub const TTL_ATTRIBUTE: &str = "expires_at";
pub const BILLING_MODE: BillingMode = BillingMode::PayPerRequest;
/// The local secondary index that lists an account's sources by name (docs/SPEC.md §11): the table's
/// partition key, and the source's lowercased name as its sort key. Only source items carry that
/// attribute, so nothing else of the partition is in the index. It projects every attribute: a
/// page is answered from the index alone, one Query, strongly consistent.
pub const NAME_INDEX: &str = "by_name";
/// The sort key of [`NAME_INDEX`]: the source's name, lowercased.
pub const NAME_INDEX_KEY: &str = "name_lc";
pub const NAME_INDEX_PROJECTION: ProjectionType = ProjectionType::All;
/// The local secondary index that lists one source's events (docs/SPEC.md §17), newest first: the table's
/// partition key, and `<source id>#<version, 20 digits>` as its sort key. Only events carry that
/// attribute.
pub const SOURCE_EVENTS_INDEX: &str = "by_source";
pub const SOURCE_EVENTS_INDEX_KEY: &str = "source_event";
/// The local secondary indexes, with their sort keys: what `ensure_table` creates, what
/// `template.yaml` declares (a test compares them), every one projecting every attribute.
pub const LOCAL_INDEXES: [(&str, &str); 2] = [
    (NAME_INDEX, NAME_INDEX_KEY),
    (SOURCE_EVENTS_INDEX, SOURCE_EVENTS_INDEX_KEY),
];

/// The global secondary index of sources due for a health check (docs/SPEC.md §22). Sparse: only
/// an enabled source's item carries its keys. Its partition key is one of [`DUE_SHARDS`] shards
/// (the last character of the source's id), its sort key the Unix second the check is due, so a
/// run reads "due by now" as one Query per shard. It projects the keys only: the table's keys
/// name the account and the source, and a claim reads the item itself.
pub const DUE_INDEX: &str = "by_due";
pub const DUE_INDEX_PARTITION_KEY: &str = "due_shard";
pub const DUE_INDEX_SORT_KEY: &str = "due_at";
pub const DUE_INDEX_PROJECTION: ProjectionType = ProjectionType::KeysOnly;
/// The shards of [`DUE_INDEX`]: the 16 lowercase hex digits a source id ends with. Spread so that
/// no index partition takes every check's write, few enough that a run reads each of them.
pub const DUE_SHARDS: [&str; 16] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f",
];

/// Creates the table if it does not exist and waits until it is active. Returns whether it created it.
pub async fn ensure_table(client: &Client, name: &str) -> Result<bool, StoreError> {
    match client.describe_table().table_name(name).send().await {
        Ok(existing) => {
            has_local_indexes(existing.table(), name)?;
            add_due_index_if_missing(client, existing.table(), name).await?;
            return Ok(false);
        }
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
        .set_attribute_definitions(Some(
            [PARTITION_KEY, SORT_KEY]
                .into_iter()
                .chain(LOCAL_INDEXES.map(|(_, key)| key))
                .chain([DUE_INDEX_PARTITION_KEY])
                .map(string_attribute)
                .chain([number_attribute(DUE_INDEX_SORT_KEY)])
                .collect::<Result<Vec<_>, _>>()?,
        ))
        .global_secondary_indexes(due_index()?)
        .key_schema(key_element(PARTITION_KEY, KeyType::Hash)?)
        .key_schema(key_element(SORT_KEY, KeyType::Range)?)
        .set_local_secondary_indexes(Some(
            LOCAL_INDEXES
                .iter()
                .map(|(name, key)| local_index(name, key))
                .collect::<Result<Vec<_>, _>>()?,
        ))
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

fn due_index() -> Result<GlobalSecondaryIndex, StoreError> {
    Ok(GlobalSecondaryIndex::builder()
        .index_name(DUE_INDEX)
        .key_schema(key_element(DUE_INDEX_PARTITION_KEY, KeyType::Hash)?)
        .key_schema(key_element(DUE_INDEX_SORT_KEY, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(DUE_INDEX_PROJECTION)
                .build(),
        )
        .build()?)
}

/// A table made before health checks existed gains the due index (DynamoDB adds global
/// secondary indexes to a live table, and `template.yaml` declares it for a deployed one).
async fn add_due_index_if_missing(
    client: &Client,
    table: Option<&TableDescription>,
    name: &str,
) -> Result<(), StoreError> {
    let present = table.is_some_and(|t| {
        t.global_secondary_indexes()
            .iter()
            .any(|index| index.index_name() == Some(DUE_INDEX))
    });
    if present {
        return Ok(());
    }
    let index = due_index()?;
    client
        .update_table()
        .table_name(name)
        .attribute_definitions(string_attribute(DUE_INDEX_PARTITION_KEY)?)
        .attribute_definitions(number_attribute(DUE_INDEX_SORT_KEY)?)
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name(DUE_INDEX)
                        .set_key_schema(Some(index.key_schema().to_vec()))
                        .set_projection(index.projection().cloned())
                        .build()?,
                )
                .build(),
        )
        .send()
        .await
        .map_err(StoreError::from_sdk)?;
    for _ in 0..600 {
        let table = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let active = table.table().is_some_and(|t| {
            t.global_secondary_indexes().iter().any(|index| {
                index.index_name() == Some(DUE_INDEX)
                    && index.index_status() == Some(&IndexStatus::Active)
            })
        });
        if active {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(StoreError::unexpected(format!(
        "the index {DUE_INDEX} of table {name} did not become active"
    )))
}

fn local_index(name: &str, sort_key: &str) -> Result<LocalSecondaryIndex, StoreError> {
    Ok(LocalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key_element(PARTITION_KEY, KeyType::Hash)?)
        .key_schema(key_element(sort_key, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(NAME_INDEX_PROJECTION)
                .build(),
        )
        .build()?)
}

/// A table made before an index existed cannot gain it (DynamoDB adds local secondary indexes
/// only at creation): say so instead of failing every listing that needs it later.
fn has_local_indexes(table: Option<&TableDescription>, name: &str) -> Result<(), StoreError> {
    for (index, _) in LOCAL_INDEXES {
        let present = table.is_some_and(|t| {
            t.local_secondary_indexes()
                .iter()
                .any(|existing| existing.index_name() == Some(index))
        });
        if !present {
            return Err(StoreError::MissingIndex {
                table: name.to_owned(),
                index,
            });
        }
    }
    Ok(())
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

fn number_attribute(name: &str) -> Result<AttributeDefinition, StoreError> {
    Ok(AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::N)
        .build()?)
}

fn key_element(name: &str, key_type: KeyType) -> Result<KeySchemaElement, StoreError> {
    Ok(KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()?)
}
