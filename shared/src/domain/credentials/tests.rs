//! The credential rules of every source type (docs/SPEC.md §4, §23).

use super::*;

/// The rules are the one place that says what is secret: every key a type checks as a
/// secret is kept and shown as one, and no key is a secret for one type and plain for another
/// (a value is made secret by its name alone, before its type is known).
#[test]
fn secrecy_comes_from_the_rules_alone() {
    let mut secret_keys = Vec::new();
    for source_type in SourceType::ALL {
        for key in credential_keys(source_type) {
            let value = CredentialValue::new(key.key, "some-value".to_owned());
            assert_eq!(
                value.public() == SECRET_PLACEHOLDER,
                key.secret,
                "{source_type:?} {}",
                key.key
            );
            assert_eq!(secret_key(key.key).is_some(), key.secret, "{}", key.key);
            if key.secret {
                secret_keys.push(key.key);
            }
        }
    }
    secret_keys.sort_unstable();
    secret_keys.dedup();
    assert_eq!(
        secret_keys,
        [
            "password",
            "request_handshake",
            "request_signing_key",
            "sas_token",
            "secret",
            "secret_access_key"
        ]
    );
    assert!(secret_key("bucket").is_none());
}

#[test]
fn credentials_are_read_by_role_whatever_the_type_calls_them() {
    let s3 = Credentials(BTreeMap::from([
        (
            "access_key_id",
            CredentialValue::new("access_key_id", "AKIA".into()),
        ),
        (
            "secret_access_key",
            CredentialValue::new("secret_access_key", "s3-secret".into()),
        ),
    ]));
    let gcs = Credentials(BTreeMap::from([
        (
            "access_key",
            CredentialValue::new("access_key", "GOOG".into()),
        ),
        (
            "secret",
            CredentialValue::new("secret", "gcs-secret".into()),
        ),
    ]));
    let role = |c: &Credentials, t, r| c.by_role(t, r).and_then(|v| v.clear()).map(str::to_owned);
    assert_eq!(
        role(&s3, SourceType::S3, CredentialRole::AccessKey).as_deref(),
        Some("AKIA")
    );
    assert_eq!(
        role(&s3, SourceType::S3, CredentialRole::Secret).as_deref(),
        Some("s3-secret")
    );
    assert_eq!(
        role(&gcs, SourceType::Gcs, CredentialRole::Secret).as_deref(),
        Some("gcs-secret")
    );
    assert_eq!(role(&gcs, SourceType::Gcs, CredentialRole::Bucket), None);
}

fn check(t: SourceType, pairs: &[(&str, &str)]) -> Vec<String> {
    let values = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), CredentialValue::new(k, v.to_string())))
        .collect();
    let mut errors = Vec::new();
    let ok = Credentials::validate(t, values, &mut errors);
    assert_eq!(ok.is_some(), errors.is_empty());
    errors.iter().map(Invalid::to_string).collect()
}

const S3_OK: [(&str, &str); 4] = [
    ("access_key_id", "AKIA..."),
    ("secret_access_key", "wJalr..."),
    ("bucket", "my-bucket"),
    ("region", "us-east-1"),
];

fn s3_with(key: &str, value: &str) -> Vec<String> {
    let mut pairs: Vec<(&str, &str)> = S3_OK.iter().copied().filter(|(k, _)| *k != key).collect();
    pairs.push((key, value));
    check(SourceType::S3, &pairs)
}

#[test]
fn a_complete_set_of_every_type_is_valid() {
    assert!(check(SourceType::S3, &S3_OK).is_empty());
    let common = [("access_key", "GOOG1E"), ("secret", "s3cr3t")];
    let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&str, &str)> {
        common.iter().chain(extra).copied().collect()
    };
    assert!(
        check(
            SourceType::Gcs,
            &with(&[("bucket", "my_bucket.example.com")])
        )
        .is_empty()
    );
    assert!(
        check(
            SourceType::Dos,
            &with(&[("bucket", "space"), ("region", "nyc3")])
        )
        .is_empty()
    );
    assert!(
        check(
            SourceType::R2,
            &with(&[
                ("bucket", "r2-bucket"),
                ("account_id", "0123456789abcdef0123456789abcdef")
            ])
        )
        .is_empty()
    );
    assert!(
        check(
            SourceType::Akamai,
            &with(&[
                ("bucket", "123456/images"),
                ("endpoint", "https://example-nsu.akamaihd.net")
            ])
        )
        .is_empty()
    );
    assert!(
        check(
            SourceType::Wasabi,
            &with(&[("bucket", "w-bucket"), ("region", "eu-central-1")])
        )
        .is_empty()
    );
    assert!(
        check(
            SourceType::Azure,
            &[
                ("account_name", "myaccount"),
                ("service_type", "blob"),
                ("container_name", "images"),
                ("sas_token", "sv=2020&sig=x")
            ]
        )
        .is_empty()
    );
    assert!(
        check(
            SourceType::Azure,
            &[
                ("account_name", "myaccount"),
                ("service_type", "file-share"),
                ("share_name", "images"),
                ("sas_token", "sv=2020&sig=x")
            ]
        )
        .is_empty()
    );
    assert!(
        check(
            SourceType::Url,
            &[("url", "https://images.example.com/base/")]
        )
        .is_empty()
    );
}

