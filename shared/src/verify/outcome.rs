//! What a verification reports (docs/SPEC.md §14): a status, the checks it ran in order, and for a
//! failure an error with a code and a message. Messages are written here, from typed causes, so
//! none can carry a secret, a signature, a SAS token or a URL (which holds the SAS token).

use std::fmt;

use serde::Serialize;

use crate::domain::Timestamp;
use crate::domain::health::{Health, HealthError, HealthStatus};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Failed,
    /// The checks that ran passed or could not tell: listing refused but reads allowed, so a
    /// missing bucket cannot be told from a refusal.
    Inconclusive,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Ok, Status::Failed, Status::Inconclusive];

    /// The wire spelling, which log lines use too (never Rust's `Debug`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Inconclusive => "inconclusive",
        }
    }
}

impl CheckName {
    pub const ALL: [CheckName; 6] = [
        CheckName::Connect,
        CheckName::Authenticate,
        CheckName::List,
        CheckName::Read,
        CheckName::Fetch,
        CheckName::Object,
    ];
}

impl CheckResult {
    pub const ALL: [CheckResult; 2] = [CheckResult::Ok, CheckResult::Failed];
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::AccessDenied,
        ErrorCode::BucketNotFound,
        ErrorCode::Unreachable,
        ErrorCode::Timeout,
        ErrorCode::TlsError,
        ErrorCode::RefusedAddress,
        ErrorCode::HttpError,
        ErrorCode::Unsupported,
    ];

    /// The wire spelling, which log lines use too (never Rust's `Debug`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::BucketNotFound => "bucket_not_found",
            ErrorCode::Unreachable => "unreachable",
            ErrorCode::Timeout => "timeout",
            ErrorCode::TlsError => "tls_error",
            ErrorCode::RefusedAddress => "refused_address",
            ErrorCode::HttpError => "http_error",
            ErrorCode::Unsupported => "unsupported",
        }
    }
}

/// One step of a verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// Resolve the host, refuse what is not public, open TCP (and TLS for `https://`).
    Connect,
    /// The storage accepted the credentials' signature or SAS token.
    Authenticate,
    /// A listing of one key (S3-compatible) or one blob or file (Azure) under the prefix.
    List,
    /// A `HEAD` of a random key, when the listing was refused.
    Read,
    /// The web folder's ranged `GET`.
    Fetch,
    /// The object a client named, fetched as the CDN would (docs/SPEC.md §25).
    Object,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    Ok,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: CheckName,
    pub result: CheckResult,
    /// What the object check found (docs/SPEC.md §25); nothing on the other checks.
    #[serde(flatten)]
    pub object: Option<ObjectFound>,
}

/// The object check's findings: the storage's status, and the object's content type and length
/// when it answered with the object, or the answer in words. Never a byte of the object, and
/// never a header value that is not a plain media type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ObjectFound {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_length: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    AccessDenied,
    BucketNotFound,
    Unreachable,
    Timeout,
    TlsError,
    RefusedAddress,
    HttpError,
    Unsupported,
}

/// Why a check failed, as data: the message is [`Problem`]'s `Display`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// 403 to the credentials themselves (an unknown key, a bad signature or SAS token).
    CredentialsRefused {
        status: u16,
    },
    /// The listing was refused and so was the read: the credentials may not read this bucket.
    AccessRefused {
        status: u16,
    },
    /// Listing refused, reading allowed: whether the bucket exists cannot be told.
    ListingRefused {
        status: u16,
    },
    BucketNotFound {
        status: u16,
        what: &'static str,
    },
    /// S3's answer for a bucket in another region, with the region it names when it does.
    WrongRegion {
        status: u16,
        region: Option<String>,
    },
    HttpStatus {
        status: u16,
    },
    TooManyRedirects,
    /// A redirect to something that is not an `http(s)://` URL with a host.
    BadRedirect,
    /// The host resolves, or is, an address that is not public.
    RefusedAddress,
    /// A name the CDN never fetches from (`localhost`, a single label, `*.internal`, ...).
    RefusedHostName,
    NameNotResolved,
    ConnectFailed,
    Tls(TlsProblem),
    /// The connection broke or the answer was not HTTP.
    ProtocolError,
    Timeout {
        seconds: u64,
    },
    /// A type the check cannot reach from what is stored (an R2 source without `account_id`).
    Unsupported(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsProblem {
    /// The certificate does not chain to a trusted root, has expired, or names another host.
    Certificate,
    Handshake,
}

impl Problem {
    /// Whether it stopped the connection itself (name, address, TCP, TLS), rather than the
    /// exchange over an open one.
    pub fn before_connected(&self) -> bool {
        matches!(
            self,
            Problem::RefusedAddress
                | Problem::RefusedHostName
                | Problem::NameNotResolved
                | Problem::ConnectFailed
                | Problem::Tls(_)
                | Problem::BadRedirect
        )
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Problem::CredentialsRefused { .. }
            | Problem::AccessRefused { .. }
            | Problem::ListingRefused { .. } => ErrorCode::AccessDenied,
            Problem::BucketNotFound { .. } => ErrorCode::BucketNotFound,
            Problem::WrongRegion { .. }
            | Problem::HttpStatus { .. }
            | Problem::TooManyRedirects
            | Problem::BadRedirect => ErrorCode::HttpError,
            Problem::RefusedAddress | Problem::RefusedHostName => ErrorCode::RefusedAddress,
            Problem::NameNotResolved | Problem::ConnectFailed | Problem::ProtocolError => {
                ErrorCode::Unreachable
            }
            Problem::Tls(_) => ErrorCode::TlsError,
            Problem::Timeout { .. } => ErrorCode::Timeout,
            Problem::Unsupported(_) => ErrorCode::Unsupported,
        }
    }
}

