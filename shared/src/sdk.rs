//! The AWS SDK's configuration, shared by every AWS client the product builds (DynamoDB's in
//! `store`, KMS's in `sealing`): timeouts and retries, the HTTPS client and the certificate
//! authorities it trusts, and where region, credentials and endpoint come from in a Lambda
//! function, for a local server and anywhere else.

use std::time::Duration;

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_dynamodb::config::{Credentials, Region, SharedHttpClient};
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};

/// Timeouts and retries of every AWS client (DynamoDB, KMS). The defaults keep a whole request, retries
/// included, under 3 s, well below the functions' timeout.
#[derive(Clone, Copy, Debug)]
pub struct ClientSettings {
    pub connect_timeout: Duration,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
    /// The SDK's standard retry mode, with this many attempts in all.
    pub max_attempts: u32,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_millis(1_000),
            attempt_timeout: Duration::from_millis(1_500),
            operation_timeout: Duration::from_millis(2_500),
            max_attempts: 3,
        }
    }
}

impl ClientSettings {
    fn timeouts(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .operation_attempt_timeout(self.attempt_timeout)
            .operation_timeout(self.operation_timeout)
            .build()
    }

    /// Short backoffs, so that throttling of a few requests is absorbed within the operation timeout.
    fn retries(&self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(Duration::from_millis(50))
            .with_max_backoff(Duration::from_millis(500))
    }
}

/// The configuration of a Lambda function's client of one AWS service, whose own endpoint
/// variable is `endpoint_var` (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_KMS`). Lambda puts the
/// region (`AWS_REGION`) and the role's credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`) in the environment; when they are there, the configuration comes from the
/// environment alone (with the endpoint variables), skipping the SDK's general loader: profile
/// files, IMDS, SSO and web-identity providers do not exist in Lambda, and building them was a
/// third of what init still spent after the trust store (docs/BENCHMARKS.md). Anywhere else, the
/// full chain.
pub(crate) async fn function_sdk_config(settings: ClientSettings, endpoint_var: &str) -> SdkConfig {
    let endpoint = configured_endpoint(endpoint_var);
    match environment_only_config(settings, endpoint.as_deref()) {
        Some(config) => config,
        None => full_chain_config(settings, endpoint.as_deref()).await,
    }
}

pub(crate) fn env_value(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

fn environment_only_config(settings: ClientSettings, endpoint: Option<&str>) -> Option<SdkConfig> {
    let region = env_value("AWS_REGION").or_else(|| env_value("AWS_DEFAULT_REGION"))?;
    env_value("AWS_ACCESS_KEY_ID")?;
    let mut config = base_config(settings, endpoint)
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ));
    if let Some(endpoint) = endpoint {
        config = config.endpoint_url(endpoint);
    }
    Some(config.build())
}

pub(crate) async fn full_chain_config(
    settings: ClientSettings,
    endpoint: Option<&str>,
) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client(Trust::for_endpoint(endpoint)))
        .timeout_config(settings.timeouts())
        .retry_config(settings.retries())
        .load()
        .await
}

/// What every client here has: the SDK's latest behaviour, the HTTPS client with the trust store
/// `endpoint` needs, the timeouts and retries.
fn base_config(settings: ClientSettings, endpoint: Option<&str>) -> aws_types::sdk_config::Builder {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client(Trust::for_endpoint(endpoint)))
        .timeout_config(settings.timeouts())
        .retry_config(settings.retries())
}

/// The configuration of a client of a local server that speaks an AWS service's protocol
/// (DynamoDB's, KMS's): static test credentials, a fixed region, so the SDK never looks for real
/// ones.
pub(crate) fn local_sdk_config(endpoint_url: &str, settings: ClientSettings) -> SdkConfig {
    base_config(settings, Some(endpoint_url))
        .endpoint_url(endpoint_url)
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "local",
            "local",
            None,
            None,
            "image-sources-local",
        )))
        .build()
}

/// Which certificate authorities an AWS client trusts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The Amazon Trust Services roots, which AWS's DynamoDB endpoints chain to. Parsing these five
    /// bundled certificates instead of loading the OS store (hundreds of files on a Debian host)
    /// was most of the functions' init time (docs/BENCHMARKS.md), and it trusts no more than needed.
    AmazonRoots,
    /// The OS trust store: for a custom `https://` endpoint, which may have its own CA
    /// (LocalStack, a proxy).
    OsStore,
    /// No authority at all: for the client of a function that calls no AWS service
    /// ([`unreachable_client`]); building it parses no certificate.
    Nothing,
}

/// Amazon Root CA 1-4 and Starfield Services Root CA G2 (which cross-signs them), as AWS lists
/// them at https://www.amazontrust.com/repository/.
const AMAZON_TRUST_SERVICES_ROOTS: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

impl Trust {
    pub fn for_endpoint(endpoint_url: Option<&str>) -> Self {
        match endpoint_url {
            Some(url) if url.trim().to_ascii_lowercase().starts_with("https://") => Self::OsStore,
            _ => Self::AmazonRoots,
        }
    }
}

/// The endpoint the standard AWS environment sets for a service (`endpoint_var`), if any.
pub(crate) fn configured_endpoint(endpoint_var: &str) -> Option<String> {
    [endpoint_var, "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|var| env_value(var))
}

/// The SDK's own hyper + rustls (aws-lc) client, with the trust store chosen above.
pub(crate) fn http_client(trust: Trust) -> SharedHttpClient {
    let store = match trust {
        Trust::AmazonRoots => TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS),
        Trust::OsStore => TrustStore::default(),
        Trust::Nothing => TrustStore::empty().with_native_roots(false),
    };
    let builder = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
    // Building a context from a trust store cannot fail today; if it ever does, the SDK's
    // defaults (the OS store) are the safe fallback.
    match TlsContext::builder().with_trust_store(store).build() {
        Ok(context) => builder.tls_context(context).build_https(),
        Err(_) => builder.build_https(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_custom_https_endpoint_gets_the_os_trust_store() {
        assert_eq!(Trust::for_endpoint(None), Trust::AmazonRoots);
        assert_eq!(
            Trust::for_endpoint(Some("http://127.0.0.1:8000")),
            Trust::AmazonRoots
        );
        assert_eq!(
            Trust::for_endpoint(Some("HTTPS://localhost.localstack.cloud:4566")),
            Trust::OsStore
        );
    }

    #[test]
    fn the_bundled_roots_are_the_five_amazon_trust_services_certificates() {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        // The SDK parses them the same way when the client is built, and panics on a bad one.
        let certs: Vec<CertificateDer> =
            CertificateDer::pem_slice_iter(AMAZON_TRUST_SERVICES_ROOTS)
                .collect::<Result<_, _>>()
                .expect("the bundled roots are valid PEM");
        let names = [
            "Amazon Root CA 1",
            "Amazon Root CA 2",
            "Amazon Root CA 3",
            "Amazon Root CA 4",
            "Starfield Services Root Certificate Authority - G2",
        ];
        assert_eq!(certs.len(), names.len());
        for (cert, name) in certs.iter().zip(names) {
            // The subject's common name is a plain string inside the DER.
            let der: &[u8] = cert.as_ref();
            assert!(
                der.windows(name.len()).any(|w| w == name.as_bytes()),
                "expected {name}"
            );
        }
    }
}
