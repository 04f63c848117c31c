//! Listing at scale (docs/SPEC.md §11, §12) through the local gateway: pages, orders, filters, cursors,
//! their round trips and their size.

use std::collections::{BTreeSet, HashMap};

use integration_tests::fixtures::{credentials, source_body, source_with};
use integration_tests::{TestApp, Walk, dynamodb_endpoint, next_link, spawn_app};
use serde_json::{Value, json};
use shared::domain::{Source, SourceType};
use shared::http::response::MAX_PAGE_PAYLOAD_BYTES;
use shared::store::MAX_QUERIES_PER_FILTERED_PAGE;

const ACCOUNT: &str = "acme";
const SEED_CONCURRENCY: usize = 16;
/// Lambda's response payload limit, as the local gateway enforces it.
const LAMBDA_LIMIT: usize = image_sources::gateway::LAMBDA_MAX_RESPONSE_BYTES;

/// Names of mixed case and shared prefixes, so that name order and `q` have work to do.
const NAME_STEMS: [&str; 5] = ["Shop-", "shop_", "Archive-", "zeta", "A"];

/// The `n`th source of a large account: every type, one in three disabled.
fn mixed_body(n: usize) -> Value {
    let source_type = SourceType::ALL[n % SourceType::ALL.len()];
    let name = format!("{}{n:04}", NAME_STEMS[n % NAME_STEMS.len()]);
    let mut body = source_body(&name, source_type);
    body["source"]["enabled"] = json!(!n.is_multiple_of(3));
    body
}

async fn seeded_app(count: usize) -> (TestApp, String, Vec<Source>) {
    let app = spawn_app().await;
    let key = app.db.api_key(ACCOUNT).await;
    let sources = app
        .db
        .seed_sources(
            ACCOUNT,
            (0..count).map(mixed_body).collect(),
            SEED_CONCURRENCY,
        )
        .await;
    (app, key, sources)
}

/// A filter and order as the test computes them from the seeded sources.
struct Case {
    query: &'static str,
    sort: &'static str,
    types: &'static [SourceType],
    enabled: Option<bool>,
    prefix: Option<&'static str>,
}

const fn case(query: &'static str, sort: &'static str) -> Case {
    Case {
        query,
        sort,
        types: &[],
        enabled: None,
        prefix: None,
    }
}

impl Case {
    fn expected(&self, sources: &[Source]) -> Vec<String> {
        let mut selected: Vec<&Source> = sources
            .iter()
            .filter(|s| self.types.is_empty() || self.types.contains(&s.fields.source_type))
            .filter(|s| self.enabled.is_none_or(|e| s.fields.enabled == e))
            .filter(|s| {
                self.prefix
                    .is_none_or(|p| s.fields.name.claim_key().starts_with(&p.to_lowercase()))
            })
            .collect();
        match self.sort.trim_start_matches('-') {
            "name" => selected.sort_by_key(|s| s.fields.name.claim_key()),
            _ => selected.sort_by_key(|s| s.id.to_string()),
        }
        if self.sort.starts_with('-') {
            selected.reverse();
        }
        selected.iter().map(|s| s.id.to_string()).collect()
    }
}

fn assert_pages_within(walk: &Walk, limit: usize, what: &str) {
    assert!(
        walk.page_sizes.iter().all(|size| *size <= limit),
        "{what}: pages {:?} over the limit {limit}",
        walk.page_sizes
    );
}

