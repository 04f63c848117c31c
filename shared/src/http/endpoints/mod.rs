//! One module per endpoint, each with a [`Handler`] named `handle`: what a Lambda function runs,
//! and what the local gateway runs for the same route.

pub mod create_source;
pub mod delete_source;
pub mod get_api_key;
pub mod get_source;
pub mod list_events;
pub mod list_sources;
pub mod rotate_secret_token;
pub mod update_source;
mod verification;
pub mod verify_source;

use super::{ApiError, Context, Handler};
use crate::domain::{
    Credentials, Invalid, Source, SourceFields, SourceId, SourceName, ValidationErrors,
};
use crate::routes::Endpoint;
use crate::sealing::{SealError, SealedValues, open_credentials, seal_credentials};

/// The handler of `endpoint`: for [`super::dispatch`], which the local gateway and the tests use.
/// A Lambda function names its handler itself and never comes here.
pub fn handler(endpoint: Endpoint) -> Handler {
    match endpoint {
        Endpoint::ListSources => list_sources::handle,
        Endpoint::GetSource => get_source::handle,
        Endpoint::CreateSource => create_source::handle,
        Endpoint::UpdateSource => update_source::handle,
        Endpoint::DeleteSource => delete_source::handle,
        Endpoint::RotateSecretToken => rotate_secret_token::handle,
        Endpoint::ListSourceEvents | Endpoint::ListEvents => list_events::handle,
        Endpoint::VerifySource => verify_source::handle,
        Endpoint::GetApiKey => get_api_key::handle,
    }
}

/// A request with other mistakes may also ask for a taken name: say so in the same answer, as the
/// reference API does. Costs one read, on the error path only.
async fn with_name_check(
    cx: &Context<'_>,
    mut errors: ValidationErrors,
    requested_name: Option<SourceName>,
    source: Option<&SourceId>,
) -> ApiError {
    if let Some(name) = requested_name {
        match cx.state.store.name_taken(&name, source).await {
            Ok(true) => errors.0.push(Invalid::NameTaken),
            Ok(false) => {}
            Err(err) => return err.into(),
        }
    }
    ApiError::Validation(errors)
}

/// Seals the storage secrets of `credentials` (of source `id`) still in clear: one KMS request,
/// none when there is none (docs/SPEC.md §21).
async fn sealing(
    cx: &Context<'_>,
    id: &SourceId,
    credentials: &Credentials,
) -> Result<SealedValues, SealError> {
    seal_credentials(cx.state.keys(), &cx.account, id, credentials).await
}

/// `source` with every secret in clear replaced by its envelope from `values`; `None` when one
/// has none there.
fn sealed_source(mut source: Source, values: &SealedValues) -> Option<Source> {
    source.fields.credentials = values.apply(&source.fields.credentials)?;
    Some(source)
}

/// `fields` of source `id` with their sealed secrets opened, for a check that must send them to
/// the storage (docs/SPEC.md §14, §21).
async fn opened(
    cx: &Context<'_>,
    id: &SourceId,
    fields: &SourceFields,
) -> Result<SourceFields, SealError> {
    let credentials =
        open_credentials(cx.state.keys(), &cx.account, id, &fields.credentials).await?;
    Ok(SourceFields {
        credentials,
        ..fields.clone()
    })
}
