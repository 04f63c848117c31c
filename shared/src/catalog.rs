//! Every Lambda function of the product, one row each: its name (the binary in `functions/` and in
//! `template.yaml`), what invokes it and at which routes, what it may do with the table and with
//! the sealing key, its timeout and its memory. Routing, the authorizer's policy, the OpenAPI
//! operations, the template parity tests and the benchmark's lists are derived from these rows;
//! the rows hold no code (a binary still links only its own module of `crate::functions`).
//! CONTRIBUTING.md says how a new endpoint becomes a row, a module, a binary and a template
//! resource.
//!
//! Every field is written out in every row: no defaults, so that a new row says what it grants.

use lambda_http::http::Method;

use crate::domain::KeyScope;
use crate::store::table::{DUE_INDEX, NAME_INDEX, SOURCE_EVENTS_INDEX};

/// What a route does; its function, method and path are its row's in this catalog.
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
    /// The account's keys (docs/SPEC.md §26).
    ListApiKeys,
    CreateApiKey,
    RevokeApiKey,
}

impl Endpoint {
    pub const ALL: [Endpoint; 13] = [
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
        Endpoint::ListApiKeys,
        Endpoint::CreateApiKey,
        Endpoint::RevokeApiKey,
    ];

    /// The endpoints `function` serves (one function may serve several routes).
    pub fn served_by(function: &str) -> Vec<Endpoint> {
        Function::named(function)
            .map(|f| f.routes().iter().map(|r| r.endpoint).collect())
            .unwrap_or_default()
    }

    /// The row of the function serving it.
    pub fn function(&self) -> &'static Function {
        function_of(*self)
    }

    /// The function's binary name in `functions/` and in `template.yaml`.
    pub fn function_name(&self) -> &'static str {
        self.function().name
    }

    pub fn method(&self) -> Method {
        route_of(*self).method.method()
    }

    /// The DynamoDB actions its function's code calls ([`Function::dynamodb_actions`]).
    pub fn dynamodb_actions(&self) -> &'static [&'static str] {
        self.function().dynamodb_actions
    }

    /// What its function does with the sealing key ([`Function::key_use`]).
    pub fn key_use(&self) -> KeyUse {
        self.function().key_use
    }

    /// The table's indexes its function queries ([`Function::dynamodb_indexes`]).
    pub fn dynamodb_indexes(&self) -> &'static [&'static str] {
        self.function().dynamodb_indexes
    }

    /// The resource path under a prefix, in API Gateway's `{param}` syntax.
    pub fn resource(&self) -> &'static str {
        route_of(*self).resource
    }

    /// The least scope of key that may call it ([`Route::scope`]).
    pub fn scope(&self) -> KeyScope {
        route_of(*self).scope
    }
}

/// One Lambda function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Function {
    /// The binary's name in `functions/` and `template.yaml`.
    pub name: &'static str,
    pub trigger: Trigger,
    /// The DynamoDB actions its code calls: what `template.yaml` grants it, and nothing more (a
    /// test holds the template, this list and the requests the code sends together).
    pub dynamodb_actions: &'static [&'static str],
    /// The table's indexes it queries: the template grants its actions on them too, on no other.
    pub dynamodb_indexes: &'static [&'static str],
    /// What it does with the sealing key (docs/SPEC.md §21).
    pub key_use: KeyUse,
    /// Its timeout in `template.yaml`, in seconds.
    pub timeout_seconds: u64,
    /// Its memory in `template.yaml`, in MB.
    pub memory_mb: u64,
}

/// What invokes a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// API Gateway, behind the authorizer: these routes, each under every prefix of
    /// [`crate::routes::PREFIXES`].
    Api(&'static [Route]),
    /// API Gateway without a key, at these paths of the stage, for every method
    /// ([`PUBLIC_METHOD`]).
    Public(&'static [&'static str]),
    /// API Gateway, as the REQUEST authorizer of every [`Trigger::Api`] route.
    Authorizer,
    /// EventBridge, on this schedule expression.
    Schedule(&'static str),
}

