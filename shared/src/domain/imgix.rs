//! The imgix dialect's representation of a source (docs/SPEC.md §24), both directions, in one
//! place: imgix's `attributes` (`name`, `enabled`, `deployment`) to the native `source` object a
//! create or update reads ([`to_native`]), and a native source object to imgix's attributes
//! ([`to_imgix`]). Every rule stays the native one: the dialect only renames and regroups, so a
//! source written through either API is the same source. A problem the mapping itself finds (a
//! type imgix does not have, a key the type does not take) is a [`Problem`] naming imgix's field;
//! [`pointer_of`] and [`imgix_message`] say the native rules' problems in imgix's names.

use serde_json::{Map, Value, json};

use super::azure_service::AzureService;
use super::credentials::secret_key;
use super::delivery::UrlSignature;
use super::fields;
use super::health::HEALTH;
use super::validation::{Invalid, display_key};
use super::{SourceFields, SourceType};

/// imgix's attributes of a source.
pub const NAME: &str = "name";
pub const ENABLED: &str = "enabled";
pub const DEPLOYMENT: &str = "deployment";
pub const DEPLOYMENT_STATUS: &str = "deployment_status";
pub const DATE_DEPLOYED: &str = "date_deployed";
pub const SECURE_URL_TOKEN: &str = "secure_url_token";
/// Inside `deployment`.
pub const TYPE: &str = "type";
pub const STORAGE_PROVIDER: &str = "storage_provider";
pub const SECURE_URL_ENABLED: &str = "secure_url_enabled";
pub const ALLOWS_UPLOAD: &str = "allows_upload";
const ENDPOINT_URL: &str = "endpoint_url";
const REGION: &str = "region";
const AZURE_BUCKET: &str = "azure_bucket";
const AZURE_SERVICE_TYPE: &str = "azure_service_type";
/// imgix has no region for S3: without one a source is stored in `us-east-1` (docs/SPEC.md §24).
pub const DEFAULT_S3_REGION: &str = "us-east-1";

/// Attributes a client echoes from what it read; ignored on writes, as the native read-only ones.
const READ_ONLY_ATTRIBUTES: [&str; 3] = [DEPLOYMENT_STATUS, DATE_DEPLOYED, SECURE_URL_TOKEN];

/// imgix's type of a native type, and for the S3-compatible ones the `storage_provider`.
pub fn imgix_type(source_type: SourceType) -> (&'static str, Option<&'static str>) {
    match source_type {
        SourceType::S3 => ("s3", None),
        SourceType::Gcs => ("gcs", None),
        SourceType::Azure => ("azure", None),
        SourceType::Url => ("webfolder", None),
        SourceType::Proxy => ("webproxy", None),
        SourceType::Dos => ("s3_compatible", Some("DigitalOcean")),
        SourceType::Wasabi => ("s3_compatible", Some("Wasabi")),
        SourceType::Akamai => ("s3_compatible", Some("Linode")),
        SourceType::R2 => ("s3_compatible", Some("Cloudflare")),
    }
}

/// The native type of imgix's `type` and `storage_provider`.
fn native_type(imgix: &str, provider: Option<&str>) -> Option<SourceType> {
    SourceType::ALL
        .into_iter()
        .find(|t| imgix_type(*t) == (imgix, provider))
}

/// The type's storage fields: (imgix's name, ours). Keys derived from others (an S3-compatible
/// provider's endpoint or region, Azure's container or share) are handled beside this table.
fn credential_names(source_type: SourceType) -> &'static [(&'static str, &'static str)] {
    const ORIGIN_AUTH: [(&str, &str); 4] = [
        ("username", "username"),
        ("password", "password"),
        ("request_handshake", "request_handshake"),
        ("request_signing_key", "request_signing_key"),
    ];
    match source_type {
        SourceType::S3 => &[
            ("s3_bucket", "bucket"),
            ("s3_region", "region"),
            ("s3_access_key", "access_key_id"),
            ("s3_secret_key", "secret_access_key"),
            ("s3_prefix", "prefix"),
        ],
        SourceType::Gcs => &[
            ("gcs_bucket", "bucket"),
            ("gcs_access_key", "access_key"),
            ("gcs_secret_key", "secret"),
            ("gcs_prefix", "prefix"),
        ],
        SourceType::Azure => &[
            ("azure_account", "account_name"),
            ("azure_sas_string", "sas_token"),
            ("azure_prefix", "prefix"),
        ],
        SourceType::Dos | SourceType::Wasabi => &[
            ("bucket_name", "bucket"),
            ("access_key_id", "access_key"),
            ("secret_key", "secret"),
            (REGION, "region"),
            ("prefix", "prefix"),
        ],
        SourceType::Akamai => &[
            ("bucket_name", "bucket"),
            ("access_key_id", "access_key"),
            ("secret_key", "secret"),
            (ENDPOINT_URL, "endpoint"),
            ("prefix", "prefix"),
        ],
        SourceType::R2 => &[
            ("bucket_name", "bucket"),
            ("access_key_id", "access_key"),
            ("secret_key", "secret"),
            ("prefix", "prefix"),
        ],
        SourceType::Url => &[
            ("webfolder_base_url", "url"),
            ORIGIN_AUTH[0],
            ORIGIN_AUTH[1],
            ORIGIN_AUTH[2],
            ORIGIN_AUTH[3],
        ],
        SourceType::Proxy => &ORIGIN_AUTH,
    }
}

