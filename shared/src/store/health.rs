//! What the health checks need of the table (docs/SPEC.md §22): the due index read a shard at a
//! time, a claim with a lease, and the result written beside the client's fields without moving
//! `version` or `updated_at`. The store knows nothing of how a check is made.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem, Update};

use crate::domain::health::{CheckSchedule, Health, HealthStatus};
use crate::domain::{AccountId, Actor, Event, Source, SourceId, Timestamp};

use super::events::put_event;
use super::items::{
    ACCOUNT_PK_PREFIX, Item, SOURCE_SK_PREFIX, SourceItem, account_pk, from_item, key, source_sk,
};
use super::sources::{UNCHANGED_SINCE_READ, unchanged_since_read};
use super::table::{
    DUE_INDEX, DUE_INDEX_PARTITION_KEY, DUE_INDEX_SORT_KEY, PARTITION_KEY, SORT_KEY,
};
use super::transaction::{Commit, Role, Transaction};
use super::{Store, StoreError};

/// A source the due index says is due: its keys, and the due time it was read with (a claim is
/// conditional on it, so two runs never claim one check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueCheck {
    pub account: AccountId,
    pub id: SourceId,
    pub due_at: i64,
}

/// One shard's due checks, oldest due first, and whether more were due than were read.
pub struct DueShard {
    pub checks: Vec<DueCheck>,
    pub more: bool,
}

impl Store {
    /// Up to `limit` checks of `shard` due by `now`, oldest first: one Query of the index (keys
    /// only, so a page holds thousands).
    pub async fn due_checks(
        &self,
        shard: &str,
        now: Timestamp,
        limit: usize,
    ) -> Result<DueShard, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX)
            .key_condition_expression("#shard = :shard AND #due <= :now")
            .expression_attribute_names("#shard", DUE_INDEX_PARTITION_KEY)
            .expression_attribute_names("#due", DUE_INDEX_SORT_KEY)
            .expression_attribute_values(":shard", AttributeValue::S(shard.to_owned()))
            .expression_attribute_values(":now", AttributeValue::N(now.unix_seconds().to_string()))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let more = output
            .last_evaluated_key
            .as_ref()
            .is_some_and(|key| !key.is_empty());
        let checks = output
            .items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| due_check(&item))
            .collect();
        Ok(DueShard { checks, more })
    }

    /// Claims `due` until `lease_until`: its due time moves there, if it is still the one read.
    /// The source as it is now, or `None` when another run claimed it first, or it was disabled,
    /// deleted or changed in between (and so is due again, or not at all). A run that dies
    /// with the claim leaves the check due again at `lease_until`.
    pub async fn claim_check(
        &self,
        due: &DueCheck,
        lease_until: Timestamp,
    ) -> Result<Option<Source>, StoreError> {
        let claimed = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(&due.account), source_sk(&due.id))))
            .update_expression(
                "SET #due = :lease, check_rev = if_not_exists(check_rev, :zero) + :one",
            )
            .condition_expression("#due = :seen")
            .expression_attribute_names("#due", DUE_INDEX_SORT_KEY)
            .expression_attribute_values(
                ":lease",
                AttributeValue::N(lease_until.unix_seconds().to_string()),
            )
            .expression_attribute_values(":seen", AttributeValue::N(due.due_at.to_string()))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match StoreError::unless_condition_failed(claimed)? {
            None => Ok(None),
            Some(output) => match output.attributes {
                Some(item) => Ok(Some(from_item::<SourceItem>(item)?.into_source()?)),
                None => Err(StoreError::unexpected("a claim returned no item")),
            },
        }
    }

    /// Records the health a check of `checked` (the source as the check read or claimed it) found
    /// at `now`: its next due time when it is enabled, and a `health_changed` event by `actor`
    /// when the status changed (docs/SPEC.md §22). The status and whether it changed, or `None`
    /// when the source changed in between and nothing was written. For the sweep and for a
    /// client's `verify`; how the check was made is theirs.
    pub async fn record_health(
        &self,
        checked: &Source,
        health: Health,
        now: Timestamp,
        actor: &Actor,
    ) -> Result<Option<(HealthStatus, bool)>, StoreError> {
        let schedule = checked
            .schedule
            .map(|schedule| schedule.after(health.status, now));
        let event = checked
            .health
            .is_news(&health)
            .then(|| Event::health_changed(checked, &checked.health, &health, actor));
        let written = self
            .record_check(checked, &health, schedule, event.as_ref())
            .await?;
        Ok(written.then_some((health.status, event.is_some())))
    }

    /// Writes what a check of `checked` (the source as the check read or claimed it) found:
    /// its health, and for an enabled source the next due time, with `event` in the same
    /// transaction when there is one. Conditional on the source being unchanged since: `false`,
    /// and nothing written, when a client's write, a delete or another check came in between
    /// (the result says nothing of what is stored now). `version` and `updated_at` stay.
    async fn record_check(
        &self,
        checked: &Source,
        health: &Health,
        schedule: Option<CheckSchedule>,
        event: Option<&Event>,
    ) -> Result<bool, StoreError> {
        let mut set = vec![
            "health_status = :status",
            "health_checked_at = :checked_at",
            "check_rev = :next_rev",
        ];
        let mut values: HashMap<String, AttributeValue> = HashMap::from([
            (
                ":status".to_owned(),
                AttributeValue::S(health.status.as_str().to_owned()),
            ),
            (
                ":checked_at".to_owned(),
                AttributeValue::S(health.checked_at.map(|t| t.to_string()).unwrap_or_default()),
            ),
            (
                ":next_rev".to_owned(),
                AttributeValue::N((checked.check_rev + 1).to_string()),
            ),
        ]);
        values.extend(unchanged_since_read(checked));
        if let Some(error) = &health.error {
            set.push("health_error = :error");
            values.insert(
                ":error".to_owned(),
                AttributeValue::M(HashMap::from([
                    ("code".to_owned(), AttributeValue::S(error.code.clone())),
                    (
                        "message".to_owned(),
                        AttributeValue::S(error.message.clone()),
                    ),
                ])),
            );
        }
        if let Some(schedule) = schedule {
            set.push("#due = :due");
            set.push("check_failures = :failures");
            values.insert(
                ":due".to_owned(),
                AttributeValue::N(schedule.due_at.unix_seconds().to_string()),
            );
            values.insert(
                ":failures".to_owned(),
                AttributeValue::N(schedule.failures_in_a_row.to_string()),
            );
        }
        let mut expression = format!("SET {}", set.join(", "));
        if health.error.is_none() {
            expression.push_str(" REMOVE health_error");
        }
        // Unchanged since it was read, as a client's write requires: no client write (version),
        // no other check (check_rev). A deleted item has no version, so this fails for it too.
        let condition = UNCHANGED_SINCE_READ;
        let key = key(account_pk(&checked.account_id), source_sk(&checked.id));
        let names = schedule
            .is_some()
            .then(|| HashMap::from([("#due".to_owned(), DUE_INDEX_SORT_KEY.to_owned())]));
        let update = ConditionalUpdate {
            key,
            expression,
            condition,
            names,
            values,
        };
        let Some(event) = event else {
            // No event: one plain conditional write, half a transaction's cost.
            return update.send_alone(self).await;
        };
        let transaction = Transaction::default()
            .with(Role::Source, update.in_transaction(&self.table)?)
            .with(
                Role::Event,
                put_event(&self.table, &checked.account_id, event)?,
            );
        match transaction.send(self).await? {
            Commit::Committed => Ok(true),
            Commit::ConditionsFailed(failed) if failed.contains(&Role::Source) => Ok(false),
            // Another writer on the item at that moment: the result is stale either way.
            Commit::Conflict => Ok(false),
            Commit::ConditionsFailed(failed) => Err(StoreError::unexpected(format!(
                "a health write's conditions failed on {}",
                super::transaction::failed_roles(&failed)
            ))),
        }
    }
}