/// The method of a [`Trigger::Public`] route: every one, so that the function itself answers a
/// POST or a HEAD (405) with the security headers every console response carries (docs/SPEC.md
/// §20), in AWS as locally, instead of API Gateway answering without them.
pub const PUBLIC_METHOD: &str = "ANY";

/// A route of the API: `method` on `resource` (API Gateway's `{param}` syntax) under each prefix,
/// for keys of `scope` and above (docs/SPEC.md §16, §26): the authorizer's policy allows a key
/// exactly the routes its scope covers, and the local gateway refuses the others the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub endpoint: Endpoint,
    pub method: Verb,
    pub resource: &'static str,
    pub scope: KeyScope,
}

/// The HTTP methods the API's routes take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Patch,
    Delete,
}

impl Verb {
    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
            Verb::Patch => Method::PATCH,
            Verb::Delete => Method::DELETE,
        }
    }
}

/// What a function may do with the sealing keys (docs/SPEC.md §21): the one place that says who
/// may seal and who may open. `template.yaml`'s KMS grants are derived from it (a test holds them
/// together), and a function's `main` builds the KMS client only if it is not [`KeyUse::NONE`].
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

/// The functions' timeout unless a row says otherwise: above the DynamoDB client's 2.5 s
/// operation timeout, with room for an update's retries (`template.yaml`'s Globals).
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 10;
/// The functions' memory unless a row says otherwise (`template.yaml`'s Globals).
pub const DEFAULT_MEMORY_MB: u64 = 128;

const SEALS_ONLY: KeyUse = KeyUse {
    seals: true,
    opens: false,
    fingerprints: false,
};
const OPENS_ONLY: KeyUse = KeyUse {
    seals: false,
    opens: true,
    fingerprints: false,
};

