//! The `dev` account's API key, created on the first `serve` and kept in `<data-dir>/dev-api-key`.

use std::io::Write;
use std::path::Path;

use shared::domain::{AccountId, Actor, ApiKey, KeyScope, Timestamp};
use shared::store::{KeyGrant, Store, StoreError};

pub const DEV_ACCOUNT: &str = "dev";
pub const DEV_KEY_FILE: &str = "dev-api-key";

/// The key in the data dir if the table still honours it, else a new one (written to the file).
pub async fn ensure_dev_key(store: &Store, data_dir: &Path) -> Result<ApiKey, String> {
    let path = data_dir.join(DEV_KEY_FILE);
    let account = AccountId::parse(DEV_ACCOUNT)?;
    if let Some(existing) = std::fs::read_to_string(&path)
        .ok()
        .as_deref()
        .and_then(ApiKey::from_header)
    {
        let record = store
            .find_api_key(&existing.hash())
            .await
            .map_err(describe)?;
        if record.is_some_and(|r| r.works_at(Timestamp::now()) && r.account_id == account) {
            return Ok(existing);
        }
    }
    // An admin key (docs/SPEC.md §26): the dev account's only key manages the others.
    let key = ApiKey::generate();
    store
        .create_api_key(
            &account,
            &key.hash(),
            &KeyGrant {
                label: "dev (created by image-sources serve)".to_owned(),
                scope: KeyScope::Admin,
                valid_until: None,
            },
            &Actor::operator(),
        )
        .await
        .map_err(describe)?;
    write_private(&path, key.reveal())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(key)
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")
}

/// An error and its causes on one line, for the terminal.
pub fn describe(err: StoreError) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
