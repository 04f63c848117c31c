//! Source operations. Round trips without contention (SPEC §9): get 1, list 1 per page, create 1,
//! update 2, delete 2.

use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use crate::domain::list_query::MAX_PAGE_LIMIT;
use crate::domain::{AccountId, ListFilter, SortOrder, Source, SourceId, SourceName, VersionMatch};

use super::items::{
    NAME_SK, NameClaimItem, SourceItem, account_pk, from_item, key, name_pk, source_sk, to_item,
};
use super::list::PageRequest;
use super::{Store, StoreError};

/// How often an update or delete re-reads and tries again when another writer got in first.
const MAX_WRITE_ATTEMPTS: u32 = 40;

/// What an update did.
pub struct UpdateOutcome<E> {
    /// The source as stored after the call, or the caller's rejection of the stored source.
    pub result: Result<Source, E>,
    pub changed: bool,
}

/// How a conditional write ended.
enum WriteConflict {
    /// The version condition failed: someone else wrote first.
    Version,
    /// Another transaction was writing the same items at that moment; nothing is known to be stale.
    Transient,
    NameTaken,
}

impl Store {
    /// Creates the source and claims its name in one transaction.
    pub async fn create_source(&self, source: &Source) -> Result<(), StoreError> {
        let claim = put(
            &self.table,
            to_item(&NameClaimItem::for_source(source))?,
            "attribute_not_exists(PK)",
        )?;
        let item = put(
            &self.table,
            to_item(&SourceItem::from_source(source))?,
            "attribute_not_exists(PK)",
        )?;
        for attempt in 1..=MAX_WRITE_ATTEMPTS {
            let outcome = self
                .client
                .transact_write_items()
                .transact_items(claim.clone())
                .transact_items(item.clone())
                .send()
                .await;
            let Err(err) = outcome else {
                return Ok(());
            };
            match cancellation(&err) {
                Some(Cancelled::Conditions(failed)) if failed.first() == Some(&true) => {
                    return Err(StoreError::NameTaken);
                }
                // Another transaction held the claim for a moment: try again, and learn who won.
                Some(Cancelled::Conflict) => backoff(attempt).await,
                _ => return Err(transaction_error(err)),
            }
        }
        Err(StoreError::Contention)
    }

    /// The account's source with this id (strongly consistent), or `NotFound`.
    pub async fn get_source(
        &self,
        account: &AccountId,
        id: &SourceId,
    ) -> Result<Source, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(account), source_sk(id))))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let item = output.item.ok_or(StoreError::NotFound)?;
        from_item::<SourceItem>(item)?.into_source()
    }

    /// All of the account's sources, oldest first, following every page (for the admin command
    /// and tests; the API answers one page per request).
    pub async fn list_sources(&self, account: &AccountId) -> Result<Vec<Source>, StoreError> {
        let filter = ListFilter::default();
        let mut sources = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .list_page(
                    account,
                    &PageRequest {
                        sort: SortOrder::CreatedAt,
                        filter: &filter,
                        limit: usize::from(MAX_PAGE_LIMIT),
                        after,
                    },
                )
                .await?;
            sources.extend(page.sources);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(sources),
            }
        }
    }

    /// Whether a source other than `except` holds the claim on `name`.
    pub async fn name_taken(
        &self,
        name: &SourceName,
        except: Option<&SourceId>,
    ) -> Result<bool, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(name_pk(name), NAME_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let Some(item) = output.item else {
            return Ok(false);
        };
        let claim: NameClaimItem = from_item(item)?;
        Ok(except.is_none_or(|id| claim.source_id != id.as_str()))
    }

    /// Read, let `change` compute the new source, write conditionally on the version read; on a
    /// conflict read again and retry, as long as the stored version is one `expected` allows
    /// (If-Match).
    /// `change` answers `Ok(None)` when nothing changes, and then nothing is written.
    pub async fn update_source<E>(
        &self,
        account: &AccountId,
        id: &SourceId,
        expected: &VersionMatch,
        mut change: impl FnMut(&Source) -> Result<Option<Source>, E>,
    ) -> Result<UpdateOutcome<E>, StoreError> {
        for attempt in 1..=MAX_WRITE_ATTEMPTS {
            let stored = self.get_source(account, id).await?;
            if !expected.allows(stored.version) {
                return Err(StoreError::VersionMismatch);
            }
            let updated = match change(&stored) {
                Err(rejection) => {
                    return Ok(UpdateOutcome {
                        result: Err(rejection),
                        changed: false,
                    });
                }
                Ok(None) => {
                    return Ok(UpdateOutcome {
                        result: Ok(stored),
                        changed: false,
                    });
                }
                Ok(Some(updated)) => updated,
            };
            match self.replace_source(&stored, &updated).await? {
                None => {
                    return Ok(UpdateOutcome {
                        result: Ok(updated),
                        changed: true,
                    });
                }
                Some(WriteConflict::NameTaken) => return Err(StoreError::NameTaken),
                // The next read tells whether the new version is still one `expected` allows.
                Some(WriteConflict::Version | WriteConflict::Transient) => backoff(attempt).await,
            }
        }
        Err(StoreError::Contention)
    }

    /// Writes `updated` over `stored` if the stored version is still current, moving the name claim
    /// in the same transaction when the name changes (case-insensitively).
    async fn replace_source(
        &self,
        stored: &Source,
        updated: &Source,
    ) -> Result<Option<WriteConflict>, StoreError> {
        let item = to_item(&SourceItem::from_source(updated))?;
        let renamed = stored.fields.name.claim_key() != updated.fields.name.claim_key();
        if !renamed {
            let outcome = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("version = :version")
                .expression_attribute_values(":version", version_value(stored))
                .send()
                .await;
            return match outcome {
                Ok(_) => Ok(None),
                Err(SdkError::ServiceError(e))
                    if e.err().is_conditional_check_failed_exception() =>
                {
                    Ok(Some(WriteConflict::Version))
                }
                Err(SdkError::ServiceError(e)) if e.err().is_transaction_conflict_exception() => {
                    Ok(Some(WriteConflict::Transient))
                }
                Err(err) => Err(StoreError::from_sdk(err)),
            };
        }
        let mut source_put = put(&self.table, item, "version = :version")?;
        if let Some(put) = source_put.put.as_mut() {
            put.expression_attribute_values =
                Some([(":version".to_owned(), version_value(stored))].into());
        }
        let outcome = self
            .client
            .transact_write_items()
            .transact_items(source_put)
            .transact_items(release_claim(&self.table, stored)?)
            .transact_items(put(
                &self.table,
                to_item(&NameClaimItem::for_source(updated))?,
                "attribute_not_exists(PK)",
            )?)
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(None),
            Err(err) => match cancellation(&err) {
                Some(Cancelled::Conditions(failed)) if failed.first() == Some(&true) => {
                    Ok(Some(WriteConflict::Version))
                }
                Some(Cancelled::Conditions(failed)) if failed.get(2) == Some(&true) => {
                    Ok(Some(WriteConflict::NameTaken))
                }
                Some(Cancelled::Conflict) => Ok(Some(WriteConflict::Transient)),
                _ => Err(transaction_error(err)),
            },
        }
    }

    /// Deletes the source and frees its name in one transaction; retried on a concurrent write
    /// while the stored version is one `expected` allows.
    pub async fn delete_source(
        &self,
        account: &AccountId,
        id: &SourceId,
        expected: &VersionMatch,
    ) -> Result<(), StoreError> {
        for attempt in 1..=MAX_WRITE_ATTEMPTS {
            let stored = self.get_source(account, id).await?;
            if !expected.allows(stored.version) {
                return Err(StoreError::VersionMismatch);
            }
            let delete_source = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(account_pk(account), source_sk(id))))
                .condition_expression("version = :version")
                .expression_attribute_values(":version", version_value(&stored))
                .build()?;
            let outcome = self
                .client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().delete(delete_source).build())
                .transact_items(release_claim(&self.table, &stored)?)
                .send()
                .await;
            match outcome {
                Ok(_) => return Ok(()),
                Err(err) => match cancellation(&err) {
                    Some(Cancelled::Conditions(failed)) if failed.first() == Some(&true) => {
                        backoff(attempt).await;
                    }
                    Some(Cancelled::Conflict) => backoff(attempt).await,
                    _ => return Err(transaction_error(err)),
                },
            }
        }
        Err(StoreError::Contention)
    }
}