/// The start of the message of refused credentials. Only the verify check's messages hold it, so
/// its presence in a function's binary tells that the binary links the check (the benchmark and
/// the bench's harness look for it).
pub const CREDENTIALS_REFUSED: &str = "The storage refused the credentials";

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::CredentialsRefused { status } => {
                write!(f, "{CREDENTIALS_REFUSED} (HTTP {status})")
            }
            Problem::AccessRefused { status } => write!(
                f,
                "The storage refused both listing and reading with these credentials (HTTP {status})"
            ),
            Problem::ListingRefused { status } => write!(
                f,
                "The storage refused the listing (HTTP {status}) but allowed a read, so whether \
                 the bucket exists cannot be told"
            ),
            Problem::BucketNotFound { status, what } => {
                write!(f, "The {what} does not exist (HTTP {status})")
            }
            Problem::WrongRegion {
                status,
                region: Some(region),
            } => write!(f, "The bucket is in region {region} (HTTP {status})"),
            Problem::WrongRegion {
                status,
                region: None,
            } => write!(f, "The bucket is in another region (HTTP {status})"),
            Problem::HttpStatus { status } => write!(f, "The storage answered HTTP {status}"),
            Problem::TooManyRedirects => f.write_str("More than 3 redirects"),
            Problem::BadRedirect => {
                f.write_str("A redirect led to something that is not an http(s) URL")
            }
            Problem::RefusedAddress => f.write_str(
                "The host is, or resolves to, an address that is not public (loopback, private, \
                 link-local, unspecified, CGNAT, multicast or reserved)",
            ),
            Problem::RefusedHostName => {
                f.write_str("The host name can only exist inside a private network")
            }
            Problem::NameNotResolved => f.write_str("The host name could not be resolved"),
            Problem::ConnectFailed => f.write_str("Could not connect to the storage"),
            Problem::Tls(TlsProblem::Certificate) => {
                f.write_str("The storage's TLS certificate is not trusted for its host")
            }
            Problem::Tls(TlsProblem::Handshake) => f.write_str("The TLS handshake failed"),
            Problem::ProtocolError => f.write_str("The storage did not answer over HTTP"),
            Problem::Timeout { seconds } => {
                write!(f, "The storage did not answer within {seconds} s")
            }
            Problem::Unsupported(why) => f.write_str(why),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerificationError {
    pub code: ErrorCode,
    pub message: String,
}

/// The `verification` object of docs/SPEC.md §14.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub status: Status,
    /// RFC 3339 to the second, as every time the API shows.
    pub checked_at: String,
    pub latency_ms: u64,
    pub checks: Vec<Check>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<VerificationError>,
}

impl Verification {
    /// The message of its error, for `?verify=true`'s 422.
    pub fn message(&self) -> Option<&str> {
        self.error.as_ref().map(|e| e.message.as_str())
    }

    /// The health it shows (docs/SPEC.md §22): its status and its error's code and message
    /// (written from typed causes, so none holds a secret), as of `checked_at`.
    pub fn health(&self, checked_at: Timestamp) -> Health {
        Health {
            status: match self.status {
                Status::Ok => HealthStatus::Ok,
                Status::Failed => HealthStatus::Failed,
                Status::Inconclusive => HealthStatus::Inconclusive,
            },
            checked_at: Some(checked_at),
            error: self.error.as_ref().map(|e| HealthError {
                code: e.code.as_str().to_owned(),
                message: e.message.clone(),
            }),
        }
    }
}

/// What a run of checks ends in, before it is timed and dated.
#[derive(Debug)]
pub(crate) enum Ending {
    Ok,
    Failed(Problem),
    Inconclusive(Problem),
}

/// The checks of one run, in order.
#[derive(Debug, Default)]
pub(crate) struct Checks(pub Vec<Check>);

impl Checks {
    pub fn ok(&mut self, check: CheckName) {
        self.0.push(Check {
            check,
            result: CheckResult::Ok,
            object: None,
        });
    }

    pub fn failed(&mut self, check: CheckName) {
        self.0.push(Check {
            check,
            result: CheckResult::Failed,
            object: None,
        });
    }

    /// The object check, ok or failed, with what it found.
    pub fn object(&mut self, result: CheckResult, found: ObjectFound) {
        self.0.push(Check {
            check: CheckName::Object,
            result,
            object: Some(found),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spellings_logs_use_are_the_wire_spellings() {
        for status in Status::ALL {
            assert_eq!(serde_json::json!(status), status.as_str());
        }
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::json!(code), code.as_str());
        }
    }
}
