//! What the benchmarks ask of the API: sources seeded through the real API, and Lambda events from
//! `events/` pointed at them.

use std::path::{Path, PathBuf};

use axum::body::Bytes;
use integration_tests::TestApp;
use serde_json::{Value, json};
use shared::catalog::CATALOG;

/// The functions as Lambda runs them: every row of the catalog, in its order; each is invoked
/// with the event of its own name in `events/`.
pub const FUNCTIONS: [&str; CATALOG.len()] = {
    let mut names = [""; CATALOG.len()];
    let mut i = 0;
    while i < CATALOG.len() {
        names[i] = CATALOG[i].name;
        i += 1;
    }
    names
};

#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("{path}: {message}")]
    Event { path: String, message: String },
    #[error("seeding failed: {0}")]
    Seed(String),
}

/// The `events/` directory of the workspace.
pub fn events_dir(workspace: &Path) -> PathBuf {
    workspace.join("events")
}

/// A body for a valid S3 source called `name`.
pub fn source_body(name: &str) -> Value {
    json!({ "source": {
        "source": name,
        "source_type": "s3",
        "credential_attributes": {
            "access_key_id": "AKIABENCHMARK0000000",
            "secret_access_key": "bench-secret-access-key-0000000000000000",
            "bucket": "bench-bucket",
            "region": "us-east-1",
        },
    }})
}

/// The object the object check's case fetches (docs/SPEC.md §25), and the name its figures are
/// reported under (the function is verify-source).
pub const OBJECT_KEY: &str = "photos/cat.jpg";
pub const OBJECT_CHECK_SUBJECT: &str = "verify-source (object check)";

/// The imgix dialect's calls (docs/SPEC.md §24), measured beside the native ones: the same
/// functions, an event from the imgix API.
pub const IMGIX_SUBJECTS: [(&str, &str); 4] = [
    ("get-source (imgix)", "get-source"),
    ("list-sources (imgix)", "list-sources"),
    ("create-source (imgix)", "create-source"),
    ("update-source (imgix)", "update-source"),
];

/// A create through the imgix dialect: a web folder under a subdomain of its own.
pub fn imgix_create_body(name: &str) -> Value {
    json!({"data": {"type": "sources", "attributes": {"name": name, "deployment": {
        "type": "webfolder", "webfolder_base_url": "https://images.example.com/",
        "imgix_subdomains": [name]}}}})
}

/// A body for an S3 source whose keys and bucket the test kit's S3 server (s3s-fs) accepts: a
/// verification of it lists the bucket for real, SigV4 checked.
pub fn verifiable_body(name: &str) -> Value {
    use integration_tests::storage::{S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY};
    json!({ "source": {
        "source": name,
        "source_type": "s3",
        "credential_attributes": {
            "access_key_id": S3_ACCESS_KEY,
            "secret_access_key": S3_SECRET_KEY,
            "bucket": S3_BUCKET,
            "region": "us-east-1",
        },
    }})
}

/// Creates `count` sources named `<prefix>-<n>` for the key's account; returns their ids.
pub async fn seed_sources(
    app: &TestApp,
    key: &str,
    prefix: &str,
    count: usize,
) -> Result<Vec<String>, WorkloadError> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let created = app
            .post("/v1/sources", key, &source_body(&format!("{prefix}-{n}")))
            .await;
        if created.status != 201 {
            return Err(WorkloadError::Seed(format!(
                "POST answered {}: {}",
                created.status, created.text
            )));
        }
        let id = created.json()["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| WorkloadError::Seed("no id in the POST answer".into()))?;
        ids.push(id);
    }
    Ok(ids)
}

/// Builds events from the files in `events/`.
#[derive(Clone, Debug)]
pub struct Events {
    dir: PathBuf,
}

impl Events {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn template(&self, function: &str) -> Result<Value, WorkloadError> {
        let path = self.dir.join(format!("{function}.json"));
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| WorkloadError::Event {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| WorkloadError::Event {
            path: shown,
            message: e.to_string(),
        })
    }

