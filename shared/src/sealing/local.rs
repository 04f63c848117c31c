//! The local server's keys (docs/SPEC.md §21): one 256-bit key in a file of its data directory,
//! made on first start, readable by its owner only. It wraps data keys as KMS would (AES-256-GCM
//! with the encryption context as additional data), so items have the one format.

use std::io::Write;
use std::path::Path;

use aws_lc_rs::aead::{Aad, NONCE_LEN, Nonce};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

use super::envelope::{DataKey, data_key_from, gcm_key, random_data_key};
use super::{FingerprintKey, SealContext, SealError};

/// The key file's name in the data directory.
pub const LOCAL_KEY_FILE: &str = "sealing.key";

/// The key file's key, and what is derived from it.
pub struct LocalKeys {
    wrapping: DataKey,
    fingerprint: FingerprintKey,
}

impl LocalKeys {
    /// From 32 bytes of key; the wrapping and fingerprint keys are derived from it, each for its
    /// one use (HMAC-SHA-256 with a label, as HKDF's expand step).
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self {
            wrapping: derive(key, b"image-sources/local/wrap/v1"),
            fingerprint: derive(key, b"image-sources/local/fingerprint/v1"),
        }
    }

    /// The key file in `data_dir`, made (mode 0600) if it does not exist yet: for `serve`, the
    /// one command that makes a data directory's keys.
    pub fn open_or_create(data_dir: &Path) -> Result<Self, String> {
        if let Some(keys) = Self::open(data_dir)? {
            return Ok(keys);
        }
        let path = data_dir.join(LOCAL_KEY_FILE);
        let key: [u8; 32] = crate::domain::random_bytes();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        file.write_all(format!("{}\n", hex::encode(key)).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Self::from_key(&key))
    }

    /// The key file in `data_dir` if there is one; never makes one (an admin command that made
    /// its own key would seal secrets the server cannot open).
    pub fn open(data_dir: &Path) -> Result<Option<Self>, String> {
        let path = data_dir.join(LOCAL_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| format!("{} does not hold a 256-bit hex key", path.display()))?;
                Ok(Some(Self::from_key(&bytes)))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(format!("cannot read {}: {err}", path.display())),
        }
    }

    pub(super) fn new_data_key(&self, cx: &SealContext) -> Result<(DataKey, Vec<u8>), SealError> {
        let data_key = random_data_key();
        let nonce: [u8; NONCE_LEN] = crate::domain::random_bytes();
        let mut in_out = data_key.expose_secret().to_vec();
        gcm_key(self.wrapping.expose_secret())?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(cx.wrap_aad()),
                &mut in_out,
            )
            .map_err(|_| SealError::Crypto)?;
        let mut wrapped = nonce.to_vec();
        wrapped.extend_from_slice(&in_out);
        Ok((data_key, wrapped))
    }

    pub(super) fn unwrap_key(
        &self,
        wrapped: &[u8],
        cx: &SealContext,
    ) -> Result<DataKey, SealError> {
        let (nonce, sealed) = wrapped
            .split_first_chunk::<NONCE_LEN>()
            .ok_or(SealError::Refused("the wrapped data key is too short"))?;
        let mut in_out = sealed.to_vec();
        let key = gcm_key(self.wrapping.expose_secret())?
            .open_in_place(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(cx.wrap_aad()),
                &mut in_out,
            )
            .map_err(|_| SealError::Refused("the data key does not open for this source"))?;
        data_key_from(key)
    }

    pub(super) fn fingerprint_key(&self) -> &FingerprintKey {
        &self.fingerprint
    }
}

fn derive(key: &[u8; 32], label: &[u8]) -> SecretBox<[u8; 32]> {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts 32-byte keys"));
    mac.update(label);
    SecretBox::new(Box::new(mac.finalize().into_bytes().into()))
}
