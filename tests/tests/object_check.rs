//! The object check (docs/SPEC.md §25): `POST /v1/sources/{id}/verify` with `{"path": …}` fetches
//! that object as the CDN would, from s3s-fs (SigV4 checked), Azurite and a web server on
//! loopback, and reports its status, type and length, or the storage's answer in words; never a
//! byte of it. A path that is not one is 422 before anything is counted or fetched.

use std::sync::Arc;

use integration_tests::fixtures::{API_KEY_HEADER, credentials, source_with};
use integration_tests::storage::{
    Reply, S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY, S3Options, S3Server, TestNetwork, WebServer,
    azurite, azurite_account_sas, azurite_blob, azurite_container,
};
use integration_tests::{TestApp, TestResponse, assert_no_registered_leaks, register_secret};
use serde_json::{Value, json};
use shared::domain::{AzureService, SourceType};
use shared::verify::Provider;

/// What the object holds: the answer must never carry it.
const MARKER: &str = "OBJECT-BYTES-NEVER-IN-A-REPORT";

fn image(len: usize) -> Vec<u8> {
    let mut bytes = MARKER.as_bytes().to_vec();
    bytes.resize(len, b'x');
    bytes
}

async fn create(app: &TestApp, key: &str, body: &Value) -> String {
    let created = app.post("/v1/sources", key, body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()["id"].as_str().unwrap().to_owned()
}

async fn verify(app: &TestApp, key: &str, id: &str, body: &Value) -> TestResponse {
    app.send(
        app.http
            .post(app.url(&format!("/v1/sources/{id}/verify")))
            .header(API_KEY_HEADER, key)
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
}

/// The object check of a verification of `path`, after the credentials' checks.
async fn object_check(app: &TestApp, key: &str, id: &str, path: &str) -> Value {
    let response = verify(app, key, id, &json!({"path": path})).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert!(!response.text.contains(MARKER), "{}", response.text);
    let checks = response.json()["verification"]["checks"].clone();
    let last = checks.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["check"], "object", "{checks}");
    last
}

fn s3_source(name: &str) -> Value {
    let mut attributes = credentials(SourceType::S3);
    attributes.insert("access_key_id".into(), json!(S3_ACCESS_KEY));
    attributes.insert("secret_access_key".into(), json!(S3_SECRET_KEY));
    attributes.insert("bucket".into(), json!(S3_BUCKET));
    attributes.insert("prefix".into(), json!("masters/"));
    source_with(name, SourceType::S3, attributes)
}

#[tokio::test]
async fn an_s3_object_is_found_by_its_key_under_the_prefix_or_said_missing() {
    let s3 = S3Server::start(S3Options::default()).await;
    s3.put_object("masters/photos/cat.jpg", &image(245_120));
    let network = TestNetwork::start().await;
    let provider = Provider::of(SourceType::S3).unwrap();
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[(provider, &s3.endpoint)]))
        .spawn()
        .await;
    let key = app.db.api_key("acme").await;
    let id = create(&app, &key, &s3_source("objects")).await;
    let found = object_check(&app, &key, &id, "/photos/cat.jpg").await;
    assert_eq!(found["result"], "ok", "{found}");
    assert_eq!(found["status"], 200);
    assert_eq!(
        found["content_length"], 245_120,
        "the whole length, read 64 KiB at most"
    );
    assert!(found.get("message").is_none());
    let missing = object_check(&app, &key, &id, "/photos/dog.jpg").await;
    assert_eq!(
        missing,
        json!({"check": "object", "result": "failed", "status": 404,
            "message": "The storage has no object at this path (HTTP 404)"})
    );
    // The credentials' verdict is the verification's: a missing object does not fail the
    // source's health.
    let health = app.get(&format!("/v1/sources/{id}"), &key).await.json()["health"].clone();
    assert_eq!(health["status"], "ok", "{health}");
    assert_no_registered_leaks();
}

#[tokio::test]
async fn a_web_folders_object_is_fetched_as_the_cdn_would_and_never_shown() {
    let web = WebServer::start(vec![
        (
            "/base/photos/cat.jpg",
            Reply::Body("image/jpeg", image(100_000)),
        ),
        ("/base/", Reply::Status(200)),
        (
            "/base/moved.jpg",
            Reply::Redirect("/base/photos/cat.jpg".to_owned()),
        ),
    ])
    .await;
    let network: Arc<TestNetwork> = TestNetwork::start().await;
    network.answer("images.test", &["127.0.0.1"]);
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[]))
        .spawn()
        .await;
    let key = app.db.api_key("acme").await;
    let url = format!("http://images.test:{}/base/", web.address.port());
    let body = source_with(
        "folder",
        SourceType::Url,
        json!({"url": url}).as_object().unwrap().clone(),
    );
    let id = create(&app, &key, &body).await;
    for path in ["/photos/cat.jpg", "/moved.jpg"] {
        let found = object_check(&app, &key, &id, path).await;
        assert_eq!(
            found,
            json!({"check": "object", "result": "ok", "status": 200,
                "content_type": "image/jpeg", "content_length": 100_000}),
            "{path}"
        );
    }
    let missing = object_check(&app, &key, &id, "/photos/none.jpg").await;
    assert_eq!(missing["status"], 404);
    assert_eq!(missing["result"], "failed");
    // A plain GET, as the CDN sends: no Range on the object's request.
    let ranges = web.ranges.lock().unwrap().clone();
    assert!(ranges.iter().any(Option::is_none), "{ranges:?}");
    assert_no_registered_leaks();
}

