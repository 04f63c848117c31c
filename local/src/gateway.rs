//! The local stand-in for API Gateway: routing, the authorizer, and the REST proxy request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::apigw::ApiGatewayProxyRequestContext;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use shared::AppState;
use shared::functions::console::ConsolePath;
use shared::functions::dispatch;
use shared::http::caller::{API_KEY_HEADER, AuthorizerError, Caller, bearer_key, caller_for_key};
use shared::http::dialect::{DIALECT_STAGE_VARIABLE, IMGIX_DIALECT};
use shared::http::{ApiError, Dialect, Endpoint, RouteError, RouteMatch, imgix, resolve, response};
use tokio::net::TcpListener;

use crate::connection::READ_TIMEOUT;
use crate::openapi::{DOCUMENT_PATH, document_text};

/// API Gateway's own payload limit; the endpoints enforce the API's 64 KiB themselves.
pub const GATEWAY_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Lambda's limit on a synchronous invocation's response payload, "6 MB": the bytes its error
/// names ("Response payload size (6291557 bytes) exceeded maximum allowed payload size (6291556
/// bytes)"). Over it the invocation fails and API Gateway answers 502.
pub const LAMBDA_MAX_RESPONSE_BYTES: usize = 6_291_556;
/// The stage name the local gateway reports in the request context.
pub const LOCAL_STAGE: &str = "local";

struct Gateway {
    state: AppState,
    /// How long a client may take to send a body.
    read_timeout: Duration,
    /// The API this gateway stands in for: the native one, or the imgix dialect's own API
    /// (docs/SPEC.md §24), whose stage variable it sets on every request.
    dialect: Dialect,
}

/// The gateway as an axum router: every request goes through [`route_request`].
pub fn router(state: AppState, read_timeout: Duration, dialect: Dialect) -> Router {
    Router::new()
        .fallback(route_request)
        .with_state(Arc::new(Gateway {
            state,
            read_timeout,
            dialect,
        }))
}

/// Serves the gateway of `dialect` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    dialect: Dialect,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, dialect, READ_TIMEOUT, shutdown).await
}

/// [`serve`] with another time limit for reading a request's head or body (tests use a short one).
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    dialect: Dialect,
    read_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::connection::serve(
        listener,
        router(state, read_timeout, dialect),
        read_timeout,
        shutdown,
    )
    .await
}

async fn route_request(
    State(gateway): State<Arc<Gateway>>,
    req: axum::extract::Request,
) -> axum::response::Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = req.into_parts();
    let dialect = gateway.dialect;
    let rejected = |err: ApiError| {
        // API Gateway's gateway responses, in the dialect's shape (template.yaml sets them).
        let response = response::dialect_error(dialect, err, &request_id, None);
        tracing::info!(
            method = %parts.method,
            route = "-",
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            account_id = "",
            request_id = %request_id,
            "request"
        );
        into_axum(response)
    };

    // The published contract, without a key (the deployed API does not serve it).
    if parts.uri.path() == DOCUMENT_PATH && parts.method == axum::http::Method::GET {
        return openapi_response(dialect, &request_id);
    }
    // The console's files (docs/SPEC.md §20): no key, as the `console` function's routes have no
    // authorizer.
    if dialect == Dialect::Native
        && let Some(path) = ConsolePath::of_local(parts.uri.path())
    {
        let response = shared::functions::console::respond(&parts.method, path, &request_id);
        tracing::info!(
            method = %parts.method,
            route = shared::catalog::CONSOLE.first_path(),
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            account_id = "",
            request_id = %request_id,
            "request"
        );
        return into_axum(response);
    }
    // API Gateway's order: the route, then the authorizer, then the function.
    let resolved = match dialect {
        Dialect::Native => resolve(&parts.method, parts.uri.path()),
        Dialect::Imgix => imgix::resolve(&parts.method, parts.uri.path()),
    };
    let route = match resolved {
        Ok(route) => route,
        Err(RouteError::NotFound) => return rejected(ApiError::RouteNotFound),
        Err(RouteError::MethodNotAllowed(allowed)) => {
            return rejected(ApiError::MethodNotAllowed(allowed));
        }
    };
    // A body that never arrives in full (a Content-Length that promises more) must not hold the
    // request open for as long as the client likes.
    let state = &gateway.state;
    let bytes = match tokio::time::timeout(
        gateway.read_timeout,
        axum::body::to_bytes(body, GATEWAY_MAX_BODY_BYTES),
    )
    .await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return rejected(ApiError::PayloadTooLarge),
        Err(_) => return rejected(ApiError::RequestTimeout),
    };
    let key = match dialect {
        Dialect::Native => parts
            .headers
            .get(API_KEY_HEADER)
            .and_then(|v| v.to_str().ok()),
        Dialect::Imgix => bearer_key(
            parts
                .headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
        ),
    };
    let caller = match caller_for_key(&state.store, key).await {
        Ok(caller) => caller,
        Err(AuthorizerError::Unauthorized) => return rejected(ApiError::Unauthorized),
        Err(AuthorizerError::Store(err)) => return rejected(ApiError::from(err)),
    };
    // What API Gateway does with the authorizer's policy: a route outside the key's scope never
    // reaches a function.
    let endpoint = route.endpoint;
    if !caller.scope.covers(endpoint.scope()) {
        return rejected(ApiError::Forbidden);
    }
    let request = proxy_request(parts, bytes, route, &caller, &request_id, dialect);
    let response = dispatch(state, endpoint, request).await;
    into_axum(within_lambda_limit(response, &request_id, dialect))
}

