//! The API's routes (docs/SPEC.md §1): the endpoints, each a route of a row of
//! [`crate::catalog`], and the matching the local gateway routes by.

use lambda_http::http::Method;

pub use crate::catalog::Endpoint;

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
    let Some((resource, id)) = Endpoint::ALL
        .iter()
        .find_map(|e| match_resource(e.resource(), rest).map(|id| (e.resource(), id)))
    else {
        return Err(RouteError::NotFound);
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

/// Whether `path` is an instance of the resource `template` (`/sources/{id}/...`): segment by
/// segment, `{id}` standing for any one non-empty segment, which is returned.
fn match_resource(template: &str, path: &str) -> Option<Option<String>> {
    let mut id = None;
    let mut segments = path.split('/');
    for expected in template.split('/') {
        let segment = segments.next()?;
        if expected == "{id}" {
            if segment.is_empty() {
                return None;
            }
            id = Some(segment.to_owned());
        } else if segment != expected {
            return None;
        }
    }
    segments.next().is_none().then_some(id)
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
    fn twenty_six_routes() {
        // 13 endpoints under 2 prefixes.
        assert_eq!(all_routes().len(), 26);
        let key = resolve(&Method::DELETE, "/api/v1/api_keys/0123456789abcdef").unwrap();
        assert_eq!(key.endpoint, Endpoint::RevokeApiKey);
        let keys = resolve(&Method::POST, "/v1/api_keys").unwrap();
        assert_eq!(keys.endpoint, Endpoint::CreateApiKey);
        let calling = resolve(&Method::GET, "/v1/api_key").unwrap();
        assert_eq!(calling.endpoint, Endpoint::GetApiKey);
    }

    #[test]
    fn the_event_routes_are_one_function() {
        assert_eq!(
            Endpoint::served_by("list-events"),
            [Endpoint::ListSourceEvents, Endpoint::ListEvents]
        );
        let events = resolve(&Method::GET, "/api/v1/events").unwrap();
        assert_eq!(events.endpoint, Endpoint::ListEvents);
        let of_source = resolve(&Method::GET, "/v1/sources/abc/events").unwrap();
        assert_eq!(of_source.endpoint, Endpoint::ListSourceEvents);
        assert_eq!(of_source.id.as_deref(), Some("abc"));
    }

    #[test]
    fn the_rotation_route_takes_an_id() {
        let rotate = resolve(&Method::POST, "/api/v1/sources/abc/rotate_secret_token").unwrap();
        assert_eq!(rotate.endpoint, Endpoint::RotateSecretToken);
        assert_eq!(rotate.id.as_deref(), Some("abc"));
        assert_eq!(
            rotate.resource_path,
            "/api/v1/sources/{id}/rotate_secret_token"
        );
        assert_eq!(
            resolve(&Method::GET, "/v1/sources/abc/rotate_secret_token"),
            Err(RouteError::MethodNotAllowed(vec![Method::POST]))
        );
        for path in [
            "/v1/sources//rotate_secret_token",
            "/v1/sources/abc/rotate_secret_token/",
            "/v1/sources/abc/rotate",
        ] {
            assert_eq!(
                resolve(&Method::POST, path),
                Err(RouteError::NotFound),
                "{path}"
            );
        }
    }
}
