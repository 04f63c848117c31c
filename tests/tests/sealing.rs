//! Sealed storage secrets (docs/SPEC.md §21) through the local gateway, on the suite's keys: a
//! local key, or the KMS-compatible server of `KMS_TEST_ENDPOINT` (moto's, in CI).

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::fixtures::{API_KEY_HEADER, credential_patch, credentials, source_body};
use integration_tests::{TestApp, captured_logs, test_keys};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shared::domain::{SourceType, Timestamp, credential_keys};
use shared::sealing::Keys;

type Item = HashMap<String, AttributeValue>;

async fn app() -> (TestApp, Arc<Keys>, String) {
    let keys = Arc::new(test_keys().await);
    let app = TestApp::builder().sealing_with(keys.clone()).spawn().await;
    let key = app.db.api_key("acme").await;
    (app, keys, key)
}

async fn item(app: &TestApp, id: &str) -> Item {
    app.db
        .all_items()
        .await
        .into_iter()
        .find(|item| item["SK"].as_s().ok() == Some(&format!("SOURCE#{id}")))
        .unwrap_or_else(|| panic!("no item of source {id}"))
}

fn secret_keys(source_type: SourceType) -> Vec<&'static str> {
    credential_keys(source_type)
        .filter(|k| k.secret)
        .map(|k| k.key)
        .collect()
}

/// The stored envelope of `key`, as the table holds it.
fn envelope(item: &Item, key: &str) -> Item {
    item["sealed_credentials"].as_m().unwrap()[key]
        .as_m()
        .unwrap()
        .clone()
}

