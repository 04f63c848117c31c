//! The audit trail (docs/SPEC.md §17) through the local gateway: one event per change, in the change's
//! own transaction, never a secret, readable per source (also after a delete) and per account.

use std::collections::BTreeSet;

use integration_tests::fixtures::{API_KEY_HEADER, credential_patch, source_body};
use integration_tests::{TestApp, join_all, next_link, spawn_app};
use serde_json::{Value, json};
use shared::domain::SourceType;

const ACCOUNT: &str = "acme";

async fn app_with_key() -> (TestApp, String) {
    let app = spawn_app().await;
    let key = app
        .db
        .api_key_with(
            ACCOUNT,
            shared::store::KeyGrant {
                label: "terraform".into(),
                ..Default::default()
            },
        )
        .await;
    (app, key)
}

async fn create(app: &TestApp, key: &str, name: &str, source_type: SourceType) -> Value {
    let created = app
        .post("/v1/sources", key, &source_body(name, source_type))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()
}

fn path_of(source: &Value) -> String {
    format!("/v1/sources/{}", source["id"].as_str().unwrap())
}

/// A source's events, newest first (every page).
async fn events_of(app: &TestApp, key: &str, source: &Value) -> Vec<Value> {
    app.walk(&format!("{}/events", path_of(source)), key)
        .await
        .sources
}

fn fields(event: &Value) -> Vec<&str> {
    event["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect()
}

fn change<'a>(event: &'a Value, field: &str) -> &'a Value {
    event["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == field)
        .unwrap_or_else(|| panic!("{field} in {event}"))
}

#[tokio::test]
async fn a_create_records_one_event_naming_the_key_and_the_request() {
    let (app, key) = app_with_key().await;
    let response = app
        .post("/v1/sources", &key, &source_body("audited", SourceType::S3))
        .await;
    let created = response.json();
    let events = events_of(&app, &key, &created).await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["action"], "created");
    assert_eq!(event["source_id"], created["id"]);
    assert_eq!(event["source"], "audited");
    assert_eq!(event["version"], 1);
    let key_id = shared::domain::ApiKey::from_header(&key).unwrap().hash();
    assert_eq!(event["api_key_id"], key_id.key_id());
    assert_eq!(event["api_key_label"], "terraform");
    assert_eq!(
        event["request_id"].as_str(),
        response.header("x-request-id")
    );
    assert_eq!(
        change(event, "credentials.bucket"),
        &json!({"field": "credentials.bucket", "to": "my-bucket"})
    );
    assert_eq!(
        change(event, "enabled"),
        &json!({"field": "enabled", "to": true})
    );
    // Secrets by name only: the storage secret and the signing token.
    for secret in ["credentials.secret_access_key", "credentials.secret_token"] {
        assert_eq!(change(event, secret), &json!({"field": secret}));
    }
}

#[tokio::test]
async fn an_update_records_what_changed_from_and_to_and_a_secret_by_name() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, "changing", SourceType::S3).await;
    // Timestamps have whole seconds: the update comes in the next one, so that the moved
    // `secrets_updated_at` shows.
    let created_at = created["secrets_updated_at"].as_str().unwrap().to_owned();
    while shared::domain::Timestamp::now().to_string() == created_at {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let patched = app
        .patch(
            &path_of(&created),
            &key,
            &credential_patch(
                json!({"bucket": "other-bucket", "secret_access_key": "a-new-secret-value-123"}),
            ),
        )
        .await;
    assert_eq!(patched.status, 200);
    integration_tests::register_storage_secret("a-new-secret-value-123");
    let events = events_of(&app, &key, &created).await;
    assert_eq!(events.len(), 2);
    let update = &events[0];
    assert_eq!(update["action"], "updated");
    assert_eq!(update["version"], 2);
    // A changed secret moves `secrets_updated_at` (docs/SPEC.md §21), which the trail shows.
    assert_eq!(
        fields(update),
        [
            "credentials.bucket",
            "credentials.secret_access_key",
            "secrets_updated_at"
        ]
    );
    let moved = change(update, "secrets_updated_at");
    assert_ne!(moved["from"], moved["to"]);
    assert!(
        moved["from"].is_string() && moved["to"].is_string(),
        "{moved}"
    );
    assert_eq!(
        change(update, "credentials.bucket"),
        &json!({"field": "credentials.bucket", "from": "my-bucket", "to": "other-bucket"})
    );
    assert_eq!(
        change(update, "credentials.secret_access_key"),
        &json!({"field": "credentials.secret_access_key"})
    );
}

