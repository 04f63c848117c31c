//! What the command suites share: the binary with the environment that would point it elsewhere
//! removed, a free port, and an embedded DynamoDB holding a table.

use std::net::{Ipv4Addr, TcpListener};
use std::process::Command;

use shared::store::{ClientSettings, Store, local_client, table};

/// `image-sources`, as built for this test run, without the variables that choose another
/// DynamoDB, table or KMS: each test names what it means.
pub fn cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_image-sources"));
    command
        .env_remove("DYNAMODB_ENDPOINT")
        .env_remove("TABLE_NAME")
        .env_remove("AWS_ENDPOINT_URL_KMS")
        .env_remove("CDN_BASE_URL")
        .env_remove("CDN_SUBDOMAIN_ZONE")
        .env_remove("CDN_CNAME_TARGET");
    command
}

/// A port where nothing listens.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An in-memory embedded DynamoDB on a port of its own, with the table `table`: its endpoint
/// and the store on it.
pub async fn embedded_table(table: &str) -> (String, Store) {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let endpoint =
        image_sources::embedded::spawn(listener, dynoxide::Database::memory().unwrap()).unwrap();
    let client = local_client(&endpoint, ClientSettings::default());
    table::ensure_table(&client, table).await.unwrap();
    (endpoint, Store::new(client, table))
}