/// imgix's storage fields of `source_type` (with `storage_provider` for the S3-compatible ones),
/// for those who describe the dialect: (name, required on a create, a write-only secret).
pub fn storage_fields(source_type: SourceType) -> Vec<(&'static str, bool, bool)> {
    let names = credential_names(source_type);
    let mut described: Vec<(&'static str, bool, bool)> =
        super::credentials::credential_keys(source_type)
            .filter_map(|key| {
                names
                    .iter()
                    .find(|(_, ours)| *ours == key.key)
                    .map(|(theirs, _)| (*theirs, key.required, key.secret))
            })
            .collect();
    match source_type {
        SourceType::Azure => {
            described.push((AZURE_BUCKET, true, false));
            described.push((AZURE_SERVICE_TYPE, true, false));
        }
        SourceType::Dos | SourceType::Wasabi | SourceType::R2 => {
            described.push((ENDPOINT_URL, false, false));
            if source_type == SourceType::R2 {
                described.push((REGION, false, false));
            }
        }
        SourceType::Akamai => described.push((REGION, false, false)),
        _ => {}
    }
    if imgix_type(source_type).1.is_some() {
        described.push((STORAGE_PROVIDER, true, false));
    }
    described
}

/// imgix's names of the delivery settings, in imgix's order.
pub fn delivery_fields() -> impl Iterator<Item = &'static str> {
    DELIVERY_NAMES.iter().map(|(theirs, _)| *theirs)
}

/// The delivery settings: imgix's name, and our path under `delivery`.
const DELIVERY_NAMES: [(&str, &str); 13] = [
    ("custom_domains", "custom_domains"),
    ("imgix_subdomains", "subdomains"),
    ("default_params", "default_params"),
    ("cache_ttl_behavior", "cache.behavior"),
    ("cache_ttl_value", "cache.ttl"),
    ("cache_ttl_error", "cache.error_ttl"),
    ("image_error", "fallback_images.error.url"),
    (
        "image_error_append_qs",
        "fallback_images.error.append_query",
    ),
    ("image_missing", "fallback_images.missing.url"),
    (
        "image_missing_append_qs",
        "fallback_images.missing.append_query",
    ),
    ("crossdomain_xml_enabled", "crossdomain_xml"),
    ("url_signature", "url_signature"),
    ("annotation", "annotation"),
];

/// Where an R2 bucket's account is reached: `https://<account id>.r2.cloudflarestorage.com`.
const R2_HOST_SUFFIX: &str = ".r2.cloudflarestorage.com";

/// The endpoint an S3-compatible provider's source implies, from its credentials (our values).
fn implied_endpoint(source_type: SourceType, credentials: &Map<String, Value>) -> Option<String> {
    let text = |key: &str| credentials.get(key).and_then(Value::as_str);
    match source_type {
        SourceType::Dos => text("region").map(|r| format!("https://{r}.digitaloceanspaces.com")),
        SourceType::Wasabi => Some(match text("region") {
            Some(region) => format!("https://s3.{region}.wasabisys.com"),
            None => "https://s3.wasabisys.com".to_owned(),
        }),
        SourceType::R2 => text("account_id").map(|id| format!("https://{id}{R2_HOST_SUFFIX}")),
        _ => None,
    }
}

/// A problem the mapping found, in imgix's words, at imgix's field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The JSON pointer of the field at fault (`/data/attributes/deployment/s3_bucket`).
    pub pointer: String,
    pub detail: String,
}

