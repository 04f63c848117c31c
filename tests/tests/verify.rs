//! docs/SPEC.md §14: verifying a source's credentials against real storage servers on loopback (s3s-fs,
//! Azurite when CI starts it, a web server), the connect-time guard, the 5 s deadline, the rate
//! limit and `?verify=true`. Every address outside loopback enters only through the test
//! network's resolver, and its connector reaches loopback only (tests/src/storage.rs).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use integration_tests::fixtures::{API_KEY_HEADER, credentials, source_body, source_with};
use integration_tests::storage::{
    Reply, S3_ACCESS_KEY, S3_BUCKET, S3_CP_CODE_BUCKET, S3_SECRET_KEY, S3Options, S3Server,
    TestNetwork, WebServer, azurite, azurite_account_sas, azurite_container, hanging_server,
    untrusted_tls_server,
};
use integration_tests::{TestApp, TestResponse, register_secret};
use serde_json::{Map, Value, json};
use shared::domain::{AzureService, SourceType};
use shared::verify::Provider;

/// Amazon S3's endpoint, which the tests point at s3s-fs.
fn s3_provider() -> Provider {
    Provider::of(SourceType::S3).expect("S3 speaks S3")
}

fn s3_credentials(secret: &str, bucket: &str) -> Map<String, Value> {
    let mut attributes = credentials(SourceType::S3);
    attributes.insert("access_key_id".into(), json!(S3_ACCESS_KEY));
    attributes.insert("secret_access_key".into(), json!(secret));
    attributes.insert("bucket".into(), json!(bucket));
    attributes
}

