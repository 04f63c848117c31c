//! What the command suites share: the binary with the environment that would point it elsewhere
//! removed, a free port, an embedded DynamoDB holding a table, and a running `serve`.

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use shared::store::{ClientSettings, Store, local_client, table};

/// `image-sources`, as built for this test run, without the variables that choose another
/// DynamoDB, table or KMS: each test names what it means.
pub fn cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_image-sources"));
    command
        .env_remove("DYNAMODB_ENDPOINT")
        .env_remove("TABLE_NAME")
        .env_remove("AWS_ENDPOINT_URL_KMS")
        .env_remove("CDN_BASE_URL")
        .env_remove("CDN_SUBDOMAIN_ZONE")
        .env_remove("CDN_CNAME_TARGET");
    command
}

/// A port where nothing listens.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An in-memory embedded DynamoDB on a port of its own, with the table `table`: its endpoint
/// and the store on it.
pub async fn embedded_table(table: &str) -> (String, Store) {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let endpoint =
        image_sources::embedded::spawn(listener, dynoxide::Database::memory().unwrap()).unwrap();
    let client = local_client(&endpoint, ClientSettings::default());
    table::ensure_table(&client, table).await.unwrap();
    (endpoint, Store::new(client, table))
}

/// A running `image-sources serve` on ports the system chose (`--port 0`, `--dynamodb-port 0`:
/// a port picked here and passed on could be taken by another test before `serve` binds it),
/// read from its banner. Killed (SIGKILL) when dropped.
pub struct Serving {
    child: Child,
    /// `http://127.0.0.1:<port>`, the API's root.
    pub api: String,
    /// The embedded DynamoDB's endpoint, as the banner prints it.
    pub dynamodb: String,
    /// The banner, up to its last line (`Health checks …`).
    pub banner: Vec<String>,
}

impl Serving {
    /// Starts `serve` on `data_dir` with `args` after its own (as `--no-health-checks`) and the
    /// variables `env` set (as the deployed functions' settings are), and waits
    /// for its banner, whose last line comes after the table, the dev key and the listener. A
    /// `serve` that exits or stays silent for a minute fails the test with its exit status and
    /// what it wrote on stderr.
    pub fn start(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Serving {
        let mut child = cli()
            .args([
                "serve",
                "--port",
                "0",
                "--imgix-port",
                "0",
                "--dynamodb-port",
                "0",
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("image-sources serve runs");
        let (lines, banner_lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        // Read to the end, so `serve` never blocks on a full pipe after its banner.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let stderr = child.stderr.take().expect("stderr");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(stderr).read_to_string(&mut text);
            text
        });
        let mut banner = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match banner_lines.recv_timeout(wait) {
                Ok(line) => {
                    let last = line.starts_with("Health checks");
                    banner.push(line);
                    if last {
                        break;
                    }
                }
                Err(stopped) => {
                    let _ = child.kill();
                    let status = child.wait();
                    panic!(
                        "serve did not start ({stopped}; {status:?}); its banner:\n{}\nits stderr:\n{}",
                        banner.join("\n"),
                        stderr.join().unwrap_or_default()
                    );
                }
            }
        }
        let after = |prefix: &str| {
            banner
                .iter()
                .find_map(|line| line.strip_prefix(prefix))
                .and_then(|rest| rest.split([' ', ',']).next())
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("no {prefix:?} in the banner: {banner:?}"))
        };
        let api = after("Image Sources API on ")
            .trim_end_matches("/v1/sources")
            .to_owned();
        let dynamodb = after("DynamoDB (embedded) on ");
        Serving {
            child,
            api,
            dynamodb,
            banner,
        }
    }

    /// Kills it with SIGKILL, as a crash would, and waits for it to be gone.
    pub fn kill(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.stop();
    }
}
