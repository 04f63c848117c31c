//! Who is calling (docs/SPEC.md §2, §16): the API key's header, the caller it resolves to, and the
//! authorizer context that carries the caller to every function. The authorizer writes the
//! context with [`Caller::context`] and every function reads it back with
//! [`Caller::from_context`]; the local gateway does both.

use thiserror::Error;

use crate::domain::{AccountId, ApiKey, KeyScope, Timestamp};
use crate::store::{Store, StoreError};

pub const API_KEY_HEADER: &str = "imageboss-api-key";

/// The key of an `Authorization: Bearer <key>` field (the imgix dialect's, docs/SPEC.md §24): the
/// scheme in any letter case, one space or more; `None` for another scheme or none.
pub fn bearer_key(authorization: Option<&str>) -> Option<&str> {
    let (scheme, key) = authorization?.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| key.trim_start_matches(' '))
}
/// The authorizer context key the endpoint functions read the account from.
pub const ACCOUNT_CONTEXT_KEY: &str = "accountId";
/// The key's id (the first 16 hex characters of its SHA-256), for the audit trail (docs/SPEC.md §17).
pub const KEY_ID_CONTEXT_KEY: &str = "apiKeyId";
/// The key's label, for the audit trail.
pub const KEY_LABEL_CONTEXT_KEY: &str = "apiKeyLabel";
/// The key's scope (`read` or `write`), for `GET /v1/api_key` (docs/SPEC.md §19).
pub const KEY_SCOPE_CONTEXT_KEY: &str = "apiKeyScope";
/// When the key stops working (RFC 3339), for `GET /v1/api_key`; absent for a key that never
/// expires (API Gateway's context values are strings, numbers or booleans: no null).
pub const KEY_EXPIRES_AT_CONTEXT_KEY: &str = "apiKeyExpiresAt";

#[derive(Debug, Error)]
pub enum AuthorizerError {
    /// API Gateway turns exactly this message into a 401.
    #[error("Unauthorized")]
    Unauthorized,
    #[error("the API key could not be checked")]
    Store(#[from] StoreError),
}

/// Who is calling: the key's account, what it may do, and how the audit trail names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub account: AccountId,
    pub scope: KeyScope,
    pub key_id: String,
    pub key_label: String,
    /// When the key stops working; `None` for never.
    pub expires_at: Option<Timestamp>,
}

impl Caller {
    /// What the authorizer hands every function about the caller (API Gateway's authorizer
    /// context): written here, read back by [`Caller::from_context`], and nowhere else.
    pub fn context(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut context = serde_json::Map::new();
        context.insert(ACCOUNT_CONTEXT_KEY.into(), self.account.as_str().into());
        context.insert(KEY_ID_CONTEXT_KEY.into(), self.key_id.as_str().into());
        context.insert(KEY_LABEL_CONTEXT_KEY.into(), self.key_label.as_str().into());
        context.insert(KEY_SCOPE_CONTEXT_KEY.into(), self.scope.as_str().into());
        if let Some(expires_at) = self.expires_at {
            context.insert(
                KEY_EXPIRES_AT_CONTEXT_KEY.into(),
                expires_at.to_string().into(),
            );
        }
        context
    }

    /// The caller a context made by [`Caller::context`] describes; `None` when any part is
    /// missing or malformed (an event made by hand, or an authorizer answer cached before the
    /// context carried scope and expiry).
    pub fn from_context(
        context: &std::collections::HashMap<String, serde_json::Value>,
    ) -> Option<Caller> {
        let text = |key: &str| context.get(key).and_then(serde_json::Value::as_str);
        let expires_at = match text(KEY_EXPIRES_AT_CONTEXT_KEY) {
            None => None,
            Some(raw) => Some(Timestamp::parse(raw)?),
        };
        Some(Caller {
            account: AccountId::parse(text(ACCOUNT_CONTEXT_KEY)?).ok()?,
            scope: KeyScope::parse(text(KEY_SCOPE_CONTEXT_KEY)?)?,
            key_id: text(KEY_ID_CONTEXT_KEY)?.to_owned(),
            key_label: text(KEY_LABEL_CONTEXT_KEY)?.to_owned(),
            expires_at,
        })
    }
}

/// The caller behind `raw_key`; missing, unknown, revoked and expired keys are all `Unauthorized`.
/// The first use of a key on a day (UTC) is noted on it (`last_used_on`, docs/SPEC.md §26): the
/// record read says which day it names, so the other calls of that day write nothing. A failed
/// note is logged and the request goes on: it is a convenience, not the key's validity.
pub async fn caller_for_key(
    store: &Store,
    raw_key: Option<&str>,
) -> Result<Caller, AuthorizerError> {
    let key = raw_key
        .and_then(ApiKey::from_header)
        .ok_or(AuthorizerError::Unauthorized)?;
    let now = Timestamp::now();
    match store.find_api_key(&key.hash()).await? {
        Some(record) if record.works_at(now) => {
            let today = now.date();
            if record.last_used_on.as_deref() != Some(today.as_str())
                && let Err(err) = store.record_key_use(&record, &today).await
            {
                tracing::warn!(api_key_id = %record.hash.key_id(), error = %err, "the key's last use could not be noted");
            }
            Ok(Caller {
                key_id: record.hash.key_id().to_owned(),
                account: record.account_id,
                scope: record.scope,
                key_label: record.label,
                expires_at: record.valid_until,
            })
        }
        _ => Err(AuthorizerError::Unauthorized),
    }
}
