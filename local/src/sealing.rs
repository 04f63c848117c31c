//! The local server's sealing keys (docs/SPEC.md §21) and the `seal-secrets` admin command.

use std::path::Path;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use clap::Args;
use serde::{Deserialize, Serialize};
use shared::domain::health::CheckSchedule;
use shared::domain::{Source, Timestamp};
use shared::sealing::{Keys, KmsKeys, LOCAL_KEY_FILE, LocalKeys, SealError, seal_credentials};
use shared::store::{ClientSettings, SOURCE_ITEM_PREFIX, Store, StoreError};

use crate::dev_key::describe;
use crate::embedded::missing_from_data_dir;

/// Which keys seal storage secrets.
#[derive(Args, Debug, Clone, Default)]
pub struct KeyArgs {
    /// Seal with this KMS-compatible server instead of the key file in the data directory.
    #[arg(long, env = "AWS_ENDPOINT_URL_KMS")]
    pub kms_endpoint: Option<String>,
    /// With --kms-endpoint: the key data keys are drawn from. Default: one made on the server at
    /// first use, its id kept in the data directory.
    #[arg(long, env = "SEALING_KEY_ID", requires = "kms_endpoint")]
    pub kms_key_id: Option<String>,
    /// With --kms-endpoint: the HMAC key of the idempotency fingerprints. Default as above.
    #[arg(long, env = "FINGERPRINT_KEY_ID", requires = "kms_endpoint")]
    pub kms_fingerprint_key_id: Option<String>,
}

/// The file in the data directory that remembers the keys made on a KMS-compatible server.
pub const KMS_KEYS_FILE: &str = "kms-keys.json";

#[derive(Serialize, Deserialize)]
struct KmsKeyIds {
    endpoint: String,
    sealing: String,
    fingerprint: String,
}

impl KeyArgs {
    /// `serve`'s keys: the key file of `data_dir` (made on first use, mode 0600), or the
    /// KMS-compatible server (its keys made on first use, their ids kept in `data_dir`).
    pub async fn keys(&self, data_dir: &Path) -> Result<Keys, String> {
        self.open(data_dir, true).await
    }

    /// An admin command's keys: the ones `serve` made, never new ones (secrets sealed with a key
    /// the server does not have could never be opened again). Refuses, saying where it looked,
    /// when `data_dir` has none and the options name no KMS key.
    pub async fn existing_keys(&self, data_dir: &Path) -> Result<Keys, String> {
        self.open(data_dir, false).await
    }

    async fn open(&self, data_dir: &Path, make: bool) -> Result<Keys, String> {
        let Some(endpoint) = &self.kms_endpoint else {
            if !make {
                return LocalKeys::open(data_dir)?
                    .map(Keys::local)
                    .ok_or_else(|| missing_from_data_dir(data_dir, LOCAL_KEY_FILE));
            }
            std::fs::create_dir_all(data_dir)
                .map_err(|e| format!("cannot create data directory {}: {e}", data_dir.display()))?;
            return LocalKeys::open_or_create(data_dir).map(Keys::local);
        };
        let client = KmsKeys::local_client(endpoint, ClientSettings::default());
        if let (Some(sealing), Some(fingerprint)) = (&self.kms_key_id, &self.kms_fingerprint_key_id)
        {
            return Ok(Keys::kms(KmsKeys::new(
                client,
                sealing.clone(),
                Some(fingerprint.clone()),
            )));
        }
        let path = data_dir.join(KMS_KEYS_FILE);
        let remembered = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str::<KmsKeyIds>(&text).ok())
            .filter(|ids| ids.endpoint == *endpoint);
        let ids = match remembered {
            Some(ids) => ids,
            None if !make => {
                return Err(format!(
                    "{}; or name the server's keys with --kms-key-id and --kms-fingerprint-key-id",
                    missing_from_data_dir(data_dir, KMS_KEYS_FILE)
                ));
            }
            None => {
                let (sealing, fingerprint) = KmsKeys::create_keys(&client)
                    .await
                    .map_err(|e| format!("cannot make keys on {endpoint}: {e}"))?;
                let ids = KmsKeyIds {
                    endpoint: endpoint.clone(),
                    sealing,
                    fingerprint,
                };
                std::fs::create_dir_all(data_dir).map_err(|e| e.to_string())?;
                let text = serde_json::to_string_pretty(&ids).map_err(|e| e.to_string())?;
                std::fs::write(&path, text)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                ids
            }
        };
        Ok(Keys::kms(KmsKeys::new(
            client,
            self.kms_key_id.clone().unwrap_or(ids.sealing),
            Some(
                self.kms_fingerprint_key_id
                    .clone()
                    .unwrap_or(ids.fingerprint),
            ),
        )))
    }
}

