//! The test kit: a real DynamoDB-compatible server for every test (the embedded dynoxide on
//! 127.0.0.1 port 0, or `DYNAMODB_TEST_ENDPOINT`), a fresh table per test, a request counter on the
//! SDK client, captured log lines, and `spawn_app()`, which starts the whole local API on port 0.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::QueryInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use shared::AppState;
use shared::domain::{AccountId, ApiKey};
use shared::http::Dialect;
use shared::sealing::{Keys, KmsKeys, LocalKeys};
use shared::store::{ClientSettings, Store, local_config, table};
use tokio::net::TcpListener;

pub mod browser;
pub mod fault_proxy;
pub mod fixtures;
pub mod storage;
pub mod table_scan;

/// Set to a DynamoDB endpoint (e.g. `http://127.0.0.1:8000` for DynamoDB Local) to run the suite
/// against it instead of the embedded server.
pub const ENDPOINT_VAR: &str = "DYNAMODB_TEST_ENDPOINT";

/// The DynamoDB-compatible server the suite runs on, if one is set (else the embedded one).
pub fn dynamodb_endpoint() -> Option<String> {
    std::env::var(ENDPOINT_VAR).ok().filter(|e| !e.is_empty())
}

/// Set to a KMS-compatible server (`.ci/run` starts moto's on loopback) to seal every test's
/// secrets with it instead of a local key (docs/SPEC.md §21).
pub const KMS_ENDPOINT_VAR: &str = "KMS_TEST_ENDPOINT";

/// The KMS-compatible server the suite seals with, if one is set.
pub fn kms_endpoint() -> Option<String> {
    std::env::var(KMS_ENDPOINT_VAR)
        .ok()
        .filter(|e| !e.is_empty())
}

/// The keys every test seals and opens with: on the KMS-compatible server of
/// [`KMS_ENDPOINT_VAR`] (two keys made once per run), else one local key per run, made as
/// `serve` makes its own.
pub async fn test_keys() -> Keys {
    static LOCAL_KEY: OnceLock<[u8; 32]> = OnceLock::new();
    static KMS_KEY_IDS: tokio::sync::OnceCell<(String, String)> =
        tokio::sync::OnceCell::const_new();
    match kms_endpoint() {
        Some(endpoint) => {
            // A client per call: each test has its own runtime, and a client's connections
            // belong to the runtime that made them.
            let client = KmsKeys::local_client(&endpoint, ClientSettings::default());
            let (key, fingerprint) = KMS_KEY_IDS
                .get_or_init(|| async {
                    KmsKeys::create_keys(&client)
                        .await
                        .unwrap_or_else(|e| panic!("keys on {endpoint}: {e}"))
                })
                .await
                .clone();
            Keys::kms(KmsKeys::new(client, key, Some(fingerprint)))
        }
        None => Keys::local(LocalKeys::from_key(LOCAL_KEY.get_or_init(|| {
            let mut key = [0u8; 32];
            key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
            key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
            key
        }))),
    }
}

/// The state of every test app: `store`, the test keys, the verifier of the environment.
pub async fn app_state(store: Store) -> AppState {
    AppState::new(store).with_keys(test_keys().await)
}

/// `source` with its secrets sealed, as the endpoints write it (for tests that write through
/// the store directly).
pub async fn sealed(mut source: shared::domain::Source) -> shared::domain::Source {
    let keys = test_keys().await;
    let values = shared::sealing::seal_credentials(
        Some(&keys),
        &source.account_id,
        &source.id,
        &source.fields.credentials,
    )
    .await
    .expect("sealed");
    source.fields.credentials = values
        .apply(&source.fields.credentials)
        .expect("every secret sealed");
    source
}

/// The value of credential `key` of a stored `source`, a sealed secret opened.
pub async fn clear_value(source: &shared::domain::Source, key: &str) -> String {
    let keys = test_keys().await;
    let opened = shared::sealing::open_credentials(
        Some(&keys),
        &source.account_id,
        &source.id,
        &source.fields.credentials,
    )
    .await
    .expect("opened");
    opened
        .get(key)
        .and_then(|v| v.clear())
        .unwrap_or_else(|| panic!("no {key}"))
        .to_owned()
}

/// Counts the requests (attempts) the SDK sends, by operation name, and records the IAM actions
/// the calls need (a transaction needs the actions of its items).
#[derive(Clone, Debug, Default)]
pub struct RequestCounter(
    Arc<Mutex<HashMap<String, usize>>>,
    Arc<Mutex<BTreeSet<String>>>,
    /// The indexes Queries named.
    Arc<Mutex<BTreeSet<String>>>,
    /// The items of each transaction, in the order sent.
    Arc<Mutex<Vec<usize>>>,
);

