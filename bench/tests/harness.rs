//! The bench's own parts against real processes: the Runtime API emulator serves a real
//! `lambda_runtime` function (dev build), which answers from a real embedded DynamoDB, and the
//! counting proxy sees exactly its requests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bench::artifacts;
use bench::process::{Backend, Subject};
use bench::workload::{Events, events_dir, is_success, seed_sources};
use integration_tests::fault_proxy::FaultProxy;

fn subject(name: &str, program: &Path) -> Subject {
    Subject {
        name: name.into(),
        program: program.to_path_buf(),
        args: Vec::new(),
        working_dir: None,
        env: Vec::new(),
    }
}

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// Dev builds of `packages`, by the bench's own build step, with the test build's features.
async fn dev_build(packages: &'static [&'static str]) -> BTreeMap<String, PathBuf> {
    tokio::task::spawn_blocking(move || artifacts::binaries_as_tested(workspace(), packages))
        .await
        .unwrap()
        .expect("dev build")
}

/// An empty directory to stand in for the process's home.
fn empty_home(tag: &str) -> PathBuf {
    let home = std::env::temp_dir().join(format!("bench-home-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    home
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_process_is_timed_and_counted_through_the_emulator() {
    let built = dev_build(&["get-source", "hello-world"]).await;

    let app = integration_tests::spawn_app().await;
    let proxy = FaultProxy::start(&app.db.endpoint).await;
    let backend = Backend {
        dynamodb_endpoint: proxy.endpoint.clone(),
        table: app.db.table.clone(),
        home: empty_home("emulator"),
        kms: None,
    };
    let key = app.db.api_key("acme").await;
    let ids = seed_sources(&app, &key, "harness", 2).await.unwrap();
    let events = Events::new(events_dir(workspace()));
    let get = events
        .endpoint("get-source", "acme", Some(&ids[0]), None)
        .unwrap();

    // A cold start: init ends before the first answer, both within a sane bound.
    let get_source = subject("get-source", &built["get-source"]);
    let cold = get_source
        .cold_start(&backend, get.clone(), is_success)
        .await
        .expect("cold start");
    assert!(cold.init < cold.first_response, "{cold:?}");
    assert!(cold.first_response.as_secs() < 30, "{cold:?}");

    // Warm: every event answered, in order, with the source asked for; one GetItem each.
    proxy.reset_counts();
    let run = get_source
        .warm_run(&backend, vec![get.clone(); 5], is_success)
        .await
        .expect("warm run");
    assert_eq!(run.answers.len(), 5);
    let answer: serde_json::Value = serde_json::from_slice(&run.answers[0].body).unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert!(answer["body"].as_str().unwrap().contains(&ids[0]));
    assert_eq!(proxy.forwarded().get("GetItem"), Some(&5));
    assert_eq!(proxy.forwarded().values().sum::<usize>(), 5);
    assert!(run.peak_rss_kib.is_some_and(|kib| kib > 100));

    // A source that is not there is a 404, which the bench does not take for a success.
    let missing = events
        .endpoint("get-source", "acme", Some("69a99ae507f19000072d0125"), None)
        .unwrap();
    let refused = get_source
        .cold_start(&backend, missing, is_success)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("404"), "{refused}");

    // A process that dies during init is reported, not waited for.
    let broken = Backend {
        table: String::new(),
        ..backend.clone()
    };
    let died = get_source
        .cold_start(&broken, get.clone(), is_success)
        .await
        .unwrap_err();
    assert!(died.to_string().contains("exited"), "{died}");

    // The baseline answers too, without touching DynamoDB.
    proxy.reset_counts();
    let hello = subject("hello-world", &built["hello-world"]);
    hello
        .cold_start(&backend, get, is_success)
        .await
        .expect("hello-world cold start");
    assert!(proxy.forwarded().is_empty());
}

/// One binary, one endpoint: a function that never verifies does not link the verify check, and
/// the control (verify-source, which does) shows the search finds it where it is linked. The
/// console carries the OpenAPI document, which quotes the check's messages: not its code.
#[tokio::test]
async fn only_the_functions_that_verify_link_the_verify_check() {
    let readers = [
        "get-source",
        "list-sources",
        "list-events",
        "get-api-key",
        "console",
    ];
    let built = dev_build(&[
        "get-source",
        "list-sources",
        "list-events",
        "get-api-key",
        "console",
        "verify-source",
    ])
    .await;
    assert!(artifacts::links_verify_check(&built["verify-source"]).unwrap());
    for read in readers {
        assert!(
            !artifacts::links_verify_check(&built[read]).unwrap(),
            "{read} links the verify check"
        );
    }
}

/// docs/SPEC.md §21: the KMS client is built only in the functions that seal or open, and the
/// others do not even link it; verify-source, which opens, is the control.
#[tokio::test]
async fn only_the_functions_that_seal_or_open_link_the_kms_client() {
    let built = dev_build(&["get-source", "list-sources", "list-events", "verify-source"]).await;
    assert!(artifacts::links_kms_client(&built["verify-source"]).unwrap());
    for read in ["get-source", "list-sources", "list-events"] {
        assert!(
            !artifacts::links_kms_client(&built[read]).unwrap(),
            "{read} links the KMS client"
        );
    }
}

/// Outside Lambda's environment (no access key in it) a function falls back to the SDK's full
/// provider chain: here, credentials from a shared credentials file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_without_credentials_in_its_environment_uses_the_full_chain() {
    let built = dev_build(&["get-source"]).await;

    let app = integration_tests::spawn_app().await;
    let home = empty_home("chain");
    // DynamoDB Local accepts only letters and digits in access key ids.
    let credentials = home.join("credentials");
    std::fs::write(
        &credentials,
        "[default]\naws_access_key_id = fromfile\naws_secret_access_key = fromfile\n",
    )
    .unwrap();
    let backend = Backend {
        dynamodb_endpoint: app.db.endpoint.clone(),
        table: app.db.table.clone(),
        home: home.clone(),
        kms: None,
    };
    let key = app.db.api_key("acme").await;
    let ids = seed_sources(&app, &key, "chain", 1).await.unwrap();
    let get = Events::new(events_dir(workspace()))
        .endpoint("get-source", "acme", Some(&ids[0]), None)
        .unwrap();

    let mut get_source = subject("get-source", &built["get-source"]);
    get_source.env = vec![
        ("AWS_ACCESS_KEY_ID".into(), String::new()),
        ("AWS_SECRET_ACCESS_KEY".into(), String::new()),
        ("AWS_SESSION_TOKEN".into(), String::new()),
        (
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            credentials.to_string_lossy().into_owned(),
        ),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ];
    let run = get_source
        .warm_run(&backend, vec![get], is_success)
        .await
        .expect("answers with credentials from the file");
    assert!(String::from_utf8_lossy(&run.answers[0].body).contains(&ids[0]));
}

#[tokio::test]
async fn the_listing_figures_walk_every_page_of_both_accounts() {
    let app = integration_tests::spawn_app().await;
    let result = bench::paging::paging(&app, "embedded".into(), 350, 20)
        .await
        .expect("the listing figures");
    assert_eq!(
        result.orders.iter().map(|o| o.sort).collect::<Vec<_>>(),
        ["created_at", "name"]
    );
    // 350 sources at 100 a page.
    assert_eq!(result.large_pages, 4);
    for order in &result.orders {
        assert_eq!(order.small.samples, 20);
        assert_eq!(order.large.samples, 20);
    }
    // 700 sources of ~8.6 KB of payload each cannot fit one page: pages are cut below the limit.
    assert!(result.largest_page_payload_bytes > 1024 * 1024);
    assert!(result.largest_page_payload_bytes < result.lambda_limit_bytes);
}
