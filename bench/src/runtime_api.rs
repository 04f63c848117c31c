//! A minimal Lambda Runtime API: what the Lambda service offers a function process, on 127.0.0.1
//! port 0. `GET .../invocation/next` hands out the queued events one by one (and waits while none
//! is queued, as Lambda does between requests); `POST .../response` and `.../error` record the
//! answer. It notes when the process first asked for work: the end of its init.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// One answered invocation.
#[derive(Clone, Debug)]
pub struct Answer {
    pub request_id: String,
    pub handed_out: Instant,
    pub answered: Instant,
    pub body: Bytes,
    /// Posted to `/error` (or `/init/error`) rather than `/response`.
    pub failed: bool,
}

#[derive(Default)]
struct Record {
    first_poll: Option<Instant>,
    handed_out: Vec<(String, Instant)>,
    answers: Vec<Answer>,
}

struct Shared {
    record: Mutex<Record>,
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Bytes>>,
    answered: watch::Sender<usize>,
}

impl Shared {
    fn record<T>(&self, f: impl FnOnce(&mut Record) -> T) -> T {
        f(&mut self.record.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A Runtime API for one function process.
pub struct RuntimeApi {
    pub address: SocketAddr,
    shared: Arc<Shared>,
    events: mpsc::UnboundedSender<Bytes>,
    server: JoinHandle<()>,
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeApiError {
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("no answer to invocation {wanted} within {waited:?} ({got} answered)")]
    Timeout {
        wanted: usize,
        got: usize,
        waited: Duration,
    },
}

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:bench";

impl RuntimeApi {
    pub async fn start() -> Result<Self, RuntimeApiError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let (events, queue) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            record: Mutex::new(Record::default()),
            queue: tokio::sync::Mutex::new(queue),
            answered: watch::channel(0).0,
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(|s, p, b| answer(s, p, b, false)),
            )
            .route(
                "/2018-06-01/runtime/invocation/{id}/error",
                post(|s, p, b| answer(s, p, b, true)),
            )
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            // The server only ends with the process; a failure here shows up as a timeout.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            address,
            shared,
            events,
            server,
        })
    }

    /// The value of `AWS_LAMBDA_RUNTIME_API` for the process.
    pub fn host_port(&self) -> String {
        self.address.to_string()
    }

    /// Queues an event for the next `GET .../next`.
    pub fn push(&self, event: Bytes) {
        // The receiver lives in `shared` as long as `self`: sending cannot fail.
        let _ = self.events.send(event);
    }

    /// When the process first asked for an event.
    pub fn first_poll(&self) -> Option<Instant> {
        self.shared.record(|r| r.first_poll)
    }

    /// Waits until `count` invocations are answered (successfully or not).
    pub async fn wait_for_answers(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Answer>, RuntimeApiError> {
        let mut answered = self.shared.answered.subscribe();
        let waited = tokio::time::timeout(timeout, answered.wait_for(|n| *n >= count)).await;
        let answers = self.shared.record(|r| r.answers.clone());
        match waited {
            Ok(Ok(_)) => Ok(answers),
            _ => Err(RuntimeApiError::Timeout {
                wanted: count,
                got: answers.len(),
                waited: timeout,
            }),
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> (HeaderMap, Bytes) {
    let polled = Instant::now();
    shared.record(|r| {
        r.first_poll.get_or_insert(polled);
    });
    // Long poll, as Lambda does: the answer comes when there is an event.
    let event = shared.queue.lock().await.recv().await.unwrap_or_default();
    let request_id = uuid::Uuid::new_v4().to_string();
    let handed_out = Instant::now();
    shared.record(|r| r.handed_out.push((request_id.clone(), handed_out)));
    let deadline = SystemTime::now()
        .checked_add(Duration::from_secs(30))
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis());
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("content-type", "application/json".into());
    set("lambda-runtime-aws-request-id", request_id);
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set("lambda-runtime-invoked-function-arn", FUNCTION_ARN.into());
    set(
        "lambda-runtime-trace-id",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0".into(),
    );
    (headers, event)
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    Path(request_id): Path<String>,
    body: Bytes,
    failed: bool,
) -> StatusCode {
    let answered = Instant::now();
    let count = shared.record(|r| {
        let handed_out = r
            .handed_out
            .iter()
            .find(|(id, _)| *id == request_id)
            .map_or(answered, |(_, at)| *at);
        r.answers.push(Answer {
            request_id,
            handed_out,
            answered,
            body,
            failed,
        });
        r.answers.len()
    });
    shared.answered.send_replace(count);
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    let now = Instant::now();
    let count = shared.record(|r| {
        r.answers.push(Answer {
            request_id: "init".into(),
            handed_out: now,
            answered: now,
            body,
            failed: true,
        });
        r.answers.len()
    });
    shared.answered.send_replace(count);
    StatusCode::ACCEPTED
}