impl RequestCounter {
    /// The number of items of each transaction since the last reset (DynamoDB allows 100).
    pub fn transaction_sizes(&self) -> Vec<usize> {
        self.3
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn reset(&self) {
        self.3
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        self.lock().clear();
        self.actions_lock().clear();
        self.indexes_lock().clear();
    }

    /// The table's indexes the Queries since the last reset read.
    pub fn indexes(&self) -> BTreeSet<String> {
        self.indexes_lock().clone()
    }

    fn indexes_lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.2
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The IAM actions (`dynamodb:GetItem`, ...) of the calls since the last reset.
    pub fn iam_actions(&self) -> BTreeSet<String> {
        self.actions_lock().clone()
    }

    fn actions_lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.1
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Requests per operation since the last reset.
    pub fn snapshot(&self) -> HashMap<String, usize> {
        self.lock().clone()
    }

    pub fn total(&self) -> usize {
        self.lock().values().sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let _ = cfg;
        if let Some(query) = context.input().downcast_ref::<QueryInput>()
            && let Some(index) = query.index_name()
        {
            self.indexes_lock().insert(index.to_owned());
        }
        // Other operations are recorded in `read_before_transmit`, where their name is known.
        if let Some(transaction) = context.input().downcast_ref::<TransactWriteItemsInput>() {
            self.3
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(transaction.transact_items().len());
            let mut actions = self.actions_lock();
            for item in transaction.transact_items() {
                let action = if item.put().is_some() {
                    "PutItem"
                } else if item.delete().is_some() {
                    "DeleteItem"
                } else if item.update().is_some() {
                    "UpdateItem"
                } else {
                    "ConditionCheckItem"
                };
                actions.insert(format!("dynamodb:{action}"));
            }
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_owned())
            .unwrap_or_else(|| "unknown".to_owned());
        if operation != "TransactWriteItems" {
            self.actions_lock().insert(format!("dynamodb:{operation}"));
        }
        *self.lock().entry(operation).or_default() += 1;
        Ok(())
    }
}

/// A DynamoDB-compatible server with a fresh table, and a store on it that counts its requests.
pub struct TestDb {
    pub endpoint: String,
    pub table: String,
    pub store: Store,
    pub counter: RequestCounter,
    /// An uncounted client for looking inside the table.
    pub inspector: Client,
}

impl TestDb {
    pub async fn start() -> Self {
        Self::start_with(ClientSettings::default()).await
    }

    pub async fn start_with(settings: ClientSettings) -> Self {
        let endpoint = match dynamodb_endpoint() {
            Some(endpoint) => endpoint,
            None => start_embedded_dynamodb().await,
        };
        Self::start_at(endpoint, settings).await
    }

    /// A fresh table on the DynamoDB-compatible server at `endpoint`.
    pub async fn start_at(endpoint: String, settings: ClientSettings) -> Self {
        let table = format!("sources-test-{}", uuid::Uuid::new_v4().simple());
        // Generous timeouts for setup: a JVM-based server can be slow to create its first table.
        let inspector = Client::from_conf(local_config(&endpoint, setup_settings()).build());
        table::ensure_table(&inspector, &table)
            .await
            .unwrap_or_else(|e| panic!("cannot create table {table} at {endpoint}: {e:?}"));
        let counter = RequestCounter::default();
        let client = Client::from_conf(
            local_config(&endpoint, settings)
                .interceptor(counter.clone())
                .build(),
        );
        let store = Store::new(client, table.clone());
        Self {
            endpoint,
            table,
            store,
            counter,
            inspector,
        }
    }

