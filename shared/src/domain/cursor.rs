//! Listing cursors (docs/SPEC.md §11): where the next page starts, opaque to clients, bound to the account,
//! the sort and the filters they were made for.
//!
//! A cursor is base64url (no padding) of: a version byte, the position (the last source's id, and
//! for the name orders its lowercased name too), and a 16-byte SHA-256 tag over the account, the
//! sort, the filters and the position. Decoding is strict: one spelling per cursor, exact lengths,
//! the tag recomputed for the request's own account and parameters, the position re-validated.
//!
//! Why a digest and not a MAC: a cursor only says where to resume inside the caller's own
//! partition (the account comes from the authorizer, never from the cursor), so a forged one can
//! reach nothing its bearer cannot list anyway. The tag's job is to refuse, with 400, a cursor
//! that was damaged, truncated, or made for another sort, filter or account, instead of silently
//! answering another listing. A MAC would add a secret to every list function (a parameter to
//! provision and rotate, and cursors that die with each rotation) for no gain in what a cursor can
//! reach.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::list_query::{ListFilter, MAX_CURSOR_CHARS, ParameterError, SortOrder};
use super::{AccountId, EventId, EventPosition, EventScope, Source, SourceId, SourceName};

const VERSION: u8 = 1;
const TAG_BYTES: usize = 16;
const ID_BYTES: usize = 12;
const DOMAIN: &[u8] = b"image-sources list cursor v1\0";

/// Where a listing resumes: just after this source, in the listing's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    /// The created-at orders: the table's sort key.
    Id(SourceId),
    /// The name orders: the index's sort key (the lowercased name), and the table's.
    Name { name_key: String, id: SourceId },
}

impl Position {
    /// Just after `source`, in `sort`'s order.
    pub fn after(source: &Source, sort: SortOrder) -> Self {
        if sort.by_name() {
            Position::Name {
                name_key: source.fields.name.claim_key(),
                id: source.id.clone(),
            }
        } else {
            Position::Id(source.id.clone())
        }
    }

    pub fn id(&self) -> &SourceId {
        match self {
            Position::Id(id) | Position::Name { id, .. } => id,
        }
    }

    fn fits(&self, sort: SortOrder) -> bool {
        matches!(self, Position::Name { .. }) == sort.by_name()
    }
}

/// A listing's cursors, of either kind: what the paging helper needs of them.
pub trait Cursors {
    /// Where a page resumes.
    type Position;

    fn encode(&self, position: &Self::Position) -> String;

    /// The position `raw` resumes at, if it is a cursor this listing made.
    fn decode(&self, raw: &str) -> Result<Self::Position, ParameterError>;
}

/// What a cursor is made for: the listing's account, sort and filters.
pub struct CursorScope<'a> {
    pub account: &'a AccountId,
    pub sort: SortOrder,
    pub filter: &'a ListFilter,
}

impl Cursors for CursorScope<'_> {
    type Position = Position;

    fn encode(&self, position: &Position) -> String {
        seal(payload(position), |payload| self.tag(payload))
    }

    fn decode(&self, raw: &str) -> Result<Position, ParameterError> {
        let invalid = ParameterError::Cursor;
        let payload = open(raw, |payload| self.tag(payload))?;
        let position = parse_payload(&payload).ok_or(invalid)?;
        if !position.fits(self.sort) {
            return Err(invalid);
        }
        Ok(position)
    }
}

impl CursorScope<'_> {
    fn tag(&self, payload: &[u8]) -> [u8; TAG_BYTES] {
        tag_of(
            self.account,
            &[self.sort.as_str(), &self.filter.canonical()],
            payload,
        )
    }
}

/// What an event listing's cursor is made for: the account and the listing (one source's events,
/// or the account's). The same format as the source listing's, another version byte.
pub struct EventCursorScope<'a> {
    pub account: &'a AccountId,
    pub scope: &'a EventScope,
}

const EVENT_VERSION: u8 = 2;

