//! The API-key authorizer (SPEC §2): a REQUEST authorizer on `imageboss-api-key` that resolves the
//! key to an account and allows the whole API, so API Gateway's cached answer serves every route.

use std::time::Instant;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use thiserror::Error;

use crate::domain::{AccountId, ApiKey};
use crate::store::{Store, StoreError};

pub const API_KEY_HEADER: &str = "imageboss-api-key";
/// The DynamoDB actions the authorizer calls (see `Endpoint::dynamodb_actions`).
pub const DYNAMODB_ACTIONS: &[&str] = &["dynamodb:GetItem"];
/// The authorizer function's binary name.
pub const FUNCTION_NAME: &str = "authorizer";
/// The authorizer context key the endpoint functions read the account from.
pub const ACCOUNT_CONTEXT_KEY: &str = "accountId";

#[derive(Debug, Error)]
pub enum AuthorizerError {
    /// API Gateway turns exactly this message into a 401.
    #[error("Unauthorized")]
    Unauthorized,
    #[error("the API key could not be checked")]
    Store(#[from] StoreError),
}

/// The account behind `raw_key`; missing, unknown and revoked keys are all `Unauthorized`.
pub async fn account_for_key(
    store: &Store,
    raw_key: Option<&str>,
) -> Result<AccountId, AuthorizerError> {
    let key = raw_key
        .and_then(ApiKey::from_header)
        .ok_or(AuthorizerError::Unauthorized)?;
    match store.find_api_key(&key.hash()).await? {
        Some(record) if !record.revoked => Ok(record.account_id),
        _ => Err(AuthorizerError::Unauthorized),
    }
}

/// The authorizer Lambda's logic: an Allow policy for the whole API, with the account in the context.
pub async fn authorize(
    store: &Store,
    event: ApiGatewayCustomAuthorizerRequestTypeRequest,
) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
    let started = Instant::now();
    let raw_key = event
        .headers
        .get(API_KEY_HEADER)
        .and_then(|value| value.to_str().ok());
    let request_id = event.request_context.request_id.clone().unwrap_or_default();
    let outcome = account_for_key(store, raw_key).await;
    let decision = match &outcome {
        Ok(_) => "allow",
        Err(AuthorizerError::Unauthorized) => "deny",
        Err(AuthorizerError::Store(_)) => "error",
    };
    tracing::info!(
        decision,
        account_id = %outcome.as_ref().map(ToString::to_string).unwrap_or_default(),
        request_id = %request_id,
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "authorizer"
    );
    let account = outcome?;
    Ok(allow_all(
        &account,
        event.method_arn.as_deref().unwrap_or_default(),
    ))
}

/// Allows every method and path of the stage the request came to: `arn:...:api-id/stage/*`.
pub fn allow_all(account: &AccountId, method_arn: &str) -> ApiGatewayCustomAuthorizerResponse {
    let mut parts = method_arn.splitn(3, '/');
    let resource = match (parts.next(), parts.next()) {
        (Some(api), Some(stage)) => format!("{api}/{stage}/*"),
        _ => method_arn.to_owned(),
    };
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = IamPolicyEffect::Allow;
    statement.resource = vec![resource];
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![statement];
    let mut response = ApiGatewayCustomAuthorizerResponse::default();
    response.principal_id = Some(account.to_string());
    response.policy_document = policy;
    response.context = serde_json::json!({ ACCOUNT_CONTEXT_KEY: account.as_str() });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_whole_stage() {
        let account = AccountId::parse("acct-1").unwrap();
        let response = allow_all(
            &account,
            "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/v1/sources",
        );
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(
            json["policyDocument"]["Statement"][0]["Resource"][0],
            "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/*"
        );
        assert_eq!(json["policyDocument"]["Statement"][0]["Effect"], "Allow");
        assert_eq!(json["context"]["accountId"], "acct-1");
        assert_eq!(json["principalId"], "acct-1");
    }

    #[test]
    fn unauthorized_message_is_what_api_gateway_expects() {
        assert_eq!(AuthorizerError::Unauthorized.to_string(), "Unauthorized");
    }
}