    /// Every item of the table (a Scan: for tests only, never on a request path).
    pub async fn all_items(&self) -> Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .inspector
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return items,
            }
        }
    }

    /// The partition keys of the table's name claims.
    pub async fn name_claims(&self) -> Vec<String> {
        let mut claims: Vec<String> = self
            .all_items()
            .await
            .into_iter()
            .filter_map(|item| item.get("PK").and_then(|v| v.as_s().ok()).cloned())
            .filter(|pk| pk.starts_with("NAME#"))
            .collect();
        claims.sort();
        claims
    }

    /// The credential values of `account`'s source `id`: those in clear exactly as the table
    /// holds them, the sealed ones opened (docs/SPEC.md §21).
    pub async fn stored_credentials(&self, account: &str, id: &str) -> HashMap<String, String> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let item = self
            .inspector
            .get_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(format!("ACCOUNT#{account}")))
            .key("SK", AttributeValue::S(format!("SOURCE#{id}")))
            .consistent_read(true)
            .send()
            .await
            .expect("get item")
            .item
            .unwrap_or_else(|| panic!("no source {id} of {account}"));
        let mut values: HashMap<String, String> = item["credentials"]
            .as_m()
            .expect("credentials is a map")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_s().expect("a string").clone()))
            .collect();
        if let Some(sealed) = item.get("sealed_credentials") {
            let source = self
                .store
                .get_source(
                    &AccountId::parse(account).expect("account"),
                    &shared::domain::SourceId::parse(id).expect("id"),
                )
                .await
                .expect("the source");
            for key in sealed.as_m().expect("sealed_credentials is a map").keys() {
                values.insert(key.clone(), clear_value(&source, key).await);
            }
        }
        values
    }

    /// Stores a source of `account` for each create body, `concurrency` at a time, straight through
    /// the store (the API's create path is tested elsewhere; seeding thousands through it would
    /// only be slower). Their secrets join the leak scan. Returns the sources as stored.
    pub async fn seed_sources(
        &self,
        account: &str,
        bodies: Vec<serde_json::Value>,
        concurrency: usize,
    ) -> Vec<shared::domain::Source> {
        let account = AccountId::parse(account).expect("account id");
        let store = self.store.clone();
        let mut sources = Vec::with_capacity(bodies.len());
        let mut pending = tokio::task::JoinSet::new();
        for body in bodies {
            register_secrets_in(&body);
            let fields = shared::domain::SourceInput::from_json(
                body["source"].as_object().expect("a create body"),
            )
            .into_new_fields()
            .unwrap_or_else(|e| panic!("seed body {body}: {:?}", e.messages()));
            let source = sealed(shared::domain::Source::new(account.clone(), fields)).await;
            let store = store.clone();
            pending.spawn(async move {
                store
                    .create_source(&source, None, &shared::domain::Actor::default())
                    .await
                    .expect("seeded");
                source
            });
            if pending.len() >= concurrency.max(1)
                && let Some(done) = pending.join_next().await
            {
                sources.push(done.expect("seeding task"));
            }
        }
        while let Some(done) = pending.join_next().await {
            sources.push(done.expect("seeding task"));
        }
        sources
    }

    /// Creates an API key for `account` and returns it.
    pub async fn api_key(&self, account: &str) -> String {
        self.api_key_with(
            account,
            shared::store::KeyGrant {
                label: "test".to_owned(),
                ..Default::default()
            },
        )
        .await
    }

    /// Creates a `read` API key for `account` (docs/SPEC.md §26) and returns it.
    pub async fn read_key(&self, account: &str) -> String {
        self.scoped_key(account, "test", shared::domain::KeyScope::Read)
            .await
    }

    /// Creates an API key for `account` with this label and scope, never expiring, and returns it.
    pub async fn scoped_key(
        &self,
        account: &str,
        label: &str,
        scope: shared::domain::KeyScope,
    ) -> String {
        self.api_key_with(
            account,
            shared::store::KeyGrant {
                label: label.to_owned(),
                scope,
                ..Default::default()
            },
        )
        .await
    }

    /// Creates an API key for `account` with this scope, label and expiry, and returns it.
    pub async fn api_key_with(&self, account: &str, grant: shared::store::KeyGrant) -> String {
        let account = AccountId::parse(account).expect("account id");
        let key = ApiKey::generate();
        let record = self
            .store
            .create_api_key(
                &account,
                &key.hash(),
                &grant,
                &shared::domain::Actor::operator(),
            )
            .await
            .expect("create api key");
        // Used today already, as a real account's key has been: a test counting an operation's
        // round trips counts that operation's alone. The first use of a day, which notes the
        // day on the key, is tested on its own (`api_keys::a_keys_last_use_is_noted_once_a_day`).
        self.store
            .record_key_use(&record, &shared::domain::Timestamp::now().date())
            .await
            .expect("note the key's use");
        register_secret(key.reveal());
        key.reveal().to_owned()
    }
}

fn setup_settings() -> ClientSettings {
    ClientSettings {
        connect_timeout: Duration::from_secs(5),
        attempt_timeout: Duration::from_secs(30),
        operation_timeout: Duration::from_secs(60),
        max_attempts: 3,
    }
}

