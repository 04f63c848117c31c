//! The store against a real DynamoDB-compatible server (docs/SPEC.md §5–§7, §9).

use std::collections::HashSet;

use integration_tests::{TestDb, join_all};
use serde_json::json;
use shared::domain::{
    AccountId, Action, Actor, ApiKey, Source, SourceFields, SourceId, SourceInput,
    ValidationErrors, VersionMatch,
};
use shared::store::{SourceWrite, StoreError};

fn grant(label: &str) -> shared::store::KeyGrant {
    shared::store::KeyGrant {
        label: label.to_owned(),
        ..Default::default()
    }
}

fn account(id: &str) -> AccountId {
    AccountId::parse(id).unwrap()
}

fn fields(body: serde_json::Value) -> SourceFields {
    SourceInput::from_json(body.as_object().unwrap())
        .into_new_fields()
        .unwrap()
}

fn r2(name: &str) -> SourceFields {
    fields(json!({
        "source": name,
        "source_type": "r2",
        "credential_attributes": {"access_key": "key-id", "secret": "r2-secret-value", "bucket": "images"}
    }))
}

/// Why an update in these tests did not happen: the store's error, or the change's own refusal.
#[derive(Debug)]
enum Refused {
    Store(StoreError),
    #[allow(dead_code, reason = "read through Debug when a test fails")]
    Invalid(ValidationErrors),
}

impl From<StoreError> for Refused {
    fn from(err: StoreError) -> Self {
        Refused::Store(err)
    }
}

fn patch(body: serde_json::Value) -> impl FnMut(&Source) -> Result<Option<Source>, Refused> {
    move |stored: &Source| {
        let fields = SourceInput::from_json(body.as_object().unwrap())
            .apply_to(&stored.fields)
            .map_err(Refused::Invalid)?;
        Ok(stored.with_fields(fields))
    }
}

static ACTOR: std::sync::LazyLock<Actor> = std::sync::LazyLock::new(Actor::default);

/// A write by the tests' actor.
fn write<'a>(
    account: &'a AccountId,
    id: &'a SourceId,
    expected: &'a VersionMatch,
    action: Action,
) -> SourceWrite<'a> {
    SourceWrite {
        account,
        id,
        expected,
        action,
        actor: &ACTOR,
    }
}

async fn create(db: &TestDb, owner: &str, name: &str) -> Source {
    let source = integration_tests::sealed(Source::new(account(owner), r2(name))).await;
    db.store
        .create_source(&source, None, &shared::domain::Actor::default())
        .await
        .unwrap();
    source
}

