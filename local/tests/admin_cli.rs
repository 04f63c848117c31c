//! `image-sources keys ...` and `init` on a data dir, as an operator runs them.

use std::process::Output;

use crate::kit::{Serving, cli, embedded_table, free_port};

use helpers::sha256_hex;

fn run(data_dir: &std::path::Path, port: u16, args: &[&str]) -> Output {
    cli()
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--dynamodb-port", &port.to_string()])
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

/// A data dir as `serve` leaves it (its database with the table, its sealing key, the dev key),
/// and a port where no `serve` runs, so the commands open the data dir themselves. Only `serve`
/// makes one: an admin command refuses where there is none.
fn served_data_dir() -> (std::path::PathBuf, u16) {
    let data_dir = std::env::temp_dir().join(format!(
        "image-sources-cli-{}",
        uuid::Uuid::new_v4().simple()
    ));
    // Its banner's last line comes after the table, the sealing key and the dev key.
    Serving::start(&data_dir, &["--no-health-checks"], &[]).kill();
    (data_dir, free_port())
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
    let (data_dir, port) = served_data_dir();

    assert_eq!(
        stdout(&run(&data_dir, port, &["init"])).trim(),
        "table image-sources already exists"
    );

    let output = run(
        &data_dir,
        port,
        &["keys", "create", "--account", "acme", "--label", "ci"],
    );
    let created = stdout(&output);
    let lines: Vec<&str> = created.lines().collect();
    assert_eq!(lines.len(), 1, "the key alone on stdout: {created:?}");
    let key = lines[0];
    assert!(key.starts_with("isk_") && key.len() == 68);
    let key_id = sha256_hex(key);
    // What was made, on stderr, for the person: never the key (docs/SPEC.md §26).
    let said = String::from_utf8_lossy(&output.stderr);
    let data_dir_shown = std::path::absolute(&data_dir).unwrap();
    assert_eq!(
        said.trim(),
        format!(
            "Made an admin key {} for account acme, labelled \"ci\", that works until revoked, \
             in table image-sources of the embedded DynamoDB of data directory {}.",
            &key_id[..16],
            data_dir_shown.display()
        )
    );
    assert!(!said.contains(key));

    let output = run(&data_dir, port, &["keys", "list", "--account", "acme"]);
    let listed = stdout(&output);
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        format!(
            "Keys of account acme in table image-sources of the embedded DynamoDB of data \
             directory {}:",
            data_dir_shown.display()
        ),
        "which table and data directory it read"
    );
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
    let (data_dir, port) = served_data_dir();
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
    let admin_key = stdout(&run(
        &data_dir,
        port,
        &["keys", "create", "--account", "acme", "--label", "apply"],
    ));
    let write_key = stdout(&run(
        &data_dir,
        port,
        &[
            "keys",
            "create",
            "--account",
            "acme",
            "--label",
            "deploy",
            "--scope",
            "write",
        ],
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
    assert_eq!(
        fields[2..6],
        ["active", "write", "never", "never"],
        "{write_line}"
    );
    // Without `--scope`, an admin key (docs/SPEC.md §26).
    let admin_line = line_of(&admin_key);
    let fields: Vec<&str> = admin_line.split_whitespace().collect();
    assert_eq!(fields[2..5], ["active", "admin", "never"], "{admin_line}");

    let long_label = "x".repeat(5_000);
    for bad in [
        &["--scope", "owner"][..],
        &["--expires-in", "0d"],
        &["--expires-in", "12"],
        &["--expires-in", "1y"],
        // Labels are 1 to 64 printable characters (docs/SPEC.md §26).
        &["--label", &long_label],
        &["--label", &long_label[..65]],
        &["--label", ""],
        &["--label", "line\nbreak"],
        &["--label", "bell\u{7}"],
    ] {
        let mut args = vec!["keys", "create", "--account", "acme"];
        args.extend_from_slice(bad);
        let refused = run(&data_dir, port, &args);
        assert!(!refused.status.success(), "{bad:?}");
        assert!(refused.stdout.is_empty(), "{bad:?}: no key printed");
    }
    let listed = stdout(&run(
        &data_dir,
        port,
        &["keys", "list", "--account", "acme"],
    ));
    assert_eq!(
        listed.lines().count(),
        4,
        "the header and the three keys: {listed}"
    );
    let at_limit = stdout(&run(
        &data_dir,
        port,
        &[
            "keys",
            "create",
            "--account",
            "acme",
            "--label",
            &long_label[..64],
        ],
    ));
    assert!(at_limit.trim().starts_with("isk_"));
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn sign_prints_the_path_signed_with_the_sources_current_token() {
    use shared::domain::delivery::UrlSignature;
    use shared::domain::{AccountId, Source, SourceInput, Timestamp, signing};

    let (endpoint, store) = embedded_table("signing").await;
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
            cli()
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
        signing::signed_path(&source.secret_token, UrlSignature::ImageBoss, path)
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

    // A source that signs as imgix (docs/SPEC.md §24) gets `s`, over the path on its host.
    let body = serde_json::json!({"source": "from-imgix", "source_type": "url",
        "credential_attributes": {"url": "https://example.com/", "require_token": true},
        "delivery": {"url_signature": "imgix"}});
    let fields = SourceInput::from_json(body.as_object().unwrap())
        .into_new_fields()
        .unwrap();
    let imgix = Source::new(AccountId::parse("acme").unwrap(), fields);
    store
        .create_source(&imgix, None, &shared::domain::Actor::default())
        .await
        .unwrap();
    let signed = stdout(&sign("from-imgix", "/w_300/photo.jpg").await.unwrap());
    let (path, query) = signed.trim().split_once('?').unwrap();
    assert_eq!(path, "/w_300/photo.jpg");
    assert!(query.starts_with("s="), "{signed}");
    assert!(signing::verify_signed_request(
        &imgix,
        path,
        query,
        Timestamp::now()
    ));
    let refused = sign("from-imgix", "/w_300/photo.jpg?w=1").await.unwrap();
    assert!(!refused.status.success());
}

/// Admin commands never make a data directory or a sealing key (only `serve` does): without the
/// server's they refuse, non-zero, saying where they looked and how to point them at it. One run
/// with a key of its own would seal a secret the server can never open again.
#[tokio::test]
async fn admin_commands_never_make_a_data_directory_or_a_key() {
    // A DynamoDB with the table, as `serve`'s is, and a directory where no `serve` ever ran.
    let (endpoint, _) = embedded_table("image-sources").await;
    let elsewhere = std::env::temp_dir().join(format!(
        "image-sources-elsewhere-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&elsewhere).unwrap();
    let data_dir = elsewhere.join(".image-sources");
    let port = free_port().to_string();
    let with_endpoint = ["--dynamodb-endpoint", endpoint.as_str()];

    let cases: Vec<(Vec<&str>, &str)> = vec![
        // No `serve` on the port and no data dir here: nothing to open.
        (vec!["keys", "list", "--account", "dev"], "dynamodb.sqlite"),
        (
            vec!["keys", "create", "--account", "dev"],
            "dynamodb.sqlite",
        ),
        (
            vec!["sign", "--source", "photos", "/photos/a.jpg"],
            "dynamodb.sqlite",
        ),
        (vec!["init"], "dynamodb.sqlite"),
        (vec!["seal-secrets"], "dynamodb.sqlite"),
        (vec!["check-sources"], "dynamodb.sqlite"),
        // The server's DynamoDB, but not its data dir: no sealing key to seal or open with.
        (
            [&["seal-secrets"][..], &with_endpoint].concat(),
            "sealing.key",
        ),
        (
            [&["check-sources"][..], &with_endpoint].concat(),
            "sealing.key",
        ),
        (
            [
                &["seal-secrets"][..],
                &with_endpoint,
                &["--kms-endpoint", "http://127.0.0.1:9"],
            ]
            .concat(),
            "kms-keys.json",
        ),
    ];
    for (args, missing) in cases {
        let args_shown = args.join(" ");
        let output = tokio::task::spawn_blocking({
            let (elsewhere, port) = (elsewhere.clone(), port.clone());
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            move || {
                cli()
                    .args(&args)
                    .args(["--dynamodb-port", &port])
                    .current_dir(&elsewhere)
                    .output()
                    .expect("image-sources runs")
            }
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args_shown}: refused");
        assert!(
            output.stdout.is_empty(),
            "{args_shown}: {:?}",
            output.stdout
        );
        assert!(
            stderr.contains(&format!("no {missing} in {}", data_dir.display()))
                && stderr.contains("--data-dir"),
            "{args_shown}: says where it looked and how to point it: {stderr}"
        );
        assert!(
            !data_dir.exists(),
            "{args_shown}: made {}",
            data_dir.display()
        );
    }
    let _ = std::fs::remove_dir_all(&elsewhere);
}
