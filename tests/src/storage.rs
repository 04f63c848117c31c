//! Real storage servers for the verify check (docs/SPEC.md §14), all on 127.0.0.1 port 0: an S3 server
//! (`s3s-fs`, which checks SigV4 signatures), a web server for `url` sources, one that never
//! answers, one whose TLS certificate nobody trusts, and Azurite when CI starts it. Plus the
//! network the verifier uses in tests: a resolver that answers what a test says, and a connector
//! that reaches loopback only, so no verification in a test can send a packet off the machine.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use shared::verify::{AddressPolicy, BoxFuture, Network, Provider, Verifier, VerifySettings};
use tokio::net::{TcpListener, TcpStream};

/// Credentials the S3 server accepts.
pub const S3_ACCESS_KEY: &str = "AKIAVERIFYTESTKEY000";
pub const S3_SECRET_KEY: &str = "verify-test-secret-key-0123456789abcdef";
pub const S3_BUCKET: &str = "verify-bucket";
/// A bucket named as an Akamai CP code (Akamai's `bucket` is `<cp code>[/<directory>]`).
pub const S3_CP_CODE_BUCKET: &str = "123456";

/// Set by `.ci/run` to Azurite's blob endpoint with its account (`http://127.0.0.1:PORT/devstoreaccount1`).
pub const AZURITE_BLOB_VAR: &str = "AZURITE_BLOB_ENDPOINT";
/// Azurite's well-known development account and key (documented, not a secret).
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The verifier's network in tests: names answer what [`TestNetwork::answer`] set (nothing else
/// resolves), and a connection to any address outside loopback goes to the sentinel listener on
/// 127.0.0.1 instead, which counts it. So a test may hand the guard 169.254.169.254 and still
/// cannot send it a packet; if the guard let it through, the sentinel would see the connection.
pub struct TestNetwork {
    names: Mutex<HashMap<String, Vec<IpAddr>>>,
    sentinel: SocketAddr,
    sentinel_connections: Arc<AtomicUsize>,
    /// Every name looked up and every connection opened through this network.
    attempts: AtomicUsize,
}

impl TestNetwork {
    pub async fn start() -> Arc<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind sentinel");
        let sentinel = listener.local_addr().expect("sentinel address");
        let sentinel_connections = Arc::new(AtomicUsize::new(0));
        let counter = sentinel_connections.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(socket);
            }
        });
        Arc::new(Self {
            names: Mutex::default(),
            sentinel,
            sentinel_connections,
            attempts: AtomicUsize::new(0),
        })
    }

    /// `name` resolves to `addresses` from now on.
    pub fn answer(&self, name: &str, addresses: &[&str]) {
        let ips = addresses
            .iter()
            .map(|a| a.parse().expect("an IP address"))
            .collect();
        self.names
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_owned(), ips);
    }

    /// The port of the listener on 127.0.0.1 that counts the connections nothing should open.
    pub fn sentinel_port(&self) -> u16 {
        self.sentinel.port()
    }

    /// Connections the sentinel accepted: refused addresses the guard let through, or
    /// connections to the sentinel's own address.
    pub fn sentinel_connections(&self) -> usize {
        self.sentinel_connections.load(Ordering::SeqCst)
    }

    /// The names looked up and the connections opened through this network so far: a check that
    /// sends no request leaves it as it was.
    pub fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }

    /// A verifier on this network; `allow_loopback` is the guard's switch.
    pub fn verifier(
        self: &Arc<Self>,
        allow_loopback: bool,
        endpoints: &[(Provider, &str)],
    ) -> Verifier {
        Verifier::new(
            VerifySettings {
                policy: AddressPolicy { allow_loopback },
                endpoints: endpoints
                    .iter()
                    .map(|(p, u)| (*p, url::Url::parse(u).expect("endpoint URL")))
                    .collect(),
            },
            self.clone(),
        )
    }
}

fn loopback(ip: IpAddr) -> Option<IpAddr> {
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() => Some(ip),
        IpAddr::V6(v6) if v6.is_loopback() => Some(ip),
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .filter(|v4| v4.is_loopback())
            .map(IpAddr::V4),
        IpAddr::V4(_) => None,
    }
}

impl Network for TestNetwork {
    fn resolve<'a>(&'a self, host: &'a str, _port: u16) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let answer = self
            .names
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(host)
            .cloned();
        Box::pin(async move { answer.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound)) })
    }

    fn connect(&self, address: SocketAddr) -> BoxFuture<'_, io::Result<TcpStream>> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let target = match loopback(address.ip()) {
            Some(ip) => SocketAddr::new(ip, address.port()),
            None => self.sentinel,
        };
        Box::pin(TcpStream::connect(target))
    }
}

/// How the S3 server treats the test's credentials.
#[derive(Clone, Copy, Debug, Default)]
pub struct S3Options {
    /// Refuse `ListObjectsV2` (AccessDenied) while allowing object reads.
    pub refuse_listing: bool,
}

