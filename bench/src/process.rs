//! Function processes, started as Lambda starts them: a clean environment with the Lambda and AWS
//! variables, talking to a [`RuntimeApi`] of their own.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::process::{Child, Command};

use crate::runtime_api::{Answer, RuntimeApi, RuntimeApiError};

/// What a cold start or a warm run is measured on: a program and how Lambda would start it.
#[derive(Clone, Debug)]
pub struct Subject {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub working_dir: Option<PathBuf>,
    pub env: Vec<(String, String)>,
}

/// Where the functions find DynamoDB and their table.
#[derive(Clone, Debug)]
pub struct Backend {
    pub dynamodb_endpoint: String,
    pub table: String,
    /// An empty directory standing in for the home directory (Lambda has no `~/.aws`).
    pub home: PathBuf,
    /// The KMS-compatible server and keys of the functions that seal or open (docs/SPEC.md §21).
    pub kms: Option<KmsBackend>,
}

/// A KMS-compatible server and the two keys made on it.
#[derive(Clone, Debug)]
pub struct KmsBackend {
    pub endpoint: String,
    pub sealing_key_id: String,
    pub fingerprint_key_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{subject}: cannot start: {source}")]
    Spawn {
        subject: String,
        source: std::io::Error,
    },
    #[error("{subject}: {source}")]
    RuntimeApi {
        subject: String,
        source: RuntimeApiError,
    },
    #[error("{subject}: the process exited ({status}) before answering")]
    Exited { subject: String, status: String },
    #[error("{subject}: unexpected answer: {answer}")]
    BadAnswer { subject: String, answer: String },
}

/// One cold start: from exec to the first `next` poll (init), and to the first answer.
#[derive(Clone, Copy, Debug)]
pub struct ColdStart {
    pub init: Duration,
    pub first_response: Duration,
}

/// A process that served a series of invocations.
#[derive(Clone, Debug)]
pub struct WarmRun {
    pub answers: Vec<Answer>,
    /// `VmHWM` of the process after the last answer, in KiB.
    pub peak_rss_kib: Option<u64>,
}

const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

impl Subject {
    fn command(&self, runtime_api: &RuntimeApi, backend: &Backend) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &backend.home)
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api.host_port())
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", self.name),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("AWS_SESSION_TOKEN", "bench")
            .env("AWS_ENDPOINT_URL_DYNAMODB", &backend.dynamodb_endpoint)
            .env("TABLE_NAME", &backend.table)
            .envs(backend.kms.iter().flat_map(|kms| {
                [
                    ("AWS_ENDPOINT_URL_KMS", kms.endpoint.as_str()),
                    (
                        shared::sealing::SEALING_KEY_ID_VAR,
                        kms.sealing_key_id.as_str(),
                    ),
                    (
                        shared::sealing::FINGERPRINT_KEY_ID_VAR,
                        kms.fingerprint_key_id.as_str(),
                    ),
                ]
            }))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(dir) = &self.working_dir {
            command.current_dir(dir);
        }
        command
    }

    fn spawn(&self, runtime_api: &RuntimeApi, backend: &Backend) -> Result<Child, RunError> {
        self.command(runtime_api, backend)
            .spawn()
            .map_err(|source| RunError::Spawn {
                subject: self.name.clone(),
                source,
            })
    }

    /// Starts a fresh process, hands it `event`, and times its init and first answer.
    pub async fn cold_start(
        &self,
        backend: &Backend,
        event: Bytes,
        check: impl Fn(&[u8]) -> bool,
    ) -> Result<ColdStart, RunError> {
        let runtime_api = self.runtime_api().await?;
        runtime_api.push(event);
        let started = Instant::now();
        let mut child = self.spawn(&runtime_api, backend)?;
        let answers = self.answers(&runtime_api, &mut child, 1).await;
        let _ = child.kill().await;
        let answer = self.checked(answers?, &check)?.remove(0);
        let first_poll = runtime_api.first_poll().unwrap_or(answer.answered);
        Ok(ColdStart {
            init: first_poll.duration_since(started),
            first_response: answer.answered.duration_since(started),
        })
    }

    /// Starts a process and has it answer `events` one after the other.
    pub async fn warm_run(
        &self,
        backend: &Backend,
        events: Vec<Bytes>,
        check: impl Fn(&[u8]) -> bool,
    ) -> Result<WarmRun, RunError> {
        let runtime_api = self.runtime_api().await?;
        let count = events.len();
        for event in events {
            runtime_api.push(event);
        }
        let mut child = self.spawn(&runtime_api, backend)?;
        let answers = self.answers(&runtime_api, &mut child, count).await;
        let peak_rss_kib = child.id().and_then(peak_rss_kib);
        let _ = child.kill().await;
        let answers = self.checked(answers?, &check)?;
        Ok(WarmRun {
            answers,
            peak_rss_kib,
        })
    }

    async fn runtime_api(&self) -> Result<RuntimeApi, RunError> {
        RuntimeApi::start()
            .await
            .map_err(|source| RunError::RuntimeApi {
                subject: self.name.clone(),
                source,
            })
    }

    /// The first `count` answers, or why there are none: the process died, or stayed silent.
    async fn answers(
        &self,
        runtime_api: &RuntimeApi,
        child: &mut Child,
        count: usize,
    ) -> Result<Vec<Answer>, RunError> {
        tokio::select! {
            answers = runtime_api.wait_for_answers(count, ANSWER_TIMEOUT) => {
                answers.map_err(|source| RunError::RuntimeApi { subject: self.name.clone(), source })
            }
            status = child.wait() => Err(RunError::Exited {
                subject: self.name.clone(),
                status: status.map_or_else(|e| e.to_string(), |s| s.to_string()),
            }),
        }
    }

    fn checked(
        &self,
        answers: Vec<Answer>,
        check: &impl Fn(&[u8]) -> bool,
    ) -> Result<Vec<Answer>, RunError> {
        match answers.iter().find(|a| a.failed || !check(&a.body)) {
            Some(bad) => Err(RunError::BadAnswer {
                subject: self.name.clone(),
                answer: String::from_utf8_lossy(&bad.body)
                    .chars()
                    .take(500)
                    .collect(),
            }),
            None => Ok(answers),
        }
    }
}

/// The peak resident set of a live process (`VmHWM`), in KiB; Linux only.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