fn pointer(path: &[&str]) -> String {
    let mut pointer = String::from("/data/attributes");
    for part in path {
        pointer.push('/');
        pointer.push_str(&part.replace('~', "~0").replace('/', "~1"));
    }
    pointer
}

fn problem(path: &[&str], detail: impl Into<String>) -> Problem {
    Problem {
        pointer: pointer(path),
        detail: detail.into(),
    }
}

/// imgix's attributes of a create (`stored` is `None`) or an update (the source as stored) as the
/// native `source` object that create or update reads. On a create, `imgix_subdomains` must hold
/// at least one subdomain, as imgix requires; the URL signature is imgix's unless the request
/// names one. A source that becomes S3 (on a create or by a change of type) without `s3_region`
/// is in `us-east-1`.
pub fn to_native(
    attributes: &Map<String, Value>,
    stored: Option<&SourceFields>,
) -> Result<Map<String, Value>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut native = Map::new();
    for (key, value) in attributes {
        match key.as_str() {
            NAME => {
                native.insert(fields::SOURCE.to_owned(), value.clone());
            }
            ENABLED => {
                native.insert(fields::ENABLED.to_owned(), value.clone());
            }
            DEPLOYMENT => {}
            read_only if READ_ONLY_ATTRIBUTES.contains(&read_only) => {}
            other => problems.push(problem(
                &[other],
                format!("{} is not supported", display_key(other)),
            )),
        }
    }
    let empty = Map::new();
    let deployment = match attributes.get(DEPLOYMENT) {
        None => &empty,
        Some(Value::Object(deployment)) => deployment,
        Some(_) => {
            problems.push(problem(&[DEPLOYMENT], "deployment must be an object"));
            return Err(problems);
        }
    };
    if stored.is_none() {
        if !attributes.contains_key(NAME) {
            problems.push(problem(&[NAME], "name can't be blank"));
        }
        let subdomains = deployment.get("imgix_subdomains").and_then(Value::as_array);
        if subdomains.is_none_or(Vec::is_empty) {
            problems.push(problem(
                &[DEPLOYMENT, "imgix_subdomains"],
                "deployment.imgix_subdomains must hold at least one subdomain",
            ));
        }
    }
    let source_type = deployment_type(deployment, stored, &mut problems);
    if let Some(source_type) = source_type {
        let changes_type = stored.is_none_or(|s| s.source_type != source_type);
        if changes_type {
            native.insert(
                fields::SOURCE_TYPE.to_owned(),
                Value::from(source_type.as_str()),
            );
        }
        let credentials = credentials(source_type, deployment, stored, &mut problems);
        // A source that becomes S3 (made so, or converted) without `s3_region` is in us-east-1.
        if changes_type && source_type == SourceType::S3 && !credentials.contains_key("region") {
            let mut credentials = credentials;
            credentials.insert("region".to_owned(), Value::from(DEFAULT_S3_REGION));
            native.insert(
                fields::CREDENTIAL_ATTRIBUTES.to_owned(),
                Value::Object(credentials),
            );
        } else if !credentials.is_empty() {
            native.insert(
                fields::CREDENTIAL_ATTRIBUTES.to_owned(),
                Value::Object(credentials),
            );
        }
    }
    let mut delivery = delivery(deployment, stored, &mut problems);
    if stored.is_none() && !delivery.contains_key("url_signature") {
        delivery.insert(
            "url_signature".to_owned(),
            Value::from(UrlSignature::Imgix.as_str()),
        );
    }
    if !delivery.is_empty() {
        native.insert(
            super::delivery::DELIVERY.to_owned(),
            Value::Object(delivery),
        );
    }
    if problems.is_empty() {
        Ok(native)
    } else {
        Err(problems)
    }
}

