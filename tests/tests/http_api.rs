//! The whole API over HTTP: the local gateway, the authorizer and the endpoints on an embedded
//! DynamoDB (docs/SPEC.md §1–§8).

use std::time::{Duration, Instant};

use integration_tests::{
    TestApp, TestResponse, assert_no_leaks, dead_endpoint, spawn_app, spawn_gateway,
};
use serde_json::{Value, json};
use shared::store::{ClientSettings, Store, local_client};

const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";

fn s3_body(name: &str) -> Value {
    json!({"source": {
        "source": name,
        "source_type": "s3",
        "credential_attributes": {
            "access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "secret_access_key": SECRET_ACCESS_KEY,
            "bucket": "my-bucket",
            "region": "us-east-1",
            "require_token": "true"
        }
    }})
}

async fn app_with_key() -> (TestApp, String) {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    (app, key)
}

async fn create(app: &TestApp, key: &str, body: &Value) -> Value {
    let response = app.post("/v1/sources", key, body).await;
    assert_eq!(response.status, 201, "{}", response.text);
    response.json()
}

fn assert_common_headers(response: &TestResponse) {
    assert_eq!(response.header("content-type"), Some("application/json"));
    let request_id = response
        .header("x-request-id")
        .expect("x-request-id on every response");
    assert!(!request_id.is_empty());
}

fn is_timestamp(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    text.len() == 20
        && text.ends_with('Z')
        && text.as_bytes()[10] == b'T'
        && shared::domain::Timestamp::parse(text).is_some()
}

#[tokio::test]
async fn create_answers_201_with_the_documented_shape() {
    let (app, key) = app_with_key().await;
    let response = app.post("/v1/sources", &key, &s3_body("my-images")).await;
    assert_eq!(response.status, 201);
    assert_common_headers(&response);
    let body = response.json();
    let id = body["id"].as_str().unwrap();
    assert_eq!(id.len(), 24);
    assert!(id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    assert_eq!(
        response.header("location"),
        Some(format!("/v1/sources/{id}").as_str())
    );
    assert_eq!(response.header("etag"), Some("\"1\""));

    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "created_at",
            "credentials",
            "delivery",
            "enabled",
            "health",
            "id",
            "secrets_updated_at",
            "source",
            "source_type",
            "updated_at",
            "urls"
        ]
    );
    assert_eq!(body["source"], "my-images");
    assert_eq!(body["source_type"], "s3");
    assert!(is_timestamp(&body["created_at"]));
    assert_eq!(body["secrets_updated_at"], body["created_at"]);
    assert_eq!(body["created_at"], body["updated_at"]);
    let credentials = body["credentials"].as_object().unwrap();
    let mut credential_keys: Vec<&str> = credentials.keys().map(String::as_str).collect();
    credential_keys.sort();
    assert_eq!(
        credential_keys,
        [
            "access_key_id",
            "bucket",
            "region",
            "require_token",
            "secret_access_key",
            "secret_token"
        ]
    );
    assert_eq!(credentials["secret_access_key"], "****");
    assert_eq!(credentials["require_token"], "true");
    assert_eq!(credentials["bucket"], "my-bucket");
    let token = credentials["secret_token"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    assert!(
        token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    );

    // GET one and LIST give the same document.
    let got = app.get(&format!("/v1/sources/{id}"), &key).await;
    assert_eq!(got.status, 200);
    assert_common_headers(&got);
    assert_eq!(got.header("etag"), Some("\"1\""));
    assert_eq!(got.json(), body);
    let listed = app.get("/api/v1/sources", &key).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json(), json!([body]));
    assert_no_leaks(&[SECRET_ACCESS_KEY, &key]);
}

#[tokio::test]
async fn list_is_oldest_first_and_only_the_accounts_own() {
    let (app, key) = app_with_key().await;
    let other_key = app.db.api_key("other").await;
    assert_eq!(app.get("/v1/sources", &key).await.json(), json!([]));
    let first = create(&app, &key, &s3_body("first")).await;
    create(&app, &other_key, &s3_body("foreign")).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = create(&app, &key, &s3_body("second")).await;
    let listed = app.get("/v1/sources", &key).await.json();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["first", "second"]);
    assert_eq!(listed[0]["id"], first["id"]);
    assert_eq!(listed[1]["id"], second["id"]);
}

