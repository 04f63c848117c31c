//! Every 422 message of the API, as types: each is written once, here, in the docs/SPEC.md's wording
//! (docs/SPEC.md §5), and the rules that find a problem name it by variant, never by text.

use std::fmt;

use thiserror::Error;

use super::SourceType;
use super::limits::{
    MAX_CUSTOM_DOMAINS, MAX_DEFAULT_PARAMS, MAX_GRACE_PERIOD_SECONDS, MAX_KEY_LIFETIME_SECONDS,
    MAX_KEYS_PER_ACCOUNT, MAX_LABEL_CHARS, MAX_NAME_CHARS, MAX_PARAM_NAME_CHARS,
    MAX_PARAM_VALUE_CHARS, MAX_SUBDOMAINS, MAX_TTL_SECONDS, MIN_KEY_LIFETIME_SECONDS,
    SECRET_PLACEHOLDER,
};

/// One validation problem of a create or update request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    NameBlank,
    NameInvalid,
    NameTooLong,
    NameTaken,
    /// A custom domain another source serves (docs/SPEC.md §23).
    CustomDomainTaken(String),
    /// A subdomain another source serves under (docs/SPEC.md §25).
    SubdomainTaken(String),
    /// The `Idempotency-Key` of a create was used with another body (docs/SPEC.md §15).
    IdempotencyKeyReused,
    TypeBlank,
    TypeNotIncluded,
    /// `enabled` given as anything but a JSON boolean (docs/SPEC.md §12).
    EnabledNotBoolean,
    /// An unknown key inside `source` (the key as shown by [`display_key`]).
    AttributeNotSupported(String),
    CredentialsNotObject,
    /// A credential key only the server sets (`secret_token`, the previous token and its expiry).
    CredentialReadOnly(&'static str),
    /// A rotation's `grace_period` outside 0..=604,800 seconds, or not an integer.
    GracePeriodInvalid,
    CredentialNotString(String),
    RequireTokenNotBoolean,
    /// A proxy source without signed URLs (docs/SPEC.md §25).
    ProxyRequiresToken,
    /// The verify body's `path` (docs/SPEC.md §25).
    ObjectPath(PathProblem),
    /// A new API key's `label`, `scope` and `expires_in` (docs/SPEC.md §26).
    KeyLabel(LabelProblem),
    KeyScopeBlank,
    KeyScopeNotIncluded,
    KeyLifetime,
    /// The account has as many working keys as it may.
    TooManyKeys,
    CredentialRequired {
        key: &'static str,
        source_type: SourceType,
    },
    CredentialNotSupported {
        key: String,
        source_type: SourceType,
    },
    /// Azure's conditional keys: `container_name` for `blob`, `share_name` for `file-share`.
    CredentialRequiredForService {
        key: &'static str,
        service_type: &'static str,
    },
    CredentialNotSupportedForService {
        key: &'static str,
        service_type: &'static str,
    },
    /// One of two keys a type takes both or neither of (a web folder's `username`/`password`).
    CredentialRequiredWith {
        key: &'static str,
        with: &'static str,
    },
    /// `****` given for a secret where no stored secret exists to keep.
    PlaceholderIsNotASecret(&'static str),
    /// `?verify=true` and the check failed (docs/SPEC.md §14): the verification's message, which never
    /// holds a secret.
    CredentialsNotVerified(String),
    /// A value that breaks its key's rule.
    Credential {
        key: &'static str,
        problem: ValueProblem,
    },
    /// A `delivery` value that breaks its rule (docs/SPEC.md §23); `key` is its full name,
    /// `delivery.cache.ttl`.
    Delivery {
        key: String,
        problem: DeliveryProblem,
    },
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::NameBlank => f.write_str("Source can't be blank"),
            Invalid::NameInvalid => f.write_str("Source is invalid"),
            Invalid::NameTooLong => write!(
                f,
                "Source is too long (maximum is {MAX_NAME_CHARS} characters)"
            ),
            Invalid::NameTaken => f.write_str("Source has already been taken"),
            Invalid::CustomDomainTaken(domain) => {
                write!(f, "Custom domain {domain} has already been taken")
            }
            Invalid::SubdomainTaken(label) => {
                write!(f, "Subdomain {label} has already been taken")
            }
            Invalid::IdempotencyKeyReused => {
                f.write_str("Idempotency-Key has already been used with a different request")
            }
            Invalid::TypeBlank => f.write_str("Source type can't be blank"),
            Invalid::TypeNotIncluded => f.write_str("Source type is not included in the list"),
            Invalid::EnabledNotBoolean => f.write_str("Enabled must be true or false"),
            Invalid::AttributeNotSupported(key) => write!(f, "Attribute {key} is not supported"),
            Invalid::CredentialsNotObject => f.write_str("Credential attributes must be an object"),
            Invalid::CredentialReadOnly(key) => write!(f, "Credential {key} is read-only"),
            Invalid::GracePeriodInvalid => write!(
                f,
                "Grace period must be an integer from 0 to {MAX_GRACE_PERIOD_SECONDS} seconds"
            ),
            Invalid::CredentialNotString(key) => write!(f, "Credential {key} must be a string"),
            Invalid::RequireTokenNotBoolean => {
                f.write_str("Credential require_token must be true or false")
            }
            Invalid::ObjectPath(problem) => problem.fmt(f),
            Invalid::KeyLabel(problem) => problem.fmt(f),
            Invalid::KeyScopeBlank => f.write_str("Scope can't be blank"),
            Invalid::KeyScopeNotIncluded => f.write_str("Scope must be one of read, write, admin"),
            Invalid::KeyLifetime => write!(
                f,
                "Expires in must be an integer from {MIN_KEY_LIFETIME_SECONDS} to {MAX_KEY_LIFETIME_SECONDS} seconds"
            ),
            Invalid::TooManyKeys => write!(
                f,
                "An account may have at most {MAX_KEYS_PER_ACCOUNT} working API keys: revoke one first"
            ),
            Invalid::ProxyRequiresToken => f.write_str(
                "Credential require_token must be true for proxy sources: without signed URLs a \
                 proxy fetches any URL for anyone",
            ),
            Invalid::CredentialRequired { key, source_type } => {
                write!(f, "Credential {key} is required for {source_type} sources")
            }
            Invalid::CredentialNotSupported { key, source_type } => {
                write!(
                    f,
                    "Credential {key} is not supported for {source_type} sources"
                )
            }
            Invalid::CredentialRequiredForService { key, service_type } => write!(
                f,
                "Credential {key} is required for azure sources with service_type {service_type}"
            ),
            Invalid::CredentialNotSupportedForService { key, service_type } => write!(
                f,
                "Credential {key} is not supported for azure sources with service_type {service_type}"
            ),
            Invalid::CredentialRequiredWith { key, with } => {
                write!(f, "Credential {key} is required with {with}")
            }
            Invalid::PlaceholderIsNotASecret(key) => write!(
                f,
                "Credential {key} must be the secret itself, not {SECRET_PLACEHOLDER}"
            ),
            Invalid::CredentialsNotVerified(message) => {
                write!(f, "Credentials could not be verified: {message}")
            }
            Invalid::Credential { key, problem } => write!(f, "Credential {key} {problem}"),
            Invalid::Delivery { key, problem } => write!(f, "{key} {problem}"),
        }
    }
}