/// `response`, or the 502 API Gateway answers in its place when it is over Lambda's limit.
pub fn within_lambda_limit(
    response: lambda_http::Response<Body>,
    request_id: &str,
    dialect: Dialect,
) -> lambda_http::Response<Body> {
    let payload = response_payload_bytes(&response);
    if payload <= LAMBDA_MAX_RESPONSE_BYTES {
        return response;
    }
    tracing::error!(
        request_id = %request_id,
        payload_bytes = payload,
        limit_bytes = LAMBDA_MAX_RESPONSE_BYTES,
        "the function's response is over Lambda's payload limit; API Gateway answers 502"
    );
    response::dialect_error(dialect, ApiError::ResponseTooLarge, request_id, None)
}

/// The size of the payload Lambda would receive for `response`: the REST proxy response as
/// `lambda_http` serializes it (the body as a JSON string, the headers as `multiValueHeaders`).
pub fn response_payload_bytes(response: &lambda_http::Response<Body>) -> usize {
    let mut payload = aws_lambda_events::apigw::ApiGatewayProxyResponse::default();
    payload.status_code = i64::from(response.status().as_u16());
    payload.multi_value_headers = response.headers().clone();
    payload.is_base64_encoded = matches!(response.body(), Body::Binary(_));
    payload.body = match response.body() {
        Body::Empty => None,
        body => Some(body.clone()),
    };
    serde_json::to_vec(&payload).map_or(usize::MAX, |bytes| bytes.len())
}

fn openapi_response(dialect: Dialect, request_id: &str) -> axum::response::Response {
    let text = match dialect {
        Dialect::Native => document_text(),
        Dialect::Imgix => crate::openapi::imgix_document_text(),
    };
    into_axum(response::json_text(
        lambda_http::http::StatusCode::OK,
        text.to_owned(),
        request_id,
    ))
}

/// The request API Gateway's REST proxy integration would give the function.
fn proxy_request(
    parts: axum::http::request::Parts,
    bytes: Bytes,
    route: RouteMatch,
    caller: &Caller,
    request_id: &str,
    dialect: Dialect,
) -> lambda_http::Request {
    let mut context = ApiGatewayProxyRequestContext::default();
    context.request_id = Some(request_id.to_owned());
    context.http_method = parts.method.clone();
    context.resource_path = Some(route.resource_path);
    context.path = Some(parts.uri.path().to_owned());
    context.stage = Some(LOCAL_STAGE.to_owned());
    // What the authorizer answers API Gateway, plus the principal API Gateway adds.
    context.authorizer.fields = caller.context().into_iter().collect();
    context.authorizer.fields.insert(
        "principalId".to_owned(),
        serde_json::Value::from(caller.account.as_str()),
    );
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(err) => Body::Binary(err.into_bytes()),
        }
    };
    let path_parameters: HashMap<String, String> = route
        .id
        .map(|id| ("id".to_owned(), id))
        .into_iter()
        .collect();
    let query = query_parameters(parts.uri.query());
    // The stage variables of the API the request came through.
    let stage_variables: HashMap<String, String> = match dialect {
        Dialect::Native => HashMap::new(),
        Dialect::Imgix => {
            HashMap::from([(DIALECT_STAGE_VARIABLE.to_owned(), IMGIX_DIALECT.to_owned())])
        }
    };
    lambda_http::Request::from_parts(parts, body)
        .with_request_context(RequestContext::ApiGatewayV1(context))
        .with_path_parameters(path_parameters)
        .with_query_string_parameters(query)
        .with_stage_variables(stage_variables)
}