/// The native type `deployment` names (with the stored one when it names none).
fn deployment_type(
    deployment: &Map<String, Value>,
    stored: Option<&SourceFields>,
    problems: &mut Vec<Problem>,
) -> Option<SourceType> {
    let stored_type = stored.map(|s| s.source_type);
    let given_type = deployment.get(TYPE);
    let given_provider = deployment.get(STORAGE_PROVIDER);
    if given_type.is_none() && given_provider.is_none() {
        if stored_type.is_none() {
            problems.push(problem(
                &[DEPLOYMENT, TYPE],
                "deployment.type can't be blank",
            ));
        }
        return stored_type;
    }
    let stored_imgix = stored_type.map(imgix_type);
    let Some(imgix) = (match given_type {
        Some(Value::String(text)) => Some(text.as_str()),
        None => stored_imgix.map(|(t, _)| t),
        Some(_) => None,
    }) else {
        problems.push(problem(
            &[DEPLOYMENT, TYPE],
            "deployment.type must be one of s3, gcs, azure, s3_compatible, webfolder, webproxy",
        ));
        return None;
    };
    let provider = match given_provider {
        Some(Value::String(text)) => Some(text.as_str()),
        Some(Value::Null) => None,
        Some(_) => {
            problems.push(problem(
                &[DEPLOYMENT, STORAGE_PROVIDER],
                "deployment.storage_provider must be one of DigitalOcean, Wasabi, Linode, Cloudflare",
            ));
            return None;
        }
        // The stored provider while the type stays S3-compatible.
        None => stored_imgix
            .filter(|(t, _)| *t == imgix)
            .and_then(|(_, p)| p),
    };
    if imgix == "s3_compatible" {
        let found = provider.and_then(|p| native_type(imgix, Some(p)));
        if found.is_none() {
            problems.push(problem(
                &[DEPLOYMENT, STORAGE_PROVIDER],
                "deployment.storage_provider must be one of DigitalOcean, Wasabi, Linode, Cloudflare for s3_compatible sources",
            ));
        }
        return found;
    }
    if given_provider.is_some_and(|p| !p.is_null()) {
        problems.push(problem(
            &[DEPLOYMENT, STORAGE_PROVIDER],
            format!("deployment.storage_provider is not supported for {imgix} sources"),
        ));
        return None;
    }
    let found = native_type(imgix, None);
    if found.is_none() {
        problems.push(problem(
            &[DEPLOYMENT, TYPE],
            "deployment.type must be one of s3, gcs, azure, s3_compatible, webfolder, webproxy",
        ));
    }
    found
}

/// The native `credential_attributes` of `deployment` for `source_type`.
fn credentials(
    source_type: SourceType,
    deployment: &Map<String, Value>,
    stored: Option<&SourceFields>,
    problems: &mut Vec<Problem>,
) -> Map<String, Value> {
    let (imgix, _) = imgix_type(source_type);
    let names = credential_names(source_type);
    let mut credentials = Map::new();
    let mut endpoint_url = None;
    for (key, value) in deployment {
        let key = key.as_str();
        if let Some((_, ours)) = names.iter().find(|(theirs, _)| *theirs == key) {
            credentials.insert((*ours).to_owned(), value.clone());
            continue;
        }
        match key {
            TYPE | STORAGE_PROVIDER | ALLOWS_UPLOAD => {}
            SECURE_URL_ENABLED => {
                credentials.insert(fields::REQUIRE_TOKEN.to_owned(), value.clone());
            }
            _ if DELIVERY_NAMES.iter().any(|(theirs, _)| *theirs == key) => {}
            AZURE_SERVICE_TYPE if source_type == SourceType::Azure => {
                let ours = match value.as_str() {
                    Some("file") => Value::from(AzureService::FileShare.as_str()),
                    Some("blob") => Value::from(AzureService::Blob.as_str()),
                    _ => value.clone(),
                };
                credentials.insert("service_type".to_owned(), ours);
            }
            AZURE_BUCKET if source_type == SourceType::Azure => {}
            ENDPOINT_URL
                if matches!(
                    source_type,
                    SourceType::Dos | SourceType::Wasabi | SourceType::R2
                ) =>
            {
                endpoint_url = Some(value);
            }
            // Linode's and Cloudflare's region is their endpoint's: accepted, not kept.
            REGION if matches!(source_type, SourceType::Akamai | SourceType::R2) => {}
            other => problems.push(problem(
                &[DEPLOYMENT, other],
                format!(
                    "deployment.{} is not supported for {imgix} sources",
                    display_key(other)
                ),
            )),
        }
    }
    if source_type == SourceType::Azure
        && let Some(bucket) = deployment.get(AZURE_BUCKET)
    {
        // The container or the share, by the service the result uses.
        let service = credentials
            .get("service_type")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                stored
                    .filter(|s| s.source_type == SourceType::Azure)
                    .and_then(|s| s.credentials.get("service_type"))
                    .map(|v| v.public().to_owned())
            });
        let key = match service.as_deref().and_then(AzureService::parse) {
            Some(service) => service.resource_key(),
            None => AzureService::Blob.resource_key(),
        };
        credentials.insert(key.to_owned(), bucket.clone());
        // A bucket given under one service is not kept under the other.
        if stored.is_some()
            && let Some(service) = service.as_deref().and_then(AzureService::parse)
        {
            credentials.insert(service.other().resource_key().to_owned(), Value::Null);
        }
    }
    if let Some(url) = endpoint_url {
        endpoint(source_type, url, &mut credentials, stored, problems);
    }
    credentials
}