#[tokio::test]
async fn up_to_1000_sources_are_one_page_and_every_order_and_filter_walks_each_once_in_order() {
    // Without parameters, an account of 1,000 sources is one page.
    let (app, key, mut sources) = seeded_app(1_000).await;
    let page = app.get("/v1/sources", &key).await;
    assert_eq!(page.status, 200);
    assert!(page.header("link").is_none(), "{:?}", page.header("link"));
    assert_eq!(page.json().as_array().unwrap().len(), sources.len());

    // More than a default page, so that every walk below crosses pages, the unfiltered one
    // included, and each filter keeps sources for several of its pages. (One account seeded
    // once for both halves: seeding is most of the suite's CPU time, docs/FIRST_RUN.md.)
    let more = (1_000..1_200).map(mixed_body).collect();
    sources.extend(app.db.seed_sources(ACCOUNT, more, SEED_CONCURRENCY).await);
    let cases = [
        case("", "created_at"),
        case("limit=100", "created_at"),
        case("limit=100&sort=-created_at", "-created_at"),
        case("limit=100&sort=name", "name"),
        case("limit=250&sort=-name", "-name"),
        Case {
            types: &[SourceType::S3],
            ..case("limit=90&source_type=s3", "created_at")
        },
        Case {
            types: &[SourceType::Gcs, SourceType::Url],
            ..case("limit=77&sort=-name&source_type=url,gcs", "-name")
        },
        Case {
            enabled: Some(false),
            ..case("limit=100&enabled=false", "created_at")
        },
        Case {
            prefix: Some("SHOP"),
            ..case("limit=60&sort=name&q=SHOP", "name")
        },
        Case {
            prefix: Some("shop-"),
            ..case("limit=60&q=shop-", "created_at")
        },
        Case {
            types: &[SourceType::R2, SourceType::Azure],
            enabled: Some(true),
            prefix: Some("a"),
            ..case(
                "limit=25&sort=-created_at&source_type=r2,azure&enabled=true&q=a",
                "-created_at",
            )
        },
        Case {
            prefix: Some("nothing"),
            ..case("q=nothing", "created_at")
        },
    ];
    for case in cases {
        let path = format!("/v1/sources?{}", case.query);
        let walk = app.walk(&path, &key).await;
        let expected = case.expected(&sources);
        assert_eq!(walk.ids(), expected, "{path}");
        let limit = case
            .query
            .split('&')
            .find_map(|p| p.strip_prefix("limit="))
            .map_or(1000, |l| l.parse().unwrap());
        assert_pages_within(&walk, limit, &path);
    }
}

#[tokio::test]
async fn a_link_keeps_the_prefix_and_the_parameters() {
    let (app, key, _) = seeded_app(30).await;
    let page = app
        .get(
            "/api/v1/sources?q=SHOP&limit=2&sort=-name&unknown=1&source_type=s3,gcs,s3",
            &key,
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let next = next_link(page.header("link")).expect("a next page");
    let (path, query) = next.split_once('?').unwrap();
    assert_eq!(path, "/api/v1/sources");
    let parameters: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let names: Vec<&str> = parameters.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["limit", "sort", "source_type", "q", "cursor"]);
    assert_eq!(parameters[0].1, "2");
    assert_eq!(parameters[1].1, "-name");
    assert_eq!(parameters[2].1, "s3,gcs");
    assert_eq!(parameters[3].1, "shop");
}

#[tokio::test]
async fn creates_and_deletes_during_a_walk_never_duplicate_and_keep_the_rest_in_order() {
    let (app, key, sources) = seeded_app(600).await;
    // Every other source is deleted while the walks run; new ones are created.
    let (doomed, stable): (Vec<_>, Vec<_>) = sources
        .iter()
        .enumerate()
        .partition(|(n, _)| n.is_multiple_of(2));
    let stable: Vec<Source> = stable.into_iter().map(|(_, s)| s.clone()).collect();
    let doomed: Vec<Source> = doomed.into_iter().map(|(_, s)| s.clone()).collect();
    let churn = {
        let store = app.db.store.clone();
        tokio::spawn(async move {
            let account = shared::domain::AccountId::parse(ACCOUNT).unwrap();
            for (n, source) in doomed.iter().enumerate() {
                store
                    .delete_source(&shared::store::SourceWrite {
                        account: &account,
                        id: &source.id,
                        expected: &shared::domain::VersionMatch::Any,
                        action: shared::domain::Action::Deleted,
                        actor: &shared::domain::Actor::default(),
                    })
                    .await
                    .unwrap();
                let body = mixed_body(10_000 + n);
                let fields =
                    shared::domain::SourceInput::from_json(body["source"].as_object().unwrap())
                        .into_new_fields()
                        .unwrap();
                store
                    .create_source(
                        &integration_tests::sealed(Source::new(account.clone(), fields)).await,
                        None,
                        &shared::domain::Actor::default(),
                    )
                    .await
                    .unwrap();
            }
        })
    };
    for (path, sort) in [
        ("/v1/sources?limit=7", "created_at"),
        ("/v1/sources?limit=7&sort=name", "name"),
        ("/v1/sources?limit=7&sort=-name", "-name"),
    ] {
        let walk = app.walk(path, &key).await;
        let ids = walk.ids();
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{path}: a source listed twice");
        // The sources that existed for the whole walk: each exactly once, in order.
        let expected = case(path, sort).expected(&stable);
        let seen: Vec<String> = ids
            .iter()
            .filter(|id| expected.contains(id))
            .cloned()
            .collect();
        assert_eq!(seen, expected, "{path}");
    }
    churn.await.unwrap();
}

