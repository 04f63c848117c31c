//! A source's health (docs/SPEC.md §22): what the latest check of its credentials found, and when
//! the next one is due. Health is observed, never written by a client: it moves neither
//! `version`, the ETag nor `updated_at`.

use serde::Serialize;
use serde_json::{Value, json};

use super::Timestamp;

/// The `health` field of every source response.
pub const HEALTH: &str = "health";

/// What the latest check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Not checked yet.
    Unknown,
    Ok,
    Failed,
    Inconclusive,
}

impl HealthStatus {
    pub const ALL: [HealthStatus; 4] = [
        HealthStatus::Unknown,
        HealthStatus::Ok,
        HealthStatus::Failed,
        HealthStatus::Inconclusive,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            HealthStatus::Unknown => "unknown",
            HealthStatus::Ok => "ok",
            HealthStatus::Failed => "failed",
            HealthStatus::Inconclusive => "inconclusive",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Why the latest check failed: the §14 error's code and message, which are written from typed
/// causes and hold no secret and no text of the storage's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthError {
    pub code: String,
    pub message: String,
}

/// The source's health as stored and shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    pub status: HealthStatus,
    pub checked_at: Option<Timestamp>,
    pub error: Option<HealthError>,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            status: HealthStatus::Unknown,
            checked_at: None,
            error: None,
        }
    }
}

impl Health {
    /// `{"status", "checked_at", "error": {"code", "message"}}`; `checked_at` and `error` are
    /// `null` when there is none.
    pub fn public(&self) -> Value {
        json!({
            "status": self.status.as_str(),
            "checked_at": self.checked_at.map(|t| t.to_string()),
            "error": self.error.as_ref().map(|e| json!({"code": e.code, "message": e.message})),
        })
    }

    /// Whether going from `self` to `next` is a change the audit trail records (a
    /// `health_changed` event): any change of status, except a new source's first check finding
    /// it ok, which is no news (docs/SPEC.md §22; README "Behaviour where the SPEC is silent").
    pub fn is_news(&self, next: &Health) -> bool {
        self.status != next.status
            && !(self.status == HealthStatus::Unknown && next.status == HealthStatus::Ok)
    }
}

/// A minute, an hour, a day.
const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
pub const DAY_SECONDS: i64 = 24 * HOUR;

/// How long after a check the next one is due, by how many checks in a row have not been ok:
/// daily after an ok one; after a failure 15 minutes, then 1 hour, then 4 hours, then daily
/// (docs/SPEC.md §22). An inconclusive check counts as not ok: the storage could not tell, and a
/// sooner look may.
pub fn next_check_after(failures_in_a_row: u32) -> i64 {
    match failures_in_a_row {
        0 => DAY_SECONDS,
        1 => 15 * MINUTE,
        2 => HOUR,
        3 => 4 * HOUR,
        _ => DAY_SECONDS,
    }
}

/// When an enabled source's next check is due, and how many checks in a row were not ok. A
/// disabled source has none: it is not in the due index, and is never checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckSchedule {
    pub due_at: Timestamp,
    pub failures_in_a_row: u32,
}

impl CheckSchedule {
    /// Due at once: a new source, one enabled again, or one whose credentials changed.
    pub fn now(now: Timestamp) -> Self {
        Self {
            due_at: now,
            failures_in_a_row: 0,
        }
    }

    /// The schedule after a check at `checked_at` that found `status`.
    pub fn after(&self, status: HealthStatus, checked_at: Timestamp) -> Self {
        let failures_in_a_row = match status {
            HealthStatus::Ok => 0,
            _ => self.failures_in_a_row.saturating_add(1),
        };
        Self {
            due_at: checked_at
                .plus_seconds(next_check_after(failures_in_a_row))
                .unwrap_or(checked_at),
            failures_in_a_row,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_800_000_000 + seconds).unwrap()
    }

    #[test]
    fn the_backoff_is_15_minutes_1_hour_4_hours_then_daily_and_daily_after_ok() {
        let mut schedule = CheckSchedule::now(at(0));
        let mut waits = Vec::new();
        let mut now = at(0);
        for status in [
            HealthStatus::Failed,
            HealthStatus::Failed,
            HealthStatus::Inconclusive,
            HealthStatus::Failed,
            HealthStatus::Failed,
            HealthStatus::Ok,
            HealthStatus::Ok,
            HealthStatus::Failed,
        ] {
            schedule = schedule.after(status, now);
            waits.push(schedule.due_at.unix_seconds() - now.unix_seconds());
            now = schedule.due_at;
        }
        assert_eq!(
            waits,
            [900, 3600, 14_400, 86_400, 86_400, 86_400, 86_400, 900]
        );
    }

    #[test]
    fn news_is_a_change_of_status_but_a_first_ok() {
        let health = |status| Health {
            status,
            ..Health::default()
        };
        use HealthStatus::*;
        assert!(!health(Unknown).is_news(&health(Ok)));
        assert!(health(Unknown).is_news(&health(Failed)));
        assert!(health(Unknown).is_news(&health(Inconclusive)));
        assert!(health(Ok).is_news(&health(Failed)));
        assert!(health(Failed).is_news(&health(Ok)));
        assert!(!health(Failed).is_news(&health(Failed)));
        assert!(!health(Ok).is_news(&health(Ok)));
    }

    #[test]
    fn unknown_health_shows_nulls() {
        assert_eq!(
            Health::default().public(),
            json!({"status": "unknown", "checked_at": null, "error": null})
        );
    }
}
