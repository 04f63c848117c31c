//! The Lambda path: each file in `events/` goes through `lambda_http`'s own deserialization (as
//! the Lambda runtime does) into the same handler the function binaries run.

use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use integration_tests::TestDb;
use lambda_http::Body;
use serde_json::Value;
use shared::AppState;
use shared::functions::authorizer::authorize;
use shared::functions::dispatch;
use shared::http::Endpoint;
use shared::http::caller::AuthorizerError;

const EVENT_REQUEST_ID: &str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";

fn event(name: &str) -> Value {
    let path = format!("{}/../events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// Points an event at `id`, as API Gateway would for `/v1/sources/<id>`.
fn with_id(mut event: Value, id: &str) -> Value {
    let resource = event["resource"].as_str().unwrap().to_owned();
    event["path"] = Value::from(resource.replace("{id}", id));
    event["pathParameters"]["id"] = Value::from(id);
    event
}

async fn invoke(state: &AppState, endpoint: Endpoint, event: &Value) -> (u16, Value) {
    let request =
        lambda_http::request::from_str(&event.to_string()).expect("lambda_http accepts the event");
    let response = dispatch(state, endpoint, request).await;
    assert_eq!(
        response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some(EVENT_REQUEST_ID),
        "the API Gateway request id is passed on"
    );
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("unexpected body {other:?}"),
    };
    (response.status().as_u16(), body)
}

#[tokio::test]
async fn every_endpoint_event_runs_through_lambda_http() {
    let db = TestDb::start().await;
    // The verification resolves nothing and reaches loopback only.
    let verifier = integration_tests::storage::TestNetwork::start()
        .await
        .verifier(false, &[]);
    let state = integration_tests::app_state(db.store.clone())
        .await
        .with_verifier(verifier);

    let (status, body) = invoke(&state, Endpoint::GetSource, &event("get-source")).await;
    assert_eq!(
        (status, body),
        (404, serde_json::json!({"errors": ["Source not found"]}))
    );

    let (status, created) = invoke(&state, Endpoint::CreateSource, &event("create-source")).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["source"], "my-images");
    assert_eq!(created["credentials"]["secret_access_key"], "****");
    let id = created["id"].as_str().unwrap();

    let (status, listed) = invoke(&state, Endpoint::ListSources, &event("list-sources")).await;
    assert_eq!((status, listed), (200, Value::Array(vec![created.clone()])));

    let (status, got) = invoke(
        &state,
        Endpoint::GetSource,
        &with_id(event("get-source"), id),
    )
    .await;
    assert_eq!((status, &got), (200, &created));

    let (status, updated) = invoke(
        &state,
        Endpoint::UpdateSource,
        &with_id(event("update-source"), id),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(updated["credentials"]["require_token"], "false");

    let (status, verified) = invoke(
        &state,
        Endpoint::VerifySource,
        &with_id(event("verify-source"), id),
    )
    .await;
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["verification"]["status"], "failed");
    assert_eq!(verified["verification"]["error"]["code"], "unreachable");
    // With `{"path"}` (docs/SPEC.md §25): the object check follows, unreachable too, in words.
    let (status, verified) = invoke(
        &state,
        Endpoint::VerifySource,
        &with_id(event("verify-source-object"), id),
    )
    .await;
    assert_eq!(status, 200, "{verified}");
    let checks = verified["verification"]["checks"].as_array().unwrap();
    let object = checks.last().unwrap();
    assert_eq!(object["check"], "object", "{verified}");
    assert_eq!(object["result"], "failed");
    assert!(object["message"].as_str().is_some_and(|m| !m.is_empty()));

    let (status, deleted) = invoke(
        &state,
        Endpoint::DeleteSource,
        &with_id(event("delete-source"), id),
    )
    .await;
    assert_eq!((status, deleted), (200, serde_json::json!({})));
    let (status, _) = invoke(
        &state,
        Endpoint::GetSource,
        &with_id(event("get-source"), id),
    )
    .await;
    assert_eq!(status, 404);
}