#[tokio::test]
async fn patch_merges_keeps_echoed_secrets_and_bumps_the_etag() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, &s3_body("patched")).await;
    let path = format!("/v1/sources/{}", created["id"].as_str().unwrap());

    // The reference document's PATCH.
    let response = app
        .patch(
            &path,
            &key,
            &json!({"source": {"credential_attributes": {"require_token": "false"}}}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_common_headers(&response);
    assert_eq!(response.header("etag"), Some("\"2\""));
    let body = response.json();
    assert_eq!(body["credentials"]["require_token"], "false");
    assert_eq!(body["credentials"]["secret_access_key"], "****");
    assert_eq!(
        body["credentials"]["secret_token"],
        created["credentials"]["secret_token"]
    );
    assert_eq!(body["created_at"], created["created_at"]);

    // A client echoes everything it read, `****` and read-only fields included: nothing changes.
    let mut echoed = body.clone();
    let credentials = echoed["credentials"].as_object_mut().unwrap();
    credentials.remove("secret_token");
    let echo = json!({"source": {
        "id": body["id"], "created_at": body["created_at"], "updated_at": body["updated_at"],
        "credentials": body["credentials"], "source": body["source"], "source_type": body["source_type"],
        "credential_attributes": Value::Object(credentials.clone())
    }});
    let unchanged = app.patch(&path, &key, &echo).await;
    assert_eq!(unchanged.status, 200, "{}", unchanged.text);
    assert_eq!(
        unchanged.header("etag"),
        Some("\"2\""),
        "nothing changed, nothing written"
    );
    assert_eq!(unchanged.json(), body);

    // The stored secret is still the one sent at creation.
    let account = shared::domain::AccountId::parse("acme").unwrap();
    let id = shared::domain::SourceId::parse(body["id"].as_str().unwrap()).unwrap();
    let stored = app.db.store.get_source(&account, &id).await.unwrap();
    assert_eq!(
        integration_tests::clear_value(&stored, "secret_access_key").await,
        SECRET_ACCESS_KEY
    );

    // A new secret replaces it, and is not shown.
    let rotated = "rotated-secret-value-0123456789";
    let response = app
        .patch(
            &path,
            &key,
            &json!({"source": {"credential_attributes": {"secret_access_key": rotated}}}),
        )
        .await;
    assert_eq!(response.json()["credentials"]["secret_access_key"], "****");
    let stored = app.db.store.get_source(&account, &id).await.unwrap();
    assert_eq!(
        integration_tests::clear_value(&stored, "secret_access_key").await,
        rotated
    );
    assert_no_leaks(&[SECRET_ACCESS_KEY, rotated, &key]);
}

#[tokio::test]
async fn rename_and_taken_names() {
    let (app, key) = app_with_key().await;
    let other_key = app.db.api_key("other").await;
    let created = create(&app, &key, &s3_body("old-name")).await;
    create(&app, &other_key, &s3_body("taken")).await;
    let path = format!("/v1/sources/{}", created["id"].as_str().unwrap());

    let renamed = app
        .patch(&path, &key, &json!({"source": {"source": "new-name"}}))
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(renamed.json()["source"], "new-name");
    assert_eq!(app.db.name_claims().await, ["NAME#new-name", "NAME#taken"]);

    let refused = app
        .patch(&path, &key, &json!({"source": {"source": "TAKEN"}}))
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.errors(), ["Source has already been taken"]);

    // The old name is free.
    create(&app, &other_key, &s3_body("old-name")).await;
    // A create of a taken name, case-insensitively, from any account.
    let duplicate = app.post("/v1/sources", &key, &s3_body("New-Name")).await;
    assert_eq!(duplicate.status, 422);
    assert_eq!(duplicate.errors(), ["Source has already been taken"]);
}

