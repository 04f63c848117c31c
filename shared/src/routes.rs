//! The API's routes (docs/SPEC.md §1), in one table: the local gateway routes by it, and a test holds
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
    RotateSecretToken,
    /// One source's audit events (docs/SPEC.md §17).
    ListSourceEvents,
    /// The account's audit events.
    ListEvents,
    /// Checks a source's credentials against its storage (docs/SPEC.md §14).
    VerifySource,
    /// The calling key (docs/SPEC.md §19).
    GetApiKey,
}

impl Endpoint {
    pub const ALL: [Endpoint; 10] = [
        Endpoint::ListSources,
        Endpoint::GetSource,
        Endpoint::CreateSource,
        Endpoint::UpdateSource,
        Endpoint::DeleteSource,
        Endpoint::RotateSecretToken,
        Endpoint::ListSourceEvents,
        Endpoint::ListEvents,
        Endpoint::VerifySource,
        Endpoint::GetApiKey,
    ];

    /// The endpoints `function` serves (one function may serve several routes).
    pub fn served_by(function: &str) -> Vec<Endpoint> {
        Self::ALL
            .into_iter()
            .filter(|e| e.function_name() == function)
            .collect()
    }

    /// The function's binary name in `functions/` and in `template.yaml`.
    pub fn function_name(&self) -> &'static str {
        match self {
            Endpoint::ListSources => "list-sources",
            Endpoint::GetSource => "get-source",
            Endpoint::CreateSource => "create-source",
            Endpoint::UpdateSource => "update-source",
            Endpoint::DeleteSource => "delete-source",
            Endpoint::RotateSecretToken => "rotate-secret-token",
            // Both event listings: one function, one cold start for either.
            Endpoint::ListSourceEvents | Endpoint::ListEvents => "list-events",
            Endpoint::VerifySource => "verify-source",
            Endpoint::GetApiKey => "get-api-key",
        }
    }

    pub fn method(&self) -> Method {
        match self {
            Endpoint::ListSources
            | Endpoint::GetSource
            | Endpoint::ListSourceEvents
            | Endpoint::ListEvents
            | Endpoint::GetApiKey => Method::GET,
            Endpoint::CreateSource | Endpoint::RotateSecretToken | Endpoint::VerifySource => {
                Method::POST
            }
            Endpoint::UpdateSource => Method::PATCH,
            Endpoint::DeleteSource => Method::DELETE,
        }
    }

    /// The DynamoDB actions this function's code calls: what `template.yaml` grants it, and nothing
    /// more (a test holds the template, this list and the requests the code sends together).
    pub fn dynamodb_actions(&self) -> &'static [&'static str] {
        match self {
            // GetItem: the `custom_domain` filter reads the domain's claim and the source.
            Endpoint::ListSources => &["dynamodb:GetItem", "dynamodb:Query"],
            Endpoint::GetSource => &["dynamodb:GetItem"],
            // GetItem: the name check on the error path. UpdateItem: the verification rate
            // counter of `?verify=true`.
            Endpoint::CreateSource => &[
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
            // DeleteItem: a rename releases the old name claim.
            Endpoint::UpdateSource => &[
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
            // PutItem: the audit event, in the delete's transaction.
            Endpoint::DeleteSource => &[
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
            ],
            // One read, one write conditional on the version read.
            Endpoint::RotateSecretToken => &["dynamodb:GetItem", "dynamodb:PutItem"],
            // Per function: GetItem tells a source without events from an unknown one.
            Endpoint::ListSourceEvents | Endpoint::ListEvents => {
                &["dynamodb:GetItem", "dynamodb:Query"]
            }
            // The source, then the account's rate counter, then the source's health (an
            // update, with its `health_changed` event put in the same transaction).
            Endpoint::VerifySource => &[
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
            // Everything it answers is in the authorizer's context (docs/SPEC.md §19).
            Endpoint::GetApiKey => &[],
        }
    }

    /// What this function does with the sealing key (docs/SPEC.md §21): the one place that says
    /// who may seal and who may open. `template.yaml`'s KMS grants are derived from it (a test
    /// holds them together), and a function's `main` builds the KMS client only if it is not
    /// [`KeyUse::None`].
    pub fn key_use(&self) -> KeyUse {
        match self {
            // Creates seal what the client sent; the fingerprint of an idempotent create is
            // keyed (docs/SPEC.md §15, §21).
            Endpoint::CreateSource => KeyUse {
                seals: true,
                opens: false,
                fingerprints: true,
            },
            // `?verify=true` on a PATCH that keeps a secret checks the stored one.
            Endpoint::UpdateSource => KeyUse {
                seals: true,
                opens: true,
                fingerprints: false,
            },
            // A secret written before sealing existed is sealed at the source's next write,
            // a rotation included; a sealed one is written back as it is.
            Endpoint::RotateSecretToken => KeyUse {
                seals: true,
                opens: false,
                fingerprints: false,
            },
            Endpoint::VerifySource => KeyUse {
                seals: false,
                opens: true,
                fingerprints: false,
            },
            _ => KeyUse::NONE,
        }
    }

    /// The table's indexes this function's code queries: `template.yaml` grants its actions on
    /// them too, and on no other.
    pub fn dynamodb_indexes(&self) -> &'static [&'static str] {
        match self {
            Endpoint::ListSources => &[crate::store::table::NAME_INDEX],
            Endpoint::ListSourceEvents | Endpoint::ListEvents => {
                &[crate::store::table::SOURCE_EVENTS_INDEX]
            }
            _ => &[],
        }
    }

    /// The resource path under a prefix, in API Gateway's `{param}` syntax.
    pub fn resource(&self) -> &'static str {
        match self {
            Endpoint::ListSources | Endpoint::CreateSource => "/sources",
            Endpoint::RotateSecretToken => "/sources/{id}/rotate_secret_token",
            Endpoint::ListSourceEvents => "/sources/{id}/events",
            Endpoint::ListEvents => "/events",
            Endpoint::VerifySource => "/sources/{id}/verify",
            Endpoint::GetApiKey => "/api_key",
            _ => "/sources/{id}",
        }
    }
}