/// What is wrong with one credential value: the text after "Credential <key> ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueProblem {
    Blank,
    TooLong,
    ControlCharacters,
    /// Leading or trailing white space: refused rather than trimmed, so that what is checked is
    /// exactly what is stored.
    SurroundingWhitespace,
    /// `****` as the value of a key that is not a secret would read back like a hidden secret.
    PlaceholderForPlainValue,
    Invalid,
    NotIncluded,
    Url(UrlProblem),
}

impl fmt::Display for ValueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueProblem::Blank => f.write_str("can't be blank"),
            ValueProblem::TooLong => write!(
                f,
                "is too long (maximum is {} characters)",
                super::limits::MAX_VALUE_CHARS
            ),
            ValueProblem::ControlCharacters => f.write_str("must not contain control characters"),
            ValueProblem::SurroundingWhitespace => {
                f.write_str("must not start or end with white space")
            }
            ValueProblem::PlaceholderForPlainValue => write!(
                f,
                "must not be {SECRET_PLACEHOLDER}, which stands for a hidden secret"
            ),
            ValueProblem::Invalid => f.write_str("is invalid"),
            ValueProblem::NotIncluded => f.write_str("is not included in the list"),
            ValueProblem::Url(problem) => problem.fmt(f),
        }
    }
}