async fn create(app: &TestApp, key: &str, body: &Value) -> Value {
    let created = app.post("/v1/sources", key, body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()
}

/// A source the S3 server accepts: its keys, its bucket.
async fn create_s3(app: &TestApp, key: &str, name: &str) -> Value {
    let attributes = s3_credentials(S3_SECRET_KEY, S3_BUCKET);
    create(app, key, &source_with(name, SourceType::S3, attributes)).await
}

async fn verify(app: &TestApp, key: &str, source: &Value) -> TestResponse {
    let id = source["id"].as_str().unwrap();
    app.send(
        app.http
            .post(app.url(&format!("/v1/sources/{id}/verify")))
            .header(API_KEY_HEADER, key),
    )
    .await
}

/// Creates a source from `body` and verifies it: the `verification` object.
async fn verified(app: &TestApp, body: &Value) -> Value {
    let key = app.db.api_key("acme").await;
    let source = create(app, &key, body).await;
    let response = verify(app, &key, &source).await;
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["verification"].clone()
}

fn checks(verification: &Value) -> Vec<(String, String)> {
    verification["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap().to_owned(),
                c["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn code(verification: &Value) -> &str {
    verification["error"]["code"].as_str().unwrap_or("")
}

async fn s3_app(options: S3Options) -> (TestApp, S3Server) {
    let s3 = S3Server::start(options).await;
    let network = TestNetwork::start().await;
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[(s3_provider(), &s3.endpoint)]))
        .spawn()
        .await;
    (app, s3)
}

#[tokio::test]
async fn s3_with_the_right_keys_is_ok() {
    let (app, _s3) = s3_app(S3Options::default()).await;
    let verification = verified(
        &app,
        &source_with(
            "good",
            SourceType::S3,
            s3_credentials(S3_SECRET_KEY, S3_BUCKET),
        ),
    )
    .await;
    assert_eq!(verification["status"], "ok", "{verification}");
    assert_eq!(
        checks(&verification),
        [("connect", "ok"), ("authenticate", "ok"), ("list", "ok")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert!(verification.get("error").is_none());
    assert!(verification["latency_ms"].as_u64().is_some());
    assert!(verification["checked_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn every_s3_compatible_type_signs_its_listing_with_sigv4() {
    let s3 = S3Server::start(S3Options::default()).await;
    let network = TestNetwork::start().await;
    let endpoints: Vec<(Provider, &str)> = [
        SourceType::Gcs,
        SourceType::Dos,
        SourceType::R2,
        SourceType::Wasabi,
        SourceType::Akamai,
    ]
    .into_iter()
    .filter_map(Provider::of)
    .map(|p| (p, s3.endpoint.as_str()))
    .collect();
    assert_eq!(endpoints.len(), 5);
    let app = TestApp::builder()
        .verifying(network.verifier(true, &endpoints))
        .spawn()
        .await;
    for source_type in [
        SourceType::Gcs,
        SourceType::Dos,
        SourceType::R2,
        SourceType::Wasabi,
        SourceType::Akamai,
    ] {
        let mut attributes = credentials(source_type);
        attributes.insert("access_key".into(), json!(S3_ACCESS_KEY));
        attributes.insert("secret".into(), json!(S3_SECRET_KEY));
        let bucket = match source_type {
            SourceType::Akamai => format!("{S3_CP_CODE_BUCKET}/images"),
            _ => S3_BUCKET.to_owned(),
        };
        attributes.insert("bucket".into(), json!(bucket));
        let name = format!("compatible-{source_type}");
        let verification = verified(&app, &source_with(&name, source_type, attributes)).await;
        assert_eq!(
            verification["status"], "ok",
            "{source_type}: {verification}"
        );
    }
}

#[tokio::test]
async fn s3_with_a_wrong_secret_is_access_denied() {
    let (app, _s3) = s3_app(S3Options::default()).await;
    let wrong = "not-the-secret-key-0123456789abcdefghij";
    let verification = verified(
        &app,
        &source_with("wrong", SourceType::S3, s3_credentials(wrong, S3_BUCKET)),
    )
    .await;
    assert_eq!(verification["status"], "failed");
    assert_eq!(code(&verification), "access_denied");
    assert_eq!(
        checks(&verification),
        [("connect", "ok"), ("authenticate", "failed")].map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(
        verification["error"]["message"],
        "The storage refused the credentials (HTTP 403)"
    );
}

/// The verification's log line names its status and error code in the API's own words, never
/// in Rust's `Debug` spelling (`Failed`, `Some(AccessDenied)`).
#[tokio::test]
async fn the_verification_log_line_is_in_words() {
    let (app, _s3) = s3_app(S3Options::default()).await;
    let key = app.db.api_key("acme").await;
    let wrong = "not-the-secret-key-0123456789abcdefghij";
    let source = create(
        &app,
        &key,
        &source_with("logged", SourceType::S3, s3_credentials(wrong, S3_BUCKET)),
    )
    .await;
    let response = verify(&app, &key, &source).await;
    assert_eq!(response.status, 200, "{}", response.text);
    let request_id = response.header("x-request-id").unwrap().to_owned();
    let lines: Vec<Value> = integration_tests::captured_logs()
        .iter()
        .filter(|line| line.contains(&request_id) && line.contains("\"verification\""))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["status"], "failed", "{}", lines[0]);
    assert_eq!(lines[0]["error"], "access_denied", "{}", lines[0]);
}

#[tokio::test]
async fn s3_with_a_missing_bucket_is_bucket_not_found() {
    let (app, _s3) = s3_app(S3Options::default()).await;
    let verification = verified(
        &app,
        &source_with(
            "missing",
            SourceType::S3,
            s3_credentials(S3_SECRET_KEY, "no-such-bucket"),
        ),
    )
    .await;
    assert_eq!(verification["status"], "failed", "{verification}");
    assert_eq!(code(&verification), "bucket_not_found");
}

#[tokio::test]
async fn s3_listing_refused_but_reads_allowed_is_inconclusive() {
    let (app, _s3) = s3_app(S3Options {
        refuse_listing: true,
    })
    .await;
    let verification = verified(
        &app,
        &source_with(
            "reads",
            SourceType::S3,
            s3_credentials(S3_SECRET_KEY, S3_BUCKET),
        ),
    )
    .await;
    assert_eq!(verification["status"], "inconclusive", "{verification}");
    assert_eq!(
        checks(&verification),
        [
            ("connect", "ok"),
            ("list", "failed"),
            ("authenticate", "ok"),
            ("read", "ok")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

/// S3, Azure and web storages that accept the connection and never answer: a timeout within 5 s,
/// and the finished step, the connection, listed.
#[tokio::test]
async fn a_storage_that_never_answers_times_out_within_5_seconds_after_connecting() {
    let hanging = hanging_server().await;
    let network = TestNetwork::start().await;
    network.answer("hangs.test", &["127.0.0.1"]);
    let endpoint = format!("http://{hanging}");
    let app = TestApp::builder()
        .verifying(network.verifier(
            true,
            &[
                (s3_provider(), &endpoint),
                (Provider::Azure(AzureService::Blob), &endpoint),
            ],
        ))
        .spawn()
        .await;
    let sources = [
        source_with(
            "hangs-s3",
            SourceType::S3,
            s3_credentials(S3_SECRET_KEY, S3_BUCKET),
        ),
        azure_source(
            "hangs-azure",
            "images",
            "sv=2024-11-04&sig=hanging-signature",
        ),
        url_source(
            "hangs-web",
            &format!("http://hangs.test:{}/images/", hanging.port()),
        ),
    ];
    // At once: three 5 s waits need not take 15 s.
    let app = &app;
    let timed = |source| async move {
        let started = Instant::now();
        let verification = verified(app, source).await;
        (verification, started.elapsed())
    };
    let (s3, azure, web) = tokio::join!(timed(&sources[0]), timed(&sources[1]), timed(&sources[2]));
    for (verification, elapsed) in [s3, azure, web] {
        assert_eq!(code(&verification), "timeout", "{verification}");
        assert_eq!(
            checks(&verification),
            [("connect".to_owned(), "ok".to_owned())],
            "{verification}"
        );
        assert!(elapsed >= Duration::from_secs(5), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(7), "{elapsed:?}");
    }
}

/// A storage cannot put its own words into a message: a region is quoted only when it is one of
/// the provider's, anything else is "another region".
#[tokio::test]
async fn only_a_real_region_is_quoted_from_a_redirect() {
    // The listing asks for the bucket's root: `/<bucket>/?list-type=2...`.
    let bucket = |name: &str| format!("/{name}/");
    let web = WebServer::start(vec![
        (&bucket("in-ireland"), Reply::Moved("eu-west-1".to_owned())),
        (&bucket("words"), Reply::Moved("pay-us-now".to_owned())),
        (
            &bucket("more-words"),
            Reply::Moved("zz-visit-evil-com-now".to_owned()),
        ),
        (
            &bucket("long"),
            Reply::Moved(format!("us-{}-1", "a".repeat(40))),
        ),
    ])
    .await;
    let network = TestNetwork::start().await;
    let endpoint = format!("http://{}", web.address);
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[(s3_provider(), &endpoint)]))
        .spawn()
        .await;
    for (name, expected) in [
        ("in-ireland", "The bucket is in region eu-west-1 (HTTP 301)"),
        ("words", "The bucket is in another region (HTTP 301)"),
        ("more-words", "The bucket is in another region (HTTP 301)"),
        ("long", "The bucket is in another region (HTTP 301)"),
    ] {
        let mut credentials = s3_credentials(S3_SECRET_KEY, name);
        credentials.insert("region".to_owned(), json!("us-east-1"));
        let verification = verified(&app, &source_with(name, SourceType::S3, credentials)).await;
        assert_eq!(verification["error"]["message"], expected, "{verification}");
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error() {
    let tls = untrusted_tls_server().await;
    let network = TestNetwork::start().await;
    let endpoint = format!("https://{tls}");
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[(s3_provider(), &endpoint)]))
        .spawn()
        .await;
    let verification = verified(
        &app,
        &source_with(
            "tls",
            SourceType::S3,
            s3_credentials(S3_SECRET_KEY, S3_BUCKET),
        ),
    )
    .await;
    assert_eq!(verification["status"], "failed");
    assert_eq!(code(&verification), "tls_error", "{verification}");
    assert_eq!(
        checks(&verification),
        [("connect".to_owned(), "failed".to_owned())]
    );
}

// --- url sources against a local web server ------------------------------------------------

/// An app whose network resolves `images.test` to the web server on 127.0.0.1, the switch on.
async fn web_app(routes: Vec<(&str, Reply)>) -> (TestApp, WebServer, Arc<TestNetwork>) {
    let web = WebServer::start(routes).await;
    let network = TestNetwork::start().await;
    network.answer("images.test", &["127.0.0.1"]);
    network.answer("metadata.test", &["169.254.169.254"]);
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[]))
        .spawn()
        .await;
    (app, web, network)
}

fn url_source(name: &str, url: &str) -> Value {
    source_with(
        name,
        SourceType::Url,
        json!({"url": url}).as_object().unwrap().clone(),
    )
}

#[tokio::test]
async fn a_url_answering_200_or_206_is_ok_and_asked_for_one_byte() {
    let (app, web, _network) = web_app(vec![
        ("/full/", Reply::Status(200)),
        ("/ranged/", Reply::Status(206)),
    ])
    .await;
    for path in ["full", "ranged"] {
        let url = format!("http://images.test:{}/{path}/", web.address.port());
        let verification = verified(&app, &url_source(path, &url)).await;
        assert_eq!(verification["status"], "ok", "{path}: {verification}");
        assert_eq!(
            checks(&verification),
            [("connect", "ok"), ("fetch", "ok")].map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }
    let ranges = web.ranges.lock().unwrap().clone();
    assert_eq!(
        ranges,
        [Some("bytes=0-0".to_owned()), Some("bytes=0-0".to_owned())]
    );
}

/// docs/SPEC.md §23: a web folder with `username`/`password` is checked with Basic
/// authentication, which goes to its own origin only.
#[tokio::test]
async fn a_web_folder_with_a_login_is_checked_with_basic_authentication() {
    let (app, web, _network) = web_app(vec![(
        "/private/",
        Reply::Basic("cdn-user".into(), "origin-password-0123".into()),
    )])
    .await;
    let port = web.address.port();
    let with_login = |name: &str, path: &str, password: &str| {
        source_with(
            name,
            SourceType::Url,
            json!({"url": format!("http://images.test:{port}/{path}/"), "username": "cdn-user",
                "password": password})
            .as_object()
            .unwrap()
            .clone(),
        )
    };
    let good = verified(
        &app,
        &with_login("login", "private", "origin-password-0123"),
    )
    .await;
    assert_eq!(good["status"], "ok", "{good}");
    let wrong = verified(
        &app,
        &with_login("wrong", "private", "not-the-password-0123"),
    )
    .await;
    assert_eq!(wrong["status"], "failed");
    assert_eq!(
        wrong["error"]["message"], "The storage answered HTTP 401",
        "{wrong}"
    );
    let none = verified(
        &app,
        &url_source("no-login", &format!("http://images.test:{port}/private/")),
    )
    .await;
    assert_eq!(code(&none), "http_error");
    let logins = web.authorizations.lock().unwrap().clone();
    assert_eq!(logins.len(), 3);
    assert!(
        logins[0]
            .as_deref()
            .is_some_and(|l| l.starts_with("Basic "))
    );
    assert_eq!(logins[2], None);
    // A password with a colon would end the user id early; one without its user is refused.
    let response = app
        .post(
            "/v1/sources",
            &app.db.api_key("acme").await,
            &with_login("colon", "private", "pass:word-0123"),
        )
        .await;
    assert_eq!(response.errors(), ["Credential password is invalid"]);
}

/// The login is the source's origin's: a redirect to another host does not carry it.
#[tokio::test]
async fn a_redirect_to_another_origin_does_not_carry_the_login() {
    let target = WebServer::start(vec![(
        "/private/",
        Reply::Basic("cdn-user".into(), "origin-password-0123".into()),
    )])
    .await;
    let (app, web, network) = web_app(vec![(
        "/moved/",
        Reply::Redirect(format!(
            "http://other.test:{}/private/",
            target.address.port()
        )),
    )])
    .await;
    network.answer("other.test", &["127.0.0.1"]);
    let body = source_with(
        "redirected",
        SourceType::Url,
        json!({"url": format!("http://images.test:{}/moved/", web.address.port()),
            "username": "cdn-user", "password": "origin-password-0123"})
        .as_object()
        .unwrap()
        .clone(),
    );
    let verification = verified(&app, &body).await;
    assert_eq!(
        verification["error"]["message"], "The storage answered HTTP 401",
        "{verification}"
    );
    let sent = web.authorizations.lock().unwrap().clone();
    assert!(sent[0].as_deref().is_some_and(|l| l.starts_with("Basic ")));
    assert_eq!(target.authorizations.lock().unwrap().clone(), [None]);
}

#[tokio::test]
async fn a_url_answering_403_or_404_fails_with_http_error() {
    let (app, web, _network) = web_app(vec![("/forbidden/", Reply::Status(403))]).await;
    for (path, status) in [("forbidden", 403), ("missing", 404)] {
        let url = format!("http://images.test:{}/{path}/", web.address.port());
        let verification = verified(&app, &url_source(path, &url)).await;
        assert_eq!(verification["status"], "failed");
        assert_eq!(code(&verification), "http_error");
        assert_eq!(
            verification["error"]["message"],
            format!("The storage answered HTTP {status}")
        );
    }
}

#[tokio::test]
async fn a_redirect_to_a_private_address_is_refused_and_never_connected() {
    let (app, web, network) = web_app(vec![(
        "/moved/",
        Reply::Redirect("http://metadata.test/latest/meta-data/".to_owned()),
    )])
    .await;
    let url = format!("http://images.test:{}/moved/", web.address.port());
    let verification = verified(&app, &url_source("moved", &url)).await;
    assert_eq!(code(&verification), "refused_address", "{verification}");
    assert_eq!(network.sentinel_connections(), 0);
    assert_eq!(web.requests(), 1);
}

#[tokio::test]
async fn a_redirect_chain_ending_in_a_private_address_is_refused() {
    let (app, web, network) = web_app(vec![
        ("/hop0/", Reply::Redirect("/hop1/".to_owned())),
        ("/hop1/", Reply::Redirect("/hop2/".to_owned())),
        (
            "/hop2/",
            Reply::Redirect("http://10.0.0.1/internal/".to_owned()),
        ),
    ])
    .await;
    let url = format!("http://images.test:{}/hop0/", web.address.port());
    let verification = verified(&app, &url_source("chain", &url)).await;
    assert_eq!(code(&verification), "refused_address", "{verification}");
    assert_eq!(web.requests(), 3);
    assert_eq!(network.sentinel_connections(), 0);
}

#[tokio::test]
async fn a_body_that_never_ends_is_read_to_64_kib_and_no_further() {
    let endless = integration_tests::storage::endless_body_server().await;
    let network = TestNetwork::start().await;
    network.answer("images.test", &["127.0.0.1"]);
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[]))
        .spawn()
        .await;
    let url = format!("http://images.test:{}/huge.jpg", endless.port());
    let verification = verified(&app, &url_source("endless", &url)).await;
    // Reading on would have run into the 5 s deadline (`timeout`).
    assert_eq!(verification["status"], "ok", "{verification}");
    assert!(verification["latency_ms"].as_u64().unwrap() < 5000);
}

#[tokio::test]
async fn more_than_three_redirects_fail() {
    let web = WebServer::start(vec![("/loop/", Reply::Redirect("/loop/".to_owned()))]).await;
    let network = TestNetwork::start().await;
    network.answer("images.test", &["127.0.0.1"]);
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[]))
        .spawn()
        .await;
    let url = format!("http://images.test:{}/loop/", web.address.port());
    let verification = verified(&app, &url_source("loop", &url)).await;
    assert_eq!(code(&verification), "http_error", "{verification}");
    assert_eq!(verification["error"]["message"], "More than 3 redirects");
    assert_eq!(web.requests(), 4);
}

// --- the guard with its switch off --------------------------------------------------------

/// With the switch off, `evil.test` resolving to each of `addresses` is refused, and the
/// sentinel on 127.0.0.1 (the URL's port) sees no connection.
async fn refused_without_connecting(addresses: &[&str]) {
    let network = TestNetwork::start().await;
    let app = TestApp::builder()
        .verifying(network.verifier(false, &[]))
        .spawn()
        .await;
    for (n, address) in addresses.iter().enumerate() {
        network.answer("evil.test", &[address]);
        let url = format!("http://evil.test:{}/images/", network.sentinel_port());
        let verification = verified(&app, &url_source(&format!("evil{n}"), &url)).await;
        assert_eq!(
            code(&verification),
            "refused_address",
            "{address}: {verification}"
        );
        assert_eq!(
            checks(&verification),
            [("connect".to_owned(), "failed".to_owned())]
        );
    }
    assert_eq!(network.sentinel_connections(), 0);
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_and_never_connected() {
    refused_without_connecting(&["127.0.0.1", "::1"]).await;
}

#[tokio::test]
async fn a_name_resolving_to_the_metadata_address_is_refused() {
    refused_without_connecting(&["169.254.169.254", "10.0.0.7", "100.64.0.1", "0.0.0.0"]).await;
}

#[tokio::test]
async fn ipv4_mapped_ipv6_forms_are_refused() {
    refused_without_connecting(&[
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:a9fe:a9fe",
        "64:ff9b::a9fe:a9fe",
    ])
    .await;
}

#[tokio::test]
async fn the_sentinel_sees_a_connection_the_guard_lets_through() {
    // The control for the tests above: with the switch on, the same name reaches the sentinel,
    // so its count of 0 there means the guard refused, not that nothing could connect.
    let network = TestNetwork::start().await;
    network.answer("evil.test", &["127.0.0.1"]);
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[]))
        .spawn()
        .await;
    let url = format!("http://evil.test:{}/images/", network.sentinel_port());
    let verification = verified(&app, &url_source("control", &url)).await;
    assert_eq!(verification["status"], "failed");
    assert_eq!(network.sentinel_connections(), 1);
}

