//! The Python reference: a venv with the pinned `awslambdaric` and boto3, and the handler in
//! `bench/python/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::process::Subject;

pub const NAME: &str = "python-boto3-get";

/// Makes (once) a venv under `venv_dir` with `requirements.txt` installed; returns the reference
/// as a subject, or why it cannot be had.
pub fn reference(bench_dir: &Path, venv_dir: &Path) -> Result<Subject, String> {
    let python = venv(&bench_dir.join("python/requirements.txt"), venv_dir)?;
    let task_root = bench_dir.join("python");
    Ok(Subject {
        name: NAME.into(),
        program: python,
        args: vec!["-m".into(), "awslambdaric".into(), "handler.handler".into()],
        working_dir: Some(task_root.clone()),
        env: vec![
            ("LAMBDA_TASK_ROOT".into(), path_string(&task_root)),
            ("_HANDLER".into(), "handler.handler".into()),
        ],
    })
}

/// moto's KMS-compatible server, from a venv made (once) under `venv_dir`, on a free loopback
/// port: what the functions that seal or open (docs/SPEC.md §21) reach as `AWS_ENDPOINT_URL_KMS`.
/// Returns the running server (stopped when dropped) and its URL.
pub async fn kms_server(
    bench_dir: &Path,
    venv_dir: &Path,
) -> Result<(tokio::process::Child, String), String> {
    venv(&bench_dir.join("python/kms-requirements.txt"), venv_dir)?;
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let child = tokio::process::Command::new(venv_dir.join("bin/moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("moto_server: {e}"))?;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok((child, format!("http://127.0.0.1:{port}")));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err("moto_server did not listen within 20 s".into())
}

/// A venv under `venv_dir` with `requirements` installed, made once for those exact
/// requirements; returns its Python.
fn venv(requirements: &Path, venv_dir: &Path) -> Result<PathBuf, String> {
    let python = venv_dir.join("bin/python");
    // A venv is reused only if it was completed for these exact requirements.
    let stamp = venv_dir.join("requirements.installed");
    let wanted = std::fs::read_to_string(requirements).map_err(|e| e.to_string())?;
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        let _ = std::fs::remove_dir_all(venv_dir);
        run(Command::new("python3").arg("-m").arg("venv").arg(venv_dir))?;
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(requirements))?;
        std::fs::write(&stamp, &wanted).map_err(|e| e.to_string())?;
    }
    Ok(python)
}

fn path_string(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| format!("{shown}: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("{shown}: {status}"))
}

/// Where the venv goes by default: beside the build output, never in the source tree.
pub fn default_venv(target_dir: &Path) -> PathBuf {
    target_dir.join("bench/python-venv")
}

/// Where the KMS server's venv goes.
pub fn kms_venv(target_dir: &Path) -> PathBuf {
    target_dir.join("bench/kms-venv")
}