/// Starts dynoxide in memory on 127.0.0.1 port 0, in the current runtime; returns its endpoint.
pub async fn start_embedded_dynamodb() -> String {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let db = dynoxide::Database::memory().expect("in-memory dynoxide");
    image_sources::embedded::spawn(listener, db).expect("embedded DynamoDB")
}

/// A request as API Gateway hands it to `endpoint`'s function: its event file from `events/`, read
/// through `lambda_http`'s own deserialization, pointed at `id` and carrying `body` if given.
pub fn lambda_request(
    endpoint: shared::http::Endpoint,
    id: Option<&str>,
    body: Option<Vec<u8>>,
) -> lambda_http::Request {
    lambda_request_with_query(endpoint, id, body, &[])
}

/// [`lambda_request`] with these query parameters, as API Gateway passes them (decoded, each
/// name with all its values).
pub fn lambda_request_with_query(
    endpoint: shared::http::Endpoint,
    id: Option<&str>,
    body: Option<Vec<u8>>,
    query: &[(&str, &str)],
) -> lambda_http::Request {
    // A function serving several routes has an event per route: `<function>-<route>.json`.
    let file = match endpoint {
        shared::http::Endpoint::ListSourceEvents => "list-events-source",
        other => other.function_name(),
    };
    let path = format!("{}/../events/{file}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut event: serde_json::Value = serde_json::from_str(&text).expect("event JSON");
    if let Some(id) = id {
        event["pathParameters"]["id"] = serde_json::Value::from(id);
        let resource = event["resource"].as_str().unwrap_or_default().to_owned();
        event["path"] = serde_json::Value::from(resource.replace("{id}", id));
    }
    if !query.is_empty() {
        let mut single = serde_json::Map::new();
        let mut multi = serde_json::Map::new();
        for (name, value) in query {
            single.insert((*name).to_owned(), serde_json::Value::from(*value));
            let values = multi
                .entry((*name).to_owned())
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let serde_json::Value::Array(values) = values {
                values.push(serde_json::Value::from(*value));
            }
        }
        event["queryStringParameters"] = serde_json::Value::Object(single);
        event["multiValueQueryStringParameters"] = serde_json::Value::Object(multi);
    }
    let mut request =
        lambda_http::request::from_str(&event.to_string()).expect("lambda_http accepts the event");
    if let Some(body) = body {
        *request.body_mut() = lambda_http::Body::Binary(body);
    }
    request
}

/// The whole API (embedded DynamoDB, authorizer, gateway, endpoints) on 127.0.0.1 port 0.
pub struct TestApp {
    pub base_url: String,
    /// The imgix dialect's gateway over the same state (docs/SPEC.md §24).
    pub imgix_url: String,
    pub db: TestDb,
    pub http: reqwest::Client,
}

/// The whole API with everything as it usually is: `TestApp::builder().spawn()`.
pub async fn spawn_app() -> TestApp {
    TestApp::builder().spawn().await
}

/// How a test starts the API: each option says what differs from [`spawn_app`]'s.
#[derive(Default)]
pub struct AppBuilder {
    /// A DynamoDB-compatible server to make a fresh table on; a new embedded one otherwise.
    endpoint: Option<String>,
    /// The verify check's verifier (docs/SPEC.md §14); otherwise one whose network resolves no
    /// name and reaches loopback only ([`storage::TestNetwork`]).
    verifier: Option<shared::verify::Verifier>,
    /// The sealing keys, which the test keeps to count their requests (docs/SPEC.md §21);
    /// otherwise [`test_keys`].
    keys: Option<Arc<Keys>>,
    /// The gateway's limit on the time to read a request (the slow-client tests).
    read_timeout: Option<Duration>,
    /// Where the CDN serves sources, for their `urls` (docs/SPEC.md §25); none otherwise.
    cdn: Option<shared::domain::CdnSettings>,
}

impl TestApp {
    pub fn builder() -> AppBuilder {
        AppBuilder::default()
    }
}

impl AppBuilder {
    pub fn at(mut self, endpoint: String) -> Self {
        self.endpoint = Some(endpoint);
        self
    }

    pub fn verifying(mut self, verifier: shared::verify::Verifier) -> Self {
        self.verifier = Some(verifier);
        self
    }

    pub fn sealing_with(mut self, keys: Arc<Keys>) -> Self {
        self.keys = Some(keys);
        self
    }

    pub fn read_timeout(mut self, read_timeout: Duration) -> Self {
        self.read_timeout = Some(read_timeout);
        self
    }

    pub fn cdn(mut self, cdn: shared::domain::CdnSettings) -> Self {
        self.cdn = Some(cdn);
        self
    }

    pub async fn spawn(self) -> TestApp {
        let db = self.db().await;
        self.serve(db).await.0
    }

    /// The app and its state, for a test that runs the health sweep itself with its own clock
    /// (docs/SPEC.md §22): the same store, keys and verifier as the API's.
    pub async fn spawn_with_state(self) -> (TestApp, AppState) {
        let db = self.db().await;
        self.serve(db).await
    }

    /// The app with the fault proxy between it and DynamoDB (the table itself is set up
    /// directly, around the proxy).
    pub async fn spawn_with_faults(self) -> (TestApp, fault_proxy::FaultProxy) {
        let mut db = self.db().await;
        let proxy = fault_proxy::FaultProxy::start(&db.endpoint).await;
        let client = Client::from_conf(
            local_config(&proxy.endpoint, ClientSettings::default())
                .interceptor(db.counter.clone())
                .build(),
        );
        db.store = Store::new(client, db.table.clone());
        (self.serve(db).await.0, proxy)
    }

    async fn db(&self) -> TestDb {
        capture_logs();
        match &self.endpoint {
            Some(endpoint) => TestDb::start_at(endpoint.clone(), ClientSettings::default()).await,
            None => TestDb::start().await,
        }
    }

    async fn serve(self, db: TestDb) -> (TestApp, AppState) {
        let verifier = match self.verifier {
            Some(verifier) => verifier,
            None => storage::TestNetwork::start().await.verifier(false, &[]),
        };
        let keys = match self.keys {
            Some(keys) => keys,
            None => Arc::new(test_keys().await),
        };
        let state = AppState::new(db.store.clone())
            .with_keys(keys)
            .with_verifier(verifier)
            .with_cdn(self.cdn.unwrap_or_default());
        let read_timeout = self
            .read_timeout
            .unwrap_or(image_sources::connection::READ_TIMEOUT);
        let base_url = serve_state(state.clone(), read_timeout, Dialect::Native).await;
        let imgix_url = serve_state(state.clone(), read_timeout, Dialect::Imgix).await;
        let app = TestApp {
            base_url,
            imgix_url,
            db,
            http: http_client(),
        };
        (app, state)
    }
}

/// The local gateway over `store` alone (no [`TestApp`]), on 127.0.0.1 port 0; returns its base
/// URL: for a test that points it at a DynamoDB of its own.
pub async fn spawn_gateway(store: Store) -> String {
    let verifier = storage::TestNetwork::start().await.verifier(false, &[]);
    serve_state(
        app_state(store).await.with_verifier(verifier),
        image_sources::connection::READ_TIMEOUT,
        Dialect::Native,
    )
    .await
}

/// The local gateway of `dialect` over `state`, on 127.0.0.1 port 0; returns its base URL.
async fn serve_state(state: AppState, read_timeout: Duration, dialect: Dialect) -> String {
    capture_logs();
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(image_sources::gateway::serve_with(
        listener,
        state,
        dialect,
        read_timeout,
        std::future::pending(),
    ));
    format!("http://{address}")
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// An endpoint where nothing listens: a DynamoDB that is down.
pub async fn dead_endpoint() -> String {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{address}")
}

/// A response, read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The names (`source`) of a listing's sources, in the order answered.
    pub fn source_names(&self) -> Vec<String> {
        self.json()
            .as_array()
            .expect("a listing is an array")
            .iter()
            .map(|s| {
                s["source"]
                    .as_str()
                    .expect("a source has a name")
                    .to_owned()
            })
            .collect()
    }

    /// The `errors` of an error body, which must have exactly that shape.
    pub fn errors(&self) -> Vec<String> {
        let body = self.json();
        let object = body.as_object().expect("error body is an object");
        assert_eq!(object.len(), 1, "error body has only `errors`: {body}");
        object["errors"]
            .as_array()
            .expect("errors is an array")
            .iter()
            .map(|e| e.as_str().expect("each error is a string").to_owned())
            .collect()
    }
}

/// Runs the futures concurrently, each as its own task on the current runtime, and returns their
/// outputs in order.
pub async fn join_all<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        results.push(handle.await.expect("a joined task"));
    }
    results
}