/// `events/get-api-key.json`: the calling key from the authorizer's context alone (docs/SPEC.md
/// §19), through a state whose store reaches nothing, as the function's own is.
#[tokio::test]
async fn the_calling_key_event_answers_from_the_context() {
    let state = AppState::without_table();
    let (status, body) = invoke(&state, Endpoint::GetApiKey, &event("get-api-key")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"api_key": {"id": "0123456789abcdef", "label": "ci", "scope": "read",
            "expires_at": "2027-03-05T14:10:00Z", "account": "acme"}})
    );
    // An authorizer answer without the scope (cached from before it carried one) is no caller.
    let mut older = event("get-api-key");
    older["requestContext"]["authorizer"]
        .as_object_mut()
        .unwrap()
        .remove("apiKeyScope");
    let (status, _) = invoke(&state, Endpoint::GetApiKey, &older).await;
    assert_eq!(status, 401);
}

/// The `console` function takes every method (its routes are `ANY`): whatever is not a GET is
/// 405 `Allow: GET`, with the security headers of every console response (docs/SPEC.md §20).
#[test]
fn the_console_function_refuses_other_methods_with_its_headers() {
    let version_file = format!("v/{}/app.js", shared::functions::console::version());
    for method in [
        "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND",
    ] {
        for proxy in [None, Some(""), Some(version_file.as_str()), Some("nope.js")] {
            let mut request = event("console");
            request["httpMethod"] = Value::from(method);
            request["requestContext"]["httpMethod"] = Value::from(method);
            if let Some(path) = proxy {
                request["resource"] = Value::from("/console/{proxy+}");
                request["path"] = Value::from(format!("/console/{path}"));
                request["pathParameters"] = serde_json::json!({ "proxy": path });
            } else {
                request["path"] = Value::from("/console");
                request["requestContext"]["path"] = Value::from("/prod/console");
            }
            let request = lambda_http::request::from_str(&request.to_string()).unwrap();
            let response = shared::functions::console::answer(&request);
            assert_eq!(response.status(), 405, "{method} {proxy:?}");
            let headers = response.headers();
            assert_eq!(headers["allow"], "GET");
            assert_eq!(
                headers["content-security-policy"],
                shared::functions::console::CONTENT_SECURITY_POLICY
            );
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert_eq!(headers["referrer-policy"], "no-referrer");
        }
    }
}

/// `events/console.json`: `/console/` through `lambda_http`, the page with its headers; the bare
/// `/console` redirects below itself (docs/SPEC.md §20).
#[test]
fn the_console_event_answers_the_page() {
    let page = event("console");
    let request = lambda_http::request::from_str(&page.to_string()).unwrap();
    let response = shared::functions::console::answer(&request);
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-security-policy"],
        shared::functions::console::CONTENT_SECURITY_POLICY
    );
    assert_eq!(response.headers()["x-request-id"], EVENT_REQUEST_ID);
    let Body::Text(html) = response.body() else {
        panic!("the page is text")
    };
    assert!(html.contains(shared::functions::console::version()));

    let mut bare = event("console");
    bare["path"] = Value::from("/console");
    bare["requestContext"]["path"] = Value::from("/prod/console");
    let request = lambda_http::request::from_str(&bare.to_string()).unwrap();
    assert_eq!(shared::functions::console::answer(&request).status(), 308);

    let mut file = event("console");
    file["resource"] = Value::from("/console/{proxy+}");
    let path = format!("v/{}/app.js", shared::functions::console::version());
    file["path"] = Value::from(format!("/console/{path}"));
    file["pathParameters"] = serde_json::json!({ "proxy": path });
    let request = lambda_http::request::from_str(&file.to_string()).unwrap();
    let response = shared::functions::console::answer(&request);
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
}

