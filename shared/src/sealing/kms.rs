//! Data keys from AWS KMS (or a KMS-compatible server: `AWS_ENDPOINT_URL_KMS`), for the functions
//! that seal or open (docs/SPEC.md §21). The client is built once per execution environment,
//! only in those functions, with the DynamoDB client's settings.

use aws_sdk_kms::Client;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, KeySpec, KeyUsageType, MacAlgorithmSpec};
use secrecy::SecretBox;
use tokio::sync::OnceCell;

use super::envelope::{DataKey, data_key_from};
use super::{FingerprintKey, SealContext, SealError};
use crate::sdk::{ClientSettings, env_value, function_sdk_config, local_sdk_config};

/// The environment variable naming the stack's key (id, ARN or alias) that data keys come from.
pub const SEALING_KEY_ID_VAR: &str = "SEALING_KEY_ID";
/// The environment variable naming the HMAC key the idempotency fingerprints' key is derived
/// from (create-source only).
pub const FINGERPRINT_KEY_ID_VAR: &str = "FINGERPRINT_KEY_ID";
/// What the fingerprint key is the MAC of: the same key in every execution environment.
const FINGERPRINT_LABEL: &[u8] = b"image-sources/idempotency-fingerprint/v1";

pub struct KmsKeys {
    client: Client,
    key_id: String,
    fingerprint_key_id: Option<String>,
    fingerprint: OnceCell<FingerprintKey>,
}

impl KmsKeys {
    pub fn new(client: Client, key_id: String, fingerprint_key_id: Option<String>) -> Self {
        Self {
            client,
            key_id,
            fingerprint_key_id,
            fingerprint: OnceCell::new(),
        }
    }

    /// For a Lambda function: the keys from [`SEALING_KEY_ID_VAR`] and
    /// [`FINGERPRINT_KEY_ID_VAR`], the client configured from the environment as the DynamoDB
    /// client is (`AWS_ENDPOINT_URL_KMS` for a KMS-compatible server). `None` without a sealing key.
    pub async fn from_env(settings: ClientSettings) -> Option<Self> {
        let key_id = env_value(SEALING_KEY_ID_VAR)?;
        let config = function_sdk_config(settings, "AWS_ENDPOINT_URL_KMS").await;
        Some(Self::new(
            Client::new(&config),
            key_id,
            env_value(FINGERPRINT_KEY_ID_VAR),
        ))
    }

    /// A client for a KMS-compatible server on `endpoint_url`, with static test credentials and
    /// a fixed region (the local server, the tests).
    pub fn local_client(endpoint_url: &str, settings: ClientSettings) -> Client {
        Client::new(&local_sdk_config(endpoint_url, settings))
    }

    /// Creates a sealing key and a fingerprint (HMAC) key on `client`'s server: for a local
    /// KMS-compatible server that has none yet. Returns their ids.
    pub async fn create_keys(client: &Client) -> Result<(String, String), SealError> {
        let sealing = client
            .create_key()
            .description("Image Sources - local sealing key")
            .send()
            .await
            .map_err(failure)?;
        let fingerprint = client
            .create_key()
            .description("Image Sources - local fingerprint key")
            .key_spec(KeySpec::Hmac256)
            .key_usage(KeyUsageType::GenerateVerifyMac)
            .send()
            .await
            .map_err(failure)?;
        let id = |meta: Option<&aws_sdk_kms::types::KeyMetadata>| {
            meta.map(|m| m.key_id().to_owned())
                .ok_or(SealError::KeyService("CreateKey answered no key".into()))
        };
        Ok((id(sealing.key_metadata())?, id(fingerprint.key_metadata())?))
    }

    pub(super) async fn new_data_key(
        &self,
        cx: &SealContext,
    ) -> Result<(DataKey, Vec<u8>), SealError> {
        let out = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(cx.kms_context()))
            .send()
            .await
            .map_err(failure)?;
        let (Some(plaintext), Some(wrapped)) = (out.plaintext(), out.ciphertext_blob()) else {
            return Err(SealError::KeyService(
                "GenerateDataKey answered no key".into(),
            ));
        };
        Ok((
            data_key_from(plaintext.as_ref())?,
            wrapped.as_ref().to_vec(),
        ))
    }

    pub(super) async fn unwrap_key(
        &self,
        wrapped: &[u8],
        cx: &SealContext,
    ) -> Result<DataKey, SealError> {
        let out = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .set_encryption_context(Some(cx.kms_context()))
            .send()
            .await
            .map_err(|err| match err.code() {
                // KMS's answer when the context (or the key) is not the one the data key was
                // drawn for: the envelope was moved or altered.
                Some("InvalidCiphertextException" | "IncorrectKeyException") => {
                    SealError::Refused("the key service does not open its data key for this source")
                }
                _ => failure(err),
            })?;
        let plaintext = out
            .plaintext()
            .ok_or(SealError::KeyService("Decrypt answered no key".into()))?;
        data_key_from(plaintext.as_ref())
    }

    /// The fingerprint key, derived on first use (one GenerateMac request, which `count` hears of).
    pub(super) async fn fingerprint_key(
        &self,
        count: impl FnOnce(),
    ) -> Result<&FingerprintKey, SealError> {
        let key_id = self
            .fingerprint_key_id
            .as_deref()
            .ok_or(SealError::NotConfigured)?;
        self.fingerprint
            .get_or_try_init(|| async {
                count();
                let out = self
                    .client
                    .generate_mac()
                    .key_id(key_id)
                    .mac_algorithm(MacAlgorithmSpec::HmacSha256)
                    .message(Blob::new(FINGERPRINT_LABEL))
                    .send()
                    .await
                    .map_err(failure)?;
                let mac = out
                    .mac()
                    .ok_or(SealError::KeyService("GenerateMac answered no MAC".into()))?;
                let key: [u8; 32] = mac
                    .as_ref()
                    .try_into()
                    .map_err(|_| SealError::KeyService("the MAC is not 32 bytes".into()))?;
                Ok(SecretBox::new(Box::new(key)))
            })
            .await
    }
}

/// A KMS call's failure, by its error code only (a message could quote a request).
fn failure<E: ProvideErrorMetadata, R>(err: SdkError<E, R>) -> SealError {
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            SealError::Unavailable("no answer".into())
        }
        _ => match err.code() {
            Some(
                code @ ("ThrottlingException"
                | "KMSInternalException"
                | "DependencyTimeoutException"
                | "KeyUnavailableException"),
            ) => SealError::Unavailable(code.to_owned()),
            Some(code) => SealError::KeyService(code.to_owned()),
            None => SealError::Unavailable("no error code".into()),
        },
    }
}
