//! The audit trail (docs/SPEC.md §17, §26): one immutable event per write that changes a source,
//! computed here from the source before and after, so that no event can name a secret's value;
//! and one per API key an account creates or revokes, naming the key by its id, never the key.

use secrecy::ExposeSecret;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

use super::delivery::{DELIVERY, Delivery};
use super::health::{HEALTH, Health};
use super::{CredentialValue, KeyScope, Source, SourceId, Timestamp, fields};

/// How long events are kept (the table's TTL removes them after).
pub const EVENT_RETENTION_SECONDS: i64 = 400 * 24 * 3600;

/// What a write did to a source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Created,
    Updated,
    Deleted,
    SecretTokenRotated,
    /// The health checks found the source's health changed (docs/SPEC.md §22): made by the
    /// system, it changes no field a client writes and no version.
    HealthChanged,
    /// An API key of the account was made, or revoked (docs/SPEC.md §26): no source's.
    ApiKeyCreated,
    ApiKeyRevoked,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Created,
        Action::Updated,
        Action::Deleted,
        Action::SecretTokenRotated,
        Action::HealthChanged,
        Action::ApiKeyCreated,
        Action::ApiKeyRevoked,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Deleted => "deleted",
            Action::SecretTokenRotated => "secret_token_rotated",
            Action::HealthChanged => "health_changed",
            Action::ApiKeyCreated => "api_key_created",
            Action::ApiKeyRevoked => "api_key_revoked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

/// One changed field: its name, and for a field that is not a secret its values before and after
/// (absent where the field did not exist).
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub field: String,
    pub from: Option<Value>,
    pub to: Option<Value>,
}

/// Who made a write: the API key (by id and label, from the authorizer context) and the request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    pub api_key_id: Option<String>,
    pub api_key_label: Option<String>,
    pub request_id: String,
}

/// The label of the system's own writes (docs/SPEC.md §22): no API key made them, so
/// `api_key_id` is `null`.
pub const SYSTEM_LABEL: &str = "system";

/// The label of the operator's writes through the admin command (`image-sources keys`): no API
/// key made them either.
pub const OPERATOR_LABEL: &str = "image-sources keys";

impl Actor {
    /// The operator, through the admin command: a key made or revoked from a shell.
    pub fn operator() -> Self {
        Self {
            api_key_id: None,
            api_key_label: Some(OPERATOR_LABEL.to_owned()),
            request_id: format!("admin-{}", uuid::Uuid::new_v4()),
        }
    }

    /// The system itself: the scheduled health checks, in the run `request_id` names.
    pub fn system(request_id: impl Into<String>) -> Self {
        Self {
            api_key_id: None,
            api_key_label: Some(SYSTEM_LABEL.to_owned()),
            request_id: request_id.into(),
        }
    }
}

/// An event id: 6 bytes of big-endian Unix milliseconds, then 6 random bytes, as 24 lowercase hex
/// characters, so that ids sort by time.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventId(String);

impl EventId {
    pub fn generate(at_millis: i128) -> Self {
        let millis = u64::try_from(at_millis.max(0)).unwrap_or(0).to_be_bytes();
        let random: [u8; 6] = super::random_bytes();
        let mut bytes = [0u8; 12];
        bytes[..6].copy_from_slice(&millis[2..]);
        bytes[6..].copy_from_slice(&random);
        Self(hex::encode(bytes))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 24 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whose events a listing holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventScope {
    Account,
    Source(SourceId),
}

impl EventScope {
    /// What a cursor of this listing is bound to, besides the account.
    pub fn canonical(&self) -> String {
        match self {
            EventScope::Account => "events".to_owned(),
            EventScope::Source(id) => format!("events:{id}"),
        }
    }
}

/// Where an event listing resumes: the sort key of the last event a page held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventPosition {
    /// The account's listing: the event's id.
    Event(EventId),
    /// A source's listing: the event's version, and for an event that made no version (a
    /// health change) its id too, as it sorts after the write of that version.
    Version {
        version: u64,
        observed: Option<EventId>,
    },
}

impl EventPosition {
    /// Just after `event`, in `scope`'s listing.
    pub fn after(event: &Event, scope: &EventScope) -> Self {
        match scope {
            EventScope::Account => EventPosition::Event(event.id.clone()),
            EventScope::Source(_) => EventPosition::Version {
                version: event.source.as_ref().map_or(0, |s| s.version),
                observed: event.observed_id().cloned(),
            },
        }
    }
}

/// One write to one source, or to one of the account's API keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: EventId,
    /// The source written; `None` for an API key's event.
    pub source: Option<EventSource>,
    pub action: Action,
    pub changes: Vec<Change>,
    pub actor: Actor,
    pub at: Timestamp,
}