#[tokio::test]
async fn a_private_host_name_is_refused_before_any_lookup() {
    let network = TestNetwork::start().await;
    network.answer("metadata.google.internal", &["127.0.0.1"]);
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[]))
        .spawn()
        .await;
    let key = app.db.api_key("acme").await;
    // §4 refuses such a URL on create; a redirect can still lead there.
    let web = WebServer::start(vec![(
        "/go/",
        Reply::Redirect(format!(
            "http://metadata.google.internal:{}/",
            network.sentinel_port()
        )),
    )])
    .await;
    network.answer("images.test", &["127.0.0.1"]);
    let url = format!("http://images.test:{}/go/", web.address.port());
    let source = create(&app, &key, &url_source("internal", &url)).await;
    let verification = verify(&app, &key, &source).await.json()["verification"].clone();
    assert_eq!(code(&verification), "refused_address", "{verification}");
    assert_eq!(network.sentinel_connections(), 0);
}

// --- Azure, against Azurite ---------------------------------------------------------------

async fn azure_app(endpoint: &str) -> TestApp {
    let network = TestNetwork::start().await;
    TestApp::builder()
        .verifying(network.verifier(true, &[(Provider::Azure(AzureService::Blob), endpoint)]))
        .spawn()
        .await
}

fn azure_source(name: &str, container: &str, sas: &str) -> Value {
    let sig = sas.split("sig=").nth(1).unwrap_or_default();
    register_secret(sig);
    source_with(
        name,
        SourceType::Azure,
        json!({"account_name": "devstoreaccount1", "service_type": "blob",
            "container_name": container, "sas_token": sas})
        .as_object()
        .unwrap()
        .clone(),
    )
}

