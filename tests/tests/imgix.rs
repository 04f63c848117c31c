//! The imgix dialect (docs/SPEC.md §24) on its own gateway over the same store: JSON:API
//! documents, Bearer keys, imgix's attributes, offset paging, filters, errors; one source seen
//! through both APIs.

use integration_tests::fixtures::source_body;
use integration_tests::spawn_app;
use reqwest::Method;
use serde_json::{Value, json};
use shared::domain::SourceType;

const MEDIA_TYPE: &str = "application/vnd.api+json";

fn webfolder(name: &str, subdomain: &str) -> Value {
    json!({"data": {"type": "sources", "attributes": {"name": name, "deployment": {
        "type": "webfolder", "webfolder_base_url": "https://my-domain.com/images/",
        "imgix_subdomains": [subdomain]}}}, "jsonapi": {"version": "1.0"}})
}

#[tokio::test]
async fn a_source_made_through_imgix_is_the_same_source_through_both_apis() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let created = app
        .imgix(
            Method::POST,
            "/api/v1/sources",
            &key,
            Some(&webfolder("from-imgix", "from-imgix")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.header("content-type"), Some(MEDIA_TYPE));
    let document = created.json();
    let id = document["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/sources/{id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(document["included"], json!([]));
    assert_eq!(document["jsonapi"], json!({"version": "1.0"}));
    let attributes = &document["data"]["attributes"];
    assert_eq!(attributes["name"], "from-imgix");
    assert_eq!(attributes["enabled"], true);
    assert_eq!(attributes["deployment_status"], "deployed");
    assert!(attributes["date_deployed"].is_i64());
    assert!(attributes.get("secure_url_token").is_none(), "not signing");
    let deployment = &attributes["deployment"];
    assert_eq!(deployment["type"], "webfolder");
    assert_eq!(
        deployment["webfolder_base_url"],
        "https://my-domain.com/images/"
    );
    assert_eq!(deployment["imgix_subdomains"], json!(["from-imgix"]));
    assert_eq!(deployment["cache_ttl_behavior"], "respect_origin");
    assert_eq!(deployment["cache_ttl_value"], 31536000);
    assert_eq!(deployment["image_error"], Value::Null);
    assert_eq!(deployment["image_error_append_qs"], false);
    assert_eq!(deployment["allows_upload"], false);
    assert_eq!(deployment["url_signature"], "imgix");
    assert_eq!(document["data"]["meta"]["version"], 1);
    for key in [
        "created_at",
        "updated_at",
        "secrets_updated_at",
        "health",
        "urls",
    ] {
        assert!(document["data"]["meta"].get(key).is_some(), "{key}");
    }

    // The native API sees the same source: imgix's signature, its subdomain, its name.
    let native = app.get(&format!("/v1/sources/{id}"), &key).await.json();
    assert_eq!(native["source"], "from-imgix");
    assert_eq!(native["source_type"], "url");
    assert_eq!(native["delivery"]["subdomains"], json!(["from-imgix"]));
    assert_eq!(native["delivery"]["url_signature"], "imgix");

    // A source made natively is read through imgix, its secrets left out.
    let s3 = app
        .post(
            "/v1/sources",
            &key,
            &source_body("native-s3", SourceType::S3),
        )
        .await
        .json();
    let read = app
        .imgix(
            Method::GET,
            &format!("/api/v1/sources/{}", s3["id"].as_str().unwrap()),
            &key,
            None,
        )
        .await;
    assert_eq!(read.status, 200);
    let deployment = &read.json()["data"]["attributes"]["deployment"];
    assert_eq!(deployment["type"], "s3");
    assert_eq!(deployment["s3_bucket"], "my-bucket");
    assert_eq!(deployment["s3_region"], "us-east-1");
    assert_eq!(deployment["s3_access_key"], "AKIAIOSFODNN7EXAMPLE");
    assert!(deployment.get("s3_secret_key").is_none(), "{deployment}");
    assert_eq!(deployment["url_signature"], "imageboss");

    // An S3 source made through the dialect: its secret is sealed and never answered (the kit's
    // leak scan reads every body of this test for it).
    let s3 = json!({"data": {"type": "sources", "attributes": {"name": "imgix-s3", "deployment": {
        "type": "s3", "s3_bucket": "my-bucket", "s3_access_key": "AKIAIOSFODNN7EXAMPLE",
        "s3_secret_key": "imgix-dialect-secret-0123456789abcdef", "imgix_subdomains": ["imgix-s3"]}}}});
    let made = app
        .imgix(Method::POST, "/api/v1/sources", &key, Some(&s3))
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert!(!made.text.contains("imgix-dialect-secret"));
    let id = made.json()["data"]["id"].as_str().unwrap().to_owned();
    let native = app.get(&format!("/v1/sources/{id}"), &key).await.json();
    assert_eq!(native["credentials"]["secret_access_key"], "****");
    assert_eq!(native["credentials"]["region"], "us-east-1");
    app.db.assert_table_holds_no_secret().await;
}

#[tokio::test]
async fn an_update_merges_the_deployment_and_may_change_a_disabled_source() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let created = app
        .imgix(
            Method::POST,
            "/api/v1/sources",
            &key,
            Some(&webfolder("merged", "merged")),
        )
        .await
        .json();
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/sources/{id}");
    let patch = |attributes: Value| json!({"data": {"type": "sources", "id": id, "attributes": attributes}});
    // Disable, as imgix's Terraform providers do instead of deleting.
    let disabled = app
        .imgix(
            Method::PATCH,
            &path,
            &key,
            Some(&patch(json!({"enabled": false}))),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    assert_eq!(
        disabled.json()["data"]["attributes"]["deployment_status"],
        "disabled"
    );
    // One cache key changes; the others stay (imgix merges deployment key by key).
    let changed = app
        .imgix(
            Method::PATCH,
            &path,
            &key,
            Some(&patch(
                json!({"deployment": {"cache_ttl_behavior": "override_origin"}}),
            )),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let changed = app
        .imgix(
            Method::PATCH,
            &path,
            &key,
            Some(&patch(json!({"deployment": {"cache_ttl_value": 3600,
                "image_missing": "https://www.example.com/missing.png", "annotation": "Moved"}}))),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let deployment = &changed.json()["data"]["attributes"]["deployment"];
    assert_eq!(deployment["cache_ttl_behavior"], "override_origin");
    assert_eq!(deployment["cache_ttl_value"], 3600);
    assert_eq!(deployment["cache_ttl_error"], 300);
    assert_eq!(
        deployment["image_missing"],
        "https://www.example.com/missing.png"
    );
    assert_eq!(deployment["image_missing_append_qs"], false);
    assert_eq!(deployment["annotation"], "Moved");
    assert_eq!(
        deployment["webfolder_base_url"],
        "https://my-domain.com/images/"
    );
    // The annotation is in the write's audit event.
    let events = app
        .get(&format!("/v1/sources/{id}/events"), &key)
        .await
        .json();
    assert!(
        events.to_string().contains("Moved"),
        "the annotation is recorded: {events}"
    );
    // `null` returns a key to its default; the source is still disabled.
    let reset = app
        .imgix(
            Method::PATCH,
            &path,
            &key,
            Some(&patch(json!({"deployment": {"cache_ttl_value": null}}))),
        )
        .await
        .json();
    assert_eq!(
        reset["data"]["attributes"]["deployment"]["cache_ttl_value"],
        31536000
    );
    assert_eq!(reset["data"]["attributes"]["enabled"], false);
    // A stale If-Match: 412, in imgix's error shape.
    let stale = app
        .send(
            app.http
                .patch(format!("{}{path}", app.imgix_url))
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", MEDIA_TYPE)
                .header("if-match", "\"1\"")
                .body(patch(json!({"enabled": true})).to_string()),
        )
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(stale.json()["errors"][0]["title"], "PreconditionFailed");
    // Delete: 204, then 404 in both APIs.
    let deleted = app.imgix(Method::DELETE, &path, &key, None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.text, "");
    let gone = app.imgix(Method::GET, &path, &key, None).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.json()["errors"][0]["detail"], "Resource not found.");
    assert_eq!(
        app.get(&format!("/v1/sources/{id}"), &key).await.status,
        404
    );
}

#[tokio::test]
async fn errors_are_json_api_error_objects_with_imgix_names() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let reader = app.db.read_key("acme").await;

    // 401, the same body whatever was wrong with the key.
    for authorization in [
        None,
        Some("Basic abc"),
        Some("Bearer isk_unknown"),
        Some("Bearer"),
    ] {
        let mut request = app.http.get(format!("{}/api/v1/sources", app.imgix_url));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let refused = app.send(request).await;
        assert_eq!(refused.status, 401, "{authorization:?}");
        assert_eq!(refused.header("content-type"), Some(MEDIA_TYPE));
        let error = &refused.json()["errors"][0];
        assert_eq!(error["title"], "Unauthorized");
        assert_eq!(error["status"], "401");
        assert_eq!(
            error["detail"],
            "A valid API key is required and could not be determined."
        );
    }
    // The native key header means nothing here.
    let native_header = app
        .send(
            app.http
                .get(format!("{}/api/v1/sources", app.imgix_url))
                .header("imageboss-api-key", &key),
        )
        .await;
    assert_eq!(native_header.status, 401);

    // A read key's write: 403.
    let forbidden = app
        .imgix(
            Method::POST,
            "/api/v1/sources",
            &reader,
            Some(&webfolder("no", "no")),
        )
        .await;
    assert_eq!(forbidden.status, 403);
    assert_eq!(forbidden.json()["errors"][0]["title"], "Forbidden");

    // Validation: 400, one object per problem, each with its pointer in imgix's names.
    let invalid = json!({"data": {"type": "sources", "attributes": {"name": "bad one!",
        "deployment": {"type": "s3", "s3_bucket": "b", "cache_ttl_value": 60,
            "imgix_subdomains": ["x"]}}}});
    let refused = app
        .imgix(Method::POST, "/api/v1/sources", &key, Some(&invalid))
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    let errors = refused.json()["errors"].clone();
    let said: Vec<(String, String)> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["status"], "400");
            assert_eq!(e["title"], "BadRequest");
            assert_eq!(e["code"], "invalid_attribute");
            (
                e["source"]["pointer"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                e["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("/data/attributes/name", "name is invalid"),
        (
            "/data/attributes/deployment/s3_access_key",
            "deployment.s3_access_key is required for s3 sources",
        ),
        (
            "/data/attributes/deployment/cache_ttl_value",
            "deployment.cache_ttl_value must be an integer from 1800 to 31536000 seconds",
        ),
    ] {
        assert!(
            said.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} in {said:?}"
        );
    }
    // No subdomain: imgix requires one.
    let without = json!({"data": {"type": "sources", "attributes": {"name": "nosub",
        "deployment": {"type": "webfolder", "webfolder_base_url": "https://a.example.com/"}}}});
    let refused = app
        .imgix(Method::POST, "/api/v1/sources", &key, Some(&without))
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.json()["errors"][0]["source"]["pointer"],
        "/data/attributes/deployment/imgix_subdomains"
    );

    // Another resource type: 409; a client-made id: 403; another media type: 415.
    let mut other = webfolder("other", "other");
    other["data"]["type"] = json!("assets");
    assert_eq!(
        app.imgix(Method::POST, "/api/v1/sources", &key, Some(&other))
            .await
            .status,
        409
    );
    let mut with_id = webfolder("with-id", "with-id");
    with_id["data"]["id"] = json!("0123456789abcdef01234567");
    assert_eq!(
        app.imgix(Method::POST, "/api/v1/sources", &key, Some(&with_id))
            .await
            .status,
        403
    );
    for content_type in [
        "text/plain",
        "application/vnd.api+json; charset=utf-8",
        "application/x-www-form-urlencoded",
    ] {
        let refused = app
            .send(
                app.http
                    .post(format!("{}/api/v1/sources", app.imgix_url))
                    .header("authorization", format!("Bearer {key}"))
                    .header("content-type", content_type)
                    .body(webfolder("typed", "typed").to_string()),
            )
            .await;
        assert_eq!(refused.status, 415, "{content_type}");
        assert_eq!(refused.json()["errors"][0]["title"], "UnsupportedMediaType");
    }
    // application/json is read, and a Content-Type on a GET (imgix's client sends one) is fine.
    let plain = app
        .send(
            app.http
                .post(format!("{}/api/v1/sources", app.imgix_url))
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", "application/json")
                .body(webfolder("plain-json", "plain-json").to_string()),
        )
        .await;
    assert_eq!(plain.status, 201, "{}", plain.text);
    let get = app
        .send(
            app.http
                .get(format!("{}/api/v1/sources", app.imgix_url))
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", MEDIA_TYPE),
        )
        .await;
    assert_eq!(get.status, 200);
    // Only imgix's paths: the native ones are not here.
    for path in [
        "/v1/sources",
        "/api/v1/api_key",
        "/api/v1/sources/0123456789abcdef01234567/verify",
    ] {
        let missing = app.imgix(Method::GET, path, &key, None).await;
        assert_eq!(missing.status, 404, "{path}");
        assert_eq!(missing.header("content-type"), Some(MEDIA_TYPE));
    }
    let wrong_method = app.imgix(Method::PUT, "/api/v1/sources", &key, None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("GET, POST"));
}