#[test]
fn every_missing_required_key_is_reported_with_the_type() {
    assert_eq!(
        check(SourceType::S3, &[]),
        [
            "Credential bucket is required for s3 sources",
            "Credential region is required for s3 sources",
            "Credential access_key_id is required for s3 sources",
            "Credential secret_access_key is required for s3 sources",
        ]
    );
    assert_eq!(
        check(SourceType::Url, &[]),
        ["Credential url is required for url sources"]
    );
    assert_eq!(
        check(SourceType::Azure, &[]),
        [
            "Credential account_name is required for azure sources",
            "Credential service_type is required for azure sources",
            "Credential sas_token is required for azure sources",
        ]
    );
    for (t, keys) in [
        (SourceType::Gcs, &["bucket", "access_key", "secret"][..]),
        (
            SourceType::Dos,
            &["bucket", "region", "access_key", "secret"],
        ),
        (SourceType::R2, &["bucket", "access_key", "secret"]),
        (
            SourceType::Akamai,
            &["bucket", "endpoint", "access_key", "secret"],
        ),
        (SourceType::Wasabi, &["bucket", "access_key", "secret"]),
    ] {
        let expected: Vec<String> = keys
            .iter()
            .map(|k| format!("Credential {k} is required for {t} sources"))
            .collect();
        assert_eq!(check(t, &[]), expected);
    }
}

#[test]
fn unknown_keys_are_refused_not_dropped() {
    assert_eq!(
        s3_with("foo", "x"),
        ["Credential foo is not supported for s3 sources"]
    );
    assert_eq!(
        check(
            SourceType::Url,
            &[("url", "https://example.com"), ("bucket", "b")]
        ),
        ["Credential bucket is not supported for url sources"]
    );
    assert_eq!(
        s3_with("account_id", "x"),
        ["Credential account_id is not supported for s3 sources"]
    );
}

#[test]
fn azure_service_type_decides_container_or_share() {
    let base = [("account_name", "acct"), ("sas_token", "sig")];
    let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&str, &str)> {
        base.iter().chain(extra).copied().collect()
    };
    assert_eq!(
        check(SourceType::Azure, &with(&[("service_type", "blob")])),
        ["Credential container_name is required for azure sources with service_type blob"]
    );
    assert_eq!(
        check(SourceType::Azure, &with(&[("service_type", "file-share")])),
        ["Credential share_name is required for azure sources with service_type file-share"]
    );
    assert_eq!(
        check(
            SourceType::Azure,
            &with(&[
                ("service_type", "blob"),
                ("container_name", "c01"),
                ("share_name", "s01")
            ])
        ),
        ["Credential share_name is not supported for azure sources with service_type blob"]
    );
    assert_eq!(
        check(
            SourceType::Azure,
            &with(&[("service_type", "queue"), ("container_name", "c01")])
        ),
        ["Credential service_type is not included in the list"]
    );
    assert_eq!(
        check(
            SourceType::Azure,
            &with(&[("service_type", "blob"), ("container_name", "Bad--Name")])
        ),
        ["Credential container_name is invalid"]
    );
    assert_eq!(
        check(
            SourceType::Azure,
            &[
                ("account_name", "UPPER"),
                ("service_type", "blob"),
                ("container_name", "c01"),
                ("sas_token", "s")
            ]
        ),
        ["Credential account_name is invalid"]
    );
}

#[test]
fn generic_value_rules() {
    assert_eq!(s3_with("bucket", ""), ["Credential bucket can't be blank"]);
    assert_eq!(
        s3_with("secret_access_key", &"x".repeat(1025)),
        ["Credential secret_access_key is too long (maximum is 1024 characters)"]
    );
    assert!(s3_with("secret_access_key", &"x".repeat(1024)).is_empty());
    assert_eq!(
        s3_with("access_key_id", "AKIA\u{0}X"),
        ["Credential access_key_id must not contain control characters"]
    );
    assert_eq!(
        s3_with("prefix", "a\nb"),
        ["Credential prefix must not contain control characters"]
    );
    assert_eq!(
        s3_with("access_key_id", "AKIA X"),
        ["Credential access_key_id is invalid"]
    );
    assert!(s3_with("prefix", "images/2026/").is_empty());
}

/// Each provider's rules are tested in `buckets.rs`; here, that they answer for `bucket`.
#[test]
fn a_bucket_is_checked_by_its_providers_rule() {
    assert_eq!(
        s3_with("bucket", "xn--images"),
        ["Credential bucket is invalid"]
    );
    let gcs = |bucket: &'static str| {
        check(
            SourceType::Gcs,
            &[("access_key", "k"), ("secret", "s"), ("bucket", bucket)],
        )
    };
    assert!(gcs("with_underscore").is_empty());
    assert_eq!(gcs("g00gle-images"), ["Credential bucket is invalid"]);
}

