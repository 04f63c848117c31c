//! The API-key authorizer (docs/SPEC.md §2, §16): a REQUEST authorizer on `imageboss-api-key` that
//! resolves the key to its account, scope and id, and answers a policy for the whole stage listing
//! exactly the methods the key's scope allows. API Gateway caches that answer per key across
//! routes, so it never depends on the route asked: the methods outside it API Gateway refuses
//! itself, 403 `ACCESS_DENIED`.

use std::time::Instant;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use lambda_http::http::Method;

use crate::http::caller::{API_KEY_HEADER, AuthorizerError, Caller, caller_for_key};
use crate::routes::Endpoint;
use crate::store::Store;

/// The authorizer Lambda's logic: the key's policy for the whole stage, with the account and the
/// key's id, label, scope and expiry in the context.
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
    let outcome = caller_for_key(store, raw_key).await;
    let decision = match &outcome {
        Ok(_) => "allow",
        Err(AuthorizerError::Unauthorized) => "deny",
        Err(AuthorizerError::Store(_)) => "error",
    };
    tracing::info!(
        decision,
        account_id = %outcome.as_ref().map(|c| c.account.to_string()).unwrap_or_default(),
        scope = outcome.as_ref().map(|c| c.scope.as_str()).unwrap_or_default(),
        request_id = %request_id,
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "authorizer"
    );
    let caller = outcome?;
    Ok(policy_for(
        &caller,
        event.method_arn.as_deref().unwrap_or_default(),
    ))
}

/// The methods the API serves, each once, in the routes table's order.
pub fn served_methods() -> Vec<Method> {
    let mut methods: Vec<Method> = Vec::new();
    for endpoint in Endpoint::ALL {
        let method = endpoint.method();
        if !methods.contains(&method) {
            methods.push(method);
        }
    }
    methods
}

/// Allows, on every path of the stage the request came to, exactly the methods `caller`'s scope
/// allows: `arn:...:api-id/stage/GET/*`, ...
pub fn policy_for(caller: &Caller, method_arn: &str) -> ApiGatewayCustomAuthorizerResponse {
    let mut parts = method_arn.splitn(3, '/');
    let stage = match (parts.next(), parts.next()) {
        (Some(api), Some(stage)) => format!("{api}/{stage}"),
        _ => method_arn.to_owned(),
    };
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = IamPolicyEffect::Allow;
    statement.resource = served_methods()
        .into_iter()
        .filter(|method| caller.scope.allows(method))
        .map(|method| format!("{stage}/{method}/*"))
        .collect();
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![statement];
    let mut response = ApiGatewayCustomAuthorizerResponse::default();
    response.principal_id = Some(caller.account.to_string());
    response.policy_document = policy;
    response.context = serde_json::Value::Object(caller.context());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, KeyScope, Timestamp};
    use crate::http::caller::{KEY_EXPIRES_AT_CONTEXT_KEY, KEY_SCOPE_CONTEXT_KEY};

    fn caller(scope: KeyScope) -> Caller {
        Caller {
            account: AccountId::parse("acct-1").unwrap(),
            scope,
            key_id: "0123456789abcdef".into(),
            key_label: "ci".into(),
            expires_at: None,
        }
    }

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/v1/sources";
    const STAGE: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod";

    #[test]
    fn a_write_key_is_allowed_every_method_of_the_whole_stage() {
        let json = serde_json::to_value(policy_for(&caller(KeyScope::Write), ARN)).unwrap();
        let statement = &json["policyDocument"]["Statement"][0];
        assert_eq!(statement["Effect"], "Allow");
        assert_eq!(
            statement["Resource"],
            serde_json::json!([
                format!("{STAGE}/GET/*"),
                format!("{STAGE}/POST/*"),
                format!("{STAGE}/PATCH/*"),
                format!("{STAGE}/DELETE/*"),
            ])
        );
        assert_eq!(json["principalId"], "acct-1");
        assert_eq!(
            json["context"],
            serde_json::json!({"accountId": "acct-1", "apiKeyId": "0123456789abcdef",
                "apiKeyLabel": "ci", "apiKeyScope": "write"})
        );
    }

    #[test]
    fn the_context_reads_back_as_the_caller_it_was_made_from() {
        let expiring = Caller {
            expires_at: Timestamp::parse("2027-01-02T03:04:05Z"),
            ..caller(KeyScope::Read)
        };
        for caller in [caller(KeyScope::Write), expiring] {
            let context = caller.context().into_iter().collect();
            assert_eq!(Caller::from_context(&context), Some(caller));
        }
        let mut context: std::collections::HashMap<_, _> =
            caller(KeyScope::Read).context().into_iter().collect();
        context.insert(KEY_EXPIRES_AT_CONTEXT_KEY.into(), "tomorrow".into());
        assert_eq!(Caller::from_context(&context), None, "a malformed expiry");
        context.remove(KEY_EXPIRES_AT_CONTEXT_KEY);
        context.remove(KEY_SCOPE_CONTEXT_KEY);
        assert_eq!(Caller::from_context(&context), None, "no scope");
    }

    #[test]
    fn a_read_key_is_allowed_get_only_whatever_route_it_came_on() {
        for arn in [ARN, &format!("{STAGE}/DELETE/v1/sources/abc")] {
            let json = serde_json::to_value(policy_for(&caller(KeyScope::Read), arn)).unwrap();
            assert_eq!(
                json["policyDocument"]["Statement"][0]["Resource"],
                serde_json::json!([format!("{STAGE}/GET/*")])
            );
        }
    }

    #[test]
    fn unauthorized_message_is_what_api_gateway_expects() {
        assert_eq!(AuthorizerError::Unauthorized.to_string(), "Unauthorized");
    }
}
