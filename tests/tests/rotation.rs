//! Signing-token rotation with a grace period (docs/SPEC.md §13), and the CDN's signature check.

use std::collections::BTreeMap;

use integration_tests::fixtures::{API_KEY_HEADER, credential_patch, source_body};
use integration_tests::{TestApp, TestResponse, join_all, lambda_request, spawn_app};
use serde_json::{Value, json};
use shared::domain::signing::{boss_token, verify_boss_token};
use shared::domain::{AccountId, Source, SourceId, SourceType, Timestamp};
use shared::functions::dispatch;
use shared::http::Endpoint;

const ACCOUNT: &str = "acme";
const PATH: &str = "/rotated/w_300/photo.jpg";

async fn app_with_source() -> (TestApp, String, Value) {
    let app = spawn_app().await;
    let key = app.db.api_key(ACCOUNT).await;
    let created = app
        .post("/v1/sources", &key, &source_body("rotated", SourceType::S3))
        .await;
    assert_eq!(created.status, 201);
    (app, key, created.json())
}

fn rotate_path(source: &Value) -> String {
    format!(
        "/v1/sources/{}/rotate_secret_token",
        source["id"].as_str().unwrap()
    )
}

async fn rotate(app: &TestApp, key: &str, source: &Value, body: Option<Value>) -> TestResponse {
    let mut request = app
        .http
        .post(app.url(&rotate_path(source)))
        .header(API_KEY_HEADER, key);
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    app.send(request).await
}