/// The target of a `Link: <target>; rel="next"` header (docs/SPEC.md §11).
pub fn next_link(link: Option<&str>) -> Option<String> {
    let link = link?;
    let (target, params) = link.strip_prefix('<')?.split_once('>')?;
    (params.trim() == "; rel=\"next\"").then(|| target.to_owned())
}

/// What walking a listing's pages found.
pub struct Walk {
    /// Every source of every page, in order.
    pub sources: Vec<serde_json::Value>,
    /// Each page's number of sources.
    pub page_sizes: Vec<usize>,
}

impl Walk {
    pub fn ids(&self) -> Vec<String> {
        self.sources
            .iter()
            .map(|s| s["id"].as_str().expect("an id").to_owned())
            .collect()
    }
}

impl TestApp {
    /// Follows `Link` from `path` until a page has none; every page must be a 200 array.
    pub async fn walk(&self, path: &str, key: &str) -> Walk {
        let mut walk = Walk {
            sources: Vec::new(),
            page_sizes: Vec::new(),
        };
        let mut next = Some(path.to_owned());
        while let Some(path) = next.take() {
            let page = self.get(&path, key).await;
            assert_eq!(page.status, 200, "{path}: {}", page.text);
            let sources = page.json().as_array().expect("a JSON array").clone();
            walk.page_sizes.push(sources.len());
            walk.sources.extend(sources);
            next = next_link(page.header("link"));
            assert!(walk.page_sizes.len() <= 100_000, "the walk does not end");
        }
        walk
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> TestResponse {
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body read");
        let response = TestResponse {
            status,
            headers,
            text,
        };
        record_body(&response.text);
        response
    }

    /// A request to the imgix dialect (docs/SPEC.md §24) with `Authorization: Bearer <key>` and,
    /// with a body, JSON:API's media type.
    pub async fn imgix(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<&serde_json::Value>,
    ) -> TestResponse {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.imgix_url))
            .header("authorization", format!("Bearer {key}"));
        if let Some(body) = body {
            register_secrets_in(body);
            request = request
                .header("content-type", "application/vnd.api+json")
                .body(body.to_string());
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str, key: &str) -> TestResponse {
        self.send(
            self.http
                .get(self.url(path))
                .header(fixtures::API_KEY_HEADER, key),
        )
        .await
    }