/// The check an index entry names: its table keys are `ACCOUNT#<account>` / `SOURCE#<id>`.
fn due_check(item: &Item) -> Option<DueCheck> {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(value)) => Some(value.as_str()),
        _ => None,
    };
    let account = AccountId::parse(text(PARTITION_KEY)?.strip_prefix(ACCOUNT_PK_PREFIX)?).ok()?;
    let id = SourceId::parse(text(SORT_KEY)?.strip_prefix(SOURCE_SK_PREFIX)?)?;
    let due_at = match item.get(DUE_INDEX_SORT_KEY) {
        Some(AttributeValue::N(n)) => n.parse().ok()?,
        _ => return None,
    };
    Some(DueCheck {
        account,
        id,
        due_at,
    })
}

/// One conditional update of an item, sent alone (UpdateItem) or inside a transaction: written
/// once, so the two ways cannot drift apart.
struct ConditionalUpdate {
    key: Item,
    expression: String,
    condition: &'static str,
    names: Option<HashMap<String, String>>,
    values: HashMap<String, AttributeValue>,
}

impl ConditionalUpdate {
    /// Sends it alone: `false` when its condition failed and nothing was written.
    async fn send_alone(self, store: &Store) -> Result<bool, StoreError> {
        let written = store
            .client
            .update_item()
            .table_name(&store.table)
            .set_key(Some(self.key))
            .update_expression(self.expression)
            .condition_expression(self.condition)
            .set_expression_attribute_names(self.names)
            .set_expression_attribute_values(Some(self.values))
            .send()
            .await;
        Ok(StoreError::unless_condition_failed(written)?.is_some())
    }

    /// It as one item of a transaction on `table`.
    fn in_transaction(self, table: &str) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(table)
            .set_key(Some(self.key))
            .update_expression(self.expression)
            .condition_expression(self.condition)
            .set_expression_attribute_names(self.names)
            .set_expression_attribute_values(Some(self.values))
            .build()?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}
