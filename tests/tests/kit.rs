//! The test kit's own checks: the leak scan must catch what it is there to catch.

use integration_tests::{
    assert_no_leaks, capture_logs, record_body, register_secrets_in, registered_secrets,
};

#[test]
#[should_panic(expected = "a response body holds a secret")]
fn the_leak_scan_catches_a_secret_in_a_body() {
    record_body(r#"{"secret_access_key": "planted-secret-value"}"#);
    assert_no_leaks(&["planted-secret-value"]);
}

#[test]
#[should_panic(expected = "a log line holds a secret")]
fn the_leak_scan_catches_a_secret_in_a_log_line() {
    capture_logs();
    tracing::info!(leaked = "planted-log-secret", "oops");
    assert_no_leaks(&["planted-log-secret"]);
}

#[test]
fn secrets_in_request_bodies_are_registered() {
    register_secrets_in(&serde_json::json!({"source": {"credential_attributes": {
        "secret": "registered-secret-1", "sas_token": "****", "bucket": "not-a-secret"}}}));
    let registered = registered_secrets();
    assert!(registered.contains("registered-secret-1"));
    assert!(!registered.contains("****"));
    assert!(!registered.contains("not-a-secret"));
}
