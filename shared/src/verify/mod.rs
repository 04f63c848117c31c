//! Verifying a source's credentials against its storage (docs/SPEC.md §14), the way the CDN would reach
//! it: S3-compatible types with SigV4 (`s3`), Azure with its SAS token (`azure`), web folders with
//! a ranged GET (`web`), every connection through the address guard (`network`), within 5 s and
//! 64 KiB (`client`).

mod azure;
pub mod client;
pub mod network;
mod object;
pub mod outcome;
mod s3;
mod web;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub use network::{AddressPolicy, BoxFuture, Guard, Network, SystemNetwork};
pub use outcome::{
    Check, CheckName, CheckResult, ErrorCode, ObjectFound, Problem, Status, Verification,
};

use crate::domain::{AzureService, CredentialRole, Credentials, ObjectPath, SourceType, Timestamp};
use client::{Client, ReadBudget};
use outcome::{Checks, Ending, VerificationError};

/// One verification's time limit (docs/SPEC.md §14).
pub const DEADLINE: Duration = Duration::from_secs(5);

/// The switch that lets the guard reach loopback (tests, local emulators): `true` or `1`.
/// `template.yaml` never sets it, and a test says so.
pub const ALLOW_LOOPBACK_VAR: &str = "VERIFY_ALLOW_LOOPBACK";
/// `VERIFY_ENDPOINT_<PROVIDER>` (`S3`, `GCS`, `DOS`, `R2`, `WASABI`, `AKAMAI`, `AZURE_BLOB`,
/// `AZURE_FILE`): a base URL that replaces the provider's documented endpoint (an emulator's).
/// Never set in `template.yaml` either.
pub const ENDPOINT_VAR_PREFIX: &str = "VERIFY_ENDPOINT_";

/// Why a proxy source is not checked: the `unsupported` message of its verify check and health.
pub const PROXY_UNCHECKED: &str = "A web proxy has no storage to check: each image request names \
     the public URL the CDN fetches, and that URL is checked when it is requested";

/// Whose documented endpoint a check addresses; an override replaces it. Derived from the source
/// types: each S3-compatible type is a provider, and Azure is one per service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Provider {
    /// An S3-compatible type's storage (every type but `azure`, `url` and `proxy`).
    Bucket(BucketType),
    Azure(AzureService),
}

/// A source type whose storage speaks S3 (SigV4): built only by [`BucketType::of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BucketType(SourceType);

impl BucketType {
    /// The type's provider, if its storage speaks S3.
    pub fn of(source_type: SourceType) -> Option<Self> {
        match source_type {
            SourceType::Azure | SourceType::Url | SourceType::Proxy => None,
            other => Some(Self(other)),
        }
    }

    pub fn source_type(&self) -> SourceType {
        self.0
    }
}

impl Provider {
    /// Every provider: the S3-compatible types, then Azure's services.
    pub fn all() -> Vec<Provider> {
        SourceType::ALL
            .into_iter()
            .filter_map(BucketType::of)
            .map(Provider::Bucket)
            .chain(AzureService::ALL.into_iter().map(Provider::Azure))
            .collect()
    }

    /// The provider of an S3-compatible type's storage (none for `azure` and `url`).
    pub fn of(source_type: SourceType) -> Option<Self> {
        BucketType::of(source_type).map(Provider::Bucket)
    }

    /// The suffix of its `VERIFY_ENDPOINT_` variable: the type in capitals (`S3`, `GCS`, ...),
    /// `AZURE_BLOB`, `AZURE_FILE`.
    pub fn var_suffix(&self) -> String {
        match self {
            Provider::Bucket(bucket) => bucket.source_type().as_str().to_ascii_uppercase(),
            Provider::Azure(service) => format!(
                "{}_{}",
                SourceType::Azure.as_str().to_ascii_uppercase(),
                service.host_label().to_ascii_uppercase()
            ),
        }
    }
}

