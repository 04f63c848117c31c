//! The per-account verification rate counter (docs/SPEC.md §14): `ACCOUNT#<account>` /
//! `VERIFY#<minute>`, one conditional `UpdateItem` per verification, gone by TTL an hour later.
//! A fixed window per wall-clock minute: at most [`MAX_VERIFICATIONS_PER_MINUTE`] in each.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::domain::{AccountId, Timestamp};

use super::items::{account_pk, key};
use super::table::TTL_ATTRIBUTE;
use super::{Store, StoreError};

pub const MAX_VERIFICATIONS_PER_MINUTE: u32 = 10;
/// How long a window's counter outlives its minute before TTL removes it.
const COUNTER_TTL_SECONDS: i64 = 3600;

/// Whether a verification may run now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateDecision {
    Allowed,
    /// The account's window is full: the seconds until the next one opens (1..=60).
    Limited {
        retry_after_seconds: u32,
    },
}

fn window_sk(window_start: i64) -> String {
    format!("VERIFY#{window_start}")
}

impl Store {
    /// Counts one verification for `account` in the current minute, unless the minute is full.
    pub async fn count_verification(
        &self,
        account: &AccountId,
    ) -> Result<RateDecision, StoreError> {
        let now = Timestamp::now().unix_seconds();
        let window_start = now - now.rem_euclid(60);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(account), window_sk(window_start))))
            .update_expression("ADD #count :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(#count) OR #count < :max")
            .expression_attribute_names("#count", "verifications")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .expression_attribute_values(
                ":max",
                AttributeValue::N(MAX_VERIFICATIONS_PER_MINUTE.to_string()),
            )
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N((window_start + COUNTER_TTL_SECONDS).to_string()),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(RateDecision::Allowed),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                let left = 60 - (Timestamp::now().unix_seconds() - window_start);
                Ok(RateDecision::Limited {
                    retry_after_seconds: u32::try_from(left.clamp(1, 60)).unwrap_or(60),
                })
            }
            Err(err) => Err(StoreError::from_sdk(err)),
        }
    }
}
