use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{Credentials, Region};

/// Timeouts and retries of the DynamoDB client. The defaults keep a whole request, retries
/// included, under 3 s, well below the functions' timeout.
#[derive(Clone, Copy, Debug)]
pub struct ClientSettings {
    pub connect_timeout: Duration,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
    /// The SDK's standard retry mode, with this many attempts in all.
    pub max_attempts: u32,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_millis(1_000),
            attempt_timeout: Duration::from_millis(1_500),
            operation_timeout: Duration::from_millis(2_500),
            max_attempts: 3,
        }
    }
}

impl ClientSettings {
    fn timeouts(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .operation_attempt_timeout(self.attempt_timeout)
            .operation_timeout(self.operation_timeout)
            .build()
    }

    /// Short backoffs, so that throttling of a few requests is absorbed within the operation timeout.
    fn retries(&self) -> RetryConfig {
        RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(Duration::from_millis(50))
            .with_max_backoff(Duration::from_millis(500))
    }
}

/// The client for Lambda: region, credentials and endpoint from the standard AWS environment
/// (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, ...).
pub async fn client_from_env(settings: ClientSettings) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(settings.timeouts())
        .retry_config(settings.retries())
        .load()
        .await;
    Client::new(&config)
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
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint_url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "image-sources-local",
        ))
        .timeout_config(settings.timeouts())
        .retry_config(settings.retries())
}
