//! The local gateway's HTTP/1.1 connections: hyper serves them, and a guard in front of hyper reads
//! every request head first, so that a head that is malformed, too large or too slow gets an answer
//! in the API's shape (`{"errors": [...]}` with `x-request-id`) instead of hyper's own empty one.
//!
//! The guard sees the bytes before hyper does. In a head it parses with `httparse` (hyper's own
//! parser); once the head is complete it lets the body through, counting `Content-Length` bytes,
//! and then waits for the next head. A chunked body cannot be counted without decoding it, so a
//! connection that sends one is left to hyper from then on (the endpoints bound its time to read).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use shared::http::ApiError;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;

/// API Gateway's limit on a REST API request's line and headers (10,240 bytes).
pub const MAX_HEAD_BYTES: usize = 10 * 1024;
/// Time a client has, by default, to send a whole head once it has begun, or a whole body
/// (`gateway.rs`).
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// More header fields than fit in [`MAX_HEAD_BYTES`] (`a:` and CRLF are 4 bytes), so that the
/// size decides, not hyper's count.
const MAX_HEADERS: usize = MAX_HEAD_BYTES / 4;
/// An idle keep-alive connection is closed after this (hyper's timer; no answer is owed).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish. A
/// head must arrive within `read_timeout` of its first byte.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: the listener itself is fine.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(IDLE_TIMEOUT)
            .max_headers(MAX_HEADERS);
        let connection = builder.serve_connection(
            TokioIo::new(HeadGuard::new(stream, read_timeout)),
            TowerToHyperService::new(router.clone()),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    Ok(())
}

enum State {
    /// Reading a head: the bytes so far, and the deadline, armed by its first byte.
    Head {
        bytes: Vec<u8>,
        deadline: Option<Pin<Box<Sleep>>>,
    },
    /// This many body bytes are still to come before the next head.
    Body(u64),
    /// A body of unknown length went by: hyper alone reads the rest of this connection.
    Unguarded,
    /// The guard answered; the connection is over.
    Answered,
}

/// A TCP stream whose request heads are checked before hyper reads them.
pub struct HeadGuard {
    /// `None` once the guard answered: the stream then belongs to [`linger`].
    stream: Option<TcpStream>,
    state: State,
    read_timeout: Duration,
}

impl HeadGuard {
    pub fn new(stream: TcpStream, read_timeout: Duration) -> Self {
        Self {
            stream: Some(stream),
            read_timeout,
            state: State::Head {
                bytes: Vec::new(),
                deadline: None,
            },
        }
    }