#[tokio::test]
async fn an_event_without_authorizer_context_is_refused() {
    let db = TestDb::start().await;
    let state = integration_tests::app_state(db.store.clone()).await;
    let mut unauthorized = event("list-sources");
    unauthorized["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let (status, body) = invoke(&state, Endpoint::ListSources, &unauthorized).await;
    assert_eq!(
        (status, body),
        (
            401,
            serde_json::json!({"errors": ["Invalid or missing API key"]})
        )
    );
}

/// The authorizer's answer to `events/authorizer.json` carrying `key`.
async fn authorizer_answer(db: &TestDb, key: &str) -> Value {
    let mut known = event("authorizer");
    known["headers"]["imageboss-api-key"] = Value::from(key);
    known["multiValueHeaders"]["imageboss-api-key"] = serde_json::json!([key]);
    let request: ApiGatewayCustomAuthorizerRequestTypeRequest =
        serde_json::from_value(known).unwrap();
    let response = authorize(&db.store, request).await.unwrap();
    serde_json::to_value(&response).unwrap()
}

const STAGE_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod";

#[tokio::test]
async fn the_authorizer_event_allows_a_known_key_and_refuses_others() {
    let db = TestDb::start().await;
    let key = db.api_key("acme").await;
    let response = authorizer_answer(&db, &key).await;
    assert_eq!(response["context"]["accountId"], "acme");
    assert_eq!(response["context"]["apiKeyLabel"], "test");
    let key_id = shared::domain::ApiKey::from_header(&key).unwrap().hash();
    assert_eq!(response["context"]["apiKeyId"], key_id.key_id());
    assert_eq!(response["principalId"], "acme");
    assert_eq!(
        response["policyDocument"]["Statement"][0]["Effect"],
        "Allow"
    );
    // A write key (the kit's): every route but managing keys (docs/SPEC.md §26).
    let resources: Vec<String> =
        serde_json::from_value(response["policyDocument"]["Statement"][0]["Resource"].clone())
            .unwrap();
    assert_eq!(
        resources,
        shared::functions::authorizer::allowed_resources(
            shared::domain::KeyScope::Write,
            STAGE_ARN
        )
    );
    assert!(resources.contains(&format!("{STAGE_ARN}/DELETE/v1/sources/*")));
    assert!(!resources.iter().any(|r| r.contains("POST/v1/api_keys")));

    // The file's own key is a placeholder nobody holds.
    let unknown: ApiGatewayCustomAuthorizerRequestTypeRequest =
        serde_json::from_value(event("authorizer")).unwrap();
    assert!(matches!(
        authorize(&db.store, unknown).await,
        Err(AuthorizerError::Unauthorized)
    ));
}

#[tokio::test]
async fn the_authorizer_allows_a_read_key_get_only() {
    let db = TestDb::start().await;
    let key = db
        .api_key_with(
            "acme",
            shared::store::KeyGrant {
                label: "plan".into(),
                scope: shared::domain::KeyScope::Read,
                valid_until: None,
            },
        )
        .await;
    let response = authorizer_answer(&db, &key).await;
    let statement = &response["policyDocument"]["Statement"][0];
    assert_eq!(statement["Effect"], "Allow");
    let resources: Vec<String> = serde_json::from_value(statement["Resource"].clone()).unwrap();
    assert!(resources.contains(&format!("{STAGE_ARN}/GET/v1/sources/*")));
    assert!(
        resources
            .iter()
            .all(|r| r.starts_with(&format!("{STAGE_ARN}/GET/"))),
        "{resources:?}"
    );
}

#[tokio::test]
async fn the_authorizer_refuses_an_expired_key() {
    let db = TestDb::start().await;
    let key = db
        .api_key_with(
            "acme",
            shared::store::KeyGrant {
                label: "old".into(),
                scope: shared::domain::KeyScope::Write,
                valid_until: shared::domain::Timestamp::now().plus_seconds(-60),
            },
        )
        .await;
    let mut expired = event("authorizer");
    expired["headers"]["imageboss-api-key"] = Value::from(key.as_str());
    let request: ApiGatewayCustomAuthorizerRequestTypeRequest =
        serde_json::from_value(expired).unwrap();
    assert!(matches!(
        authorize(&db.store, request).await,
        Err(AuthorizerError::Unauthorized)
    ));
}

#[test]
fn every_function_has_its_event_and_every_event_a_function() {
    let dir = format!("{}/../events", env!("CARGO_MANIFEST_DIR"));
    let files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let functions: Vec<&str> = Endpoint::ALL
        .iter()
        .map(|e| e.function_name())
        .chain([
            "authorizer",
            shared::catalog::CHECK_SOURCES.name,
            shared::catalog::CONSOLE.name,
        ])
        .collect();
    for function in &functions {
        assert!(
            files.contains(&format!("{function}.json")),
            "events/{function}.json"
        );
    }
    // Variants (`list-sources-paged.json`) are named after their function.
    for file in &files {
        let stem = file.strip_suffix(".json").expect("a JSON file");
        assert!(
            functions
                .iter()
                .any(|f| stem == *f || stem.starts_with(&format!("{f}-"))),
            "events/{file} belongs to no function"
        );
    }
}

#[tokio::test]
async fn the_paged_list_event_answers_one_page_and_a_link_to_the_next() {
    let db = TestDb::start().await;
    let state = integration_tests::app_state(db.store.clone()).await;
    let (status, first) = invoke(&state, Endpoint::CreateSource, &event("create-source")).await;
    assert_eq!(status, 201);
    let mut second = event("create-source");
    let body = second["body"]
        .as_str()
        .unwrap()
        .replace("my-images", "My-Archive")
        // A custom domain is one source's only (docs/SPEC.md §23).
        .replace("images.example.com", "archive.example.com");
    second["body"] = Value::from(body);
    let (status, second) = invoke(&state, Endpoint::CreateSource, &second).await;
    assert_eq!(status, 201);

    // limit=1, sort=name, q=my: My-Archive first, then my-images.
    let paged = event("list-sources-paged");
    let request = lambda_http::request::from_str(&paged.to_string()).unwrap();
    let response = dispatch(&state, Endpoint::ListSources, request).await;
    assert_eq!(response.status(), 200);
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    let body: Value = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("unexpected body {other:?}"),
    };
    assert_eq!(body, Value::Array(vec![second]));
    let cursor = link
        .strip_prefix("</v1/sources?limit=1&sort=name&q=my&cursor=")
        .and_then(|rest| rest.strip_suffix(">; rel=\"next\""))
        .unwrap_or_else(|| panic!("{link}"));

    let mut next = paged.clone();
    next["queryStringParameters"]["cursor"] = Value::from(cursor);
    next["multiValueQueryStringParameters"]["cursor"] = serde_json::json!([cursor]);
    let request = lambda_http::request::from_str(&next.to_string()).unwrap();
    let response = dispatch(&state, Endpoint::ListSources, request).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("link").is_none(), "the last page");
    let body: Value = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("unexpected body {other:?}"),
    };
    assert_eq!(body, Value::Array(vec![first]));
}