#[test]
fn regions_per_provider() {
    for good in [
        "us-east-1",
        "ap-southeast-2",
        "us-gov-west-1",
        "eu-central-2",
    ] {
        assert!(s3_with("region", good).is_empty(), "{good}");
    }
    for bad in ["us-east", "US-EAST-1", "useast1", "us-east-123", "nyc3"] {
        assert_eq!(
            s3_with("region", bad),
            ["Credential region is invalid"],
            "{bad}"
        );
    }
    let dos = |region: &'static str| {
        check(
            SourceType::Dos,
            &[
                ("access_key", "k"),
                ("secret", "s"),
                ("bucket", "space"),
                ("region", region),
            ],
        )
    };
    assert!(dos("ams3").is_empty());
    assert_eq!(dos("us-east-1"), ["Credential region is invalid"]);
    let r2 = |id: &'static str| {
        check(
            SourceType::R2,
            &[
                ("access_key", "k"),
                ("secret", "s"),
                ("bucket", "bkt"),
                ("account_id", id),
            ],
        )
    };
    assert_eq!(r2("not-hex"), ["Credential account_id is invalid"]);
}

#[test]
fn url_problems_are_named_after_the_key() {
    let url = |u: &str| check(SourceType::Url, &[("url", u)]);
    assert!(url("https://images.example.com/base/").is_empty());
    assert_eq!(
        url("http://10.0.0.1/"),
        ["Credential url must be a public http(s) URL"]
    );
    assert_eq!(
        url("http://example.com\\@169.254.169.254/"),
        ["Credential url must not contain a backslash"]
    );
    assert_eq!(
        url("https://user:pass@example.com/"),
        ["Credential url must not contain a user name or password"]
    );
    assert_eq!(
        url("https://Example.com/"),
        ["Credential url must be written in canonical form: https://example.com/"]
    );
    assert_eq!(
        url(" https://example.com/"),
        ["Credential url must not start or end with white space"]
    );
}

#[test]
fn akamai_endpoint_is_checked_like_a_url() {
    let errors = check(
        SourceType::Akamai,
        &[
            ("access_key", "k"),
            ("secret", "s"),
            ("bucket", "123"),
            ("endpoint", "http://10.1.2.3"),
        ],
    );
    assert_eq!(errors, ["Credential endpoint must be a public http(s) URL"]);
}

#[test]
fn secrets_are_redacted_in_debug_and_public_output() {
    let value = CredentialValue::new("secret", "hunter2".into());
    assert_eq!(value.public(), "****");
    assert!(!format!("{value:?}").contains("hunter2"));
    assert_eq!(value.clear(), Some("hunter2"));
    assert_eq!(CredentialValue::new("bucket", "b".into()).public(), "b");
}

#[test]
fn long_or_odd_key_names_are_shortened_in_messages() {
    let long = "k".repeat(100);
    let errors = s3_with(&long, "v");
    assert!(errors[0].len() < 120, "{errors:?}");
    assert_eq!(display_key("a\u{1}b"), "a?b");
}

/// docs/SPEC.md §23: a web folder's origin login, both keys or neither, no `:` in either;
/// its request keys exactly 32 Latin-1 characters; all but the user id secret.
#[test]
fn a_web_folder_may_authenticate_to_its_origin() {
    let url = ("url", "https://images.example.com/");
    assert!(check(SourceType::Url, &[url]).is_empty());
    assert!(
        check(
            SourceType::Url,
            &[url, ("username", "cdn"), ("password", "pw-0123")]
        )
        .is_empty()
    );
    assert_eq!(
        check(SourceType::Url, &[url, ("username", "cdn")]),
        ["Credential password is required with username"]
    );
    assert_eq!(
        check(SourceType::Url, &[url, ("password", "pw-0123")]),
        ["Credential username is required with password"]
    );
    assert_eq!(
        check(
            SourceType::Url,
            &[url, ("username", "c:dn"), ("password", "p:w")]
        ),
        [
            "Credential username is invalid",
            "Credential password is invalid"
        ]
    );
    let latin1 = "é".repeat(32);
    let euro = "€".repeat(32);
    for (value, ok) in [
        ("k".repeat(32), true),
        (latin1, true),
        ("k".repeat(31), false),
        ("k".repeat(33), false),
        (euro, false),
    ] {
        for key in ["request_handshake", "request_signing_key"] {
            assert_eq!(
                check(SourceType::Url, &[url, (key, value.as_str())]).is_empty(),
                ok,
                "{key} {value}"
            );
        }
    }
    for key in ["password", "request_handshake", "request_signing_key"] {
        assert_eq!(
            CredentialValue::new(key, "x".into()).public(),
            SECRET_PLACEHOLDER
        );
    }
    assert_eq!(
        CredentialValue::new("username", "cdn".into()).public(),
        "cdn"
    );
    // The other types take none of them.
    assert_eq!(
        check(SourceType::S3, &[("username", "cdn")])
            .iter()
            .filter(|m| m.contains("username is not supported"))
            .count(),
        1
    );
}