/// How verifications reach the storage.
#[derive(Clone, Debug, Default)]
pub struct VerifySettings {
    pub policy: AddressPolicy,
    pub endpoints: BTreeMap<Provider, url::Url>,
}

impl VerifySettings {
    /// From the environment: the loopback switch and endpoint overrides, both unset in AWS.
    pub fn from_env() -> Self {
        let allow_loopback =
            std::env::var(ALLOW_LOOPBACK_VAR).is_ok_and(|v| matches!(v.as_str(), "1" | "true"));
        let endpoints = Provider::all()
            .into_iter()
            .filter_map(|provider| {
                let var = format!("{ENDPOINT_VAR_PREFIX}{}", provider.var_suffix());
                let value = std::env::var(&var).ok()?;
                match url::Url::parse(&value) {
                    Ok(url) => Some((provider, url)),
                    Err(_) => {
                        // Said, not silently dropped: the check would go to the real provider.
                        tracing::warn!(variable = %var, "not a URL: ignored, the provider's own endpoint is used");
                        None
                    }
                }
            })
            .collect();
        Self {
            policy: AddressPolicy { allow_loopback },
            endpoints,
        }
    }
}

/// Runs verifications. Cheap to build: the TLS configuration (the OS's trust store) is read on
/// the first verification, so functions that never verify never pay for it.
#[derive(Clone)]
pub struct Verifier {
    settings: Arc<VerifySettings>,
    network: Arc<dyn Network>,
    tls: Arc<OnceLock<Option<Arc<rustls::ClientConfig>>>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new(VerifySettings::default(), Arc::new(SystemNetwork))
    }
}

impl Verifier {
    pub fn new(settings: VerifySettings, network: Arc<dyn Network>) -> Self {
        Self {
            settings: Arc::new(settings),
            network,
            tls: Arc::default(),
        }
    }

    pub fn from_env() -> Self {
        Self::new(VerifySettings::from_env(), Arc::new(SystemNetwork))
    }

    fn client(&self) -> Client {
        let tls = self.tls.get_or_init(|| tls_config().map(Arc::new)).clone();
        Client {
            guard: Guard {
                network: self.network.clone(),
                policy: self.settings.policy,
            },
            tls,
        }
    }

    /// Checks `credentials` of a `source_type` source against its storage; never changes
    /// anything, never takes longer than [`DEADLINE`].
    pub async fn verify(&self, source_type: SourceType, credentials: &Credentials) -> Verification {
        self.verify_with_object(source_type, credentials, None)
            .await
    }

    /// [`Verifier::verify`], and then, when `object` names one, the object check (docs/SPEC.md
    /// §25) within the same deadline and read budget. Its result is a check of its own: the
    /// verification's status and error stay those of the credentials, which is what a source's
    /// health records.
    pub async fn verify_with_object(
        &self,
        source_type: SourceType,
        credentials: &Credentials,
        object: Option<&ObjectPath>,
    ) -> Verification {
        let started = Instant::now();
        let checked_at = Timestamp::now().to_string();
        let mut checks = Checks::default();
        let run = self.run(source_type, credentials, object, &mut checks);
        let ending = match tokio::time::timeout(DEADLINE, run).await {
            Ok(ending) => ending,
            Err(_) => Ending::Failed(Problem::Timeout {
                seconds: DEADLINE.as_secs(),
            }),
        };
        let (status, problem) = match ending {
            Ending::Ok => (Status::Ok, None),
            Ending::Failed(problem) => (Status::Failed, Some(problem)),
            Ending::Inconclusive(problem) => (Status::Inconclusive, Some(problem)),
        };
        Verification {
            status,
            checked_at,
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            checks: checks.0,
            error: problem.map(|problem| VerificationError {
                code: problem.code(),
                message: problem.to_string(),
            }),
        }
    }