    pub async fn delete(&self, path: &str, key: &str) -> TestResponse {
        self.send(
            self.http
                .delete(self.url(path))
                .header(fixtures::API_KEY_HEADER, key),
        )
        .await
    }

    pub async fn post(&self, path: &str, key: &str, body: &serde_json::Value) -> TestResponse {
        register_secrets_in(body);
        self.send(
            self.http
                .post(self.url(path))
                .header(fixtures::API_KEY_HEADER, key)
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    pub async fn patch(&self, path: &str, key: &str, body: &serde_json::Value) -> TestResponse {
        register_secrets_in(body);
        self.send(
            self.http
                .patch(self.url(path))
                .header(fixtures::API_KEY_HEADER, key)
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await
    }
}

/// Every response body the kit has seen in this process, for the leak checks.
fn bodies() -> &'static Mutex<Vec<String>> {
    static BODIES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    BODIES.get_or_init(Default::default)
}

/// Keeps a response body for the leak scan (the kit records every body it sees).
pub fn record_body(text: &str) {
    // Signing tokens are shown to clients, so bodies may hold them; log lines never may.
    if let Ok(body) = serde_json::from_str::<serde_json::Value>(text) {
        register_log_secrets_in(&body);
    }
    bodies()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(text.to_owned());
}

/// Registers every signing token (current or previous) in a response body for the log scan.
fn register_log_secrets_in(body: &serde_json::Value) {
    match body {
        serde_json::Value::Array(items) => items.iter().for_each(register_log_secrets_in),
        serde_json::Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    (
                        shared::domain::fields::SECRET_TOKEN
                        | shared::domain::fields::PREVIOUS_SECRET_TOKEN,
                        serde_json::Value::String(token),
                    ) => {
                        insert_once(
                            &mut log_secrets().lock().unwrap_or_else(|p| p.into_inner()),
                            token,
                        );
                    }
                    _ => register_log_secrets_in(value),
                }
            }
        }
        _ => {}
    }
}

/// The signing tokens responses showed, in the order they were first seen.
fn log_secrets() -> &'static Mutex<Registry> {
    static SECRETS: OnceLock<Mutex<Registry>> = OnceLock::new();
    SECRETS.get_or_init(Default::default)
}

/// Values to scan for, each once, in the order they came: the incremental scan relies on it.
#[derive(Default)]
struct Registry {
    in_order: Vec<String>,
    known: std::collections::HashSet<String>,
}

