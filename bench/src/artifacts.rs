//! The binaries under test, built the way they ship: `cargo build --release` for this machine, and
//! `cargo lambda build --release --arm64 --output-format zip` for the sizes Lambda sees.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

/// The packages built for the bench: the six functions and the bare baseline.
pub const HELLO_WORLD: &str = "hello-world";

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot run {command}: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("{command} failed ({status})")]
    Failed { command: String, status: String },
    #[error("{command} built no executable for {package}")]
    Missing { command: String, package: String },
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    executable: Option<PathBuf>,
    #[serde(default)]
    target: Option<MessageTarget>,
}

#[derive(Deserialize)]
struct MessageTarget {
    name: String,
    #[serde(default)]
    kind: Vec<String>,
}

/// Whether the executable at `binary` links the verify check (docs/SPEC.md §14): whether it holds
/// a text only the check's messages hold. Each function's binary should hold its own endpoint and
/// nothing else, so only the functions that verify may.
///
/// The console's binary carries the OpenAPI document (docs/SPEC.md §20), whose examples quote
/// that text; only occurrences beyond the document's own are the check's code.
pub fn links_verify_check(binary: &Path) -> std::io::Result<bool> {
    let bytes = std::fs::read(binary)?;
    let marker = shared::verify::outcome::CREDENTIALS_REFUSED.as_bytes();
    let document = shared::functions::console::OPENAPI_DOCUMENT.as_bytes();
    let quoted = occurrences(&bytes, document) * occurrences(document, marker);
    Ok(occurrences(&bytes, marker) > quoted)
}

fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}

/// Whether the executable at `binary` links the KMS client (docs/SPEC.md §21): whether it holds
/// KMS's API name, which every KMS request carries (`X-Amz-Target: TrentService.<operation>`).
/// Only the functions that seal or open (`Endpoint::key_use`) should.
pub fn links_kms_client(binary: &Path) -> std::io::Result<bool> {
    let bytes = std::fs::read(binary)?;
    let marker = b"TrentService.";
    Ok(bytes.windows(marker.len()).any(|window| window == marker))
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Builds `packages` in release and returns each one's executable.
pub fn release_binaries(
    workspace: &Path,
    packages: &[&str],
) -> Result<BTreeMap<String, PathBuf>, BuildError> {
    binaries(workspace, packages, true)
}

/// Builds `packages` (in release or dev) and returns each one's executable, found from cargo's
/// own messages (so `CARGO_TARGET_DIR` and the like are respected).
pub fn binaries(
    workspace: &Path,
    packages: &[&str],
    release: bool,
) -> Result<BTreeMap<String, PathBuf>, BuildError> {
    let mut args = vec!["build".to_owned()];
    if release {
        args.push("--release".to_owned());
    }
    for package in packages {
        args.extend(["-p".to_owned(), (*package).to_owned()]);
    }
    build(workspace, &args, packages)
}

/// Dev builds of `packages`' executables (each package's binary has its name) with the features
/// `cargo test --workspace` resolves (every member, dev-dependencies included), so that a test
/// that runs them reuses what the test build compiled: `-p <package>` alone resolves fewer
/// features and compiles the whole SDK and its dependencies again. Only the binaries named are
/// built and linked (`--bin`), not every function's: the README's test command pays for no
/// binary no test runs.
pub fn binaries_as_tested(
    workspace: &Path,
    packages: &[&str],
) -> Result<BTreeMap<String, PathBuf>, BuildError> {
    let mut args = ["build", "--workspace", "--tests"]
        .map(str::to_owned)
        .to_vec();
    for package in packages {
        args.extend(["--bin".to_owned(), (*package).to_owned()]);
    }
    build(workspace, &args, packages)
}

fn build(
    workspace: &Path,
    args: &[String],
    packages: &[&str],
) -> Result<BTreeMap<String, PathBuf>, BuildError> {
    let shown = format!("cargo {}", args.join(" "));
    let output = Command::new(cargo())
        .current_dir(workspace)
        .args(args)
        .arg("--message-format=json-render-diagnostics")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|source| BuildError::Spawn {
            command: shown.clone(),
            source,
        })?;
    if !output.status.success() {
        return Err(BuildError::Failed {
            command: shown,
            status: output.status.to_string(),
        });
    }
    let mut binaries = BTreeMap::new();
    for line in output.stdout.split(|b| *b == b'\n') {
        let Ok(message) = serde_json::from_slice::<Message>(line) else {
            continue;
        };
        if let (true, Some(executable), Some(target)) = (
            message.reason == "compiler-artifact",
            message.executable,
            message.target,
        ) && target.kind.iter().any(|kind| kind == "bin")
        {
            binaries.insert(target.name, executable);
        }
    }
    for package in packages {
        if !binaries.contains_key(*package) {
            return Err(BuildError::Missing {
                command: shown,
                package: (*package).to_owned(),
            });
        }
    }
    Ok(binaries)
}

/// Whether `cargo lambda` can be run.
pub fn cargo_lambda_available() -> bool {
    Command::new(cargo())
        .args(["lambda", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Builds the arm64 `bootstrap.zip` of each package into `lambda_dir/<package>/bootstrap.zip`.
pub fn arm64_zips(
    workspace: &Path,
    packages: &[&str],
    lambda_dir: &Path,
) -> Result<BTreeMap<String, PathBuf>, BuildError> {
    let mut command = Command::new(cargo());
    command.current_dir(workspace).args([
        "lambda",
        "build",
        "--release",
        "--arm64",
        "--output-format",
        "zip",
        "--lambda-dir",
    ]);
    command.arg(lambda_dir);
    for package in packages {
        command.args(["-p", package]);
    }
    let shown = "cargo lambda build --release --arm64 --output-format zip".to_owned();
    let status = command
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|source| BuildError::Spawn {
            command: shown.clone(),
            source,
        })?;
    if !status.success() {
        return Err(BuildError::Failed {
            command: shown,
            status: status.to_string(),
        });
    }
    packages
        .iter()
        .map(|package| {
            let zip = lambda_dir.join(package).join("bootstrap.zip");
            if zip.is_file() {
                Ok(((*package).to_owned(), zip))
            } else {
                Err(BuildError::Missing {
                    command: shown.clone(),
                    package: (*package).to_owned(),
                })
            }
        })
        .collect()
}
