use std::error::Error as StdError;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use thiserror::Error;

type BoxError = Box<dyn StdError + Send + Sync>;

/// What can go wrong in the store, in the terms the API answers in.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("no such item in this account")]
    NotFound,
    #[error("the source name is claimed by another source")]
    NameTaken,
    /// A custom domain or subdomain of the write is another source's (docs/SPEC.md §23, §25).
    #[error("a host name is claimed by another source")]
    ServedNameTaken(crate::domain::delivery::ServedName),
    /// The account already has as many working keys as it may (docs/SPEC.md §26).
    #[error("the account has as many API keys as it may")]
    TooManyKeys,
    /// The revocation would take the account's last working admin key (docs/SPEC.md §26).
    #[error("the key is the account's last working admin key")]
    LastAdminKey,
    /// The caller pinned a version (If-Match) and the stored one differs.
    #[error("the stored version is not the expected one")]
    VersionMismatch,
    #[error("the item kept changing under concurrent writes")]
    Contention,
    /// DynamoDB could not be reached, timed out, or kept throttling after the SDK's retries.
    #[error("DynamoDB is unavailable")]
    Unavailable(#[source] BoxError),
    #[error("unexpected DynamoDB error")]
    Unexpected(#[source] BoxError),
    /// The table predates an index the code needs; DynamoDB cannot add one to it.
    #[error(
        "table {table} has no local secondary index {index}: it was created before that index \
         existed, and DynamoDB adds such an index only when it creates a table. Use a new table \
         (another --table, or remove the local data directory) and copy the items over"
    )]
    MissingIndex { table: String, index: &'static str },
}

/// Error codes that mean "try again later" rather than "this request is wrong".
const UNAVAILABLE_CODES: [&str; 7] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
    "TransactionInProgressException",
];

impl StoreError {
    /// A conditional write's answer: `Ok(None)` when its condition failed (someone else wrote
    /// first), the output when it was written, the store's error otherwise.
    pub(crate) fn unless_condition_failed<T, E, R>(
        result: Result<T, SdkError<E, R>>,
    ) -> Result<Option<T>, Self>
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match result {
            Ok(output) => Ok(Some(output)),
            Err(SdkError::ServiceError(service))
                if service.err().code() == Some("ConditionalCheckFailedException") =>
            {
                Ok(None)
            }
            Err(err) => Err(Self::from_sdk(err)),
        }
    }

    pub(crate) fn from_sdk<E, R>(err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let unavailable = match &err {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(service) => service
                .err()
                .code()
                .is_some_and(|code| UNAVAILABLE_CODES.contains(&code)),
            _ => false,
        };
        if unavailable {
            Self::Unavailable(Box::new(err))
        } else {
            Self::Unexpected(Box::new(err))
        }
    }

    pub(crate) fn unexpected(message: impl Into<String>) -> Self {
        Self::Unexpected(message.into().into())
    }
}

impl From<serde_dynamo::Error> for StoreError {
    fn from(err: serde_dynamo::Error) -> Self {
        Self::Unexpected(Box::new(err))
    }
}

impl From<aws_sdk_dynamodb::error::BuildError> for StoreError {
    fn from(err: aws_sdk_dynamodb::error::BuildError) -> Self {
        Self::Unexpected(Box::new(err))
    }
}
