//! The API-key authorizer (docs/SPEC.md §2, §16, §24, §26): a REQUEST authorizer on `imageboss-api-key`
//! (on `Authorization: Bearer` on the imgix API, whose stage says so)
//! that resolves the key to its account, scope and id, and answers a policy for the whole stage
//! listing exactly the routes the key's scope covers (each route's scope is its catalog row's).
//! API Gateway caches that answer per key across routes, so it never depends on the route asked:
//! the routes outside it API Gateway refuses itself, 403 `ACCESS_DENIED`.

use std::time::Instant;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};

use crate::domain::KeyScope;
use crate::http::caller::{API_KEY_HEADER, AuthorizerError, Caller, bearer_key, caller_for_key};
use crate::http::dialect::{DIALECT_STAGE_VARIABLE, Dialect};
use crate::routes::{Endpoint, PREFIXES};
use crate::store::Store;
use lambda_http::http::header;

/// The authorizer Lambda's logic: the key's policy for the whole stage, with the account and the
/// key's id, label, scope and expiry in the context.
pub async fn authorize(
    store: &Store,
    event: ApiGatewayCustomAuthorizerRequestTypeRequest,
) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
    let started = Instant::now();
    // The imgix API's stage says so (docs/SPEC.md §24): its clients send `Authorization: Bearer`.
    let dialect = Dialect::of_stage_variable(
        event
            .stage_variables
            .get(DIALECT_STAGE_VARIABLE)
            .map(String::as_str),
    );
    let raw_key = match dialect {
        Dialect::Native => event.headers.get(API_KEY_HEADER),
        Dialect::Imgix => event.headers.get(header::AUTHORIZATION),
    }
    .and_then(|value| value.to_str().ok());
    let raw_key = match dialect {
        Dialect::Native => raw_key,
        Dialect::Imgix => bearer_key(raw_key),
    };
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

/// The routes a key of `scope` may call, as the resources of an `execute-api` policy under
/// `stage` (`arn:...:api-id/stage`): `<stage>/<METHOD>/<prefix><path>`, each `{param}` a `*`,
/// under every prefix.
pub fn allowed_resources(scope: KeyScope, stage: &str) -> Vec<String> {
    let mut resources = Vec::new();
    for endpoint in Endpoint::ALL
        .into_iter()
        .filter(|e| scope.covers(e.scope()))
    {
        let path: Vec<&str> = endpoint
            .resource()
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "*"
                } else {
                    segment
                }
            })
            .collect();
        for prefix in PREFIXES {
            resources.push(format!(
                "{stage}/{}/{}{}",
                endpoint.method(),
                prefix.trim_start_matches('/'),
                path.join("/")
            ));
        }
    }
    resources
}

/// Allows, on the stage the request came to, exactly the routes `caller`'s scope covers.
pub fn policy_for(caller: &Caller, method_arn: &str) -> ApiGatewayCustomAuthorizerResponse {
    let mut parts = method_arn.splitn(3, '/');
    let stage = match (parts.next(), parts.next()) {
        (Some(api), Some(stage)) => format!("{api}/{stage}"),
        _ => method_arn.to_owned(),
    };
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = IamPolicyEffect::Allow;
    statement.resource = allowed_resources(caller.scope, &stage);
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

    fn resources(scope: KeyScope, arn: &str) -> Vec<String> {
        let json = serde_json::to_value(policy_for(&caller(scope), arn)).unwrap();
        let statement = &json["policyDocument"]["Statement"][0];
        assert_eq!(statement["Effect"], "Allow");
        serde_json::from_value(statement["Resource"].clone()).unwrap()
    }

    #[test]
    fn an_admin_key_is_allowed_every_route_of_the_whole_stage_under_both_prefixes() {
        let all = resources(KeyScope::Admin, ARN);
        assert_eq!(all.len(), Endpoint::ALL.len() * PREFIXES.len());
        for resource in [
            "GET/v1/sources",
            "GET/api/v1/sources/*",
            "PATCH/v1/sources/*",
            "POST/v1/sources/*/verify",
            "GET/v1/sources/*/events",
            "GET/v1/api_key",
            "GET/v1/api_keys",
            "POST/api/v1/api_keys",
            "DELETE/v1/api_keys/*",
        ] {
            assert!(all.contains(&format!("{STAGE}/{resource}")), "{resource}");
        }
    }

    #[test]
    fn a_write_key_is_allowed_everything_but_managing_keys() {
        let write = resources(KeyScope::Write, ARN);
        assert!(write.contains(&format!("{STAGE}/DELETE/v1/sources/*")));
        assert!(write.contains(&format!("{STAGE}/GET/v1/api_keys")));
        assert!(
            write.iter().all(|r| !r.contains("POST/v1/api_keys")
                && !r.contains("/DELETE/v1/api_keys")
                && !r.contains("POST/api/v1/api_keys")
                && !r.contains("DELETE/api/v1/api_keys")),
            "{write:?}"
        );
        let json = serde_json::to_value(policy_for(&caller(KeyScope::Write), ARN)).unwrap();
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
            let read = resources(KeyScope::Read, arn);
            assert!(!read.is_empty());
            assert!(
                read.iter().all(|r| r.starts_with(&format!("{STAGE}/GET/"))),
                "{read:?}"
            );
        }
    }

    #[test]
    fn unauthorized_message_is_what_api_gateway_expects() {
        assert_eq!(AuthorizerError::Unauthorized.to_string(), "Unauthorized");
    }
}
