//! Sealed storage secrets (docs/SPEC.md §21): every credential the rules mark secret is encrypted
//! before it is written, so the table, its backups, restores and exports hold none in clear.
//!
//! Envelope encryption: one write draws one 256-bit data key (KMS `GenerateDataKey` on the stack's
//! key, or the local key file of `serve`), seals each secret it sets with AES-256-GCM under it, and
//! stores the wrapped data key beside each ciphertext ([`crate::domain::SealedSecret`] documents
//! the format, `envelope` the cipher). The KMS encryption context names the account, the source
//! id and the credential keys sealed together; GCM's additional data names the same and the one
//! key, so a ciphertext copied to another source, account or key does not open.
//!
//! Who may open: [`open_credentials`] is the one way to a secret's plaintext. Only the functions
//! that must send a secret to the storage call it (`crate::routes::Endpoint::key_use` says which;
//! `template.yaml` grants `kms:Decrypt` to them alone, a test holds it to that).

mod envelope;
mod kms;
mod local;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use secrecy::{ExposeSecret, SecretBox, SecretString};
use thiserror::Error;

use crate::domain::{AccountId, CredentialValue, Credentials, SealedSecret, SourceId, Wrap};
use envelope::{DataKey, Envelope};
pub use kms::{FINGERPRINT_KEY_ID_VAR, KmsKeys, SEALING_KEY_ID_VAR};
pub use local::{LOCAL_KEY_FILE, LocalKeys};

/// The encryption context's `purpose`: a data key drawn for anything else never opens a secret.
pub const PURPOSE: &str = "image-sources/storage-secret/v1";
/// The encryption context's keys, which `template.yaml`'s conditions name.
pub const CONTEXT_KEYS: [&str; 4] = ["purpose", "account", "source_id", "credentials"];

#[derive(Debug, Error)]
pub enum SealError {
    /// A function without keys was asked to seal or open: a deployment mistake.
    #[error("no key service is configured for sealed secrets")]
    NotConfigured,
    /// The key service did not answer, or throttled: retry later.
    #[error("the key service is unavailable ({0})")]
    Unavailable(String),
    /// The key service answered with an error (its code, never a value).
    #[error("the key service refused the request ({0})")]
    KeyService(String),
    /// A sealed secret that does not open here: moved to another source or key, sealed by
    /// another key service, or altered.
    #[error("a sealed secret does not open: {0}")]
    Refused(&'static str),
    #[error("the cipher failed")]
    Crypto,
    /// A write found a secret in clear that its sealing did not cover (a bug, or a concurrent
    /// write by code older than sealing).
    #[error("a secret in clear was left unsealed")]
    Unsealed,
}

/// What binds a data key and its ciphertexts to one source.
pub(crate) struct SealContext {
    account: String,
    source_id: String,
    /// The credential keys sealed under one data key, sorted, comma-separated.
    keys: String,
}

impl SealContext {
    fn new<'a>(account: &AccountId, id: &SourceId, keys: impl Iterator<Item = &'a str>) -> Self {
        let mut keys: Vec<&str> = keys.collect();
        keys.sort_unstable();
        Self {
            account: account.to_string(),
            source_id: id.to_string(),
            keys: keys.join(","),
        }
    }

    /// KMS's encryption context: logged by CloudTrail, checked by the key policy's conditions.
    fn kms_context(&self) -> HashMap<String, String> {
        let [purpose, account, source_id, credentials] = CONTEXT_KEYS;
        HashMap::from([
            (purpose.to_owned(), PURPOSE.to_owned()),
            (account.to_owned(), self.account.clone()),
            (source_id.to_owned(), self.source_id.clone()),
            (credentials.to_owned(), self.keys.clone()),
        ])
    }

    /// The additional data of one secret's ciphertext: a JSON array, so no two contexts share
    /// an encoding.
    fn secret_aad(&self, credential_key: &str) -> Vec<u8> {
        serde_json::json!([
            PURPOSE,
            self.account,
            self.source_id,
            self.keys,
            credential_key
        ])
        .to_string()
        .into_bytes()
    }

    /// The additional data of a data key wrapped by the local key file.
    fn wrap_aad(&self) -> Vec<u8> {
        serde_json::json!([PURPOSE, "data-key", self.account, self.source_id, self.keys])
            .to_string()
            .into_bytes()
    }
}