#[tokio::test]
async fn create_get_list_update_delete_round_trip() {
    let db = TestDb::start().await;
    let acme = account("acme");
    let source = create(&db, "acme", "my-images").await;

    let got = db.store.get_source(&acme, &source.id).await.unwrap();
    assert_eq!(got.fields, source.fields);
    assert_eq!(got.secret_token.expose(), source.secret_token.expose());
    assert_eq!(got.created_at, source.created_at);
    assert_eq!(got.version, 1);
    assert_eq!(
        integration_tests::clear_value(&got, "secret").await,
        "r2-secret-value"
    );

    let second = create(&db, "acme", "second").await;
    let listed: Vec<_> = db
        .store
        .list_sources(&acme)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut expected = vec![source.id.clone(), second.id.clone()];
    expected.sort();
    assert_eq!(
        listed, expected,
        "listed in id order, which is creation order"
    );

    let outcome = db
        .store
        .update_source(
            &write(&acme, &source.id, &VersionMatch::Any, Action::Updated),
            None,
            patch(json!({"credential_attributes": {"prefix": "p/"}})),
        )
        .await
        .unwrap();
    assert!(outcome.changed);
    let updated = outcome.source;
    assert_eq!(updated.version, 2);
    let reread = db.store.get_source(&acme, &source.id).await.unwrap();
    assert_eq!(
        integration_tests::clear_value(&reread, "prefix").await,
        "p/"
    );
    assert_eq!(
        integration_tests::clear_value(&reread, "secret").await,
        "r2-secret-value"
    );

    db.store
        .delete_source(&write(
            &acme,
            &source.id,
            &VersionMatch::Any,
            Action::Deleted,
        ))
        .await
        .unwrap();
    assert!(matches!(
        db.store.get_source(&acme, &source.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        db.store
            .delete_source(&write(
                &acme,
                &source.id,
                &VersionMatch::Any,
                Action::Deleted
            ))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(db.name_claims().await, ["NAME#second"]);
}

#[tokio::test]
async fn an_update_that_changes_nothing_writes_nothing() {
    let db = TestDb::start().await;
    let source = create(&db, "acme", "same").await;
    db.counter.reset();
    let outcome = db
        .store
        .update_source(
            &write(
                &account("acme"),
                &source.id,
                &VersionMatch::Any,
                Action::Updated,
            ),
            None,
            patch(json!({"credential_attributes": {"secret": "****", "bucket": "images"}})),
        )
        .await
        .unwrap();
    assert!(!outcome.changed);
    let after = outcome.source;
    assert_eq!(after.version, 1);
    assert_eq!(after.updated_at, source.updated_at);
    assert_eq!(db.counter.snapshot().get("GetItem"), Some(&1));
    assert_eq!(db.counter.total(), 1);
}

#[tokio::test]
async fn one_name_once_across_case_and_accounts() {
    let db = TestDb::start().await;
    // Concurrent creates of one name, in different cases, from two accounts.
    let attempts = [
        ("acme", "shared-name"),
        ("acme", "Shared-Name"),
        ("other", "SHARED-NAME"),
        ("other", "shared-name"),
    ];
    let mut sources = Vec::new();
    for (owner, name) in attempts {
        sources.push(integration_tests::sealed(Source::new(account(owner), r2(name))).await);
    }
    let results = join_all(
        sources
            .into_iter()
            .map(|source| {
                let store = db.store.clone();
                async move {
                    store
                        .create_source(&source, None, &shared::domain::Actor::default())
                        .await
                        .map(drop)
                }
            })
            .collect(),
    )
    .await;
    let created = results.iter().filter(|r| r.is_ok()).count();
    let taken = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::NameTaken)))
        .count();
    assert_eq!((created, taken), (1, 3), "{results:?}");
    assert_eq!(db.name_claims().await, ["NAME#shared-name"]);
    let sources = db.store.list_sources(&account("acme")).await.unwrap().len()
        + db.store
            .list_sources(&account("other"))
            .await
            .unwrap()
            .len();
    assert_eq!(sources, 1);
}

#[tokio::test]
async fn rename_moves_the_claim_atomically() {
    let db = TestDb::start().await;
    let acme = account("acme");
    let first = create(&db, "acme", "first").await;
    let _taken = create(&db, "other", "taken").await;

    let renamed = db
        .store
        .update_source(
            &write(&acme, &first.id, &VersionMatch::Any, Action::Updated),
            None,
            patch(json!({"source": "renamed"})),
        )
        .await
        .unwrap()
        .source;
    assert_eq!(renamed.fields.name.as_str(), "renamed");
    assert_eq!(db.name_claims().await, ["NAME#renamed", "NAME#taken"]);

    // The old name is free again.
    create(&db, "other", "first").await;

    // A taken name: refused, and nothing moved.
    let refused = db
        .store
        .update_source(
            &write(&acme, &first.id, &VersionMatch::Any, Action::Updated),
            None,
            patch(json!({"source": "Taken"})),
        )
        .await;
    assert!(matches!(
        refused,
        Err(Refused::Store(StoreError::NameTaken))
    ));
    assert_eq!(
        db.name_claims().await,
        ["NAME#first", "NAME#renamed", "NAME#taken"]
    );
    assert_eq!(
        db.store
            .get_source(&acme, &first.id)
            .await
            .unwrap()
            .fields
            .name
            .as_str(),
        "renamed"
    );

    // A change of case only keeps the same claim.
    let recased = db
        .store
        .update_source(
            &write(&acme, &first.id, &VersionMatch::Any, Action::Updated),
            None,
            patch(json!({"source": "ReNamed"})),
        )
        .await
        .unwrap()
        .source;
    assert_eq!(recased.fields.name.as_str(), "ReNamed");
    assert_eq!(
        db.name_claims().await,
        ["NAME#first", "NAME#renamed", "NAME#taken"]
    );
}

