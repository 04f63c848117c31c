//! Audit events (docs/SPEC.md §17): `ACCOUNT#<account>` / `EVENT#<event id>`, written in the same
//! transaction as the write they record, kept 400 days (TTL). The account's events are the table's
//! range `EVENT#…` of its partition, newest first; one source's are the `by_source` index's range
//! `<source id>#…`, newest version first. Each page is one Query (the next page starts with a key
//! condition at the cursor, as the source listing does).

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::event::EVENT_RETENTION_SECONDS;
use crate::domain::event::EventSource;
use crate::domain::{
    AccountId, Action, Actor, Change, Event, EventId, EventPosition, EventScope, SourceId,
    Timestamp,
};

use super::items::{Item, account_pk, from_item, to_item};
use super::table::{PARTITION_KEY, SORT_KEY, SOURCE_EVENTS_INDEX, SOURCE_EVENTS_INDEX_KEY};
use super::{Store, StoreError};

const EVENT_SK_PREFIX: &str = "EVENT#";

/// The `by_source` sort key: the source, then its version, so that one source's events sort by
/// the writes' own order; an event that made no version (a health change, docs/SPEC.md §22)
/// adds its id, which sorts it after the write of that version and after earlier such events.
fn source_event_key(source_id: &SourceId, version: u64, observed: Option<&EventId>) -> String {
    match observed {
        None => format!("{source_id}#{version:020}"),
        Some(id) => format!("{source_id}#{version:020}#{}", id.as_str()),
    }
}

#[derive(Serialize, Deserialize)]
struct ChangeItem {
    field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to: Option<Value>,
}

#[derive(Serialize, Deserialize)]
struct EventItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    /// The `by_source` index's sort key (`table::SOURCE_EVENTS_INDEX_KEY`); absent on an API
    /// key's event, which is then in no source's listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_event: Option<String>,
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    action: String,
    changes: Vec<ChangeItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key_label: Option<String>,
    request_id: String,
    at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<u64>,
    /// The table's TTL attribute: 400 days after `at`.
    expires_at: i64,
}

impl EventItem {
    fn of(account: &AccountId, event: &Event) -> Self {
        Self {
            pk: account_pk(account),
            sk: format!("{EVENT_SK_PREFIX}{}", event.id.as_str()),
            source_event: event
                .source
                .as_ref()
                .map(|s| source_event_key(&s.id, s.version, event.observed_id())),
            id: event.id.as_str().to_owned(),
            source_id: event.source.as_ref().map(|s| s.id.to_string()),
            source: event.source.as_ref().map(|s| s.name.clone()),
            action: event.action.as_str().to_owned(),
            changes: event
                .changes
                .iter()
                .map(|c| ChangeItem {
                    field: c.field.clone(),
                    from: c.from.clone(),
                    to: c.to.clone(),
                })
                .collect(),
            api_key_id: event.actor.api_key_id.clone(),
            api_key_label: event.actor.api_key_label.clone(),
            request_id: event.actor.request_id.clone(),
            at: event.at.to_string(),
            version: event.source.as_ref().map(|s| s.version),
            expires_at: event.at.unix_seconds() + EVENT_RETENTION_SECONDS,
        }
    }

    fn into_event(self) -> Result<Event, StoreError> {
        let corrupt = |what: &str| StoreError::unexpected(format!("stored event: {what}"));
        let source = match (self.source_id, self.source, self.version) {
            (Some(id), Some(name), Some(version)) => Some(EventSource {
                id: SourceId::parse(&id).ok_or_else(|| corrupt("source id"))?,
                name,
                version,
            }),
            (None, None, None) => None,
            _ => return Err(corrupt("source")),
        };
        Ok(Event {
            id: EventId::parse(&self.id).ok_or_else(|| corrupt("id"))?,
            source,
            action: Action::parse(&self.action).ok_or_else(|| corrupt("action"))?,
            changes: self
                .changes
                .into_iter()
                .map(|c| Change {
                    field: c.field,
                    from: c.from,
                    to: c.to,
                })
                .collect(),
            actor: Actor {
                api_key_id: self.api_key_id,
                api_key_label: self.api_key_label,
                request_id: self.request_id,
            },
            at: Timestamp::parse(&self.at).ok_or_else(|| corrupt("at"))?,
        })
    }
}

/// The event's put in its write's transaction (its id is new: the condition only guards against
/// a collision of random ids).
pub(crate) fn put_event(
    table: &str,
    account: &AccountId,
    event: &Event,
) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(to_item(&EventItem::of(account, event))?))
        .condition_expression("attribute_not_exists(PK)")
        .build()?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A page of events, newest first, and where the next starts when more may follow.
pub struct EventPage {
    pub events: Vec<Event>,
    pub next: Option<EventPosition>,
}

impl Store {
    /// One page of events, newest first: one Query.
    pub async fn list_events(
        &self,
        account: &AccountId,
        scope: &EventScope,
        limit: usize,
        after: Option<&EventPosition>,
    ) -> Result<EventPage, StoreError> {
        let (index, key, prefix) = match scope {
            EventScope::Account => (None, SORT_KEY, EVENT_SK_PREFIX.to_owned()),
            EventScope::Source(id) => (
                Some(SOURCE_EVENTS_INDEX),
                SOURCE_EVENTS_INDEX_KEY,
                format!("{id}#"),
            ),
        };
        let at = match (scope, after) {
            (_, None) => None,
            (EventScope::Account, Some(EventPosition::Event(id))) => {
                Some(format!("{EVENT_SK_PREFIX}{}", id.as_str()))
            }
            (EventScope::Source(id), Some(EventPosition::Version { version, observed })) => {
                Some(source_event_key(id, *version, observed.as_ref()))
            }
            _ => {
                return Err(StoreError::unexpected(
                    "an event position of another listing",
                ));
            }
        };
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_owned))
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#key", key)
            .expression_attribute_values(":pk", AttributeValue::S(account_pk(account)))
            .expression_attribute_values(":prefix", AttributeValue::S(prefix))
            .scan_index_forward(false)
            .consistent_read(true)
            // One more than the page: whether another follows; one more again for the event at
            // the cursor, which the inclusive range reads and the page drops.
            .limit(i32::try_from(limit + 1 + usize::from(at.is_some())).unwrap_or(i32::MAX));
        query = match &at {
            None => query.key_condition_expression("#pk = :pk AND begins_with(#key, :prefix)"),
            Some(at) => query
                .key_condition_expression("#pk = :pk AND #key BETWEEN :prefix AND :at")
                .expression_attribute_values(":at", AttributeValue::S(at.clone())),
        };
        let output = query.send().await.map_err(StoreError::from_sdk)?;
        let more = output
            .last_evaluated_key
            .as_ref()
            .is_some_and(|key| !key.is_empty());
        let mut events = Vec::new();
        for item in output.items.unwrap_or_default() {
            if at.is_some() && is_at(&item, key, at.as_deref()) {
                continue;
            }
            events.push(from_item::<EventItem>(item)?.into_event()?);
        }
        let next = if events.len() > limit {
            events.truncate(limit);
            events.last().map(|last| EventPosition::after(last, scope))
        } else if more {
            events.last().map(|last| EventPosition::after(last, scope))
        } else {
            None
        };
        Ok(EventPage { events, next })
    }
}

/// Whether `item` is the event at the cursor itself.
fn is_at(item: &Item, key: &str, at: Option<&str>) -> bool {
    matches!((item.get(key), at), (Some(AttributeValue::S(value)), Some(at)) if value == at)
}
