//! Source operations. Round trips without contention (SPEC §9): get 1, list 1 per page, create 1,
//! update 2, delete 2.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use crate::domain::list_query::MAX_PAGE_LIMIT;
use crate::domain::{
    AccountId, Action, Actor, Event, Fingerprint, IdempotencyKey, ListFilter, SortOrder, Source,
    SourceId, SourceName, VersionMatch,
};

use super::events::put_event;
use super::idempotency::IdempotencyRecord;
use super::items::{
    NAME_SK, NameClaimItem, SourceItem, account_pk, from_item, key, name_pk, source_sk, to_item,
};
use super::list::PageRequest;
use super::transaction::{Outcome, Role, Transaction};
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

/// What a create did.
pub enum CreateOutcome {
    Created,
    /// The idempotency key was already used by this account: its record, for the caller to replay
    /// or refuse. Nothing was written.
    KeyUsed(IdempotencyRecord),
}

impl Store {
    /// Creates the source and claims its name in one transaction, with the idempotency record
    /// when the request gave a key (SPEC §15): one round trip either way.
    pub async fn create_source(
        &self,
        source: &Source,
        idempotency: Option<(&IdempotencyKey, &Fingerprint)>,
        actor: &Actor,
    ) -> Result<CreateOutcome, StoreError> {
        let mut transaction = Transaction::default()
            .with(
                Role::NameClaim,
                put(
                    &self.table,
                    to_item(&NameClaimItem::for_source(source))?,
                    "attribute_not_exists(PK)",
                )?,
            )
            .with(
                Role::Source,
                put(
                    &self.table,
                    to_item(&SourceItem::from_source(source))?,
                    "attribute_not_exists(PK)",
                )?,
            );
        if let Some(event) = Event::of(Action::Created, None, Some(source), actor) {
            transaction = transaction.with(
                Role::Event,
                put_event(&self.table, &source.account_id, &event)?,
            );
        }
        if let Some((key, fingerprint)) = idempotency {
            let record = IdempotencyRecord::new(source, key, fingerprint);
            transaction = transaction.with(Role::IdempotencyRecord, record.put(&self.table)?);
        }
        for attempt in 1..=MAX_WRITE_ATTEMPTS {
            match transaction.send(self).await? {
                Outcome::Committed => return Ok(CreateOutcome::Created),
                // The key's record is there (and live, or its condition would have held).
                Outcome::ConditionsFailed(failed) if failed.contains(&Role::IdempotencyRecord) => {
                    if let Some((key, _)) = idempotency
                        && let Some(record) =
                            self.idempotency_record(&source.account_id, key).await?
                    {
                        return Ok(CreateOutcome::KeyUsed(record));
                    }
                    // It expired between the write and the read: try again.
                    backoff(attempt).await;
                }
                Outcome::ConditionsFailed(failed) if failed.contains(&Role::NameClaim) => {
                    return Err(StoreError::NameTaken);
                }
                // Another transaction held the claim for a moment: try again, and learn who won.
                Outcome::Conflict => backoff(attempt).await,
                Outcome::ConditionsFailed(failed) => {
                    return Err(StoreError::unexpected(format!(
                        "a create's conditions failed on {failed:?}"
                    )));
                }
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

    /// The source that holds the claim on `name`, of whichever account (for the admin command's
    /// `sign`): the claim, then the source. `NotFound` when no source has the name.
    pub async fn source_by_name(&self, name: &SourceName) -> Result<Source, StoreError> {
        let claim = self.name_claim(name).await?.ok_or(StoreError::NotFound)?;
        let corrupt = || StoreError::unexpected("a name claim names a malformed source");
        let account = AccountId::parse(&claim.account_id).map_err(|_| corrupt())?;
        let id = SourceId::parse(&claim.source_id).ok_or_else(corrupt)?;
        self.get_source(&account, &id).await
    }

    /// Whether a source other than `except` holds the claim on `name`.
    pub async fn name_taken(
        &self,
        name: &SourceName,
        except: Option<&SourceId>,
    ) -> Result<bool, StoreError> {
        let Some(claim) = self.name_claim(name).await? else {
            return Ok(false);
        };
        Ok(except.is_none_or(|id| claim.source_id != id.as_str()))
    }

    /// The claim on `name` (strongly consistent), if a source holds it.
    async fn name_claim(&self, name: &SourceName) -> Result<Option<NameClaimItem>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(name_pk(name), NAME_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        output.item.map(from_item).transpose()
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
        audit: (Action, &Actor),
        change: impl FnMut(&Source) -> Result<Option<Source>, E>,
    ) -> Result<UpdateOutcome<E>, StoreError> {
        self.update_source_checked(account, id, expected, audit, change, |_| {
            Box::pin(async { Ok(()) })
        })
        .await
    }

    /// [`Store::update_source`] with `check` run on the result before it is written (on the
    /// source as stored when nothing changes): the `?verify=true` of a PATCH, which reaches the
    /// storage between the read and the conditional write. An `Err` from it writes nothing.
    pub async fn update_source_checked<'c, E>(
        &self,
        account: &AccountId,
        id: &SourceId,
        expected: &VersionMatch,
        audit: (Action, &Actor),
        mut change: impl FnMut(&Source) -> Result<Option<Source>, E>,
        check: impl Fn(&Source) -> Pin<Box<dyn Future<Output = Result<(), E>> + Send + 'c>>,
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
                Ok(result) => result,
            };
            if let Err(rejection) = check(updated.as_ref().unwrap_or(&stored)).await {
                return Ok(UpdateOutcome {
                    result: Err(rejection),
                    changed: false,
                });
            }
            let updated = match updated {
                None => {
                    return Ok(UpdateOutcome {
                        result: Ok(stored),
                        changed: false,
                    });
                }
                Some(updated) => updated,
            };
            match self.replace_source(&stored, &updated, audit).await? {
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

    /// Writes `updated` over `stored` if the stored version is still current, with its event,
    /// moving the name claim in the same transaction when the name changes (case-insensitively).
    async fn replace_source(
        &self,
        stored: &Source,
        updated: &Source,
        (action, actor): (Action, &Actor),
    ) -> Result<Option<WriteConflict>, StoreError> {
        let mut source_put = put(
            &self.table,
            to_item(&SourceItem::from_source(updated))?,
            "version = :version",
        )?;
        if let Some(put) = source_put.put.as_mut() {
            put.expression_attribute_values =
                Some([(":version".to_owned(), version_value(stored))].into());
        }
        let mut transaction = Transaction::default().with(Role::Source, source_put);
        if stored.fields.name.claim_key() != updated.fields.name.claim_key() {
            transaction = transaction
                .with(Role::ReleasedClaim, release_claim(&self.table, stored)?)
                .with(
                    Role::NameClaim,
                    put(
                        &self.table,
                        to_item(&NameClaimItem::for_source(updated))?,
                        "attribute_not_exists(PK)",
                    )?,
                );
        }
        if let Some(event) = Event::of(action, Some(stored), Some(updated), actor) {
            transaction = transaction.with(
                Role::Event,
                put_event(&self.table, &updated.account_id, &event)?,
            );
        }
        match transaction.send(self).await? {
            Outcome::Committed => Ok(None),
            Outcome::ConditionsFailed(failed) if failed.contains(&Role::Source) => {
                Ok(Some(WriteConflict::Version))
            }
            Outcome::ConditionsFailed(failed) if failed.contains(&Role::NameClaim) => {
                Ok(Some(WriteConflict::NameTaken))
            }
            Outcome::Conflict => Ok(Some(WriteConflict::Transient)),
            Outcome::ConditionsFailed(failed) => Err(StoreError::unexpected(format!(
                "an update's conditions failed on {failed:?}"
            ))),
        }
    }

    /// Deletes the source and frees its name in one transaction; retried on a concurrent write
    /// while the stored version is one `expected` allows.
    pub async fn delete_source(
        &self,
        account: &AccountId,
        id: &SourceId,
        expected: &VersionMatch,
        actor: &Actor,
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
            let mut transaction = Transaction::default()
                .with(
                    Role::Source,
                    TransactWriteItem::builder().delete(delete_source).build(),
                )
                .with(Role::ReleasedClaim, release_claim(&self.table, &stored)?);
            if let Some(event) = Event::of(Action::Deleted, Some(&stored), None, actor) {
                transaction =
                    transaction.with(Role::Event, put_event(&self.table, account, &event)?);
            }
            match transaction.send(self).await? {
                Outcome::Committed => return Ok(()),
                // Written meanwhile: read again, and see whether `expected` still allows it.
                Outcome::ConditionsFailed(failed) if failed.contains(&Role::Source) => {
                    backoff(attempt).await;
                }
                Outcome::Conflict => backoff(attempt).await,
                Outcome::ConditionsFailed(failed) => {
                    return Err(StoreError::unexpected(format!(
                        "a delete's conditions failed on {failed:?}"
                    )));
                }
            }
        }
        Err(StoreError::Contention)
    }
}

fn version_value(source: &Source) -> AttributeValue {
    AttributeValue::N(source.version.to_string())
}

pub(crate) fn put(
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

/// A short random pause that grows with the attempt, so that racing writers spread out.
async fn backoff(attempt: u32) {
    let cap_ms = u64::from(attempt.min(20)) * 5;
    let [a, b] = crate::domain::random_bytes::<2>();
    let jitter = u64::from(u16::from_le_bytes([a, b])) * cap_ms / u64::from(u16::MAX);
    tokio::time::sleep(Duration::from_millis(jitter)).await;
}