#[tokio::test]
async fn renames_type_changes_and_disabling_are_updates_with_their_fields() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, "before", SourceType::S3).await;
    let path = path_of(&created);
    let renamed = app
        .patch(
            &path,
            &key,
            &json!({"source": {"source": "after", "enabled": false}}),
        )
        .await;
    assert_eq!(renamed.status, 200);
    let retyped = app
        .patch(
            &path,
            &key,
            &json!({"source": {"source_type": "url", "credential_attributes": {"url": "https://example.com/"}}}),
        )
        .await;
    assert_eq!(retyped.status, 200, "{}", retyped.text);
    let events = events_of(&app, &key, &created).await;
    assert_eq!(events.len(), 3);
    assert_eq!(fields(&events[1]), ["source", "enabled"]);
    assert_eq!(
        change(&events[1], "source"),
        &json!({"field": "source", "from": "before", "to": "after"})
    );
    assert_eq!(events[1]["source"], "after", "the name at the time");
    assert_eq!(
        change(&events[0], "source_type"),
        &json!({"field": "source_type", "from": "s3", "to": "url"})
    );
    assert_eq!(
        change(&events[0], "credentials.secret_access_key"),
        &json!({"field": "credentials.secret_access_key"})
    );
    assert_eq!(
        change(&events[0], "credentials.url"),
        &json!({"field": "credentials.url", "to": "https://example.com/"})
    );
}

#[tokio::test]
async fn a_rotation_records_the_token_by_name() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, "rotated", SourceType::Url).await;
    let rotated = app
        .send(
            app.http
                .post(app.url(&format!("{}/rotate_secret_token", path_of(&created))))
                .header(API_KEY_HEADER, &key),
        )
        .await;
    assert_eq!(rotated.status, 200);
    let events = events_of(&app, &key, &created).await;
    assert_eq!(events[0]["action"], "secret_token_rotated");
    assert_eq!(
        events[0]["changes"],
        json!([{"field": "credentials.secret_token"}, {"field": "credentials.previous_secret_token"}])
    );
}

#[tokio::test]
async fn writes_that_change_nothing_or_fail_record_nothing() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, "steady", SourceType::S3).await;
    let other_key = app.db.api_key("other").await;
    create(&app, &other_key, "taken", SourceType::S3).await;
    let path = path_of(&created);
    let unchanged = app
        .patch(&path, &key, &json!({"source": {"enabled": true}}))
        .await;
    assert_eq!(unchanged.status, 200);
    let invalid = app
        .patch(
            &path,
            &key,
            &credential_patch(json!({"bucket": "Not A Bucket"})),
        )
        .await;
    assert_eq!(invalid.status, 422);
    let stale = app
        .send(
            app.http
                .patch(app.url(&path))
                .header(API_KEY_HEADER, &key)
                .header("if-match", "\"9\"")
                .body(json!({"source": {"enabled": false}}).to_string()),
        )
        .await;
    assert_eq!(stale.status, 412);
    let conflict = app
        .patch(&path, &key, &json!({"source": {"source": "taken"}}))
        .await;
    assert_eq!(conflict.status, 422);
    let refused_create = app
        .post("/v1/sources", &key, &source_body("taken", SourceType::S3))
        .await;
    assert_eq!(refused_create.status, 422);
    // The account's events but its key's creation (the kit made the key).
    let events: Vec<Value> = app
        .walk("/v1/events", &key)
        .await
        .sources
        .into_iter()
        .filter(|e| e["source_id"].is_string())
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["action"], "created");
}

#[tokio::test]
async fn events_survive_their_sources_deletion_and_stay_in_their_account() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, "deleted-later", SourceType::Gcs).await;
    let path = path_of(&created);
    assert_eq!(app.delete(&path, &key).await.status, 200);
    let events = events_of(&app, &key, &created).await;
    assert_eq!(
        events
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["deleted", "created"]
    );
    assert_eq!(events[0]["version"], 2);
    assert_eq!(
        change(&events[0], "credentials.bucket"),
        &json!({"field": "credentials.bucket", "from": "my_bucket.example.com"})
    );
    // Another account sees none of them.
    let other = app.db.api_key("other").await;
    let foreign = app.get(&format!("{path}/events"), &other).await;
    assert_eq!(foreign.status, 404);
    assert_eq!(foreign.errors(), ["Source not found"]);
    let foreign_events = app.walk("/v1/events", &other).await.sources;
    assert!(
        foreign_events
            .iter()
            .all(|e| e["action"] == "api_key_created" && e["source_id"].is_null()),
        "only its own key's creation: {foreign_events:?}"
    );
    // An id that never was a source of the account.
    let never = app
        .get("/v1/sources/69a99ae507f19000072d0125/events", &key)
        .await;
    assert_eq!(never.status, 404);
}

#[tokio::test]
async fn thirty_two_concurrent_patches_record_thirty_two_events_matching_the_versions() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, "busy", SourceType::R2).await;
    let app = std::sync::Arc::new(app);
    let path = path_of(&created);
    let answers = join_all(
        (0..32)
            .map(|n| {
                let (app, key, path) = (app.clone(), key.clone(), path.clone());
                async move {
                    app.patch(
                        &path,
                        &key,
                        &credential_patch(json!({"prefix": format!("p{n}/")})),
                    )
                    .await
                }
            })
            .collect(),
    )
    .await;
    let mut versions = BTreeSet::new();
    for answer in &answers {
        assert_eq!(answer.status, 200, "{}", answer.text);
        versions.insert(
            answer
                .header("etag")
                .unwrap()
                .trim_matches('"')
                .parse::<u64>()
                .unwrap(),
        );
    }
    assert_eq!(versions, (2..=33).collect());
    let events = events_of(&app, &key, &created).await;
    let event_versions: Vec<u64> = events
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(event_versions, (1..=33).rev().collect::<Vec<_>>());
    // Each event's `to` is what its own write stored; the next one's `from` is that value.
    for pair in events.windows(2) {
        let (newer, older) = (&pair[0], &pair[1]);
        if older["action"] == "updated" {
            assert_eq!(
                change(newer, "credentials.prefix")["from"],
                change(older, "credentials.prefix")["to"]
            );
        }
    }
}