#[tokio::test]
async fn validation_errors_are_422_all_at_once() {
    let (app, key) = app_with_key().await;
    create(&app, &key, &s3_body("my-images")).await;
    // The reference document's example: a missing credential and a taken name in one answer.
    let mut body = s3_body("my-images");
    body["source"]["credential_attributes"]
        .as_object_mut()
        .unwrap()
        .remove("access_key_id");
    let response = app.post("/v1/sources", &key, &body).await;
    assert_eq!(response.status, 422);
    assert_common_headers(&response);
    assert_eq!(
        response.errors(),
        [
            "Credential access_key_id is required for s3 sources",
            "Source has already been taken"
        ]
    );

    let response = app
        .post(
            "/v1/sources",
            &key,
            &json!({"source": {"source": "", "source_type": "ftp", "extra": 1}}),
        )
        .await;
    assert_eq!(response.status, 422);
    assert_eq!(
        response.errors(),
        [
            "Attribute extra is not supported",
            "Source can't be blank",
            "Source type is not included in the list"
        ]
    );

    let response = app
        .post("/v1/sources", &key, &json!({"source": {"source": "u", "source_type": "url",
            "credential_attributes": {"url": "http://169.254.169.254/latest/meta-data/", "secret_token": "x"}}}))
        .await;
    assert_eq!(
        response.errors(),
        [
            "Credential secret_token is read-only",
            "Credential url must be a public http(s) URL"
        ]
    );
    assert_eq!(
        app.get("/v1/sources", &key)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing was created"
    );
}

