//! The admin command's pass over every source (`image-sources seal-secrets`, docs/SPEC.md §21):
//! the one Scan in the code. No function calls it, and none is granted `dynamodb:Scan`.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::domain::Source;

use super::items::{Item, SOURCE_SK_PREFIX, SourceItem, from_item, to_item};
use super::{Store, StoreError};

/// One page of a Scan over the table's sources, and where the next page starts.
pub struct ScanPage {
    pub sources: Vec<Source>,
    /// `None` after the last page.
    pub next: Option<Item>,
}

impl Store {
    /// One page (at most 1 MB read) of every account's sources, from `start` (`None`: the
    /// table's beginning).
    pub async fn scan_sources(&self, start: Option<Item>) -> Result<ScanPage, StoreError> {
        let page = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("begins_with(SK, :source)")
            .expression_attribute_values(":source", AttributeValue::S(SOURCE_SK_PREFIX.to_owned()))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let sources = page
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<SourceItem>(item)?.into_source())
            .collect::<Result<_, _>>()?;
        Ok(ScanPage {
            sources,
            next: page.last_evaluated_key.filter(|last| !last.is_empty()),
        })
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
            .condition_expression("version = :version")
            .expression_attribute_values(":version", AttributeValue::N(sealed.version.to_string()))
            .send()
            .await;
        match written {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(StoreError::from_sdk(err)),
        }
    }
}