/// What a function may do with the sealing keys (docs/SPEC.md §21).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyUse {
    /// Draws data keys to seal secrets (`kms:GenerateDataKey`).
    pub seals: bool,
    /// Unwraps data keys to open secrets (`kms:Decrypt`).
    pub opens: bool,
    /// Derives the idempotency fingerprints' key (`kms:GenerateMac` on the fingerprint key).
    pub fingerprints: bool,
}

impl KeyUse {
    pub const NONE: KeyUse = KeyUse {
        seals: false,
        opens: false,
        fingerprints: false,
    };

    pub fn any(&self) -> bool {
        *self != Self::NONE
    }

    /// The actions `template.yaml` grants on the sealing key, each with the encryption-context
    /// condition.
    pub fn sealing_key_actions(&self) -> Vec<&'static str> {
        let mut actions = Vec::new();
        if self.opens {
            actions.push("kms:Decrypt");
        }
        if self.seals {
            actions.push("kms:GenerateDataKey");
        }
        actions
    }
}

/// What a function calling `dynamodb_actions` needs of the table's customer-managed key: DynamoDB
/// decrypts with the caller's permission (`kms:Decrypt`) to read, and a writer also lets it
/// generate data keys (`kms:GenerateDataKey`). `template.yaml` grants exactly these, only through
/// DynamoDB (`kms:ViaService`); a test holds it to this.
pub fn kms_actions(dynamodb_actions: &[&str]) -> &'static [&'static str] {
    const WRITES: [&str; 3] = [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    ];
    if dynamodb_actions.is_empty() {
        // No table access, no use of its key (`get-api-key`, `console`).
        &[]
    } else if dynamodb_actions.iter().any(|a| WRITES.contains(a)) {
        &["kms:Decrypt", "kms:GenerateDataKey"]
    } else {
        &["kms:Decrypt"]
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
    fn twenty_routes() {
        assert_eq!(all_routes().len(), 20);
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
        // A function serving several routes needs the same grants for each.
        for function in ["list-events"] {
            let endpoints = Endpoint::served_by(function);
            for e in &endpoints {
                assert_eq!(e.dynamodb_actions(), endpoints[0].dynamodb_actions());
                assert_eq!(e.dynamodb_indexes(), endpoints[0].dynamodb_indexes());
            }
        }
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