impl EventCursorScope<'_> {
    fn tag(&self, payload: &[u8]) -> [u8; TAG_BYTES] {
        tag_of(self.account, &[&self.scope.canonical()], payload)
    }
}

impl Cursors for EventCursorScope<'_> {
    type Position = EventPosition;

    fn encode(&self, position: &EventPosition) -> String {
        let mut payload = vec![EVENT_VERSION];
        match position {
            EventPosition::Event(id) => {
                payload.push(0);
                payload.extend(hex::decode(id.as_str()).unwrap_or_default());
            }
            EventPosition::Version {
                version,
                observed: None,
            } => {
                payload.push(1);
                payload.extend_from_slice(&version.to_be_bytes());
            }
            EventPosition::Version {
                version,
                observed: Some(id),
            } => {
                payload.push(2);
                payload.extend_from_slice(&version.to_be_bytes());
                payload.extend(hex::decode(id.as_str()).unwrap_or_default());
            }
        }
        seal(payload, |payload| self.tag(payload))
    }

    fn decode(&self, raw: &str) -> Result<EventPosition, ParameterError> {
        let invalid = ParameterError::Cursor;
        let payload = open(raw, |payload| self.tag(payload))?;
        let position = match (payload.as_slice(), self.scope) {
            ([EVENT_VERSION, 0, id @ ..], EventScope::Account) if id.len() == ID_BYTES => {
                EventPosition::Event(EventId::parse(&hex::encode(id)).ok_or(invalid)?)
            }
            ([EVENT_VERSION, 1, version @ ..], EventScope::Source(_)) => {
                let version: [u8; 8] = version.try_into().map_err(|_| invalid)?;
                EventPosition::Version {
                    version: u64::from_be_bytes(version),
                    observed: None,
                }
            }
            ([EVENT_VERSION, 2, rest @ ..], EventScope::Source(_))
                if rest.len() == 8 + ID_BYTES =>
            {
                let (version, id) = rest.split_at(8);
                let version: [u8; 8] = version.try_into().map_err(|_| invalid)?;
                EventPosition::Version {
                    version: u64::from_be_bytes(version),
                    observed: Some(EventId::parse(&hex::encode(id)).ok_or(invalid)?),
                }
            }
            _ => return Err(invalid),
        };
        Ok(position)
    }
}

/// `payload` and its tag, base64url.
fn seal(mut payload: Vec<u8>, tag: impl Fn(&[u8]) -> [u8; TAG_BYTES]) -> String {
    let tag = tag(&payload);
    payload.extend_from_slice(&tag);
    URL_SAFE_NO_PAD.encode(payload)
}

/// The payload of `raw`, if it decodes and its tag is the one `tag` computes for it. The engine
/// refuses padding and non-zero trailing bits: one spelling per cursor.
fn open(raw: &str, tag: impl Fn(&[u8]) -> [u8; TAG_BYTES]) -> Result<Vec<u8>, ParameterError> {
    let invalid = ParameterError::Cursor;
    if raw.len() > MAX_CURSOR_CHARS {
        return Err(invalid);
    }
    let mut bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid)?;
    let split = bytes.len().checked_sub(TAG_BYTES).ok_or(invalid)?;
    let given = bytes.split_off(split);
    if given != tag(&bytes) {
        return Err(invalid);
    }
    Ok(bytes)
}