#[tokio::test]
async fn the_list_events_function_tells_its_two_routes_apart() {
    let db = TestDb::start().await;
    let state = integration_tests::app_state(db.store.clone()).await;
    let (status, created) = invoke(&state, Endpoint::CreateSource, &event("create-source")).await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap();
    let served = Endpoint::served_by("list-events");
    for (file, expected, id) in [
        ("list-events", Endpoint::ListEvents, None),
        ("list-events-source", Endpoint::ListSourceEvents, Some(id)),
    ] {
        let event = match id {
            Some(id) => with_id(event(file), id),
            None => event(file),
        };
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let endpoint = shared::http::request::endpoint_of(&request, &served).unwrap();
        assert_eq!(endpoint, expected, "{file}");
        let (status, events) = invoke(&state, endpoint, &event).await;
        assert_eq!(status, 200, "{file}: {events}");
        let events = events.as_array().unwrap();
        assert_eq!(events.len(), 1, "{file}");
        assert_eq!(events[0]["action"], "created");
        // The authorizer context of the event file names the key.
        assert_eq!(events[0]["api_key_label"], "ci");
    }
}

/// `events/check-sources.json` is what EventBridge sends the health checks' function each minute
/// (docs/SPEC.md §22). The function reads nothing of it: each invocation is one sweep, named by
/// the invocation's request id, which the events it records carry.
#[tokio::test]
async fn the_schedule_event_starts_one_sweep() {
    let scheduled = event(shared::catalog::CHECK_SOURCES.name);
    assert_eq!(scheduled["detail-type"], "Scheduled Event");
    assert_eq!(scheduled["source"], "aws.events");
    let db = TestDb::start().await;
    let verifier = integration_tests::storage::TestNetwork::start()
        .await
        .verifier(false, &[]);
    let state = integration_tests::app_state(db.store.clone())
        .await
        .with_verifier(verifier);
    let created = dispatch(
        &state,
        Endpoint::CreateSource,
        integration_tests::lambda_request(
            Endpoint::CreateSource,
            None,
            Some(
                serde_json::json!({"source": {"source": "scheduled", "source_type": "url",
                    "credential_attributes": {"url": "https://images.example.com/"}}})
                .to_string()
                .into_bytes(),
            ),
        ),
    )
    .await;
    assert_eq!(created.status().as_u16(), 201);
    let report = shared::functions::check_sources::scheduled_run(
        &state,
        shared::domain::Timestamp::now(),
        EVENT_REQUEST_ID,
    )
    .await
    .unwrap();
    // The name resolves nowhere here: the check fails, a health change recorded by this run.
    assert_eq!((report.checks(), report.failed, report.changed), (1, 1, 1));
    let events = db
        .store
        .list_events(
            &shared::domain::AccountId::parse("acme").unwrap(),
            &shared::domain::EventScope::Account,
            10,
            None,
        )
        .await
        .unwrap();
    assert_eq!(events.events[0].actor.request_id, EVENT_REQUEST_ID);
}