/// The source an event is of.
#[derive(Clone, Debug, PartialEq)]
pub struct EventSource {
    pub id: SourceId,
    /// The source's name at the time.
    pub name: String,
    /// The source's version this write made (for a delete: the deleted version plus one).
    pub version: u64,
}

/// What an API key's event says of it (docs/SPEC.md §26): never the key itself.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyFacts<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub scope: KeyScope,
    pub expires_at: Option<Timestamp>,
}

impl Event {
    /// The event of a write from `before` to `after` (`None` before a create, after a delete);
    /// `None` when nothing changed.
    pub fn of(
        action: Action,
        before: Option<&Source>,
        after: Option<&Source>,
        actor: &Actor,
    ) -> Option<Self> {
        let source = after.or(before)?;
        let changes = changes(before, after);
        if changes.is_empty() {
            return None;
        }
        let at = Timestamp::now_precise();
        Some(Self {
            id: EventId::generate(at.1),
            source: Some(EventSource {
                id: source.id.clone(),
                name: source.fields.name.to_string(),
                version: match after {
                    Some(after) => after.version,
                    None => source.version + 1,
                },
            }),
            action,
            changes,
            actor: actor.clone(),
            at: at.0,
        })
    }

    /// An API key made (`ApiKeyCreated`: its facts as `to`) or revoked (`ApiKeyRevoked`: as
    /// `from`), by `actor`, as an account event (docs/SPEC.md §26).
    pub fn api_key(action: Action, key: &KeyFacts<'_>, actor: &Actor) -> Self {
        let at = Timestamp::now_precise();
        let mut facts = vec![
            ("api_key.id", Value::from(key.id)),
            ("api_key.label", Value::from(key.label)),
            ("api_key.scope", Value::from(key.scope.as_str())),
        ];
        if let Some(expires_at) = key.expires_at {
            facts.push(("api_key.expires_at", Value::from(expires_at.to_string())));
        }
        let revoked = action == Action::ApiKeyRevoked;
        Self {
            id: EventId::generate(at.1),
            source: None,
            action,
            changes: facts
                .into_iter()
                .map(|(field, value)| Change {
                    field: field.to_owned(),
                    from: revoked.then(|| value.clone()),
                    to: (!revoked).then_some(value),
                })
                .collect(),
            actor: actor.clone(),
            at: at.0,
        }
    }

    /// A change of `source`'s health from `before` to `after`, made by `actor` (the system):
    /// the status, and the error code, from and to. The source's version is the one it has.
    pub fn health_changed(source: &Source, before: &Health, after: &Health, actor: &Actor) -> Self {
        let at = Timestamp::now_precise();
        let code = |health: &Health| health.error.as_ref().map(|e| Value::from(e.code.as_str()));
        let mut changes = vec![Change {
            field: format!("{HEALTH}.status"),
            from: Some(Value::from(before.status.as_str())),
            to: Some(Value::from(after.status.as_str())),
        }];
        if code(before) != code(after) {
            changes.push(Change {
                field: format!("{HEALTH}.error.code"),
                from: code(before),
                to: code(after),
            });
        }
        Self {
            id: EventId::generate(at.1),
            source: Some(EventSource {
                id: source.id.clone(),
                name: source.fields.name.to_string(),
                version: source.version,
            }),
            action: Action::HealthChanged,
            changes,
            actor: actor.clone(),
            at: at.0,
        }
    }

    /// The id of an event that made no version of its own (a health change), which orders it
    /// among its source's events after the write of its version.
    pub fn observed_id(&self) -> Option<&EventId> {
        (self.action == Action::HealthChanged).then_some(&self.id)
    }

    /// The event as the API shows it.
    pub fn public(&self) -> PublicEvent<'_> {
        PublicEvent(self)
    }
}