/// Adds `value` to `registry` unless it is there.
fn insert_once(registry: &mut Registry, value: &str) {
    if registry.known.insert(value.to_owned()) {
        registry.in_order.push(value.to_owned());
    }
}

/// The process's log lines, captured by the same JSON subscriber the functions use.
fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(Default::default)
}

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the log capture (once per test process).
pub fn capture_logs() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let buffer = log_buffer().clone();
        shared::telemetry::init_with_writer(move || LogWriter(buffer.clone()));
    });
}

/// The captured log lines so far.
pub fn captured_logs() -> Vec<String> {
    let bytes = log_buffer()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    String::from_utf8_lossy(&bytes)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The secrets registered so far (from request bodies and by hand), for the kit's own tests.
pub fn registered_secrets() -> BTreeSet<String> {
    secrets()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .in_order
        .iter()
        .cloned()
        .collect()
}

/// The registered secrets, in the order they were registered.
fn secrets() -> &'static Mutex<Registry> {
    static SECRETS: OnceLock<Mutex<Registry>> = OnceLock::new();
    SECRETS.get_or_init(Default::default)
}

/// Remembers a value the tests sent that must never come back in a body or a log line.
pub fn register_secret(secret: &str) {
    // Short values could match by accident; `****` is what redaction prints.
    if secret.len() >= 6 && secret != shared::domain::SECRET_PLACEHOLDER {
        insert_once(
            &mut secrets().lock().unwrap_or_else(|p| p.into_inner()),
            secret,
        );
    }
}

/// Remembers a storage secret a test sent: like [`register_secret`], and the table scan looks
/// for it too (API keys are not among them: the table keeps their SHA-256 by design, docs/SPEC.md
/// §2, and a 256-bit random key cannot be guessed).
pub fn register_storage_secret(secret: &str) {
    register_secret(secret);
    if secret.len() >= 8 {
        let mut registry = storage_secrets().lock().unwrap_or_else(|p| p.into_inner());
        if registry.known.contains(secret) {
            return;
        }
        insert_once(&mut registry, secret);
        // For the scan of every table after the suite (`.ci/run`): one JSON string per line.
        if let Ok(path) = std::env::var(LEAK_SCAN_SECRETS_VAR)
            && !path.is_empty()
        {
            let line = format!("{}\n", serde_json::Value::from(secret));
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut file| file.write_all(line.as_bytes()));
            if let Err(e) = written {
                panic!("cannot record a secret in {path}: {e}");
            }
        }
    }
}

/// Set to a file: every storage secret the suite sends is appended to it (JSON strings, one per
/// line), for the scan of every table after the suite (tests/tests/after_suite.rs).
pub const LEAK_SCAN_SECRETS_VAR: &str = "LEAK_SCAN_SECRETS_FILE";

fn storage_secrets() -> &'static Mutex<Registry> {
    static SECRETS: OnceLock<Mutex<Registry>> = OnceLock::new();
    SECRETS.get_or_init(Default::default)
}

/// The storage secrets registered so far.
pub fn registered_storage_secrets() -> Vec<String> {
    storage_secrets()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .in_order
        .clone()
}

/// Registers the storage secrets in a request body: the values of every key the rules hold to
/// be secret, whatever the body's type.
pub fn register_secrets_in(body: &serde_json::Value) {
    // An imgix dialect document's storage secrets, by their imgix names (docs/SPEC.md §24).
    if let Some(deployment) = body["data"]["attributes"]["deployment"].as_object() {
        for (key, value) in deployment {
            let secret = shared::domain::SourceType::ALL.into_iter().any(|t| {
                shared::domain::imgix::storage_fields(t)
                    .into_iter()
                    .any(|(name, _, secret)| secret && name == key.as_str())
            });
            if let (true, Some(value)) = (secret, value.as_str()) {
                register_storage_secret(value);
            }
        }
    }
    if let Some(attributes) = body["source"]["credential_attributes"].as_object() {
        for (key, value) in attributes {
            let secret = shared::domain::SourceType::ALL.into_iter().any(|t| {
                shared::domain::credential_keys(t).any(|k| k.secret && k.key == key.as_str())
            });
            if let (true, Some(value)) = (secret, value.as_str()) {
                register_storage_secret(value);
            }
        }
    }
}