/// The fields the source's latest event names.
/// The fields the source's latest write changed.
async fn latest_changes(app: &TestApp, key: &str, id: &str) -> Vec<String> {
    let events = app
        .get(&format!("/v1/sources/{id}/events"), key)
        .await
        .json();
    // The latest write's: a verify may record a health change after it (docs/SPEC.md §22).
    let latest = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] != "health_changed")
        .unwrap();
    latest["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits for the clock's next whole second: timestamps have whole seconds, and a test that
/// wants to see one move must not write twice in one.
async fn next_second() {
    let now = Timestamp::now().to_string();
    while Timestamp::now().to_string() == now {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Canonical JSON (keys sorted, no white space), as the fingerprint of docs/SPEC.md §15 reads a
/// body.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::from(k.as_str()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn every_type_is_stored_sealed_and_the_table_holds_no_secret() {
    let (app, _, key) = app().await;
    for source_type in SourceType::ALL {
        let body = source_body(&format!("sealed-{source_type}"), source_type);
        let created = app
            .send(
                app.http
                    .post(app.url("/v1/sources"))
                    .header(API_KEY_HEADER, &key)
                    .header("idempotency-key", format!("create-{source_type}"))
                    .header("content-type", "application/json")
                    .body(body.to_string()),
            )
            .await;
        integration_tests::register_secrets_in(&body);
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let stored = item(&app, &id).await;
        let clear = stored["credentials"].as_m().unwrap();
        for secret in secret_keys(source_type) {
            assert!(
                !clear.contains_key(secret),
                "{source_type}: {secret} in clear"
            );
            let sealed = envelope(&stored, secret);
            assert_eq!(sealed["v"].as_n().unwrap(), "1");
            // One data key for every secret of the create, named in its context.
            let mut together = secret_keys(source_type);
            together.sort_unstable();
            assert_eq!(sealed["keys"].as_s().unwrap(), &together.join(","));
            let wrap = sealed["wrap"].as_s().unwrap();
            assert!(wrap == "local" || wrap == "kms", "{wrap}");
            // A new value sealed, the old one gone; then a rotation of the signing token.
            // 32 characters: a request key's length, and a valid value of every secret.
            let new_value: String = format!("{source_type}-replaced-0123456789abcdefghijklmnop")
                .chars()
                .take(32)
                .collect();
            let patched = app
                .patch(
                    &format!("/v1/sources/{id}"),
                    &key,
                    &credential_patch(json!({ secret: new_value })),
                )
                .await;
            assert_eq!(patched.status, 200, "{}", patched.text);
        }
        let rotated = app
            .post(
                &format!("/v1/sources/{id}/rotate_secret_token"),
                &key,
                &json!({}),
            )
            .await;
        assert_eq!(rotated.status, 200, "{}", rotated.text);
        if secret_keys(source_type).is_empty() {
            assert!(!stored.contains_key("sealed_credentials"));
        }
        // The idempotency record keeps a keyed fingerprint: not the body's plain digest, which
        // a table reader could check a guessed secret against.
        let record = app
            .db
            .all_items()
            .await
            .into_iter()
            .find(|i| i["SK"].as_s().ok() == Some(&format!("IDEMPOTENCY#create-{source_type}")))
            .expect("the idempotency record");
        let fingerprint = record["fingerprint"].as_s().unwrap();
        let plain = hex::encode(Sha256::digest(canonical(&body["source"]).as_bytes()));
        assert!(fingerprint.starts_with("hmac-sha256:"), "{fingerprint}");
        assert!(!fingerprint.contains(&plain));
    }
    app.db.assert_table_holds_no_secret().await;
}

#[tokio::test]
async fn keeping_a_secret_keeps_its_ciphertext_and_asks_the_key_service_nothing() {
    let (app, keys, key) = app().await;
    let before = keys.requests();
    let created = app
        .post("/v1/sources", &key, &source_body("kept", SourceType::S3))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        keys.requests() - before,
        1,
        "a create seals with one request"
    );
    let created = created.json();
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/sources/{id}");
    let sealed = envelope(&item(&app, &id).await, "secret_access_key");
    assert_eq!(created["secrets_updated_at"], created["created_at"]);

    next_second().await;
    let before = keys.requests();
    let writes = [
        credential_patch(json!({"secret_access_key": "****", "prefix": "kept/"})),
        credential_patch(json!({"bucket": "other-bucket"})),
        json!({"source": {"source": "kept-renamed"}}),
        json!({"source": {"enabled": false}}),
    ];
    for body in &writes {
        let response = app.patch(&path, &key, body).await;
        assert_eq!(response.status, 200, "{body}: {}", response.text);
        assert_eq!(
            response.json()["secrets_updated_at"],
            created["secrets_updated_at"],
            "{body}"
        );
    }
    let rotated = app
        .post(&format!("{path}/rotate_secret_token"), &key, &json!({}))
        .await;
    assert_eq!(rotated.status, 200);
    for read in [
        path.clone(),
        "/v1/sources".to_owned(),
        format!("{path}/events"),
    ] {
        assert_eq!(app.get(&read, &key).await.status, 200, "{read}");
    }
    assert_eq!(
        keys.requests(),
        before,
        "no key request for what sets no secret"
    );
    let stored = item(&app, &id).await;
    assert_eq!(
        envelope(&stored, "secret_access_key"),
        sealed,
        "the same ciphertext"
    );
    assert_eq!(stored["version"].as_n().unwrap(), "6");

    // A new secret: one request, a new ciphertext, `secrets_updated_at` moves.
    let changed = app
        .patch(
            &path,
            &key,
            &credential_patch(json!({"secret_access_key": "a-new-storage-secret-0123"})),
        )
        .await;
    assert_eq!(changed.status, 200);
    assert_eq!(keys.requests() - before, 1);
    assert_ne!(
        envelope(&item(&app, &id).await, "secret_access_key"),
        sealed
    );
    let changed = changed.json();
    assert_ne!(changed["secrets_updated_at"], created["secrets_updated_at"]);
    assert_eq!(changed["secrets_updated_at"], changed["updated_at"]);

    // Opening costs one request: the verify check, and a `?verify=true` PATCH that keeps it.
    let before = keys.requests();
    let verified = app.post(&format!("{path}/verify"), &key, &json!({})).await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(keys.requests() - before, 1);
    assert_eq!(
        latest_changes(&app, &key, &id).await,
        ["credentials.secret_access_key", "secrets_updated_at"]
    );
    app.db.assert_table_holds_no_secret().await;
}

#[tokio::test]
async fn a_ciphertext_moved_to_another_source_or_key_does_not_open() {
    let (app, _, key) = app().await;
    let mut ids = Vec::new();
    for (name, source_type) in [
        ("origin", SourceType::S3),
        ("target", SourceType::S3),
        ("other-key", SourceType::Gcs),
    ] {
        let created = app
            .post("/v1/sources", &key, &source_body(name, source_type))
            .await;
        assert_eq!(created.status, 201);
        ids.push(created.json()["id"].as_str().unwrap().to_owned());
    }
    let origin = envelope(&item(&app, &ids[0]).await, "secret_access_key");
    let graft = |id: &str, key: &str| {
        let id = id.to_owned();
        let sealed = AttributeValue::M(HashMap::from([(
            key.to_owned(),
            AttributeValue::M(origin.clone()),
        )]));
        let db = &app.db;
        async move {
            db.inspector
                .update_item()
                .table_name(&db.table)
                .key("PK", AttributeValue::S("ACCOUNT#acme".into()))
                .key("SK", AttributeValue::S(format!("SOURCE#{id}")))
                .update_expression("SET sealed_credentials = :sealed")
                .expression_attribute_values(":sealed", sealed)
                .send()
                .await
                .unwrap();
        }
    };
    // Another source's ciphertext, and the same ciphertext under another credential key.
    graft(&ids[1], "secret_access_key").await;
    graft(&ids[2], "secret").await;
    for id in &ids[1..] {
        let verified = app
            .post(&format!("/v1/sources/{id}/verify"), &key, &json!({}))
            .await;
        assert_eq!(verified.status, 500, "{}", verified.text);
        assert_eq!(verified.errors(), ["Internal server error"]);
        // Reads never open: the source still shows, its secret as `****`.
        let shown = app.get(&format!("/v1/sources/{id}"), &key).await;
        assert_eq!(shown.status, 200);
        assert!(shown.text.contains("\"****\""));
    }
    let reasons = captured_logs()
        .into_iter()
        .filter(|line| line.contains("a sealed secret does not open"))
        .count();
    assert!(reasons >= 2, "the reason is logged");
}

#[tokio::test]
async fn a_secret_stored_before_sealing_is_read_as_is_and_sealed_at_its_next_write() {
    let (app, _, key) = app().await;
    let created = app
        .post("/v1/sources", &key, &source_body("legacy", SourceType::S3))
        .await
        .json();
    let id = created["id"].as_str().unwrap();
    let secret = credentials(SourceType::S3)["secret_access_key"]
        .as_str()
        .unwrap()
        .to_owned();
    make_legacy(&app, id, "secret_access_key", &secret).await;

    let shown = app.get(&format!("/v1/sources/{id}"), &key).await.json();
    assert_eq!(shown["credentials"]["secret_access_key"], "****");
    assert_eq!(shown["secrets_updated_at"], shown["updated_at"]);
    let verified = app
        .post(&format!("/v1/sources/{id}/verify"), &key, &json!({}))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text);

    next_second().await;
    let renamed = app
        .patch(
            &format!("/v1/sources/{id}"),
            &key,
            &json!({"source": {"source": "legacy-renamed"}}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(
        renamed.json()["secrets_updated_at"],
        shown["secrets_updated_at"]
    );
    let stored = item(&app, id).await;
    assert!(
        !stored["credentials"]
            .as_m()
            .unwrap()
            .contains_key("secret_access_key")
    );
    envelope(&stored, "secret_access_key");
    assert_eq!(
        app.db.stored_credentials("acme", id).await["secret_access_key"],
        secret
    );
    // Sealing it was no change of the secret: the event names the rename only.
    assert_eq!(latest_changes(&app, &key, id).await, ["source"]);
    app.db.assert_table_holds_no_secret().await;
}

/// Rewrites a stored source as code before sealing wrote it: the secret in clear among the
/// credentials, no sealed ones, no `secrets_updated_at`.
async fn make_legacy(app: &TestApp, id: &str, key: &str, secret: &str) {
    app.db
        .inspector
        .update_item()
        .table_name(&app.db.table)
        .key("PK", AttributeValue::S("ACCOUNT#acme".into()))
        .key("SK", AttributeValue::S(format!("SOURCE#{id}")))
        .update_expression(
            "SET credentials.#key = :secret REMOVE sealed_credentials, secrets_updated_at, due_shard, due_at, check_rev",
        )
        .expression_attribute_names("#key", key)
        .expression_attribute_values(":secret", AttributeValue::S(secret.to_owned()))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn seal_secrets_seals_every_secret_in_place_and_loses_no_concurrent_write() {
    let (app, keys, key) = app().await;
    const SOURCES: usize = 30;
    let mut sources = Vec::new();
    for n in 0..SOURCES {
        let secret = format!("legacy-secret-{n:02}-0123456789");
        integration_tests::register_storage_secret(&secret);
        let created = app
            .post(
                "/v1/sources",
                &key,
                &source_body(&format!("legacy-{n}"), SourceType::R2),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.json()["id"].as_str().unwrap().to_owned();
        make_legacy(&app, &id, "secret", &secret).await;
        sources.push((id, secret));
    }

    // The command and a PATCH of every other source at once: each PATCH changes the prefix, and
    // every fourth source the secret too.
    let store = app.db.store.clone();
    let sealing = {
        let keys = keys.clone();
        tokio::spawn(
            async move { image_sources::sealing::seal_secrets(&store, &keys, |_| {}).await },
        )
    };
    let mut patches = tokio::task::JoinSet::new();
    for (n, (id, _)) in sources.iter().enumerate().filter(|(n, _)| n % 2 == 0) {
        let mut attributes = json!({"prefix": format!("patched-{n}/")});
        if n % 4 == 0 {
            attributes["secret"] = json!(format!("patched-secret-{n:02}-0123456789"));
        }
        let body = credential_patch(attributes);
        integration_tests::register_secrets_in(&body);
        let request = app
            .http
            .patch(app.url(&format!("/v1/sources/{id}")))
            .header(API_KEY_HEADER, &key)
            .header("content-type", "application/json")
            .body(body.to_string());
        patches.spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
    }
    while let Some(done) = patches.join_next().await {
        assert_eq!(done.unwrap().unwrap(), 200);
    }
    let summary = sealing.await.unwrap().unwrap();
    assert_eq!(summary.sources, SOURCES);
    // Nobody else writes the odd ones: the command sealed them. A patched one was sealed by
    // whichever came first.
    assert!(summary.sealed >= SOURCES / 2, "{summary:?}");
    assert!(
        summary.sealed + summary.changed_meanwhile <= SOURCES,
        "{summary:?}"
    );

    for (n, (id, secret)) in sources.iter().enumerate() {
        let stored = item(&app, id).await;
        assert!(
            !stored["credentials"].as_m().unwrap().contains_key("secret"),
            "{n}"
        );
        let values = app.db.stored_credentials("acme", id).await;
        let (prefix, expected) = match n {
            n if n % 4 == 0 => (
                format!("patched-{n}/"),
                format!("patched-secret-{n:02}-0123456789"),
            ),
            n if n % 2 == 0 => (format!("patched-{n}/"), secret.clone()),
            _ => ("p/".to_owned(), secret.clone()),
        };
        assert_eq!(values["prefix"], prefix, "source {n}");
        assert_eq!(values["secret"], expected, "source {n}");
        // Sealing in place changes no version: only the PATCHes did.
        let version = if n % 2 == 0 { "2" } else { "1" };
        assert_eq!(stored["version"].as_n().unwrap(), version, "source {n}");
    }
    // Every source is in the due index again (docs/SPEC.md §22): the command scheduled those
    // nobody else wrote; a PATCH that changed credentials made the others due itself.
    assert!(summary.scheduled >= SOURCES / 2, "{summary:?}");
    let now = shared::domain::Timestamp::now();
    let mut due = 0;
    for shard in shared::store::table::DUE_SHARDS {
        due += app
            .db
            .store
            .due_checks(shard, now, 1_000)
            .await
            .unwrap()
            .checks
            .len();
    }
    assert_eq!(due, SOURCES);
    // Again: nothing left to seal or schedule, and no key request.
    let before = keys.requests();
    let again = image_sources::sealing::seal_secrets(&app.db.store, &keys, |_| {})
        .await
        .unwrap();
    assert_eq!(
        (again.sources, again.sealed, again.scheduled),
        (SOURCES, 0, 0)
    );
    assert_eq!(keys.requests(), before);
    app.db.assert_table_holds_no_secret().await;
}
