//! The DynamoDB client, configured as `crate::sdk` configures every AWS client.

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::Client;

use crate::sdk::{
    ClientSettings, Trust, configured_endpoint, full_chain_config, function_sdk_config,
    http_client, local_sdk_config,
};

/// The client for the admin command and other hosts: region, credentials and endpoint through the
/// SDK's full provider chain (environment, profiles, SSO, IMDS, ...).
pub async fn client_from_env(settings: ClientSettings) -> Client {
    Client::new(
        &full_chain_config(
            settings,
            configured_endpoint(DYNAMODB_ENDPOINT_VAR).as_deref(),
        )
        .await,
    )
}

/// The client for a Lambda function: see [`function_sdk_config`].
pub async fn function_client(settings: ClientSettings) -> Client {
    Client::new(&function_sdk_config(settings, DYNAMODB_ENDPOINT_VAR).await)
}

/// The environment variable that points the DynamoDB client elsewhere.
const DYNAMODB_ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_DYNAMODB";

/// A client that reaches nothing, for a function that calls no AWS service (`get-api-key`): no
/// region, no credentials, no endpoint, and an HTTPS client that trusts no authority. Building
/// it reads no environment and no trust store (the SDK's default HTTPS client loads the OS store:
/// it made such a function's init 3.6 x hello-world's in the benchmark); a call through it fails
/// at once, before any connection.
pub fn unreachable_client() -> Client {
    Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http_client(Trust::Nothing))
            .build(),
    )
}

/// A client for a local DynamoDB-compatible server, with static test credentials and a fixed region
/// so the SDK never looks for real ones.
pub fn local_client(endpoint_url: &str, settings: ClientSettings) -> Client {
    Client::from_conf(local_config(endpoint_url, settings).build())
}

/// The configuration behind [`local_client`], for callers that add to it (tests add interceptors).
pub fn local_config(
    endpoint_url: &str,
    settings: ClientSettings,
) -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::config::Builder::from(&local_sdk_config(endpoint_url, settings))
}