#[tokio::test]
async fn azure_blob_with_a_good_sas_is_ok() {
    let Some(endpoint) = azurite() else { return };
    azurite_container(&endpoint, "verify-good").await;
    let app = azure_app(&endpoint).await;
    let verification = verified(
        &app,
        &azure_source("azure-good", "verify-good", &azurite_account_sas("rl")),
    )
    .await;
    assert_eq!(verification["status"], "ok", "{verification}");
}

#[tokio::test]
async fn azure_blob_with_a_bad_sas_is_access_denied() {
    let Some(endpoint) = azurite() else { return };
    azurite_container(&endpoint, "verify-bad").await;
    let app = azure_app(&endpoint).await;
    let good = azurite_account_sas("rl");
    let (unsigned, _) = good.split_once("&sig=").unwrap();
    let bad = format!("{unsigned}&sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D");
    let verification = verified(&app, &azure_source("azure-bad", "verify-bad", &bad)).await;
    assert_eq!(verification["status"], "failed");
    assert_eq!(code(&verification), "access_denied", "{verification}");
}

#[tokio::test]
async fn azure_blob_with_a_missing_container_is_bucket_not_found() {
    let Some(endpoint) = azurite() else { return };
    let app = azure_app(&endpoint).await;
    let verification = verified(
        &app,
        &azure_source(
            "azure-none",
            "no-such-container",
            &azurite_account_sas("rl"),
        ),
    )
    .await;
    assert_eq!(code(&verification), "bucket_not_found", "{verification}");
}

