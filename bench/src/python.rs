//! The Python reference: a venv with the pinned `awslambdaric` and boto3, and the handler in
//! `bench/python/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::process::Subject;

pub const NAME: &str = "python-boto3-get";

/// Makes (once) a venv under `venv_dir` with `requirements.txt` installed; returns the reference
/// as a subject, or why it cannot be had.
pub fn reference(bench_dir: &Path, venv_dir: &Path) -> Result<Subject, String> {
    let requirements = bench_dir.join("python/requirements.txt");
    let python = venv_dir.join("bin/python");
    // A venv is reused only if it was completed for these exact requirements.
    let stamp = venv_dir.join("requirements.installed");
    let wanted = std::fs::read_to_string(&requirements).map_err(|e| e.to_string())?;
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
            .arg(&requirements))?;
        std::fs::write(&stamp, &wanted).map_err(|e| e.to_string())?;
    }
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
