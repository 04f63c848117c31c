//! imgix's own code against the imgix dialect (docs/SPEC.md §24), unmodified: npm
//! `imgix-management-js` 1.3.1 manages sources through `https://api.imgix.com` as it hard-codes
//! it, inside a network namespace with only loopback, whose own `/etc/hosts` (a mount namespace)
//! names that host 127.0.0.1 and whose Node trusts a throwaway test CA; no packet leaves the
//! machine. URLs signed by imgix's URL builders (npm `@imgix/js-core` in that run, PyPI `imgix`
//! 4.0.0 here) with a source's token pass the CDN check of the shared crate; tampered ones fail.
//!
//! Like the console's browser tests they need parts a bare machine lacks (root for the
//! namespaces, Node with the two npm packages, Python with `imgix`, openssl): without them they
//! say so and pass; `.ci/run` installs them and sets [`REQUIRE_VAR`], which turns a skip into a
//! failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use shared::domain::delivery::UrlSignature;
use shared::domain::signing::verify_signed_request;
use shared::domain::{Source, SourceName, Timestamp};
use shared::store::{ClientSettings, Store, local_client};

/// Set by `.ci/run`: a missing part fails instead of skipping.
const REQUIRE_VAR: &str = "IMAGE_SOURCES_REQUIRE_IMGIX_CLIENTS";
/// A `node_modules` holding `imgix-management-js` and `@imgix/js-core`.
const NODE_MODULES_VAR: &str = "IMGIX_NODE_MODULES";
/// A Python with PyPI `imgix` installed.
const PYTHON_VAR: &str = "IMGIX_PYTHON";

/// Says why the test cannot run here: a failure where the parts are required, else a skip.
fn missing(what: &str) {
    assert!(
        std::env::var(REQUIRE_VAR).as_deref() != Ok("1"),
        "imgix's clients are required in this run ({REQUIRE_VAR}=1) but {what}"
    );
    eprintln!("skipping imgix's clients: {what} (see local/tests/imgix_clients.rs)");
}

fn works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("the command runs");
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A throwaway CA and a certificate for api.imgix.com signed by it, in `dir`: (ca, cert, key).
fn test_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (ca_key, ca, key, csr, cert, ext) = (
        dir.join("ca.key"),
        dir.join("ca.pem"),
        dir.join("server.key"),
        dir.join("server.csr"),
        dir.join("server.pem"),
        dir.join("server.ext"),
    );
    run(Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=Image Sources test CA (throwaway)", "-keyout"])
        .arg(&ca_key)
        .arg("-out")
        .arg(&ca));
    run(Command::new("openssl")
        .args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=api.imgix.com",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&csr));
    std::fs::write(&ext, "subjectAltName=DNS:api.imgix.com\n").unwrap();
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "1", "-in"])
        .arg(&csr)
        .arg("-CA")
        .arg(&ca)
        .arg("-CAkey")
        .arg(&ca_key)
        .args(["-CAcreateserial", "-out"])
        .arg(&cert)
        .arg("-extfile")
        .arg(&ext));
    (ca, cert, key)
}

/// The source imgix's client made, as `serve` stored it in `data` (its embedded DynamoDB opened
/// here once `serve` is gone): what the CDN checks a request against.
async fn stored_source(data: &Path, name: &str) -> Source {
    let db = image_sources::embedded::open_existing(data).unwrap();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let endpoint = image_sources::embedded::spawn(listener, db).unwrap();
    let store = Store::new(
        local_client(&endpoint, ClientSettings::default()),
        "image-sources",
    );
    store
        .source_by_name(&SourceName::parse(name).unwrap())
        .await
        .unwrap()
}

/// Each URL passes the CDN check; each of its tampered forms fails it.
fn check_signed(source: &Source, urls: &[String], builder: &str) {
    let now = Timestamp::now();
    for url in urls {
        let parsed = url::Url::parse(url).unwrap();
        let (path, query) = (parsed.path(), parsed.query().unwrap_or_default());
        assert!(
            query.contains("&s=") || query.starts_with("s="),
            "{builder}: {url}"
        );
        assert!(
            verify_signed_request(source, path, query, now),
            "{builder}'s {url} fails the CDN check"
        );
        let tampered = [
            (format!("{path}x"), query.to_owned()),
            (path.to_owned(), format!("w=1&{query}")),
            (path.to_owned(), query.replace("s=", "s=0")),
            (
                path.to_owned(),
                query
                    .rsplit_once("&s=")
                    .map_or(String::new(), |(rest, _)| rest.to_owned()),
            ),
        ];
        for (path, query) in tampered {
            assert!(
                !verify_signed_request(source, &path, &query, now),
                "{builder}: a tampered {path}?{query} passes"
            );
        }
    }
}