#[tokio::test]
async fn concurrent_updates_of_different_keys_all_survive() {
    let db = TestDb::start().await;
    let acme = account("acme");
    let source = create(&db, "acme", "contended").await;
    // 16 tasks; each sets one key to a value naming the task. Keys repeat, so the check is that
    // every update was applied on top of the one before it: the version counts all 16.
    let keys = ["prefix", "account_id", "access_key", "bucket"];
    let tasks = (0..16).map(|task| {
        let store = db.store.clone();
        let acme = acme.clone();
        let id = source.id.clone();
        let key = keys[task % keys.len()];
        let value = match key {
            "account_id" => format!("{task:032x}"),
            "bucket" => format!("bucket-{task}"),
            _ => format!("value-{task}"),
        };
        async move {
            store
                .update_source(
                    &write(&acme, &id, &VersionMatch::Any, Action::Updated),
                    None,
                    patch(json!({"credential_attributes": {key: value}})),
                )
                .await
                .map(|o| o.changed)
        }
    });
    let results = join_all(tasks.collect()).await;
    assert!(results.iter().all(|r| matches!(r, Ok(true))), "{results:?}");
    let stored = db.store.get_source(&acme, &source.id).await.unwrap();
    assert_eq!(stored.version, 17, "no update was lost");
    for (i, key) in keys.iter().enumerate() {
        let value = stored
            .fields
            .credentials
            .get(key)
            .unwrap()
            .clear()
            .unwrap()
            .to_owned();
        let written: HashSet<String> = (0..16)
            .filter(|t| t % keys.len() == i)
            .map(|t| match *key {
                "account_id" => format!("{t:032x}"),
                "bucket" => format!("bucket-{t}"),
                _ => format!("value-{t}"),
            })
            .collect();
        assert!(written.contains(&value), "{key} = {value}");
    }
    assert_eq!(
        integration_tests::clear_value(&stored, "secret").await,
        "r2-secret-value"
    );
}

#[tokio::test]
async fn a_stale_pinned_version_is_refused_and_changes_nothing() {
    let db = TestDb::start().await;
    let acme = account("acme");
    let source = create(&db, "acme", "pinned").await;
    db.store
        .update_source(
            &write(&acme, &source.id, &VersionMatch::only(1), Action::Updated),
            None,
            patch(json!({"credential_attributes": {"prefix": "v2/"}})),
        )
        .await
        .unwrap();
    let stale = db
        .store
        .update_source(
            &write(&acme, &source.id, &VersionMatch::only(1), Action::Updated),
            None,
            patch(json!({"source": "moved", "credential_attributes": {"prefix": "stale/"}})),
        )
        .await;
    assert!(matches!(
        stale,
        Err(Refused::Store(StoreError::VersionMismatch))
    ));
    let stale_delete = db
        .store
        .delete_source(&write(
            &acme,
            &source.id,
            &VersionMatch::only(1),
            Action::Deleted,
        ))
        .await;
    assert!(matches!(stale_delete, Err(StoreError::VersionMismatch)));
    let stored = db.store.get_source(&acme, &source.id).await.unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(
        integration_tests::clear_value(&stored, "prefix").await,
        "v2/"
    );
    assert_eq!(db.name_claims().await, ["NAME#pinned"]);
    db.store
        .delete_source(&write(
            &acme,
            &source.id,
            &VersionMatch::only(2),
            Action::Deleted,
        ))
        .await
        .unwrap();
    assert!(db.name_claims().await.is_empty());
}