// --- ?verify=true, the rate limit, scope --------------------------------------------------

#[tokio::test]
async fn create_with_verify_and_bad_credentials_is_422_and_writes_nothing() {
    let (app, _s3) = s3_app(S3Options::default()).await;
    let key = app.db.api_key("acme").await;
    let before: Vec<String> = app
        .db
        .all_items()
        .await
        .iter()
        .filter_map(|item| item.get("SK")?.as_s().ok().cloned())
        .collect();
    let body = source_with(
        "unverified",
        SourceType::S3,
        s3_credentials("not-the-secret-key-0123456789abcdefghij", S3_BUCKET),
    );
    let response = app.post("/v1/sources?verify=true", &key, &body).await;
    assert_eq!(response.status, 422, "{}", response.text);
    assert_eq!(
        response.errors(),
        ["Credentials could not be verified: The storage refused the credentials (HTTP 403)"]
    );
    // The rate counter is the only item the request added.
    let added: Vec<String> = app
        .db
        .all_items()
        .await
        .iter()
        .filter_map(|item| item.get("SK")?.as_s().ok().cloned())
        .filter(|sk| !before.contains(sk))
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert!(added[0].starts_with("VERIFY#"), "{added:?}");
    assert!(app.db.name_claims().await.is_empty());
}

