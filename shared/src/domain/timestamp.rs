use std::fmt;
use time::{OffsetDateTime, format_description::FormatItem, macros::format_description};

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// A UTC instant to the second, shown as RFC 3339 with a `Z` suffix (`2026-03-05T14:10:00Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        Self(now.replace_nanosecond(0).unwrap_or(now))
    }

    /// Now, to the second, and the same instant in Unix milliseconds (for ids that sort by time).
    pub fn now_precise() -> (Self, i128) {
        let now = OffsetDateTime::now_utc();
        let millis = now.unix_timestamp_nanos() / 1_000_000;
        (Self(now.replace_nanosecond(0).unwrap_or(now)), millis)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        time::PrimitiveDateTime::parse(raw, FORMAT)
            .ok()
            .map(|t| Self(t.assume_utc()))
    }

    /// Its day, `YYYY-MM-DD` (UTC): when a key was last used (docs/SPEC.md §26).
    pub fn date(&self) -> String {
        let date = self.0.date();
        format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    }

    pub fn unix_seconds(&self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds).ok().map(Self)
    }

    /// `seconds` later (`None` past the year 9999).
    pub fn plus_seconds(&self, seconds: i64) -> Option<Self> {
        let later = self.0.checked_add(time::Duration::seconds(seconds))?;
        (later.year() <= 9999).then_some(Self(later))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.format(FORMAT).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_to_the_second_with_z() {
        let t = Timestamp::parse("2026-03-05T14:10:00Z").unwrap();
        assert_eq!(t.to_string(), "2026-03-05T14:10:00Z");
        let now = Timestamp::now().to_string();
        assert_eq!(now.len(), 20);
        assert!(now.ends_with('Z'));
        assert_eq!(Timestamp::parse(&now).unwrap().to_string(), now);
    }

    #[test]
    fn refuses_other_formats() {
        assert!(Timestamp::parse("2026-03-05 14:10:00").is_none());
        assert!(Timestamp::parse("2026-03-05T14:10:00.5Z").is_none());
    }
}