pub const LIST_SOURCES: Function = Function {
    name: "list-sources",
    trigger: Trigger::Api(&[Route {
        endpoint: Endpoint::ListSources,
        method: Verb::Get,
        resource: "/sources",
        scope: KeyScope::Read,
    }]),
    // GetItem: the `custom_domain` filter reads the domain's claim and the source.
    dynamodb_actions: &["dynamodb:GetItem", "dynamodb:Query"],
    dynamodb_indexes: &[NAME_INDEX],
    key_use: KeyUse::NONE,
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

pub const GET_SOURCE: Function = Function {
    name: "get-source",
    trigger: Trigger::Api(&[Route {
        endpoint: Endpoint::GetSource,
        method: Verb::Get,
        resource: "/sources/{id}",
        scope: KeyScope::Read,
    }]),
    dynamodb_actions: &["dynamodb:GetItem"],
    dynamodb_indexes: &[],
    key_use: KeyUse::NONE,
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

pub const CREATE_SOURCE: Function = Function {
    name: "create-source",
    trigger: Trigger::Api(&[Route {
        endpoint: Endpoint::CreateSource,
        method: Verb::Post,
        resource: "/sources",
        scope: KeyScope::Write,
    }]),
    // GetItem: the name check on the error path. UpdateItem: the verification rate counter of
    // `?verify=true`.
    dynamodb_actions: &[
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ],
    dynamodb_indexes: &[],
    // Creates seal what the client sent; the fingerprint of an idempotent create is keyed
    // (docs/SPEC.md §15, §21).
    key_use: KeyUse {
        seals: true,
        opens: false,
        fingerprints: true,
    },
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

pub const UPDATE_SOURCE: Function = Function {
    name: "update-source",
    trigger: Trigger::Api(&[Route {
        endpoint: Endpoint::UpdateSource,
        method: Verb::Patch,
        resource: "/sources/{id}",
        scope: KeyScope::Write,
    }]),
    // DeleteItem: a rename releases the old name claim.
    dynamodb_actions: &[
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ],
    dynamodb_indexes: &[],
    // `?verify=true` on a PATCH that keeps a secret checks the stored one.
    key_use: KeyUse {
        seals: true,
        opens: true,
        fingerprints: false,
    },
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

pub const DELETE_SOURCE: Function = Function {
    name: "delete-source",
    trigger: Trigger::Api(&[Route {
        endpoint: Endpoint::DeleteSource,
        method: Verb::Delete,
        resource: "/sources/{id}",
        scope: KeyScope::Write,
    }]),
    // PutItem: the audit event, in the delete's transaction.
    dynamodb_actions: &[
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
    ],
    dynamodb_indexes: &[],
    key_use: KeyUse::NONE,
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

pub const ROTATE_SECRET_TOKEN: Function = Function {
    name: "rotate-secret-token",
    trigger: Trigger::Api(&[Route {
        endpoint: Endpoint::RotateSecretToken,
        method: Verb::Post,
        resource: "/sources/{id}/rotate_secret_token",
        scope: KeyScope::Write,
    }]),
    // One read, one write conditional on the version read.
    dynamodb_actions: &["dynamodb:GetItem", "dynamodb:PutItem"],
    dynamodb_indexes: &[],
    // A secret written before sealing existed is sealed at the source's next write, a rotation
    // included; a sealed one is written back as it is.
    key_use: SEALS_ONLY,
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

/// Both event listings: one function, one cold start for either.
pub const LIST_EVENTS: Function = Function {
    name: "list-events",
    trigger: Trigger::Api(&[
        Route {
            endpoint: Endpoint::ListSourceEvents,
            method: Verb::Get,
            resource: "/sources/{id}/events",
            scope: KeyScope::Read,
        },
        Route {
            endpoint: Endpoint::ListEvents,
            method: Verb::Get,
            resource: "/events",
            scope: KeyScope::Read,
        },
    ]),
    // GetItem tells a source without events from an unknown one.
    dynamodb_actions: &["dynamodb:GetItem", "dynamodb:Query"],
    dynamodb_indexes: &[SOURCE_EVENTS_INDEX],
    key_use: KeyUse::NONE,
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

pub const VERIFY_SOURCE: Function = Function {
    name: "verify-source",
    trigger: Trigger::Api(&[Route {
        endpoint: Endpoint::VerifySource,
        method: Verb::Post,
        resource: "/sources/{id}/verify",
        scope: KeyScope::Write,
    }]),
    // The source, then the account's rate counter, then the source's health (an update, with
    // its `health_changed` event put in the same transaction).
    dynamodb_actions: &[
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ],
    dynamodb_indexes: &[],
    key_use: OPENS_ONLY,
    // One verification takes at most 5 s at the storage (docs/SPEC.md §14), after a read and the
    // rate counter's update.
    timeout_seconds: 15,
    memory_mb: DEFAULT_MEMORY_MB,
};

pub const GET_API_KEY: Function = Function {
    name: "get-api-key",
    trigger: Trigger::Api(&[Route {
        endpoint: Endpoint::GetApiKey,
        method: Verb::Get,
        resource: "/api_key",
        scope: KeyScope::Read,
    }]),
    // Everything it answers is in the authorizer's context (docs/SPEC.md §19).
    dynamodb_actions: &[],
    dynamodb_indexes: &[],
    key_use: KeyUse::NONE,
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

/// The account's keys, newest first (docs/SPEC.md §26): any scope may list.
pub const LIST_API_KEYS: Function = Function {
    name: "list-api-keys",
    trigger: Trigger::Api(&[Route {
        endpoint: Endpoint::ListApiKeys,
        method: Verb::Get,
        resource: "/api_keys",
        scope: KeyScope::Read,
    }]),
    // The account's copies of its keys: one Query.
    dynamodb_actions: &["dynamodb:Query"],
    dynamodb_indexes: &[],
    key_use: KeyUse::NONE,
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

pub const CREATE_API_KEY: Function = Function {
    name: "create-api-key",
    trigger: Trigger::Api(&[Route {
        endpoint: Endpoint::CreateApiKey,
        method: Verb::Post,
        resource: "/api_keys",
        scope: KeyScope::Admin,
    }]),
    // The account's keys (Query), then one transaction: the key's two items and its event
    // (PutItem), the account's key ledger (UpdateItem), which orders concurrent key writes.
    dynamodb_actions: &["dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
    dynamodb_indexes: &[],
    key_use: KeyUse::NONE,
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

pub const REVOKE_API_KEY: Function = Function {
    name: "revoke-api-key",
    trigger: Trigger::Api(&[Route {
        endpoint: Endpoint::RevokeApiKey,
        method: Verb::Delete,
        resource: "/api_keys/{id}",
        scope: KeyScope::Admin,
    }]),
    // The account's keys (Query), then one transaction: the key's two items and the ledger
    // (UpdateItem), the event (PutItem).
    dynamodb_actions: &["dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
    dynamodb_indexes: &[],
    key_use: KeyUse::NONE,
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

pub const AUTHORIZER: Function = Function {
    name: "authorizer",
    trigger: Trigger::Authorizer,
    // The key's record, by its hash; once a day per key, the day it was last used on its two
    // items (docs/SPEC.md §26), a conditional update.
    dynamodb_actions: &["dynamodb:GetItem", "dynamodb:UpdateItem"],
    dynamodb_indexes: &[],
    key_use: KeyUse::NONE,
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

pub const CONSOLE: Function = Function {
    name: "console",
    // The files hold no data: the page asks for a key and calls the API with it.
    trigger: Trigger::Public(&["/console", "/console/{proxy+}"]),
    // Its files are compiled in (docs/SPEC.md §20).
    dynamodb_actions: &[],
    dynamodb_indexes: &[],
    key_use: KeyUse::NONE,
    timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
    memory_mb: DEFAULT_MEMORY_MB,
};

/// The scheduled health checks (docs/SPEC.md §22).
pub const CHECK_SOURCES: Function = Function {
    name: "check-sources",
    trigger: Trigger::Schedule("rate(1 minute)"),
    // The due index (Query), a claim and a result (UpdateItem), a result with its
    // `health_changed` event (a transaction of an update and a put).
    dynamodb_actions: &["dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
    dynamodb_indexes: &[DUE_INDEX],
    // It opens storage secrets to send them to the storage, nothing more.
    key_use: OPENS_ONLY,
    // A run starts no check after 60 s, and a check ends within 5 s at the storage plus its KMS
    // and DynamoDB calls: 180 s leaves the margin the benchmark shows.
    timeout_seconds: 180,
    // 20 checks in flight, each a TLS handshake: more memory is more CPU.
    memory_mb: 256,
};

/// Every function, in the order the template, the OpenAPI document and the benchmark show them.
pub const CATALOG: [Function; 15] = [
    LIST_SOURCES,
    GET_SOURCE,
    CREATE_SOURCE,
    UPDATE_SOURCE,
    DELETE_SOURCE,
    ROTATE_SECRET_TOKEN,
    LIST_EVENTS,
    VERIFY_SOURCE,
    GET_API_KEY,
    LIST_API_KEYS,
    CREATE_API_KEY,
    REVOKE_API_KEY,
    AUTHORIZER,
    CONSOLE,
    CHECK_SOURCES,
];

impl Function {
    /// Its API routes behind the authorizer (none for the other triggers).
    pub fn routes(&self) -> &'static [Route] {
        match self.trigger {
            Trigger::Api(routes) => routes,
            _ => &[],
        }
    }

    /// Its paths served without a key (none for the other triggers).
    pub fn public_paths(&self) -> &'static [&'static str] {
        match self.trigger {
            Trigger::Public(paths) => paths,
            _ => &[],
        }
    }

    /// The first of its routes' paths, as a log line names the function's route when the request
    /// does not say which it matched.
    pub fn first_path(&self) -> &'static str {
        match self.trigger {
            Trigger::Api(routes) => routes.first().map_or("", |r| r.resource),
            Trigger::Public(paths) => paths.first().copied().unwrap_or_default(),
            Trigger::Authorizer | Trigger::Schedule(_) => "",
        }
    }

    /// The row named `name`.
    pub fn named(name: &str) -> Option<&'static Function> {
        CATALOG.iter().find(|f| f.name == name)
    }
}

/// Where each endpoint's row and route are: `(row in CATALOG, route in the row)`, by the
/// endpoint's place in [`Endpoint::ALL`]. Computed when the crate compiles, which fails if an
/// endpoint has no route or two; so a lookup never misses at run time.
const LOCATIONS: [(usize, usize); Endpoint::ALL.len()] = {
    let mut locations = [(usize::MAX, usize::MAX); Endpoint::ALL.len()];
    let mut f = 0;
    while f < CATALOG.len() {
        if let Trigger::Api(routes) = CATALOG[f].trigger {
            let mut r = 0;
            while r < routes.len() {
                let at = routes[r].endpoint as usize;
                assert!(
                    locations[at].0 == usize::MAX,
                    "an endpoint with two routes in the catalog"
                );
                locations[at] = (f, r);
                r += 1;
            }
        }
        f += 1;
    }
    let mut e = 0;
    while e < Endpoint::ALL.len() {
        assert!(
            Endpoint::ALL[e] as usize == e,
            "Endpoint::ALL in the enum's order"
        );
        assert!(
            locations[e].0 != usize::MAX,
            "an endpoint without a route in the catalog"
        );
        e += 1;
    }
    locations
};

/// The row of the function serving `endpoint`.
pub(crate) fn function_of(endpoint: Endpoint) -> &'static Function {
    &CATALOG_ROWS[LOCATIONS[endpoint as usize].0]
}

/// `endpoint`'s route.
pub(crate) fn route_of(endpoint: Endpoint) -> &'static Route {
    let (f, r) = LOCATIONS[endpoint as usize];
    &CATALOG_ROWS[f].routes()[r]
}

/// The catalog as a static, so that rows and routes are borrowed for the program's life.
static CATALOG_ROWS: [Function; CATALOG.len()] = CATALOG;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_has_its_route_and_function() {
        for endpoint in Endpoint::ALL {
            let function = function_of(endpoint);
            assert!(function.routes().contains(route_of(endpoint)));
            assert_eq!(route_of(endpoint).endpoint, endpoint);
        }
    }

    /// A `read` key reads (RFC 9110's safe methods); everything else needs `write` at least.
    #[test]
    fn reading_routes_need_read_and_the_others_more() {
        for endpoint in Endpoint::ALL {
            assert_eq!(
                endpoint.scope() == KeyScope::Read,
                endpoint.method().is_safe(),
                "{endpoint:?}"
            );
        }
        let admin: Vec<Endpoint> = Endpoint::ALL
            .into_iter()
            .filter(|e| e.scope() == KeyScope::Admin)
            .collect();
        assert_eq!(admin, [Endpoint::CreateApiKey, Endpoint::RevokeApiKey]);
    }

    #[test]
    fn names_are_unique_and_each_a_binary_name() {
        let mut names: Vec<&str> = CATALOG.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOG.len());
        for name in names {
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{name}"
            );
            assert_eq!(Function::named(name).map(|f| f.name), Some(name));
        }
    }

    #[test]
    fn a_function_serving_several_routes_needs_the_same_grants_for_each() {
        assert_eq!(
            LIST_EVENTS
                .routes()
                .iter()
                .map(|r| r.endpoint)
                .collect::<Vec<_>>(),
            [Endpoint::ListSourceEvents, Endpoint::ListEvents]
        );
        for endpoint in [Endpoint::ListSourceEvents, Endpoint::ListEvents] {
            assert_eq!(function_of(endpoint).name, "list-events");
        }
    }
}
