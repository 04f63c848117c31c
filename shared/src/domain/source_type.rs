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
}

impl SourceType {
    pub const ALL: [SourceType; 8] = [
        SourceType::S3,
        SourceType::Gcs,
        SourceType::Dos,
        SourceType::R2,
        SourceType::Akamai,
        SourceType::Wasabi,
        SourceType::Azure,
        SourceType::Url,
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
        }
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