#[tokio::test]
async fn cursors_that_are_not_this_listings_are_invalid_and_say_nothing_more() {
    let (app, key, sources) = seeded_app(40).await;
    let other_key = app.db.api_key("other").await;
    let first = app.get("/v1/sources?limit=10&sort=name", &key).await;
    let next = next_link(first.header("link")).unwrap();
    let cursor = next.rsplit_once("cursor=").unwrap().1.to_owned();
    let with = |query: &str| format!("/v1/sources?{query}");
    let mut truncated = cursor.clone();
    truncated.pop();
    let mut tampered = cursor.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let invalid = [
        (
            with(&format!("limit=10&sort=name&cursor={truncated}")),
            &key,
        ),
        (with(&format!("limit=10&sort=name&cursor={tampered}")), &key),
        (with(&format!("limit=10&sort=-name&cursor={cursor}")), &key),
        (with(&format!("limit=10&cursor={cursor}")), &key),
        (with(&format!("sort=name&q=a&cursor={cursor}")), &key),
        (
            with(&format!("sort=name&enabled=true&cursor={cursor}")),
            &key,
        ),
        (
            with(&format!("sort=name&source_type=s3&cursor={cursor}")),
            &key,
        ),
        (
            with(&format!("limit=10&sort=name&cursor={cursor}")),
            &other_key,
        ),
        (with("cursor=not-a-cursor"), &key),
        (with("cursor=%00"), &key),
    ];
    for (path, key) in invalid {
        let answer = app.get(&path, key).await;
        assert_eq!(answer.status, 400, "{path}");
        assert_eq!(answer.text, r#"{"errors":["Invalid cursor"]}"#, "{path}");
    }
    // The same cursor with another page size is this listing's: it goes on.
    let answer = app
        .get(&with(&format!("limit=3&sort=name&cursor={cursor}")), &key)
        .await;
    assert_eq!(answer.status, 200);
    let mut by_name: Vec<String> = sources.iter().map(|s| s.fields.name.claim_key()).collect();
    by_name.sort();
    let names: Vec<String> = answer
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap().to_lowercase())
        .collect();
    assert_eq!(names, by_name[10..13]);
}

