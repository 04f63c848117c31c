//! Web proxy sources (docs/SPEC.md §25): signed URLs required on create and on every update, and
//! checks that answer `inconclusive` without a request (a proxy has no storage to reach), from
//! the verify endpoint and from the health sweep alike.

use integration_tests::fixtures::{API_KEY_HEADER, credentials, source_body, source_with};
use integration_tests::storage::TestNetwork;
use integration_tests::{TestApp, assert_no_registered_leaks};
use serde_json::{Value, json};
use shared::domain::{SourceType, Timestamp};
use shared::functions::check_sources;
use shared::verify::PROXY_UNCHECKED;

const UNSIGNED: &str = "Credential require_token must be true for proxy sources: without signed \
    URLs a proxy fetches any URL for anyone";

fn proxy_with(name: &str, require_token: Value) -> Value {
    let mut attributes = credentials(SourceType::Proxy);
    attributes.insert("require_token".into(), require_token);
    source_with(name, SourceType::Proxy, attributes)
}

#[tokio::test]
async fn a_proxy_must_require_signed_urls_on_create_and_on_every_update() {
    let app = integration_tests::spawn_app().await;
    let key = app.db.api_key("acme").await;
    // Absent, false in either spelling, or null: an open relay, refused.
    let mut absent = source_body("open-relay", SourceType::Proxy);
    absent["source"]["credential_attributes"]
        .as_object_mut()
        .unwrap()
        .remove("require_token");
    for body in [
        absent,
        proxy_with("open-relay", json!("false")),
        proxy_with("open-relay", json!(false)),
        proxy_with("open-relay", Value::Null),
    ] {
        let response = app.post("/v1/sources", &key, &body).await;
        assert_eq!(response.status, 422, "{body}: {}", response.text);
        assert_eq!(response.errors(), [UNSIGNED], "{body}");
    }
    assert!(app.db.name_claims().await.is_empty(), "nothing written");

    let created = app
        .post("/v1/sources", &key, &proxy_with("my-proxy", json!(true)))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let created = created.json();
    assert_eq!(created["source_type"], "proxy");
    assert_eq!(created["credentials"]["require_token"], "true");
    assert_eq!(created["credentials"]["password"], "****");
    assert!(created["credentials"].get("url").is_none());
    let path = format!("/v1/sources/{}", created["id"].as_str().unwrap());
    for patch in [json!("false"), json!(false), Value::Null] {
        let response = app
            .patch(
                &path,
                &key,
                &json!({"source": {"credential_attributes": {"require_token": patch}}}),
            )
            .await;
        assert_eq!(response.status, 422, "{patch}: {}", response.text);
        assert_eq!(response.errors(), [UNSIGNED]);
    }
    assert_eq!(
        app.get(&path, &key).await.json()["credentials"],
        created["credentials"]
    );

    // A web folder that does not sign cannot become a proxy without signing.
    let folder = app
        .post("/v1/sources", &key, &source_body("folder", SourceType::Url))
        .await
        .json();
    let to_proxy = app
        .patch(
            &format!("/v1/sources/{}", folder["id"].as_str().unwrap()),
            &key,
            &json!({"source": {"source_type": "proxy"}}),
        )
        .await;
    assert_eq!(to_proxy.status, 422, "{}", to_proxy.text);
    assert_eq!(to_proxy.errors(), [UNSIGNED]);
    let signed = app
        .patch(
            &format!("/v1/sources/{}", folder["id"].as_str().unwrap()),
            &key,
            &json!({"source": {"source_type": "proxy",
                "credential_attributes": {"require_token": "true"}}}),
        )
        .await;
    assert_eq!(signed.status, 200, "{}", signed.text);
    assert_eq!(signed.json()["source_type"], "proxy");
}

#[tokio::test]
async fn a_proxy_is_checked_without_a_request_by_verify_and_by_the_sweep() {
    let network = TestNetwork::start().await;
    let (app, state) = TestApp::builder()
        .verifying(network.verifier(true, &[]))
        .spawn_with_state()
        .await;
    let key = app.db.api_key("acme").await;
    let created = app
        .post("/v1/sources", &key, &proxy_with("checked", json!("true")))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    // New: due at once; the sweep finds it inconclusive.
    let report = check_sources::sweep(&state, Timestamp::now(), "proxy-sweep")
        .await
        .expect("the sweep runs");
    assert_eq!(report.checks(), 1);
    let health = app.get(&format!("/v1/sources/{id}"), &key).await.json()["health"].clone();
    assert_eq!(health["status"], "inconclusive");
    assert_eq!(health["error"]["code"], "unsupported");
    // And so does the client's check.
    let verified = app
        .send(
            app.http
                .post(app.url(&format!("/v1/sources/{id}/verify")))
                .header(API_KEY_HEADER, &key),
        )
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    let verification = &verified.json()["verification"];
    assert_eq!(verification["status"], "inconclusive");
    assert_eq!(verification["checks"], json!([]));
    assert_eq!(
        verification["error"],
        json!({"code": "unsupported", "message": PROXY_UNCHECKED})
    );

    assert_eq!(
        network.attempts(),
        0,
        "no name looked up, no connection opened"
    );
    assert_no_registered_leaks();
}
