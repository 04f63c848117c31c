//! What the endpoints that write or check a source share: the name check on a 422's path, sealing
//! what a client sent, and opening what is stored for a check (docs/SPEC.md §21).

use super::{ApiError, Context};
use crate::domain::{
    Credentials, Invalid, Source, SourceFields, SourceId, SourceName, ValidationErrors,
};
use crate::sealing::{SealError, SealedValues, open_credentials, seal_credentials};

/// A request with other mistakes may also ask for a taken name: say so in the same answer, as the
/// reference API does. Costs one read, on the error path only.
pub(crate) async fn with_name_check(
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
pub(crate) async fn sealing(
    cx: &Context<'_>,
    id: &SourceId,
    credentials: &Credentials,
) -> Result<SealedValues, SealError> {
    seal_credentials(cx.state.keys(), &cx.account, id, credentials).await
}

/// `source` with every secret in clear replaced by its envelope from `values`; `None` when one
/// has none there.
pub(crate) fn sealed_source(mut source: Source, values: &SealedValues) -> Option<Source> {
    source.fields.credentials = values.apply(&source.fields.credentials)?;
    Some(source)
}

/// `fields` of source `id` with their sealed secrets opened, for a check that must send them to
/// the storage (docs/SPEC.md §14, §21).
pub(crate) async fn opened(
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