/// The source as the store holds it (the CDN's view).
async fn stored(app: &TestApp, source: &Value) -> Source {
    app.db
        .store
        .get_source(
            &AccountId::parse(ACCOUNT).unwrap(),
            &SourceId::parse(source["id"].as_str().unwrap()).unwrap(),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_rotation_shows_the_new_token_and_the_previous_one_with_its_expiry() {
    let (app, key, created) = app_with_source().await;
    let before = Timestamp::now();
    let rotated = rotate(&app, &key, &created, Some(json!({"grace_period": 3600}))).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_eq!(rotated.header("etag"), Some("\"2\""));
    let body = rotated.json();
    let credentials = &body["credentials"];
    let old = created["credentials"]["secret_token"].as_str().unwrap();
    let new = credentials["secret_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(new.len(), 64);
    assert_eq!(credentials["previous_secret_token"], old);
    let expires = Timestamp::parse(
        credentials["previous_secret_token_expires_at"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let grace = expires.unix_seconds() - before.unix_seconds();
    assert!((3599..=3601).contains(&grace), "{grace}");
    assert_eq!(
        app.get(created_path(&created).as_str(), &key).await.json(),
        body
    );
}

fn created_path(source: &Value) -> String {
    format!("/v1/sources/{}", source["id"].as_str().unwrap())
}

#[tokio::test]
async fn the_default_grace_period_is_a_day_and_an_empty_body_is_fine() {
    let (app, key, created) = app_with_source().await;
    let before = Timestamp::now();
    let rotated = rotate(&app, &key, &created, None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let expires = Timestamp::parse(
        rotated.json()["credentials"]["previous_secret_token_expires_at"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let grace = expires.unix_seconds() - before.unix_seconds();
    assert!((86_399..=86_401).contains(&grace), "{grace}");
}

#[tokio::test]
async fn the_old_token_signs_until_its_expiry_and_the_new_one_at_once() {
    let (app, key, created) = app_with_source().await;
    let rotated = rotate(&app, &key, &created, Some(json!({"grace_period": 600}))).await;
    assert_eq!(rotated.status, 200);
    let source = stored(&app, &created).await;
    let previous = source.previous_token.clone().expect("a previous token");
    assert_eq!(
        previous.token.expose(),
        created["credentials"]["secret_token"].as_str().unwrap()
    );
    let old_signature = boss_token(&previous.token, PATH);
    let new_signature = boss_token(&source.secret_token, PATH);
    let just_before = previous.expires_at.plus_seconds(-1).unwrap();
    assert!(verify_boss_token(
        &source,
        PATH,
        &old_signature,
        just_before
    ));
    assert!(!verify_boss_token(
        &source,
        PATH,
        &old_signature,
        previous.expires_at
    ));
    let now = Timestamp::now();
    assert!(verify_boss_token(&source, PATH, &new_signature, now));
    let much_later = previous.expires_at.plus_seconds(86_400).unwrap();
    assert!(verify_boss_token(&source, PATH, &new_signature, much_later));
    // A signature of another path, a malformed one, or a path under another source is no good.
    assert!(!verify_boss_token(
        &source,
        "/rotated/other.jpg",
        &new_signature,
        now
    ));
    assert!(!verify_boss_token(&source, PATH, &new_signature[..63], now));
    assert!(!verify_boss_token(
        &source,
        PATH,
        &new_signature.to_uppercase(),
        now
    ));
    let elsewhere = "/other/w_300/photo.jpg";
    let signed_elsewhere = boss_token(&source.secret_token, elsewhere);
    assert!(!verify_boss_token(
        &source,
        elsewhere,
        &signed_elsewhere,
        now
    ));
    // Names compare case-insensitively, and the path is signed as given.
    let upper = "/Rotated/w_300/photo.jpg";
    assert!(verify_boss_token(
        &source,
        upper,
        &boss_token(&source.secret_token, upper),
        now
    ));
}

#[tokio::test]
async fn rotating_twice_in_the_grace_period_keeps_only_the_latest_previous_token() {
    let (app, key, created) = app_with_source().await;
    let original = stored(&app, &created).await.secret_token;
    let first = rotate(&app, &key, &created, None).await.json();
    let second = rotate(&app, &key, &created, None).await.json();
    assert_eq!(
        second["credentials"]["previous_secret_token"],
        first["credentials"]["secret_token"]
    );
    let source = stored(&app, &created).await;
    assert_eq!(source.version, 3);
    let now = Timestamp::now();
    let previous = source.previous_token.as_ref().expect("a previous token");
    assert!(verify_boss_token(
        &source,
        PATH,
        &boss_token(&previous.token, PATH),
        now
    ));
    assert!(!verify_boss_token(
        &source,
        PATH,
        &boss_token(&original, PATH),
        now
    ));
}

#[tokio::test]
async fn a_zero_grace_period_or_an_expired_one_shows_no_previous_token() {
    let (app, key, created) = app_with_source().await;
    let rotated = rotate(&app, &key, &created, Some(json!({"grace_period": 0}))).await;
    assert_eq!(rotated.status, 200);
    let credentials = rotated.json()["credentials"].clone();
    assert!(
        credentials.get("previous_secret_token").is_none(),
        "{credentials}"
    );
    assert!(
        credentials
            .get("previous_secret_token_expires_at")
            .is_none()
    );

    // An hour's grace, then the stored expiry moved into the past: gone from every answer.
    let rotated = rotate(&app, &key, &created, Some(json!({"grace_period": 3600}))).await;
    assert!(rotated.json()["credentials"]["previous_secret_token"].is_string());
    app.db
        .inspector
        .update_item()
        .table_name(&app.db.table)
        .key(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("ACCOUNT#{ACCOUNT}")),
        )
        .key(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S(format!(
                "SOURCE#{}",
                created["id"].as_str().unwrap()
            )),
        )
        .update_expression("SET previous_secret_token_expires_at = :past")
        .expression_attribute_values(
            ":past",
            aws_sdk_dynamodb::types::AttributeValue::S("2020-01-01T00:00:00Z".into()),
        )
        .send()
        .await
        .unwrap();
    let fetched = app.get(&created_path(&created), &key).await.json();
    assert!(
        fetched["credentials"]
            .get("previous_secret_token")
            .is_none(),
        "{fetched}"
    );
    assert!(
        fetched["credentials"]
            .get("previous_secret_token_expires_at")
            .is_none()
    );
}

#[tokio::test]
async fn sixteen_concurrent_rotations_leave_a_consistent_source() {
    let (app, key, created) = app_with_source().await;
    let app = std::sync::Arc::new(app);
    let answers = join_all(
        (0..16)
            .map(|_| {
                let (app, key, created) = (app.clone(), key.clone(), created.clone());
                async move { rotate(&app, &key, &created, None).await }
            })
            .collect(),
    )
    .await;
    let mut by_version = BTreeMap::new();
    for answer in &answers {
        assert_eq!(answer.status, 200, "{}", answer.text);
        let version: u64 = answer
            .header("etag")
            .unwrap()
            .trim_matches('"')
            .parse()
            .unwrap();
        let token = answer.json()["credentials"]["secret_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            by_version.insert(version, token).is_none(),
            "version {version} twice"
        );
    }
    // Each rotation its own version: 2..=17.
    assert_eq!(
        by_version.keys().copied().collect::<Vec<_>>(),
        (2..=17).collect::<Vec<_>>()
    );
    let source = stored(&app, &created).await;
    assert_eq!(source.version, 17);
    assert_eq!(source.secret_token.expose(), by_version[&17]);
    let previous = source.previous_token.expect("a previous token");
    assert_eq!(previous.token.expose(), by_version[&16]);
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let (app, key, created) = app_with_source().await;
    let stale = app
        .send(
            app.http
                .post(app.url(&rotate_path(&created)))
                .header(API_KEY_HEADER, &key)
                .header("if-match", "\"7\""),
        )
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(app.get(&created_path(&created), &key).await.json(), created);
    let fresh = app
        .send(
            app.http
                .post(app.url(&rotate_path(&created)))
                .header(API_KEY_HEADER, &key)
                .header("if-match", "\"1\""),
        )
        .await;
    assert_eq!(fresh.status, 200);
}

#[tokio::test]
async fn bad_rotation_bodies_are_refused_and_change_nothing() {
    let (app, key, created) = app_with_source().await;
    for (body, status, message) in [
        (
            json!({"grace_period": 604_801}),
            422,
            "Grace period must be an integer from 0 to 604800 seconds",
        ),
        (
            json!({"grace_period": "60"}),
            422,
            "Grace period must be an integer from 0 to 604800 seconds",
        ),
        (
            json!({"grace": 60}),
            422,
            "Attribute grace is not supported",
        ),
        (json!([60]), 400, "Request body must be a JSON object"),
    ] {
        let answer = rotate(&app, &key, &created, Some(body.clone())).await;
        assert_eq!(answer.status, status, "{body}");
        assert_eq!(answer.errors(), [message], "{body}");
    }
    let unknown = app
        .send(
            app.http
                .post(app.url("/v1/sources/000000000000000000000000/rotate_secret_token"))
                .header(API_KEY_HEADER, &key),
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(app.get(&created_path(&created), &key).await.json(), created);
}

#[tokio::test]
async fn clients_cannot_set_the_previous_token_or_its_expiry() {
    let (app, key, created) = app_with_source().await;
    let patched = app
        .patch(
            &created_path(&created),
            &key,
            &credential_patch(json!({
                "previous_secret_token": "0".repeat(64),
                "previous_secret_token_expires_at": "2030-01-01T00:00:00Z"
            })),
        )
        .await;
    assert_eq!(patched.status, 422);
    assert_eq!(
        patched.errors(),
        [
            "Credential previous_secret_token is read-only",
            "Credential previous_secret_token_expires_at is read-only"
        ]
    );
}

#[tokio::test]
async fn a_rotation_is_one_read_and_one_conditional_write_with_its_event() {
    let (app, _, created) = app_with_source().await;
    let state = integration_tests::app_state(app.db.store.clone()).await;
    app.db.counter.reset();
    let request = lambda_request(
        Endpoint::RotateSecretToken,
        created["id"].as_str(),
        Some(br#"{"grace_period": 60}"#.to_vec()),
    );
    let response = dispatch(&state, Endpoint::RotateSecretToken, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.db.counter.snapshot(),
        [
            ("GetItem".to_owned(), 1),
            ("TransactWriteItems".to_owned(), 1)
        ]
        .into()
    );
}
