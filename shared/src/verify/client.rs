//! One HTTP/1.1 exchange over a connection the guard opened: TLS (rustls, the OS's trust store)
//! for `https://`, at most the verification's remaining read budget of body bytes kept.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::http::{HeaderMap, HeaderValue, Method, Request, header};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};

use super::network::{Guard, Host};
use super::outcome::{CheckName, Checks, Problem, TlsProblem};

/// What one verification may read from the storage in all (docs/SPEC.md §14).
pub const MAX_READ_BYTES: usize = 64 * 1024;

/// An answer, its body cut at the read budget.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The body bytes a verification may still read.
#[derive(Debug)]
pub struct ReadBudget(usize);

impl Default for ReadBudget {
    fn default() -> Self {
        Self(MAX_READ_BYTES)
    }
}

/// Sends requests through the guard.
#[derive(Clone)]
pub struct Client {
    pub guard: Guard,
    /// `None`: no TLS configuration could be built, every handshake fails.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Client {
    /// `method url` with `headers` (the `Host` header is set here), the body read up to the
    /// budget. The caller bounds the time.
    pub async fn send(
        &self,
        method: Method,
        url: &url::Url,
        headers: HeaderMap,
        budget: &mut ReadBudget,
    ) -> Result<Answer, Problem> {
        self.send_noting(method, url, headers, budget, None).await
    }

    /// [`Client::send`], recording the `connect` check as soon as the connection is made (TCP,
    /// and TLS for `https://`), so that a deadline that ends the exchange midway still lists it;
    /// failed when the connection could not be made, or `next` failed when the exchange broke
    /// over an open one.
    pub(crate) async fn send_checked(
        &self,
        (method, url, headers): (Method, &url::Url, HeaderMap),
        budget: &mut ReadBudget,
        checks: &mut Checks,
        next: CheckName,
    ) -> Result<Answer, Problem> {
        let sent = self
            .send_noting(method, url, headers, budget, Some(&mut *checks))
            .await;
        if let Err(problem) = &sent {
            if problem.before_connected() {
                checks.failed(CheckName::Connect);
            } else {
                checks.failed(next);
            }
        }
        sent
    }

    /// The exchange; `connected`, when given, records `connect` once the connection is made.
    /// Every problem [`Problem::before_connected`] names comes before that point.
    async fn send_noting(
        &self,
        method: Method,
        url: &url::Url,
        headers: HeaderMap,
        budget: &mut ReadBudget,
        connected: Option<&mut Checks>,
    ) -> Result<Answer, Problem> {
        let host = Host::from_url(url).ok_or(Problem::BadRedirect)?;
        let port = url.port_or_known_default().ok_or(Problem::BadRedirect)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Problem::BadRedirect);
        }
        let request = build_request(method, url, headers)?;
        let tcp = self.guard.connect(&host, port).await?;
        let note = |checks: Option<&mut Checks>| {
            if let Some(checks) = checks {
                checks.ok(CheckName::Connect);
            }
        };
        match url.scheme() {
            "https" => {
                let name = match &host {
                    Host::Name(name) => ServerName::try_from(name.clone())
                        .map_err(|_| Problem::Tls(TlsProblem::Certificate))?,
                    Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
                };
                let config = self
                    .tls
                    .clone()
                    .ok_or(Problem::Tls(TlsProblem::Handshake))?;
                let tls = tokio_rustls::TlsConnector::from(config)
                    .connect(name, tcp)
                    .await
                    .map_err(|err| Problem::Tls(tls_problem(&err)))?;
                note(connected);
                exchange(tls, request, budget).await
            }
            "http" => {
                note(connected);
                exchange(tcp, request, budget).await
            }
            _ => Err(Problem::BadRedirect),
        }
    }
}

fn build_request(
    method: Method,
    url: &url::Url,
    headers: HeaderMap,
) -> Result<Request<Empty<Bytes>>, Problem> {
    let authority = &url[url::Position::BeforeHost..url::Position::AfterPort];
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let mut request = Request::builder()
        .method(method)
        .uri(target)
        .body(Empty::<Bytes>::new())
        .map_err(|_| Problem::BadRedirect)?;
    *request.headers_mut() = headers;
    let host = HeaderValue::from_str(authority).map_err(|_| Problem::BadRedirect)?;
    request.headers_mut().insert(header::HOST, host);
    request.headers_mut().insert(
        header::USER_AGENT,
        HeaderValue::from_static("image-sources-verify/1"),
    );
    Ok(request)
}

/// Tells a certificate the roots do not vouch for from another handshake failure, by rustls's
/// error type.
fn tls_problem(err: &std::io::Error) -> TlsProblem {
    match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(_)) => TlsProblem::Certificate,
        _ => TlsProblem::Handshake,
    }
}

async fn exchange<S>(
    stream: S,
    request: Request<Empty<Bytes>>,
    budget: &mut ReadBudget,
) -> Result<Answer, Problem>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|_| Problem::ProtocolError)?;
    // The connection's task ends with this exchange, or when the verification's deadline drops
    // this future: either way the socket closes.
    let _connection = AbortOnDrop(tokio::spawn(connection));
    async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|_| Problem::ProtocolError)?;
        let (parts, mut body) = response.into_parts();
        let mut kept = Vec::new();
        while budget.0 > 0 {
            let Some(frame) = body.frame().await else {
                break;
            };
            let frame = frame.map_err(|_| Problem::ProtocolError)?;
            if let Ok(data) = frame.into_data() {
                let take = data.len().min(budget.0);
                kept.extend_from_slice(&data[..take]);
                budget.0 -= take;
            }
        }
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: Bytes::from(kept),
        })
    }
    .await
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
