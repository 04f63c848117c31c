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
