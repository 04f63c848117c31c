//! What a function needs, built once per execution environment.

use std::sync::Arc;

use thiserror::Error;

use crate::domain::urls::{CdnSettingError, CdnSettings};
use crate::sealing::{Keys, KmsKeys, SEALING_KEY_ID_VAR};
use crate::store::{ClientSettings, Store, function_client};
use crate::verify::Verifier;

/// The environment variable naming the table.
pub const TABLE_NAME_VAR: &str = "TABLE_NAME";

/// Shared by every request an execution environment serves.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    /// Reaches the storage for `verify` and `?verify=true` (docs/SPEC.md §14).
    pub verifier: Verifier,
    /// What seals and opens storage secrets (docs/SPEC.md §21); `None` in the functions that
    /// never do (`routes::Endpoint::key_use`).
    pub keys: Option<Arc<Keys>>,
    /// Where the CDN serves sources, for their `urls` (docs/SPEC.md §25).
    pub cdn: CdnSettings,
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("environment variable {TABLE_NAME_VAR} is not set")]
    MissingTableName,
    #[error("environment variable {SEALING_KEY_ID_VAR} is not set")]
    MissingSealingKey,
    #[error("{0}")]
    Cdn(#[from] CdnSettingError),
}

impl AppState {
    /// With the verifier the environment configures (`verify::VerifySettings::from_env`).
    pub fn new(store: Store) -> Self {
        Self {
            store,
            verifier: Verifier::from_env(),
            keys: None,
            cdn: CdnSettings::default(),
        }
    }

    pub fn with_cdn(mut self, cdn: CdnSettings) -> Self {
        self.cdn = cdn;
        self
    }

    pub fn with_keys(mut self, keys: impl Into<Arc<Keys>>) -> Self {
        self.keys = Some(keys.into());
        self
    }

    /// The keys, for `crate::sealing`'s functions.
    pub fn keys(&self) -> Option<&Keys> {
        self.keys.as_deref()
    }

    pub fn with_verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = verifier;
        self
    }

    /// For Lambda: the table from `TABLE_NAME`, the client from the standard AWS environment.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let table = std::env::var(TABLE_NAME_VAR)
            .ok()
            .filter(|t| !t.is_empty())
            .ok_or(ConfigError::MissingTableName)?;
        let client = function_client(ClientSettings::default()).await;
        Ok(Self::new(Store::new(client, table)).with_cdn(CdnSettings::from_env()?))
    }

    /// For a function that calls no AWS service (`get-api-key`, docs/SPEC.md §19): no table name
    /// and no credentials are read, and its store's client reaches nothing
    /// ([`crate::store::unreachable_client`]). None is called: `Endpoint::dynamodb_actions` is
    /// empty, and a test counts the requests each handler sends.
    pub fn without_table() -> Self {
        Self::new(Store::new(crate::store::unreachable_client(), ""))
    }

    /// [`AppState::from_env`] with the KMS keys (`SEALING_KEY_ID`, `FINGERPRINT_KEY_ID`): for the
    /// functions that seal or open.
    pub async fn from_env_with_keys() -> Result<Self, ConfigError> {
        let state = Self::from_env().await?;
        let keys = KmsKeys::from_env(ClientSettings::default())
            .await
            .ok_or(ConfigError::MissingSealingKey)?;
        Ok(state.with_keys(Keys::kms(keys)))
    }
}
