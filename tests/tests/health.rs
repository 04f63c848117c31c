//! docs/SPEC.md §22: source health. The sweep runs against real storage servers on loopback
//! (s3s-fs checking SigV4, a web server); its clock is the test's (each run is given `now`), so
//! no test waits for a schedule.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use integration_tests::fixtures::{credentials, source_with};
use integration_tests::storage::{
    Reply, S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY, S3Options, S3Server, TestNetwork, WebServer,
    azurite, azurite_account_sas, azurite_account_sas_until, azurite_container, hanging_server,
};
use integration_tests::{
    TestApp, assert_no_registered_leaks, join_all, next_link, register_storage_secret,
};
use serde_json::{Map, Value, json};
use shared::AppState;
use shared::domain::health::DAY_SECONDS;
use shared::domain::{AccountId, Actor, AzureService, Source, SourceInput, SourceType, Timestamp};
use shared::functions::check_sources::{self, BATCH, LEASE_SECONDS, SweepReport};
use shared::store::table::DUE_SHARDS;
use shared::verify::Provider;

const RUN: &str = "test-sweep";

async fn sweep_at(state: &AppState, now: Timestamp) -> SweepReport {
    check_sources::sweep(state, now, RUN)
        .await
        .expect("the sweep reads the due index")
}

fn at(t: Timestamp, seconds: i64) -> Timestamp {
    t.plus_seconds(seconds).unwrap()
}

/// Every source the due index says is due by `now`, as (account, id).
async fn due_by(state: &AppState, now: Timestamp) -> BTreeSet<(String, String)> {
    let mut due = BTreeSet::new();
    for shard in DUE_SHARDS {
        let read = state.store.due_checks(shard, now, 10_000).await.unwrap();
        assert!(!read.more);
        for check in read.checks {
            due.insert((check.account.to_string(), check.id.to_string()));
        }
    }
    due
}

fn s3_credentials() -> Map<String, Value> {
    let mut attributes = credentials(SourceType::S3);
    attributes.insert("access_key_id".into(), json!(S3_ACCESS_KEY));
    attributes.insert("secret_access_key".into(), json!(S3_SECRET_KEY));
    attributes.insert("bucket".into(), json!(S3_BUCKET));
    attributes
}

/// An app whose S3 endpoint is s3s-fs on loopback, and its state for the sweep.
async fn s3_sweeping() -> (TestApp, AppState, S3Server) {
    let s3 = S3Server::start(S3Options::default()).await;
    let network = TestNetwork::start().await;
    let provider = Provider::of(SourceType::S3).unwrap();
    let (app, state) = TestApp::builder()
        .verifying(network.verifier(true, &[(provider, &s3.endpoint)]))
        .spawn_with_state()
        .await;
    register_storage_secret(S3_SECRET_KEY);
    (app, state, s3)
}

/// An app whose network resolves `images.test` to 127.0.0.1, for web folders on loopback.
async fn web_sweeping() -> (TestApp, AppState, Arc<TestNetwork>) {
    let network = TestNetwork::start().await;
    network.answer("images.test", &["127.0.0.1"]);
    let (app, state) = TestApp::builder()
        .verifying(network.verifier(true, &[]))
        .spawn_with_state()
        .await;
    (app, state, network)
}

fn url_source(name: &str, url: &str) -> Value {
    source_with(
        name,
        SourceType::Url,
        json!({ "url": url }).as_object().unwrap().clone(),
    )
}

