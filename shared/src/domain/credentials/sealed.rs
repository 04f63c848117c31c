//! A storage secret as the table keeps it: sealed (docs/SPEC.md §21). The domain only carries it;
//! `crate::sealing` makes and opens it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The envelope format this code writes (`crate::sealing` documents its fields).
pub const FORMAT_VERSION: u8 = 1;

/// Who wrapped an envelope's data key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wrap {
    /// AWS KMS, or a KMS-compatible server.
    Kms,
    /// The key file of the local server.
    Local,
}

/// One sealed secret. Holds nothing that opens it without the wrapping key; two are equal when
/// they are the same ciphertext (a secret sealed twice is two different envelopes).
#[derive(Clone, Serialize, Deserialize)]
pub struct SealedSecret {
    pub v: u8,
    pub wrap: Wrap,
    pub keys: String,
    pub dk: String,
    pub iv: String,
    pub ct: String,
    /// For an envelope sealed by this process, the SHA-256 of the value it seals: in memory only,
    /// never stored, so that the audit trail tells a secret sealed at this write (written before
    /// sealing existed) from a new one (docs/SPEC.md §17, §21).
    #[serde(skip)]
    pub sealed_from: Option<[u8; 32]>,
}

impl PartialEq for SealedSecret {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.v, &self.wrap, &self.keys, &self.dk, &self.iv, &self.ct,
        ) == (
            &other.v,
            &other.wrap,
            &other.keys,
            &other.dk,
            &other.iv,
            &other.ct,
        )
    }
}

impl Eq for SealedSecret {}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedSecret(v{}, {:?})", self.v, self.wrap)
    }
}
