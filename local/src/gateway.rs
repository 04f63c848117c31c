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
use shared::authorizer::{ACCOUNT_CONTEXT_KEY, API_KEY_HEADER, AuthorizerError, account_for_key};
use shared::domain::AccountId;
use shared::http::{
    ApiError, Endpoint, REQUEST_ID_HEADER, RouteError, RouteMatch, handle, resolve,
};
use tokio::net::TcpListener;

use crate::connection::READ_TIMEOUT;
use crate::openapi::{DOCUMENT_PATH, document_text};

/// API Gateway's own payload limit; the endpoints enforce the API's 64 KiB themselves.
pub const GATEWAY_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// The stage name the local gateway reports in the request context.
pub const LOCAL_STAGE: &str = "local";

struct Gateway {
    state: AppState,
    /// How long a client may take to send a body.
    read_timeout: Duration,
}

/// The gateway as an axum router: every request goes through [`route_request`].
pub fn router(state: AppState, read_timeout: Duration) -> Router {
    Router::new()
        .fallback(route_request)
        .with_state(Arc::new(Gateway {
            state,
            read_timeout,
        }))
}

/// Serves the gateway on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, READ_TIMEOUT, shutdown).await
}

/// [`serve`] with another time limit for reading a request's head or body (tests use a short one).
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    read_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::connection::serve(
        listener,
        router(state, read_timeout),
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
    let rejected = |err: ApiError| {
        let response = err.into_response(&request_id);
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
        return openapi_response(&request_id);
    }
    // API Gateway's order: the route, then the authorizer, then the function.
    let route = match resolve(&parts.method, parts.uri.path()) {
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
    let key = parts
        .headers
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok());
    let account = match account_for_key(&state.store, key).await {
        Ok(account) => account,
        Err(AuthorizerError::Unauthorized) => return rejected(ApiError::Unauthorized),
        Err(AuthorizerError::Store(err)) => return rejected(ApiError::from(err)),
    };
    let endpoint = route.endpoint;
    let request = proxy_request(parts, bytes, route, &account, &request_id);
    into_axum(handle(state, endpoint, request).await)
}

fn openapi_response(request_id: &str) -> axum::response::Response {
    let mut response = axum::response::Response::new(axum::body::Body::from(document_text()));
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// The request API Gateway's REST proxy integration would give the function.
fn proxy_request(
    parts: axum::http::request::Parts,
    bytes: Bytes,
    route: RouteMatch,
    account: &AccountId,
    request_id: &str,
) -> lambda_http::Request {
    let mut context = ApiGatewayProxyRequestContext::default();
    context.request_id = Some(request_id.to_owned());
    context.http_method = parts.method.clone();
    context.resource_path = Some(route.resource_path);
    context.path = Some(parts.uri.path().to_owned());
    context.stage = Some(LOCAL_STAGE.to_owned());
    context.authorizer.fields = HashMap::from([
        (
            ACCOUNT_CONTEXT_KEY.to_owned(),
            serde_json::Value::from(account.as_str()),
        ),
        (
            "principalId".to_owned(),
            serde_json::Value::from(account.as_str()),
        ),
    ]);
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
    lambda_http::Request::from_parts(parts, body)
        .with_request_context(RequestContext::ApiGatewayV1(context))
        .with_path_parameters(path_parameters)
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

/// Which function serves which route, for the banner and for the template parity test.
pub fn routes() -> Vec<(String, String, &'static str)> {
    shared::http::routes::all_routes()
        .into_iter()
        .map(|(method, path, endpoint): (_, _, Endpoint)| {
            (method.to_string(), path, endpoint.function_name())
        })
        .collect()
}
