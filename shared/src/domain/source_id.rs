use std::fmt;

/// ObjectId-like source id: 4 bytes of big-endian Unix seconds then 8 random bytes, as 24 lowercase
/// hex characters. Ids sort by creation second (order within one second is unspecified).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(String);

impl SourceId {
    pub fn generate(created_at_unix: i64) -> Self {
        let seconds = u32::try_from(created_at_unix).unwrap_or(u32::MAX);
        let random: [u8; 8] = super::random_bytes();
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&seconds.to_be_bytes());
        bytes[4..].copy_from_slice(&random);
        Self(hex::encode(bytes))
    }

    /// Exactly 24 hex digits (either case; stored and shown in lowercase). Anything else is no id.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 24 && raw.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(raw.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_24_lowercase_hex_led_by_the_time() {
        let id = SourceId::generate(0x69a9_9ae5);
        assert_eq!(id.as_str().len(), 24);
        assert!(id.as_str().starts_with("69a99ae5"));
        assert!(
            id.as_str()
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        );
        assert_ne!(SourceId::generate(1), SourceId::generate(1));
    }

    #[test]
    fn ids_sort_by_creation_second() {
        assert!(SourceId::generate(1_000) < SourceId::generate(1_001));
    }

    #[test]
    fn parse_refuses_almost_ids() {
        assert!(SourceId::parse("69a99ae507f19000072d0125").is_some());
        assert_eq!(
            SourceId::parse("69A99AE507F19000072D0125")
                .unwrap()
                .as_str(),
            "69a99ae507f19000072d0125"
        );
        assert!(SourceId::parse("69a99ae507f19000072d012").is_none());
        assert!(SourceId::parse("69a99ae507f19000072d01250").is_none());
        assert!(SourceId::parse("69a99ae507f19000072d012g").is_none());
        assert!(SourceId::parse("").is_none());
        assert!(SourceId::parse("69a99ae507f19000072d012é").is_none());
    }
}