fn version_value(source: &Source) -> AttributeValue {
    AttributeValue::N(source.version.to_string())
}

fn put(
    table: &str,
    item: super::items::Item,
    condition: &str,
) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .build()?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Deletes `source`'s name claim, unless it somehow belongs to another source.
fn release_claim(table: &str, source: &Source) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key(name_pk(&source.fields.name), NAME_SK)))
        .condition_expression("attribute_not_exists(PK) OR source_id = :source_id")
        .expression_attribute_values(":source_id", AttributeValue::S(source.id.to_string()))
        .build()?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// Why a transaction was cancelled, when it is one of the reasons the store handles.
enum Cancelled {
    /// Only conditions failed; `true` for each item whose condition failed, in request order.
    Conditions(Vec<bool>),
    /// Another transaction was writing one of the items.
    Conflict,
}

fn cancellation<R>(err: &SdkError<TransactWriteItemsError, R>) -> Option<Cancelled> {
    let SdkError::ServiceError(service) = err else {
        return None;
    };
    let TransactWriteItemsError::TransactionCanceledException(cancelled) = service.err() else {
        return None;
    };
    let codes: Vec<&str> = cancelled
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap_or("None"))
        .collect();
    if !codes.iter().all(|c| {
        matches!(
            *c,
            "None" | "ConditionalCheckFailed" | "TransactionConflict"
        )
    }) {
        return None;
    }
    if codes.contains(&"TransactionConflict") {
        return Some(Cancelled::Conflict);
    }
    Some(Cancelled::Conditions(
        codes
            .iter()
            .map(|c| *c == "ConditionalCheckFailed")
            .collect(),
    ))
}

/// A failed transaction the store does not handle itself: throttling is worth a retry by the
/// client (503); anything else is unexpected.
fn transaction_error<R>(err: SdkError<TransactWriteItemsError, R>) -> StoreError
where
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if let SdkError::ServiceError(service) = &err
        && let TransactWriteItemsError::TransactionCanceledException(cancelled) = service.err()
        && cancelled.cancellation_reasons().iter().any(|r| {
            matches!(
                r.code(),
                Some("ThrottlingError" | "ProvisionedThroughputExceeded")
            )
        })
    {
        return StoreError::Unavailable(Box::new(err));
    }
    StoreError::from_sdk(err)
}

/// A short random pause that grows with the attempt, so that racing writers spread out.
async fn backoff(attempt: u32) {
    let cap_ms = u64::from(attempt.min(20)) * 5;
    let [a, b] = crate::domain::random_bytes::<2>();
    let jitter = u64::from(u16::from_le_bytes([a, b])) * cap_ms / u64::from(u16::MAX);
    tokio::time::sleep(Duration::from_millis(jitter)).await;
}