#[tokio::test]
async fn bad_parameter_values_are_400_naming_the_parameter() {
    let (app, key, _) = seeded_app(3).await;
    let source_types = SourceType::ALL.map(|t| t.as_str()).join(", ");
    let cases = [
        (
            "limit=0",
            "Parameter limit must be an integer from 1 to 1000".to_owned(),
        ),
        (
            "limit=1001",
            "Parameter limit must be an integer from 1 to 1000".to_owned(),
        ),
        (
            "limit=ten",
            "Parameter limit must be an integer from 1 to 1000".to_owned(),
        ),
        (
            "limit=",
            "Parameter limit must be an integer from 1 to 1000".to_owned(),
        ),
        (
            "sort=size",
            "Parameter sort must be one of created_at, -created_at, name, -name".to_owned(),
        ),
        (
            "source_type=ftp",
            format!(
                "Parameter source_type must be one or more of {source_types}, separated by commas"
            ),
        ),
        (
            "enabled=yes",
            "Parameter enabled must be true or false".to_owned(),
        ),
        (
            "q=a%20b",
            "Parameter q must be 1 to 64 letters, digits, hyphens or underscores".to_owned(),
        ),
        (
            "limit=5&limit=6",
            "Parameter limit must be given once".to_owned(),
        ),
    ];
    for (query, message) in cases {
        let answer = app.get(&format!("/v1/sources?{query}"), &key).await;
        assert_eq!(answer.status, 400, "{query}");
        assert_eq!(answer.errors(), [message], "{query}");
    }
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let (app, key, _) = seeded_app(3).await;
    let plain = app.get("/v1/sources", &key).await;
    let with_unknown = app
        .get("/v1/sources?page=2&per_page=x&LIMIT=0&Sort=size", &key)
        .await;
    assert_eq!(with_unknown.status, 200);
    assert_eq!(with_unknown.json(), plain.json());
}

#[tokio::test]
async fn a_page_without_filters_is_one_query_and_with_filters_at_most_two() {
    let (app, key, _) = seeded_app(300).await;
    let count = |app: &TestApp| app.db.counter.snapshot();
    for (path, queries) in [
        ("/v1/sources?limit=50", 1),
        ("/v1/sources?limit=50&sort=-name", 1),
        ("/v1/sources?limit=50&sort=name&q=shop", 1),
        (
            "/v1/sources?limit=5&source_type=s3",
            MAX_QUERIES_PER_FILTERED_PAGE,
        ),
        (
            "/v1/sources?limit=5&enabled=false&sort=name",
            MAX_QUERIES_PER_FILTERED_PAGE,
        ),
        ("/v1/sources?limit=5&q=zeta", MAX_QUERIES_PER_FILTERED_PAGE),
    ] {
        let mut next = Some(path.to_owned());
        while let Some(page) = next.take() {
            app.db.counter.reset();
            let answer = app.get(&page, &key).await;
            assert_eq!(answer.status, 200);
            let observed = count(&app);
            // The authorizer's GetItem, and the page's Queries.
            assert_eq!(observed.get("GetItem"), Some(&1), "{page}: {observed:?}");
            let sent = observed.get("Query").copied().unwrap_or_default();
            assert!(sent >= 1 && sent <= queries, "{page}: {sent} Queries");
            assert_eq!(observed.len(), 2, "{page}: {observed:?}");
            next = next_link(answer.header("link"));
        }
    }
}

/// As many default parameters as a source may have, each as long as allowed, of `fill`.
fn largest_default_params(fill: char) -> serde_json::Map<String, Value> {
    let value: String =
        std::iter::repeat_n(fill, shared::domain::delivery::MAX_PARAM_VALUE_CHARS).collect();
    (0..shared::domain::delivery::MAX_DEFAULT_PARAMS)
        .map(|n| (format!("p{n:02}"), json!(value)))
        .collect()
}

/// DynamoDB's size of an item (attribute names and values, "Item sizes and formats").
fn item_bytes(item: &HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) -> usize {
    use aws_sdk_dynamodb::types::AttributeValue;
    fn value_bytes(value: &AttributeValue) -> usize {
        match value {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.len().div_ceil(2) + 1,
            AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
            AttributeValue::M(map) => {
                3 + map
                    .iter()
                    .map(|(k, v)| k.len() + value_bytes(v) + 1)
                    .sum::<usize>()
            }
            _ => 0,
        }
    }
    item.iter().map(|(k, v)| k.len() + value_bytes(v)).sum()
}

