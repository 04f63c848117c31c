//! A signing-token rotation's request (docs/SPEC.md §13): `{"grace_period": <seconds>}`, optional.

use serde_json::{Map, Value};

use super::fields;
use super::validation::{Invalid, ValidationErrors, display_key};

pub use super::limits::MAX_GRACE_PERIOD_SECONDS;
/// A day, when the request names none.
pub const DEFAULT_GRACE_PERIOD_SECONDS: u32 = 86_400;

/// How long the replaced token keeps working, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GracePeriod(u32);

impl Default for GracePeriod {
    fn default() -> Self {
        Self(DEFAULT_GRACE_PERIOD_SECONDS)
    }
}

impl GracePeriod {
    pub fn seconds(&self) -> u32 {
        self.0
    }

    /// The rotation body's object (none for an empty body): `grace_period`, a JSON integer from 0
    /// to 604,800, and nothing else.
    pub fn from_body(body: Option<&Map<String, Value>>) -> Result<Self, ValidationErrors> {
        let mut errors = Vec::new();
        let mut grace = GracePeriod::default();
        for (key, value) in body.into_iter().flatten() {
            if key != fields::GRACE_PERIOD {
                errors.push(Invalid::AttributeNotSupported(display_key(key)));
                continue;
            }
            match value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n <= MAX_GRACE_PERIOD_SECONDS)
            {
                Some(seconds) => grace = GracePeriod(seconds),
                None => errors.push(Invalid::GracePeriodInvalid),
            }
        }
        if errors.is_empty() {
            Ok(grace)
        } else {
            Err(ValidationErrors(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<u32, Vec<String>> {
        GracePeriod::from_body(body.as_object())
            .map(|g| g.seconds())
            .map_err(|e| e.messages())
    }

    #[test]
    fn the_grace_period_defaults_to_a_day_and_takes_0_to_a_week() {
        assert_eq!(GracePeriod::from_body(None).unwrap().seconds(), 86_400);
        assert_eq!(parse(json!({})), Ok(86_400));
        assert_eq!(parse(json!({"grace_period": 0})), Ok(0));
        assert_eq!(parse(json!({"grace_period": 604_800})), Ok(604_800));
    }

    #[test]
    fn anything_else_is_refused_with_the_rules_wording() {
        let message = "Grace period must be an integer from 0 to 604800 seconds";
        for bad in [
            json!(604_801),
            json!(-1),
            json!(1.5),
            json!("60"),
            json!(null),
            json!(1e20),
        ] {
            assert_eq!(
                parse(json!({"grace_period": bad})),
                Err(vec![message.to_owned()]),
                "{bad}"
            );
        }
        assert_eq!(
            parse(json!({"grace": 5})),
            Err(vec!["Attribute grace is not supported".to_owned()])
        );
    }
}
