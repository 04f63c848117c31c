//! The local default is durable: `image-sources serve` killed with SIGKILL in the middle of a
//! stream of creates keeps, after a restart, every create it acknowledged, and nothing half-written.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use shared::store::{ClientSettings, local_client};

use crate::kit::Serving;

fn start(data_dir: &Path) -> Serving {
    // Its sources name storage off this machine: no sweep may try to reach them.
    Serving::start(data_dir, &["--no-health-checks"], &[])
}

fn body(name: &str) -> String {
    serde_json::json!({"source": {"source": name, "source_type": "url",
        "credential_attributes": {"url": "https://images.example.com/"}}})
    .to_string()
}

#[tokio::test]
async fn sigkill_mid_stream_loses_no_acknowledged_create() {
    let data_dir = std::env::temp_dir().join(format!(
        "image-sources-durability-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let server = start(&data_dir);
    let key = std::fs::read_to_string(data_dir.join("dev-api-key"))
        .unwrap()
        .trim()
        .to_owned();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    // Four writers stream creates; the server is killed while they are in flight.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let (http, key, api, stop) =
                (http.clone(), key.clone(), server.api.clone(), stop.clone());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let name = format!("w{writer}-{i}");
                    let sent = http
                        .post(format!("{api}/v1/sources"))
                        .header("imageboss-api-key", &key)
                        .body(body(&name))
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status() == 201 => acknowledged.push(name),
                        Ok(response) => panic!("{name}: {}", response.status()),
                        Err(_) => break, // the server is gone
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill(); // SIGKILL
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(
        acknowledged.len() >= 20,
        "only {} creates before the kill",
        acknowledged.len()
    );

    let restarted = start(&data_dir);
    // Every page, following `Link` (docs/SPEC.md §11).
    let mut stored = std::collections::BTreeSet::new();
    let mut next = Some("/v1/sources".to_owned());
    while let Some(path) = next.take() {
        let response = http
            .get(format!("{}{path}", restarted.api))
            .header("imageboss-api-key", &key)
            .send()
            .await
            .unwrap();
        next = response
            .headers()
            .get("link")
            .and_then(|link| link.to_str().ok())
            .and_then(|link| link.strip_prefix('<'))
            .and_then(|link| link.split_once('>'))
            .map(|(target, _)| target.to_owned());
        let listed: serde_json::Value =
            serde_json::from_str(&response.text().await.unwrap()).unwrap();
        for source in listed.as_array().unwrap() {
            assert!(
                stored.insert(source["source"].as_str().unwrap().to_owned()),
                "listed twice: {source}"
            );
        }
    }
    for name in &acknowledged {
        assert!(stored.contains(name), "acknowledged create {name} was lost");
    }

    // Nothing half-written: the name claims are exactly the stored sources' names.
    let client = local_client(&restarted.dynamodb, ClientSettings::default());
    // Every page: a run that got many creates in fills more than one 1 MB Scan page.
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name("image-sources")
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        items.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(last) if !last.is_empty() => start = Some(last),
            _ => break,
        }
    }
    let claims: std::collections::BTreeSet<String> = items
        .iter()
        .filter_map(|item| {
            item["PK"]
                .as_s()
                .ok()?
                .strip_prefix("NAME#")
                .map(str::to_owned)
        })
        .collect();
    let lowered: std::collections::BTreeSet<String> =
        stored.iter().map(|s| s.to_lowercase()).collect();
    assert_eq!(claims, lowered);
    println!(
        "{} creates acknowledged before SIGKILL, {} stored after restart (the rest were in flight)",
        acknowledged.len(),
        stored.len()
    );
    drop(restarted);
    let _ = std::fs::remove_dir_all(&data_dir);
}