#[tokio::test]
async fn a_sparse_filter_answers_an_empty_page_only_after_reading_a_megabyte() {
    let app = spawn_app().await;
    let key = app.db.api_key(ACCOUNT).await;
    // Over 2 MB of sources before the one that matches, so that a page (two Queries of up to
    // 1 MB each) finds none. Each carries the most default parameters the rules allow: the
    // megabytes take 45 writes rather than 9,000 small ones (the suite's CPU time,
    // docs/FIRST_RUN.md).
    let mut bodies: Vec<Value> = (0..45)
        .map(|n| {
            let mut body = source_body(&format!("plain-{n:04}"), SourceType::Url);
            body["source"]["delivery"] = json!({"default_params": largest_default_params('x')});
            body
        })
        .collect();
    bodies.push(source_body("the-one", SourceType::Akamai));
    app.db.seed_sources(ACCOUNT, bodies, SEED_CONCURRENCY).await;
    let stored: usize = app
        .db
        .all_items()
        .await
        .iter()
        .filter(|item| item["SK"].as_s().is_ok_and(|sk| sk.starts_with("SOURCE#")))
        .map(item_bytes)
        .sum();
    assert!(stored > 1024 * 1024, "{stored} bytes");

    let walk = app
        .walk("/v1/sources?limit=10&source_type=akamai", &key)
        .await;
    assert_eq!(walk.sources.len(), 1);
    assert_eq!(walk.sources[0]["source"], "the-one");
    // An empty page with a Link costs at least 1 MB of reading: no more such pages than
    // megabytes in the partition, and one here, where 2 MB come before the match. DynamoDB and
    // the embedded server stop a Query at 1 MB read before the filter; AWS's DynamoDB Local stops
    // at 1 MB of items that match (a filtered Query over 1.5 MB that matches none answers all
    // items scanned and no LastEvaluatedKey), so there a page is never empty. (`.ci/run` sets an
    // endpoint only for DynamoDB Local.)
    let fewest = usize::from(dynamodb_endpoint().is_none());
    let empty_pages = walk.page_sizes.iter().filter(|size| **size == 0).count();
    assert!(
        (fewest..=stored / (1024 * 1024)).contains(&empty_pages),
        "{empty_pages} empty pages over {stored} bytes: {:?}",
        walk.page_sizes
    );
}

/// The bytes a body takes inside Lambda's response payload (a JSON string: `"` and `\` escaped).
fn payload_bytes(body: &str) -> usize {
    body.len() + body.bytes().filter(|b| matches!(b, b'"' | b'\\')).count()
}