#[tokio::test]
async fn malformed_bodies_are_400_and_oversized_413() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, &s3_body("target")).await;
    let path = format!("/v1/sources/{}", created["id"].as_str().unwrap());
    let raw = |method: reqwest::Method, path: &str, body: Vec<u8>| {
        app.http
            .request(method, app.url(path))
            .header("imageboss-api-key", &key)
            .body(body)
    };
    let cases: [(&[u8], &str); 6] = [
        (
            b"",
            "Request body is empty: expected a JSON object with a \"source\" object",
        ),
        (b"{not json", "Request body is not valid JSON"),
        (b"\xff\xfe{}", "Request body is not valid JSON"),
        (b"[1,2]", "Request body must be a JSON object"),
        (
            b"{\"name\": \"x\"}",
            "Request body must have a \"source\" object",
        ),
        (
            b"{\"source\": \"x\"}",
            "Request body's \"source\" must be an object",
        ),
    ];
    for (body, message) in cases {
        for (method, target) in [
            (reqwest::Method::POST, "/v1/sources"),
            (reqwest::Method::PATCH, path.as_str()),
        ] {
            let response = app.send(raw(method.clone(), target, body.to_vec())).await;
            assert_eq!(response.status, 400, "{method} {body:?}");
            assert_common_headers(&response);
            assert_eq!(response.errors(), [message]);
        }
    }
    let mut big = s3_body("big");
    big["source"]["credential_attributes"]["prefix"] = json!("p".repeat(64 * 1024));
    let response = app
        .send(raw(
            reqwest::Method::POST,
            "/v1/sources",
            big.to_string().into_bytes(),
        ))
        .await;
    assert_eq!(response.status, 413);
    assert_eq!(
        response.errors(),
        ["Request body is too large (maximum is 65536 bytes)"]
    );
    let exactly_limit = format!("{{\"source\":{{}}}}{}", " ".repeat(64 * 1024 - 13));
    assert_eq!(exactly_limit.len(), 64 * 1024);
    let response = app
        .send(raw(
            reqwest::Method::POST,
            "/v1/sources",
            exactly_limit.into_bytes(),
        ))
        .await;
    assert_eq!(
        response.status, 422,
        "64 KiB exactly is accepted and validated"
    );
    let mut over = vec![b' '; 64 * 1024 + 1];
    over[..2].copy_from_slice(b"{}");
    let response = app.send(raw(reqwest::Method::PATCH, &path, over)).await;
    assert_eq!(response.status, 413);
    assert_eq!(
        app.db
            .store
            .list_sources(&shared::domain::AccountId::parse("acme").unwrap())
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn auth_failures_are_401_with_one_body() {
    let (app, key) = app_with_key().await;
    let revoked = app.db.api_key("acme").await;
    let hash = shared::domain::ApiKey::from_header(&revoked)
        .unwrap()
        .hash();
    app.db
        .store
        .revoke_api_key(
            &shared::domain::AccountId::parse("acme").unwrap(),
            shared::store::KeyTarget::Hash(&hash),
            shared::store::LastAdmin::MayRevoke,
            &shared::domain::Actor::operator(),
        )
        .await
        .unwrap();
    let no_key = app.send(app.http.get(app.url("/v1/sources"))).await;
    let wrong = app.get("/v1/sources", "isk_not-a-real-key").await;
    let empty = app.get("/v1/sources", "").await;
    let revoked_response = app.get("/v1/sources", &revoked).await;
    let create_without_key = app
        .send(
            app.http
                .post(app.url("/v1/sources"))
                .body(s3_body("x").to_string()),
        )
        .await;
    for response in [
        &no_key,
        &wrong,
        &empty,
        &revoked_response,
        &create_without_key,
    ] {
        assert_eq!(response.status, 401);
        assert_common_headers(response);
        assert_eq!(response.errors(), ["Invalid or missing API key"]);
    }
    assert_eq!(app.get("/v1/sources", &key).await.status, 200);
    assert_no_leaks(&[&key, &revoked]);
}

#[tokio::test]
async fn unknown_sources_routes_and_methods() {
    let (app, key) = app_with_key().await;
    let other_key = app.db.api_key("other").await;
    let foreign = create(&app, &other_key, &s3_body("foreign")).await;
    let foreign_path = format!("/v1/sources/{}", foreign["id"].as_str().unwrap());
    let missing = app.get("/v1/sources/69a99ae507f19000072d0125", &key).await;
    assert_eq!(missing.status, 404);
    assert_common_headers(&missing);
    assert_eq!(missing.errors(), ["Source not found"]);

    // Another account's source answers exactly like a missing one, on every endpoint.
    let patch = json!({"source": {"source": "stolen"}});
    for response in [
        app.get(&foreign_path, &key).await,
        app.patch(&foreign_path, &key, &patch).await,
        app.delete(&foreign_path, &key).await,
    ] {
        assert_eq!(response.status, 404);
        assert_eq!(response.text, missing.text);
    }
    // Almost-ids are unknown sources.
    for id in [
        "69a99ae507f19000072d012",
        "69a99ae507f19000072d01250",
        "69a99ae507f19000072d012z",
        "..%2F..%2Fsecrets",
    ] {
        let response = app.get(&format!("/v1/sources/{id}"), &key).await;
        assert_eq!(response.status, 404, "{id}");
        assert_eq!(response.errors(), ["Source not found"]);
    }
    let unknown_route = app.get("/v1/buckets", &key).await;
    assert_eq!(unknown_route.status, 404);
    assert_common_headers(&unknown_route);
    assert_eq!(unknown_route.errors(), ["Route not found"]);
    assert_eq!(app.get("/v2/sources", &key).await.status, 404);

    let wrong_method = app
        .send(
            app.http
                .put(app.url(&foreign_path))
                .header("imageboss-api-key", &key),
        )
        .await;
    assert_eq!(wrong_method.status, 405);
    assert_common_headers(&wrong_method);
    assert_eq!(wrong_method.header("allow"), Some("GET, PATCH, DELETE"));
    assert_eq!(wrong_method.errors(), ["Method not allowed"]);
    let wrong_method = app.delete("/api/v1/sources", &key).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("GET, POST"));

    // The foreign source is untouched.
    let still = app.get(&foreign_path, &other_key).await.json();
    assert_eq!(still["source"], "foreign");
}

#[tokio::test]
async fn if_match_guards_patch_and_delete() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, &s3_body("guarded")).await;
    let path = format!("/v1/sources/{}", created["id"].as_str().unwrap());
    let change = json!({"source": {"credential_attributes": {"prefix": "v2/"}}});
    let pinned = |etag: &str| {
        app.http
            .patch(app.url(&path))
            .header("imageboss-api-key", &key)
            .header("if-match", etag)
            .body(change.to_string())
    };
    let ok = app.send(pinned("\"1\"")).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("etag"), Some("\"2\""));
    for stale in ["\"1\"", "W/\"1\"", "\"abc\"", "1"] {
        let response = app.send(pinned(stale)).await;
        assert_eq!(response.status, 412, "{stale}");
        assert_common_headers(&response);
        assert_eq!(
            response.errors(),
            ["Source has changed since it was read (ETag does not match)"]
        );
    }
    let stale_delete = app
        .send(
            app.http
                .delete(app.url(&path))
                .header("imageboss-api-key", &key)
                .header("if-match", "\"1\""),
        )
        .await;
    assert_eq!(stale_delete.status, 412);
    assert_eq!(app.get(&path, &key).await.header("etag"), Some("\"2\""));
    let delete = app
        .send(
            app.http
                .delete(app.url(&path))
                .header("imageboss-api-key", &key)
                .header("if-match", "\"2\""),
        )
        .await;
    assert_eq!(delete.status, 200);
    assert_eq!(delete.json(), json!({}));
    assert_common_headers(&delete);
}