/// What `seal-secrets` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SealSummary {
    /// Sources read.
    pub sources: usize,
    /// Sources whose secrets this run sealed.
    pub sealed: usize,
    /// Sources a concurrent write changed first; that write sealed them.
    pub changed_meanwhile: usize,
    /// Enabled sources stored before health checks existed, put in the due index by this run,
    /// due at once (docs/SPEC.md §22).
    pub scheduled: usize,
}

/// How many times one source is read and sealed again when concurrent writes keep winning.
const MAX_ATTEMPTS: u32 = 5;

/// Seals every storage secret stored in clear (written before sealing existed), in place: one
/// Scan page at a time, each source written conditionally on the version read, so a concurrent
/// write is never overwritten. Idempotent (sealed sources are skipped; a run stopped midway is
/// resumed by running it again). `progress` hears of every page.
pub async fn seal_secrets(
    store: &Store,
    keys: &Keys,
    mut progress: impl FnMut(&SealSummary),
) -> Result<SealSummary, String> {
    let mut summary = SealSummary::default();
    let mut start = None;
    loop {
        // The one Scan in the code: an admin command, never a request path (docs/SPEC.md §9).
        let page = store
            .client()
            .scan()
            .table_name(store.table_name())
            .filter_expression("begins_with(SK, :source)")
            .expression_attribute_values(
                ":source",
                AttributeValue::S(SOURCE_ITEM_PREFIX.to_owned()),
            )
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot scan {}: {}",
                    store.table_name(),
                    DisplayErrorContext(&e)
                )
            })?;
        for item in page.items.unwrap_or_default() {
            let source = store.source_from_item(item).map_err(describe)?;
            summary.sources += 1;
            match seal_one(store, keys, source).await? {
                Sealed::Now { sealed, scheduled } => {
                    summary.sealed += usize::from(sealed);
                    summary.scheduled += usize::from(scheduled);
                }
                Sealed::ByAnotherWrite => summary.changed_meanwhile += 1,
                Sealed::Already => {}
            }
        }
        progress(&summary);
        match page.last_evaluated_key {
            Some(next) if !next.is_empty() => start = Some(next),
            _ => return Ok(summary),
        }
    }
}

enum Sealed {
    Already,
    /// Written: its secrets sealed, and/or put in the due index.
    Now {
        sealed: bool,
        scheduled: bool,
    },
    ByAnotherWrite,
}

/// Brings one source stored before Part III up to date: its clear secrets sealed
/// (docs/SPEC.md §21) and, enabled without a schedule, due for a health check at once (§22), in
/// one conditional write that leaves version, `updated_at` and the events alone.
async fn seal_one(store: &Store, keys: &Keys, mut source: Source) -> Result<Sealed, String> {
    for attempt in 0..MAX_ATTEMPTS {
        let needs_sealing = source.fields.credentials.clear_secrets().next().is_some();
        let needs_schedule = source.fields.enabled && source.schedule.is_none();
        if !needs_sealing && !needs_schedule {
            return Ok(if attempt == 0 {
                Sealed::Already
            } else {
                Sealed::ByAnotherWrite
            });
        }
        let mut upgraded = source.clone();
        if needs_sealing {
            let values = seal_credentials(
                Some(keys),
                &source.account_id,
                &source.id,
                &source.fields.credentials,
            )
            .await
            .map_err(|e| format!("source {}: {e}", source.id))?;
            upgraded.fields.credentials = values
                .apply(&source.fields.credentials)
                .ok_or_else(|| format!("source {}: {}", source.id, SealError::Unsealed))?;
        }
        if needs_schedule {
            upgraded.schedule = Some(CheckSchedule::now(Timestamp::now()));
        }
        if store.replace_sealed(&upgraded).await.map_err(describe)? {
            return Ok(Sealed::Now {
                sealed: needs_sealing,
                scheduled: needs_schedule,
            });
        }
        source = match store.get_source(&source.account_id, &source.id).await {
            Ok(current) => current,
            // Deleted meanwhile: nothing left to seal.
            Err(StoreError::NotFound) => return Ok(Sealed::ByAnotherWrite),
            Err(err) => return Err(describe(err)),
        };
    }
    Err(format!(
        "source {}: concurrent writes kept changing it; run seal-secrets again",
        source.id
    ))
}