/// An S3-compatible provider's `endpoint_url` where ours derives the endpoint: Cloudflare's names
/// the account (`account_id`); DigitalOcean's and Wasabi's must be the one their region implies.
fn endpoint(
    source_type: SourceType,
    url: &Value,
    credentials: &mut Map<String, Value>,
    stored: Option<&SourceFields>,
    problems: &mut Vec<Problem>,
) {
    let Some(url) = url.as_str() else {
        if !url.is_null() {
            problems.push(problem(
                &[DEPLOYMENT, ENDPOINT_URL],
                "deployment.endpoint_url must be a string",
            ));
        }
        return;
    };
    if source_type == SourceType::R2 {
        let account = url
            .strip_prefix("https://")
            .map(|rest| rest.trim_end_matches('/'))
            .and_then(|host| host.strip_suffix(R2_HOST_SUFFIX));
        match account {
            Some(account) => {
                credentials.insert("account_id".to_owned(), Value::from(account));
            }
            None => problems.push(problem(
                &[DEPLOYMENT, ENDPOINT_URL],
                format!(
                    "deployment.endpoint_url must be https://<account id>{R2_HOST_SUFFIX} for Cloudflare"
                ),
            )),
        }
        return;
    }
    // The region of the result: the one given, else the stored one.
    let mut result = Map::new();
    let stored_region = stored
        .filter(|s| s.source_type == source_type)
        .and_then(|s| s.credentials.get("region"))
        .map(|v| Value::from(v.public()));
    if let Some(region) = credentials.get("region").cloned().or(stored_region) {
        result.insert("region".to_owned(), region);
    }
    let implied = implied_endpoint(source_type, &result);
    if implied.as_deref() != Some(url.trim_end_matches('/')) {
        let (_, provider) = imgix_type(source_type);
        problems.push(problem(
            &[DEPLOYMENT, ENDPOINT_URL],
            match implied {
                Some(implied) => format!(
                    "deployment.endpoint_url must be {implied} for {} in that region",
                    provider.unwrap_or_default()
                ),
                None => "deployment.endpoint_url needs deployment.region".to_owned(),
            },
        ));
    }
}

/// The native `delivery` of `deployment`: each of imgix's flat keys put where ours keeps it, the
/// objects ours groups them in (`cache`, each fallback image) completed from the stored settings,
/// since ours replaces a named key whole and imgix's merges key by key.
fn delivery(
    deployment: &Map<String, Value>,
    stored: Option<&SourceFields>,
    problems: &mut Vec<Problem>,
) -> Map<String, Value> {
    let stored_public = stored.map(|s| s.delivery.public()).unwrap_or(Value::Null);
    let mut delivery = Map::new();
    for (theirs, ours) in DELIVERY_NAMES {
        let Some(value) = deployment.get(theirs) else {
            continue;
        };
        let parts: Vec<&str> = ours.split('.').collect();
        match parts.as_slice() {
            [key] => {
                delivery.insert((*key).to_owned(), value.clone());
            }
            ["cache", key] => {
                let cache = delivery
                    .entry("cache")
                    .or_insert_with(|| grouped(&stored_public["cache"]));
                cache[*key] = value.clone();
            }
            ["fallback_images", slot, key] => {
                let images = delivery
                    .entry("fallback_images")
                    .or_insert_with(|| json!({}));
                if images.get(*slot).is_none() {
                    images[*slot] = grouped(&stored_public["fallback_images"][*slot]);
                }
                images[*slot][*key] = value.clone();
            }
            _ => {}
        }
    }
    // A fallback image without its URL: none, if the append flag is all there is and it is off
    // (what a client echoes for a source without one); else the URL is missing.
    if let Some(Value::Object(images)) = delivery.get_mut("fallback_images") {
        for (slot, image) in images.iter_mut() {
            let url = image.get("url").cloned().unwrap_or(Value::Null);
            let append = image.get("append_query").cloned().unwrap_or(Value::Null);
            if url.is_null() {
                if append.as_bool() == Some(true) {
                    problems.push(problem(
                        &[DEPLOYMENT, &format!("image_{slot}_append_qs")],
                        format!(
                            "deployment.image_{slot}_append_qs can be true only with deployment.image_{slot}"
                        ),
                    ));
                }
                *image = Value::Null;
            }
        }
    }
    delivery
}

