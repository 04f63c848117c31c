//! The test kit's own checks: the leak scan must catch what it is there to catch.

use integration_tests::{
    ScanMarks, Seen, assert_no_leaks, capture_logs, record_body, register_secrets_in,
    registered_secrets, scan_for_leaks,
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

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

/// One step of the scan over what the test has "seen" so far.
fn step(
    marks: &mut ScanMarks,
    bodies: &[String],
    logs: &[u8],
    secrets: &[String],
) -> Result<(), String> {
    let tokens = strings(&["token-123456"]);
    scan_for_leaks(
        marks,
        &Seen {
            bodies,
            logs,
            secrets,
            tokens: &tokens,
        },
    )
}

/// The incremental scan misses nothing a full scan would find: a body seen after its secret, a
/// secret registered after the body that holds it was scanned, a line that was still being
/// written at the step before, and a signing token in a line.
#[test]
fn the_incremental_scan_finds_what_a_full_scan_would() {
    let mut marks = ScanMarks::default();
    let mut bodies = strings(&[r#"{"bucket": "images"}"#]);
    let mut logs = b"{\"msg\":\"request\"}\n{\"partial\":\"first-".to_vec();
    let mut secrets = strings(&["first-secret"]);
    assert_eq!(step(&mut marks, &bodies, &logs, &secrets), Ok(()));

    bodies.push(r#"{"secret": "first-secret"}"#.to_owned());
    let leak = step(&mut marks, &bodies, &logs, &secrets).unwrap_err();
    assert!(leak.contains("response body"), "{leak}");
    bodies.pop();

    bodies.push(r#"{"note": "later-secret"}"#.to_owned());
    assert_eq!(step(&mut marks, &bodies, &logs, &secrets), Ok(()));
    secrets.push("later-secret".to_owned());
    let leak = step(&mut marks, &bodies, &logs, &secrets).unwrap_err();
    assert!(leak.contains("response body"), "{leak}");
    bodies.pop();
    secrets.pop();

    logs.extend_from_slice(b"secret\"}\n");
    let leak = step(&mut marks, &bodies, &logs, &secrets).unwrap_err();
    assert!(leak.contains("log line holds a secret"), "{leak}");

    let mut fresh = ScanMarks::default();
    let with_token = b"{\"msg\":\"ok\"}\n{\"t\":\"token-123456\"}\n";
    let leak = step(&mut fresh, &bodies, with_token, &secrets).unwrap_err();
    assert!(leak.contains("signing token"), "{leak}");
}

/// The table scan finds a secret in each form it knows, inside a longer stored text, and nothing
/// in an item that does not hold it.
#[test]
fn the_table_scan_finds_a_secret_in_every_form() {
    use integration_tests::table_scan::{encodings, find_secret};
    let secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY".to_owned();
    let clean = vec!["PK=ACCOUNT#acme\nsecret_token=0123abcd\n".to_owned()];
    assert!(find_secret(&clean, std::slice::from_ref(&secret)).is_none());
    let forms = encodings(&secret);
    assert!(forms.len() > 10, "{forms:?}");
    for form in forms {
        let items = vec![
            clean[0].clone(),
            format!("credentials=prefix{form}suffix\n"),
        ];
        let found = find_secret(&items, std::slice::from_ref(&secret));
        assert!(found.is_some(), "{form}");
    }
    // Base64 of a longer text holding the secret, at each alignment.
    use base64::Engine;
    for prefix in ["", "x", "xy"] {
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(format!("{prefix}{{\"secret\":\"{secret}\"}}"));
        let items = vec![format!("blob={encoded}\n")];
        assert!(
            find_secret(&items, std::slice::from_ref(&secret)).is_some(),
            "{prefix:?}"
        );
    }
}