#[tokio::test]
async fn paging_over_450_events_returns_each_once_newest_first() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, "long-history", SourceType::Url).await;
    let path = path_of(&created);
    // Enough for 5 and 7 pages: the page boundaries, not the count, are what is tested.
    for n in 0..449 {
        let enabled = n % 2 == 0;
        let answer = app
            .patch(&path, &key, &json!({"source": {"enabled": !enabled}}))
            .await;
        assert_eq!(answer.status, 200);
    }
    // The account's listing also holds the creation of the key the kit made.
    for (listing, count) in [
        (format!("{path}/events?limit=100"), 450),
        ("/v1/events?limit=70".to_owned(), 451),
    ] {
        let walk = app.walk(&listing, &key).await;
        assert_eq!(walk.sources.len(), count, "{listing}");
        let ids: BTreeSet<&str> = walk
            .sources
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), count, "{listing}: an event twice");
        let versions: Vec<u64> = walk
            .sources
            .iter()
            .filter_map(|e| e["version"].as_u64())
            .collect();
        assert_eq!(versions, (1..=450).rev().collect::<Vec<_>>(), "{listing}");
        assert!(walk.page_sizes.iter().all(|size| *size <= 100));
    }
}

#[tokio::test]
async fn a_cursor_of_one_event_listing_is_invalid_for_another() {
    let (app, key) = app_with_key().await;
    let a = create(&app, &key, "first", SourceType::Url).await;
    let b = create(&app, &key, "second", SourceType::Url).await;
    for n in 0..3 {
        app.patch(
            &path_of(&a),
            &key,
            &json!({"source": {"enabled": n % 2 == 1}}),
        )
        .await;
    }
    let page = app
        .get(&format!("{}/events?limit=1", path_of(&a)), &key)
        .await;
    let next = next_link(page.header("link")).expect("a next page");
    let cursor = next.rsplit_once("cursor=").unwrap().1.to_owned();
    for path in [
        format!("{}/events?cursor={cursor}", path_of(&b)),
        format!("/v1/events?cursor={cursor}"),
        format!("/v1/sources?cursor={cursor}"),
    ] {
        let answer = app.get(&path, &key).await;
        assert_eq!(answer.status, 400, "{path}");
        assert_eq!(answer.errors(), ["Invalid cursor"]);
    }
    assert_eq!(app.get(&next, &key).await.status, 200);
}

#[tokio::test]
async fn each_write_is_still_its_round_trips_and_each_page_one_query() {
    let (app, key) = app_with_key().await;
    let count = |app: &TestApp| app.db.counter.snapshot();
    app.db.counter.reset();
    let created = create(&app, &key, "counted", SourceType::Url).await;
    // The authorizer's GetItem, then the write's own round trips.
    assert_eq!(
        count(&app),
        [("GetItem".into(), 1), ("TransactWriteItems".into(), 1)].into()
    );
    app.db.counter.reset();
    app.patch(
        &path_of(&created),
        &key,
        &json!({"source": {"enabled": false}}),
    )
    .await;
    assert_eq!(
        count(&app),
        [("GetItem".into(), 2), ("TransactWriteItems".into(), 1)].into()
    );
    for listing in [
        format!("{}/events", path_of(&created)),
        "/v1/events".to_owned(),
    ] {
        app.db.counter.reset();
        assert_eq!(app.get(&listing, &key).await.status, 200);
        assert_eq!(
            count(&app),
            [("GetItem".into(), 1), ("Query".into(), 1)].into(),
            "{listing}"
        );
    }
    app.db.counter.reset();
    assert_eq!(app.delete(&path_of(&created), &key).await.status, 200);
    assert_eq!(
        count(&app),
        [("GetItem".into(), 2), ("TransactWriteItems".into(), 1)].into()
    );
}

#[tokio::test]
async fn events_expire_by_the_tables_ttl_after_400_days() {
    let (app, key) = app_with_key().await;
    let created = create(&app, &key, "kept-400-days", SourceType::Url).await;
    let event = &events_of(&app, &key, &created).await[0];
    let at = shared::domain::Timestamp::parse(event["at"].as_str().unwrap())
        .unwrap()
        .unix_seconds();
    let items = app.db.all_items().await;
    let item = items
        .iter()
        .find(|i| i["SK"].as_s().is_ok_and(|sk| sk.starts_with("EVENT#")))
        .expect("the event item");
    let expires: i64 = item[shared::store::table::TTL_ATTRIBUTE]
        .as_n()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(expires, at + 400 * 24 * 3600);
}