/// Why a `url` or `endpoint` is refused (see [`super::PublicUrl`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlProblem {
    /// Not an absolute `http(s)://` URL with a host, or a host the CDN must not fetch from.
    NotPublic,
    UserInfo,
    Backslash,
    Whitespace,
    Port,
    /// WHATWG accepts it, RFC 3986's grammar does not (or finds another host or port).
    NotRfc3986,
    /// Parsers would read it alike only in another spelling: this one (WHATWG's serialization).
    NotCanonical(String),
    /// Longer than §4's limit on every value.
    TooLong,
}

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlProblem::NotPublic => f.write_str("must be a public http(s) URL"),
            UrlProblem::UserInfo => f.write_str("must not contain a user name or password"),
            UrlProblem::Backslash => f.write_str("must not contain a backslash"),
            UrlProblem::Whitespace => f.write_str("must not contain white space"),
            UrlProblem::Port => f.write_str("must have a port from 1 to 65535"),
            UrlProblem::NotRfc3986 => f.write_str("must be a valid URL as RFC 3986 defines it"),
            UrlProblem::NotCanonical(canonical) => {
                write!(f, "must be written in canonical form: {canonical}")
            }
            UrlProblem::TooLong => write!(
                f,
                "is too long (maximum is {} characters)",
                super::limits::MAX_VALUE_CHARS
            ),
        }
    }
}

/// The 422 problems of one request, in the order the rules found them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{} validation error(s)", .0.len())]
pub struct ValidationErrors(pub Vec<Invalid>);

impl ValidationErrors {
    /// The messages a client reads.
    pub fn messages(&self) -> Vec<String> {
        self.0.iter().map(Invalid::to_string).collect()
    }
}

/// Key names come from the client: keep them short and printable inside an error message.
pub(crate) fn display_key(key: &str) -> String {
    let mut shown: String = key
        .chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if key.chars().count() > 64 {
        shown.push('…');
    }
    shown
}

/// Why a path is not one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathProblem {
    NotString,
    NotAbsolute,
    Root,
    Url,
    DotSegment,
    Forbidden,
    ControlCharacters,
    TooLong,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathProblem::NotString => "Path must be a string, such as /photos/cat.jpg",
            PathProblem::NotAbsolute => "Path must start with /, such as /photos/cat.jpg",
            PathProblem::Root => "Path must name an object, not the source's root",
            PathProblem::Url => {
                "Path must be a path inside the source, not a URL: /photos/cat.jpg, not https://…"
            }
            PathProblem::DotSegment => "Path must not contain . or .. segments",
            PathProblem::Forbidden => "Path must not contain \\, ? or #",
            PathProblem::ControlCharacters => "Path must not contain control characters",
            PathProblem::TooLong => "Path is too long (maximum is 1024 characters)",
        })
    }
}

/// Why a key's label is not one (docs/SPEC.md §26): the API's 422 says it as `Label …`; the admin
/// command says it in its own words (`api_key::KeyLabel::parse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelProblem {
    Blank,
    TooLong { chars: usize },
    ControlCharacters,
    SurroundingWhiteSpace,
}