/// A stored object of the settings (`cache`, a fallback image) to complete, or an empty one.
fn grouped(stored: &Value) -> Value {
    match stored {
        Value::Object(object) => Value::Object(object.clone()),
        _ => json!({}),
    }
}

/// imgix's attributes of a native source object: a create or update body's `source` (with
/// `credential_attributes`) or a response's (with `credentials`, secrets as `****`). Secrets shown
/// as `****` are left out, as imgix leaves them out; the signing token is `secure_url_token`,
/// present only when signed URLs are required; `deployment_status` and `date_deployed` come from
/// `enabled` and `updated_at` when the object has them.
pub fn to_imgix(native: &Map<String, Value>) -> Map<String, Value> {
    let mut attributes = Map::new();
    if let Some(name) = native.get(fields::SOURCE) {
        attributes.insert(NAME.to_owned(), name.clone());
    }
    if let Some(enabled) = native.get(fields::ENABLED) {
        attributes.insert(ENABLED.to_owned(), enabled.clone());
        if native.contains_key(fields::UPDATED_AT) {
            let status = if enabled.as_bool() == Some(false) {
                "disabled"
            } else {
                "deployed"
            };
            attributes.insert(DEPLOYMENT_STATUS.to_owned(), Value::from(status));
        }
    }
    if let Some(updated) = native
        .get(fields::UPDATED_AT)
        .and_then(Value::as_str)
        .and_then(super::Timestamp::parse)
    {
        attributes.insert(
            DATE_DEPLOYED.to_owned(),
            Value::from(updated.unix_seconds()),
        );
    }
    let mut deployment = Map::new();
    let source_type = native
        .get(fields::SOURCE_TYPE)
        .and_then(Value::as_str)
        .and_then(|t| SourceType::parse(t).ok());
    let empty = Map::new();
    let credentials = match native
        .get(fields::CREDENTIAL_ATTRIBUTES)
        .or_else(|| native.get(fields::CREDENTIALS))
    {
        Some(Value::Object(credentials)) => credentials,
        _ => &empty,
    };
    if let Some(source_type) = source_type {
        let (imgix, provider) = imgix_type(source_type);
        deployment.insert(TYPE.to_owned(), Value::from(imgix));
        if let Some(provider) = provider {
            deployment.insert(STORAGE_PROVIDER.to_owned(), Value::from(provider));
        }
        for (key, value) in credentials {
            let hidden = secret_key(key).is_some() && value == super::limits::SECRET_PLACEHOLDER;
            if hidden {
                continue;
            }
            if let Some((theirs, _)) = credential_names(source_type)
                .iter()
                .find(|(_, ours)| ours == key)
            {
                deployment.insert((*theirs).to_owned(), value.clone());
            }
        }
        match source_type {
            SourceType::Azure => {
                if let Some(service) = credentials.get("service_type") {
                    let theirs = match service.as_str().and_then(AzureService::parse) {
                        Some(AzureService::FileShare) => Value::from("file"),
                        _ => service.clone(),
                    };
                    deployment.insert(AZURE_SERVICE_TYPE.to_owned(), theirs);
                }
                let bucket = AzureService::ALL
                    .iter()
                    .find_map(|s| credentials.get(s.resource_key()).filter(|v| !v.is_null()));
                if let Some(bucket) = bucket {
                    deployment.insert(AZURE_BUCKET.to_owned(), bucket.clone());
                }
            }
            SourceType::Dos | SourceType::Wasabi | SourceType::R2 => {
                if let Some(endpoint) = implied_endpoint(source_type, credentials) {
                    deployment.insert(ENDPOINT_URL.to_owned(), Value::from(endpoint));
                }
                if source_type == SourceType::R2 {
                    deployment.insert(REGION.to_owned(), Value::from("auto"));
                }
            }
            SourceType::Akamai => {
                let region = credentials
                    .get("endpoint")
                    .and_then(Value::as_str)
                    .and_then(|e| url::Url::parse(e).ok())
                    .and_then(|e| {
                        e.host_str()
                            .and_then(|h| h.split('.').next())
                            .map(str::to_owned)
                    });
                if let Some(region) = region {
                    deployment.insert(REGION.to_owned(), Value::from(region));
                }
            }
            _ => {}
        }
    }
    let require_token = credentials.get(fields::REQUIRE_TOKEN).map(|v| match v {
        Value::String(text) => Value::Bool(text == "true"),
        other => other.clone(),
    });
    if let Some(require_token) = &require_token {
        deployment.insert(SECURE_URL_ENABLED.to_owned(), require_token.clone());
    }
    if require_token.as_ref().and_then(Value::as_bool) == Some(true)
        && let Some(token) = credentials.get(fields::SECRET_TOKEN)
    {
        attributes.insert(SECURE_URL_TOKEN.to_owned(), token.clone());
    }
    if let Some(Value::Object(delivery)) = native.get(super::delivery::DELIVERY) {
        for (theirs, ours) in DELIVERY_NAMES {
            let mut value = Some(Value::Object(delivery.clone()));
            for part in ours.split('.') {
                value = value.and_then(|v| match v {
                    Value::Object(mut object) => object.remove(part),
                    // A fallback image that is `null` has neither a URL nor a flag.
                    Value::Null => Some(Value::Null),
                    _ => None,
                });
            }
            if let Some(value) = value {
                let value = match (value, theirs.ends_with("_append_qs")) {
                    (Value::Null, true) => Value::Bool(false),
                    (value, _) => value,
                };
                deployment.insert(theirs.to_owned(), value);
            }
        }
    }
    if native.contains_key(fields::UPDATED_AT) {
        deployment.insert(ALLOWS_UPLOAD.to_owned(), Value::Bool(false));
    }
    attributes.insert(DEPLOYMENT.to_owned(), Value::Object(deployment));
    attributes
}