/// A field's value as an event may know it.
#[derive(PartialEq)]
enum FieldValue {
    /// Not a secret: shown as `from`/`to`.
    Shown(Value),
    /// A secret: compared by its SHA-256, never shown.
    Secret([u8; 32]),
}

fn digest(text: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).into()
}

/// Every field of `source` an event can name, by its name in events (`credentials.bucket`).
fn fields_of(source: &Source) -> Vec<(String, FieldValue)> {
    let credential = |key: &str| format!("{}.{key}", fields::CREDENTIALS);
    let mut all = vec![
        (
            fields::SOURCE.to_owned(),
            FieldValue::Shown(Value::from(source.fields.name.as_str())),
        ),
        (
            fields::SOURCE_TYPE.to_owned(),
            FieldValue::Shown(Value::from(source.fields.source_type.as_str())),
        ),
        (
            fields::ENABLED.to_owned(),
            FieldValue::Shown(Value::from(source.fields.enabled)),
        ),
    ];
    for (key, value) in source
        .fields
        .credentials
        .iter_for(source.fields.source_type)
    {
        let field = match value {
            // A secret in clear and one this write sealed compare by the value; a sealed one read
            // from the table by its envelope (kept with `****`, it is the same envelope).
            CredentialValue::Secret(secret) => FieldValue::Secret(digest(secret.expose_secret())),
            CredentialValue::Sealed(sealed) => FieldValue::Secret(match sealed.sealed_from {
                Some(value) => value,
                None => digest(&format!("sealed:{}:{}", sealed.dk, sealed.ct)),
            }),
            CredentialValue::Plain(plain) => FieldValue::Shown(Value::from(plain.as_str())),
        };
        all.push((credential(key), field));
    }
    let require_token = if source.fields.require_token {
        "true"
    } else {
        "false"
    };
    all.push((
        credential(fields::REQUIRE_TOKEN),
        FieldValue::Shown(Value::from(require_token)),
    ));
    // The delivery settings, a field per key (docs/SPEC.md §23): `delivery.custom_domains` with
    // the lists from and to, and so on.
    // A key at its default is left out, as an absent credential is: a create or a delete of a
    // source without delivery settings names none, and keeps its event under 1 KB (one write
    // unit: the bench's cost table).
    let defaults = Delivery::default().public();
    if let Value::Object(delivery) = source.fields.delivery.public() {
        for (key, value) in delivery {
            if defaults.get(&key) != Some(&value) {
                all.push((format!("{DELIVERY}.{key}"), FieldValue::Shown(value)));
            }
        }
    }
    // When a storage secret last changed (docs/SPEC.md §21): shown, so the trail says when.
    all.push((
        fields::SECRETS_UPDATED_AT.to_owned(),
        FieldValue::Shown(Value::from(source.secrets_updated_at.to_string())),
    ));
    // The signing tokens are secrets too: a rotation names them, never shows them.
    all.push((
        credential(fields::SECRET_TOKEN),
        FieldValue::Secret(digest(source.secret_token.expose())),
    ));
    if let Some(previous) = &source.previous_token {
        all.push((
            credential(fields::PREVIOUS_SECRET_TOKEN),
            FieldValue::Secret(digest(&format!(
                "{}@{}",
                previous.token.expose(),
                previous.expires_at
            ))),
        ));
    }
    all
}

/// The fields that differ between `before` and `after`: those of `before` in its order, then
/// those only `after` has.
pub fn changes(before: Option<&Source>, after: Option<&Source>) -> Vec<Change> {
    let old = before.map(fields_of).unwrap_or_default();
    let new = after.map(fields_of).unwrap_or_default();
    let shown = |value: Option<&FieldValue>| match value {
        Some(FieldValue::Shown(value)) => Some(value.clone()),
        _ => None,
    };
    let mut names: Vec<&String> = old.iter().map(|(name, _)| name).collect();
    names.extend(
        new.iter()
            .map(|(name, _)| name)
            .filter(|name| !old.iter().any(|(o, _)| o == *name)),
    );
    names
        .into_iter()
        .filter_map(|name| {
            let from = old.iter().find(|(n, _)| n == name).map(|(_, v)| v);
            let to = new.iter().find(|(n, _)| n == name).map(|(_, v)| v);
            (from != to).then(|| Change {
                field: name.clone(),
                from: shown(from),
                to: shown(to),
            })
        })
        .collect()
}