impl fmt::Display for LabelProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabelProblem::Blank => f.write_str("Label can't be blank"),
            LabelProblem::TooLong { .. } => write!(
                f,
                "Label is too long (maximum is {MAX_LABEL_CHARS} characters)"
            ),
            LabelProblem::ControlCharacters => {
                f.write_str("Label must not contain control characters")
            }
            LabelProblem::SurroundingWhiteSpace => {
                f.write_str("Label must not start or end with white space")
            }
        }
    }
}

/// What is wrong with one `delivery` value: the text after `delivery.<key> `.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryProblem {
    NotObject,
    NotBoolean,
    NotSupported,
    NotList,
    TooManyDomains,
    /// The name as given (shortened for the message).
    DomainInvalid(String),
    DomainRepeated(String),
    /// The name as given (shortened) and the special-use zone it lies under.
    DomainSpecialUse(String, &'static str),
    /// `subdomains` that is not a list of strings.
    NotLabelList,
    TooManySubdomains,
    /// The label as given (shortened for the message).
    SubdomainInvalid(String),
    TooManyParams,
    ParamNameInvalid(String),
    NotString,
    ValueTooLong,
    ControlCharacters,
    NotIncluded,
    Ttl {
        min: u64,
    },
    ObjectOrNull,
    Url(UrlProblem),
    /// `url_signature` other than `imageboss` or `imgix` (docs/SPEC.md §24).
    SignatureNotIncluded,
    AnnotationTooLong,
}

impl fmt::Display for DeliveryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryProblem::NotObject => f.write_str("must be an object"),
            DeliveryProblem::NotBoolean => f.write_str("must be true or false"),
            DeliveryProblem::NotSupported => f.write_str("is not supported"),
            DeliveryProblem::NotList => f.write_str("must be a list of host names"),
            DeliveryProblem::TooManyDomains => {
                write!(f, "must hold at most {MAX_CUSTOM_DOMAINS} host names")
            }
            DeliveryProblem::DomainInvalid(name) => {
                write!(f, "holds {name}, which is not a public DNS name")
            }
            DeliveryProblem::DomainRepeated(name) => write!(f, "holds {name} more than once"),
            DeliveryProblem::DomainSpecialUse(name, zone) => write!(
                f,
                "holds {name}, which is under .{zone}, a name reserved for special use that no CDN can serve"
            ),
            DeliveryProblem::NotLabelList => f.write_str("must be a list of DNS labels"),
            DeliveryProblem::TooManySubdomains => {
                write!(f, "must hold at most {MAX_SUBDOMAINS} labels")
            }
            DeliveryProblem::SubdomainInvalid(label) => write!(
                f,
                "holds {label}, which is not a DNS label: 1 to 63 of a-z, 0-9 and -, not starting or ending with -"
            ),
            DeliveryProblem::TooManyParams => {
                write!(f, "must hold at most {MAX_DEFAULT_PARAMS} parameters")
            }
            DeliveryProblem::ParamNameInvalid(name) => write!(
                f,
                "has a parameter named {name}: names are 1 to {MAX_PARAM_NAME_CHARS} of a-z, 0-9 and -"
            ),
            DeliveryProblem::NotString => f.write_str("must be a string"),
            DeliveryProblem::ValueTooLong => write!(
                f,
                "is too long (maximum is {MAX_PARAM_VALUE_CHARS} characters)"
            ),
            DeliveryProblem::ControlCharacters => {
                f.write_str("must not contain control characters")
            }
            DeliveryProblem::NotIncluded => f.write_str("is not included in the list"),
            DeliveryProblem::Ttl { min } => write!(
                f,
                "must be an integer from {min} to {MAX_TTL_SECONDS} seconds"
            ),
            DeliveryProblem::ObjectOrNull => f.write_str("must be an object or null"),
            DeliveryProblem::Url(problem) => problem.fmt(f),
            DeliveryProblem::SignatureNotIncluded => f.write_str("must be imageboss or imgix"),
            DeliveryProblem::AnnotationTooLong => write!(
                f,
                "is too long (maximum is {} characters)",
                super::limits::MAX_ANNOTATION_CHARS
            ),
        }
    }
}
