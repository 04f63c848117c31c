//! The DynamoDB store (SPEC §9): one table, sources in their account's partition, a global name
//! claim per source name, API keys by SHA-256.

mod api_keys;
mod client;
mod error;
mod items;
mod sources;
pub mod table;

pub use api_keys::ApiKeyRecord;
pub use client::{ClientSettings, client_from_env, local_client, local_config};
pub use error::StoreError;
pub use sources::UpdateOutcome;

use aws_sdk_dynamodb::Client;

/// The table behind the API. Cheap to clone; build it once per execution environment.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }
}