#[tokio::test]
async fn create_with_verify_and_good_credentials_creates() {
    let (app, _s3) = s3_app(S3Options::default()).await;
    let key = app.db.api_key("acme").await;
    let body = source_with(
        "verified",
        SourceType::S3,
        s3_credentials(S3_SECRET_KEY, S3_BUCKET),
    );
    let response = app.post("/v1/sources?verify=true", &key, &body).await;
    assert_eq!(response.status, 201, "{}", response.text);
}

#[tokio::test]
async fn patch_with_verify_and_bad_credentials_is_422_and_changes_nothing() {
    let (app, _s3) = s3_app(S3Options::default()).await;
    let key = app.db.api_key("acme").await;
    let source = create_s3(&app, &key, "patched").await;
    let id = source["id"].as_str().unwrap();
    let wrong = "not-the-secret-key-0123456789abcdefghij";
    let response = app
        .patch(
            &format!("/v1/sources/{id}?verify=true"),
            &key,
            &json!({"source": {"credential_attributes": {"secret_access_key": wrong}}}),
        )
        .await;
    assert_eq!(response.status, 422, "{}", response.text);
    assert_eq!(
        app.db.stored_credentials("acme", id).await["secret_access_key"],
        S3_SECRET_KEY
    );
    let after = app.get(&format!("/v1/sources/{id}"), &key).await.json();
    assert_eq!(after["updated_at"], source["updated_at"]);
    let events = app
        .get(&format!("/v1/sources/{id}/events"), &key)
        .await
        .json();
    assert_eq!(
        events.as_array().unwrap().len(),
        1,
        "only the create: {events}"
    );
}