    /// Follows the request framing through `data`, just read; `Err` is the answer the client gets.
    fn observe(&mut self, mut data: &[u8]) -> Result<(), ApiError> {
        while !data.is_empty() {
            match &mut self.state {
                State::Unguarded | State::Answered => return Ok(()),
                State::Body(remaining) => {
                    let taken = (*remaining).min(data.len() as u64);
                    *remaining -= taken;
                    data = &data[taken as usize..];
                    if *remaining == 0 {
                        self.state = State::Head {
                            bytes: Vec::new(),
                            deadline: None,
                        };
                    }
                }
                State::Head { bytes, deadline } => {
                    let before = bytes.len();
                    bytes.extend_from_slice(data);
                    // The clock starts with a request's first byte: blank lines between requests
                    // (which hyper skips) start nothing, so an idle connection is never answered.
                    if deadline.is_none() && leading_blank_lines(bytes) < bytes.len() {
                        *deadline = Some(Box::pin(tokio::time::sleep(self.read_timeout)));
                    }
                    match parse_head(bytes)? {
                        None => return Ok(()),
                        Some((head_len, next)) => {
                            // What followed the head in this read belongs to the body (or more).
                            let consumed = head_len.saturating_sub(before);
                            data = &data[consumed..];
                            self.state = next;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Answers `error` as a whole HTTP/1.1 response and ends the connection: the stream is
    /// handed to [`linger`], hyper sees the connection end.
    fn answer(&mut self, error: ApiError) {
        let request_id = uuid::Uuid::new_v4().to_string();
        let response = shared::http::response::error(error, &request_id);
        let mut raw = format!(
            "HTTP/1.1 {} {}\r\n",
            response.status().as_u16(),
            response.status().canonical_reason().unwrap_or("")
        );
        let body = match response.body() {
            lambda_http::Body::Text(text) => text.as_str(),
            _ => "",
        };
        for (name, value) in response.headers() {
            if let Ok(value) = value.to_str() {
                raw.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        raw.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ));
        if let Some(stream) = self.stream.take() {
            tokio::spawn(linger(stream, raw.into_bytes()));
        }
        self.state = State::Answered;
        tracing::info!(
            status = response.status().as_u16(),
            request_id = %request_id,
            "request refused before routing"
        );
    }
}

/// Writes `answer`, closes the sending side, and reads what the client still sends (for a little
/// while) before closing: a socket closed with unread data in it sends a reset, which can make
/// the client's kernel drop the answer before the client reads it ("lingering close").
async fn linger(mut stream: TcpStream, answer: Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const LINGER: Duration = Duration::from_secs(2);
    let _ = tokio::time::timeout(LINGER, async {
        stream.write_all(&answer).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 8192];
        let mut drained = 0usize;
        while drained < 1024 * 1024 {
            match stream.read(&mut sink).await? {
                0 => break,
                n => drained += n,
            }
        }
        Ok::<(), io::Error>(())
    })
    .await;
}

/// `None` while the head is incomplete; else its length and what comes after it. The head ends
/// exactly where hyper's parser (`httparse`) says it does, whatever line endings it accepts.
fn parse_head(bytes: &[u8]) -> Result<Option<(usize, State)>, ApiError> {
    // Empty lines before a request line are allowed (RFC 9112 §2.2) and skipped by hyper.
    let blank = leading_blank_lines(bytes);
    let mut headers = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let head_len = match request.parse(&bytes[blank..]) {
        Ok(httparse::Status::Complete(len)) => blank + len,
        Ok(httparse::Status::Partial) => {
            return if bytes.len() > MAX_HEAD_BYTES {
                Err(ApiError::HeadersTooLarge)
            } else {
                Ok(None)
            };
        }
        Err(httparse::Error::TooManyHeaders) => return Err(ApiError::HeadersTooLarge),
        Err(_) => {
            return Err(malformed(
                "the request line or a header field is not HTTP/1.1",
            ));
        }
    };
    if head_len > MAX_HEAD_BYTES {
        return Err(ApiError::HeadersTooLarge);
    }
    // What hyper would refuse with a bare 400 after this parse, refused here in the API's shape.
    if !request.path.is_some_and(valid_target) {
        return Err(malformed(
            "the request target is not a path or an absolute URI",
        ));
    }
    let next = body_framing(request.headers, request.version == Some(1))?;
    Ok(Some((head_len, next)))
}

/// The CR and LF bytes before a request line.
fn leading_blank_lines(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count()
}

/// A request target hyper takes (RFC 9112 §3.2): the origin form (`/path?query`), the absolute
/// form (`http://host/path`) or `*`, and one that parses as a URI.
fn valid_target(target: &str) -> bool {
    (target.starts_with('/') || target == "*" || target.contains("://"))
        && target.parse::<hyper::Uri>().is_ok()
}

fn body_framing(headers: &[httparse::Header<'_>], http_11: bool) -> Result<State, ApiError> {
    let field = |name: &'static str| {
        headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    let mut encodings = field("transfer-encoding");
    if let Some(encoding) = encodings.next() {
        // hyper takes one Transfer-Encoding field of an HTTP/1.1 request whose last coding is
        // chunked (RFC 9112 §6.1), and refuses any other with a bare 400.
        if !http_11 || encodings.next().is_some() || !chunked_last(encoding) {
            return Err(malformed(
                "Transfer-Encoding must be given once, in HTTP/1.1, with chunked last",
            ));
        }
        return Ok(State::Unguarded);
    }
    let mut lengths = field("content-length");
    let Some(first) = lengths.next() else {
        return Ok(State::Head {
            bytes: Vec::new(),
            deadline: None,
        });
    };
    let length = std::str::from_utf8(first)
        .ok()
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| malformed("Content-Length is not a number"))?;
    // Several Content-Length fields must agree (RFC 9112 §6.3); hyper would refuse them otherwise.
    if lengths.any(|other| other != first) {
        return Err(malformed("Content-Length fields disagree"));
    }
    Ok(if length == 0 {
        State::Head {
            bytes: Vec::new(),
            deadline: None,
        }
    } else {
        State::Body(length)
    })
}

/// Whether `chunked` is the last coding of a Transfer-Encoding value, and every coding a token.
fn chunked_last(value: &[u8]) -> bool {
    let Ok(value) = std::str::from_utf8(value) else {
        return false;
    };
    let codings: Vec<&str> = value.split(',').map(str::trim).collect();
    let token = |coding: &&str| {
        !coding.is_empty()
            && coding
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    codings.iter().all(token)
        && codings
            .last()
            .is_some_and(|last| last.eq_ignore_ascii_case("chunked"))
        && codings[..codings.len() - 1]
            .iter()
            .all(|coding| !coding.eq_ignore_ascii_case("chunked"))
}

fn malformed(problem: &str) -> ApiError {
    ApiError::BadRequest(format!("Malformed HTTP request: {problem}"))
}

impl AsyncRead for HeadGuard {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let Some(stream) = this.stream.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let filled_before = buf.filled().len();
        match Pin::new(stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let data = buf.filled()[filled_before..].to_vec();
                if let Err(error) = this.observe(&data) {
                    this.answer(error);
                    // hyper sees the connection end; it never saw the refused head.
                    buf.set_filled(filled_before);
                    return Poll::Ready(Err(io::ErrorKind::InvalidData.into()));
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => {
                if let State::Head {
                    deadline: Some(deadline),
                    ..
                } = &mut this.state
                {
                    ready!(deadline.as_mut().poll(cx));
                    this.answer(ApiError::RequestTimeout);
                    return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for HeadGuard {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_write(cx, data),
            None => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_shutdown(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            None => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.stream
            .as_ref()
            .is_some_and(TcpStream::is_write_vectored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_found_and_its_body_counted() {
        let raw = b"POST /v1/sources HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
        let Ok(Some((len, State::Body(5)))) = parse_head(raw) else {
            panic!("head with a 5-byte body")
        };
        assert_eq!(&raw[len..], b"hello");
        assert!(matches!(parse_head(b"GET / HTTP/1.1\r\nHost"), Ok(None)));
    }

    /// The head ends where the parser says, whatever line endings it took (a bare LF ending the
    /// last field, then CRLF); the guard then waits for the next head, not for this one's end.
    #[test]
    fn a_head_ends_where_the_parser_says() {
        for raw in [
            &b"GET / HTTP/1.1\r\nHost: x\nKey: k\n\r\n"[..],
            b"GET / HTTP/1.1\nHost: x\n\n",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\n",
        ] {
            let Ok(Some((len, State::Head { bytes, .. }))) = parse_head(raw) else {
                panic!("a whole head: {:?}", String::from_utf8_lossy(raw))
            };
            assert_eq!(len, raw.len(), "{:?}", String::from_utf8_lossy(raw));
            assert!(bytes.is_empty());
        }
    }

    #[test]
    fn transfer_encoding_must_end_in_chunked() {
        for good in ["chunked", "Chunked", "gzip, chunked", " chunked "] {
            assert!(chunked_last(good.as_bytes()), "{good}");
        }
        for bad in [
            "xchunked",
            "chunked, identity",
            "chunked, chunked",
            "",
            ",chunked",
            "chu nked",
        ] {
            assert!(!chunked_last(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn malformed_large_and_conflicting_heads_are_refused() {
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_head(b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_head(b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
            Err(ApiError::BadRequest(_))
        ));
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(MAX_HEAD_BYTES));
        assert!(matches!(
            parse_head(big.as_bytes()),
            Err(ApiError::HeadersTooLarge)
        ));
    }
}
