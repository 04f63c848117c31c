//! Hostile input: a named corpus through HTTP, and property tests of arbitrary JSON and arbitrary
//! bytes through the endpoint handlers. Never a panic, never a 5xx, always the SPEC's error shape,
//! and nothing written.

use integration_tests::{TestApp, TestDb, TestResponse, lambda_request, spawn_app};
use lambda_http::Body;
use proptest::prelude::*;
use serde_json::{Value, json};
use shared::AppState;
use shared::http::{Endpoint, handle};

fn s3(name: &str) -> Value {
    json!({"source": {"source": name, "source_type": "s3", "credential_attributes": {
        "access_key_id": "AKIAHOSTILE", "secret_access_key": "hostile-secret-0123456789",
        "bucket": "my-bucket", "region": "us-east-1"}}})
}

async fn raw_post(app: &TestApp, key: &str, body: Vec<u8>) -> TestResponse {
    app.send(
        app.http
            .post(app.url("/v1/sources"))
            .header("imageboss-api-key", key)
            .header("content-type", "application/json")
            .body(body),
    )
    .await
}

fn expect(response: &TestResponse, status: u16, errors: &[&str]) {
    assert_eq!(response.status, status, "{}", response.text);
    assert_eq!(response.errors(), errors);
}

#[tokio::test]
async fn the_named_corpus() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let existing = app.post("/v1/sources", &key, &s3("my-images")).await;
    assert_eq!(existing.status, 201);
    let id = existing.json()["id"].as_str().unwrap().to_owned();

    // Bytes that are not JSON.
    let not_json = ["Request body is not valid JSON"];
    expect(
        &raw_post(&app, &key, b"\xff\xfe\xfd".to_vec()).await,
        400,
        &not_json,
    );
    expect(
        &raw_post(
            &app,
            &key,
            b"{\"source\": {\"source\": \"\xc3\x28\"}}".to_vec(),
        )
        .await,
        400,
        &not_json,
    );
    expect(
        &raw_post(&app, &key, br#"{"source": {"source": "\ud800"}}"#.to_vec()).await,
        400,
        &not_json,
    );
    expect(
        &raw_post(&app, &key, b"{\"source\": {}}\x00".to_vec()).await,
        400,
        &not_json,
    );
    expect(
        &raw_post(&app, &key, br#"{"source": {"n": 1e400}}"#.to_vec()).await,
        400,
        &not_json,
    );
    let deep = format!(
        "{{\"source\": {}{}}}",
        "[".repeat(30_000),
        "]".repeat(30_000)
    );
    expect(
        &raw_post(&app, &key, deep.into_bytes()).await,
        400,
        &not_json,
    );
    let deep_objects = format!("{}{}", "{\"source\":".repeat(5_000), "}".repeat(5_000));
    expect(
        &raw_post(&app, &key, deep_objects.into_bytes()).await,
        400,
        &not_json,
    );

    // Duplicate keys, at the top and inside.
    let duplicate = ["Request body has a duplicate key"];
    expect(
        &raw_post(&app, &key, br#"{"source": {}, "source": {}}"#.to_vec()).await,
        400,
        &duplicate,
    );
    let sneaky = br#"{"source": {"source": "ok-name", "source_type": "url", "source_type": "s3",
        "credential_attributes": {"url": "https://example.com"}}}"#;
    expect(
        &raw_post(&app, &key, sneaky.to_vec()).await,
        400,
        &duplicate,
    );

    // Too large.
    let mut big = vec![b' '; 64 * 1024 + 1];
    big[..2].copy_from_slice(b"{}");
    expect(
        &raw_post(&app, &key, big).await,
        413,
        &["Request body is too large (maximum is 65536 bytes)"],
    );

    // Huge strings, NUL and control characters.
    expect(
        &app.post("/v1/sources", &key, &s3(&"x".repeat(60_000)))
            .await,
        422,
        &["Source is too long (maximum is 64 characters)"],
    );
    expect(
        &app.post("/v1/sources", &key, &s3("nul\u{0}name")).await,
        422,
        &["Source is invalid"],
    );
    expect(
        &app.post("/v1/sources", &key, &s3("tab\tname")).await,
        422,
        &["Source is invalid"],
    );
    let mut control = s3("control");
    control["source"]["credential_attributes"]["bucket"] = json!("my-bucket\u{0}");
    control["source"]["credential_attributes"]["secret_access_key"] = json!("line\nbreak-secret");
    expect(
        &app.post("/v1/sources", &key, &control).await,
        422,
        &[
            "Credential bucket must not contain control characters",
            "Credential secret_access_key must not contain control characters",
        ],
    );
    let mut huge = s3("huge");
    huge["source"]["credential_attributes"]["secret_access_key"] = json!("s".repeat(30_000));
    expect(
        &app.post("/v1/sources", &key, &huge).await,
        422,
        &["Credential secret_access_key is too long (maximum is 1024 characters)"],
    );

    // Numbers, arrays, objects where strings belong.
    let mut typed = s3("typed");
    typed["source"]["credential_attributes"]["bucket"] = json!(12345);
    typed["source"]["credential_attributes"]["region"] = json!(["us-east-1"]);
    typed["source"]["credential_attributes"]["access_key_id"] = json!({"$ne": null});
    expect(
        &app.post("/v1/sources", &key, &typed).await,
        422,
        &[
            "Credential access_key_id must be a string",
            "Credential bucket must be a string",
            "Credential region must be a string",
            "Credential bucket is required for s3 sources",
            "Credential region is required for s3 sources",
            "Credential access_key_id is required for s3 sources",
        ],
    );
    expect(
        &app.post(
            "/v1/sources",
            &key,
            &json!({"source": {"source": 42, "source_type": ["s3"]}}),
        )
        .await,
        422,
        &[
            "Source is invalid",
            "Source type is not included in the list",
        ],
    );

    // Prototype-pollution-style keys are just unknown keys.
    let mut proto = s3("proto");
    proto["source"]["__proto__"] = json!({"admin": true});
    proto["source"]["credential_attributes"]["constructor"] = json!("x");
    expect(
        &app.post("/v1/sources", &key, &proto).await,
        422,
        &[
            "Attribute __proto__ is not supported",
            "Credential constructor is not supported for s3 sources",
        ],
    );

    // Look-alikes of an existing name are invalid names, never a second "my-images".
    for lookalike in [
        "mу-images",
        "my‐images",
        "ｍy-images",
        "my-images\u{200b}",
        "\u{202e}my-images",
        "my-images\u{301}",
    ] {
        expect(
            &app.post("/v1/sources", &key, &s3(lookalike)).await,
            422,
            &["Source is invalid"],
        );
    }
    expect(
        &app.post("/v1/sources", &key, &s3("MY-IMAGES")).await,
        422,
        &["Source has already been taken"],
    );

    // `****` is not a secret; read-only fields.
    let mut placeholder = s3("placeholder");
    placeholder["source"]["credential_attributes"]["secret_access_key"] = json!("****");
    expect(
        &app.post("/v1/sources", &key, &placeholder).await,
        422,
        &[
            "Credential secret_access_key must be the secret itself, not ****",
            "Credential secret_access_key is required for s3 sources",
        ],
    );
    let mut read_only = s3("read-only");
    read_only["source"]["id"] = json!(id);
    read_only["source"]["created_at"] = json!("1999-01-01T00:00:00Z");
    read_only["source"]["credential_attributes"]["secret_token"] = json!("f".repeat(64));
    expect(
        &app.post("/v1/sources", &key, &read_only).await,
        422,
        &["Credential secret_token is read-only"],
    );

    // SSRF: the CDN must not be pointed at internal addresses.
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://10.0.0.1/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.1/",
        "http://localhost./",
        "http://[::ffff:10.0.0.1]/",
        "http://0.0.0.0:8080/",
        "gopher://example.com/",
    ] {
        let body = json!({"source": {"source": "ssrf", "source_type": "url", "credential_attributes": {"url": url}}});
        expect(
            &app.post("/v1/sources", &key, &body).await,
            422,
            &["Credential url must be a public http(s) URL"],
        );
    }

    // Ids that are almost valid.
    for almost in [
        id[..23].to_owned(),
        format!("{id}0"),
        format!("g{}", &id[1..]),
        format!("{}%00", &id[..22]),
        format!("{id}%2F"),
        "%20".repeat(24),
    ] {
        let response = app.get(&format!("/v1/sources/{almost}"), &key).await;
        assert!(
            matches!(response.status, 404),
            "{almost}: {}",
            response.status
        );
        assert_eq!(response.errors(), ["Source not found"]);
    }

    // Nothing of the above was written.
    let listed = app.get("/v1/sources", &key).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(app.db.name_claims().await, ["NAME#my-images"]);
}

