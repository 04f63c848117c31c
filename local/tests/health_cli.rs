//! `image-sources check-sources` (docs/SPEC.md §22) as an operator runs it: one sweep of a table
//! with a progress line and a summary, and a process killed with SIGKILL midway that loses no
//! source from the schedule. Its storage is a server on loopback that the verify check is
//! pointed at (`VERIFY_ENDPOINT_S3`, `VERIFY_ALLOW_LOOPBACK`): nothing leaves the machine.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::kit::{cli, embedded_table};
use std::time::Duration;

use shared::domain::{AccountId, Actor, Source, SourceInput, SourceType, Timestamp};
use shared::sealing::{Keys, seal_credentials};
use shared::store::Store;
use shared::store::table::DUE_SHARDS;
use shared::verify::{ALLOW_LOOPBACK_VAR, ENDPOINT_VAR_PREFIX, Provider};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TABLE: &str = "health";

struct Setup {
    store: Store,
    endpoint: String,
    data_dir: PathBuf,
    keys: Keys,
}

async fn setup() -> Setup {
    let (endpoint, store) = embedded_table(TABLE).await;
    let data_dir = std::env::temp_dir().join(format!(
        "image-sources-health-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let keys = image_sources::sealing::KeyArgs::default()
        .keys(&data_dir)
        .await
        .unwrap();
    Setup {
        store,
        endpoint,
        data_dir,
        keys,
    }
}

/// An S3 source of `acme`, its secret sealed with the data dir's key, as `serve` would store it.
async fn create_s3(setup: &Setup, name: &str) -> Source {
    let body = serde_json::json!({"source": name, "source_type": "s3", "credential_attributes": {
        "access_key_id": "AKIAHEALTHCHECK", "secret_access_key": "health-check-secret-0123456789",
        "bucket": "images", "region": "us-east-1"}});
    let fields = SourceInput::from_json(body.as_object().unwrap())
        .into_new_fields()
        .unwrap();
    let mut source = Source::new(AccountId::parse("acme").unwrap(), fields);
    let values = seal_credentials(
        Some(&setup.keys),
        &source.account_id,
        &source.id,
        &source.fields.credentials,
    )
    .await
    .unwrap();
    source.fields.credentials = values.apply(&source.fields.credentials).unwrap();
    setup
        .store
        .create_source(&source, None, &Actor::default())
        .await
        .unwrap();
    source
}

/// A storage on loopback: refusing every request as S3 refuses an unknown key, or accepting
/// connections and never answering.
async fn storage(answer: bool) -> u16 {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            if !answer {
                held.push(socket);
                continue;
            }
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>";
                let response = format!(
                    "HTTP/1.1 403 Forbidden\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    port
}

fn check_sources(setup: &Setup, storage_port: u16) -> Command {
    let mut command = cli();
    command
        .args(["check-sources", "--dynamodb-endpoint", &setup.endpoint])
        .args(["--table", TABLE])
        .arg("--data-dir")
        .arg(&setup.data_dir)
        .env(ALLOW_LOOPBACK_VAR, "1")
        .env(
            format!(
                "{ENDPOINT_VAR_PREFIX}{}",
                Provider::of(SourceType::S3).unwrap().var_suffix()
            ),
            format!("http://127.0.0.1:{storage_port}"),
        );
    command
}

async fn due_by(store: &Store, now: Timestamp) -> usize {
    let mut due = 0;
    for shard in DUE_SHARDS {
        due += store
            .due_checks(shard, now, 1_000)
            .await
            .unwrap()
            .checks
            .len();
    }
    due
}

#[tokio::test]
async fn check_sources_runs_one_sweep_with_a_progress_line_and_a_summary() {
    let setup = setup().await;
    let port = storage(true).await;
    let mut sources = Vec::new();
    for n in 0..3 {
        sources.push(create_s3(&setup, &format!("checked-{n}")).await);
    }
    let mut command = check_sources(&setup, port);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("check-sources: 3 due, 0 checked"),
        "a progress line: {stderr}"
    );
    assert!(
        stdout.starts_with(
            "health sweep: 3 checked (0 ok, 3 failed, 0 inconclusive) across 1 accounts, 3 health changes, 0 skipped, 0 errors"
        ),
        "{stdout}"
    );
    for (text, what) in [(&stdout, "stdout"), (&stderr, "stderr")] {
        assert!(!text.contains("health-check-secret"), "{what}");
        assert!(!text.contains("does not exist in our records"), "{what}");
    }
    for source in &sources {
        let stored = setup
            .store
            .get_source(&source.account_id, &source.id)
            .await
            .unwrap();
        assert_eq!(stored.health.status.as_str(), "failed");
        assert_eq!(stored.health.error.unwrap().code, "access_denied");
        assert_eq!(stored.version, 1);
    }
    // Nothing is due now: a second run checks nothing.
    let mut again = check_sources(&setup, port);
    let output = tokio::task::spawn_blocking(move || again.output().unwrap())
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&output.stdout).starts_with("health sweep: 0 checked"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let _ = std::fs::remove_dir_all(&setup.data_dir);
}

/// SIGKILL while every check in flight waits on the storage: the claimed checks are due again
/// after the lease, the unclaimed ones are still due, nothing is half-written.
#[tokio::test]
async fn a_check_sources_killed_with_sigkill_midway_loses_no_source() {
    let setup = setup().await;
    let port = storage(false).await;
    const SOURCES: usize = 25;
    let mut sources = Vec::new();
    for n in 0..SOURCES {
        sources.push(create_s3(&setup, &format!("killed-{n:02}")).await);
    }
    let now = Timestamp::now();
    assert_eq!(due_by(&setup.store, now).await, SOURCES);
    let mut child = check_sources(&setup, port)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let unclaimed = SOURCES - shared::functions::check_sources::CONCURRENCY;
    for _ in 0..1_000 {
        if due_by(&setup.store, now).await <= unclaimed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(due_by(&setup.store, now).await, unclaimed);
    let lease = shared::functions::check_sources::LEASE_SECONDS;
    let after_lease = now.plus_seconds(lease + 60).unwrap();
    assert_eq!(due_by(&setup.store, after_lease).await, SOURCES);
    for source in &sources {
        let stored = setup
            .store
            .get_source(&source.account_id, &source.id)
            .await
            .unwrap();
        assert_eq!(stored.health.status.as_str(), "unknown");
        assert_eq!(stored.version, 1);
    }
    let _ = std::fs::remove_dir_all(&setup.data_dir);
}
