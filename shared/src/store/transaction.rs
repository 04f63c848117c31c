//! `TransactWriteItems` whose items are named by the role they play, so that a cancellation is
//! read as "the name claim's condition failed", never as "the third item's": adding an item to a
//! transaction cannot make another one's failure read as something else.

use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

use super::{Store, StoreError};

/// The part an item plays in one of the store's transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The source item itself.
    Source,
    /// The global claim on the source's (new) name.
    NameClaim,
    /// The claim a rename or a delete gives up.
    ReleasedClaim,
    /// The record of an idempotent create (docs/SPEC.md §15).
    IdempotencyRecord,
    /// The audit event of the write (docs/SPEC.md §17).
    Event,
    /// The global claim on the host name at this index of the source's
    /// `Delivery::served_names` (its custom domains, then its subdomains: docs/SPEC.md §23, §25):
    /// a cancellation names the one that was taken.
    ServedNameClaim(usize),
    /// A host name's claim a write gives up.
    ReleasedServedName,
    /// An API key's two items (by hash, and in its account's partition: docs/SPEC.md §26).
    ApiKey,
    /// The account's key ledger, whose revision orders concurrent key writes.
    KeyLedger,
}

impl Role {
    /// A stable code for log lines and error messages (never Rust's `Debug`).
    fn code(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::NameClaim => "name_claim",
            Role::ReleasedClaim => "released_name_claim",
            Role::IdempotencyRecord => "idempotency_record",
            Role::Event => "event",
            Role::ServedNameClaim(_) => "served_name_claim",
            Role::ReleasedServedName => "released_served_name_claim",
            Role::ApiKey => "api_key",
            Role::KeyLedger => "key_ledger",
        }
    }
}

/// The roles whose conditions failed, as the codes of [`Role::code`] separated by commas.
pub(crate) fn failed_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.code())
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a transaction ended, when not with an error the store passes on.
pub(crate) enum Commit {
    Committed,
    /// Only conditions failed: the roles of the items whose condition failed.
    ConditionsFailed(Vec<Role>),
    /// Another transaction was writing one of the items at that moment.
    Conflict,
}

#[derive(Default)]
pub(crate) struct Transaction {
    items: Vec<(Role, TransactWriteItem)>,
}

impl Transaction {
    pub fn with(mut self, role: Role, item: TransactWriteItem) -> Self {
        self.items.push((role, item));
        self
    }

    pub async fn send(&self, store: &Store) -> Result<Commit, StoreError> {
        let outcome = store
            .client
            .transact_write_items()
            .set_transact_items(Some(self.items.iter().map(|(_, i)| i.clone()).collect()))
            .send()
            .await;
        match outcome {
            Ok(_) => Ok(Commit::Committed),
            Err(err) => self.cancellation(err),
        }
    }

    /// DynamoDB gives one cancellation reason per item, in the order the items were sent: each
    /// reason is paired with the role of its item here, and read by role from then on.
    fn cancellation<R>(
        &self,
        err: SdkError<TransactWriteItemsError, R>,
    ) -> Result<Commit, StoreError>
    where
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let reasons = match &err {
            SdkError::ServiceError(service) => match service.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    cancelled.cancellation_reasons()
                }
                _ => return Err(StoreError::from_sdk(err)),
            },
            _ => return Err(StoreError::from_sdk(err)),
        };
        if reasons.len() != self.items.len() {
            return Err(StoreError::unexpected(format!(
                "a transaction of {} items was cancelled with {} reasons",
                self.items.len(),
                reasons.len()
            )));
        }
        let codes: Vec<(Role, &str)> = self
            .items
            .iter()
            .zip(reasons)
            .map(|((role, _), reason)| (*role, reason.code().unwrap_or("None")))
            .collect();
        if codes
            .iter()
            .any(|(_, code)| matches!(*code, "ThrottlingError" | "ProvisionedThroughputExceeded"))
        {
            return Err(StoreError::Unavailable(Box::new(err)));
        }
        if !codes.iter().all(|(_, code)| {
            matches!(
                *code,
                "None" | "ConditionalCheckFailed" | "TransactionConflict"
            )
        }) {
            return Err(StoreError::from_sdk(err));
        }
        if codes.iter().any(|(_, code)| *code == "TransactionConflict") {
            return Ok(Commit::Conflict);
        }
        Ok(Commit::ConditionsFailed(
            codes
                .into_iter()
                .filter(|(_, code)| *code == "ConditionalCheckFailed")
                .map(|(role, _)| role)
                .collect(),
        ))
    }
}

/// A short random pause that grows with the attempt, so that racing writers spread out.
pub(crate) async fn backoff(attempt: u32) {
    let cap_ms = u64::from(attempt.min(20)) * 5;
    let [a, b] = crate::domain::random_bytes::<2>();
    let jitter = u64::from(u16::from_le_bytes([a, b])) * cap_ms / u64::from(u16::MAX);
    tokio::time::sleep(Duration::from_millis(jitter)).await;
}
