//! One function per endpoint: the code each Lambda function and the local gateway run.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

use super::error::{ApiError, json_response};
use super::request::{if_match, route_prefix, source_id, source_object};
use crate::AppState;
use crate::domain::{
    AccountId, Invalid, Source, SourceId, SourceInput, SourceName, ValidationErrors,
};

type Outcome = Result<Response<Body>, ApiError>;

/// `GET /v1/sources`: the account's sources, oldest first.
pub async fn list_sources(
    state: &AppState,
    account: &AccountId,
    _req: Request,
    request_id: &str,
) -> Outcome {
    let sources = state.store.list_sources(account).await?;
    let public: Vec<_> = sources.iter().map(Source::public).collect();
    Ok(json_response(StatusCode::OK, &public, request_id))
}

/// `GET /v1/sources/{id}`.
pub async fn get_source(
    state: &AppState,
    account: &AccountId,
    req: Request,
    request_id: &str,
) -> Outcome {
    let id = source_id(&req)?;
    let source = state.store.get_source(account, &id).await?;
    Ok(source_response(StatusCode::OK, &source, request_id))
}

/// `POST /v1/sources`: validates everything, then creates the source and claims its name at once.
pub async fn create_source(
    state: &AppState,
    account: &AccountId,
    req: Request,
    request_id: &str,
) -> Outcome {
    let prefix = route_prefix(&req);
    let input = SourceInput::from_json(&source_object(&req)?);
    let requested_name = input.requested_name();
    let fields = match input.into_new_fields() {
        Ok(fields) => fields,
        Err(errors) => return Err(with_name_check(state, errors, requested_name, None).await),
    };
    let source = Source::new(account.clone(), fields);
    state.store.create_source(&source).await?;
    let mut response = source_response(StatusCode::CREATED, &source, request_id);
    let location = format!("{prefix}/sources/{}", source.id);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `PATCH /v1/sources/{id}`: merges, validates the whole result, writes only if something changed.
pub async fn update_source(
    state: &AppState,
    account: &AccountId,
    req: Request,
    request_id: &str,
) -> Outcome {
    let id = source_id(&req)?;
    let expected = if_match(&req);
    let body = source_object(&req)?;
    let requested_name = SourceInput::from_json(&body).requested_name();
    let outcome = state
        .store
        .update_source(account, &id, &expected, |stored| {
            let fields = SourceInput::from_json(&body).apply_to(&stored.fields)?;
            Ok::<_, ValidationErrors>(stored.with_fields(fields))
        })
        .await?;
    match outcome.result {
        Ok(source) => Ok(source_response(StatusCode::OK, &source, request_id)),
        Err(errors) => Err(with_name_check(state, errors, requested_name, Some(&id)).await),
    }
}

/// `DELETE /v1/sources/{id}`: removes the source and frees its name; touches no stored image.
pub async fn delete_source(
    state: &AppState,
    account: &AccountId,
    req: Request,
    request_id: &str,
) -> Outcome {
    let id = source_id(&req)?;
    let expected = if_match(&req);
    state.store.delete_source(account, &id, &expected).await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({}),
        request_id,
    ))
}

fn source_response(status: StatusCode, source: &Source, request_id: &str) -> Response<Body> {
    let mut response = json_response(status, &source.public(), request_id);
    if let Ok(etag) = HeaderValue::from_str(&source.etag()) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// A request with other mistakes may also ask for a taken name: say so in the same answer, as the
/// reference API does. Costs one read, on the error path only.
async fn with_name_check(
    state: &AppState,
    mut errors: ValidationErrors,
    requested_name: Option<SourceName>,
    source: Option<&SourceId>,
) -> ApiError {
    if let Some(name) = requested_name {
        match state.store.name_taken(&name, source).await {
            Ok(true) => errors.0.push(Invalid::NameTaken),
            Ok(false) => {}
            Err(err) => return err.into(),
        }
    }
    ApiError::Validation(errors)
}