/// The keys an execution environment seals and opens with, and how many requests it sent to
/// its key service (what the benchmark and the tests count: docs/SPEC.md §21 puts one on a write
/// that sets a secret and none on a read).
pub struct Keys {
    service: KeyService,
    requests: AtomicU64,
}

enum KeyService {
    /// The local server's key file.
    Local(LocalKeys),
    /// AWS KMS or a KMS-compatible server.
    Kms(KmsKeys),
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.service {
            KeyService::Local(_) => f.write_str("Keys::Local"),
            KeyService::Kms(_) => f.write_str("Keys::Kms"),
        }
    }
}

/// The key of the idempotency records' fingerprints (docs/SPEC.md §15, §21): one the table does
/// not hold, so a fingerprint does not let a table reader check a guessed secret.
pub type FingerprintKey = SecretBox<[u8; 32]>;

impl Keys {
    pub fn local(keys: LocalKeys) -> Self {
        Self {
            service: KeyService::Local(keys),
            requests: AtomicU64::new(0),
        }
    }

    pub fn kms(keys: KmsKeys) -> Self {
        Self {
            service: KeyService::Kms(keys),
            requests: AtomicU64::new(0),
        }
    }

    /// Requests sent to the key service so far (for the key file: the ones KMS would have had).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// A new data key for `cx`: its plaintext and its wrapped form. One KMS request.
    async fn new_data_key(&self, cx: &SealContext) -> Result<(DataKey, Wrap, Vec<u8>), SealError> {
        self.count();
        match &self.service {
            KeyService::Local(local) => {
                let (key, wrapped) = local.new_data_key(cx)?;
                Ok((key, Wrap::Local, wrapped))
            }
            KeyService::Kms(kms) => {
                let (key, wrapped) = kms.new_data_key(cx).await?;
                Ok((key, Wrap::Kms, wrapped))
            }
        }
    }

    /// The data key `wrapped` (by `wrap`) holds, if `cx` is the one it was drawn for. One KMS
    /// request.
    async fn unwrap_key(
        &self,
        wrap: Wrap,
        wrapped: &[u8],
        cx: &SealContext,
    ) -> Result<DataKey, SealError> {
        match (&self.service, wrap) {
            (KeyService::Local(local), Wrap::Local) => {
                self.count();
                local.unwrap_key(wrapped, cx)
            }
            (KeyService::Kms(kms), Wrap::Kms) => {
                self.count();
                kms.unwrap_key(wrapped, cx).await
            }
            _ => Err(SealError::Refused("it was sealed by another key service")),
        }
    }

    /// The fingerprint key: derived from the key file locally; from KMS (`GenerateMac`) once
    /// per execution environment.
    pub async fn fingerprint_key(&self) -> Result<&FingerprintKey, SealError> {
        match &self.service {
            KeyService::Local(local) => Ok(local.fingerprint_key()),
            KeyService::Kms(kms) => kms.fingerprint_key(|| self.count()).await,
        }
    }
}

