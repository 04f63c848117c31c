//! Delivery settings (docs/SPEC.md §23, §25) through the local gateway: shown on every source, set
//! on create and PATCH, custom domains and subdomains unique across every source of every account.

use std::collections::BTreeMap;

use integration_tests::fixtures::{API_KEY_HEADER, source_body};
use integration_tests::{TestApp, join_all, spawn_app};
use serde_json::{Value, json};
use shared::domain::SourceType;

/// A request to send from another task: its status and its body as JSON.
fn request(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: &Value,
) -> impl std::future::Future<Output = (u16, Value)> + Send + use<> {
    integration_tests::register_secrets_in(body);
    let request = app
        .http
        .request(method, app.url(path))
        .header(API_KEY_HEADER, key)
        .header("content-type", "application/json")
        .body(body.to_string());
    async move {
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).expect("a JSON body"))
    }
}

fn with_delivery(name: &str, delivery: Value) -> Value {
    let mut body = source_body(name, SourceType::Url);
    body["source"]["delivery"] = delivery;
    body
}

/// The table's claims on host names, `DOMAIN#<domain>` or `SUBDOMAIN#<label>` -> source id.
async fn claims(app: &TestApp) -> BTreeMap<String, String> {
    app.db
        .all_items()
        .await
        .into_iter()
        .filter_map(|item| {
            let pk = item["PK"].as_s().ok()?;
            (pk.starts_with("DOMAIN#") || pk.starts_with("SUBDOMAIN#"))
                .then(|| Some((pk.clone(), item["source_id"].as_s().ok()?.clone())))?
        })
        .collect()
}

/// Every source's custom domains and subdomains, keyed as [`claims`] keys them -> source id,
/// through the API.
async fn served(app: &TestApp, key: &str) -> BTreeMap<String, String> {
    let mut served = BTreeMap::new();
    for source in app.walk("/v1/sources", key).await.sources {
        for (list, prefix) in [("custom_domains", "DOMAIN#"), ("subdomains", "SUBDOMAIN#")] {
            for name in source["delivery"][list].as_array().unwrap() {
                let previous = served.insert(
                    format!("{prefix}{}", name.as_str().unwrap()),
                    source["id"].as_str().unwrap().to_owned(),
                );
                assert!(previous.is_none(), "{name} served twice");
            }
        }
    }
    served
}

#[tokio::test]
async fn delivery_is_shown_with_defaults_and_set_on_create_and_patch() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let plain = app
        .post("/v1/sources", &key, &source_body("plain", SourceType::S3))
        .await
        .json();
    assert_eq!(
        plain["delivery"],
        json!({"custom_domains": [], "subdomains": [], "default_params": {},
            "cache": {"behavior": "respect_origin", "ttl": 31536000, "error_ttl": 300},
            "fallback_images": {"error": null, "missing": null}, "crossdomain_xml": false,
            "url_signature": "imageboss", "annotation": null})
    );
    let created = app
        .post(
            "/v1/sources",
            &key,
            &with_delivery(
                "delivered",
                json!({"custom_domains": ["Images.Example.com"], "cache": {"ttl": 3600}}),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let created = created.json();
    assert_eq!(
        created["delivery"]["custom_domains"],
        json!(["images.example.com"])
    );
    assert_eq!(created["delivery"]["cache"]["ttl"], 3600);
    let path = format!("/v1/sources/{}", created["id"].as_str().unwrap());
    let patched = app
        .patch(
            &path,
            &key,
            &json!({"source": {"delivery": {"cache": null, "crossdomain_xml": true}}}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let patched = patched.json();
    assert_eq!(patched["delivery"]["cache"]["ttl"], 31536000);
    assert!(patched["delivery"]["crossdomain_xml"].as_bool().unwrap());
    assert_eq!(
        patched["delivery"]["custom_domains"],
        json!(["images.example.com"]),
        "a key the PATCH does not name is kept"
    );
    let events = app.get(&format!("{path}/events"), &key).await.json();
    let fields: Vec<&str> = events[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["delivery.cache", "delivery.crossdomain_xml"]);
    let invalid = app
        .patch(
            &path,
            &key,
            &json!({"source": {"delivery": {"cache": {"ttl": 10}, "crossdomain_xml": "yes"}}}),
        )
        .await;
    assert_eq!(
        invalid.errors(),
        [
            "delivery.cache.ttl must be an integer from 1800 to 31536000 seconds",
            "delivery.crossdomain_xml must be true or false"
        ]
    );
}

#[tokio::test]
async fn one_of_32_concurrent_creates_claims_a_domain_in_any_case() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let other = app.db.api_key("other").await;
    let attempts = (0..32).map(|n| {
        let domain = if n % 2 == 0 {
            "cdn.example.com"
        } else {
            "CDN.Example.COM"
        };
        let body = with_delivery(&format!("racer-{n}"), json!({"custom_domains": [domain]}));
        let key = if n % 3 == 0 { &other } else { &key };
        request(&app, reqwest::Method::POST, "/v1/sources", key, &body)
    });
    let responses = join_all(attempts.collect()).await;
    let created = responses
        .iter()
        .filter(|(status, _)| *status == 201)
        .count();
    assert_eq!(created, 1);
    for (status, body) in responses.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 422, "{body}");
        assert_eq!(
            body,
            &json!({"errors": ["Custom domain cdn.example.com has already been taken"]})
        );
    }
    assert_eq!(claims(&app).await.len(), 1);
}