async fn create(app: &TestApp, key: &str, body: &Value) -> Value {
    let created = app.post("/v1/sources", key, body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()
}

async fn events(app: &TestApp, key: &str, id: &str) -> Vec<Value> {
    let response = app.get(&format!("/v1/sources/{id}/events"), key).await;
    assert_eq!(response.status, 200);
    response.json().as_array().unwrap().clone()
}

#[tokio::test]
async fn a_revoked_key_fails_the_next_check_is_retried_on_the_backoff_and_recovers() {
    let (app, state, s3) = s3_sweeping().await;
    let key = app.db.api_key("acme").await;
    let created = create(
        &app,
        &key,
        &source_with("watched", SourceType::S3, s3_credentials()),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/sources/{id}");
    assert_eq!(
        created["health"],
        json!({"status": "unknown", "checked_at": null, "error": null})
    );
    let t0 = Timestamp::now();

    // New: due at once. Found ok, which is no news (no event).
    let first = sweep_at(&state, t0).await;
    assert_eq!(
        (first.checks(), first.ok, first.changed),
        (1, 1, 0),
        "{first:?}"
    );
    let source = app.get(&path, &key).await;
    assert_eq!(
        source.json()["health"],
        json!({"status": "ok", "checked_at": t0.to_string(), "error": null})
    );
    assert_eq!(source.header("etag"), Some("\"1\""));
    assert_eq!(source.json()["updated_at"], created["updated_at"]);
    assert_eq!(events(&app, &key, &id).await.len(), 1);

    // Daily after an ok check, not before.
    assert_eq!(sweep_at(&state, at(t0, DAY_SECONDS - 1)).await.checks(), 0);
    s3.revoke_key();
    let t1 = at(t0, DAY_SECONDS);
    let revoked = sweep_at(&state, t1).await;
    assert_eq!(
        (revoked.failed, revoked.changed, revoked.became_failing),
        (1, 1, 1),
        "{revoked:?}"
    );
    let failed = app.get(&path, &key).await.json();
    assert_eq!(failed["health"]["status"], "failed");
    assert_eq!(failed["health"]["checked_at"], t1.to_string());
    assert_eq!(
        failed["health"]["error"]["code"], "access_denied",
        "{failed}"
    );
    let message = failed["health"]["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("does not exist in our records"),
        "{message}"
    );
    let latest = &events(&app, &key, &id).await[0];
    assert_eq!(latest["action"], "health_changed");
    assert_eq!(latest["api_key_id"], Value::Null);
    assert_eq!(latest["api_key_label"], "system");
    assert_eq!(latest["request_id"], RUN);
    assert_eq!(latest["version"], 1);
    assert_eq!(
        latest["changes"],
        json!([
            {"field": "health.status", "from": "ok", "to": "failed"},
            {"field": "health.error.code", "to": "access_denied"}
        ])
    );

    // Still failing: again after 15 minutes, 1 hour, 4 hours, then daily; no new event.
    let mut t = t1;
    for wait in [900, 3_600, 14_400, DAY_SECONDS, DAY_SECONDS] {
        assert_eq!(
            sweep_at(&state, at(t, wait - 1)).await.checks(),
            0,
            "{wait}"
        );
        let again = sweep_at(&state, at(t, wait)).await;
        assert_eq!(
            (again.failed, again.changed, again.became_failing),
            (1, 0, 0),
            "{wait}: {again:?}"
        );
        t = at(t, wait);
    }

    // Fixed at the storage: found at the next check.
    s3.restore_key();
    let fixed = sweep_at(&state, at(t, DAY_SECONDS)).await;
    assert_eq!((fixed.ok, fixed.changed), (1, 1), "{fixed:?}");
    let source = app.get(&path, &key).await;
    let body = source.json();
    assert_eq!(body["health"]["status"], "ok");
    assert_eq!(body["health"]["error"], Value::Null);
    // Health never moved the version, the ETag or updated_at.
    assert_eq!(source.header("etag"), Some("\"1\""));
    assert_eq!(body["updated_at"], created["updated_at"]);
    let trail: Vec<(Value, Value)> = events(&app, &key, &id)
        .await
        .iter()
        .map(|e| (e["action"].clone(), e["changes"][0]["to"].clone()))
        .collect();
    assert_eq!(
        trail,
        [
            (json!("health_changed"), json!("ok")),
            (json!("health_changed"), json!("failed")),
            (json!("created"), json!("watched")),
        ]
    );
    // The filter.
    let ok = app.get("/v1/sources?health=ok", &key).await.json();
    assert_eq!(ok.as_array().unwrap().len(), 1);
    let failing = app
        .get("/v1/sources?health=failed,inconclusive", &key)
        .await
        .json();
    assert!(failing.as_array().unwrap().is_empty());
    app.db.assert_table_holds_no_secret().await;
    assert_no_registered_leaks();
}

#[tokio::test]
async fn a_disabled_source_is_never_checked_keeps_its_health_and_is_due_again_when_enabled() {
    let (app, state, s3) = s3_sweeping().await;
    let key = app.db.api_key("acme").await;
    let created = create(
        &app,
        &key,
        &source_with("paused", SourceType::S3, s3_credentials()),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/sources/{id}");
    let t0 = Timestamp::now();
    assert_eq!(sweep_at(&state, t0).await.ok, 1);

    let disabled = app
        .patch(&path, &key, &json!({"source": {"enabled": false}}))
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    // Out of the due index, in the same write.
    assert!(due_by(&state, at(t0, 30 * DAY_SECONDS)).await.is_empty());
    s3.revoke_key();
    for days in [1, 2, 30] {
        assert_eq!(
            sweep_at(&state, at(t0, days * DAY_SECONDS)).await.checks(),
            0
        );
    }
    let shown = app.get(&path, &key).await.json();
    assert_eq!(shown["enabled"], false);
    assert_eq!(shown["health"]["status"], "ok", "left as it was");

    // Enabled again: due at once, and checked with what the storage says now.
    let enabled = app
        .patch(&path, &key, &json!({"source": {"enabled": true}}))
        .await;
    assert_eq!(enabled.status, 200);
    let now = Timestamp::now();
    assert_eq!(due_by(&state, now).await.len(), 1);
    let report = sweep_at(&state, now).await;
    assert_eq!((report.failed, report.changed), (1, 1), "{report:?}");
    assert_eq!(
        app.get(&path, &key).await.json()["health"]["status"],
        "failed"
    );
    // Disabling leaves the failing health shown, and nothing checks it.
    app.patch(&path, &key, &json!({"source": {"enabled": false}}))
        .await;
    assert_eq!(sweep_at(&state, at(now, DAY_SECONDS)).await.checks(), 0);
    assert_eq!(
        app.get("/v1/sources?health=failed&enabled=false", &key)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_deleted_source_leaves_the_index_with_its_item_and_a_late_result_does_not_bring_it_back()
{
    let web = WebServer::start(vec![("/images/", Reply::Status(200))]).await;
    let (app, state, _network) = web_sweeping().await;
    let key = app.db.api_key("acme").await;
    let url = format!("http://images.test:{}/images/", web.address.port());
    let kept = create(&app, &key, &url_source("kept", &url)).await;
    let gone = create(&app, &key, &url_source("gone", &url)).await;
    let (kept, gone) = (
        kept["id"].as_str().unwrap().to_owned(),
        gone["id"].as_str().unwrap().to_owned(),
    );
    let later = at(Timestamp::now(), 60);
    assert_eq!(due_by(&state, later).await.len(), 2);

    // A run claims `gone`, then the source is deleted while its check runs.
    let due = state
        .store
        .due_checks(&gone[23..], later, 100)
        .await
        .unwrap()
        .checks
        .into_iter()
        .find(|d| d.id.as_str() == gone)
        .unwrap();
    let claimed = state
        .store
        .claim_check(&due, at(later, LEASE_SECONDS))
        .await
        .unwrap()
        .expect("the claim holds");
    // A second claim of the same entry loses: no check is made twice.
    assert!(
        state
            .store
            .claim_check(&due, at(later, LEASE_SECONDS))
            .await
            .unwrap()
            .is_none()
    );
    let deleted = app.delete(&format!("/v1/sources/{gone}"), &key).await;
    assert_eq!(deleted.status, 200);
    let ids: Vec<String> = due_by(&state, at(later, 2 * LEASE_SECONDS))
        .await
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    assert_eq!(ids, std::slice::from_ref(&kept));
    let verification = state
        .verifier
        .verify(claimed.fields.source_type, &claimed.fields.credentials)
        .await;
    let recorded = state
        .store
        .record_health(
            &claimed,
            verification.health(later),
            later,
            &Actor::system(RUN),
        )
        .await
        .unwrap();
    assert_eq!(recorded, None, "the result is dropped");
    assert_eq!(
        app.get(&format!("/v1/sources/{gone}"), &key).await.status,
        404
    );
    let ids: Vec<String> = due_by(&state, at(later, 2 * DAY_SECONDS))
        .await
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    assert_eq!(ids, [kept]);
}

/// 1,000 sources of 20 accounts, one of them holding 810: every run takes at most `BATCH`,
/// every account with something due is in the first run, and an account that comes late is in
/// the next run, not behind the big account's backlog.
#[tokio::test]
async fn a_thousand_sources_of_twenty_accounts_are_swept_in_bounded_fair_runs() {
    let web = WebServer::start(vec![("/images/", Reply::Status(200))]).await;
    let (app, state, _network) = web_sweeping().await;
    let url = format!("http://images.test:{}/images/", web.address.port());
    let mut sources = Vec::new();
    for n in 0..1_000 {
        let account = if n < 810 {
            "big".to_owned()
        } else {
            format!("small{:02}", (n - 810) / 10)
        };
        sources.push((account, format!("fleet-{n:04}")));
    }
    for chunk in sources.chunks(50) {
        join_all(
            chunk
                .iter()
                .map(|(account, name)| {
                    let body = url_source(name, &url);
                    let (store, account) = (state.store.clone(), account.clone());
                    async move {
                        let fields = SourceInput::from_json(body["source"].as_object().unwrap())
                            .into_new_fields()
                            .unwrap();
                        let source = Source::new(AccountId::parse(&account).unwrap(), fields);
                        store
                            .create_source(&source, None, &Actor::default())
                            .await
                            .unwrap();
                    }
                })
                .collect(),
        )
        .await;
    }
    let t0 = Timestamp::now();
    let accounts_due = |report: &SweepReport| report.accounts;

    let first = sweep_at(&state, t0).await;
    assert_eq!(first.checks(), BATCH, "{first:?}");
    assert_eq!(accounts_due(&first), 20, "every account in the first run");
    assert!(first.more_due);
    // The 19 small accounts are done after one run: 10 places each, the rest to `big`.
    let key = app.db.api_key("small00").await;
    let smalls = app.get("/v1/sources?health=unknown", &key).await.json();
    assert!(smalls.as_array().unwrap().is_empty(), "{smalls}");

    // A new account arrives behind `big`'s backlog of 600: its source is in the very next run.
    let late_key = app.db.api_key("late").await;
    let late = create(&app, &late_key, &url_source("late-comer", &url)).await;
    let second = sweep_at(&state, at(t0, 60)).await;
    assert_eq!(second.checks(), BATCH);
    assert_eq!(accounts_due(&second), 2);
    let late_health = app
        .get(
            &format!("/v1/sources/{}", late["id"].as_str().unwrap()),
            &late_key,
        )
        .await
        .json();
    assert_eq!(late_health["health"]["status"], "ok");

    let mut runs = vec![first, second];
    for minute in 2.. {
        let report = sweep_at(&state, at(t0, 60 * minute)).await;
        assert!(report.checks() <= BATCH);
        if report.checks() == 0 {
            break;
        }
        runs.push(report);
    }
    let checked: usize = runs.iter().map(SweepReport::checks).sum();
    assert_eq!(checked, 1_001);
    assert_eq!(runs.len(), 6, "1,001 checks in runs of {BATCH}");
    assert!(
        runs.iter()
            .all(|r| r.ok == r.checks() && r.errors == 0 && r.skipped == 0)
    );
    // Each source once: one request each to the storage.
    assert_eq!(web.requests(), 1_001);
    assert!(due_by(&state, at(t0, DAY_SECONDS - 1)).await.is_empty());
    assert_eq!(
        due_by(&state, at(t0, DAY_SECONDS + 3600)).await.len(),
        1_001
    );
}

/// A run that dies midway (its task dropped while its checks wait on the storage, as SIGKILL
/// stops a process: nothing after the last write happens) loses no source: what it claimed is
/// due again after the lease, what it had not claimed is still due.
#[tokio::test]
async fn a_run_killed_midway_loses_no_source_from_the_schedule() {
    let hanging = hanging_server().await;
    let (app, state, _network) = web_sweeping().await;
    let key = app.db.api_key("acme").await;
    let url = format!("http://images.test:{}/images/", hanging.port());
    for n in 0..30 {
        create(&app, &key, &url_source(&format!("stuck-{n:02}"), &url)).await;
    }
    let now = Timestamp::now();
    assert_eq!(due_by(&state, now).await.len(), 30);
    let run = tokio::spawn({
        let state = state.clone();
        async move { check_sources::sweep(&state, now, RUN).await }
    });
    // Until the run has claimed its first `CONCURRENCY` checks (they then wait on the storage).
    for _ in 0..500 {
        if due_by(&state, now).await.len() <= 30 - check_sources::CONCURRENCY {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());
    let unclaimed = due_by(&state, now).await.len();
    assert_eq!(unclaimed, 30 - check_sources::CONCURRENCY);
    assert_eq!(
        due_by(&state, at(now, LEASE_SECONDS - 1)).await.len(),
        unclaimed
    );
    assert_eq!(due_by(&state, at(now, LEASE_SECONDS)).await.len(), 30);
    let sources = app.get("/v1/sources?health=unknown", &key).await.json();
    assert_eq!(
        sources.as_array().unwrap().len(),
        30,
        "nothing half-written"
    );
}

#[tokio::test]
async fn scheduled_checks_leave_the_clients_verify_minute_alone() {
    let web = WebServer::start(vec![("/images/", Reply::Status(200))]).await;
    let (app, state, _network) = web_sweeping().await;
    let key = app.db.api_key("acme").await;
    let url = format!("http://images.test:{}/images/", web.address.port());
    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(
            create(&app, &key, &url_source(&format!("many-{n:02}"), &url)).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let report = sweep_at(&state, Timestamp::now()).await;
    assert_eq!(report.ok, 12, "more than the clients' 10 a minute");
    for id in &ids[..10] {
        let verified = app
            .post(&format!("/v1/sources/{id}/verify"), &key, &json!({}))
            .await;
        assert_eq!(verified.status, 200, "{}", verified.text);
    }
    let limited = app
        .post(&format!("/v1/sources/{}/verify", ids[10]), &key, &json!({}))
        .await;
    assert_eq!(limited.status, 429);
}

/// A source's events page through health changes and writes alike, each once, newest first:
/// a health change sorts after the write of the version it observed.
#[tokio::test]
async fn a_sources_events_page_through_health_changes_each_once() {
    let (app, state, s3) = s3_sweeping().await;
    let key = app.db.api_key("acme").await;
    let created = create(
        &app,
        &key,
        &source_with("paged", SourceType::S3, s3_credentials()),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/sources/{id}");
    let t0 = Timestamp::now();
    assert_eq!(sweep_at(&state, t0).await.ok, 1);
    let renamed = app
        .patch(&path, &key, &json!({"source": {"source": "paged-two"}}))
        .await;
    assert_eq!(renamed.status, 200);
    s3.revoke_key();
    assert_eq!(sweep_at(&state, at(t0, DAY_SECONDS)).await.changed, 1);
    let renamed = app
        .patch(&path, &key, &json!({"source": {"source": "paged-three"}}))
        .await;
    assert_eq!(renamed.status, 200);
    s3.restore_key();
    assert_eq!(sweep_at(&state, at(t0, DAY_SECONDS + 900)).await.changed, 1);

    let mut seen = Vec::new();
    let mut next = Some(format!("/v1/sources/{id}/events?limit=1"));
    while let Some(page) = next {
        let response = app.get(&page, &key).await;
        assert_eq!(response.status, 200, "{}", response.text);
        for event in response.json().as_array().unwrap() {
            seen.push((
                event["action"].as_str().unwrap().to_owned(),
                event["version"].as_u64().unwrap(),
            ));
        }
        next = next_link(response.header("link"));
    }
    let expected = [
        ("health_changed", 3),
        ("updated", 3),
        ("health_changed", 2),
        ("updated", 2),
        ("created", 1),
    ]
    .map(|(action, version)| (action.to_owned(), version));
    assert_eq!(seen, expected);
    // The account's listing holds them too, beside the creation of the key the kit made.
    let all = app.get("/v1/events", &key).await.json();
    let of_sources = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["source_id"].is_string())
        .count();
    assert_eq!(of_sources, 5, "{all}");
}

#[tokio::test]
async fn the_health_filter_is_checked_and_kept_in_the_link() {
    let (app, _state, _network) = web_sweeping().await;
    let key = app.db.api_key("acme").await;
    for n in 0..3 {
        create(
            &app,
            &key,
            &url_source(&format!("filtered-{n}"), "https://images.test/a/"),
        )
        .await;
    }
    for bad in ["great", "", "ok,", "OK", "ok;failed"] {
        let response = app.get(&format!("/v1/sources?health={bad}"), &key).await;
        assert_eq!(response.status, 400, "{bad}: {}", response.text);
        assert!(
            response.text.contains(
                "Parameter health must be one or more of unknown, ok, failed, inconclusive"
            ),
            "{}",
            response.text
        );
    }
    let twice = app.get("/v1/sources?health=ok&health=failed", &key).await;
    assert_eq!(twice.status, 400);
    let first = app.get("/v1/sources?health=unknown&limit=2", &key).await;
    assert_eq!(first.json().as_array().unwrap().len(), 2);
    let link = next_link(first.header("link")).unwrap();
    assert!(link.contains("health=unknown"), "{link}");
    let rest = app.get(&link, &key).await;
    assert_eq!(rest.json().as_array().unwrap().len(), 1);
    assert!(
        app.get("/v1/sources?health=ok", &key)
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// An expired SAS token (Azurite refuses it, as Azure does) fails the first check; a new token
/// set with a PATCH makes the source due at once, and the next run finds it ok.
#[tokio::test]
async fn an_expired_sas_token_fails_and_a_new_one_is_checked_at_once() {
    let Some(endpoint) = azurite() else { return };
    azurite_container(&endpoint, "health-sas").await;
    let network = TestNetwork::start().await;
    let (app, state) = TestApp::builder()
        .verifying(network.verifier(true, &[(Provider::Azure(AzureService::Blob), &endpoint)]))
        .spawn_with_state()
        .await;
    let key = app.db.api_key("acme").await;
    let expired = azurite_account_sas_until("rl", "2020-01-01T00:00:00Z");
    let fresh = azurite_account_sas("rl");
    for sas in [&expired, &fresh] {
        register_storage_secret(sas.split("sig=").nth(1).unwrap());
    }
    let azure = |sas: &str| {
        json!({"account_name": "devstoreaccount1", "service_type": "blob",
            "container_name": "health-sas", "sas_token": sas})
        .as_object()
        .unwrap()
        .clone()
    };
    let created = create(
        &app,
        &key,
        &source_with("blobs", SourceType::Azure, azure(&expired)),
    )
    .await;
    let path = format!("/v1/sources/{}", created["id"].as_str().unwrap());
    let t0 = Timestamp::now();
    let first = sweep_at(&state, t0).await;
    assert_eq!((first.failed, first.changed), (1, 1), "{first:?}");
    let failed = app.get(&path, &key).await.json();
    assert_eq!(
        failed["health"]["error"]["code"], "access_denied",
        "{failed}"
    );

    let patched = app
        .patch(
            &path,
            &key,
            &json!({"source": {"credential_attributes": {"sas_token": fresh}}}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    // Due at once, not at the 15 minutes of the failure's backoff.
    let now = Timestamp::now();
    let fixed = sweep_at(&state, now).await;
    assert_eq!((fixed.ok, fixed.changed), (1, 1), "{fixed:?}");
    assert_eq!(app.get(&path, &key).await.json()["health"]["status"], "ok");
    app.db.assert_table_holds_no_secret().await;
    assert_no_registered_leaks();
}
