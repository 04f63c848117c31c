//! API keys as a resource (docs/SPEC.md §26) through the local gateway: an admin key makes, lists
//! and revokes the account's keys; scopes hold on every route; 20 working keys at most and the
//! last working admin key kept, under concurrent requests; every creation and revocation an
//! audit event; a revoked key refused at once. The keys the API makes are never registered with
//! the leak scan (the answer that makes one shows it, once): each test checks by hand that no
//! other answer holds it.

use integration_tests::fixtures::{API_KEY_HEADER, source_body};
use integration_tests::{TestApp, TestResponse, join_all, spawn_app};
use serde_json::{Value, json};
use shared::domain::{KeyScope, SourceType, Timestamp};
use shared::http::error::FORBIDDEN_MESSAGE;
use shared::store::KeyGrant;

fn grant(scope: KeyScope, valid_until: Option<Timestamp>) -> KeyGrant {
    KeyGrant {
        label: format!("kit {}", scope.as_str()),
        scope,
        valid_until,
    }
}

async fn admin_app() -> (TestApp, String) {
    let app = spawn_app().await;
    let admin = app
        .db
        .api_key_with("acme", grant(KeyScope::Admin, None))
        .await;
    (app, admin)
}

/// A request to send from another task: its status and its body as JSON (`null` for none).
fn request(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> impl std::future::Future<Output = (u16, Value)> + Send + use<> {
    let mut request = app
        .http
        .request(method, app.url(path))
        .header(API_KEY_HEADER, key);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    async move {
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

async fn create_key(app: &TestApp, admin: &str, body: Value) -> Value {
    let created = app.post("/v1/api_keys", admin, &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()
}

fn ids(listed: &TestResponse) -> Vec<String> {
    listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_admin_key_makes_lists_and_revokes_the_accounts_keys() {
    let (app, admin) = admin_app().await;
    let admin_id = shared::domain::ApiKey::from_header(&admin)
        .unwrap()
        .hash()
        .key_id()
        .to_owned();
    let before = Timestamp::now();
    let made = create_key(
        &app,
        &admin,
        json!({"label": "CI deploy", "scope": "read", "expires_in": 7_776_000}),
    )
    .await;
    let key = made["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("isk_") && key.len() == 68);
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(
        id,
        shared::domain::ApiKey::from_header(&key)
            .unwrap()
            .hash()
            .key_id()
    );
    assert_eq!(made["label"], "CI deploy");
    assert_eq!(made["scope"], "read");
    assert_eq!(made["last_used_on"], Value::Null);
    let expires = Timestamp::parse(made["expires_at"].as_str().unwrap()).unwrap();
    let lifetime = expires.unix_seconds() - before.unix_seconds();
    assert!((7_776_000..7_776_060).contains(&lifetime), "{lifetime}");

    // Newest first, never a key itself; any scope may list.
    for lister in [&admin, &key] {
        let listed = app.get("/v1/api_keys", lister).await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        assert_eq!(ids(&listed), [id.clone(), admin_id.clone()]);
        assert!(!listed.text.contains(&key) && !listed.text.contains(&admin));
        assert!(listed.json()[0].get("key").is_none());
    }
    // The new read key reads, and is told so; it writes nothing, and manages no key.
    assert_eq!(app.get("/v1/sources", &key).await.status, 200);
    let who = app.get("/v1/api_key", &key).await.json();
    assert_eq!(who["api_key"]["scope"], "read");
    assert_eq!(who["api_key"]["id"], id);
    let refused = [
        app.post("/v1/sources", &key, &source_body("nope", SourceType::Url))
            .await,
        app.post(
            "/api/v1/api_keys",
            &key,
            &json!({"label": "x", "scope": "admin"}),
        )
        .await,
        app.delete(&format!("/v1/api_keys/{admin_id}"), &key).await,
    ];
    for response in refused {
        assert_eq!(response.status, 403, "{}", response.text);
        assert_eq!(response.errors(), [FORBIDDEN_MESSAGE]);
    }
    // The key was used today: the listing says so.
    let listed = app.get("/v1/api_keys", &admin).await.json();
    assert_eq!(listed[0]["last_used_on"], Timestamp::now().date());

    // Revoked: 204 without a body, and refused at once.
    let revoked = app.delete(&format!("/v1/api_keys/{id}"), &admin).await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    assert!(revoked.text.is_empty());
    assert_eq!(app.get("/v1/sources", &key).await.status, 401);
    assert_eq!(
        ids(&app.get("/api/v1/api_keys", &admin).await),
        [admin_id.as_str()]
    );
    for gone in [
        id.clone(),
        "0123456789abcdef".to_owned(),
        "not-a-key-id".to_owned(),
        id.to_uppercase(),
    ] {
        let again = app.delete(&format!("/v1/api_keys/{gone}"), &admin).await;
        assert_eq!(again.status, 404, "{gone}");
        assert_eq!(again.errors(), ["API key not found"]);
    }

    // Both are the account's events, naming the key by id and label, never the key; newest
    // first, made by the admin key.
    let events = app.get("/v1/events", &admin).await;
    assert!(!events.text.contains(&key[4..]));
    let events = events.json();
    for (event, action, from_or_to) in [
        (&events[0], "api_key_revoked", "from"),
        (&events[1], "api_key_created", "to"),
    ] {
        assert_eq!(event["action"], action, "{events}");
        assert_eq!(event["source_id"], Value::Null);
        assert_eq!(event["api_key_id"], admin_id);
        let facts: Vec<(String, Value)> = event["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["field"].as_str().unwrap().to_owned(),
                    c[from_or_to].clone(),
                )
            })
            .collect();
        assert_eq!(
            facts[..3],
            [
                ("api_key.id".to_owned(), json!(id)),
                ("api_key.label".to_owned(), json!("CI deploy")),
                ("api_key.scope".to_owned(), json!("read")),
            ]
        );
        assert_eq!(facts[3].0, "api_key.expires_at");
    }
}

#[tokio::test]
async fn a_write_key_changes_sources_but_manages_no_key() {
    let app = spawn_app().await;
    let write = app.db.api_key("acme").await;
    let created = app
        .post("/v1/sources", &write, &source_body("mine", SourceType::Url))
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(app.get("/v1/api_keys", &write).await.status, 200);
    let id = shared::domain::ApiKey::from_header(&write)
        .unwrap()
        .hash()
        .key_id()
        .to_owned();
    for response in [
        app.post(
            "/v1/api_keys",
            &write,
            &json!({"label": "x", "scope": "read"}),
        )
        .await,
        app.delete(&format!("/v1/api_keys/{id}"), &write).await,
    ] {
        assert_eq!(response.status, 403, "{}", response.text);
        assert_eq!(response.errors(), [FORBIDDEN_MESSAGE]);
    }
    assert_eq!(
        app.get("/v1/api_keys", &write)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_bad_key_request_is_422_or_400_and_makes_nothing() {
    let (app, admin) = admin_app().await;
    let before = app.db.all_items().await;
    for (body, errors) in [
        (
            json!({}),
            vec!["Label can't be blank", "Scope can't be blank"],
        ),
        (
            json!({"label": "x", "scope": "owner"}),
            vec!["Scope must be one of read, write, admin"],
        ),
        (
            json!({"label": "x\ny", "scope": "read"}),
            vec!["Label must not contain control characters"],
        ),
        (
            json!({"label": "x".repeat(65), "scope": "read"}),
            vec!["Label is too long (maximum is 64 characters)"],
        ),
        (
            json!({"label": "x", "scope": "read", "expires_in": 60}),
            vec!["Expires in must be an integer from 3600 to 63072000 seconds"],
        ),
        (
            json!({"label": "x", "scope": "read", "key": "isk_mine"}),
            vec!["Attribute key is not supported"],
        ),
    ] {
        let response = app.post("/v1/api_keys", &admin, &body).await;
        assert_eq!(response.status, 422, "{body}: {}", response.text);
        assert_eq!(response.errors(), errors, "{body}");
    }
    let not_json = app
        .send(
            app.http
                .post(app.url("/v1/api_keys"))
                .header(API_KEY_HEADER, &admin)
                .body("{\"label\":"),
        )
        .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(app.db.all_items().await, before, "nothing written");
}

/// 30 creates at once on an account with an admin key, a revoked key and an expired one: the
/// two that do not work hold no place, so 19 are made and 11 refused, and 20 keys work.
#[tokio::test]
async fn an_account_has_at_most_20_working_keys_under_concurrent_creates() {
    let (app, admin) = admin_app().await;
    let expired = Timestamp::now().plus_seconds(-60);
    app.db
        .api_key_with("acme", grant(KeyScope::Read, expired))
        .await;
    let revoked = app.db.api_key("acme").await;
    let revoked_id = shared::domain::ApiKey::from_header(&revoked)
        .unwrap()
        .hash()
        .key_id()
        .to_owned();
    assert_eq!(
        app.delete(&format!("/v1/api_keys/{revoked_id}"), &admin)
            .await
            .status,
        204
    );
    let creates = (0..30).map(|n| {
        let body = json!({"label": format!("racer {n}"), "scope": "read"});
        request(
            &app,
            reqwest::Method::POST,
            "/v1/api_keys",
            &admin,
            Some(body),
        )
    });
    let answers = join_all(creates.collect()).await;
    let made = answers.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(made, 19, "{answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 422, "{body}");
        assert_eq!(
            body,
            &json!({"errors": ["An account may have at most 20 working API keys: revoke one first"]})
        );
    }
    let now = Timestamp::now();
    let working = app
        .db
        .store
        .list_api_keys(&shared::domain::AccountId::parse("acme").unwrap())
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.works_at(now))
        .count();
    assert_eq!(working, 20);
}

/// Two admin keys revoking each other at once: one wins, the other is told 409 (or, when the
/// winner's revocation came first, 401: its key no longer works), and the account keeps one
/// working admin key. An expired admin key does not count as one.
#[tokio::test]
async fn the_last_working_admin_key_survives_concurrent_revokes() {
    for round in 0..5 {
        let (app, first) = admin_app().await;
        app.db
            .api_key_with(
                "acme",
                grant(KeyScope::Admin, Timestamp::now().plus_seconds(-1)),
            )
            .await;
        let second = app
            .db
            .api_key_with("acme", grant(KeyScope::Admin, None))
            .await;
        let id_of = |key: &str| {
            shared::domain::ApiKey::from_header(key)
                .unwrap()
                .hash()
                .key_id()
                .to_owned()
        };
        let revokes = vec![
            request(
                &app,
                reqwest::Method::DELETE,
                &format!("/v1/api_keys/{}", id_of(&second)),
                &first,
                None,
            ),
            request(
                &app,
                reqwest::Method::DELETE,
                &format!("/v1/api_keys/{}", id_of(&first)),
                &second,
                None,
            ),
        ];
        let mut statuses: Vec<u16> = join_all(revokes)
            .await
            .into_iter()
            .map(|(status, _)| status)
            .collect();
        statuses.sort_unstable();
        assert!(
            statuses == [204, 409] || statuses == [204, 401],
            "round {round}: {statuses:?}"
        );
        let mut working = Vec::new();
        for key in [&first, &second] {
            if app.get("/v1/api_key", key).await.status == 200 {
                working.push(key);
            }
        }
        assert_eq!(working.len(), 1, "round {round}");
        // The one left cannot revoke itself either.
        let last = working[0];
        let itself = app
            .delete(&format!("/v1/api_keys/{}", id_of(last)), last)
            .await;
        assert_eq!(itself.status, 409, "{}", itself.text);
        assert_eq!(
            itself.errors(),
            [
                "This is the account's last working admin key: create another admin key before revoking it"
            ]
        );
    }
}

/// The rule in the store itself, without the gateway between: four working admin keys revoked all
/// at once leave exactly one, whichever order the transactions land in.
#[tokio::test]
async fn four_admin_keys_revoked_at_once_leave_exactly_one() {
    use shared::store::{KeyTarget, LastAdmin, StoreError};
    for round in 0..5 {
        let app = spawn_app().await;
        let mut hashes = Vec::new();
        for _ in 0..4 {
            let key = app
                .db
                .api_key_with("acme", grant(KeyScope::Admin, None))
                .await;
            hashes.push(shared::domain::ApiKey::from_header(&key).unwrap().hash());
        }
        let account = shared::domain::AccountId::parse("acme").unwrap();
        let revokes = hashes.into_iter().map(|hash| {
            let store = app.db.store.clone();
            let account = account.clone();
            async move {
                store
                    .revoke_api_key(
                        &account,
                        KeyTarget::Hash(&hash),
                        LastAdmin::Keep,
                        &shared::domain::Actor::operator(),
                    )
                    .await
                    .map(|_| ())
            }
        });
        let outcomes = join_all(revokes.collect()).await;
        let revoked = outcomes.iter().filter(|o| o.is_ok()).count();
        let kept = outcomes
            .iter()
            .filter(|o| matches!(o, Err(StoreError::LastAdminKey)))
            .count();
        assert_eq!((revoked, kept), (3, 1), "round {round}: {outcomes:?}");
        let now = Timestamp::now();
        let working = app
            .db
            .store
            .list_api_keys(&account)
            .await
            .unwrap()
            .into_iter()
            .filter(|k| k.works_at(now) && k.scope == KeyScope::Admin)
            .count();
        assert_eq!(working, 1, "round {round}");
    }
}
