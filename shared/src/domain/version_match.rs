//! Which stored versions a conditional write accepts: what `If-Match` asks for (RFC 9110 §13.1.1).

/// The versions a write may replace. A source's version is its ETag (`"<version>"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionMatch {
    /// No `If-Match`, or `*`: whatever is stored (writes still never lose a concurrent update).
    Any,
    /// Only these; an empty list (an `If-Match` with no tag of ours) matches nothing.
    OneOf(Vec<u64>),
}

impl VersionMatch {
    pub fn only(version: u64) -> Self {
        Self::OneOf(vec![version])
    }

    pub fn allows(&self, version: u64) -> bool {
        match self {
            Self::Any => true,
            Self::OneOf(versions) => versions.contains(&version),
        }
    }
}