#[tokio::test]
async fn lists_page_by_offset_sort_filter_and_keep_fields() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let other = app.db.api_key("other").await;
    for name in ["alpha", "Bravo", "charlie", "delta-staging", "echo-staging"] {
        let made = app
            .imgix(
                Method::POST,
                "/api/v1/sources",
                &key,
                Some(&webfolder(name, &name.to_lowercase())),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
    }
    app.post(
        "/v1/sources",
        &key,
        &source_body("s3-staging", SourceType::S3),
    )
    .await;
    app.post(
        "/v1/sources",
        &other,
        &source_body("not-mine", SourceType::S3),
    )
    .await;

    let list = |query: &str| {
        let path = format!("/api/v1/sources{query}");
        let app = &app;
        let key = key.clone();
        async move { app.imgix(Method::GET, &path, &key, None).await }
    };
    let names = |document: &Value| -> Vec<String> {
        document["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                s["attributes"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };

    let first = list("?page[size]=2").await.json();
    assert_eq!(names(&first), ["alpha", "Bravo"]);
    assert_eq!(
        first["meta"]["pagination"],
        json!({"currentPage": 0, "pageSize": 2, "totalPages": 3, "totalRecords": 6,
            "hasNextPage": true, "hasPreviousPage": false, "nextPage": 1, "previousPage": null})
    );
    let last = list("?page[size]=2&page[number]=2").await.json();
    assert_eq!(names(&last), ["echo-staging", "s3-staging"]);
    assert_eq!(last["meta"]["pagination"]["hasNextPage"], false);
    assert_eq!(last["meta"]["pagination"]["previousPage"], 1);
    let beyond = list("?page[number]=9").await.json();
    assert_eq!(names(&beyond), Vec::<String>::new());

    let sorted = list("?sort=-name").await.json();
    assert_eq!(names(&sorted)[0], "s3-staging");
    let staging = list("?filter[name]=STAGING").await.json();
    assert_eq!(
        names(&staging),
        ["delta-staging", "echo-staging", "s3-staging"]
    );
    let typed = list("?filter[name]=staging&filter[deployment.type]=s3")
        .await
        .json();
    assert_eq!(names(&typed), ["s3-staging"]);
    let exact = list("?filter[name:eq]=BRAVO").await.json();
    assert_eq!(names(&exact), ["Bravo"]);
    let by_subdomain = list("?filter[deployment.imgix_subdomains]=char")
        .await
        .json();
    assert_eq!(names(&by_subdomain), ["charlie"]);
    let ignored = list("?filter[color]=red").await.json();
    assert_eq!(ignored["meta"]["pagination"]["totalRecords"], 6);

    let sparse = list("?fields[sources]=name,deployment.type&page[size]=1")
        .await
        .json();
    assert_eq!(
        sparse["data"][0]["attributes"],
        json!({"name": "alpha", "deployment": {"type": "webfolder"}})
    );

    for (query, parameter) in [
        ("?sort=color", "sort"),
        ("?page[size]=0", "page[size]"),
        ("?page[size]=1001", "page[size]"),
        ("?page[number]=-1", "page[number]"),
    ] {
        let refused = list(query).await;
        assert_eq!(refused.status, 400, "{query}");
        assert_eq!(
            refused.json()["errors"][0]["source"]["parameter"],
            parameter,
            "{query}"
        );
    }
}

/// A read key sees `****` for the signing token through the dialect too (docs/SPEC.md §24, §26);
/// a write key sees the token, only while the source requires signed URLs.
#[tokio::test]
async fn the_signing_token_shows_only_when_signing_and_never_to_a_read_key() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let reader = app.db.read_key("acme").await;
    let mut signing = webfolder("signing", "signing");
    signing["data"]["attributes"]["deployment"]["secure_url_enabled"] = json!(true);
    signing["data"]["attributes"]["deployment"]["url_signature"] = json!("imageboss");
    let created = app
        .imgix(Method::POST, "/api/v1/sources", &key, Some(&signing))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let created = created.json();
    let token = created["data"]["attributes"]["secure_url_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(token.len(), 64);
    // The signature it asked for is kept (the dialect's default is imgix's).
    assert_eq!(
        created["data"]["attributes"]["deployment"]["url_signature"],
        "imageboss"
    );
    let path = format!(
        "/api/v1/sources/{}",
        created["data"]["id"].as_str().unwrap()
    );
    let read = app.imgix(Method::GET, &path, &reader, None).await.json();
    assert_eq!(read["data"]["attributes"]["secure_url_token"], "****");
    let listed = app
        .imgix(Method::GET, "/api/v1/sources", &reader, None)
        .await
        .json();
    assert_eq!(listed["data"][0]["attributes"]["secure_url_token"], "****");
    assert!(!listed.to_string().contains(&token));
    // No longer signing: no token shown at all.
    let id = created["data"]["id"].as_str().unwrap();
    let unsigned = app
        .imgix(
            Method::PATCH,
            &path,
            &key,
            Some(&json!({"data": {"type": "sources", "id": id,
                "attributes": {"deployment": {"secure_url_enabled": false}}}})),
        )
        .await
        .json();
    assert!(
        unsigned["data"]["attributes"]
            .get("secure_url_token")
            .is_none()
    );
    assert_eq!(
        unsigned["data"]["attributes"]["deployment"]["secure_url_enabled"],
        false
    );
}
