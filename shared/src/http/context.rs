//! What every endpoint is given besides its request: the clients, the caller's account and who
//! the caller is, built once per request by [`super::respond`].

use std::sync::OnceLock;

use super::Dialect;
use crate::AppState;
use crate::domain::{
    AccountId, Action, Actor, KeyScope, SourceId, SourceType, SourceView, VersionMatch,
};
use crate::routes::Endpoint;
use crate::store::SourceWrite;

/// One request's context.
pub struct Context<'a> {
    pub state: &'a AppState,
    /// The route the request came for (a function may serve several: the event listings).
    pub endpoint: Endpoint,
    /// The account the authorizer resolved the API key to: nothing else in a request names one.
    pub account: AccountId,
    /// Who sends the request, for the audit trail (docs/SPEC.md §17); it holds the request id.
    pub actor: Actor,
    /// The calling key's scope as the authorizer said it; `read` when it did not say (an answer
    /// cached before scopes existed), so that nothing is shown that a read key may not see.
    pub scope: KeyScope,
    /// The wire format the request is answered in (docs/SPEC.md §24).
    pub dialect: Dialect,
    /// The type of the source the request writes, once the endpoint knows it: the imgix dialect
    /// names a storage field by its type (`s3_bucket`, `gcs_bucket`) in an error.
    pub subject_type: OnceLock<SourceType>,
}

impl Context<'_> {
    /// What a source response shows the caller (docs/SPEC.md §25, §26): where the CDN serves it,
    /// and its signing tokens unless the key is a `read` key.
    pub fn view(&self) -> SourceView<'_> {
        SourceView {
            cdn: &self.state.cdn,
            tokens: self.scope.sees_signing_tokens(),
        }
    }

    /// Notes the type of the source the request writes (the first noted stays).
    pub fn note_type(&self, source_type: SourceType) {
        let _ = self.subject_type.set(source_type);
    }

    /// The id every response and log line of this request carries.
    pub fn request_id(&self) -> &str {
        &self.actor.request_id
    }

    /// A write by this caller to one of its account's sources, recorded as `action`.
    pub fn write<'w>(
        &'w self,
        id: &'w SourceId,
        expected: &'w VersionMatch,
        action: Action,
    ) -> SourceWrite<'w> {
        SourceWrite {
            account: &self.account,
            id,
            expected,
            action,
            actor: &self.actor,
        }
    }
}