#[tokio::test]
async fn verify_other_than_true_or_false_is_400() {
    let network = TestNetwork::start().await;
    let app = TestApp::builder()
        .verifying(network.verifier(false, &[]))
        .spawn()
        .await;
    let key = app.db.api_key("acme").await;
    for query in ["verify=yes", "verify=1", "verify=true&verify=true"] {
        let response = app
            .post(
                &format!("/v1/sources?{query}"),
                &key,
                &source_body("flag", SourceType::S3),
            )
            .await;
        assert_eq!(response.status, 400, "{query}: {}", response.text);
    }
    assert!(app.db.name_claims().await.is_empty());
}

/// The verifications counted for the account so far, over every minute's counter.
async fn verifications_counted(app: &TestApp) -> u64 {
    app.db
        .all_items()
        .await
        .iter()
        .filter(|item| {
            item.get("SK")
                .and_then(|sk| sk.as_s().ok())
                .is_some_and(|sk| sk.starts_with("VERIFY#"))
        })
        .filter_map(|item| item.get("verifications")?.as_n().ok()?.parse::<u64>().ok())
        .sum()
}

/// docs/SPEC.md §15: a repeat of a create with its key and body answers as the first did,
/// whatever happened since, even with `?verify=true`: the key decides before the storage is asked
/// or a verification counted. Here the storage is gone by the repeat, which checking again would
/// report as 422 (or 429, with the minute's verifications used up).
#[tokio::test]
async fn a_repeated_verified_create_replays_without_verifying_again() {
    let (app, s3) = s3_app(S3Options::default()).await;
    let key = app.db.api_key("acme").await;
    let body = source_with(
        "verified-once",
        SourceType::S3,
        s3_credentials(S3_SECRET_KEY, S3_BUCKET),
    );
    let send = |body: &Value| {
        app.send(
            app.http
                .post(app.url("/v1/sources?verify=true"))
                .header(API_KEY_HEADER, &key)
                .header("Idempotency-Key", "verified-retry-1")
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
    };
    let first = send(&body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(verifications_counted(&app).await, 1);
    drop(s3);

    let again = send(&body).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(verifications_counted(&app).await, 1, "a replay counts none");

    // Another body with the same key is still refused, before any check.
    let mut other = body.clone();
    other["source"]["source"] = json!("verified-twice");
    let reused = send(&other).await;
    assert_eq!(reused.status, 422, "{}", reused.text);
    assert_eq!(
        reused.errors(),
        ["Idempotency-Key has already been used with a different request"]
    );
    assert_eq!(verifications_counted(&app).await, 1);
}

#[tokio::test]
async fn the_eleventh_verification_in_a_minute_is_429_with_retry_after() {
    // Ten must land in one window: start early in a minute.
    let second = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second > 45 {
        tokio::time::sleep(Duration::from_secs(61 - second)).await;
    }
    let (app, _web, _network) = web_app(vec![("/ok/", Reply::Status(200))]).await;
    let key = app.db.api_key("acme").await;
    let url = format!("http://images.test:{}/ok/", _web.address.port());
    let source = create(&app, &key, &url_source("limited", &url)).await;
    for n in 1..=10 {
        let response = verify(&app, &key, &source).await;
        assert_eq!(response.status, 200, "verification {n}: {}", response.text);
    }
    let eleventh = verify(&app, &key, &source).await;
    assert_eq!(eleventh.status, 429, "{}", eleventh.text);
    let retry_after: u64 = eleventh.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        eleventh.errors(),
        ["Too many verifications: at most 10 a minute per account, retry later"]
    );
    // Another account has its own minute.
    let other = app.db.api_key("other").await;
    let theirs = create(&app, &other, &url_source("theirs", &url)).await;
    assert_eq!(verify(&app, &other, &theirs).await.status, 200);
}

#[tokio::test]
async fn verifying_another_accounts_source_is_404() {
    let network = TestNetwork::start().await;
    let app = TestApp::builder()
        .verifying(network.verifier(false, &[]))
        .spawn()
        .await;
    let key = app.db.api_key("acme").await;
    let other = app.db.api_key("other").await;
    let source = create(&app, &key, &source_body("mine", SourceType::S3)).await;
    assert_eq!(verify(&app, &other, &source).await.status, 404);
    let unknown = json!({"id": "69a99ae507f19000072d0125"});
    assert_eq!(verify(&app, &key, &unknown).await.status, 404);
}

/// A client's verify changes the source's health only (docs/SPEC.md §22): not its version, ETag,
/// `updated_at` or anything a client writes; a first check that finds it ok is no event.
#[tokio::test]
async fn verifying_changes_only_the_sources_health() {
    let (app, _s3) = s3_app(S3Options::default()).await;
    let key = app.db.api_key("acme").await;
    let source = create_s3(&app, &key, "unchanged").await;
    let id = source["id"].as_str().unwrap();
    let before = app.get(&format!("/v1/sources/{id}"), &key).await;
    assert_eq!(before.json()["health"]["status"], "unknown");
    assert_eq!(verify(&app, &key, &source).await.status, 200);
    let after = app.get(&format!("/v1/sources/{id}"), &key).await;
    let (mut before_body, mut after_body) = (before.json(), after.json());
    assert_eq!(after_body["health"]["status"], "ok", "{}", after.text);
    assert!(after_body["health"]["checked_at"].is_string());
    assert!(after_body["health"]["error"].is_null());
    before_body.as_object_mut().unwrap().remove("health");
    after_body.as_object_mut().unwrap().remove("health");
    assert_eq!(after_body, before_body);
    assert_eq!(after.header("etag"), before.header("etag"));
    let events = app
        .get(&format!("/v1/sources/{id}/events"), &key)
        .await
        .json();
    assert_eq!(events.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_read_key_may_not_verify() {
    let network = TestNetwork::start().await;
    let app = TestApp::builder()
        .verifying(network.verifier(false, &[]))
        .spawn()
        .await;
    let key = app.db.api_key("acme").await;
    let reader = app
        .db
        .api_key_with(
            "acme",
            shared::store::KeyGrant {
                label: "reader".to_owned(),
                scope: shared::domain::KeyScope::Read,
                ..Default::default()
            },
        )
        .await;
    let source = create(&app, &key, &source_body("scoped", SourceType::S3)).await;
    assert_eq!(verify(&app, &reader, &source).await.status, 403);
}