#[tokio::test]
async fn one_of_32_concurrent_creates_claims_a_subdomain_in_any_case() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let other = app.db.api_key("other").await;
    let attempts = (0..32).map(|n| {
        let label = if n % 2 == 0 { "my-images" } else { "My-Images" };
        let body = with_delivery(&format!("racer-{n}"), json!({"subdomains": [label]}));
        let key = if n % 3 == 0 { &other } else { &key };
        request(&app, reqwest::Method::POST, "/v1/sources", key, &body)
    });
    let responses = join_all(attempts.collect()).await;
    let created = responses
        .iter()
        .filter(|(status, _)| *status == 201)
        .count();
    assert_eq!(created, 1);
    for (status, body) in responses.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 422, "{body}");
        assert_eq!(
            body,
            &json!({"errors": ["Subdomain my-images has already been taken"]})
        );
    }
    assert_eq!(claims(&app).await.len(), 1);
    // A label and a custom domain are different names: `my-images` as a domain's first label
    // takes nothing from the subdomain.
    let beside = app
        .post(
            "/v1/sources",
            &key,
            &with_delivery(
                "beside",
                json!({"custom_domains": ["my-images.example.com"]}),
            ),
        )
        .await;
    assert_eq!(beside.status, 201, "{}", beside.text);
}

#[tokio::test]
async fn swapping_domains_concurrently_never_claims_one_twice_or_orphans_it() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let mut paths = Vec::new();
    for (name, domain, label) in [
        ("left", "a.example.com", "a"),
        ("right", "b.example.com", "b"),
    ] {
        let created = app
            .post(
                "/v1/sources",
                &key,
                &with_delivery(
                    name,
                    json!({"custom_domains": [domain], "subdomains": [label]}),
                ),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        paths.push(format!(
            "/v1/sources/{}",
            created.json()["id"].as_str().unwrap()
        ));
    }
    // Each source asks for the other's domain or subdomain, over and over, both at once: some
    // PATCHes win, the others find the name taken; never both, never neither's claim left behind.
    for round in 0..10 {
        let (to_left, to_right) = if round % 2 == 0 {
            ("b.example.com", "a.example.com")
        } else {
            ("a.example.com", "b.example.com")
        };
        let patch = |path: &str, domain: &str| {
            let body = if round % 4 < 2 {
                json!({"source": {"delivery": {"custom_domains": [domain]}}})
            } else {
                let label = &domain[..1];
                json!({"source": {"delivery": {"subdomains": [label]}}})
            };
            request(&app, reqwest::Method::PATCH, path, &key, &body)
        };
        let answers = join_all(vec![patch(&paths[0], to_left), patch(&paths[1], to_right)]).await;
        for (status, body) in answers {
            assert!(status == 200 || status == 422, "{body}");
            if status == 422 {
                let taken = body["errors"][0].as_str().unwrap();
                assert!(taken.ends_with("has already been taken"), "{body}");
            }
        }
        assert_eq!(
            claims(&app).await,
            served(&app, &key).await,
            "round {round}"
        );
    }
    // A delete releases every domain it had.
    let deleted = app.delete(&paths[0], &key).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(claims(&app).await, served(&app, &key).await);
}