#[tokio::test]
async fn another_accounts_source_is_invisible() {
    let db = TestDb::start().await;
    let source = create(&db, "acme", "private").await;
    let intruder = account("intruder");
    assert!(matches!(
        db.store.get_source(&intruder, &source.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(db.store.list_sources(&intruder).await.unwrap().is_empty());
    let update = db
        .store
        .update_source(
            &write(&intruder, &source.id, &VersionMatch::Any, Action::Updated),
            None,
            patch(json!({"source": "stolen"})),
        )
        .await;
    assert!(matches!(update, Err(Refused::Store(StoreError::NotFound))));
    assert!(matches!(
        db.store
            .delete_source(&write(
                &intruder,
                &source.id,
                &VersionMatch::Any,
                Action::Deleted
            ))
            .await,
        Err(StoreError::NotFound)
    ));
    let stored = db
        .store
        .get_source(&account("acme"), &source.id)
        .await
        .unwrap();
    assert_eq!(stored.fields.name.as_str(), "private");
    assert_eq!(stored.version, 1);
}

#[tokio::test]
async fn a_deleted_name_can_be_used_again() {
    let db = TestDb::start().await;
    let source = create(&db, "acme", "reused").await;
    db.store
        .delete_source(&write(
            &account("acme"),
            &source.id,
            &VersionMatch::Any,
            Action::Deleted,
        ))
        .await
        .unwrap();
    let again = create(&db, "other", "Reused").await;
    assert_eq!(
        db.store.list_sources(&account("other")).await.unwrap()[0].id,
        again.id
    );
}

#[tokio::test]
async fn list_follows_pages_to_the_end() {
    let db = TestDb::start().await;
    let acme = account("acme");
    // ~3 KB per item: 450 of them are well over one 1 MB page.
    let big = "s".repeat(1000);
    let mut ids = Vec::new();
    for i in 0..450 {
        let fields = fields(json!({
            "source": format!("big-{i}"),
            "source_type": "r2",
            "credential_attributes": {"access_key": big, "secret": big, "bucket": "images", "prefix": big}
        }));
        let source = integration_tests::sealed(Source::new(acme.clone(), fields)).await;
        db.store
            .create_source(&source, None, &shared::domain::Actor::default())
            .await
            .unwrap();
        ids.push(source.id);
    }
    create(&db, "other", "not-mine").await;
    db.counter.reset();
    let listed: Vec<_> = db
        .store
        .list_sources(&acme)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    ids.sort();
    assert_eq!(listed, ids);
    let queries = db.counter.snapshot().get("Query").copied().unwrap_or(0);
    assert!(
        queries >= 2,
        "more than one page was read ({queries} queries)"
    );
    assert_eq!(db.counter.total(), queries, "nothing but Query");
}

#[tokio::test]
async fn request_budget_per_operation() {
    let db = TestDb::start().await;
    let acme = account("acme");
    let count = |db: &TestDb| {
        let snapshot = db.counter.snapshot();
        db.counter.reset();
        snapshot
    };
    let source = integration_tests::sealed(Source::new(acme.clone(), r2("budget"))).await;
    db.counter.reset();
    db.store
        .create_source(&source, None, &shared::domain::Actor::default())
        .await
        .unwrap();
    assert_eq!(count(&db), [("TransactWriteItems".to_owned(), 1)].into());

    db.store.get_source(&acme, &source.id).await.unwrap();
    assert_eq!(count(&db), [("GetItem".to_owned(), 1)].into());

    db.store.list_sources(&acme).await.unwrap();
    assert_eq!(count(&db), [("Query".to_owned(), 1)].into());

    db.store
        .update_source(
            &write(&acme, &source.id, &VersionMatch::Any, Action::Updated),
            None,
            patch(json!({"credential_attributes": {"prefix": "x/"}})),
        )
        .await
        .unwrap();
    // The read, and one transaction: the source and its audit event.
    assert_eq!(
        count(&db),
        [
            ("GetItem".to_owned(), 1),
            ("TransactWriteItems".to_owned(), 1)
        ]
        .into()
    );

    db.store
        .update_source(
            &write(&acme, &source.id, &VersionMatch::Any, Action::Updated),
            None,
            patch(json!({"source": "budget-renamed"})),
        )
        .await
        .unwrap();
    assert_eq!(
        count(&db),
        [
            ("GetItem".to_owned(), 1),
            ("TransactWriteItems".to_owned(), 1)
        ]
        .into()
    );

    db.store
        .delete_source(&write(
            &acme,
            &source.id,
            &VersionMatch::Any,
            Action::Deleted,
        ))
        .await
        .unwrap();
    assert_eq!(
        count(&db),
        [
            ("GetItem".to_owned(), 1),
            ("TransactWriteItems".to_owned(), 1)
        ]
        .into()
    );

    let key = ApiKey::generate();
    db.store
        .create_api_key(
            &acme,
            &key.hash(),
            &grant("k"),
            &shared::domain::Actor::operator(),
        )
        .await
        .unwrap();
    count(&db);
    // The key's first use of the day notes the day on its two items (docs/SPEC.md §26); every
    // other use that day is the one read.
    shared::http::caller::caller_for_key(&db.store, Some(key.reveal()))
        .await
        .unwrap();
    assert_eq!(
        count(&db),
        [("GetItem".to_owned(), 1), ("UpdateItem".to_owned(), 2)].into()
    );
    for _ in 0..3 {
        shared::http::caller::caller_for_key(&db.store, Some(key.reveal()))
            .await
            .unwrap();
        assert_eq!(count(&db), [("GetItem".to_owned(), 1)].into());
    }
    let listed = db.store.list_api_keys(&acme).await.unwrap();
    assert_eq!(
        listed[0].last_used_on.as_deref(),
        Some(shared::domain::Timestamp::now().date().as_str())
    );
}

#[tokio::test]
async fn api_keys_resolve_list_and_revoke() {
    let db = TestDb::start().await;
    let acme = account("acme");
    let key = ApiKey::generate();
    db.store
        .create_api_key(
            &acme,
            &key.hash(),
            &grant("ci"),
            &shared::domain::Actor::operator(),
        )
        .await
        .unwrap();
    let other = ApiKey::generate();
    db.store
        .create_api_key(
            &account("other"),
            &other.hash(),
            &grant(""),
            &shared::domain::Actor::operator(),
        )
        .await
        .unwrap();

    let resolved = shared::http::caller::caller_for_key(&db.store, Some(key.reveal()))
        .await
        .unwrap();
    assert_eq!(resolved.account, acme);
    assert_eq!(resolved.key_id, &key.hash().as_str()[..16]);
    assert_eq!(resolved.key_label, "ci");
    let listed = db.store.list_api_keys(&acme).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].hash, key.hash());
    assert_eq!(listed[0].label, "ci");

    // Only the owner can revoke.
    assert!(matches!(
        db.store
            .revoke_api_key(
                &account("other"),
                shared::store::KeyTarget::Hash(&key.hash()),
                shared::store::LastAdmin::MayRevoke,
                &shared::domain::Actor::operator(),
            )
            .await,
        Err(StoreError::NotFound)
    ));
    db.store
        .revoke_api_key(
            &acme,
            shared::store::KeyTarget::Hash(&key.hash()),
            shared::store::LastAdmin::MayRevoke,
            &shared::domain::Actor::operator(),
        )
        .await
        .unwrap();
    assert!(
        shared::http::caller::caller_for_key(&db.store, Some(key.reveal()))
            .await
            .is_err()
    );
    assert!(db.store.list_api_keys(&acme).await.unwrap()[0].revoked);
    assert!(
        shared::http::caller::caller_for_key(&db.store, Some(other.reveal()))
            .await
            .is_ok()
    );
    assert!(
        shared::http::caller::caller_for_key(&db.store, Some("isk_unknown"))
            .await
            .is_err()
    );
    assert!(
        shared::http::caller::caller_for_key(&db.store, None)
            .await
            .is_err()
    );

    // Only hashes are stored.
    let items = format!("{:?}", db.all_items().await);
    assert!(!items.contains(key.reveal()) && !items.contains(other.reveal()));
}

#[tokio::test]
async fn a_source_item_carries_the_name_index_key_lowercased_and_enabled() {
    let db = TestDb::start().await;
    let source = create(&db, "acme", "Mixed-Case").await;
    let items = db.all_items().await;
    let item = items
        .iter()
        .find(|item| item["SK"].as_s().ok() == Some(&format!("SOURCE#{}", source.id)))
        .expect("the source item");
    assert_eq!(
        item[shared::store::table::NAME_INDEX_KEY].as_s().unwrap(),
        "mixed-case"
    );
    assert_eq!(item["enabled"].as_bool().unwrap(), &true);
    // Nothing but sources carries the index key: the index holds sources only.
    for other in items
        .iter()
        .filter(|i| !i["SK"].as_s().unwrap().starts_with("SOURCE#"))
    {
        assert!(!other.contains_key(shared::store::table::NAME_INDEX_KEY));
    }
}

#[tokio::test]
async fn a_table_made_without_the_name_index_is_refused_with_what_to_do() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let db = TestDb::start().await;
    let old = format!("{}-part-one", db.table);
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |name: &str, key_type| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .unwrap()
    };
    db.inspector
        .create_table()
        .table_name(&old)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("PK"))
        .attribute_definitions(attribute("SK"))
        .key_schema(key("PK", KeyType::Hash))
        .key_schema(key("SK", KeyType::Range))
        .send()
        .await
        .unwrap();
    let refused = shared::store::table::ensure_table(&db.inspector, &old)
        .await
        .unwrap_err();
    let message = format!("{refused}");
    assert!(
        message.contains("no local secondary index by_name"),
        "{message}"
    );
    assert!(
        shared::store::table::ensure_table(&db.inspector, &db.table)
            .await
            .is_ok()
    );
}