/// What a response's resource `meta` holds: what imgix does not have (docs/SPEC.md §24).
pub const META_FIELDS: [&str; 5] = [
    fields::CREATED_AT,
    fields::UPDATED_AT,
    fields::SECRETS_UPDATED_AT,
    HEALTH,
    fields::URLS,
];

/// imgix's field of a native one (`credential_attributes.bucket`, `delivery.cache.ttl`,
/// `source`) for a source of `source_type`, as a dotted path under `attributes`.
pub fn imgix_field(source_type: Option<SourceType>, native: &str) -> Option<String> {
    if native == fields::SOURCE {
        return Some(NAME.to_owned());
    }
    if native == fields::ENABLED {
        return Some(ENABLED.to_owned());
    }
    if native == fields::SOURCE_TYPE {
        return Some(format!("{DEPLOYMENT}.{TYPE}"));
    }
    if let Some(path) = native.strip_prefix("delivery.") {
        return DELIVERY_NAMES
            .iter()
            .find(|(_, ours)| {
                *ours == path
                    || ours.starts_with(&format!("{path}."))
                    || path.starts_with(&format!("{ours}."))
            })
            .map(|(theirs, _)| format!("{DEPLOYMENT}.{theirs}"));
    }
    let key = native
        .strip_prefix("credential_attributes.")
        .unwrap_or(native);
    if key == fields::REQUIRE_TOKEN {
        return Some(format!("{DEPLOYMENT}.{SECURE_URL_ENABLED}"));
    }
    let source_type = source_type?;
    let theirs = match (source_type, key) {
        (SourceType::Azure, "container_name" | "share_name") => AZURE_BUCKET,
        (SourceType::Azure, "service_type") => AZURE_SERVICE_TYPE,
        (SourceType::R2, "account_id") => ENDPOINT_URL,
        _ => credential_names(source_type)
            .iter()
            .find(|(_, ours)| *ours == key)
            .map(|(theirs, _)| *theirs)?,
    };
    Some(format!("{DEPLOYMENT}.{theirs}"))
}

/// The JSON pointer of the field a native rule's problem is about, if it names one.
pub fn pointer_of(invalid: &Invalid, source_type: Option<SourceType>) -> Option<String> {
    let native = native_field(invalid)?;
    let field = imgix_field(source_type, &native)?;
    Some(pointer(&field.split('.').collect::<Vec<_>>()))
}