#[tokio::test]
async fn imgix_clients_manage_and_sign_unmodified() {
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    });
    if !root || !works("unshare", &["-m", "-n", "true"]) {
        return missing(
            "this machine cannot make network and mount namespaces here (root and unshare)",
        );
    }
    if !works("node", &["--version"]) || !works("openssl", &["version"]) {
        return missing("Node or openssl is not installed");
    }
    let Some(modules) = std::env::var(NODE_MODULES_VAR).ok().filter(|dir| {
        Path::new(dir)
            .join("imgix-management-js/package.json")
            .exists()
            && Path::new(dir).join("@imgix/js-core/package.json").exists()
    }) else {
        return missing(&format!(
            "{NODE_MODULES_VAR} names no node_modules with imgix-management-js and @imgix/js-core"
        ));
    };
    let Some(python) = std::env::var(PYTHON_VAR)
        .ok()
        .filter(|python| works(python, &["-c", "import imgix"]))
    else {
        return missing(&format!("{PYTHON_VAR} names no Python with PyPI imgix"));
    };

    let dir = std::env::temp_dir().join(format!(
        "image-sources-imgix-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca, cert, key) = test_ca(&dir);
    let hosts = dir.join("hosts");
    std::fs::write(
        &hosts,
        "127.0.0.1 localhost\n127.0.0.1 api.imgix.com\n::1 localhost\n",
    )
    .unwrap();
    let data = dir.join("data");
    let script = r#"
        set -euo pipefail
        ip link set lo up
        mount --bind "$HOSTS" /etc/hosts
        "$BIN" serve --port 0 --imgix-port 3001 --dynamodb-port 0 --no-health-checks \
          --data-dir "$DATA" > "$DATA.log" 2>&1 &
        serve=$!
        trap 'kill $serve 2>/dev/null || true' EXIT
        for _ in $(seq 1 300); do
          if [ -s "$DATA/dev-api-key" ] && (exec 3<>/dev/tcp/127.0.0.1/3001) 2>/dev/null; then break; fi
          kill -0 $serve 2>/dev/null || { cat "$DATA.log" >&2; exit 1; }
          sleep 0.1
        done
        IMGIX_KEY=$(cat "$DATA/dev-api-key") IMGIX_BACKEND=http://127.0.0.1:3001 node "$SCRIPT"
    "#;
    let output = Command::new("unshare")
        .args(["-m", "-n", "bash", "-c", script])
        .env("BIN", env!("CARGO_BIN_EXE_image-sources"))
        .env("HOSTS", &hosts)
        .env("DATA", &data)
        .env(
            "SCRIPT",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/imgix_client.cjs"),
        )
        .env("NODE_PATH", &modules)
        .env("NODE_EXTRA_CA_CERTS", &ca)
        .env("TLS_CERT", &cert)
        .env("TLS_KEY", &key)
        .env_remove("DYNAMODB_ENDPOINT")
        .env_remove("TABLE_NAME")
        .env_remove("AWS_ENDPOINT_URL_KMS")
        .output()
        .expect("unshare runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "imgix-management-js against the dialect failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("the run's report");
    let token = report["token"].as_str().unwrap();
    let source = stored_source(&data, "js-webfolder").await;
    // Made through the dialect, it signs as imgix does (docs/SPEC.md §24).
    assert_eq!(source.fields.delivery.url_signature, UrlSignature::Imgix);
    let js_urls: Vec<String> = serde_json::from_value(report["urls"].clone()).unwrap();
    assert_eq!(js_urls.len(), 3);
    check_signed(&source, &js_urls, "@imgix/js-core");

    let python_urls = run(Command::new(&python).args([
        "-c",
        "import json, sys\n\
         from imgix import UrlBuilder\n\
         b = UrlBuilder('js-webfolder.imgcdn.example.com', sign_key=sys.argv[1])\n\
         print(json.dumps([b.create_url('/photos/cat.jpg', {'w': 300, 'auto': 'format,compress'}),\n\
                           b.create_url('/photos/cat dog.jpg'),\n\
                           b.create_url('/a/b/c.png', {'txt': 'hello, world', 'fit': 'crop'})]))",
        token,
    ]));
    let python_urls: Vec<String> = serde_json::from_str(python_urls.trim()).unwrap();
    check_signed(&source, &python_urls, "PyPI imgix");
    let _ = std::fs::remove_dir_all(&dir);
}
