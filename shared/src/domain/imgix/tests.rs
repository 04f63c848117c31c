use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::domain::{AccountId, CdnSettings, Source, SourceInput, SourceView};

/// A value the native rules take for `key` of `source_type`, from `seed`.
fn value(source_type: SourceType, key: &str, seed: &str) -> Value {
    Value::from(match (source_type, key) {
        (SourceType::Akamai, "bucket") => format!("123456/{seed}"),
        (_, "bucket") => format!("bucket-{seed}"),
        (SourceType::Dos, "region") => "nyc3".to_owned(),
        (_, "region") => "eu-west-1".to_owned(),
        (_, "endpoint") => "https://us-east-1.linodeobjects.com".to_owned(),
        (_, "account_id") => "0123456789abcdef0123456789abcdef".to_owned(),
        (_, "account_name") => format!("acct{seed}"),
        (_, "url") => format!("https://images.example.com/{seed}/"),
        (_, "username") => format!("user-{seed}"),
        (_, "request_handshake" | "request_signing_key") => format!("{seed:0<32}"),
        (_, "prefix") => format!("photos/{seed}"),
        (_, "container_name" | "share_name") => format!("c-{seed}"),
        _ => format!("{key}-{seed}"),
    })
}

/// A full native create body's `source` of `source_type`: every key it takes, a full `delivery`.
fn native_source(
    source_type: SourceType,
    seed: &str,
    flags: (bool, bool, bool),
) -> Map<String, Value> {
    let (require_token, with_error_image, file_share) = flags;
    let mut credentials = Map::new();
    for key in crate::domain::credential_keys(source_type) {
        let skip = match key.key {
            "container_name" => file_share,
            "share_name" => !file_share,
            _ => false,
        };
        if !skip {
            credentials.insert(key.key.to_owned(), value(source_type, key.key, seed));
        }
    }
    if source_type == SourceType::Azure {
        let service = if file_share { "file-share" } else { "blob" };
        credentials.insert("service_type".to_owned(), Value::from(service));
    }
    let require_token = require_token || source_type == SourceType::Proxy;
    credentials.insert("require_token".to_owned(), Value::Bool(require_token));
    let error = if with_error_image {
        json!({"url": format!("https://www.example.com/{seed}.png"), "append_query": true})
    } else {
        Value::Null
    };
    let source = json!({
        "source": format!("src-{seed}"),
        "source_type": source_type.as_str(),
        "enabled": !with_error_image,
        "credential_attributes": credentials,
        "delivery": {
            "custom_domains": [format!("{seed}.example.com")],
            "subdomains": [format!("sub-{seed}")],
            "default_params": {"auto": "format", "q": seed},
            "cache": {"behavior": "override_origin", "ttl": 3600, "error_ttl": 60},
            "fallback_images": {"error": error, "missing": null},
            "crossdomain_xml": with_error_image,
            "url_signature": if require_token { "imgix" } else { "imageboss" },
            "annotation": if file_share { Value::Null } else { Value::from(format!("moved {seed}")) },
        }
    });
    source.as_object().cloned().unwrap_or_default()
}

proptest! {
    /// The mapping is one mapping: native → imgix → native is the identity, for every type.
    #[test]
    fn native_to_imgix_and_back_is_the_identity(
        type_index in 0..SourceType::ALL.len(),
        seed in "[a-z0-9]{1,12}",
        flags in any::<(bool, bool, bool)>(),
    ) {
        let source_type = SourceType::ALL[type_index];
        let native = native_source(source_type, &seed, flags);
        // The body is one the native rules accept, and it sets every delivery key there is: a
        // key added to delivery without its imgix name fails here.
        prop_assert!(SourceInput::from_json(&native).into_new_fields().is_ok(), "{native:?}");
        let mut keys: Vec<&str> = native["delivery"].as_object().unwrap().keys().map(String::as_str).collect();
        let mut all = crate::domain::delivery::KEYS.to_vec();
        keys.sort_unstable();
        all.sort_unstable();
        prop_assert_eq!(keys, all);
        let imgix = to_imgix(&native);
        prop_assert_eq!(to_native(&imgix, None), Ok(native));
    }

    /// What a GET answers, sent back as a PATCH (what a client that edits the whole document
    /// does), changes nothing: secrets left out are kept, derived fields agree.
    #[test]
    fn an_echoed_document_changes_nothing(
        type_index in 0..SourceType::ALL.len(),
        seed in "[a-z0-9]{1,12}",
        flags in any::<(bool, bool, bool)>(),
    ) {
        let source_type = SourceType::ALL[type_index];
        let fields = SourceInput::from_json(&native_source(source_type, &seed, flags))
            .into_new_fields()
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let source = Source::new(AccountId::parse("acme").unwrap(), fields.clone());
        let cdn = CdnSettings::default();
        let public = serde_json::to_value(source.public(SourceView::full(&cdn))).unwrap();
        let attributes = to_imgix(public.as_object().unwrap());
        let body = to_native(&attributes, Some(&fields)).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let merged = SourceInput::from_json(&body).apply_to(&fields);
        prop_assert_eq!(merged.ok(), Some(fields));
    }
}

