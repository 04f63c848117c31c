//! The leak scan's reach into the table (docs/SPEC.md §21): no stored item may hold a secret a
//! test sent, in clear or in any encoding the tests can think of, nor a plain digest that would
//! let a table reader check a guess.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// The forms of `secret` a careless store could hold: itself (and in other letter cases),
/// hex, base64 in every alphabet and at every alignment inside a longer base64 text, percent-
/// and JSON-encoded, reversed, and its SHA-256 in hex and base64.
pub fn encodings(secret: &str) -> Vec<String> {
    let bytes = secret.as_bytes();
    let mut forms = vec![
        secret.to_owned(),
        secret.to_lowercase(),
        secret.to_uppercase(),
        hex::encode(bytes),
        hex::encode_upper(bytes),
        secret.chars().rev().collect(),
        serde_json::Value::from(secret)
            .to_string()
            .trim_matches('"')
            .to_owned(),
        url::form_urlencoded::byte_serialize(bytes).collect(),
    ];
    for engine in [&STANDARD, &URL_SAFE] {
        // Inside a longer base64 text, the secret's bytes start at any of three alignments; the
        // characters that mix in a neighbour's bits are left out.
        for shift in 0..3 {
            let mut shifted = vec![0u8; shift];
            shifted.extend_from_slice(bytes);
            let text = engine.encode(&shifted);
            let start = if shift == 0 { 0 } else { 4 };
            let end = text.len().saturating_sub(4);
            if end > start + 8 {
                forms.push(text[start..end].to_owned());
            }
        }
    }
    let digest = Sha256::digest(bytes);
    forms.push(hex::encode(digest));
    forms.push(STANDARD_NO_PAD.encode(digest));
    forms.push(URL_SAFE_NO_PAD.encode(digest));
    forms.sort();
    forms.dedup();
    forms
}

/// Every item of `table`, each as text: strings as they are, binary values lossily and in
/// base64, numbers, lists and maps recursively.
pub async fn dump_table(client: &Client, table: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap_or_else(|e| panic!("scan {table}: {e:?}"));
        for item in page.items.unwrap_or_default() {
            let mut text = String::new();
            for (name, value) in item {
                text.push_str(&name);
                text.push('=');
                render(&value, &mut text);
                text.push('\n');
            }
            items.push(text);
        }
        match page.last_evaluated_key {
            Some(last) if !last.is_empty() => start = Some(last),
            _ => return items,
        }
    }
}

fn render(value: &AttributeValue, out: &mut String) {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => out.push_str(s),
        AttributeValue::B(b) => {
            out.push_str(&String::from_utf8_lossy(b.as_ref()));
            out.push(' ');
            out.push_str(&STANDARD.encode(b.as_ref()));
        }
        AttributeValue::Ss(list) | AttributeValue::Ns(list) => out.push_str(&list.join(" ")),
        AttributeValue::L(list) => list.iter().for_each(|v| {
            render(v, out);
            out.push(' ');
        }),
        AttributeValue::M(map) => map.iter().for_each(|(k, v)| {
            out.push_str(k);
            out.push(':');
            render(v, out);
            out.push(' ');
        }),
        other => out.push_str(&format!("{other:?}")),
    }
}

/// The first item of `items` holding a form of one of `secrets`, as (secret, form, item).
pub fn find_secret<'a>(
    items: &'a [String],
    secrets: &[String],
) -> Option<(String, String, &'a str)> {
    // One search per form through all the items at once; the item is looked up on a hit only.
    let all = items.join("\n");
    for secret in secrets {
        for form in encodings(secret) {
            if all.contains(&form)
                && let Some(item) = items.iter().find(|item| item.contains(&form))
            {
                return Some((secret.clone(), form, item));
            }
        }
    }
    None
}