/// Arbitrary JSON values, nested a few levels, with keys drawn from the API's own vocabulary so
/// that the interesting paths are reached.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("source".to_owned()),
        Just("source_type".to_owned()),
        Just("credential_attributes".to_owned()),
        Just("bucket".to_owned()),
        Just("url".to_owned()),
        Just("secret".to_owned()),
        Just("require_token".to_owned()),
        Just("secret_token".to_owned()),
        "[a-z_]{0,12}",
        any::<String>(),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("s3".to_owned()),
            Just("url".to_owned()),
            Just("****".to_owned()),
            Just("https://example.com/".to_owned()),
            Just("http://127.0.0.1/".to_owned()),
            "[a-z0-9-]{0,70}",
            any::<String>(),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One embedded DynamoDB and runtime for all cases of a property.
struct Harness {
    runtime: tokio::runtime::Runtime,
    state: AppState,
    existing_id: String,
    _db: TestDb,
}

impl Harness {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let (db, existing_id) = runtime.block_on(async {
            let db = TestDb::start().await;
            let state = AppState::new(db.store.clone());
            let response = handle(
                &state,
                Endpoint::CreateSource,
                lambda_request(
                    Endpoint::CreateSource,
                    None,
                    Some(s3("existing").to_string().into_bytes()),
                ),
            )
            .await;
            assert_eq!(response.status(), 201);
            let Body::Text(text) = response.body() else {
                panic!("text body")
            };
            let id = serde_json::from_str::<Value>(text).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned();
            (db, id)
        });
        let state = AppState::new(db.store.clone());
        Self {
            runtime,
            state,
            existing_id,
            _db: db,
        }
    }

    /// Sends `body` to `endpoint`; checks the answer is a 2xx or a 4xx in the error shape.
    fn check(&self, endpoint: Endpoint, body: Vec<u8>) -> u16 {
        let id = (endpoint == Endpoint::UpdateSource).then_some(self.existing_id.as_str());
        let response = self.runtime.block_on(handle(
            &self.state,
            endpoint,
            lambda_request(endpoint, id, Some(body)),
        ));
        let status = response.status().as_u16();
        assert!(
            matches!(status, 200 | 201 | 400 | 404 | 412 | 413 | 422),
            "status {status}"
        );
        if status >= 400 {
            let Body::Text(text) = response.body() else {
                panic!("text body")
            };
            let value: Value = serde_json::from_str(text).unwrap();
            let errors = value.as_object().unwrap()["errors"].as_array().unwrap();
            assert!(!errors.is_empty() && errors.iter().all(Value::is_string));
        }
        status
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_fails_the_server(body in arbitrary_json(), wrap in any::<bool>()) {
        thread_local!(static HARNESS: Harness = Harness::new());
        let body = if wrap { json!({"source": body}) } else { body };
        HARNESS.with(|h| {
            h.check(Endpoint::CreateSource, body.to_string().into_bytes());
            h.check(Endpoint::UpdateSource, body.to_string().into_bytes());
        });
    }

    #[test]
    fn arbitrary_bytes_never_fail_the_server(body in prop::collection::vec(any::<u8>(), 0..512)) {
        thread_local!(static HARNESS: Harness = Harness::new());
        HARNESS.with(|h| {
            prop_assert!(matches!(h.check(Endpoint::CreateSource, body.clone()), 400 | 413 | 422));
            prop_assert!(matches!(h.check(Endpoint::UpdateSource, body), 400 | 413 | 422 | 200));
            Ok(())
        })?;
    }
}