#[tokio::test]
async fn an_azure_blob_is_found_with_the_sas_token_or_said_missing() {
    let Some(endpoint) = azurite() else { return };
    azurite_container(&endpoint, "object-check").await;
    azurite_blob(
        &endpoint,
        "object-check",
        "a/photos/cat.png",
        "image/png",
        image(70_000),
    )
    .await;
    let network = TestNetwork::start().await;
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[(Provider::Azure(AzureService::Blob), &endpoint)]))
        .spawn()
        .await;
    let key = app.db.api_key("acme").await;
    let sas = azurite_account_sas("rl");
    register_secret(sas.split("sig=").nth(1).unwrap_or_default());
    let body = source_with(
        "blobs",
        SourceType::Azure,
        json!({"account_name": "devstoreaccount1", "service_type": "blob",
            "container_name": "object-check", "sas_token": sas, "prefix": "a/"})
        .as_object()
        .unwrap()
        .clone(),
    );
    let id = create(&app, &key, &body).await;
    let found = object_check(&app, &key, &id, "/photos/cat.png").await;
    assert_eq!(
        found,
        json!({"check": "object", "result": "ok", "status": 200,
            "content_type": "image/png", "content_length": 70_000})
    );
    let missing = object_check(&app, &key, &id, "/photos/cat.gif").await;
    assert_eq!(missing["status"], 404, "{missing}");
    assert_eq!(missing["result"], "failed");
    assert_no_registered_leaks();
}

/// A path that is not one is 422 naming why; nothing is fetched, nor counted against the minute,
/// nor recorded as health. A body that is not JSON is 400.
#[tokio::test]
async fn a_path_that_is_not_one_is_refused_before_anything_is_fetched() {
    let web = WebServer::start(vec![("/base/", Reply::Status(200))]).await;
    let network = TestNetwork::start().await;
    network.answer("images.test", &["127.0.0.1"]);
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[]))
        .spawn()
        .await;
    let key = app.db.api_key("acme").await;
    let url = format!("http://images.test:{}/base/", web.address.port());
    let body = source_with(
        "guarded",
        SourceType::Url,
        json!({"url": url}).as_object().unwrap().clone(),
    );
    let id = create(&app, &key, &body).await;
    let before = app.db.all_items().await;
    for (body, message) in [
        (
            json!({"path": "https://169.254.169.254/latest"}),
            "Path must be a path inside the source, not a URL: /photos/cat.jpg, not https://…",
        ),
        (
            json!({"path": "/../../etc/passwd"}),
            "Path must not contain . or .. segments",
        ),
        (
            json!({"path": "/a\u{0}b"}),
            "Path must not contain control characters",
        ),
        (
            json!({"path": "cat.jpg"}),
            "Path must start with /, such as /photos/cat.jpg",
        ),
        (
            json!({"path": 7}),
            "Path must be a string, such as /photos/cat.jpg",
        ),
        (json!({"url": "/cat.jpg"}), "Attribute url is not supported"),
    ] {
        let response = verify(&app, &key, &id, &body).await;
        assert_eq!(response.status, 422, "{body}: {}", response.text);
        assert_eq!(response.errors(), [message], "{body}");
    }
    let malformed = app
        .send(
            app.http
                .post(app.url(&format!("/v1/sources/{id}/verify")))
                .header(API_KEY_HEADER, &key)
                .body("{\"path\":"),
        )
        .await;
    assert_eq!(malformed.status, 400, "{}", malformed.text);
    assert_eq!(web.requests(), 0, "nothing fetched");
    assert_eq!(
        app.db.all_items().await,
        before,
        "nothing counted or recorded"
    );
    // Without a body, or with `{}`, the check is the credentials' alone.
    for body in [json!({}), json!({"path": null})] {
        let response = verify(&app, &key, &id, &body).await;
        assert_eq!(response.status, 200);
        let checks = response.json()["verification"]["checks"].clone();
        assert!(
            checks
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["check"] != "object"),
            "{checks}"
        );
    }
}
