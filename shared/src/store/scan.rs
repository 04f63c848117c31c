//! What the admin command `image-sources seal-secrets` needs of the store (docs/SPEC.md §21): the
//! source items its Scan (in local/, the only code that Scans) reads, and the conditional write
//! that seals one in place. No function calls either, and none is granted `dynamodb:Scan`.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::domain::Source;

use super::items::{SOURCE_SK_PREFIX, SourceItem, from_item, to_item};
use super::{Store, StoreError};

/// The sort key prefix of source items, for the admin command's Scan filter.
pub const SOURCE_ITEM_PREFIX: &str = SOURCE_SK_PREFIX;

impl Store {
    /// A source item as a Scan returns it (the admin command's pass over the table; nothing in
    /// the shared crate or a function Scans, docs/SPEC.md §9).
    pub fn source_from_item(
        &self,
        item: std::collections::HashMap<String, AttributeValue>,
    ) -> Result<Source, StoreError> {
        from_item::<SourceItem>(item)?.into_source()
    }

    /// Writes `sealed` (a source as read, its secrets sealed, nothing else changed) over the
    /// stored item if its version is still the one read: `false` if a concurrent write got in
    /// first (that write sealed what it wrote). Version, ETag and `updated_at` stay: the source
    /// did not change, only how its secrets are kept. No event, for the same reason.
    pub async fn replace_sealed(&self, sealed: &Source) -> Result<bool, StoreError> {
        let written = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&SourceItem::from_source(sealed)?)?))
            .condition_expression(super::sources::UNCHANGED_SINCE_READ)
            .set_expression_attribute_values(Some(super::sources::unchanged_since_read(sealed)))
            .send()
            .await;
        Ok(StoreError::unless_condition_failed(written)?.is_some())
    }
}
