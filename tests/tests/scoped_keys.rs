//! Scoped and expiring API keys (docs/SPEC.md §16): through the local gateway, and the authorizer's policy
//! on the Lambda path.

use integration_tests::fixtures::{API_KEY_HEADER, credential_patch, source_body};
use integration_tests::{TestApp, spawn_app};
use serde_json::{Value, json};
use shared::domain::{AccountId, KeyScope, SourceType, Timestamp};
use shared::functions::authorizer::policy_for;
use shared::http::Endpoint;
use shared::http::caller::Caller;
use shared::http::error::{FORBIDDEN_MESSAGE, UNAUTHORIZED_MESSAGE};
use shared::store::KeyGrant;

fn grant(scope: KeyScope, valid_until: Option<Timestamp>) -> KeyGrant {
    KeyGrant {
        label: format!("{} key", scope.as_str()),
        scope,
        valid_until,
    }
}

/// An app with one source, a write key and a read key of the same account.
async fn app_with_keys() -> (TestApp, String, String, String) {
    let app = spawn_app().await;
    let write = app.db.api_key("acme").await;
    let read = app
        .db
        .api_key_with("acme", grant(KeyScope::Read, None))
        .await;
    let created = app
        .post(
            "/v1/sources",
            &write,
            &source_body("shared", SourceType::S3),
        )
        .await;
    assert_eq!(created.status, 201);
    let path = created.header("location").unwrap().to_owned();
    (app, write, read, path)
}

/// A read key reads everything a write key does, but the signing tokens (docs/SPEC.md §26): a
/// key that inspects must not be able to sign URLs.
#[tokio::test]
async fn a_read_key_reads_everything_but_the_signing_tokens() {
    let (app, write, read, path) = app_with_keys().await;
    // A rotation, so that the previous token is shown too.
    let rotated = app
        .post(&format!("{path}/rotate_secret_token"), &write, &json!({}))
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let tokens = rotated.json()["credentials"].clone();
    let (current, previous) = (
        tokens["secret_token"].as_str().unwrap().to_owned(),
        tokens["previous_secret_token"].as_str().unwrap().to_owned(),
    );
    let masked = |mut source: Value| {
        source["credentials"]["secret_token"] = json!("****");
        source["credentials"]["previous_secret_token"] = json!("****");
        source
    };
    for prefix in ["/v1", "/api/v1"] {
        let list = app.get(&format!("{prefix}/sources?sort=name"), &read).await;
        assert_eq!(list.status, 200);
        let as_written: Vec<Value> = app
            .get("/v1/sources?sort=name", &write)
            .await
            .json()
            .as_array()
            .unwrap()
            .iter()
            .cloned()
            .map(masked)
            .collect();
        assert_eq!(list.json(), Value::Array(as_written));
        let one = app.get(&path.replacen("/v1", prefix, 1), &read).await;
        assert_eq!(one.status, 200);
        assert_eq!(one.json(), masked(app.get(&path, &write).await.json()));
        for text in [&list.text, &one.text] {
            assert!(!text.contains(&current) && !text.contains(&previous));
        }
    }
    // Nor do its events, nor the account's (they never show a token to anyone).
    for events in [format!("{path}/events"), "/v1/events".to_owned()] {
        let answer = app.get(&events, &read).await;
        assert_eq!(answer.status, 200);
        assert!(!answer.text.contains(&current) && !answer.text.contains(&previous));
    }
    // And the key says it is a read key.
    assert_eq!(
        app.get("/v1/api_key", &read).await.json()["api_key"]["scope"],
        "read"
    );
}

#[tokio::test]
async fn a_read_key_writes_nothing_and_is_told_403() {
    let (app, write, read, path) = app_with_keys().await;
    let before = app.get("/v1/sources", &write).await.json();
    let attempts = [
        app.post("/v1/sources", &read, &source_body("new", SourceType::Url))
            .await,
        app.patch(&path, &read, &credential_patch(json!({"prefix": "p/"})))
            .await,
        app.delete(&path, &read).await,
        app.delete(&path.replacen("/v1", "/api/v1", 1), &read).await,
    ];
    for answer in attempts {
        assert_eq!(answer.status, 403, "{}", answer.text);
        assert_eq!(answer.errors(), [FORBIDDEN_MESSAGE]);
        assert!(answer.header("x-request-id").is_some());
    }
    assert_eq!(app.get("/v1/sources", &write).await.json(), before);
}