/// `s3s-fs` on a fresh directory holding [`S3_BUCKET`], accepting [`S3_ACCESS_KEY`] /
/// [`S3_SECRET_KEY`] only, signatures checked.
pub struct S3Server {
    pub endpoint: String,
    /// Whether the server still accepts the test's access key (see [`S3Server::revoke_key`]).
    key_valid: Arc<AtomicBool>,
    root: TempDir,
}

/// The test's one key pair, until the test revokes it: then the server answers as S3 does for a
/// deleted access key (403 `InvalidAccessKeyId`).
struct RevocableKey(Arc<AtomicBool>);

#[async_trait::async_trait]
impl s3s::auth::S3Auth for RevocableKey {
    async fn get_secret_key(&self, access_key: &str) -> s3s::S3Result<s3s::auth::SecretKey> {
        if access_key == S3_ACCESS_KEY && self.0.load(Ordering::SeqCst) {
            Ok(S3_SECRET_KEY.into())
        } else {
            Err(s3s::s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            ))
        }
    }
}

struct RefuseListing;

#[async_trait::async_trait]
impl s3s::access::S3Access for RefuseListing {
    async fn list_objects_v2(
        &self,
        _req: &mut s3s::S3Request<s3s::dto::ListObjectsV2Input>,
    ) -> s3s::S3Result<()> {
        Err(s3s::s3_error!(AccessDenied, "listing is not allowed"))
    }
}

impl S3Server {
    pub async fn start(options: S3Options) -> Self {
        let root = TempDir::new();
        for bucket in [S3_BUCKET, S3_CP_CODE_BUCKET] {
            std::fs::create_dir_all(root.0.join(bucket)).expect("bucket directory");
        }
        let fs = s3s_fs::FileSystem::new(&root.0).expect("s3s-fs");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        let key_valid = Arc::new(AtomicBool::new(true));
        builder.set_auth(RevocableKey(key_valid.clone()));
        if options.refuse_listing {
            builder.set_access(RefuseListing);
        }
        let service = builder.build();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let server = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            while let Ok((socket, _)) = listener.accept().await {
                let connection = server
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        });
        Self {
            endpoint: format!("http://{address}"),
            key_valid,
            root,
        }
    }

    /// Revokes the test's access key at the storage, as its owner would in IAM.
    pub fn revoke_key(&self) {
        self.key_valid.store(false, Ordering::SeqCst);
    }

    /// Accepts the test's access key again (the owner fixed it).
    pub fn restore_key(&self) {
        self.key_valid.store(true, Ordering::SeqCst);
    }

    /// Puts an object at `key` in [`S3_BUCKET`], as a file in the directory s3s-fs serves.
    pub fn put_object(&self, key: &str, bytes: &[u8]) {
        let path = self.root.0.join(S3_BUCKET).join(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("the object's directory");
        }
        std::fs::write(path, bytes).expect("the object");
    }
}

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path =
            std::env::temp_dir().join(format!("verify-s3-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A listener that accepts connections and never answers.
pub async fn hanging_server() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    address
}

/// An HTTPS server whose certificate is self-signed for 127.0.0.1: no trust store vouches for it.
pub async fn untrusted_tls_server() -> SocketAddr {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
        .expect("self-signed certificate");
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der())
        .expect("private key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(socket).await;
            });
        }
    });
    address
}