/// The query string as API Gateway hands it to the function: every value of each parameter,
/// percent-decoded.
fn query_parameters(query: Option<&str>) -> HashMap<String, Vec<String>> {
    let mut parameters: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        parameters
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    parameters
}

fn into_axum(response: lambda_http::Response<Body>) -> axum::response::Response {
    let (parts, body) = response.into_parts();
    let body = match body {
        Body::Text(text) => axum::body::Body::from(text),
        Body::Binary(bytes) => axum::body::Body::from(bytes),
        _ => axum::body::Body::empty(),
    };
    axum::response::Response::from_parts(parts, body)
}

/// Which function serves which route, for the banner and for the template parity test: the API's,
/// then the console's (served without a key).
pub fn routes() -> Vec<(String, String, &'static str)> {
    let public = shared::catalog::CATALOG.iter().flat_map(|function| {
        function.public_paths().iter().map(|path| {
            (
                shared::catalog::PUBLIC_METHOD.to_owned(),
                (*path).to_owned(),
                function.name,
            )
        })
    });
    shared::routes::all_routes()
        .into_iter()
        .map(|(method, path, endpoint): (_, _, Endpoint)| {
            (method.to_string(), path, endpoint.function_name())
        })
        .chain(public)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::http::{REQUEST_ID_HEADER, json_response};

    fn text_response(body: String) -> lambda_http::Response<Body> {
        let mut response = lambda_http::Response::new(Body::Text(body));
        response
            .headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        response
    }

    #[test]
    fn the_payload_counts_the_body_as_a_json_string_with_the_headers() {
        let plain = response_payload_bytes(&text_response("a".repeat(1000)));
        let quoted = response_payload_bytes(&text_response("\"".repeat(1000)));
        assert_eq!(quoted - plain, 1000, "each quote is escaped in the payload");
        let envelope = response_payload_bytes(&text_response(String::new()));
        assert_eq!(plain, envelope + 1000, "the body counts once, as given");
    }

    #[test]
    fn a_response_over_lambdas_limit_becomes_apigateways_502() {
        let envelope = response_payload_bytes(&text_response(String::new()));
        let at_limit = text_response("a".repeat(LAMBDA_MAX_RESPONSE_BYTES - envelope));
        assert_eq!(response_payload_bytes(&at_limit), LAMBDA_MAX_RESPONSE_BYTES);
        assert_eq!(
            within_lambda_limit(at_limit, "r", Dialect::Native).status(),
            200
        );

        let over = text_response("a".repeat(LAMBDA_MAX_RESPONSE_BYTES - envelope + 1));
        let answer = within_lambda_limit(over, "r", Dialect::Native);
        assert_eq!(answer.status(), 502);
        let expected = json_response(
            lambda_http::http::StatusCode::BAD_GATEWAY,
            &serde_json::json!({"errors": ["Internal server error"]}),
            "r",
        );
        assert_eq!(answer.body(), expected.body());
        assert_eq!(answer.headers().get(REQUEST_ID_HEADER).unwrap(), "r");
    }

    #[test]
    fn query_parameters_are_decoded_with_every_value() {
        let parameters =
            query_parameters(Some("limit=5&q=a%2Db&limit=6&flag&source_type=s3%2Curl"));
        assert_eq!(parameters["limit"], ["5", "6"]);
        assert_eq!(parameters["q"], ["a-b"]);
        assert_eq!(parameters["flag"], [""]);
        assert_eq!(parameters["source_type"], ["s3,url"]);
        assert!(query_parameters(None).is_empty());
    }
}
