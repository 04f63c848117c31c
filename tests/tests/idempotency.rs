//! Idempotent creates (docs/SPEC.md §15) through the local gateway.

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::fixtures::{API_KEY_HEADER, source_body};
use integration_tests::{TestApp, TestResponse, join_all, spawn_app};
use serde_json::{Value, json};
use shared::domain::SourceType;
use shared::domain::idempotency::{IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_TTL_SECONDS};

const REPLAYED: &str = "idempotent-replayed";
const REUSED: &str = "Idempotency-Key has already been used with a different request";

async fn create_with_key(app: &TestApp, api_key: &str, key: &str, body: &Value) -> TestResponse {
    integration_tests::register_secrets_in(body);
    app.send(
        app.http
            .post(app.url("/v1/sources"))
            .header(API_KEY_HEADER, api_key)
            .header(IDEMPOTENCY_KEY_HEADER, key)
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
}

async fn sources(app: &TestApp, api_key: &str) -> Vec<Value> {
    app.get("/v1/sources", api_key)
        .await
        .json()
        .as_array()
        .unwrap()
        .clone()
}

/// The account's idempotency records, as the table holds them.
async fn records(
    app: &TestApp,
    account: &str,
) -> Vec<std::collections::HashMap<String, AttributeValue>> {
    app.db
        .all_items()
        .await
        .into_iter()
        .filter(|item| {
            item["PK"].as_s().ok() == Some(&format!("ACCOUNT#{account}"))
                && item["SK"]
                    .as_s()
                    .is_ok_and(|sk| sk.starts_with("IDEMPOTENCY#"))
        })
        .collect()
}

#[tokio::test]
async fn the_same_key_and_body_twice_create_one_source_and_replay_the_second() {
    let app = spawn_app().await;
    let api_key = app.db.api_key("acme").await;
    let body = source_body("retried", SourceType::S3);
    let first = create_with_key(&app, &api_key, "order-42", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.header(REPLAYED), None);
    let second = create_with_key(&app, &api_key, "order-42", &body).await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(second.header(REPLAYED), Some("true"));
    assert_eq!(second.json(), first.json());
    assert_eq!(second.header("location"), first.header("location"));
    assert_eq!(second.header("etag"), first.header("etag"));
    assert_eq!(sources(&app, &api_key).await.len(), 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422_and_creates_nothing() {
    let app = spawn_app().await;
    let api_key = app.db.api_key("acme").await;
    let first = create_with_key(&app, &api_key, "k", &source_body("one", SourceType::S3)).await;
    assert_eq!(first.status, 201);
    let other = create_with_key(&app, &api_key, "k", &source_body("two", SourceType::S3)).await;
    assert_eq!(other.status, 422);
    assert_eq!(other.errors(), [REUSED]);
    assert_eq!(sources(&app, &api_key).await, [first.json()]);
}

#[tokio::test]
async fn a_body_in_another_key_order_and_spacing_is_the_same_request() {
    let app = spawn_app().await;
    let api_key = app.db.api_key("acme").await;
    let first = create_with_key(
        &app,
        &api_key,
        "k",
        &json!({"source": {"source": "same", "source_type": "url",
            "credential_attributes": {"url": "https://example.com/", "require_token": "true"}}}),
    )
    .await;
    assert_eq!(first.status, 201);
    let reordered = app
        .send(
            app.http
                .post(app.url("/v1/sources"))
                .header(API_KEY_HEADER, &api_key)
                .header(IDEMPOTENCY_KEY_HEADER, "k")
                .body(r#"{"source": {"credential_attributes": {"require_token": "true", "url": "https://example.com/"}, "source_type": "url", "source": "same"}}"#),
        )
        .await;
    assert_eq!(reordered.status, 201, "{}", reordered.text);
    assert_eq!(reordered.header(REPLAYED), Some("true"));
}

#[tokio::test]
async fn sixteen_concurrent_requests_with_one_key_create_one_source() {
    let app = spawn_app().await;
    let api_key = app.db.api_key("acme").await;
    let body = source_body("raced", SourceType::R2);
    let app = std::sync::Arc::new(app);
    let answers = join_all(
        (0..16)
            .map(|_| {
                let (app, api_key, body) = (app.clone(), api_key.clone(), body.clone());
                async move { create_with_key(&app, &api_key, "race", &body).await }
            })
            .collect(),
    )
    .await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|answer| {
            assert_eq!(answer.status, 201, "{}", answer.text);
            answer.json()["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let replays = answers
        .iter()
        .filter(|a| a.header(REPLAYED) == Some("true"))
        .count();
    assert_eq!(replays, 15);
    assert_eq!(sources(&app, &api_key).await.len(), 1);
    assert_eq!(app.db.name_claims().await, ["NAME#raced"]);
}

#[tokio::test]
async fn the_same_key_in_two_accounts_creates_two_sources() {
    let app = spawn_app().await;
    let acme = app.db.api_key("acme").await;
    let other = app.db.api_key("other").await;
    let a = create_with_key(
        &app,
        &acme,
        "shared-key",
        &source_body("acme-src", SourceType::S3),
    )
    .await;
    let b = create_with_key(
        &app,
        &other,
        "shared-key",
        &source_body("other-src", SourceType::S3),
    )
    .await;
    assert_eq!((a.status, b.status), (201, 201));
    assert_eq!(b.header(REPLAYED), None);
    assert_ne!(a.json()["id"], b.json()["id"]);
    assert_eq!(records(&app, "acme").await.len(), 1);
    assert_eq!(records(&app, "other").await.len(), 1);
}

#[tokio::test]
async fn a_refused_create_records_nothing_and_the_fixed_request_then_succeeds() {
    let app = spawn_app().await;
    let api_key = app.db.api_key("acme").await;
    let mut broken = source_body("fixed-later", SourceType::S3);
    broken["source"]["credential_attributes"]["bucket"] = json!("Not A Bucket");
    let refused = create_with_key(&app, &api_key, "k", &broken).await;
    assert_eq!(refused.status, 422);
    assert!(records(&app, "acme").await.is_empty());
    // A name taken by another account is refused inside the transaction: nothing recorded either.
    let taken_key = app.db.api_key("other").await;
    let taker = create_with_key(&app, &taken_key, "x", &source_body("taken", SourceType::S3)).await;
    assert_eq!(taker.status, 201);
    let clash = create_with_key(&app, &api_key, "k", &source_body("taken", SourceType::S3)).await;
    assert_eq!(clash.errors(), ["Source has already been taken"]);
    assert!(records(&app, "acme").await.is_empty());

    let fixed = create_with_key(
        &app,
        &api_key,
        "k",
        &source_body("fixed-later", SourceType::S3),
    )
    .await;
    assert_eq!(fixed.status, 201, "{}", fixed.text);
    assert_eq!(fixed.header(REPLAYED), None);
}

#[tokio::test]
async fn the_record_expires_by_the_tables_ttl_attribute_after_24_hours() {
    let app = spawn_app().await;
    let api_key = app.db.api_key("acme").await;
    let created = create_with_key(&app, &api_key, "k", &source_body("ttl", SourceType::S3)).await;
    assert_eq!(created.status, 201);
    let records = records(&app, "acme").await;
    assert_eq!(records.len(), 1);
    let created_at =
        shared::domain::Timestamp::parse(created.json()["created_at"].as_str().unwrap())
            .unwrap()
            .unix_seconds();
    let expires_at: i64 = records[0][shared::store::table::TTL_ATTRIBUTE]
        .as_n()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(expires_at, created_at + IDEMPOTENCY_TTL_SECONDS);
    let ttl = app
        .db
        .inspector
        .describe_time_to_live()
        .table_name(&app.db.table)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description()
            .and_then(|d| d.attribute_name()),
        Some(shared::store::table::TTL_ATTRIBUTE)
    );
}

#[tokio::test]
async fn an_expired_record_that_ttl_has_not_removed_yet_no_longer_counts() {
    let app = spawn_app().await;
    let api_key = app.db.api_key("acme").await;
    let first = create_with_key(&app, &api_key, "k", &source_body("first", SourceType::S3)).await;
    assert_eq!(first.status, 201);
    // DynamoDB deletes expired items up to days late: move the record's expiry into the past.
    let record = &records(&app, "acme").await[0];
    app.db
        .inspector
        .update_item()
        .table_name(&app.db.table)
        .key("PK", record["PK"].clone())
        .key("SK", record["SK"].clone())
        .update_expression("SET expires_at = :past")
        .expression_attribute_values(":past", AttributeValue::N("1000".into()))
        .send()
        .await
        .unwrap();
    let second = create_with_key(&app, &api_key, "k", &source_body("second", SourceType::S3)).await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(second.header(REPLAYED), None);
    assert_eq!(sources(&app, &api_key).await.len(), 2);
}

#[tokio::test]
async fn a_replay_shows_the_source_as_it_is_now_and_404_once_deleted() {
    let app = spawn_app().await;
    let api_key = app.db.api_key("acme").await;
    let body = source_body("changing", SourceType::S3);
    let created = create_with_key(&app, &api_key, "k", &body).await;
    let path = created.header("location").unwrap().to_owned();
    let patched = app
        .patch(&path, &api_key, &json!({"source": {"enabled": false}}))
        .await;
    assert_eq!(patched.status, 200);
    let replayed = create_with_key(&app, &api_key, "k", &body).await;
    assert_eq!(replayed.status, 201);
    assert_eq!(replayed.json(), patched.json());
    assert_eq!(replayed.header("etag"), Some("\"2\""));

    assert_eq!(app.delete(&path, &api_key).await.status, 200);
    let gone = create_with_key(&app, &api_key, "k", &body).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.errors(), ["Source not found"]);
    assert_eq!(gone.header(REPLAYED), Some("true"));
    assert!(
        sources(&app, &api_key).await.is_empty(),
        "nothing created again"
    );
}

#[tokio::test]
async fn a_malformed_key_is_400_and_creates_nothing() {
    let app = spawn_app().await;
    let api_key = app.db.api_key("acme").await;
    let body = source_body("never", SourceType::S3);
    let long = "k".repeat(256);
    for key in [&b""[..], long.as_bytes(), b"tab\tinside", b"caf\xc3\xa9"] {
        let answer = app
            .send(
                app.http
                    .post(app.url("/v1/sources"))
                    .header(API_KEY_HEADER, &api_key)
                    .header(
                        IDEMPOTENCY_KEY_HEADER,
                        reqwest::header::HeaderValue::from_bytes(key).unwrap(),
                    )
                    .body(body.to_string()),
            )
            .await;
        assert_eq!(answer.status, 400, "{key:?}");
        assert_eq!(
            answer.errors(),
            ["Idempotency-Key must be 1 to 255 printable ASCII characters"]
        );
    }
    let twice = app
        .send(
            app.http
                .post(app.url("/v1/sources"))
                .header(API_KEY_HEADER, &api_key)
                .header(IDEMPOTENCY_KEY_HEADER, "a")
                .header(IDEMPOTENCY_KEY_HEADER, "b")
                .body(body.to_string()),
        )
        .await;
    assert_eq!(twice.status, 400);
    assert_eq!(twice.errors(), ["Idempotency-Key must be given once"]);
    assert!(sources(&app, &api_key).await.is_empty());
}

#[tokio::test]
async fn a_create_with_a_key_is_still_one_transaction() {
    let app = spawn_app().await;
    let api_key = app.db.api_key("acme").await;
    app.db.counter.reset();
    let created =
        create_with_key(&app, &api_key, "k", &source_body("counted", SourceType::S3)).await;
    assert_eq!(created.status, 201);
    assert_eq!(
        app.db.counter.snapshot(),
        [
            ("GetItem".to_owned(), 1), // the authorizer
            ("TransactWriteItems".to_owned(), 1)
        ]
        .into()
    );
}

#[tokio::test]
async fn the_record_holds_no_secret_and_nothing_of_the_response() {
    let app = spawn_app().await;
    let api_key = app.db.api_key("acme").await;
    let body = source_body("secretive", SourceType::Azure);
    let created = create_with_key(&app, &api_key, "k", &body).await;
    assert_eq!(created.status, 201);
    let record = format!("{:?}", records(&app, "acme").await);
    let sas = body["source"]["credential_attributes"]["sas_token"]
        .as_str()
        .unwrap();
    let token = created.json()["credentials"]["secret_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for secret in [sas, token.as_str(), &api_key] {
        assert!(!record.contains(secret), "{record}");
    }
    let mut names: Vec<&str> = vec![];
    let records = records(&app, "acme").await;
    names.extend(records[0].keys().map(String::as_str));
    names.sort();
    assert_eq!(
        names,
        [
            "PK",
            "SK",
            "created_at",
            "expires_at",
            "fingerprint",
            "idempotency_key",
            "source_id",
            "status"
        ]
    );
}