#[tokio::test]
async fn delete_frees_the_name_and_answers_empty_object() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, &s3_body("short-lived")).await;
    let path = format!("/api/v1/sources/{}", created["id"].as_str().unwrap());
    let response = app.delete(&path, &key).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.text, "{}");
    assert_eq!(app.get(&path, &key).await.status, 404);
    assert_eq!(app.delete(&path, &key).await.status, 404);
    assert!(app.db.name_claims().await.is_empty());
    create(&app, &key, &s3_body("short-lived")).await;
}

#[tokio::test]
async fn account_cannot_be_named_by_the_client() {
    let (app, key) = app_with_key().await;
    let other_key = app.db.api_key("other").await;
    let foreign = create(&app, &other_key, &s3_body("foreign")).await;
    let sneaky = app
        .send(
            app.http
                .get(app.url("/v1/sources?account_id=other&accountId=other"))
                .header("imageboss-api-key", &key)
                .header("x-account-id", "other")
                .header("accountId", "other"),
        )
        .await;
    assert_eq!(sneaky.status, 200);
    assert_eq!(sneaky.json(), json!([]));
    let path = format!(
        "/v1/sources/{}?accountId=other",
        foreign["id"].as_str().unwrap()
    );
    assert_eq!(app.get(&path, &key).await.status, 404);
    let mut body = s3_body("mine");
    body["source"]["account_id"] = json!("other");
    let response = app.post("/v1/sources", &key, &body).await;
    assert_eq!(response.status, 422);
    assert_eq!(response.errors(), ["Attribute account_id is not supported"]);
    assert_eq!(
        app.get("/v1/sources", &other_key)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn warm_get_costs_one_request_plus_the_authorizer() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, &s3_body("budget")).await;
    let path = format!("/v1/sources/{}", created["id"].as_str().unwrap());
    app.db.counter.reset();
    assert_eq!(app.get(&path, &key).await.status, 200);
    assert_eq!(
        app.db.counter.snapshot(),
        [("GetItem".to_owned(), 2)].into()
    );
    app.db.counter.reset();
    assert_eq!(app.get("/v1/sources", &key).await.status, 200);
    assert_eq!(
        app.db.counter.snapshot(),
        [("GetItem".to_owned(), 1), ("Query".to_owned(), 1)].into()
    );
    app.db.counter.reset();
    assert_eq!(
        app.post("/v1/sources", &key, &s3_body("budget-2"))
            .await
            .status,
        201
    );
    assert_eq!(
        app.db.counter.snapshot(),
        [
            ("GetItem".to_owned(), 1),
            ("TransactWriteItems".to_owned(), 1)
        ]
        .into()
    );
}

#[tokio::test]
async fn a_dead_dynamodb_is_503_with_retry_after_quickly() {
    let endpoint = dead_endpoint().await;
    let store = Store::new(
        local_client(&endpoint, ClientSettings::default()),
        "image-sources",
    );
    let base_url = spawn_gateway(store).await;
    let started = Instant::now();
    let response = reqwest::Client::new()
        .get(format!("{base_url}/v1/sources"))
        .header("imageboss-api-key", "isk_whatever")
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers().get("retry-after").unwrap(), "1");
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"errors": ["Service temporarily unavailable, retry later"]})
    );
    assert!(elapsed < Duration::from_secs(3), "answered in {elapsed:?}");
}