#[test]
fn imgix_documents_read_as_the_native_ones() {
    // imgix's own example (seed 003), with a name: signs as imgix, served under its subdomain.
    let attributes = json!({"name": "New Web Folder Source", "deployment": {"type": "webfolder",
        "webfolder_base_url": "https://my-domain.com/images/",
        "imgix_subdomains": ["my-unique-imgix-subdomain"]}});
    let native = to_native(attributes.as_object().unwrap(), None).unwrap();
    assert_eq!(
        Value::Object(native),
        json!({"source": "New Web Folder Source", "source_type": "url",
            "credential_attributes": {"url": "https://my-domain.com/images/"},
            "delivery": {"subdomains": ["my-unique-imgix-subdomain"], "url_signature": "imgix"}})
    );
    // An S3 source without a region is in us-east-1; an S3-compatible one is its provider's type.
    let s3 = json!({"name": "s", "deployment": {"type": "s3", "s3_bucket": "b", "s3_access_key": "AKIA",
        "s3_secret_key": "x", "imgix_subdomains": ["s"], "url_signature": "imageboss"}});
    let native = to_native(s3.as_object().unwrap(), None).unwrap();
    assert_eq!(native["credential_attributes"]["region"], "us-east-1");
    assert_eq!(native["delivery"]["url_signature"], "imageboss");
    // A web folder converted to S3 without a region: us-east-1 too.
    let stored = SourceInput::from_json(
        json!({"source": "w", "source_type": "url", "credential_attributes": {"url": "https://a.example.com/"}})
            .as_object()
            .unwrap(),
    )
    .into_new_fields()
    .unwrap();
    let converted = json!({"deployment": {"type": "s3", "s3_bucket": "my-bucket",
        "s3_access_key": "AKIAIOSFODNN7EXAMPLE", "s3_secret_key": "a-secret"}});
    let native = to_native(converted.as_object().unwrap(), Some(&stored)).unwrap();
    assert_eq!(native["source_type"], "s3");
    assert_eq!(native["credential_attributes"]["region"], "us-east-1");
    let result = SourceInput::from_json(&native).apply_to(&stored);
    assert!(result.is_ok(), "{result:?}");
    let dos = json!({"name": "d", "deployment": {"type": "s3_compatible", "storage_provider": "DigitalOcean",
        "bucket_name": "b", "access_key_id": "k", "secret_key": "s", "region": "nyc3",
        "endpoint_url": "https://nyc3.digitaloceanspaces.com", "imgix_subdomains": ["d"]}});
    let native = to_native(dos.as_object().unwrap(), None).unwrap();
    assert_eq!(native["source_type"], "dos");
    assert_eq!(
        native["credential_attributes"],
        json!({"bucket": "b", "access_key": "k", "secret": "s", "region": "nyc3"})
    );
}

#[test]
fn what_the_mapping_refuses_names_imgix_fields() {
    let refused = |attributes: Value| {
        to_native(attributes.as_object().unwrap(), None)
            .unwrap_err()
            .into_iter()
            .map(|p| (p.pointer, p.detail))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        refused(json!({"deployment": {"type": "ftp"}})),
        [
            (
                "/data/attributes/name".to_owned(),
                "name can't be blank".to_owned()
            ),
            (
                "/data/attributes/deployment/imgix_subdomains".to_owned(),
                "deployment.imgix_subdomains must hold at least one subdomain".to_owned()
            ),
            (
                "/data/attributes/deployment/type".to_owned(),
                "deployment.type must be one of s3, gcs, azure, s3_compatible, webfolder, webproxy"
                    .to_owned()
            ),
        ]
    );
    assert_eq!(
        refused(json!({"name": "x", "color": 1, "deployment": {"type": "s3_compatible",
            "storage_provider": "Backblaze", "imgix_subdomains": ["x"]}})),
        [
            ("/data/attributes/color".to_owned(), "color is not supported".to_owned()),
            (
                "/data/attributes/deployment/storage_provider".to_owned(),
                "deployment.storage_provider must be one of DigitalOcean, Wasabi, Linode, Cloudflare for s3_compatible sources".to_owned()
            ),
        ]
    );
    assert_eq!(
        refused(json!({"name": "x", "deployment": {"type": "s3_compatible",
            "storage_provider": "DigitalOcean", "region": "nyc3", "imgix_subdomains": ["x"],
            "endpoint_url": "https://evil.example.com", "gcs_bucket": "b"}})),
        [
            (
                "/data/attributes/deployment/gcs_bucket".to_owned(),
                "deployment.gcs_bucket is not supported for s3_compatible sources".to_owned()
            ),
            (
                "/data/attributes/deployment/endpoint_url".to_owned(),
                "deployment.endpoint_url must be https://nyc3.digitaloceanspaces.com for DigitalOcean in that region".to_owned()
            ),
        ]
    );
}

#[test]
fn native_problems_are_said_in_imgix_names() {
    let problems = SourceInput::from_json(
        json!({"source": "x", "source_type": "s3", "credential_attributes": {"bucket": "b"},
            "delivery": {"cache": {"ttl": 60}}})
        .as_object()
        .unwrap(),
    )
    .into_new_fields()
    .unwrap_err();
    let said: Vec<(Option<String>, String)> = problems
        .0
        .iter()
        .map(|p| {
            (
                pointer_of(p, Some(SourceType::S3)),
                imgix_message(p, Some(SourceType::S3)),
            )
        })
        .collect();
    assert!(
        said.contains(&(
            Some("/data/attributes/deployment/s3_access_key".to_owned()),
            "deployment.s3_access_key is required for s3 sources".to_owned()
        )),
        "{said:?}"
    );
    assert!(
        said.contains(&(
            Some("/data/attributes/deployment/cache_ttl_value".to_owned()),
            "deployment.cache_ttl_value must be an integer from 1800 to 31536000 seconds"
                .to_owned()
        )),
        "{said:?}"
    );
}
