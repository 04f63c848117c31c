//! Domain types that cannot hold invalid values, and the rules that build them from client input.

mod account;
pub mod address_policy;
pub mod api_key;
mod azure_service;
pub(crate) mod credentials;
mod cursor;
pub mod delivery;
pub mod event;
pub mod fields;
pub mod health;
pub mod idempotency;
pub mod imgix;
mod input;
pub mod key_request;
mod limits;
pub mod list_query;
pub mod object_path;
mod public_url;
pub mod rotation;
pub mod signing;
mod source;
mod source_id;
mod source_name;
mod source_type;
mod timestamp;
pub mod urls;
mod validation;
mod version_match;

pub use account::AccountId;
pub use api_key::{ApiKey, ApiKeyHash, KEY_ID_CHARS, KeyLabel, KeyScope};
pub use azure_service::AzureService;
pub use credentials::{
    CredentialKey, CredentialRole, CredentialValue, Credentials, FORMAT_VERSION, MAX_VALUE_CHARS,
    SECRET_PLACEHOLDER, SealedSecret, Wrap, credential_keys, is_provider_region,
};
pub use cursor::{CursorScope, Cursors, EventCursorScope, Position};
pub use event::{Action, Actor, Change, Event, EventId, EventPosition, EventScope};
pub use idempotency::{Fingerprint, IdempotencyKey};
pub use input::{READ_ONLY_ATTRIBUTES, SourceInput};
pub use list_query::{
    EventQuery, ListFilter, ListQuery, NamePrefix, PageLimit, ParameterError, SortOrder,
};
pub use object_path::ObjectPath;
pub use public_url::PublicUrl;
pub use rotation::GracePeriod;
pub use source::{PreviousToken, PublicSource, SecretToken, Source, SourceFields, SourceView};
pub use source_id::SourceId;
pub use source_name::{MAX_NAME_CHARS, SourceName};
pub use source_type::SourceType;
pub use timestamp::Timestamp;
pub use urls::CdnSettings;
pub use validation::{Invalid, UrlProblem, ValidationErrors, ValueProblem};
pub use version_match::VersionMatch;

/// Fills `buf` from the operating system's CSPRNG. Failure here means the OS cannot give randomness,
/// which no request can cause or fix, so it is fatal.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system's random number generator failed");
    buf
}
