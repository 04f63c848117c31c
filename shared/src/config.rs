//! What a function needs, built once per execution environment.

use thiserror::Error;

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
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("environment variable {TABLE_NAME_VAR} is not set")]
    MissingTableName,
}

impl AppState {
    /// With the verifier the environment configures (`verify::VerifySettings::from_env`).
    pub fn new(store: Store) -> Self {
        Self {
            store,
            verifier: Verifier::from_env(),
        }
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
        Ok(Self::new(Store::new(client, table)))
    }
}