#[tokio::test]
async fn an_unexpected_dynamodb_error_is_500_without_detail() {
    let app = spawn_app().await;
    // A table that does not exist: DynamoDB answers ResourceNotFoundException.
    let store = Store::new(app.db.store.client().clone(), "no-such-table");
    let base_url = spawn_gateway(store).await;
    let response = reqwest::Client::new()
        .get(format!("{base_url}/v1/sources"))
        .header("imageboss-api-key", "isk_whatever")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 500);
    assert!(response.headers().contains_key("x-request-id"));
    let text = response.text().await.unwrap();
    assert_eq!(text, r#"{"errors":["Internal server error"]}"#);
}

#[tokio::test]
async fn one_json_log_line_per_request_without_secrets() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, &s3_body("logged")).await;
    let response = app
        .get(
            &format!("/v1/sources/{}", created["id"].as_str().unwrap()),
            &key,
        )
        .await;
    let request_id = response.header("x-request-id").unwrap().to_owned();
    let lines: Vec<Value> = integration_tests::captured_logs()
        .iter()
        .filter(|line| line.contains(&request_id))
        .map(|line| serde_json::from_str(line).expect("log lines are JSON"))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert_eq!(line["message"], "request");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["route"], "/v1/sources/{id}");
    assert_eq!(line["status"], 200);
    assert_eq!(line["account_id"], "acme");
    assert!(line["latency_ms"].as_f64().is_some());
    let token = created["credentials"]["secret_token"].as_str().unwrap();
    for line in integration_tests::captured_logs() {
        assert!(!line.contains(token), "secret_token in a log line: {line}");
    }
    assert_no_leaks(&[SECRET_ACCESS_KEY, &key]);
}

#[tokio::test]
async fn a_source_is_enabled_unless_created_or_patched_disabled() {
    let (app, key) = app_with_key().await;
    let enabled = create(&app, &key, &s3_body("on-by-default")).await;
    assert_eq!(enabled["enabled"], true);
    let mut body = s3_body("off-from-the-start");
    body["source"]["enabled"] = json!(false);
    let disabled = create(&app, &key, &body).await;
    assert_eq!(disabled["enabled"], false);
    let path = format!("/v1/sources/{}", disabled["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &key).await.json()["enabled"], false);
}

#[tokio::test]
async fn disabling_is_a_change_and_keeps_everything_else() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, &s3_body("toggled")).await;
    let path = format!("/v1/sources/{}", created["id"].as_str().unwrap());
    let off = app
        .patch(&path, &key, &json!({"source": {"enabled": false}}))
        .await;
    assert_eq!(off.status, 200, "{}", off.text);
    assert_eq!(off.header("etag"), Some("\"2\""));
    let mut expected = created.clone();
    expected["enabled"] = json!(false);
    expected["updated_at"] = off.json()["updated_at"].clone();
    assert_eq!(off.json(), expected, "name, credentials and token kept");
    let again = app
        .patch(&path, &key, &json!({"source": {"enabled": false}}))
        .await;
    assert_eq!(again.header("etag"), Some("\"2\""), "no change, no write");
}

#[tokio::test]
async fn enabled_must_be_a_json_boolean_and_a_refusal_changes_nothing() {
    let (app, key) = app_with_key().await;
    let mut body = s3_body("stringly");
    body["source"]["enabled"] = json!("false");
    let refused = app.post("/v1/sources", &key, &body).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.errors(), ["Enabled must be true or false"]);
    assert_eq!(app.get("/v1/sources", &key).await.json(), json!([]));

    let created = create(&app, &key, &s3_body("kept")).await;
    let path = format!("/v1/sources/{}", created["id"].as_str().unwrap());
    let patched = app
        .patch(&path, &key, &json!({"source": {"enabled": null}}))
        .await;
    assert_eq!(patched.status, 422);
    assert_eq!(patched.errors(), ["Enabled must be true or false"]);
    assert_eq!(app.get(&path, &key).await.json(), created);
}

#[tokio::test]
async fn the_enabled_filter_lists_only_matching_sources() {
    let (app, key) = app_with_key().await;
    let on = create(&app, &key, &s3_body("on")).await;
    let mut body = s3_body("off");
    body["source"]["enabled"] = json!(false);
    let off = create(&app, &key, &body).await;
    assert_eq!(
        app.get("/v1/sources?enabled=true", &key).await.json(),
        json!([on])
    );
    assert_eq!(
        app.get("/v1/sources?enabled=false", &key).await.json(),
        json!([off])
    );
}