/// What the web server answers on one path.
#[derive(Clone, Debug)]
pub enum Reply {
    Status(u16),
    /// 302 with this `Location`.
    Redirect(String),
    /// 301 with `x-amz-bucket-region` set to this: an S3 bucket in another region, or a storage
    /// that puts its own text where the region goes.
    Moved(String),
    /// Basic authentication required (RFC 7617): 200 with this user id and password, else 401.
    Basic(String, String),
    /// 200 with this content type and body: an image on the origin.
    Body(&'static str, Vec<u8>),
}

/// A web folder: each path answers its [`Reply`], anything else 404. Counts requests and keeps
/// each request's `Range` header.
pub struct WebServer {
    pub address: SocketAddr,
    pub ranges: Arc<Mutex<Vec<Option<String>>>>,
    /// Each request's `Authorization` header.
    pub authorizations: Arc<Mutex<Vec<Option<String>>>>,
}

impl WebServer {
    pub async fn start(routes: Vec<(&str, Reply)>) -> Self {
        let routes: Arc<HashMap<String, Reply>> =
            Arc::new(routes.into_iter().map(|(p, r)| (p.to_owned(), r)).collect());
        let ranges: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let seen = ranges.clone();
        let authorizations: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
        let logins = authorizations.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let routes = routes.clone();
                let seen = seen.clone();
                let logins = logins.clone();
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let routes = routes.clone();
                    let seen = seen.clone();
                    let logins = logins.clone();
                    async move {
                        let header = |name: &str| {
                            req.headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned)
                        };
                        seen.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(header("range"));
                        let authorization = header("authorization");
                        logins
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(authorization.clone());
                        let mut response =
                            hyper::Response::new(Full::new(Bytes::from_static(b"x")));
                        match routes.get(req.uri().path()) {
                            Some(Reply::Status(status)) => {
                                *response.status_mut() =
                                    hyper::StatusCode::from_u16(*status).expect("status");
                            }
                            Some(Reply::Redirect(location)) => {
                                *response.status_mut() = hyper::StatusCode::FOUND;
                                response
                                    .headers_mut()
                                    .insert("location", location.parse().expect("location header"));
                            }
                            Some(Reply::Moved(region)) => {
                                *response.status_mut() = hyper::StatusCode::MOVED_PERMANENTLY;
                                response.headers_mut().insert(
                                    "x-amz-bucket-region",
                                    region.parse().expect("region header"),
                                );
                            }
                            Some(Reply::Basic(user, password)) => {
                                use base64::Engine;
                                let expected = format!(
                                    "Basic {}",
                                    base64::engine::general_purpose::STANDARD
                                        .encode(format!("{user}:{password}"))
                                );
                                if authorization.as_deref() != Some(expected.as_str()) {
                                    *response.status_mut() = hyper::StatusCode::UNAUTHORIZED;
                                }
                            }
                            Some(Reply::Body(content_type, body)) => {
                                *response.body_mut() = Full::new(Bytes::from(body.clone()));
                                response.headers_mut().insert(
                                    "content-type",
                                    content_type.parse().expect("a content type"),
                                );
                            }
                            None => *response.status_mut() = hyper::StatusCode::NOT_FOUND,
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        Self {
            address,
            ranges,
            authorizations,
        }
    }

    pub fn requests(&self) -> usize {
        self.ranges.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// An account SAS for Azurite's development account (version 2020-08-04, blob service, every
/// resource type), signed as Microsoft documents: HMAC-SHA256 of the string-to-sign with the
/// account key
/// (https://learn.microsoft.com/rest/api/storageservices/create-account-sas).
pub fn azurite_account_sas(permissions: &str) -> String {
    azurite_account_sas_until(permissions, "2099-01-01T00:00:00Z")
}

/// [`azurite_account_sas`] expiring at `expiry` (RFC 3339): one in the past is what a customer's
/// expired token looks like to the storage.
pub fn azurite_account_sas_until(permissions: &str, expiry: &str) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let version = "2020-08-04";
    let string_to_sign =
        format!("{AZURITE_ACCOUNT}\n{permissions}\nb\nsco\n\n{expiry}\n\nhttps,http\n{version}\n");
    let key = base64::engine::general_purpose::STANDARD
        .decode(AZURITE_KEY)
        .expect("Azurite's key is base64");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(string_to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let signature: String = url::form_urlencoded::byte_serialize(signature.as_bytes()).collect();
    format!("sv={version}&ss=b&srt=sco&sp={permissions}&se={expiry}&spr=https,http&sig={signature}")
}

/// A web server that answers 200 and then sends a body that never ends: what a verification
/// reads of it is its 64 KiB budget, then it stops.
pub async fn endless_body_server() -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let _ = socket.read(&mut head).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n")
                    .await;
                let chunk = [b'x'; 16 * 1024];
                while socket.write_all(&chunk).await.is_ok() {}
            });
        }
    });
    address
}

/// Azurite's blob endpoint when `.ci/run` started it (`AZURITE_BLOB_ENDPOINT`); `None`, with a
/// line saying the test is skipped, when it did not.
pub fn azurite() -> Option<String> {
    match std::env::var(AZURITE_BLOB_VAR) {
        Ok(endpoint) if !endpoint.is_empty() => Some(endpoint),
        _ => {
            eprintln!(
                "skipped: {AZURITE_BLOB_VAR} is not set (.ci/run starts Azurite and sets it)"
            );
            None
        }
    }
}

/// Puts a block blob `name` holding `bytes` of `content_type` in Azurite's `container`.
pub async fn azurite_blob(
    endpoint: &str,
    container: &str,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) {
    let sas = azurite_account_sas("rwdlac");
    let response = reqwest::Client::new()
        .put(format!("{endpoint}/{container}/{name}?{sas}"))
        .header("x-ms-version", "2020-08-04")
        .header("x-ms-blob-type", "BlockBlob")
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("Azurite answers");
    assert!(
        response.status().is_success(),
        "put blob: {}",
        response.status()
    );
}

/// Creates `container` in Azurite (already there is fine).
pub async fn azurite_container(endpoint: &str, container: &str) {
    let sas = azurite_account_sas("rwdlac");
    let response = reqwest::Client::new()
        .put(format!("{endpoint}/{container}?restype=container&{sas}"))
        .header("x-ms-version", "2020-08-04")
        .send()
        .await
        .expect("Azurite answers");
    assert!(
        response.status().is_success() || response.status().as_u16() == 409,
        "create container: {}",
        response.status()
    );
}
