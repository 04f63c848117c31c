//! `image-sources keys ...` and `init` on a data dir, as an operator runs them.

use std::net::{Ipv4Addr, TcpListener};
use std::process::{Command, Output};

use helpers::sha256_hex;

fn run(data_dir: &std::path::Path, port: u16, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_image-sources"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--dynamodb-port", &port.to_string()])
        .env_remove("DYNAMODB_ENDPOINT")
        .env_remove("TABLE_NAME")
        .output()
        .expect("image-sources runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A fresh data dir, and a port where no `serve` runs (the commands open the data dir themselves).
fn fresh_data_dir() -> (std::path::PathBuf, u16) {
    let data_dir = std::env::temp_dir().join(format!(
        "image-sources-cli-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    (data_dir, port)
}

mod helpers {
    /// The key id `keys list` shows, computed the way the store does.
    pub fn sha256_hex(key: &str) -> String {
        shared::domain::ApiKey::from_header(key)
            .unwrap()
            .hash()
            .as_str()
            .to_owned()
    }
}

#[test]
fn create_list_revoke() {
    let (data_dir, port) = fresh_data_dir();

    assert_eq!(
        stdout(&run(&data_dir, port, &["init"])).trim(),
        "table image-sources created"
    );
    assert_eq!(
        stdout(&run(&data_dir, port, &["init"])).trim(),
        "table image-sources already exists"
    );

    let created = stdout(&run(
        &data_dir,
        port,
        &["keys", "create", "--account", "acme", "--label", "ci"],
    ));
    let lines: Vec<&str> = created.lines().collect();
    assert_eq!(lines.len(), 1, "the key alone on stdout: {created:?}");
    let key = lines[0];
    assert!(key.starts_with("isk_") && key.len() == 68);
    let key_id = sha256_hex(key);

    let listed = stdout(&run(
        &data_dir,
        port,
        &["keys", "list", "--account", "acme"],
    ));
    assert!(
        listed.contains(&key_id) && listed.contains("active") && listed.contains("ci"),
        "{listed}"
    );
    assert!(!listed.contains(key), "the key itself is never shown again");
    assert!(
        !stdout(&run(
            &data_dir,
            port,
            &["keys", "list", "--account", "other"]
        ))
        .contains(&key_id)
    );

    let refused = run(
        &data_dir,
        port,
        &[
            "keys",
            "revoke",
            "--account",
            "other",
            "--key-id",
            &key_id[..12],
        ],
    );
    assert!(
        !refused.status.success(),
        "another account cannot revoke it"
    );
    let short = run(
        &data_dir,
        port,
        &["keys", "revoke", "--account", "acme", "--key-id", "abc"],
    );
    assert!(!short.status.success());

    let revoked = stdout(&run(
        &data_dir,
        port,
        &[
            "keys",
            "revoke",
            "--account",
            "acme",
            "--key-id",
            &key_id[..12],
        ],
    ));
    assert_eq!(revoked.trim(), format!("revoked {key_id}"));
    assert!(
        stdout(&run(
            &data_dir,
            port,
            &["keys", "list", "--account", "acme"]
        ))
        .contains("revoked")
    );

    let bad_account = run(&data_dir, port, &["keys", "create", "--account", "a#b"]);
    assert!(!bad_account.status.success());
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn keys_are_created_with_a_scope_and_an_expiry_and_listed_with_them() {
    let (data_dir, port) = fresh_data_dir();
    let before = shared::domain::Timestamp::now();
    let read_key = stdout(&run(
        &data_dir,
        port,
        &[
            "keys",
            "create",
            "--account",
            "acme",
            "--label",
            "plan",
            "--scope",
            "read",
            "--expires-in",
            "12h",
        ],
    ));
    let write_key = stdout(&run(
        &data_dir,
        port,
        &["keys", "create", "--account", "acme", "--label", "apply"],
    ));
    let listed = stdout(&run(
        &data_dir,
        port,
        &["keys", "list", "--account", "acme"],
    ));
    let line_of = |key: &str| {
        let id = sha256_hex(key.trim());
        listed
            .lines()
            .find(|line| line.starts_with(&id))
            .unwrap_or_else(|| panic!("{id} in {listed}"))
            .to_owned()
    };
    let read_line = line_of(&read_key);
    let fields: Vec<&str> = read_line.split_whitespace().collect();
    assert_eq!(fields[2..4], ["active", "read"], "{read_line}");
    let expires = shared::domain::Timestamp::parse(fields[4]).expect("an RFC 3339 expiry");
    let lifetime = expires.unix_seconds() - before.unix_seconds();
    assert!(
        (12 * 3600..12 * 3600 + 60).contains(&lifetime),
        "{read_line}"
    );
    let write_line = line_of(&write_key);
    let fields: Vec<&str> = write_line.split_whitespace().collect();
    assert_eq!(fields[2..5], ["active", "write", "never"], "{write_line}");

    for bad in [
        &["--scope", "admin"][..],
        &["--expires-in", "0d"],
        &["--expires-in", "12"],
        &["--expires-in", "1y"],
    ] {
        let mut args = vec!["keys", "create", "--account", "acme"];
        args.extend_from_slice(bad);
        assert!(!run(&data_dir, port, &args).status.success(), "{bad:?}");
    }
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn sign_prints_the_path_signed_with_the_sources_current_token() {
    use shared::domain::{AccountId, Source, SourceInput, Timestamp, signing};
    use shared::store::{ClientSettings, Store, local_client, table};

    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let endpoint =
        image_sources::embedded::spawn(listener, dynoxide::Database::memory().unwrap()).unwrap();
    let client = local_client(&endpoint, ClientSettings::default());
    table::ensure_table(&client, "signing").await.unwrap();
    let store = Store::new(client, "signing");
    let body = serde_json::json!({"source": "My-Images", "source_type": "url",
        "credential_attributes": {"url": "https://example.com/", "require_token": true}});
    let fields = SourceInput::from_json(body.as_object().unwrap())
        .into_new_fields()
        .unwrap();
    let source = Source::new(AccountId::parse("acme").unwrap(), fields);
    store
        .create_source(&source, None, &shared::domain::Actor::default())
        .await
        .unwrap();

    let sign = |name: &str, path: &str| {
        let (endpoint, name, path) = (endpoint.clone(), name.to_owned(), path.to_owned());
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_image-sources"))
                .args([
                    "sign",
                    "--source",
                    &name,
                    &path,
                    "--dynamodb-endpoint",
                    &endpoint,
                ])
                .args(["--table", "signing"])
                .output()
                .expect("image-sources runs")
        })
    };
    let path = "/my-images/w_300/photo.jpg";
    let signed = stdout(&sign("my-images", path).await.unwrap());
    assert_eq!(
        signed.trim(),
        signing::signed_path(&source.secret_token, path)
    );
    let token = signed.trim().rsplit_once("bossToken=").unwrap().1;
    assert!(signing::verify_boss_token(
        &source,
        path,
        token,
        Timestamp::now()
    ));

    for (name, path) in [
        ("nobody", "/nobody/photo.jpg"),
        ("my-images", "/other/photo.jpg"),
        ("my-images", "/my-images/photo.jpg?w=1"),
        ("not a name", "/x/y"),
    ] {
        let refused = sign(name, path).await.unwrap();
        assert!(!refused.status.success(), "{name} {path}");
    }
}