#[tokio::test]
async fn an_expired_key_is_401_like_a_revoked_one() {
    let app = spawn_app().await;
    let past = Timestamp::now().plus_seconds(-1).unwrap();
    let future = Timestamp::now().plus_seconds(3600).unwrap();
    let expired = app
        .db
        .api_key_with("acme", grant(KeyScope::Write, Some(past)))
        .await;
    let lasting = app
        .db
        .api_key_with("acme", grant(KeyScope::Read, Some(future)))
        .await;
    let answer = app.get("/v1/sources", &expired).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.errors(), [UNAUTHORIZED_MESSAGE]);
    assert_eq!(app.get("/v1/sources", &lasting).await.status, 200);
}

/// Whether an IAM policy resource (`arn:...:api/stage/GET/*`) covers `arn`, as API Gateway
/// matches them: `*` stands for any run of characters.
fn covers(pattern: &str, arn: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == arn,
        Some((head, tail)) => {
            arn.starts_with(head)
                && (0..=arn.len() - head.len()).any(|skip| covers(tail, &arn[head.len() + skip..]))
        }
    }
}

#[tokio::test]
async fn the_local_gateway_refuses_exactly_what_the_authorizers_policy_does_not_allow() {
    let (app, _, _, path) = app_with_keys().await;
    let stage = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod";
    for scope in KeyScope::ALL {
        let caller = Caller {
            account: AccountId::parse("acme").unwrap(),
            scope,
            key_id: "0".repeat(16),
            key_label: String::new(),
            expires_at: None,
        };
        // Cached per key, the policy is the same whichever route asked for it.
        let policy =
            serde_json::to_value(policy_for(&caller, &format!("{stage}/GET/v1/sources"))).unwrap();
        let resources: Vec<String> = policy["policyDocument"]["Statement"][0]["Resource"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect();
        let key = app.db.api_key_with("acme", grant(scope, None)).await;
        for endpoint in Endpoint::ALL {
            let id = path.rsplit('/').next().unwrap();
            let route = format!("/v1{}", endpoint.resource().replace("{id}", id));
            let arn = format!("{stage}/{}{route}", endpoint.method());
            let allowed = resources.iter().any(|r| covers(r, &arn));
            let request = app
                .http
                .request(endpoint.method(), app.url(&route))
                .header(API_KEY_HEADER, &key)
                .body("{\"source\": {}}");
            let answer = app.send(request).await;
            assert_eq!(
                answer.status != 403,
                allowed,
                "{scope:?} {} {route}: {} {}",
                endpoint.method(),
                answer.status,
                answer.text
            );
        }
    }
}

#[test]
fn the_policy_matcher_matches_as_api_gateway_does() {
    assert!(covers("a/prod/GET/*", "a/prod/GET/v1/sources"));
    assert!(!covers("a/prod/GET/*", "a/prod/POST/v1/sources"));
    assert!(!covers("a/prod/GET/*", "a/dev/GET/v1/sources"));
    assert!(covers("a/*/GET/*", "a/dev/GET/x"));
}

/// A key stored before scopes existed has no `scope`: it keeps working as a `write` key
/// (docs/SPEC.md §26), which changes sources and manages no key.
#[tokio::test]
async fn a_key_stored_without_a_scope_works_as_a_write_key() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let app = spawn_app().await;
    let key = app
        .db
        .api_key_with("acme", grant(KeyScope::Admin, None))
        .await;
    let hash = shared::domain::ApiKey::from_header(&key).unwrap().hash();
    for (pk, sk) in [
        (format!("APIKEY#{}", hash.as_str()), "APIKEY".to_owned()),
        (
            "ACCOUNT#acme".to_owned(),
            format!("APIKEY#{}", hash.as_str()),
        ),
    ] {
        app.db
            .store
            .client()
            .update_item()
            .table_name(app.db.store.table_name())
            .key("PK", AttributeValue::S(pk))
            .key("SK", AttributeValue::S(sk))
            .update_expression("REMOVE #scope")
            .expression_attribute_names("#scope", "scope")
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        app.get("/v1/api_key", &key).await.json()["api_key"]["scope"],
        "write"
    );
    let created = app
        .post("/v1/sources", &key, &source_body("legacy", SourceType::Url))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let refused = app
        .post(
            "/v1/api_keys",
            &key,
            &json!({"label": "x", "scope": "read"}),
        )
        .await;
    assert_eq!(refused.status, 403);
    let listed = app.get("/v1/api_keys", &key).await.json();
    assert_eq!(listed[0]["scope"], "write");
}