/// Secrets sealed for one write: each with the value it seals, so that the write can put the
/// envelope where the same value stands in a set merged again (a retried update).
pub struct SealedValues(Vec<(&'static str, SecretString, SealedSecret)>);

impl SealedValues {
    /// `credentials` with every secret in clear replaced by its envelope; `None` if one has
    /// none here (a concurrent change brought a value this write did not seal).
    pub fn apply(&self, credentials: &Credentials) -> Option<Credentials> {
        let mut sealed = credentials.clone();
        for (key, value) in credentials.clear_secrets() {
            let (_, _, envelope) = self
                .0
                .iter()
                .find(|(k, v, _)| *k == key && v.expose_secret() == value.expose_secret())?;
            sealed = sealed.replaced(key, CredentialValue::Sealed(envelope.clone()));
        }
        Some(sealed)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Seals the secrets of `credentials` still in clear, for source `id` of `account`: one data key
/// for all of them (one KMS request), none when there is none to seal.
pub async fn seal_credentials(
    keys: Option<&Keys>,
    account: &AccountId,
    id: &SourceId,
    credentials: &Credentials,
) -> Result<SealedValues, SealError> {
    let clear: Vec<(&'static str, &SecretString)> = credentials.clear_secrets().collect();
    if clear.is_empty() {
        return Ok(SealedValues(Vec::new()));
    }
    let keys = keys.ok_or(SealError::NotConfigured)?;
    let cx = SealContext::new(account, id, clear.iter().map(|(key, _)| *key));
    let (data_key, wrap, wrapped) = keys.new_data_key(&cx).await?;
    clear
        .into_iter()
        .map(|(key, value)| {
            let envelope = Envelope::seal(&cx, key, &data_key, wrap, &wrapped, value)?;
            Ok((key, value.clone(), envelope))
        })
        .collect::<Result<_, _>>()
        .map(SealedValues)
}

/// The one way to a sealed secret's plaintext: `credentials` of source `id` of `account` with every
/// sealed secret opened (one KMS request per data key, so one per write that set them). For the
/// code that must send a secret to the storage: the verify check (docs/SPEC.md §14), the health
/// sweep (§22) and the CDN. A secret that does not open for this source and key is an error,
/// never a wrong plaintext.
pub async fn open_credentials(
    keys: Option<&Keys>,
    account: &AccountId,
    id: &SourceId,
    credentials: &Credentials,
) -> Result<Credentials, SealError> {
    let sealed: Vec<(&'static str, &SealedSecret)> = credentials.sealed_secrets().collect();
    if sealed.is_empty() {
        return Ok(credentials.clone());
    }
    let keys = keys.ok_or(SealError::NotConfigured)?;
    let mut opened = credentials.clone();
    let mut data_keys: Vec<(&str, DataKey)> = Vec::new();
    for (key, envelope) in sealed {
        if envelope.v != crate::domain::FORMAT_VERSION {
            return Err(SealError::Refused("its format version is unknown"));
        }
        if !envelope.keys.split(',').any(|k| k == key) {
            return Err(SealError::Refused("it was sealed for another key"));
        }
        let cx = SealContext::new(account, id, envelope.keys.split(','));
        let known = data_keys.iter().position(|(dk, _)| *dk == envelope.dk);
        let index = match known {
            Some(index) => index,
            None => {
                let wrapped = Envelope::wrapped_key(envelope)?;
                let data_key = keys.unwrap_key(envelope.wrap, &wrapped, &cx).await?;
                data_keys.push((envelope.dk.as_str(), data_key));
                data_keys.len() - 1
            }
        };
        let plaintext = Envelope::open_with(envelope, &cx, key, &data_keys[index].1)?;
        opened = opened.replaced(key, CredentialValue::Secret(plaintext));
    }
    Ok(opened)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{SourceInput, SourceType};

    fn keys() -> Keys {
        Keys::local(LocalKeys::from_key(&[42; 32]))
    }

    fn account(name: &str) -> AccountId {
        AccountId::parse(name).unwrap()
    }

    fn credentials(source_type: SourceType, secret: &str) -> Credentials {
        let attributes = match source_type {
            SourceType::Gcs => {
                serde_json::json!({"access_key": "GOOG1E", "secret": secret, "bucket": "my-bucket"})
            }
            _ => serde_json::json!({"access_key_id": "AKIA", "secret_access_key": secret,
                "bucket": "my-bucket", "region": "us-east-1"}),
        };
        let body = serde_json::json!({"source": "sealed", "source_type": source_type.as_str(),
            "credential_attributes": attributes});
        SourceInput::from_json(body.as_object().unwrap())
            .into_new_fields()
            .unwrap()
            .credentials
    }

    async fn sealed(
        keys: &Keys,
        account: &AccountId,
        id: &SourceId,
        clear: &Credentials,
    ) -> Credentials {
        let values = seal_credentials(Some(keys), account, id, clear)
            .await
            .unwrap();
        values.apply(clear).unwrap()
    }

    fn envelope<'a>(credentials: &'a Credentials, key: &str) -> &'a SealedSecret {
        match credentials.get(key) {
            Some(CredentialValue::Sealed(sealed)) => sealed,
            other => panic!("{key} is not sealed: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_sealed_secret_opens_for_its_source_and_key_only() {
        let keys = keys();
        let acme = account("acme");
        let id = SourceId::generate(1_700_000_000);
        let clear = credentials(SourceType::S3, "the-storage-secret-value");
        let sealed = sealed(&keys, &acme, &id, &clear).await;
        let stored = envelope(&sealed, "secret_access_key");
        assert_eq!(stored.v, crate::domain::FORMAT_VERSION);
        assert_eq!(stored.keys, "secret_access_key");
        assert!(!format!("{stored:?}").contains(&stored.ct));
        let opened = open_credentials(Some(&keys), &acme, &id, &sealed)
            .await
            .unwrap();
        assert_eq!(opened, clear);

        // Another account, another source, another key, another key file: none opens it.
        let other_id = SourceId::generate(1_700_000_001);
        let refused = |result: Result<Credentials, SealError>| {
            assert!(matches!(result, Err(SealError::Refused(_))), "{result:?}");
        };
        refused(open_credentials(Some(&keys), &account("other"), &id, &sealed).await);
        refused(open_credentials(Some(&keys), &acme, &other_id, &sealed).await);
        let gcs = credentials(SourceType::Gcs, "placeholder-secret")
            .replaced("secret", CredentialValue::Sealed(stored.clone()));
        refused(open_credentials(Some(&keys), &acme, &id, &gcs).await);
        let stranger = Keys::local(LocalKeys::from_key(&[43; 32]));
        refused(open_credentials(Some(&stranger), &acme, &id, &sealed).await);

        // A ciphertext altered by one character, or given another key's list, does not open.
        let mut altered = stored.clone();
        altered.ct.replace_range(
            0..1,
            if altered.ct.starts_with('A') {
                "B"
            } else {
                "A"
            },
        );
        let tampered = sealed.replaced("secret_access_key", CredentialValue::Sealed(altered));
        refused(open_credentials(Some(&keys), &acme, &id, &tampered).await);
        let mut relisted = stored.clone();
        relisted.keys = "secret,secret_access_key".to_owned();
        let relisted = sealed.replaced("secret_access_key", CredentialValue::Sealed(relisted));
        refused(open_credentials(Some(&keys), &acme, &id, &relisted).await);
        let mut future = stored.clone();
        future.v = 2;
        let future = sealed.replaced("secret_access_key", CredentialValue::Sealed(future));
        refused(open_credentials(Some(&keys), &acme, &id, &future).await);
        assert!(matches!(
            open_credentials(None, &acme, &id, &sealed).await,
            Err(SealError::NotConfigured)
        ));
    }

    #[tokio::test]
    async fn sealing_twice_gives_two_envelopes_and_nothing_to_seal_costs_nothing() {
        let keys = keys();
        let acme = account("acme");
        let id = SourceId::generate(1_700_000_000);
        let clear = credentials(SourceType::S3, "the-storage-secret-value");
        let first = sealed(&keys, &acme, &id, &clear).await;
        let second = sealed(&keys, &acme, &id, &clear).await;
        assert_ne!(
            envelope(&first, "secret_access_key"),
            envelope(&second, "secret_access_key")
        );
        let before = keys.requests();
        let nothing = seal_credentials(Some(&keys), &acme, &id, &first)
            .await
            .unwrap();
        assert!(nothing.is_empty());
        assert_eq!(nothing.apply(&first), Some(first.clone()));
        // Without keys, nothing to seal is no error either: the functions that never seal.
        assert!(
            seal_credentials(None, &acme, &id, &first)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(keys.requests(), before);
        // A value the sealing did not see is not sealed by it.
        let other = credentials(SourceType::S3, "another-storage-secret");
        let values = seal_credentials(Some(&keys), &acme, &id, &clear)
            .await
            .unwrap();
        assert!(values.apply(&other).is_none());
    }

    #[test]
    fn the_key_file_is_made_once_readable_by_its_owner_only() {
        let dir = std::env::temp_dir().join(format!("image-sources-keys-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        // Opening never makes one: only `serve` does (admin commands open).
        assert!(LocalKeys::open(&dir).unwrap().is_none());
        assert!(!dir.join(LOCAL_KEY_FILE).exists());
        let first = LocalKeys::open_or_create(&dir).unwrap();
        let again = LocalKeys::open_or_create(&dir).unwrap();
        assert_eq!(
            first.fingerprint_key().expose_secret(),
            again.fingerprint_key().expose_secret()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(LOCAL_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.join(LOCAL_KEY_FILE), "not a key").unwrap();
        assert!(LocalKeys::open_or_create(&dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