/// The one way an event leaves the API.
pub struct PublicEvent<'a>(&'a Event);

impl Serialize for PublicEvent<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let event = self.0;
        let mut map = serializer.serialize_map(Some(10))?;
        map.serialize_entry("id", event.id.as_str())?;
        let source = event.source.as_ref();
        map.serialize_entry("source_id", &source.map(|s| s.id.as_str()))?;
        map.serialize_entry("source", &source.map(|s| s.name.as_str()))?;
        map.serialize_entry("action", event.action.as_str())?;
        map.serialize_entry("version", &source.map(|s| s.version))?;
        let changes: Vec<Value> = event
            .changes
            .iter()
            .map(|change| {
                let mut object = serde_json::Map::new();
                object.insert("field".into(), Value::from(change.field.as_str()));
                if let Some(from) = &change.from {
                    object.insert("from".into(), from.clone());
                }
                if let Some(to) = &change.to {
                    object.insert("to".into(), to.clone());
                }
                Value::Object(object)
            })
            .collect();
        map.serialize_entry("changes", &changes)?;
        map.serialize_entry("api_key_id", &event.actor.api_key_id)?;
        map.serialize_entry("api_key_label", &event.actor.api_key_label)?;
        map.serialize_entry("request_id", &event.actor.request_id)?;
        map.serialize_entry("at", &event.at.to_string())?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, SourceInput};
    use serde_json::json;

    fn source(body: Value) -> Source {
        let fields = SourceInput::from_json(body.as_object().unwrap())
            .into_new_fields()
            .unwrap();
        Source::new(AccountId::parse("acme").unwrap(), fields)
    }

    fn s3() -> Source {
        source(
            json!({"source": "audited", "source_type": "s3", "credential_attributes": {
            "access_key_id": "AKIA", "secret_access_key": "the-secret-value", "bucket": "bucket-one",
            "region": "us-east-1"}}),
        )
    }

    #[test]
    fn nothing_changed_is_no_event() {
        let stored = s3();
        assert!(
            Event::of(
                Action::Updated,
                Some(&stored),
                Some(&stored),
                &Actor::default()
            )
            .is_none()
        );
    }

    #[test]
    fn a_changed_secret_is_named_and_its_values_never_appear() {
        let stored = s3();
        let mut updated = stored.clone();
        updated.fields = SourceInput::from_json(
            json!({"credential_attributes": {"secret_access_key": "another-secret-value", "bucket": "bucket-two"}})
                .as_object()
                .unwrap(),
        )
        .apply_to(&stored.fields)
        .unwrap();
        let event = Event::of(
            Action::Updated,
            Some(&stored),
            Some(&updated),
            &Actor::default(),
        )
        .unwrap();
        let json = serde_json::to_string(&event.public()).unwrap();
        assert!(!json.contains("the-secret-value") && !json.contains("another-secret-value"));
        assert_eq!(
            event.changes,
            [
                Change {
                    field: "credentials.bucket".into(),
                    from: Some(json!("bucket-one")),
                    to: Some(json!("bucket-two"))
                },
                Change {
                    field: "credentials.secret_access_key".into(),
                    from: None,
                    to: None
                },
            ]
        );
    }

    #[test]
    fn a_rotation_names_the_tokens_and_shows_neither() {
        let stored = s3();
        let rotated = stored.rotated(60, Timestamp::now());
        let event = Event::of(
            Action::SecretTokenRotated,
            Some(&stored),
            Some(&rotated),
            &Actor::default(),
        )
        .unwrap();
        let json = serde_json::to_string(&event.public()).unwrap();
        assert!(!json.contains(stored.secret_token.expose()));
        assert!(!json.contains(rotated.secret_token.expose()));
        assert_eq!(event.source.as_ref().map(|s| s.version), Some(2));
    }

    #[test]
    fn event_ids_sort_by_time() {
        let earlier = EventId::generate(1_700_000_000_000);
        let later = EventId::generate(1_700_000_000_001);
        assert!(earlier < later);
        assert!(EventId::parse(earlier.as_str()).is_some());
    }
}
