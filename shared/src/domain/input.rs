//! From the client's `{"source": {...}}` object to validated [`SourceFields`], for create (docs/SPEC.md §5)
//! and update (docs/SPEC.md §6). Every problem is collected; nothing stops at the first.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::credentials::{CredentialValue, Credentials, secret_key};
use super::delivery::{DELIVERY, Delivery};
use super::validation::{Invalid, ValidationErrors, display_key};
use super::{SourceFields, SourceName, SourceType, fields};

/// Keys inside `source` that clients echo from what they fetched; ignored.
pub const READ_ONLY_ATTRIBUTES: [&str; 7] = [
    fields::ID,
    fields::CREATED_AT,
    fields::UPDATED_AT,
    fields::SECRETS_UPDATED_AT,
    fields::CREDENTIALS,
    // Observed by the checks, never written by a client (docs/SPEC.md §22).
    super::health::HEALTH,
    // Derived from the operator's settings (docs/SPEC.md §25).
    fields::URLS,
];
const REQUIRE_TOKEN: &str = fields::REQUIRE_TOKEN;

enum CredentialChange {
    Set(String),
    /// `null`: remove an optional key.
    Remove,
}

/// The client's `source` object with its shape checked, its values not yet validated.
pub struct SourceInput {
    name: Option<Value>,
    source_type: Option<Value>,
    credentials: Vec<(String, CredentialChange)>,
    /// `Some(false)` for `null` too: removing it restores the default.
    require_token: Option<bool>,
    /// A JSON boolean only (docs/SPEC.md §12); anything else is an error in `errors`.
    enabled: Option<bool>,
    /// The `delivery` object as given (docs/SPEC.md §23), read onto the stored settings.
    delivery: Option<Value>,
    /// Problems of shape found while reading (unknown attributes, non-string values, read-only keys).
    errors: Vec<Invalid>,
}

impl SourceInput {
    pub fn from_json(source: &Map<String, Value>) -> Self {
        let mut input = SourceInput {
            name: None,
            source_type: None,
            credentials: Vec::new(),
            require_token: None,
            enabled: None,
            delivery: None,
            errors: Vec::new(),
        };
        for (key, value) in source {
            match key.as_str() {
                fields::SOURCE => input.name = Some(value.clone()),
                fields::SOURCE_TYPE => input.source_type = Some(value.clone()),
                fields::ENABLED => match value {
                    Value::Bool(enabled) => input.enabled = Some(*enabled),
                    _ => input.errors.push(Invalid::EnabledNotBoolean),
                },
                fields::CREDENTIAL_ATTRIBUTES => input.read_credentials(value),
                DELIVERY => input.delivery = Some(value.clone()),
                k if READ_ONLY_ATTRIBUTES.contains(&k) => {}
                other => input
                    .errors
                    .push(Invalid::AttributeNotSupported(display_key(other))),
            }
        }
        input
    }

    fn read_credentials(&mut self, value: &Value) {
        let Value::Object(attributes) = value else {
            self.errors.push(Invalid::CredentialsNotObject);
            return;
        };
        for (key, value) in attributes {
            if let Some(read_only) = fields::READ_ONLY_CREDENTIALS
                .iter()
                .find(|k| **k == key.as_str())
            {
                self.errors.push(Invalid::CredentialReadOnly(read_only));
            } else if key == REQUIRE_TOKEN {
                match value {
                    Value::Null => self.require_token = Some(false),
                    Value::Bool(b) => self.require_token = Some(*b),
                    Value::String(s) if s == "true" => self.require_token = Some(true),
                    Value::String(s) if s == "false" => self.require_token = Some(false),
                    _ => self.errors.push(Invalid::RequireTokenNotBoolean),
                }
            } else {
                let change = match value {
                    Value::Null => CredentialChange::Remove,
                    Value::String(s) => CredentialChange::Set(s.clone()),
                    _ => {
                        self.errors
                            .push(Invalid::CredentialNotString(display_key(key)));
                        continue;
                    }
                };
                self.credentials.push((key.clone(), change));
            }
        }
    }

    /// The new name, if this input names one (used to tell "Source has already been taken" alongside
    /// other errors).
    pub fn requested_name(&self) -> Option<SourceName> {
        match &self.name {
            Some(Value::String(s)) => SourceName::parse(s).ok(),
            _ => None,
        }
    }

    /// Validates a create request.
    pub fn into_new_fields(self) -> Result<SourceFields, ValidationErrors> {
        self.resolve(None)
    }

