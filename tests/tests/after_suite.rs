//! Run by `.ci/run` after the whole suite ran against DynamoDB Local (docs/SPEC.md §21): every
//! table the suite left there, dumped as a backup or an export would show it, holds none of the
//! storage secrets the suite sent, in any form `table_scan::encodings` knows. `.ci/run` runs it
//! with `cargo test --workspace --test integration after_suite:: -- --ignored`: the workspace's
//! features, so nothing is compiled again.

use aws_sdk_dynamodb::Client;
use integration_tests::table_scan::{dump_table, find_secret};
use integration_tests::{LEAK_SCAN_SECRETS_VAR, dynamodb_endpoint};
use shared::store::{ClientSettings, local_client};

#[tokio::test]
#[ignore = "run by .ci/run after the suite, on the DynamoDB Local the suite used"]
async fn no_table_the_suite_left_holds_a_secret() {
    let endpoint = dynamodb_endpoint().expect("the DynamoDB the suite ran on");
    let path = std::env::var(LEAK_SCAN_SECRETS_VAR).expect("the suite's secrets file");
    let secrets: Vec<String> = std::fs::read_to_string(&path)
        .expect("the suite's secrets")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON string"))
        .collect();
    // A full page of a Scan takes DynamoDB Local seconds when several run at once: the API's
    // 2.5 s operation timeout is not the point here.
    let settings = ClientSettings {
        attempt_timeout: std::time::Duration::from_secs(60),
        operation_timeout: std::time::Duration::from_secs(120),
        ..ClientSettings::default()
    };
    let client: Client = local_client(&endpoint, settings);
    let mut tables = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .list_tables()
            .set_exclusive_start_table_name(start)
            .send()
            .await
            .expect("list tables");
        tables.extend(page.table_names.unwrap_or_default());
        match page.last_evaluated_table_name {
            Some(last) => start = Some(last),
            None => break,
        }
    }
    // Four tables at a time: the suite leaves a hundred and more, and DynamoDB Local answers
    // Scans one after another slowly.
    let mut items = 0;
    for batch in tables.chunks(4) {
        let mut dumps = tokio::task::JoinSet::new();
        for table in batch {
            let (client, table) = (client.clone(), table.clone());
            dumps.spawn(async move { (dump_table(&client, &table).await, table) });
        }
        while let Some(done) = dumps.join_next().await {
            let (dump, table) = done.expect("a table's dump");
            items += dump.len();
            if let Some((secret, form, item)) = find_secret(&dump, &secrets) {
                panic!("table {table}: an item holds the secret {secret:?} as {form:?}: {item}");
            }
        }
    }
    println!(
        "{} tables, {items} items, {} storage secrets in every form: none found",
        tables.len(),
        secrets.len()
    );
    // A scan of nothing proves nothing.
    assert!(tables.len() > 50 && items > 1_000 && secrets.len() > 20);
}
