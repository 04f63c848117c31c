//! The published contract against the running app: real responses of every status the app
//! produces, for every source type, validated against the OpenAPI document's own schemas with a
//! JSON Schema validator (`jsonschema`, draft 2020-12, the dialect of OpenAPI 3.1).

use integration_tests::fixtures::{API_KEY_HEADER, credential_patch, source_body};
use integration_tests::{TestApp, TestResponse, dead_endpoint, spawn_app, spawn_gateway};
use serde_json::{Value, json};
use shared::domain::SourceType;
use shared::store::{ClientSettings, Store, local_client};

/// A validator for the schema at `pointer` in `document`, resolving the document's `$ref`s.
fn schema_validator(document: &Value, pointer: &str) -> jsonschema::Validator {
    let Some(Value::Object(schema)) = document.pointer(pointer) else {
        panic!("the document has nothing at {pointer}");
    };
    // The schema at the root, beside the components its `$ref`s point into.
    let mut root = schema.clone();
    root.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    root.insert("components".into(), document["components"].clone());
    jsonschema::draft202012::new(&Value::Object(root)).expect("the document's schemas compile")
}

/// The JSON pointer of an operation in the document (`path` in the document's `{id}` syntax).
fn operation_pointer(path: &str, method: &str) -> String {
    format!(
        "/paths/{}/{method}",
        path.replace('~', "~0").replace('/', "~1")
    )
}

/// The schema of the `status` response of `method path`.
fn response_validator(
    document: &Value,
    path: &str,
    method: &str,
    status: u16,
) -> jsonschema::Validator {
    let operation = operation_pointer(path, method);
    schema_validator(
        document,
        &format!("{operation}/responses/{status}/content/application~1json/schema"),
    )
}

/// The request body schema of `method path`.
fn request_validator(document: &Value, path: &str, method: &str) -> jsonschema::Validator {
    let operation = operation_pointer(path, method);
    schema_validator(
        document,
        &format!("{operation}/requestBody/content/application~1json/schema"),
    )
}

/// Checks `response` against the document: its status is documented for the operation, its body
/// matches that status's schema, and every required header of it is there.
fn conforms(document: &Value, path: &str, method: &str, response: &TestResponse) {
    let validator = response_validator(document, path, method, response.status);
    let body = response.json();
    let problems: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "{method} {path} {}: {problems:?}\n{body}",
        response.status
    );
    let headers =
        &document["paths"][path][method]["responses"][response.status.to_string()]["headers"];
    for (name, header) in headers.as_object().into_iter().flatten() {
        let reference = header["$ref"].as_str().unwrap_or_default();
        let definition = document
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or(header);
        match response.header(name) {
            Some(value) => {
                let schema = format!("{}/schema", reference.trim_start_matches('#'));
                assert!(
                    schema_validator(document, &schema).is_valid(&json!(value)),
                    "{method} {path} {}: {name}: {value} does not match its schema",
                    response.status
                );
            }
            None => assert!(
                definition["required"] != true,
                "{method} {path} {}: no {name} header",
                response.status
            ),
        }
    }
}

async fn document(app: &TestApp) -> Value {
    let response = app.send(app.http.get(app.url("/openapi.json"))).await;
    assert_eq!(response.status, 200, "served without a key");
    assert_eq!(response.header("content-type"), Some("application/json"));
    response.json()
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let app = spawn_app().await;
    let served = document(&app).await;
    let committed: Value = serde_json::from_str(include_str!("../../docs/openapi.json")).unwrap();
    assert_eq!(served, committed);
}

