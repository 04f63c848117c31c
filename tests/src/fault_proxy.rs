//! A fault-injecting proxy between the SDK and a real DynamoDB server: it can delay responses,
//! drop connections, hang, or answer DynamoDB-shaped throttling errors for the next N requests.
//! It also counts the requests that reach DynamoDB, by operation.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Notify;

#[derive(Default)]
struct Faults {
    /// Answer ThrottlingException to this many of the next requests (of `throttle_operation`, if set).
    throttle_next: usize,
    throttle_operation: Option<String>,
    /// Close the connection, without an answer, on this many of the next requests.
    drop_next: usize,
    /// Close every connection without an answer: a DynamoDB that is down.
    down: bool,
    /// Never answer.
    hang: bool,
    delay: Duration,
    /// Requests that reached DynamoDB, by operation.
    forwarded: HashMap<String, usize>,
    /// Requests answered with a fault, by operation.
    faulted: HashMap<String, usize>,
}

/// The proxy's address and the switches that control it.
#[derive(Clone)]
pub struct FaultProxy {
    pub endpoint: String,
    faults: Arc<Mutex<Faults>>,
}

enum Action {
    Forward(Duration),
    Throttle,
    Drop,
    Hang,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` on 127.0.0.1 port 0, in the current runtime.
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let faults = Arc::new(Mutex::new(Faults::default()));
        let client = reqwest::Client::new();
        let upstream = upstream.trim_end_matches('/').to_owned();
        let state = faults.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (client, upstream, state) = (client.clone(), upstream.clone(), state.clone());
                tokio::spawn(async move {
                    let kill = Arc::new(Notify::new());
                    let killer = kill.clone();
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let (client, upstream, state, killer) = (
                            client.clone(),
                            upstream.clone(),
                            state.clone(),
                            killer.clone(),
                        );
                        async move { handle(req, &client, &upstream, &state, &killer).await }
                    });
                    let connection = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service);
                    // Dropping the connection closes the socket with no answer.
                    tokio::select! {
                        _ = connection => {}
                        _ = kill.notified() => {}
                    }
                });
            }
        });
        Self { endpoint, faults }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Faults) -> T) -> T {
        f(&mut self.faults.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Throttle the next `n` requests (of `operation` only, if given).
    pub fn throttle_next(&self, n: usize, operation: Option<&str>) {
        self.with(|f| {
            f.throttle_next = n;
            f.throttle_operation = operation.map(str::to_owned);
        });
    }

    pub fn drop_next(&self, n: usize) {
        self.with(|f| f.drop_next = n);
    }

    pub fn set_down(&self, down: bool) {
        self.with(|f| f.down = down);
    }

    pub fn set_hang(&self, hang: bool) {
        self.with(|f| f.hang = hang);
    }

    pub fn set_delay(&self, delay: Duration) {
        self.with(|f| f.delay = delay);
    }

    /// Back to a healthy DynamoDB.
    pub fn heal(&self) {
        self.with(|f| {
            f.throttle_next = 0;
            f.drop_next = 0;
            f.down = false;
            f.hang = false;
            f.delay = Duration::ZERO;
        });
    }

    /// Requests that reached DynamoDB, by operation.
    pub fn forwarded(&self) -> HashMap<String, usize> {
        self.with(|f| f.forwarded.clone())
    }

    /// Requests answered with a fault, by operation.
    pub fn faulted(&self) -> HashMap<String, usize> {
        self.with(|f| f.faulted.clone())
    }

    pub fn reset_counts(&self) {
        self.with(|f| {
            f.forwarded.clear();
            f.faulted.clear();
        });
    }

    fn decide(&self, operation: &str) -> Action {
        self.with(|f| {
            let action = if f.down {
                Action::Drop
            } else if f.hang {
                Action::Hang
            } else if f.drop_next > 0 {
                f.drop_next -= 1;
                Action::Drop
            } else if f.throttle_next > 0
                && f.throttle_operation
                    .as_deref()
                    .is_none_or(|op| op == operation)
            {
                f.throttle_next -= 1;
                Action::Throttle
            } else {
                *f.forwarded.entry(operation.to_owned()).or_default() += 1;
                return Action::Forward(f.delay);
            };
            *f.faulted.entry(operation.to_owned()).or_default() += 1;
            action
        })
    }
}

async fn handle(
    req: Request<Incoming>,
    client: &reqwest::Client,
    upstream: &str,
    faults: &Arc<Mutex<Faults>>,
    kill: &Notify,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let proxy = FaultProxy {
        endpoint: String::new(),
        faults: faults.clone(),
    };
    // "DynamoDB_20120810.GetItem" -> "GetItem"
    let operation = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.split('.').next_back())
        .unwrap_or("unknown")
        .to_owned();
    match proxy.decide(&operation) {
        Action::Drop => {
            kill.notify_one();
            std::future::pending::<()>().await;
            unreachable!("the connection is dropped before this")
        }
        Action::Hang => {
            std::future::pending::<()>().await;
            unreachable!("never answered")
        }
        Action::Throttle => Ok(json_response(
            400,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#,
        )),
        Action::Forward(delay) => {
            let (parts, body) = req.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let path = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let mut forward = client
                .request(parts.method.clone(), format!("{upstream}{path}"))
                .body(body);
            for (name, value) in &parts.headers {
                if name != hyper::header::HOST && name != hyper::header::CONTENT_LENGTH {
                    forward = forward.header(name, value);
                }
            }
            let upstream_response = match forward.send().await {
                Ok(response) => response,
                Err(_) => {
                    kill.notify_one();
                    std::future::pending::<()>().await;
                    unreachable!()
                }
            };
            let status = upstream_response.status();
            let headers = upstream_response.headers().clone();
            let bytes = upstream_response.bytes().await.unwrap_or_default();
            tokio::time::sleep(delay).await;
            let mut response = Response::new(Full::new(bytes));
            *response.status_mut() = status;
            for (name, value) in &headers {
                if name != hyper::header::CONTENT_LENGTH && name != hyper::header::TRANSFER_ENCODING
                {
                    response.headers_mut().insert(name, value.clone());
                }
            }
            Ok(response)
        }
    }
}

fn json_response(status: u16, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    headers.insert(
        "x-amzn-requestid",
        hyper::header::HeaderValue::from_static("fault-proxy"),
    );
    response
}