    /// Merges an update request into `stored` and validates the result as a whole.
    pub fn apply_to(self, stored: &SourceFields) -> Result<SourceFields, ValidationErrors> {
        self.resolve(Some(stored))
    }

    fn resolve(self, stored: Option<&SourceFields>) -> Result<SourceFields, ValidationErrors> {
        let SourceInput {
            name,
            source_type,
            credentials: changes,
            require_token,
            enabled,
            delivery,
            mut errors,
        } = self;
        let name = resolve_name(name, stored, &mut errors);
        let source_type = resolve_type(source_type, stored, &mut errors);
        let require_token = require_token
            .or(stored.map(|s| s.require_token))
            .unwrap_or(false);
        // An unsigned proxy is an open relay (docs/SPEC.md §25): the whole result is held to it,
        // so a PATCH cannot unset the token or make an unsigned source a proxy.
        if source_type.is_some_and(|t| t.requires_signed_urls()) && !require_token {
            errors.push(Invalid::ProxyRequiresToken);
        }
        let enabled = enabled.or(stored.map(|s| s.enabled)).unwrap_or(true);
        let stored_delivery = stored.map(|s| s.delivery.clone()).unwrap_or_default();
        let delivery = match &delivery {
            // `"delivery": null` returns every key to its default.
            Some(Value::Null) => Some(Delivery::default()),
            Some(given) => stored_delivery.read(given, &mut errors),
            None => Some(stored_delivery),
        };
        let credentials = source_type.and_then(|source_type| {
            let values = merge_credentials(changes, stored, source_type, &mut errors);
            Credentials::validate(source_type, values, &mut errors)
        });
        match (name, source_type, credentials, delivery) {
            (Some(name), Some(source_type), Some(credentials), Some(delivery))
                if errors.is_empty() =>
            {
                Ok(SourceFields {
                    name,
                    source_type,
                    credentials,
                    require_token,
                    enabled,
                    delivery,
                })
            }
            _ => Err(ValidationErrors(errors)),
        }
    }
}

/// The name given, else (on update) the stored one.
fn resolve_name(
    given: Option<Value>,
    stored: Option<&SourceFields>,
    errors: &mut Vec<Invalid>,
) -> Option<SourceName> {
    match (given, stored) {
        (None, Some(stored)) => Some(stored.name.clone()),
        (Some(Value::String(raw)), _) => SourceName::parse(&raw).map_err(|e| errors.extend(e)).ok(),
        (Some(Value::Null) | None, _) => {
            errors.push(Invalid::NameBlank);
            None
        }
        (Some(_), _) => {
            errors.push(Invalid::NameInvalid);
            None
        }
    }
}

/// The type given, else (on update) the stored one.
fn resolve_type(
    given: Option<Value>,
    stored: Option<&SourceFields>,
    errors: &mut Vec<Invalid>,
) -> Option<SourceType> {
    match (given, stored) {
        (None, Some(stored)) => Some(stored.source_type),
        (Some(Value::String(raw)), _) => SourceType::parse(&raw).map_err(|e| errors.push(e)).ok(),
        (Some(Value::Null) | None, _) => {
            errors.push(Invalid::TypeBlank);
            None
        }
        (Some(_), _) => {
            errors.push(Invalid::TypeNotIncluded);
            None
        }
    }
}