/// SHA-256 over the domain, the account and the listing's parts (each with its length), then
/// the payload: the first 16 bytes.
fn tag_of(account: &AccountId, parts: &[&str], payload: &[u8]) -> [u8; TAG_BYTES] {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    for part in std::iter::once(account.as_str()).chain(parts.iter().copied()) {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.update(payload);
    let digest = hasher.finalize();
    let mut tag = [0u8; TAG_BYTES];
    tag.copy_from_slice(&digest[..TAG_BYTES]);
    tag
}

fn payload(position: &Position) -> Vec<u8> {
    let mut bytes = vec![VERSION];
    // A SourceId is 24 hex characters by construction.
    bytes.extend(hex::decode(position.id().as_str()).unwrap_or_default());
    if let Position::Name { name_key, .. } = position {
        bytes.push(name_key.len() as u8);
        bytes.extend_from_slice(name_key.as_bytes());
    }
    bytes
}

fn parse_payload(payload: &[u8]) -> Option<Position> {
    let [VERSION, rest @ ..] = payload else {
        return None;
    };
    if rest.len() < ID_BYTES {
        return None;
    }
    let (id, rest) = rest.split_at(ID_BYTES);
    let id = SourceId::parse(&hex::encode(id))?;
    let [len, name @ ..] = rest else {
        return rest.is_empty().then_some(Position::Id(id));
    };
    if usize::from(*len) != name.len() {
        return None;
    }
    let name = std::str::from_utf8(name).ok()?;
    // Only what a stored name lowercases to.
    let parsed = SourceName::parse(name).ok()?;
    (parsed.claim_key() == name).then(|| Position::Name {
        name_key: name.to_owned(),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SourceType;

    #[test]
    fn an_event_cursor_works_only_for_its_own_listing() {
        let acme = account("acme");
        let source = EventScope::Source(id());
        let everything = EventScope::Account;
        let of_source = EventCursorScope {
            account: &acme,
            scope: &source,
        };
        let at_version = EventPosition::Version {
            version: 42,
            observed: None,
        };
        let cursor = of_source.encode(&at_version);
        assert_eq!(of_source.decode(&cursor), Ok(at_version));
        let event_id = EventId::parse("0193a5b2c3d4e5f6a7b8c9d0").unwrap();
        // A health change's position keeps its event id (docs/SPEC.md §22).
        let at_health_change = EventPosition::Version {
            version: 42,
            observed: Some(event_id.clone()),
        };
        let health_cursor = of_source.encode(&at_health_change);
        assert_eq!(of_source.decode(&health_cursor), Ok(at_health_change));
        let of_account = EventCursorScope {
            account: &acme,
            scope: &everything,
        };
        let account_cursor = of_account.encode(&EventPosition::Event(event_id.clone()));
        assert_eq!(
            of_account.decode(&account_cursor),
            Ok(EventPosition::Event(event_id))
        );
        let other = account("other");
        let another_source =
            EventScope::Source(SourceId::parse("69a99ae507f19000072d0126").unwrap());
        for (scope, raw) in [
            (&of_account, &cursor),
            (&of_source, &account_cursor),
            (
                &EventCursorScope {
                    account: &other,
                    scope: &source,
                },
                &cursor,
            ),
            (
                &EventCursorScope {
                    account: &acme,
                    scope: &another_source,
                },
                &cursor,
            ),
        ] {
            assert_eq!(scope.decode(raw), Err(ParameterError::Cursor));
        }
        // A source listing's cursor is not an event listing's, nor the reverse.
        let sources = ListFilter::default();
        let source_scope = CursorScope {
            account: &acme,
            sort: SortOrder::CreatedAt,
            filter: &sources,
        };
        assert_eq!(source_scope.decode(&cursor), Err(ParameterError::Cursor));
        let source_cursor = source_scope.encode(&Position::Id(id()));
        assert_eq!(
            of_source.decode(&source_cursor),
            Err(ParameterError::Cursor)
        );
    }

    fn account(name: &str) -> AccountId {
        AccountId::parse(name).unwrap()
    }

    fn id() -> SourceId {
        SourceId::parse("69a99ae507f19000072d0125").unwrap()
    }

    fn name_position() -> Position {
        Position::Name {
            name_key: "shop-images".into(),
            id: id(),
        }
    }

    #[test]
    fn a_cursor_decodes_to_its_position_in_its_own_scope() {
        let acme = account("acme");
        let filter = ListFilter::default();
        for (sort, position) in [
            (SortOrder::CreatedAt, Position::Id(id())),
            (SortOrder::CreatedAtDescending, Position::Id(id())),
            (SortOrder::Name, name_position()),
            (SortOrder::NameDescending, name_position()),
        ] {
            let scope = CursorScope {
                account: &acme,
                sort,
                filter: &filter,
            };
            let cursor = scope.encode(&position);
            assert!(cursor.len() < 120, "{cursor}");
            assert!(
                cursor
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{cursor}"
            );
            assert_eq!(scope.decode(&cursor), Ok(position));
        }
    }

    #[test]
    fn a_cursor_of_another_account_sort_or_filter_is_invalid() {
        let acme = account("acme");
        let filter = ListFilter::default();
        let by_type = ListFilter {
            source_types: vec![SourceType::S3],
            ..ListFilter::default()
        };
        let disabled = ListFilter {
            enabled: Some(false),
            ..ListFilter::default()
        };
        let scope = |account, sort, filter| CursorScope {
            account,
            sort,
            filter,
        };
        let cursor = scope(&acme, SortOrder::CreatedAt, &filter).encode(&Position::Id(id()));
        let other = account("other");
        for wrong in [
            scope(&other, SortOrder::CreatedAt, &filter),
            scope(&acme, SortOrder::CreatedAtDescending, &filter),
            scope(&acme, SortOrder::Name, &filter),
            scope(&acme, SortOrder::CreatedAt, &by_type),
            scope(&acme, SortOrder::CreatedAt, &disabled),
        ] {
            assert_eq!(wrong.decode(&cursor), Err(ParameterError::Cursor));
        }
    }

    #[test]
    fn every_altered_or_truncated_cursor_is_invalid() {
        let acme = account("acme");
        let filter = ListFilter::default();
        let scope = CursorScope {
            account: &acme,
            sort: SortOrder::Name,
            filter: &filter,
        };
        let cursor = scope.encode(&name_position());
        for end in 0..cursor.len() {
            assert_eq!(scope.decode(&cursor[..end]), Err(ParameterError::Cursor));
        }
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for at in 0..cursor.len() {
            for replacement in alphabet.iter().chain(b"=+/.~ %") {
                let mut altered = cursor.clone().into_bytes();
                if altered[at] == *replacement {
                    continue;
                }
                altered[at] = *replacement;
                let altered = String::from_utf8(altered).unwrap();
                assert_eq!(
                    scope.decode(&altered),
                    Err(ParameterError::Cursor),
                    "{altered}"
                );
            }
        }
        assert_eq!(
            scope.decode(&format!("{cursor}=")),
            Err(ParameterError::Cursor)
        );
        assert_eq!(
            scope.decode(&format!("{cursor}A")),
            Err(ParameterError::Cursor)
        );
    }

    #[test]
    fn a_well_tagged_payload_must_still_hold_a_valid_position() {
        let acme = account("acme");
        let filter = ListFilter::default();
        let scope = CursorScope {
            account: &acme,
            sort: SortOrder::Name,
            filter: &filter,
        };
        // Someone who knows the scheme can tag any payload: it must still be one we could write.
        let forge = |payload: Vec<u8>| {
            let mut bytes = payload.clone();
            bytes.extend_from_slice(&scope.tag(&payload));
            URL_SAFE_NO_PAD.encode(bytes)
        };
        let id_bytes = hex::decode(id().as_str()).unwrap();
        let with_name = |name: &[u8], len: u8| {
            let mut payload = vec![VERSION];
            payload.extend(&id_bytes);
            payload.push(len);
            payload.extend_from_slice(name);
            payload
        };
        for payload in [
            vec![],
            vec![2],
            with_name(b"Shop", 4),
            with_name(b"shop", 5),
            with_name(b"-shop", 5),
            with_name(b"sh\xffp", 4),
            with_name(b"", 0),
        ] {
            assert_eq!(scope.decode(&forge(payload)), Err(ParameterError::Cursor));
        }
        assert_eq!(
            scope.decode(&forge(with_name(b"shop", 4))),
            Ok(Position::Name {
                name_key: "shop".into(),
                id: id()
            })
        );
    }
}