/// The listing's query parameters in the document are exactly those its parser reads
/// (`names::ALL`, which a unit test holds to the parser), under both prefixes.
#[test]
fn the_listings_parameters_are_the_ones_it_reads() {
    let document = image_sources::openapi::document();
    let all: std::collections::BTreeSet<&str> =
        shared::domain::list_query::names::ALL.into_iter().collect();
    for path in ["/v1/sources", "/api/v1/sources"] {
        let described: std::collections::BTreeSet<&str> =
            document["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
        assert_eq!(described, all, "{path}");
    }
}

#[tokio::test]
async fn every_source_type_created_fetched_listed_and_updated_conforms() {
    let app = spawn_app().await;
    let document = document(&app).await;
    let key = app.db.api_key("acme").await;
    for prefix in ["/v1", "/api/v1"] {
        let list = format!("{prefix}/sources");
        let one = format!("{prefix}/sources/{{id}}");
        for source_type in SourceType::ALL {
            let name = format!("conform{}-{source_type}", prefix.replace('/', "-"));
            let created = app
                .post(&list, &key, &source_body(&name, source_type))
                .await;
            assert_eq!(created.status, 201, "{}", created.text);
            conforms(&document, &list, "post", &created);
            let path = format!("{list}/{}", created.json()["id"].as_str().unwrap());
            conforms(&document, &one, "get", &app.get(&path, &key).await);
            let patched = app
                .patch(
                    &path,
                    &key,
                    &credential_patch(json!({"require_token": true})),
                )
                .await;
            assert_eq!(patched.status, 200, "{}", patched.text);
            conforms(&document, &one, "patch", &patched);
            let rotate = format!("{one}/rotate_secret_token");
            let rotated = app
                .send(
                    app.http
                        .post(app.url(&format!("{path}/rotate_secret_token")))
                        .header(API_KEY_HEADER, &key)
                        .body(r#"{"grace_period": 60}"#),
                )
                .await;
            assert_eq!(rotated.status, 200, "{}", rotated.text);
            assert!(rotated.json()["credentials"]["previous_secret_token"].is_string());
            conforms(&document, &rotate, "post", &rotated);
            let refused = app
                .send(
                    app.http
                        .post(app.url(&format!("{path}/rotate_secret_token")))
                        .header(API_KEY_HEADER, &key)
                        .body(r#"{"grace_period": -1}"#),
                )
                .await;
            assert_eq!(refused.status, 422);
            conforms(&document, &rotate, "post", &refused);
        }
        conforms(&document, &list, "get", &app.get(&list, &key).await);
        let paged = app.get(&format!("{list}?limit=2&sort=-name"), &key).await;
        assert!(paged.header("link").is_some(), "a page with a next");
        conforms(&document, &list, "get", &paged);
        // The audit trail of everything above: a source's events and the account's.
        let some_id = paged.json()[0]["id"].as_str().unwrap().to_owned();
        let of_source = app
            .get(&format!("{list}/{some_id}/events?limit=1"), &key)
            .await;
        assert!(of_source.header("link").is_some());
        conforms(&document, &format!("{one}/events"), "get", &of_source);
        let of_account = app.get(&format!("{prefix}/events?limit=5"), &key).await;
        assert!(of_account.header("link").is_some());
        conforms(&document, &format!("{prefix}/events"), "get", &of_account);
    }
}

#[tokio::test]
async fn every_error_the_app_produces_conforms() {
    let app = spawn_app().await;
    let document = document(&app).await;
    let key = app.db.api_key("acme").await;
    let list = "/v1/sources";
    let one = "/v1/sources/{id}";
    let created = app
        .post(list, &key, &source_body("errors", SourceType::Url))
        .await;
    let path = format!("/v1/sources/{}", created.json()["id"].as_str().unwrap());
    let missing = "/v1/sources/000000000000000000000000";

    // 401 on every operation.
    for (method, template, request) in [
        ("get", list, app.http.get(app.url(list))),
        ("post", list, app.http.post(app.url(list)).body("{}")),
        ("get", one, app.http.get(app.url(&path))),
        ("patch", one, app.http.patch(app.url(&path)).body("{}")),
        ("delete", one, app.http.delete(app.url(&path))),
    ] {
        let response = app.send(request.header(API_KEY_HEADER, "isk_wrong")).await;
        assert_eq!(response.status, 401);
        conforms(&document, template, method, &response);
    }
    // 400, 413, 422 on the operations with a body.
    for (method, request) in [
        ("post", app.http.post(app.url(list))),
        ("patch", app.http.patch(app.url(&path))),
    ] {
        let template = if method == "post" { list } else { one };
        let bad = app
            .send(
                request
                    .try_clone()
                    .unwrap()
                    .header(API_KEY_HEADER, &key)
                    .body("not json"),
            )
            .await;
        assert_eq!(bad.status, 400);
        conforms(&document, template, method, &bad);
        let large = app
            .send(
                request
                    .try_clone()
                    .unwrap()
                    .header(API_KEY_HEADER, &key)
                    .body(" ".repeat(70_000)),
            )
            .await;
        assert_eq!(large.status, 413);
        conforms(&document, template, method, &large);
        let invalid = app
            .send(
                request
                    .header(API_KEY_HEADER, &key)
                    .body(json!({"source": {"source": "-"}}).to_string()),
            )
            .await;
        assert_eq!(invalid.status, 422);
        conforms(&document, template, method, &invalid);
    }
    // 400 on the listing: a bad parameter, a cursor it did not make.
    for query in ["?limit=0", "?cursor=AAAA", "?sort=size", "?q=a&q=b"] {
        let bad = app.get(&format!("{list}{query}"), &key).await;
        assert_eq!(bad.status, 400, "{query}");
        conforms(&document, list, "get", &bad);
    }
    // 404 and 412.
    conforms(&document, one, "get", &app.get(missing, &key).await);
    conforms(
        &document,
        one,
        "patch",
        &app.patch(missing, &key, &credential_patch(json!({}))).await,
    );
    conforms(&document, one, "delete", &app.delete(missing, &key).await);
    for (method, request) in [
        (
            "patch",
            app.http
                .patch(app.url(&path))
                .body(credential_patch(json!({})).to_string()),
        ),
        ("delete", app.http.delete(app.url(&path))),
    ] {
        let stale = app
            .send(
                request
                    .header(API_KEY_HEADER, &key)
                    .header("if-match", "\"9\""),
            )
            .await;
        assert_eq!(stale.status, 412);
        conforms(&document, one, method, &stale);
    }
    // 200 of a delete.
    let deleted = app.delete(&path, &key).await;
    assert_eq!(deleted.status, 200);
    conforms(&document, one, "delete", &deleted);
}

/// 503 (DynamoDB down) and 500 (an unexpected DynamoDB error: a table that does not exist), from
/// gateways over broken stores, on every operation.
#[tokio::test]
async fn server_side_failures_are_documented_503_and_500() {
    let app = spawn_app().await;
    let document = document(&app).await;
    let dead = Store::new(
        local_client(&dead_endpoint().await, ClientSettings::default()),
        "image-sources",
    );
    let missing_table = Store::new(app.db.store.client().clone(), "no-such-table");
    for (store, status) in [(dead, 503), (missing_table, 500)] {
        let base = spawn_gateway(store).await;
        let id = "/v1/sources/000000000000000000000000";
        for (method, template, request) in [
            (
                "get",
                "/v1/sources",
                app.http.get(format!("{base}/v1/sources")),
            ),
            (
                "post",
                "/v1/sources",
                app.http.post(format!("{base}/v1/sources")).body("{}"),
            ),
            (
                "get",
                "/v1/sources/{id}",
                app.http.get(format!("{base}{id}")),
            ),
            (
                "patch",
                "/v1/sources/{id}",
                app.http.patch(format!("{base}{id}")).body("{}"),
            ),
            (
                "delete",
                "/v1/sources/{id}",
                app.http.delete(format!("{base}{id}")),
            ),
        ] {
            let response = app.send(request.header(API_KEY_HEADER, "isk_any")).await;
            assert_eq!(response.status, status, "{method} {template}");
            conforms(&document, template, method, &response);
        }
    }
}

/// The checks above can fail: bodies the document does not allow are refused.
#[tokio::test]
async fn the_schemas_refuse_what_the_contract_does_not_allow() {
    let app = spawn_app().await;
    let document = document(&app).await;
    let source = response_validator(&document, "/v1/sources/{id}", "get", 200);
    let good = json!({"id": "69a99ae507f19000072d0125", "source": "my-images", "source_type": "url",
        "enabled": true, "credentials": {"url": "https://example.com/", "require_token": "false", "secret_token": "a".repeat(64)},
        "delivery": {"custom_domains": [], "subdomains": [], "default_params": {},
            "cache": {"behavior": "respect_origin", "ttl": 31536000, "error_ttl": 300},
            "fallback_images": {"error": null, "missing": null}, "crossdomain_xml": false,
            "url_signature": "imageboss", "annotation": null},
        "created_at": "2026-03-05T14:10:00Z", "updated_at": "2026-03-05T14:10:00Z",
        "secrets_updated_at": "2026-03-05T14:10:00Z",
        "health": {"status": "failed", "checked_at": "2026-03-06T09:00:00Z",
            "error": {"code": "access_denied", "message": "The storage refused the credentials (HTTP 403)"}},
        "urls": {"path": null, "subdomains": [], "custom_domains": [], "cname_target": null}});
    assert!(source.is_valid(&good));
    let mut without_urls = good.clone();
    without_urls.as_object_mut().unwrap().remove("urls");
    assert!(!source.is_valid(&without_urls), "urls is on every source");
    let mut revealed = good.clone();
    revealed["source_type"] = json!("s3");
    revealed["credentials"] = json!({"bucket": "b", "region": "us-east-1", "access_key_id": "AKIA",
        "secret_access_key": "the-real-secret", "require_token": "false", "secret_token": "a".repeat(64)});
    assert!(!source.is_valid(&revealed), "a secret in clear");
    let mut extra = good.clone();
    extra["account_id"] = json!("acme");
    assert!(!source.is_valid(&extra), "an undocumented field");
    let mut wrong_type = good.clone();
    wrong_type["credentials"]["bucket"] = json!("b");
    assert!(!source.is_valid(&wrong_type), "a key of another type");
    let mut made_up_health = good.clone();
    made_up_health["health"]["status"] = json!("fine");
    assert!(
        !source.is_valid(&made_up_health),
        "a status §22 does not name"
    );
    let mut enabled_text = good;
    enabled_text["enabled"] = json!("true");
    assert!(!source.is_valid(&enabled_text), "enabled is a boolean");
    let errors = response_validator(&document, "/v1/sources", "post", 422);
    assert!(!errors.is_valid(&json!({"errors": []})));
    assert!(!errors.is_valid(&json!({"errors": [1]})));
}

/// What schemathesis found the document refused while the app (rightly) accepts it: echoed
/// read-only fields of any type, `null` for `require_token` and for an absent optional key on
/// create. The document now allows each, and the app still accepts each.
#[tokio::test]
async fn requests_the_app_accepts_are_allowed_by_the_document() {
    let app = spawn_app().await;
    let document = document(&app).await;
    let key = app.db.api_key("acme").await;
    let create = request_validator(&document, "/v1/sources", "post");
    let mut body = source_body("lenient", SourceType::Wasabi);
    body["source"]["id"] = Value::Null;
    body["source"]["updated_at"] = json!({});
    body["source"]["credentials"] = json!("anything");
    body["source"]["credential_attributes"]["region"] = Value::Null;
    body["source"]["credential_attributes"]["require_token"] = Value::Null;
    assert!(
        create.is_valid(&body),
        "{:?}",
        create
            .iter_errors(&body)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    let created = app.post("/v1/sources", &key, &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json()["credentials"]["require_token"], "false");
    assert!(created.json()["credentials"].get("region").is_none());
}

/// Preconditions are evaluated before the request content (RFC 9110 §13.2.1): a stale If-Match
/// is 412 whatever the body holds, and the document lists 412 for both operations.
#[tokio::test]
async fn a_stale_if_match_is_412_before_the_body_is_validated() {
    let app = spawn_app().await;
    let document = document(&app).await;
    let key = app.db.api_key("acme").await;
    let created = app
        .post("/v1/sources", &key, &source_body("pinned", SourceType::Url))
        .await;
    let path = format!("/v1/sources/{}", created.json()["id"].as_str().unwrap());
    let invalid = json!({"source": {"source_type": {}, "source": "-"}});
    let response = app
        .send(
            app.http
                .patch(app.url(&path))
                .header(API_KEY_HEADER, &key)
                .header("if-match", "\"7\"")
                .body(invalid.to_string()),
        )
        .await;
    assert_eq!(response.status, 412);
    conforms(&document, "/v1/sources/{id}", "patch", &response);
}

#[tokio::test]
async fn verification_answers_conform() {
    use integration_tests::storage::{Reply, TestNetwork, WebServer};
    let web = WebServer::start(vec![("/ok/", Reply::Status(200))]).await;
    let network = TestNetwork::start().await;
    network.answer("images.test", &["127.0.0.1"]);
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[]))
        .spawn()
        .await;
    let document = document(&app).await;
    let key = app.db.api_key("acme").await;
    let good = format!("http://images.test:{}/ok/", web.address.port());
    let bad = format!("http://images.test:{}/missing/", web.address.port());
    let verify = "/v1/sources/{id}/verify";
    for (name, url, status) in [("verify-ok", &good, "ok"), ("verify-bad", &bad, "failed")] {
        let body = json!({"source": {"source": name, "source_type": "url",
            "credential_attributes": {"url": url}}});
        let created = app.post("/v1/sources", &key, &body).await;
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let verified = app
            .send(
                app.http
                    .post(app.url(&format!("/v1/sources/{id}/verify")))
                    .header(API_KEY_HEADER, &key),
            )
            .await;
        assert_eq!(verified.status, 200, "{}", verified.text);
        assert_eq!(verified.json()["verification"]["status"], status);
        conforms(&document, verify, "post", &verified);
    }
    let body = json!({"source": {"source": "verify-refused", "source_type": "url",
        "credential_attributes": {"url": bad}}});
    let refused = app.post("/v1/sources?verify=true", &key, &body).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    conforms(&document, "/v1/sources", "post", &refused);
    // The rest of the minute's 10 verifications, then the 429.
    let mut limited = None;
    for _ in 0..12 {
        let response = app.post("/v1/sources?verify=true", &key, &body).await;
        if response.status == 429 {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("a 429 within 12 more verifications");
    assert!(limited.header("retry-after").is_some());
    conforms(&document, "/v1/sources", "post", &limited);
}