    /// An API Gateway REST event for `function`, as the authorizer lets it through for `account`,
    /// addressed to source `id` (if the route has one) and carrying `body` (if given).
    pub fn endpoint(
        &self,
        function: &str,
        account: &str,
        id: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Bytes, WorkloadError> {
        let mut event = self.template(function)?;
        // What the authorizer hands every function (`Caller::context`), for a write key.
        let caller = shared::http::caller::Caller {
            account: shared::domain::AccountId::parse(account).map_err(|_| {
                WorkloadError::Event {
                    path: function.to_owned(),
                    message: format!("{account} is not an account id"),
                }
            })?,
            scope: shared::domain::KeyScope::Write,
            key_id: "0123456789abcdef".to_owned(),
            key_label: "bench".to_owned(),
            expires_at: None,
        };
        let mut context = caller.context();
        context.insert("principalId".to_owned(), Value::from(account));
        event["requestContext"]["authorizer"] = Value::Object(context);
        if let Some(id) = id {
            event["pathParameters"] = json!({ "id": id });
            let resource = event["resource"].as_str().unwrap_or_default().to_owned();
            event["path"] = Value::from(resource.replace("{id}", id));
        }
        if let Some(body) = body {
            event["body"] = Value::from(body.to_string());
        }
        Ok(Bytes::from(event.to_string()))
    }

    /// [`Events::endpoint`] as the imgix API sends it (docs/SPEC.md §24): its stage variable, the
    /// route under imgix's `/api/v1`, a JSON:API body.
    pub fn imgix_endpoint(
        &self,
        function: &str,
        account: &str,
        id: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Bytes, WorkloadError> {
        let native = self.endpoint(function, account, id, body)?;
        let mut event: Value =
            serde_json::from_slice(&native).map_err(|e| WorkloadError::Event {
                path: function.to_owned(),
                message: e.to_string(),
            })?;
        event["stageVariables"] = json!({
            shared::http::dialect::DIALECT_STAGE_VARIABLE: shared::http::dialect::IMGIX_DIALECT
        });
        for key in ["resource", "path"] {
            if let Some(path) = event[key].as_str().and_then(|p| p.strip_prefix("/v1/")) {
                event[key] = Value::from(format!("/api/v1/{path}"));
            }
        }
        if let Some(path) = event["resource"].as_str().map(str::to_owned) {
            event["requestContext"]["resourcePath"] = Value::from(path);
        }
        Ok(Bytes::from(event.to_string()))
    }

    /// The console's page, as API Gateway sends it without an authorizer (docs/SPEC.md §20).
    pub fn console(&self) -> Result<Bytes, WorkloadError> {
        Ok(Bytes::from(
            self.template(shared::catalog::CONSOLE.name)?.to_string(),
        ))
    }

    /// EventBridge's scheduled event, which starts one health sweep (docs/SPEC.md §22).
    pub fn scheduled(&self) -> Result<Bytes, WorkloadError> {
        Ok(Bytes::from(
            self.template(shared::catalog::CHECK_SOURCES.name)?
                .to_string(),
        ))
    }

    /// The authorizer's event, carrying `key`.
    pub fn authorizer(&self, key: &str) -> Result<Bytes, WorkloadError> {
        let mut event = self.template("authorizer")?;
        event["headers"][shared::http::caller::API_KEY_HEADER] = Value::from(key);
        event["multiValueHeaders"][shared::http::caller::API_KEY_HEADER] = json!([key]);
        Ok(Bytes::from(event.to_string()))
    }
}

/// Whether a function's answer is the success it should be: a 2xx for the HTTP functions, an
/// Allow policy for the authorizer, a sweep's count of checks for `check-sources` (a run that
/// failed answers the runtime an error instead).
pub fn is_success(answer: &[u8]) -> bool {
    let Ok(answer) = serde_json::from_slice::<Value>(answer) else {
        return false;
    };
    if let Some(status) = answer["statusCode"].as_u64() {
        return (200..300).contains(&status);
    }
    if answer["checks"].is_u64() {
        return true;
    }
    answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
}
