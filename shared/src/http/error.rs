//! The API's errors and their one mapping to HTTP statuses and messages (docs/SPEC.md §8);
//! `response::error` builds their responses.

use lambda_http::http::{Method, StatusCode};
use thiserror::Error;

use crate::domain::delivery::ServedName;
use crate::domain::{Invalid, ParameterError, ValidationErrors};
use crate::sealing::SealError;
use crate::store::{MAX_VERIFICATIONS_PER_MINUTE, StoreError};

/// The body of a 401, the same whatever was wrong with the key.
pub const UNAUTHORIZED_MESSAGE: &str = "Invalid or missing API key";
/// The body of a 403: a valid key whose scope does not allow the method (docs/SPEC.md §16). API
/// Gateway's `ACCESS_DENIED` response in template.yaml says the same.
pub const FORBIDDEN_MESSAGE: &str = "This API key is not allowed to do this";
/// Seconds a client should wait before retrying a 503.
pub const RETRY_AFTER_SECONDS: u32 = 1;
/// Bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// A listing's query parameter with a bad value, or a cursor that is not one of ours.
    #[error("{0}")]
    InvalidParameter(ParameterError),
    #[error("{UNAUTHORIZED_MESSAGE}")]
    Unauthorized,
    #[error("{FORBIDDEN_MESSAGE}")]
    Forbidden,
    #[error("Source not found")]
    SourceNotFound,
    /// No working key of the account has this id (docs/SPEC.md §26).
    #[error("API key not found")]
    KeyNotFound,
    /// Revoking it would lock the account out (docs/SPEC.md §26).
    #[error(
        "This is the account's last working admin key: create another admin key before revoking it"
    )]
    LastAdminKey,
    #[error("Route not found")]
    RouteNotFound,
    #[error("Method not allowed")]
    MethodNotAllowed(Vec<Method>),
    #[error("Source has changed since it was read (ETag does not match)")]
    PreconditionFailed,
    #[error("Request body is too large (maximum is {MAX_BODY_BYTES} bytes)")]
    PayloadTooLarge,
    /// The local gateway's limit on a request head, API Gateway's 10,240 bytes.
    #[error("Request header fields are too large (maximum is 10240 bytes)")]
    HeadersTooLarge,
    /// The client did not send the whole request in time (the local gateway's limit).
    #[error("Request timed out: it did not arrive in time")]
    RequestTimeout,
    #[error("validation failed")]
    Validation(ValidationErrors),
    /// The account's verifications of this minute are used up (docs/SPEC.md §14).
    #[error(
        "Too many verifications: at most {MAX_VERIFICATIONS_PER_MINUTE} a minute per account, retry later"
    )]
    TooManyVerifications { retry_after_seconds: u32 },
    /// DynamoDB unavailable, throttling after retries, or too much contention on one source.
    #[error("Service temporarily unavailable, retry later")]
    Unavailable(#[source] Option<Cause>),
    #[error("Internal server error")]
    Internal(#[source] Option<Cause>),
    /// What API Gateway answers when a function's response is over Lambda's payload limit (the
    /// local gateway enforces it too): its DEFAULT_5XX body, status 502.
    #[error("Internal server error")]
    ResponseTooLarge,
    /// A JSON:API document for another resource type, or another id than the path's (the imgix
    /// dialect, docs/SPEC.md §24).
    #[error("{0}")]
    Conflict(String),
    /// A request body in a media type the imgix dialect does not read.
    #[error(
        "Content-Type must be application/vnd.api+json (without media type parameters other than ext and profile) or application/json"
    )]
    UnsupportedMediaType,
    /// A create that names its own id: JSON:API's 403 for a server that makes ids.
    #[error("Client-generated ids are not supported: leave data.id out")]
    ClientGeneratedId,
    /// What the imgix dialect's mapping refused, each at its field.
    #[error("validation failed")]
    ImgixInvalid(Vec<crate::domain::imgix::Problem>),
    /// An imgix list parameter with a bad value.
    #[error("{detail}")]
    ImgixParameter { parameter: String, detail: String },
}

/// What a server-side failure came from: logged, never shown.
#[derive(Debug, Error)]
pub enum Cause {
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Sealing(SealError),
}

/// Sealed secrets that cannot be sealed or opened are the server's failure: the key service
/// unavailable is 503, anything else (a ciphertext that does not open for this source, a missing
/// key) is 500 with the reason logged (docs/SPEC.md §21).
impl From<SealError> for ApiError {
    fn from(err: SealError) -> Self {
        match err {
            SealError::Unavailable(_) => ApiError::Unavailable(Some(Cause::Sealing(err))),
            _ => ApiError::Internal(Some(Cause::Sealing(err))),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::SourceNotFound,
            StoreError::NameTaken => {
                ApiError::Validation(ValidationErrors(vec![Invalid::NameTaken]))
            }
            StoreError::ServedNameTaken(name) => {
                ApiError::Validation(ValidationErrors(vec![match name {
                    ServedName::Domain(domain) => Invalid::CustomDomainTaken(domain.to_string()),
                    ServedName::Subdomain(label) => Invalid::SubdomainTaken(label.to_string()),
                }]))
            }
            StoreError::TooManyKeys => {
                ApiError::Validation(ValidationErrors(vec![Invalid::TooManyKeys]))
            }
            StoreError::LastAdminKey => ApiError::LastAdminKey,
            StoreError::VersionMismatch => ApiError::PreconditionFailed,
            StoreError::Contention | StoreError::Unavailable(_) => {
                ApiError::Unavailable(Some(Cause::Store(err)))
            }
            StoreError::Unexpected(_) | StoreError::MissingIndex { .. } => {
                ApiError::Internal(Some(Cause::Store(err)))
            }
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_)
            | ApiError::InvalidParameter(_)
            | ApiError::ImgixInvalid(_)
            | ApiError::ImgixParameter { .. } => StatusCode::BAD_REQUEST,
            ApiError::ClientGeneratedId => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::SourceNotFound | ApiError::KeyNotFound | ApiError::RouteNotFound => {
                StatusCode::NOT_FOUND
            }
            ApiError::LastAdminKey => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyVerifications { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::ResponseTooLarge => StatusCode::BAD_GATEWAY,
        }
    }

    /// The messages a client sees: never internal detail.
    pub fn messages(&self) -> Vec<String> {
        match self {
            ApiError::Validation(errors) => errors.messages(),
            ApiError::ImgixInvalid(problems) => problems.iter().map(|p| p.detail.clone()).collect(),
            other => vec![other.to_string()],
        }
    }
}
