//! `serve`'s CDN flags (docs/SPEC.md §25): they become every source's `urls`, `serve` says where
//! they point, and a malformed one stops it before it listens.

use crate::kit::{Serving, cli, free_port};

#[tokio::test]
async fn the_cdn_flags_become_every_sources_urls() {
    let data_dir = std::env::temp_dir().join(format!("image-sources-urls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let serving = Serving::start(
        &data_dir,
        &[
            "--no-health-checks",
            "--cdn-base-url",
            "https://img.example.com",
            "--cdn-subdomain-zone",
            "imgcdn.example.com",
        ],
        // Set by the environment, as the deployed functions' is.
        &[("CDN_CNAME_TARGET", "cdn.example.net")],
    );
    let key = std::fs::read_to_string(data_dir.join("dev-api-key")).expect("the dev key");
    let created = reqwest::Client::new()
        .post(format!("{}/v1/sources", serving.api))
        .header("imageboss-api-key", key.trim())
        .header("content-type", "application/json")
        .body(
            serde_json::json!({"source": {"source": "my-images", "source_type": "url",
                "credential_attributes": {"url": "https://example.com/"},
                "delivery": {"subdomains": ["my-images"], "custom_domains": ["images.acme.com"]}}})
            .to_string(),
        )
        .send()
        .await
        .expect("an answer");
    assert_eq!(created.status(), 201);
    let created: serde_json::Value =
        serde_json::from_str(&created.text().await.expect("a body")).expect("JSON");
    let banner = serving.banner.join("\n");
    drop(serving);
    let _ = std::fs::remove_dir_all(&data_dir);
    assert_eq!(
        created["urls"],
        serde_json::json!({"path": "https://img.example.com/my-images/",
            "subdomains": ["https://my-images.imgcdn.example.com/"],
            "custom_domains": ["https://images.acme.com/"],
            "cname_target": "cdn.example.net"})
    );
    for line in [
        "Sources' urls: path-style under https://img.example.com/<source name>/",
        "Sources' urls: subdomains as https://<label>.imgcdn.example.com/",
        "Sources' urls: custom domains point (CNAME) to cdn.example.net",
    ] {
        assert!(banner.contains(line), "{banner}");
    }
}

#[test]
fn a_malformed_cdn_flag_stops_serve_before_it_makes_anything() {
    let data_dir =
        std::env::temp_dir().join(format!("image-sources-bad-urls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    for (flag, value, message) in [
        (
            "--cdn-base-url",
            "img.example.com",
            "the CDN base URL must be",
        ),
        (
            "--cdn-subdomain-zone",
            "localhost",
            "the CDN subdomain zone must be",
        ),
        (
            "--cdn-cname-target",
            "1.2.3.4",
            "the CDN CNAME target must be",
        ),
    ] {
        let output = cli()
            .args(["serve", "--port", &free_port().to_string(), flag, value])
            .arg("--data-dir")
            .arg(&data_dir)
            .output()
            .expect("image-sources runs");
        assert_eq!(output.status.code(), Some(1), "{flag}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{flag}: {stderr}");
        assert!(!data_dir.exists(), "{flag}: nothing made");
    }
}
