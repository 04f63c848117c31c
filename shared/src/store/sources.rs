//! Source operations. Round trips without contention (docs/SPEC.md §9): get 1, list 1 per page, create 1,
//! update 2, delete 2.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use crate::domain::list_query::MAX_PAGE_LIMIT;
use crate::domain::{
    AccountId, Action, Actor, Event, Fingerprint, IdempotencyKey, ListFilter, SortOrder, Source,
    SourceId, SourceName, VersionMatch,
};

use super::events::put_event;
use super::idempotency::IdempotencyRecord;
use super::items::{
    ClaimItem, NAME_SK, SourceItem, account_pk, key, name_pk, served_name_key, source_sk, to_item,
};
use super::list::PageRequest;
use super::transaction::{Commit, Role, Transaction, backoff};
use super::{Store, StoreError};
use crate::domain::delivery::ServedName;

/// How often an update or delete re-reads and tries again when another writer got in first.
const MAX_WRITE_ATTEMPTS: u32 = 40;

/// A write to one source: which, the versions `If-Match` allows, and what the audit trail says
/// of it (docs/SPEC.md §17).
pub struct SourceWrite<'a> {
    pub account: &'a AccountId,
    pub id: &'a SourceId,
    pub expected: &'a VersionMatch,
    pub action: Action,
    pub actor: &'a Actor,
}

/// What an update left stored.
#[derive(Debug)]
pub struct Updated {
    /// The source as stored after the call.
    pub source: Source,
    /// Whether anything was written (a change that changes nothing writes nothing).
    pub changed: bool,
}

/// How a conditional write ended.
enum WriteConflict {
    /// The version condition failed: someone else wrote first.
    Version,
    /// Another transaction was writing the same items at that moment; nothing is known to be stale.
    Transient,
    NameTaken,
    /// `StoreError::ServedNameTaken`, naming the host name.
    ServedNameTaken(StoreError),
}

/// What a create did.
pub enum Creation {
    Created,
    /// The idempotency key was already used by this account: its record, for the caller to replay
    /// or refuse. Nothing was written.
    KeyUsed(IdempotencyRecord),
}