/// The worst PATCH: 25 domains and 10 subdomains replaced by others, a rename and its event, in
/// one transaction of 74 items (DynamoDB allows 100).
#[tokio::test]
async fn the_worst_patch_fits_one_transaction() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let first: Vec<String> = (0..25).map(|n| format!("old{n}.example.com")).collect();
    let second: Vec<String> = (0..25).map(|n| format!("new{n}.example.com")).collect();
    let first_labels: Vec<String> = (0..10).map(|n| format!("old{n}")).collect();
    let second_labels: Vec<String> = (0..10).map(|n| format!("new{n}")).collect();
    let created = app
        .post(
            "/v1/sources",
            &key,
            &with_delivery(
                "worst",
                json!({"custom_domains": first, "subdomains": first_labels}),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let path = format!("/v1/sources/{}", created.json()["id"].as_str().unwrap());
    app.db.counter.reset();
    let patched = app
        .patch(
            &path,
            &key,
            &json!({"source": {"source": "worst-renamed",
                "delivery": {"custom_domains": second, "subdomains": second_labels}}}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let requests = app.db.counter.snapshot();
    assert_eq!(requests.get("TransactWriteItems"), Some(&1), "{requests:?}");
    // The source, its event, the new name's claim and the old one's release, 25 domains and 10
    // subdomains claimed and as many released.
    assert_eq!(app.db.counter.transaction_sizes(), [74]);
    let claimed = claims(&app).await;
    assert_eq!(claimed.len(), 35);
    assert!(
        claimed
            .keys()
            .all(|d| d.starts_with("DOMAIN#new") || d.starts_with("SUBDOMAIN#new")),
        "{claimed:?}"
    );
}

/// `?custom_domain=` finds the account's source serving it, in any letter case; another
/// account's domain, or one nobody serves, finds nothing; a malformed one is 400.
#[tokio::test]
async fn the_listing_finds_the_source_serving_a_domain() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let other = app.db.api_key("other").await;
    for (name, domain, owner) in [
        ("mine", "mine.example.com", &key),
        ("theirs", "theirs.example.com", &other),
    ] {
        let created = app
            .post(
                "/v1/sources",
                owner,
                &with_delivery(name, json!({"custom_domains": [domain]})),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
    }
    let found = app
        .get("/v1/sources?custom_domain=MINE.example.com", &key)
        .await;
    assert_eq!(found.status, 200);
    assert_eq!(found.source_names(), ["mine"]);
    assert_eq!(found.header("link"), None);
    for path in [
        "/v1/sources?custom_domain=theirs.example.com",
        "/v1/sources?custom_domain=nobody.example.com",
        "/v1/sources?custom_domain=mine.example.com&source_type=s3",
    ] {
        let response = app.get(path, &key).await;
        assert_eq!(response.status, 200, "{path}");
        assert!(response.source_names().is_empty(), "{path}");
    }
    // A cursor is read as on any listing: one this API never made is 400, though the page is
    // one source or none and never has a next.
    let garbage = app
        .get(
            "/v1/sources?custom_domain=mine.example.com&cursor=bm90LWEtY3Vyc29y",
            &key,
        )
        .await;
    assert_eq!(garbage.status, 400);
    assert_eq!(garbage.errors(), ["Invalid cursor"]);
    for bad in [
        "localhost",
        "10.0.0.1",
        "mine.example.com.",
        "%3Cscript%3E",
        "images.test",
    ] {
        let response = app
            .get(&format!("/v1/sources?custom_domain={bad}"), &key)
            .await;
        assert_eq!(response.status, 400, "{bad}");
        assert_eq!(
            response.errors(),
            ["Parameter custom_domain must be a public DNS name"]
        );
    }
}

/// `?subdomain=` finds the account's source served under it, in any letter case, as
/// `?custom_domain=` does; a malformed label is 400.
#[tokio::test]
async fn the_listing_finds_the_source_served_under_a_subdomain() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let other = app.db.api_key("other").await;
    for (name, label, owner) in [("mine", "mine", &key), ("theirs", "theirs", &other)] {
        let created = app
            .post(
                "/v1/sources",
                owner,
                &with_delivery(name, json!({"subdomains": [label]})),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
    }
    let found = app.get("/v1/sources?subdomain=MINE", &key).await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.source_names(), ["mine"]);
    assert_eq!(found.header("link"), None);
    for path in [
        "/v1/sources?subdomain=theirs",
        "/v1/sources?subdomain=nobody",
        "/v1/sources?subdomain=mine&enabled=false",
        "/v1/sources?subdomain=mine&name=theirs",
        "/v1/sources?subdomain=mine&custom_domain=mine.example.com",
    ] {
        let response = app.get(path, &key).await;
        assert_eq!(response.status, 200, "{path}");
        assert!(response.source_names().is_empty(), "{path}");
    }
    let both = app.get("/v1/sources?name=Mine&subdomain=mine", &key).await;
    assert_eq!(both.source_names(), ["mine"]);
    for bad in ["a.b", "-a", "%3Cscript%3E", "under_score", ""] {
        let response = app.get(&format!("/v1/sources?subdomain={bad}"), &key).await;
        assert_eq!(response.status, 400, "{bad}");
        assert_eq!(
            response.errors(),
            ["Parameter subdomain must be a DNS label"]
        );
    }
}

/// `urls` (docs/SPEC.md §25): on every answer that shows a source, derived from the operator's
/// settings and the source's domains and subdomains; what the operator has not configured is
/// null or empty. Never stored: a client's `urls` is ignored like `health`.
#[tokio::test]
async fn every_source_answer_shows_where_the_cdn_serves_it() {
    let cdn = shared::domain::CdnSettings::new(
        Some("https://img.example.com/"),
        Some("imgcdn.example.com"),
        Some("cdn.example.net"),
    )
    .unwrap();
    let app = TestApp::builder().cdn(cdn).spawn().await;
    let key = app.db.api_key("acme").await;
    let mut body = with_delivery(
        "my-images",
        json!({"custom_domains": ["images.acme.com"], "subdomains": ["My-Images"]}),
    );
    body["source"]["urls"] = json!({"path": "https://evil.example.com/"});
    let created = app.post("/v1/sources", &key, &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let expected = json!({"path": "https://img.example.com/my-images/",
        "subdomains": ["https://my-images.imgcdn.example.com/"],
        "custom_domains": ["https://images.acme.com/"],
        "cname_target": "cdn.example.net"});
    assert_eq!(created.json()["urls"], expected);
    let path = format!("/v1/sources/{}", created.json()["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &key).await.json()["urls"], expected);
    assert_eq!(
        app.get("/v1/sources", &key).await.json()[0]["urls"],
        expected
    );
    let rotated = app
        .post(&format!("{path}/rotate_secret_token"), &key, &json!({}))
        .await;
    assert_eq!(rotated.json()["urls"], expected, "{}", rotated.text);
    let renamed = app
        .patch(
            &path,
            &key,
            &json!({"source": {"source": "renamed", "delivery": {"subdomains": null}}}),
        )
        .await;
    assert_eq!(
        renamed.json()["urls"],
        json!({"path": "https://img.example.com/renamed/", "subdomains": [],
            "custom_domains": ["https://images.acme.com/"], "cname_target": "cdn.example.net"})
    );
    // The audit trail names the subdomains like any delivery key, from and to.
    let events = app.get(&format!("{path}/events"), &key).await.json();
    let change = events[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "delivery.subdomains")
        .cloned();
    assert_eq!(
        change,
        Some(json!({"field": "delivery.subdomains", "from": ["my-images"]})),
        "{events}"
    );
    let stored = app.db.all_items().await;
    assert!(
        stored.iter().all(|item| !item.contains_key("urls")),
        "urls are derived, not stored"
    );
    // An operator who configured nothing: nulls and the custom domains alone.
    let bare = spawn_app().await;
    let key = bare.db.api_key("acme").await;
    let created = bare
        .post(
            "/v1/sources",
            &key,
            &with_delivery("bare", json!({"subdomains": ["bare"]})),
        )
        .await;
    assert_eq!(
        created.json()["urls"],
        json!({"path": null, "subdomains": [], "custom_domains": [], "cname_target": null})
    );
}

/// Hostile domains and settings (docs/SPEC.md §23): each refused with its message, nothing
/// written.
#[tokio::test]
async fn hostile_delivery_settings_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let cases = [
        json!({"custom_domains": ["<img src=x onerror=alert(1)>.example.com"]}),
        json!({"custom_domains": ["ex\u{0430}mple.com"]}),
        json!({"custom_domains": ["127.0.0.1"]}),
        json!({"custom_domains": ["[::1]"]}),
        json!({"custom_domains": ["images.example.com."]}),
        json!({"custom_domains": ["metadata.google.internal"]}),
        json!({"custom_domains": (0..26).map(|n| format!("d{n}.example.com")).collect::<Vec<_>>()}),
        json!({"default_params": (0..51).map(|n| (format!("p{n}"), json!("v"))).collect::<serde_json::Map<_, _>>()}),
        json!({"cache": {"ttl": -1}}),
        json!({"cache": {"ttl": 1e300}}),
        json!({"cache": {"error_ttl": 31536001}}),
        json!({"fallback_images": {"error": {"url": "http://example.com\\@169.254.169.254/"}}}),
        json!({"fallback_images": {"error": {"url": "https://EXAMPLE.com/x.png"}}}),
        json!({"fallback_images": {"missing": {"url": "https://example.com/x.png", "append_query": "yes"}}}),
        // Special-use zones no CDN can serve (RFC 6761, 6762, 7686, the reverse zones).
        json!({"custom_domains": ["images.test"]}),
        json!({"custom_domains": ["cdn.acme.example"]}),
        json!({"custom_domains": ["a.invalid"]}),
        json!({"custom_domains": ["app.localhost"]}),
        json!({"custom_domains": ["printer.local"]}),
        json!({"custom_domains": ["shop.onion"]}),
        json!({"custom_domains": ["4.3.2.1.in-addr.arpa"]}),
        json!({"custom_domains": ["b.a.9.8.ip6.arpa"]}),
        // Subdomains are single DNS labels, at most 10 (docs/SPEC.md §25).
        json!({"subdomains": ["img.example.com"]}),
        json!({"subdomains": ["<img>"]}),
        json!({"subdomains": ["ex\u{0430}mple"]}),
        json!({"subdomains": ["x".repeat(64)]}),
        json!({"subdomains": (0..11).map(|n| format!("s{n}")).collect::<Vec<_>>()}),
        json!({"subdomains": "img"}),
        // §4's 1,024 characters hold for fallback URLs as for every value.
        json!({"fallback_images": {"error": {"url": format!("https://example.com/{}", "a".repeat(1_005))}}}),
        json!({"fallback_images": {"missing": {"url": format!("https://example.com/{}", "a".repeat(30_000))}}}),
    ];
    for (n, delivery) in cases.into_iter().enumerate() {
        let response = app
            .post(
                "/v1/sources",
                &key,
                &with_delivery(&format!("hostile-{n}"), delivery.clone()),
            )
            .await;
        assert_eq!(response.status, 422, "{delivery}: {}", response.text);
        assert!(
            response.errors().iter().all(|e| e.starts_with("delivery.")),
            "{delivery}: {:?}",
            response.errors()
        );
    }
    assert!(claims(&app).await.is_empty());
    assert!(
        app.get("/v1/sources", &key)
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// `null` returns `append_query` to its default, `false`, as it does every delivery key
/// (docs/SPEC.md §23), on a create and on a PATCH.
#[tokio::test]
async fn append_query_null_is_its_default() {
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let created = app
        .post(
            "/v1/sources",
            &key,
            &with_delivery(
                "fallbacks",
                json!({"fallback_images": {"error": {"url": "https://example.com/e.png", "append_query": null}}}),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let error = &created.json()["delivery"]["fallback_images"]["error"];
    assert_eq!(error["append_query"], false);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/sources/{id}");
    // Set, then `null`: back to its default.
    for (given, now) in [(json!(true), true), (Value::Null, false)] {
        let body = json!({"source": {"delivery": {"fallback_images": {"error":
            {"url": "https://example.com/e.png", "append_query": given}}}}});
        let answer = app.patch(&path, &key, &body).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(
            answer.json()["delivery"]["fallback_images"]["error"]["append_query"],
            now,
            "{given}"
        );
    }
}
