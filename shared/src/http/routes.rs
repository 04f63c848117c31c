//! The API's routes (SPEC §1), in one table: the local gateway routes by it, and a test holds
//! `template.yaml` to it.

use lambda_http::http::Method;

/// The Lambda function behind each route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    ListSources,
    GetSource,
    CreateSource,
    UpdateSource,
    DeleteSource,
}

impl Endpoint {
    pub const ALL: [Endpoint; 5] = [
        Endpoint::ListSources,
        Endpoint::GetSource,
        Endpoint::CreateSource,
        Endpoint::UpdateSource,
        Endpoint::DeleteSource,
    ];

    /// The function's binary name in `functions/` and in `template.yaml`.
    pub fn function_name(&self) -> &'static str {
        match self {
            Endpoint::ListSources => "list-sources",
            Endpoint::GetSource => "get-source",
            Endpoint::CreateSource => "create-source",
            Endpoint::UpdateSource => "update-source",
            Endpoint::DeleteSource => "delete-source",
        }
    }

    pub fn method(&self) -> Method {
        match self {
            Endpoint::ListSources | Endpoint::GetSource => Method::GET,
            Endpoint::CreateSource => Method::POST,
            Endpoint::UpdateSource => Method::PATCH,
            Endpoint::DeleteSource => Method::DELETE,
        }
    }

    /// The DynamoDB actions this function's code calls: what `template.yaml` grants it, and nothing
    /// more (a test holds the template, this list and the requests the code sends together).
    pub fn dynamodb_actions(&self) -> &'static [&'static str] {
        match self {
            Endpoint::ListSources => &["dynamodb:Query"],
            Endpoint::GetSource => &["dynamodb:GetItem"],
            // GetItem: the name check on the error path.
            Endpoint::CreateSource => &["dynamodb:GetItem", "dynamodb:PutItem"],
            // DeleteItem: a rename releases the old name claim.
            Endpoint::UpdateSource => &[
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
            ],
            Endpoint::DeleteSource => &["dynamodb:DeleteItem", "dynamodb:GetItem"],
        }
    }

    /// The table's indexes this function's code queries: `template.yaml` grants its actions on
    /// them too, and on no other.
    pub fn dynamodb_indexes(&self) -> &'static [&'static str] {
        match self {
            Endpoint::ListSources => &[crate::store::table::NAME_INDEX],
            _ => &[],
        }
    }

    /// The resource path under a prefix, in API Gateway's `{param}` syntax.
    pub fn resource(&self) -> &'static str {
        match self {
            Endpoint::ListSources | Endpoint::CreateSource => "/sources",
            _ => "/sources/{id}",
        }
    }
}

/// Every route is served under both prefixes.
pub const PREFIXES: [&str; 2] = ["/v1", "/api/v1"];

/// A matched route: the endpoint, the resource template (`/v1/sources/{id}`) and the path id.
#[derive(Debug, PartialEq, Eq)]
pub struct RouteMatch {
    pub endpoint: Endpoint,
    pub resource_path: String,
    pub id: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum RouteError {
    NotFound,
    /// The path is known; these methods are allowed on it.
    MethodNotAllowed(Vec<Method>),
}

/// Every (method, resource path) pair the API serves, with its endpoint.
pub fn all_routes() -> Vec<(Method, String, Endpoint)> {
    PREFIXES
        .iter()
        .flat_map(|prefix| {
            Endpoint::ALL
                .iter()
                .map(move |e| (e.method(), format!("{prefix}{}", e.resource()), *e))
        })
        .collect()
}

/// Finds the route for `method` and `path` (no query string).
pub fn resolve(method: &Method, path: &str) -> Result<RouteMatch, RouteError> {
    let rest = PREFIXES
        .iter()
        .find_map(|prefix| path.strip_prefix(prefix).map(|rest| (*prefix, rest)));
    let Some((prefix, rest)) = rest else {
        return Err(RouteError::NotFound);
    };
    let (resource, id) = match rest.strip_prefix("/sources") {
        Some("") => ("/sources", None),
        Some(tail) => match tail.strip_prefix('/') {
            Some(id) if !id.is_empty() && !id.contains('/') => {
                ("/sources/{id}", Some(id.to_owned()))
            }
            _ => return Err(RouteError::NotFound),
        },
        None => return Err(RouteError::NotFound),
    };
    let candidates: Vec<Endpoint> = Endpoint::ALL
        .into_iter()
        .filter(|e| e.resource() == resource)
        .collect();
    match candidates.iter().find(|e| e.method() == method) {
        Some(endpoint) => Ok(RouteMatch {
            endpoint: *endpoint,
            resource_path: format!("{prefix}{resource}"),
            id,
        }),
        None => Err(RouteError::MethodNotAllowed(
            candidates.iter().map(Endpoint::method).collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_both_prefixes() {
        for prefix in PREFIXES {
            let list = resolve(&Method::GET, &format!("{prefix}/sources")).unwrap();
            assert_eq!(list.endpoint, Endpoint::ListSources);
            assert_eq!(list.resource_path, format!("{prefix}/sources"));
            let one = resolve(&Method::PATCH, &format!("{prefix}/sources/abc")).unwrap();
            assert_eq!(one.endpoint, Endpoint::UpdateSource);
            assert_eq!(one.id.as_deref(), Some("abc"));
            assert_eq!(one.resource_path, format!("{prefix}/sources/{{id}}"));
        }
    }

    #[test]
    fn unknown_paths_and_methods() {
        assert_eq!(
            resolve(&Method::GET, "/v2/sources"),
            Err(RouteError::NotFound)
        );
        assert_eq!(
            resolve(&Method::GET, "/v1/sourcesx"),
            Err(RouteError::NotFound)
        );
        assert_eq!(
            resolve(&Method::GET, "/v1/sources/a/b"),
            Err(RouteError::NotFound)
        );
        assert_eq!(
            resolve(&Method::GET, "/v1/sources/"),
            Err(RouteError::NotFound)
        );
        assert_eq!(
            resolve(&Method::PUT, "/v1/sources/x"),
            Err(RouteError::MethodNotAllowed(vec![
                Method::GET,
                Method::PATCH,
                Method::DELETE
            ]))
        );
        assert_eq!(
            resolve(&Method::DELETE, "/api/v1/sources"),
            Err(RouteError::MethodNotAllowed(vec![
                Method::GET,
                Method::POST
            ]))
        );
    }

    #[test]
    fn ten_routes() {
        assert_eq!(all_routes().len(), 10);
    }
}