impl Store {
    /// Creates the source and claims its name in one transaction, with the idempotency record
    /// when the request gave a key (docs/SPEC.md §15): one round trip either way.
    pub async fn create_source(
        &self,
        source: &Source,
        idempotency: Option<(&IdempotencyKey, &Fingerprint)>,
        actor: &Actor,
    ) -> Result<Creation, StoreError> {
        let mut transaction = Transaction::default()
            .with(
                Role::NameClaim,
                put(
                    &self.table,
                    to_item(&ClaimItem::name(source))?,
                    "attribute_not_exists(PK)",
                )?,
            )
            .with(
                Role::Source,
                put(
                    &self.table,
                    to_item(&SourceItem::from_source(source)?)?,
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
        let served = source.fields.delivery.served_names();
        for (index, name) in served.iter().enumerate() {
            transaction = transaction.with(
                Role::ServedNameClaim(index),
                claim_served_name(&self.table, source, name)?,
            );
        }
        for attempt in 1..=MAX_WRITE_ATTEMPTS {
            match transaction.send(self).await? {
                Commit::Committed => return Ok(Creation::Created),
                // The key's record is there (and live, or its condition would have held).
                Commit::ConditionsFailed(failed) if failed.contains(&Role::IdempotencyRecord) => {
                    if let Some((key, _)) = idempotency
                        && let Some(record) =
                            self.idempotency_record(&source.account_id, key).await?
                    {
                        return Ok(Creation::KeyUsed(record));
                    }
                    // It expired between the write and the read: try again.
                    backoff(attempt).await;
                }
                Commit::ConditionsFailed(failed) if failed.contains(&Role::NameClaim) => {
                    return Err(StoreError::NameTaken);
                }
                // Another transaction held the claim for a moment: try again, and learn who won.
                Commit::Conflict => backoff(attempt).await,
                // A host name another source is served under: the message names it.
                Commit::ConditionsFailed(failed) => {
                    return Err(taken_served_name(&failed, &served).unwrap_or_else(|| {
                        StoreError::unexpected(format!(
                            "a create's conditions failed on {}",
                            super::transaction::failed_roles(&failed)
                        ))
                    }));
                }
            }
        }
        Err(StoreError::Contention)
    }

    /// The source of `account` served under `name`, a custom domain or a subdomain (docs/SPEC.md
    /// §23, §25): the name's claim names it, then one read. `None` when no source is served under
    /// it, or another account's is.
    pub async fn source_by_served_name(
        &self,
        account: &AccountId,
        name: &ServedName,
    ) -> Result<Option<Source>, StoreError> {
        let (pk, sk) = served_name_key(name);
        self.claimed_source(account, pk, sk).await
    }

    /// The source of `account` named `name`, in any letter case (docs/SPEC.md §25): the name's
    /// claim names it, then one read. `None` when no source has the name, or another account's
    /// does.
    pub async fn source_by_exact_name(
        &self,
        account: &AccountId,
        name: &SourceName,
    ) -> Result<Option<Source>, StoreError> {
        self.claimed_source(account, name_pk(name), NAME_SK).await
    }

    /// The source of `account` the claim at (`pk`, `sk`) names: two reads. `None` when there is
    /// no claim, or it is another account's, or its source went between the two reads.
    async fn claimed_source(
        &self,
        account: &AccountId,
        pk: String,
        sk: &str,
    ) -> Result<Option<Source>, StoreError> {
        let claim = self.read_item::<ClaimItem>(pk, sk).await?;
        let Some(claim) = claim.filter(|c| c.account_id == account.as_str()) else {
            return Ok(None);
        };
        let id = SourceId::parse(&claim.source_id)
            .ok_or_else(|| StoreError::unexpected("a claim has a malformed source id"))?;
        match self.get_source(account, &id).await {
            Ok(source) => Ok(Some(source)),
            // Released by a write between the two reads.
            Err(StoreError::NotFound) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The account's source with this id (strongly consistent), or `NotFound`.
    pub async fn get_source(
        &self,
        account: &AccountId,
        id: &SourceId,
    ) -> Result<Source, StoreError> {
        self.read_item::<SourceItem>(account_pk(account), source_sk(id))
            .await?
            .ok_or(StoreError::NotFound)?
            .into_source()
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
    async fn name_claim(&self, name: &SourceName) -> Result<Option<ClaimItem>, StoreError> {
        self.read_item(name_pk(name), NAME_SK).await
    }

    /// Read, let `change` compute the new source, write it conditionally on the version read; on
    /// a version conflict read again and retry, as long as the stored version is one
    /// `write.expected` allows (If-Match). `change` answers `Ok(None)` when nothing changes, and
    /// then nothing is written; an `Err` from it writes nothing and is returned as it is.
    /// `first` is a read the caller already made, to start from instead of reading again.
    ///
    /// It knows nothing of why a change is refused: the caller's error type `E` carries both its
    /// own refusals and the store's errors.
    pub async fn update_source<E: From<StoreError>>(
        &self,
        write: &SourceWrite<'_>,
        first: Option<Source>,
        mut change: impl FnMut(&Source) -> Result<Option<Source>, E>,
    ) -> Result<Updated, E> {
        let mut first = first;
        for attempt in 1..=MAX_WRITE_ATTEMPTS {
            let stored = match first.take() {
                Some(stored) => stored,
                None => self.get_source(write.account, write.id).await?,
            };
            if !write.expected.allows(stored.version) {
                return Err(StoreError::VersionMismatch.into());
            }
            let Some(updated) = change(&stored)? else {
                return Ok(Updated {
                    source: stored,
                    changed: false,
                });
            };
            match self.replace_source(&stored, &updated, write).await? {
                None => {
                    return Ok(Updated {
                        source: updated,
                        changed: true,
                    });
                }
                Some(WriteConflict::NameTaken) => return Err(StoreError::NameTaken.into()),
                Some(WriteConflict::ServedNameTaken(taken)) => return Err(taken.into()),
                // The next read tells whether the new version is still one `expected` allows.
                Some(WriteConflict::Version | WriteConflict::Transient) => backoff(attempt).await,
            }
        }
        Err(StoreError::Contention.into())
    }

    /// Writes `updated` over `stored` if the stored version is still current, with its event,
    /// moving the name claim in the same transaction when the name changes (case-insensitively).
    async fn replace_source(
        &self,
        stored: &Source,
        updated: &Source,
        write: &SourceWrite<'_>,
    ) -> Result<Option<WriteConflict>, StoreError> {
        let mut source_put = put(
            &self.table,
            to_item(&SourceItem::from_source(updated)?)?,
            UNCHANGED_SINCE_READ,
        )?;
        if let Some(put) = source_put.put.as_mut() {
            put.expression_attribute_values = Some(unchanged_since_read(stored));
        }
        let mut transaction = Transaction::default().with(Role::Source, source_put);
        if stored.fields.name.claim_key() != updated.fields.name.claim_key() {
            transaction = transaction
                .with(Role::ReleasedClaim, release_claim(&self.table, stored)?)
                .with(
                    Role::NameClaim,
                    put(
                        &self.table,
                        to_item(&ClaimItem::name(updated))?,
                        "attribute_not_exists(PK)",
                    )?,
                );
        }
        if let Some(event) = Event::of(write.action, Some(stored), Some(updated), write.actor) {
            transaction = transaction.with(
                Role::Event,
                put_event(&self.table, &updated.account_id, &event)?,
            );
        }
        // The host names the write adds are claimed, the ones it drops released, in the same
        // transaction (docs/SPEC.md §23, §25).
        let before = stored.fields.delivery.served_names();
        let after = updated.fields.delivery.served_names();
        for (index, name) in after.iter().enumerate() {
            if !before.contains(name) {
                transaction = transaction.with(
                    Role::ServedNameClaim(index),
                    claim_served_name(&self.table, updated, name)?,
                );
            }
        }
        for name in before.iter().filter(|n| !after.contains(n)) {
            transaction = transaction.with(
                Role::ReleasedServedName,
                release_served_name(&self.table, stored, name)?,
            );
        }
        match transaction.send(self).await? {
            Commit::Committed => Ok(None),
            Commit::ConditionsFailed(failed) if failed.contains(&Role::Source) => {
                Ok(Some(WriteConflict::Version))
            }
            Commit::ConditionsFailed(failed) if failed.contains(&Role::NameClaim) => {
                Ok(Some(WriteConflict::NameTaken))
            }
            Commit::Conflict => Ok(Some(WriteConflict::Transient)),
            Commit::ConditionsFailed(failed) => match taken_served_name(&failed, &after) {
                Some(taken) => Ok(Some(WriteConflict::ServedNameTaken(taken))),
                None => Err(StoreError::unexpected(format!(
                    "an update's conditions failed on {}",
                    super::transaction::failed_roles(&failed)
                ))),
            },
        }
    }

    /// Deletes the source and frees its name in one transaction; retried on a concurrent write
    /// while the stored version is one `expected` allows.
    pub async fn delete_source(&self, write: &SourceWrite<'_>) -> Result<(), StoreError> {
        let SourceWrite {
            account,
            id,
            expected,
            action,
            actor,
        } = *write;
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
            // A delete releases every custom domain and subdomain (docs/SPEC.md §23, §25).
            for name in &stored.fields.delivery.served_names() {
                transaction = transaction.with(
                    Role::ReleasedServedName,
                    release_served_name(&self.table, &stored, name)?,
                );
            }
            if let Some(event) = Event::of(action, Some(&stored), None, actor) {
                transaction =
                    transaction.with(Role::Event, put_event(&self.table, account, &event)?);
            }
            match transaction.send(self).await? {
                Commit::Committed => return Ok(()),
                // Written meanwhile: read again, and see whether `expected` still allows it.
                Commit::ConditionsFailed(failed) if failed.contains(&Role::Source) => {
                    backoff(attempt).await;
                }
                Commit::Conflict => backoff(attempt).await,
                Commit::ConditionsFailed(failed) => {
                    return Err(StoreError::unexpected(format!(
                        "a delete's conditions failed on {}",
                        super::transaction::failed_roles(&failed)
                    )));
                }
            }
        }
        Err(StoreError::Contention)
    }
}

/// The condition of a write over a source read before: neither a client's write (`version`) nor
/// a health check's (`check_rev`, docs/SPEC.md §22) came in between. Items no check has written
/// have no `check_rev`.
pub(crate) const UNCHANGED_SINCE_READ: &str =
    "version = :version AND (check_rev = :check_rev OR attribute_not_exists(check_rev))";

/// The values of [`UNCHANGED_SINCE_READ`] for `stored`.
pub(crate) fn unchanged_since_read(
    stored: &Source,
) -> std::collections::HashMap<String, AttributeValue> {
    [
        (":version".to_owned(), version_value(stored)),
        (
            ":check_rev".to_owned(),
            AttributeValue::N(stored.check_rev.to_string()),
        ),
    ]
    .into()
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

/// Claims host name `name` for `source`, unless another source holds it.
fn claim_served_name(
    table: &str,
    source: &Source,
    name: &ServedName,
) -> Result<TransactWriteItem, StoreError> {
    put(
        table,
        to_item(&ClaimItem::served_name(source, name))?,
        "attribute_not_exists(PK)",
    )
}

/// Releases `source`'s claim on host name `name`.
fn release_served_name(
    table: &str,
    source: &Source,
    name: &ServedName,
) -> Result<TransactWriteItem, StoreError> {
    release(table, &ClaimItem::served_name(source, name))
}

/// Deletes `claim`, unless it somehow belongs to another source.
fn release(table: &str, claim: &ClaimItem) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(claim.key()))
        .condition_expression("attribute_not_exists(PK) OR source_id = :source_id")
        .expression_attribute_values(":source_id", AttributeValue::S(claim.source_id.clone()))
        .build()?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// The first of `names` whose claim's condition failed, as the store's error.
fn taken_served_name(failed: &[Role], names: &[ServedName]) -> Option<StoreError> {
    failed.iter().find_map(|role| match role {
        Role::ServedNameClaim(index) => names.get(*index).cloned().map(StoreError::ServedNameTaken),
        _ => None,
    })
}

/// Releases `source`'s name claim.
fn release_claim(table: &str, source: &Source) -> Result<TransactWriteItem, StoreError> {
    release(table, &ClaimItem::name(source))
}