    async fn run(
        &self,
        source_type: SourceType,
        credentials: &Credentials,
        object_path: Option<&ObjectPath>,
        checks: &mut Checks,
    ) -> Ending {
        let client = self.client();
        let mut budget = ReadBudget::default();
        let endpoint = |provider: Provider| self.settings.endpoints.get(&provider).cloned();
        // Nothing to reach: each request names the URL the CDN fetches (docs/SPEC.md §25).
        if !source_type.has_storage() {
            return Ending::Inconclusive(Problem::Unsupported(PROXY_UNCHECKED));
        }
        // The caller opens sealed secrets first (`crate::sealing::open_credentials`); checking
        // without them would report the storage's refusal of a secret never sent.
        if credentials.sealed_secrets().next().is_some() {
            return Ending::Failed(Problem::Unsupported("The source's secrets were not opened"));
        }
        match source_type {
            SourceType::Url => {
                let Some(url) = credentials
                    .by_role(SourceType::Url, CredentialRole::Url)
                    .and_then(|u| url::Url::parse(u.clear()?).ok())
                else {
                    return Ending::Failed(Problem::Unsupported("The source has no URL to check"));
                };
                let value = |role| {
                    credentials
                        .by_role(SourceType::Url, role)
                        .and_then(|v| v.clear())
                };
                // Basic authentication when the source has it (docs/SPEC.md §23).
                let login = value(CredentialRole::BasicUser)
                    .zip(value(CredentialRole::BasicPassword))
                    .map(|(user, password)| web::BasicLogin { user, password });
                let ending = web::check(&client, &url, login, checks, &mut budget).await;
                if let Some(path) = object_path {
                    let request = web::object(&url, login, path);
                    object::check(&client, request, checks, &mut budget).await;
                }
                ending
            }
            SourceType::Azure => {
                let target =
                    azure::Target::of(credentials, |service| endpoint(Provider::Azure(service)));
                match target {
                    Ok(target) => {
                        let ending = azure::check(&client, &target, checks, &mut budget).await;
                        let request = object_path.and_then(|path| target.object(path));
                        if let Some(request) = request {
                            object::check(&client, request, checks, &mut budget).await;
                        }
                        ending
                    }
                    Err(problem) => Ending::Failed(problem),
                }
            }
            other => {
                let Some(provider) = Provider::of(other) else {
                    return Ending::Failed(Problem::Unsupported("Unknown source type"));
                };
                match s3::Target::of(other, credentials, endpoint(provider).as_ref()) {
                    Ok(target) => {
                        let ending = s3::check(&client, &target, checks, &mut budget).await;
                        let request = object_path.and_then(|path| target.object(path));
                        if let Some(request) = request {
                            object::check(&client, request, checks, &mut budget).await;
                        }
                        ending
                    }
                    Err(problem) => Ending::Failed(problem),
                }
            }
        }
    }
}

/// rustls with aws-lc (the provider the SDK already links) and the OS's trust store: storage
/// providers' certificates chain to many roots, not only Amazon's.
/// `None` only if the provider refused the default protocol versions (it supports them): then
/// every `https://` check fails its handshake rather than trusting anything.
fn tls_config() -> Option<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    let (_added, _ignored) = roots.add_parsable_certificates(found.certs);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?;
    Some(builder.with_root_certificates(roots).with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variables are contract (README, Configuration): deriving the providers from the types
    /// must not rename them.
    #[test]
    fn every_provider_keeps_its_variable() {
        let suffixes: Vec<String> = Provider::all().iter().map(Provider::var_suffix).collect();
        assert_eq!(
            suffixes,
            [
                "S3",
                "GCS",
                "DOS",
                "R2",
                "AKAMAI",
                "WASABI",
                "AZURE_BLOB",
                "AZURE_FILE"
            ]
        );
        assert_eq!(Provider::of(SourceType::Url), None);
        assert_eq!(Provider::of(SourceType::Azure), None);
    }
}