impl TestDb {
    /// Fails if any item of this test's table holds a registered secret in any form
    /// ([`table_scan::encodings`]): what a dump, a backup or an export of it would show.
    pub async fn assert_table_holds_no_secret(&self) {
        let items = table_scan::dump_table(&self.inspector, &self.table).await;
        let secrets = registered_storage_secrets();
        if let Some((secret, form, item)) = table_scan::find_secret(&items, &secrets) {
            panic!("a stored item holds the secret {secret:?} as {form:?}: {item}");
        }
    }
}

/// How far a leak scan has got: every body before `bodies` and every log byte before `log_bytes`
/// has been checked against the first `secrets` registered secrets and the first `tokens` signing
/// tokens.
#[derive(Debug, Default)]
pub struct ScanMarks {
    bodies: usize,
    log_bytes: usize,
    secrets: usize,
    tokens: usize,
}

/// What a leak scan looks through and for: bodies and log bytes only ever grow, and secrets and
/// tokens come in the order they were registered.
pub struct Seen<'a> {
    pub bodies: &'a [String],
    pub logs: &'a [u8],
    pub secrets: &'a [String],
    pub tokens: &'a [String],
}

/// One step of the incremental leak scan: what `seen` holds beyond `marks` is checked (new bodies
/// and lines against every secret, the old ones against the secrets registered since), then
/// `marks` moves on. `Err` names the leak, and `marks` stay where they were.
pub fn scan_for_leaks(marks: &mut ScanMarks, seen: &Seen<'_>) -> Result<(), String> {
    for (index, body) in seen.bodies.iter().enumerate() {
        let unchecked = if index < marks.bodies {
            &seen.secrets[marks.secrets..]
        } else {
            seen.secrets
        };
        if unchecked
            .iter()
            .any(|secret| body.contains(secret.as_str()))
        {
            return Err(format!("a response body holds a secret: {body}"));
        }
    }
    // Only whole lines: a line still being written is scanned by the next step.
    let complete = seen
        .logs
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |end| end + 1);
    let scan = |from: usize, to: usize, secrets: &[String], tokens: &[String]| {
        for line in String::from_utf8_lossy(&seen.logs[from..to]).lines() {
            if secrets.iter().any(|secret| line.contains(secret.as_str())) {
                return Err(format!("a log line holds a secret: {line}"));
            }
            if tokens.iter().any(|token| line.contains(token.as_str())) {
                return Err(format!("a log line holds a signing token: {line}"));
            }
        }
        Ok(())
    };
    let done = marks.log_bytes.min(complete);
    scan(
        0,
        done,
        &seen.secrets[marks.secrets..],
        &seen.tokens[marks.tokens..],
    )?;
    scan(done, complete, seen.secrets, seen.tokens)?;
    *marks = ScanMarks {
        bodies: seen.bodies.len(),
        log_bytes: complete,
        secrets: seen.secrets.len(),
        tokens: seen.tokens.len(),
    };
    Ok(())
}

/// Scans every response body and log line seen so far for every registered secret and API key,
/// and every log line for the signing tokens responses showed.
///
/// Incrementally ([`scan_for_leaks`]): each (body or log line, secret) pair is checked once, by
/// whichever call first sees both. Every test ends with this scan, and all suites share one
/// process, so scanning everything again each time would grow with the square of the suite.
pub fn assert_no_registered_leaks() {
    static MARKS: OnceLock<Mutex<ScanMarks>> = OnceLock::new();
    let mut marks = MARKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let secrets = secrets()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .in_order
        .clone();
    let tokens = log_secrets()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .in_order
        .clone();
    let logs = log_buffer()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let bodies = bodies().lock().unwrap_or_else(|p| p.into_inner());
    let seen = Seen {
        bodies: &bodies,
        logs: &logs,
        secrets: &secrets,
        tokens: &tokens,
    };
    if let Err(leak) = scan_for_leaks(&mut marks, &seen) {
        panic!("{leak}");
    }
}

/// Every test that talks to the app ends with the leak scan.
impl Drop for TestApp {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_no_registered_leaks();
        }
    }
}

/// Fails if any response body or log line seen so far holds any of `secrets`.
pub fn assert_no_leaks(secrets: &[&str]) {
    let logs = captured_logs();
    let bodies = bodies().lock().unwrap_or_else(|p| p.into_inner()).clone();
    for secret in secrets {
        assert!(secret.len() >= 6, "too short to search for: {secret:?}");
        for line in &logs {
            assert!(!line.contains(secret), "a log line holds a secret: {line}");
        }
        for body in &bodies {
            assert!(
                !body.contains(secret),
                "a response body holds a secret: {body}"
            );
        }
    }
}
