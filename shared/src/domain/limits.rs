//! The limits and the placeholder the rules enforce and the messages quote (docs/SPEC.md §4, §5,
//! §13): one place that both the rules and `validation`'s messages read, so that neither imports
//! the other.

/// What a secret looks like on the way out, and what a client echoes to mean "keep the stored one".
pub const SECRET_PLACEHOLDER: &str = "****";
/// The longest credential value, in characters.
pub const MAX_VALUE_CHARS: usize = 1024;
/// The longest source name, in characters.
pub const MAX_NAME_CHARS: u64 = 64;
/// The longest grace period of a token rotation: a week.
pub const MAX_GRACE_PERIOD_SECONDS: u32 = 604_800;

/// `delivery` (docs/SPEC.md §23): custom domains and default parameters per source.
pub const MAX_CUSTOM_DOMAINS: usize = 25;
pub const MAX_DEFAULT_PARAMS: usize = 50;
/// Subdomains per source (docs/SPEC.md §25).
pub const MAX_SUBDOMAINS: usize = 10;
/// A default parameter's name and value, in characters.
pub const MAX_PARAM_NAME_CHARS: usize = 32;
pub const MAX_PARAM_VALUE_CHARS: usize = 1_024;
/// The cache lifetimes, in seconds: `ttl` from half an hour to a year, `error_ttl` from a second.
/// A delivery annotation, as imgix's (docs/SPEC.md §24).
pub const MAX_ANNOTATION_CHARS: usize = 1_024;
pub const MIN_TTL_SECONDS: u64 = 1_800;
pub const MAX_TTL_SECONDS: u64 = 31_536_000;
pub const MIN_ERROR_TTL_SECONDS: u64 = 1;
pub const DEFAULT_ERROR_TTL_SECONDS: u64 = 300;

/// API keys (docs/SPEC.md §26): the keys an account may have working at once (imgix's cap), and
/// how long a key made through the API may last, in seconds: an hour to two years.
pub const MAX_KEYS_PER_ACCOUNT: usize = 20;
/// The longest key label, in characters (docs/SPEC.md §26: "1–64 printable characters").
pub const MAX_LABEL_CHARS: usize = 64;
pub const MIN_KEY_LIFETIME_SECONDS: i64 = 3_600;
pub const MAX_KEY_LIFETIME_SECONDS: i64 = 2 * 365 * 24 * 3_600;