/// The stored credentials (while the type stays the same) with the client's changes applied:
/// `null` removes a key the type takes, and `****` for a secret keeps the stored one.
fn merge_credentials(
    changes: Vec<(String, CredentialChange)>,
    stored: Option<&SourceFields>,
    source_type: SourceType,
    errors: &mut Vec<Invalid>,
) -> BTreeMap<String, CredentialValue> {
    let mut values = match stored {
        Some(stored) if stored.source_type == source_type => stored.credentials.to_values(),
        _ => BTreeMap::new(),
    };
    for (key, change) in changes {
        match change {
            // Unknown keys are refused whatever their value, `null` included.
            CredentialChange::Remove if !Credentials::supports(source_type, &key) => {
                errors.push(Invalid::CredentialNotSupported {
                    key: display_key(&key),
                    source_type,
                });
            }
            CredentialChange::Remove => {
                values.remove(&key);
            }
            CredentialChange::Set(value) => {
                let value = CredentialValue::new(&key, value);
                match secret_key(&key) {
                    // "****" echoes what the client read: keep the stored secret, if there is one.
                    Some(secret) if value.is_placeholder() => {
                        if !values.contains_key(secret) {
                            errors.push(Invalid::PlaceholderIsNotASecret(secret));
                        }
                    }
                    _ => {
                        values.insert(key, value);
                    }
                }
            }
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(value: Value) -> SourceInput {
        SourceInput::from_json(value.as_object().unwrap())
    }

    fn create(value: Value) -> Result<SourceFields, Vec<String>> {
        input(value).into_new_fields().map_err(|e| e.messages())
    }

    fn s3() -> Value {
        json!({
            "source": "my-images",
            "source_type": "s3",
            "credential_attributes": {
                "access_key_id": "AKIA...",
                "secret_access_key": "wJalr...",
                "bucket": "my-bucket",
                "region": "us-east-1",
                "require_token": "true"
            }
        })
    }

    fn stored() -> SourceFields {
        create(s3()).unwrap()
    }

    fn update(patch: Value) -> Result<SourceFields, Vec<String>> {
        input(patch).apply_to(&stored()).map_err(|e| e.messages())
    }

    #[test]
    fn enabled_defaults_true_and_takes_json_booleans_only() {
        assert!(create(s3()).unwrap().enabled);
        let mut disabled = s3();
        disabled["enabled"] = json!(false);
        assert!(!create(disabled).unwrap().enabled);
        for bad in [json!("false"), json!(0), json!(null), json!([true])] {
            let mut body = s3();
            body["enabled"] = bad.clone();
            assert_eq!(
                create(body).unwrap_err(),
                ["Enabled must be true or false"],
                "{bad}"
            );
        }
    }

    #[test]
    fn patch_sets_enabled_and_keeps_it_when_not_given() {
        let disabled = update(json!({"enabled": false})).unwrap();
        assert!(!disabled.enabled);
        assert_eq!(disabled.credentials, stored().credentials);
        let kept = input(json!({"credential_attributes": {"prefix": "p/"}}))
            .apply_to(&disabled)
            .unwrap();
        assert!(!kept.enabled, "a PATCH without enabled keeps it");
        assert!(
            input(json!({"enabled": true}))
                .apply_to(&disabled)
                .unwrap()
                .enabled
        );
    }

    #[test]
    fn the_reference_example_creates() {
        let fields = create(s3()).unwrap();
        assert_eq!(fields.name.as_str(), "my-images");
        assert!(fields.require_token);
        assert_eq!(
            fields
                .credentials
                .get("secret_access_key")
                .unwrap()
                .clear()
                .unwrap(),
            "wJalr..."
        );
    }

    #[test]
    fn require_token_defaults_false_and_takes_booleans() {
        let mut body = s3();
        body["credential_attributes"]
            .as_object_mut()
            .map(|c| c.remove("require_token"));
        assert!(!create(body).unwrap().require_token);
        let mut with_bool = s3();
        with_bool["credential_attributes"]["require_token"] = json!(true);
        assert!(create(with_bool).unwrap().require_token);
        let mut bad = s3();
        bad["credential_attributes"]["require_token"] = json!("yes");
        assert_eq!(
            create(bad).unwrap_err(),
            ["Credential require_token must be true or false"]
        );
        let mut number = s3();
        number["credential_attributes"]["require_token"] = json!(1);
        assert_eq!(
            create(number).unwrap_err(),
            ["Credential require_token must be true or false"]
        );
    }

    #[test]
    fn blank_body_reports_everything_at_once() {
        assert_eq!(
            create(json!({})).unwrap_err(),
            ["Source can't be blank", "Source type can't be blank"]
        );
        let errors = create(json!({"source": "-bad", "source_type": "s3"})).unwrap_err();
        assert_eq!(
            errors,
            [
                "Source is invalid",
                "Credential bucket is required for s3 sources",
                "Credential region is required for s3 sources",
                "Credential access_key_id is required for s3 sources",
                "Credential secret_access_key is required for s3 sources",
            ]
        );
    }

    #[test]
    fn type_messages() {
        assert_eq!(
            create(json!({"source": "a", "source_type": "ftp"})).unwrap_err(),
            ["Source type is not included in the list"]
        );
        assert_eq!(
            create(json!({"source": "a", "source_type": 3})).unwrap_err(),
            ["Source type is not included in the list"]
        );
        assert_eq!(
            create(json!({"source": "a", "source_type": null})).unwrap_err(),
            ["Source type can't be blank"]
        );
    }

    #[test]
    fn name_of_the_wrong_json_type_is_invalid() {
        let mut body = s3();
        body["source"] = json!(["my-images"]);
        assert_eq!(create(body).unwrap_err(), ["Source is invalid"]);
        let mut null = s3();
        null["source"] = Value::Null;
        assert_eq!(create(null).unwrap_err(), ["Source can't be blank"]);
    }

    #[test]
    fn unknown_attributes_and_read_only_keys() {
        let mut body = s3();
        body["account_id"] = json!("someone-else");
        body["id"] = json!("69a99ae507f19000072d0125");
        body["created_at"] = json!("2020-01-01T00:00:00Z");
        body["credentials"] = json!({"secret_access_key": "****"});
        body["credential_attributes"]["secret_token"] = json!("0000");
        assert_eq!(
            create(body).unwrap_err(),
            [
                "Attribute account_id is not supported",
                "Credential secret_token is read-only"
            ]
        );
    }

    #[test]
    fn credential_values_must_be_strings() {
        let mut body = s3();
        body["credential_attributes"]["bucket"] = json!(42);
        body["credential_attributes"]["region"] = json!(["us-east-1"]);
        assert_eq!(
            create(body).unwrap_err(),
            [
                "Credential bucket must be a string",
                "Credential region must be a string",
                "Credential bucket is required for s3 sources",
                "Credential region is required for s3 sources",
            ]
        );
        assert_eq!(
            create(
                json!({"source": "a", "source_type": "url", "credential_attributes": "https://x"})
            )
            .unwrap_err(),
            [
                "Credential attributes must be an object",
                "Credential url is required for url sources"
            ]
        );
    }

    #[test]
    fn placeholder_is_not_a_secret_on_create() {
        let mut body = s3();
        body["credential_attributes"]["secret_access_key"] = json!("****");
        assert_eq!(
            create(body).unwrap_err(),
            [
                "Credential secret_access_key must be the secret itself, not ****",
                "Credential secret_access_key is required for s3 sources",
            ]
        );
    }

    #[test]
    fn patch_changes_only_what_is_given() {
        let updated = update(json!({"credential_attributes": {"require_token": "false"}})).unwrap();
        assert!(!updated.require_token);
        assert_eq!(updated.credentials, stored().credentials);
        assert_eq!(updated.name, stored().name);
        assert_eq!(update(json!({})).unwrap(), stored());
    }

    #[test]
    fn patch_echoing_placeholder_keeps_the_secret() {
        let updated = update(json!({"credential_attributes": {"secret_access_key": "****", "bucket": "other-bucket"}}))
            .unwrap();
        assert_eq!(
            updated
                .credentials
                .get("secret_access_key")
                .unwrap()
                .clear()
                .unwrap(),
            "wJalr..."
        );
        assert_eq!(
            updated.credentials.get("bucket").unwrap().clear().unwrap(),
            "other-bucket"
        );
    }

    #[test]
    fn patch_null_removes_optional_and_refuses_required() {
        let with_prefix = update(json!({"credential_attributes": {"prefix": "p/"}})).unwrap();
        let removed = input(json!({"credential_attributes": {"prefix": null}}))
            .apply_to(&with_prefix)
            .unwrap();
        assert!(removed.credentials.get("prefix").is_none());
        assert_eq!(
            update(json!({"credential_attributes": {"bucket": null}})).unwrap_err(),
            ["Credential bucket is required for s3 sources"]
        );
    }

    #[test]
    fn changing_type_drops_old_credentials_and_needs_the_new_set() {
        assert_eq!(
            update(json!({"source_type": "url"})).unwrap_err(),
            ["Credential url is required for url sources"]
        );
        let to_url = update(
            json!({"source_type": "url", "credential_attributes": {"url": "https://example.com"}}),
        )
        .unwrap();
        assert_eq!(to_url.source_type, SourceType::Url);
        assert!(to_url.credentials.get("bucket").is_none());
        assert!(to_url.require_token, "require_token survives a type change");
        assert_eq!(
            update(json!({"source_type": "gcs", "credential_attributes": {"access_key": "k", "secret": "****", "bucket": "bkt"}}))
                .unwrap_err(),
            ["Credential secret must be the secret itself, not ****", "Credential secret is required for gcs sources"]
        );
    }

    #[test]
    fn patch_rename_is_validated() {
        assert_eq!(
            update(json!({"source": ""})).unwrap_err(),
            ["Source can't be blank"]
        );
        assert_eq!(
            update(json!({"source": "new-name"})).unwrap().name.as_str(),
            "new-name"
        );
        assert_eq!(
            update(json!({"source": "bad name", "credential_attributes": {"foo": "x"}}))
                .unwrap_err(),
            [
                "Source is invalid",
                "Credential foo is not supported for s3 sources"
            ]
        );
    }
}
