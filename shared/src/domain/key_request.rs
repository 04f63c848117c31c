//! A `POST /v1/api_keys` body (docs/SPEC.md §26): `{"label", "scope", "expires_in"}`, label and
//! scope required (a key's power is said, never assumed), `expires_in` whole seconds from an hour
//! to two years, or absent or `null` for a key that lasts until revoked.

use serde_json::{Map, Value};

use super::api_key::{KeyLabel, KeyScope, MAX_KEY_LIFETIME_SECONDS, MIN_KEY_LIFETIME_SECONDS};
use super::validation::{Invalid, LabelProblem, ValidationErrors, display_key};

pub const LABEL: &str = "label";
pub const SCOPE: &str = "scope";
pub const EXPIRES_IN: &str = "expires_in";

/// What a new key is to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRequest {
    pub label: KeyLabel,
    pub scope: KeyScope,
    /// Seconds it works for; `None` until revoked.
    pub expires_in: Option<i64>,
}

impl KeyRequest {
    /// Every problem of the body at once, as a source's create reports them.
    pub fn from_body(body: Option<&Map<String, Value>>) -> Result<Self, ValidationErrors> {
        let mut errors = Vec::new();
        let mut label = Err(LabelProblem::Blank);
        let mut scope = None;
        let mut expires_in = None;
        for (key, value) in body.into_iter().flatten() {
            match key.as_str() {
                LABEL => {
                    label = match value {
                        Value::String(text) => KeyLabel::check(text),
                        _ => Err(LabelProblem::Blank),
                    }
                }
                SCOPE => {
                    scope = match value {
                        Value::Null => None,
                        Value::String(text) => Some(KeyScope::parse(text).ok_or(())),
                        _ => Some(Err(())),
                    }
                }
                EXPIRES_IN => match value {
                    Value::Null => expires_in = None,
                    Value::Number(n) => match n.as_i64().filter(|s| {
                        (MIN_KEY_LIFETIME_SECONDS..=MAX_KEY_LIFETIME_SECONDS).contains(s)
                    }) {
                        Some(seconds) => expires_in = Some(seconds),
                        None => errors.push(Invalid::KeyLifetime),
                    },
                    _ => errors.push(Invalid::KeyLifetime),
                },
                other => errors.push(Invalid::AttributeNotSupported(display_key(other))),
            }
        }
        let label = label.map_err(|problem| errors.push(Invalid::KeyLabel(problem)));
        let scope = match scope {
            None => {
                errors.push(Invalid::KeyScopeBlank);
                None
            }
            Some(Err(())) => {
                errors.push(Invalid::KeyScopeNotIncluded);
                None
            }
            Some(Ok(scope)) => Some(scope),
        };
        match (label, scope) {
            (Ok(label), Some(scope)) if errors.is_empty() => Ok(Self {
                label,
                scope,
                expires_in,
            }),
            _ => Err(ValidationErrors(errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(body: Value) -> Result<KeyRequest, Vec<String>> {
        KeyRequest::from_body(body.as_object())
            .map_err(|e| e.0.iter().map(Invalid::to_string).collect())
    }

    #[test]
    fn a_label_a_scope_and_an_optional_lifetime() {
        let request =
            read(json!({"label": "CI deploy", "scope": "read", "expires_in": 3600})).unwrap();
        assert_eq!(request.label.as_str(), "CI deploy");
        assert_eq!(request.scope, KeyScope::Read);
        assert_eq!(request.expires_in, Some(3600));
        for scope in ["read", "write", "admin"] {
            let request = read(json!({"label": "k", "scope": scope, "expires_in": null})).unwrap();
            assert_eq!(request.scope.as_str(), scope);
            assert_eq!(request.expires_in, None);
        }
        assert!(read(json!({"label": "k", "scope": "read", "expires_in": 63_072_000})).is_ok());
    }

    #[test]
    fn every_problem_is_said_at_once() {
        assert_eq!(
            read(json!({})).unwrap_err(),
            ["Label can't be blank", "Scope can't be blank"]
        );
        assert_eq!(
            read(json!({"label": "x".repeat(65), "scope": "owner", "expires_in": 3599, "key": "isk_x"}))
                .unwrap_err(),
            [
                "Expires in must be an integer from 3600 to 63072000 seconds",
                "Attribute key is not supported",
                "Label is too long (maximum is 64 characters)",
                "Scope must be one of read, write, admin",
            ]
        );
        for (label, message) in [
            (json!(""), "Label can't be blank"),
            (json!(7), "Label can't be blank"),
            (json!("a\nb"), "Label must not contain control characters"),
            (json!(" ci"), "Label must not start or end with white space"),
        ] {
            assert_eq!(
                read(json!({"label": label, "scope": "read"})).unwrap_err(),
                [message],
                "{label}"
            );
        }
        for lifetime in [
            json!(63_072_001),
            json!(1.5),
            json!("3600"),
            json!(-1),
            json!(true),
        ] {
            assert_eq!(
                read(json!({"label": "k", "scope": "read", "expires_in": lifetime})).unwrap_err(),
                ["Expires in must be an integer from 3600 to 63072000 seconds"],
                "{lifetime}"
            );
        }
        assert_eq!(
            read(json!({"label": "k", "scope": ["admin"]})).unwrap_err(),
            ["Scope must be one of read, write, admin"]
        );
    }
}