/// The native field a problem is about.
fn native_field(invalid: &Invalid) -> Option<String> {
    Some(match invalid {
        Invalid::NameBlank | Invalid::NameInvalid | Invalid::NameTooLong | Invalid::NameTaken => {
            fields::SOURCE.to_owned()
        }
        Invalid::TypeBlank | Invalid::TypeNotIncluded => fields::SOURCE_TYPE.to_owned(),
        Invalid::EnabledNotBoolean => fields::ENABLED.to_owned(),
        Invalid::CustomDomainTaken(_) => "delivery.custom_domains".to_owned(),
        Invalid::SubdomainTaken(_) => "delivery.subdomains".to_owned(),
        Invalid::RequireTokenNotBoolean | Invalid::ProxyRequiresToken => {
            fields::REQUIRE_TOKEN.to_owned()
        }
        Invalid::CredentialNotString(key) => key.clone(),
        Invalid::CredentialRequired { key, .. }
        | Invalid::CredentialRequiredForService { key, .. }
        | Invalid::CredentialNotSupportedForService { key, .. }
        | Invalid::CredentialRequiredWith { key, .. }
        | Invalid::PlaceholderIsNotASecret(key)
        | Invalid::Credential { key, .. } => (*key).to_owned(),
        Invalid::CredentialNotSupported { key, .. } => key.clone(),
        Invalid::Delivery { key, .. } => key.clone(),
        _ => return None,
    })
}

/// A native rule's problem in imgix's names: the field named as imgix names it (the rest of the
/// message is the native rule's, which §4 and §23 fix).
pub fn imgix_message(invalid: &Invalid, source_type: Option<SourceType>) -> String {
    let message = invalid.to_string();
    let theirs =
        |native: &str| imgix_field(source_type, native).unwrap_or_else(|| native.to_owned());
    let type_name = |t: &SourceType| {
        let (imgix, provider) = imgix_type(*t);
        match provider {
            Some(provider) => format!("{imgix} ({provider})"),
            None => imgix.to_owned(),
        }
    };
    match invalid {
        Invalid::NameBlank => "name can't be blank".to_owned(),
        Invalid::NameInvalid => "name is invalid".to_owned(),
        Invalid::NameTooLong => message.replacen("Source", "name", 1),
        Invalid::NameTaken => "name has already been taken".to_owned(),
        Invalid::TypeBlank => "deployment.type can't be blank".to_owned(),
        Invalid::TypeNotIncluded => {
            "deployment.type must be one of s3, gcs, azure, s3_compatible, webfolder, webproxy"
                .to_owned()
        }
        Invalid::EnabledNotBoolean => "enabled must be true or false".to_owned(),
        Invalid::CustomDomainTaken(domain) => {
            format!("deployment.custom_domains: {domain} has already been taken")
        }
        Invalid::SubdomainTaken(label) => {
            format!("deployment.imgix_subdomains: {label} has already been taken")
        }
        Invalid::RequireTokenNotBoolean => {
            "deployment.secure_url_enabled must be true or false".to_owned()
        }
        Invalid::ProxyRequiresToken => "deployment.secure_url_enabled must be true for webproxy \
             sources: without signed URLs a proxy fetches any URL for anyone"
            .to_owned(),
        Invalid::CredentialNotString(key) => format!("{} must be a string", theirs(key)),
        Invalid::CredentialRequired { key, source_type } => {
            format!(
                "{} is required for {} sources",
                theirs(key),
                type_name(source_type)
            )
        }
        Invalid::CredentialNotSupported { key, source_type } => format!(
            "{} is not supported for {} sources",
            theirs(key),
            type_name(source_type)
        ),
        Invalid::CredentialRequiredForService { key, service_type } => format!(
            "{} is required for azure sources with azure_service_type {}",
            theirs(key),
            if *service_type == "file-share" {
                "file"
            } else {
                service_type
            }
        ),
        Invalid::CredentialNotSupportedForService { key, service_type } => format!(
            "{} is not supported for azure sources with azure_service_type {}",
            theirs(key),
            if *service_type == "file-share" {
                "file"
            } else {
                service_type
            }
        ),
        Invalid::CredentialRequiredWith { key, with } => {
            format!("{} is required with {}", theirs(key), theirs(with))
        }
        Invalid::PlaceholderIsNotASecret(key) => format!(
            "{} must be the secret itself, not {}",
            theirs(key),
            super::limits::SECRET_PLACEHOLDER
        ),
        Invalid::Credential { key, problem } => format!("{} {problem}", theirs(key)),
        Invalid::Delivery { key, problem } => format!("{} {problem}", theirs(key)),
        _ => message,
    }
}

#[cfg(test)]
mod tests;
