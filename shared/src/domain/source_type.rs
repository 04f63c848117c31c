use std::fmt;

use super::validation::Invalid;

/// Where a source's master images live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceType {
    S3,
    Gcs,
    Dos,
    R2,
    Akamai,
    Wasabi,
    Azure,
    Url,
    /// imgix's web proxy (docs/SPEC.md §25): the image path is a whole public URL, which the CDN
    /// fetches; no storage location.
    Proxy,
}

impl SourceType {
    pub const ALL: [SourceType; 9] = [
        SourceType::S3,
        SourceType::Gcs,
        SourceType::Dos,
        SourceType::R2,
        SourceType::Akamai,
        SourceType::Wasabi,
        SourceType::Azure,
        SourceType::Url,
        SourceType::Proxy,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            SourceType::S3 => "s3",
            SourceType::Gcs => "gcs",
            SourceType::Dos => "dos",
            SourceType::R2 => "r2",
            SourceType::Akamai => "akamai",
            SourceType::Wasabi => "wasabi",
            SourceType::Azure => "azure",
            SourceType::Url => "url",
            SourceType::Proxy => "proxy",
        }
    }

    /// Whether a check can reach the type's storage (docs/SPEC.md §14, §22): a proxy has none,
    /// so its secrets are never opened to check it.
    pub fn has_storage(&self) -> bool {
        *self != SourceType::Proxy
    }

    /// Whether the type must have `require_token: "true"` (docs/SPEC.md §25): an unsigned proxy
    /// would fetch any URL for anyone.
    pub fn requires_signed_urls(&self) -> bool {
        *self == SourceType::Proxy
    }

    /// Case-sensitive, as the API documents the values in lowercase.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.is_empty() {
            return Err(Invalid::TypeBlank);
        }
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == raw)
            .ok_or(Invalid::TypeNotIncluded)
    }
}

impl fmt::Display for SourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type() {
        for t in SourceType::ALL {
            assert_eq!(SourceType::parse(t.as_str()), Ok(t));
        }
    }

    #[test]
    fn messages() {
        assert_eq!(
            SourceType::parse("").unwrap_err().to_string(),
            "Source type can't be blank"
        );
        assert_eq!(
            SourceType::parse("ftp").unwrap_err().to_string(),
            "Source type is not included in the list"
        );
        assert_eq!(
            SourceType::parse("S3").unwrap_err().to_string(),
            "Source type is not included in the list"
        );
    }
}