#[tokio::test]
async fn pages_stay_under_lambdas_response_limit_however_large_the_sources() {
    let app = spawn_app().await;
    let key = app.db.api_key(ACCOUNT).await;
    // The largest sources the rules allow, in the characters JSON must escape: each 1,024 `"`
    // takes 4,096 bytes of payload, and a source about 210 KB of it (two credential values and
    // fifty default parameters).
    let quotes = "\"".repeat(shared::domain::MAX_VALUE_CHARS);
    let bodies: Vec<Value> = (0..40)
        .map(|n| {
            let mut attributes = credentials(SourceType::S3);
            attributes.insert("access_key_id".into(), json!(quotes));
            attributes.insert("prefix".into(), json!(quotes));
            let mut body = source_with(&format!("huge-{n:03}"), SourceType::S3, attributes);
            body["source"]["delivery"] = json!({"default_params": largest_default_params('"')});
            body
        })
        .collect();
    let sources = app.db.seed_sources(ACCOUNT, bodies, SEED_CONCURRENCY).await;
    let whole: usize = sources
        .iter()
        .map(|s| {
            payload_bytes(
                &serde_json::to_string(&s.public(shared::domain::SourceView::full(
                    &shared::domain::CdnSettings::default(),
                )))
                .unwrap(),
            )
        })
        .sum();
    assert!(whole > LAMBDA_LIMIT, "one body could not hold them all");

    // Unfiltered pages end at DynamoDB's 1 MB; filtered ones read 2 MB, and end at the budget.
    for path in ["/v1/sources", "/v1/sources?source_type=s3"] {
        let mut next = Some(path.to_owned());
        let mut seen = Vec::new();
        while let Some(page) = next.take() {
            let answer = app.get(&page, &key).await;
            assert_eq!(answer.status, 200, "{page}: {}", answer.text);
            assert!(payload_bytes(&answer.text) <= MAX_PAGE_PAYLOAD_BYTES + 2);
            seen.extend(
                answer
                    .json()
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["id"].as_str().unwrap().to_owned()),
            );
            next = next_link(answer.header("link"));
        }
        let mut expected: Vec<String> = sources.iter().map(|s| s.id.to_string()).collect();
        expected.sort();
        assert_eq!(seen, expected, "{path}");
    }

    // The imgix dialect's offset paging cannot resume inside a page (docs/SPEC.md §24): a page
    // over the budget is a 400 that says which size fits, and pages of that size hold every
    // source once, each under the limit.
    let too_large = app
        .imgix(
            reqwest::Method::GET,
            "/api/v1/sources?page[size]=1000",
            &key,
            None,
        )
        .await;
    assert_eq!(too_large.status, 400, "{}", too_large.text);
    let error = &too_large.json()["errors"][0];
    assert_eq!(error["source"]["parameter"], "page[size]");
    let fits: usize = error["detail"]
        .as_str()
        .and_then(|d| d.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the size that fits");
    assert!((1..sources.len()).contains(&fits), "{fits}");
    let mut seen = Vec::new();
    for number in 0.. {
        let page = app
            .imgix(
                reqwest::Method::GET,
                &format!("/api/v1/sources?page[size]={fits}&page[number]={number}"),
                &key,
                None,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(payload_bytes(&page.text) <= MAX_PAGE_PAYLOAD_BYTES);
        let document = page.json();
        seen.extend(
            document["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned()),
        );
        if document["meta"]["pagination"]["hasNextPage"] != true {
            break;
        }
    }
    seen.sort();
    let mut expected: Vec<String> = sources.iter().map(|s| s.id.to_string()).collect();
    expected.sort();
    assert_eq!(seen, expected, "the imgix dialect's pages");
}

/// `?name=` finds the account's source with exactly that name, in any letter case, through the
/// name's claim: the key's read, the claim's and the source's, and no Query (docs/SPEC.md §25).
/// A prefix, another account's name or one nobody has finds nothing; the other filters apply; a
/// name that cannot be one is 400.
#[tokio::test]
async fn the_listing_finds_a_source_by_its_exact_name() {
    let app = spawn_app().await;
    let key = app.db.api_key(ACCOUNT).await;
    let other = app.db.api_key("other").await;
    for (owner, name) in [
        (&key, "My-Images"),
        (&key, "My-Images-2"),
        (&other, "Theirs"),
    ] {
        let created = app
            .post("/v1/sources", owner, &source_body(name, SourceType::Url))
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
    }
    app.db.counter.reset();
    let found = app.get("/api/v1/sources?name=my-IMAGES", &key).await;
    assert_eq!(found.status, 200);
    assert_eq!(found.source_names(), ["My-Images"]);
    assert_eq!(found.header("link"), None);
    let reads = app.db.counter.snapshot();
    assert_eq!(reads.get("GetItem"), Some(&3), "{reads:?}");
    assert_eq!(reads.get("Query"), None, "{reads:?}");
    for path in [
        "/v1/sources?name=My",
        "/v1/sources?name=Theirs",
        "/v1/sources?name=nobody",
        "/v1/sources?name=My-Images&source_type=s3",
        "/v1/sources?name=My-Images&custom_domain=images.example.com",
    ] {
        let response = app.get(path, &key).await;
        assert_eq!(response.status, 200, "{path}");
        assert!(response.source_names().is_empty(), "{path}");
    }
    assert_eq!(
        app.get("/v1/sources?name=My-Images&source_type=url", &key)
            .await
            .source_names(),
        ["My-Images"]
    );
    for bad in [
        "",
        "my%20images",
        "-leading",
        "%C3%A9t%C3%A9",
        &"a".repeat(65),
    ] {
        let response = app.get(&format!("/v1/sources?name={bad}"), &key).await;
        assert_eq!(response.status, 400, "{bad}");
        assert_eq!(response.errors(), ["Parameter name must be a source name"]);
    }
}