/// `events/list-api-keys.json`, `create-api-key.json` and `revoke-api-key.json` (docs/SPEC.md
/// §26) through `lambda_http`: the listing, a key made and shown once, its revocation (204), and
/// the file's own id, which no key has (404).
#[tokio::test]
async fn the_key_events_run_through_lambda_http() {
    let db = TestDb::start().await;
    let state = integration_tests::app_state(db.store.clone()).await;
    let (status, created) = invoke(&state, Endpoint::CreateApiKey, &event("create-api-key")).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["scope"], "read");
    assert!(created["key"].as_str().unwrap().starts_with("isk_"));
    let (status, listed) = invoke(&state, Endpoint::ListApiKeys, &event("list-api-keys")).await;
    assert_eq!(status, 200);
    assert_eq!(listed[0]["id"], created["id"]);
    assert!(listed[0].get("key").is_none(), "never the key again");
    let (status, missing) = invoke(&state, Endpoint::RevokeApiKey, &event("revoke-api-key")).await;
    assert_eq!(
        (status, missing),
        (404, serde_json::json!({"errors": ["API key not found"]}))
    );
    let id = created["id"].as_str().unwrap();
    let request = lambda_http::request::from_str(&with_id(event("revoke-api-key"), id).to_string())
        .expect("lambda_http accepts the event");
    let response = dispatch(&state, Endpoint::RevokeApiKey, request).await;
    assert_eq!(response.status().as_u16(), 204);
    assert!(matches!(response.body(), Body::Empty));
}

/// The imgix dialect through Lambda (docs/SPEC.md §24): `events/create-source-imgix.json` and
/// `events/list-sources-imgix.json` come from the imgix API, whose stage variable names the
/// dialect; the same functions answer them in JSON:API. `events/authorizer-imgix.json` carries the
/// key as `Authorization: Bearer` on that stage, where the native header means nothing.
#[tokio::test]
async fn the_imgix_apis_events_are_answered_in_its_dialect() {
    let db = TestDb::start().await;
    let state = integration_tests::app_state(db.store.clone()).await;
    let (status, created) = invoke(
        &state,
        Endpoint::CreateSource,
        &event("create-source-imgix"),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["data"]["type"], "sources");
    let attributes = &created["data"]["attributes"];
    assert_eq!(attributes["deployment"]["type"], "webfolder");
    assert_eq!(attributes["deployment"]["url_signature"], "imgix");
    assert!(attributes["secure_url_token"].is_string());

    let request = lambda_http::request::from_str(&event("list-sources-imgix").to_string()).unwrap();
    let response = dispatch(&state, Endpoint::ListSources, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.api+json"
    );
    let body: Value = match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("unexpected body {other:?}"),
    };
    assert_eq!(body["data"][0]["id"], created["data"]["id"]);
    assert_eq!(body["meta"]["pagination"]["totalRecords"], 1);

    // The same event without the stage variable is the native API's: its body is not a source.
    let mut native = event("create-source-imgix");
    native["stageVariables"] = Value::Null;
    let (status, refused) = invoke(&state, Endpoint::CreateSource, &native).await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused["errors"][0].is_string());

    let key = db.api_key("acme").await;
    let mut known = event("authorizer-imgix");
    known["headers"]["Authorization"] = Value::from(format!("Bearer {key}"));
    known["multiValueHeaders"]["Authorization"] = serde_json::json!([format!("Bearer {key}")]);
    let request: ApiGatewayCustomAuthorizerRequestTypeRequest =
        serde_json::from_value(known).unwrap();
    let answer = serde_json::to_value(authorize(&db.store, request).await.unwrap()).unwrap();
    assert_eq!(answer["context"]["accountId"], "acme");
    let mut native_header = event("authorizer-imgix");
    native_header["headers"]["imageboss-api-key"] = Value::from(key.clone());
    native_header["multiValueHeaders"]["imageboss-api-key"] = serde_json::json!([key]);
    let request: ApiGatewayCustomAuthorizerRequestTypeRequest =
        serde_json::from_value(native_header).unwrap();
    assert!(matches!(
        authorize(&db.store, request).await,
        Err(AuthorizerError::Unauthorized)
    ));
}
