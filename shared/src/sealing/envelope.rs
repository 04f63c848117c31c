//! The AES-256-GCM that makes and opens a [`SealedSecret`] (docs/SPEC.md §21). Its stored form,
//! format version 1:
//!
//! | field | holds |
//! | --- | --- |
//! | `v` | `1`: a later scheme gets another number, and items of both can be told apart |
//! | `wrap` | who wrapped the data key: `kms` (AWS KMS or a KMS-compatible server) or `local` (the key file of `serve`) |
//! | `keys` | the credential keys sealed under this data key, comma-separated, sorted: part of the KMS encryption context |
//! | `dk` | the wrapped data key, base64 |
//! | `iv` | the 12-byte GCM nonce, base64 |
//! | `ct` | the ciphertext and its 16-byte tag, base64 |
//!
//! The data key is bound to the account, the source id and `keys` (the KMS encryption context);
//! each ciphertext is bound to the same and to its own credential key (GCM's additional data). A
//! ciphertext copied to another source, account or key fails one of the two and never opens.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};

use super::{SealContext, SealError};
use crate::domain::{FORMAT_VERSION, SealedSecret, Wrap};

/// A data key's 32 bytes, kept out of every print and zeroed when dropped.
pub type DataKey = SecretBox<[u8; 32]>;

/// Sealing and opening one [`SealedSecret`].
pub(super) struct Envelope;

impl Envelope {
    /// Seals `plaintext` for `credential_key` under `data_key`, which `context` bound when it was
    /// wrapped into `wrapped`.
    pub(super) fn seal(
        context: &SealContext,
        credential_key: &str,
        data_key: &DataKey,
        wrap: Wrap,
        wrapped: &[u8],
        plaintext: &SecretString,
    ) -> Result<SealedSecret, SealError> {
        let nonce_bytes: [u8; NONCE_LEN] = crate::domain::random_bytes();
        let mut in_out = plaintext.expose_secret().as_bytes().to_vec();
        gcm_key(data_key.expose_secret())?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(context.secret_aad(credential_key)),
                &mut in_out,
            )
            .map_err(|_| SealError::Crypto)?;
        Ok(SealedSecret {
            v: FORMAT_VERSION,
            wrap,
            keys: context.keys.clone(),
            dk: STANDARD.encode(wrapped),
            iv: STANDARD.encode(nonce_bytes),
            ct: STANDARD.encode(in_out),
            sealed_from: Some(Sha256::digest(plaintext.expose_secret().as_bytes()).into()),
        })
    }

    /// The wrapped data key's bytes.
    pub(super) fn wrapped_key(sealed: &SealedSecret) -> Result<Vec<u8>, SealError> {
        STANDARD
            .decode(&sealed.dk)
            .map_err(|_| SealError::Refused("the wrapped data key is not base64"))
    }

    /// Opens the ciphertext with the unwrapped `data_key`, for `credential_key` in `context`.
    pub(super) fn open_with(
        sealed: &SealedSecret,
        context: &SealContext,
        credential_key: &str,
        data_key: &DataKey,
    ) -> Result<SecretString, SealError> {
        let nonce: [u8; NONCE_LEN] = STANDARD
            .decode(&sealed.iv)
            .ok()
            .and_then(|iv| iv.try_into().ok())
            .ok_or(SealError::Refused("the nonce is malformed"))?;
        let mut in_out = STANDARD
            .decode(&sealed.ct)
            .map_err(|_| SealError::Refused("the ciphertext is not base64"))?;
        let plaintext = gcm_key(data_key.expose_secret())?
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.secret_aad(credential_key)),
                &mut in_out,
            )
            .map_err(|_| {
                SealError::Refused("the ciphertext does not open for this source and key")
            })?;
        let text = String::from_utf8(plaintext.to_vec())
            .map_err(|_| SealError::Refused("the opened secret is not UTF-8"))?;
        Ok(SecretString::from(text))
    }
}

/// AES-256-GCM with `key`.
pub(super) fn gcm_key(key: &[u8; 32]) -> Result<LessSafeKey, SealError> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| SealError::Crypto)
}

/// A fresh random data key.
pub(super) fn random_data_key() -> DataKey {
    SecretBox::new(Box::new(crate::domain::random_bytes()))
}

/// A data key from the 32 bytes a key service returned.
pub(super) fn data_key_from(bytes: &[u8]) -> Result<DataKey, SealError> {
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|_| SealError::Refused("the data key is not 32 bytes"))?;
    Ok(SecretBox::new(Box::new(key)))
}
