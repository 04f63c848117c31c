//! One page of an account's sources (docs/SPEC.md §11): keyset paging over the table's sort key (the
//! created-at orders) or the name index (the name orders), strongly consistent.
//!
//! Round trips per page: 1 Query without filters; with a type, `enabled` or `health` filter (or `q` in a
//! created-at order, where it is not the key) at most 2: the first reads `limit + 1` sources, and
//! only if too few of them match, a second reads on up to DynamoDB's 1 MB. So a page answers empty
//! with a next position only after reading 1 MB.
//!
//! A page resumes with a key condition that starts at the cursor's position (`SK BETWEEN`,
//! `name_lc >=`, ...), inclusive, dropping the one source at the position itself; it never sends
//! `ExclusiveStartKey`. Both are ranges of the same index to DynamoDB, but DynamoDB Local walks
//! the partition up to an `ExclusiveStartKey`: a deep page of an account of 10,000 sources took
//! 1.6x its first page there, and the same with the range (docs/BENCHMARKS.md).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::domain::health::HealthStatus;
use crate::domain::{AccountId, ListFilter, Position, SortOrder, Source, SourceId};

use super::items::{Item, SOURCE_SK_PREFIX, SourceItem, account_pk, from_item, source_sk};
use super::table::{NAME_INDEX, NAME_INDEX_KEY, PARTITION_KEY, SORT_KEY};
use super::{Store, StoreError};

/// Queries per page, at most, when a filter is set (1 without).
pub const MAX_QUERIES_PER_FILTERED_PAGE: usize = 2;

/// What one page asks for.
pub struct PageRequest<'a> {
    pub sort: SortOrder,
    pub filter: &'a ListFilter,
    /// 1..=1000.
    pub limit: usize,
    /// Resume just after this position; the first page without.
    pub after: Option<Position>,
}

/// A page: its sources in order, and where the next page starts when more may follow.
pub struct SourcePage {
    pub sources: Vec<Source>,
    pub next: Option<Position>,
}

/// The largest id (24 lowercase hex characters), and the smallest.
const LAST_ID: &str = "ffffffffffffffffffffffff";
const FIRST_ID: &str = "000000000000000000000000";
/// The largest character of a lowercased name: every name starting with a prefix is at most the
/// prefix padded with it to the longest name.
const LAST_NAME_CHAR: char = 'z';

/// The Query a page sends, before its start and limit.
struct PageQuery {
    index: Option<&'static str>,
    key_condition: String,
    filter_expression: Option<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl PageQuery {
    fn new(
        account: &AccountId,
        sort: SortOrder,
        filter: &ListFilter,
        after: Option<&Position>,
    ) -> Result<Self, StoreError> {
        let mut query = PageQuery {
            index: None,
            key_condition: "#pk = :pk".to_owned(),
            filter_expression: None,
            names: HashMap::from([("#pk".to_owned(), PARTITION_KEY.to_owned())]),
            values: HashMap::from([(":pk".to_owned(), AttributeValue::S(account_pk(account)))]),
        };
        let mut conditions = Vec::new();
        let prefix = filter.name_prefix.as_ref().map(|p| p.as_str());
        if sort.by_name() {
            query.index = Some(NAME_INDEX);
            // On the index the prefix is part of the key: only matching sources are read.
            let condition = match (after, prefix) {
                (None, None) => None,
                (None, Some(q)) => Some(("begins_with(#name, :q)", vec![(":q", q.to_owned())])),
                (Some(after), q) => {
                    let Position::Name { name_key, .. } = after else {
                        return Err(StoreError::unexpected(
                            "a created-at position for a listing by name",
                        ));
                    };
                    let at = name_key.clone();
                    match (sort.ascending(), q) {
                        (true, None) => Some(("#name >= :at", vec![(":at", at)])),
                        (false, None) => Some(("#name <= :at", vec![(":at", at)])),
                        (true, Some(q)) => Some((
                            "#name BETWEEN :at AND :last",
                            vec![(":at", at), (":last", last_name_with(q))],
                        )),
                        (false, Some(q)) => Some((
                            "#name BETWEEN :q AND :at",
                            vec![(":q", q.to_owned()), (":at", at)],
                        )),
                    }
                }
            };
            if let Some((condition, values)) = condition {
                query.names.insert("#name".into(), NAME_INDEX_KEY.into());
                query.key_condition = format!("{} AND {condition}", query.key_condition);
                for (name, value) in values {
                    query.values.insert(name.into(), AttributeValue::S(value));
                }
            }
        } else {
            query.names.insert("#sk".into(), SORT_KEY.into());
            let (condition, values) = match after {
                None => (
                    "begins_with(#sk, :sk)",
                    vec![(":sk", SOURCE_SK_PREFIX.to_owned())],
                ),
                Some(after) if sort.ascending() => (
                    "#sk BETWEEN :from AND :to",
                    vec![
                        (":from", source_sk(after.id())),
                        (":to", format!("{SOURCE_SK_PREFIX}{LAST_ID}")),
                    ],
                ),
                Some(after) => (
                    "#sk BETWEEN :from AND :to",
                    vec![
                        (":from", format!("{SOURCE_SK_PREFIX}{FIRST_ID}")),
                        (":to", source_sk(after.id())),
                    ],
                ),
            };
            query.key_condition = format!("{} AND {condition}", query.key_condition);
            for (name, value) in values {
                query.values.insert(name.into(), AttributeValue::S(value));
            }
            if let Some(q) = prefix {
                query.names.insert("#name".into(), NAME_INDEX_KEY.into());
                query
                    .values
                    .insert(":q".into(), AttributeValue::S(q.to_owned()));
                conditions.push("begins_with(#name, :q)".to_owned());
            }
        }
        if !filter.source_types.is_empty() {
            query.names.insert("#type".into(), "source_type".into());
            let placeholders: Vec<String> = filter
                .source_types
                .iter()
                .enumerate()
                .map(|(n, source_type)| {
                    let placeholder = format!(":type{n}");
                    query.values.insert(
                        placeholder.clone(),
                        AttributeValue::S(source_type.as_str().to_owned()),
                    );
                    placeholder
                })
                .collect();
            conditions.push(format!("#type IN ({})", placeholders.join(", ")));
        }
        if let Some(enabled) = filter.enabled {
            query.names.insert("#enabled".into(), "enabled".into());
            query
                .values
                .insert(":enabled".into(), AttributeValue::Bool(enabled));
            conditions.push("#enabled = :enabled".to_owned());
        }
        if !filter.health.is_empty() {
            // `unknown` is an item without a recorded status (docs/SPEC.md §22).
            query.names.insert("#health".into(), "health_status".into());
            let mut alternatives = Vec::new();
            let mut placeholders = Vec::new();
            for (n, status) in filter.health.iter().enumerate() {
                if *status == HealthStatus::Unknown {
                    alternatives.push("attribute_not_exists(#health)".to_owned());
                } else {
                    let placeholder = format!(":health{n}");
                    query.values.insert(
                        placeholder.clone(),
                        AttributeValue::S(status.as_str().to_owned()),
                    );
                    placeholders.push(placeholder);
                }
            }
            if !placeholders.is_empty() {
                alternatives.push(format!("#health IN ({})", placeholders.join(", ")));
            }
            conditions.push(format!("({})", alternatives.join(" OR ")));
        }
        if !conditions.is_empty() {
            query.filter_expression = Some(conditions.join(" AND "));
        }
        Ok(query)
    }
}

impl Store {
    /// One page of the account's sources in `request.sort`'s order.
    pub async fn list_page(
        &self,
        account: &AccountId,
        request: &PageRequest<'_>,
    ) -> Result<SourcePage, StoreError> {
        let filtered = PageQuery::new(account, request.sort, request.filter, None)?
            .filter_expression
            .is_some();
        let max_queries = if filtered {
            MAX_QUERIES_PER_FILTERED_PAGE
        } else {
            1
        };
        let mut after = request.after.clone();
        let mut items = Vec::new();
        let mut last_evaluated = None;
        for n in 0..max_queries {
            let query = PageQuery::new(account, request.sort, request.filter, after.as_ref())?;
            // `limit + 1`: one more than the page tells whether another page follows, so the last
            // page has no `Link`; one more again for the source at the start position, which the
            // inclusive range reads and the page drops. The last Query of a filtered page reads
            // on up to 1 MB.
            let limit = (n + 1 < max_queries || max_queries == 1)
                .then_some(request.limit + 1 + usize::from(after.is_some()));
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(query.index.map(str::to_owned))
                .key_condition_expression(&query.key_condition)
                .set_filter_expression(query.filter_expression.clone())
                .set_expression_attribute_names(Some(query.names.clone()))
                .set_expression_attribute_values(Some(query.values.clone()))
                .scan_index_forward(request.sort.ascending())
                .consistent_read(true)
                .set_limit(limit.and_then(|l| i32::try_from(l).ok()))
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            let at = after.as_ref().map(|p| source_sk(p.id()));
            items.extend(output.items.unwrap_or_default().into_iter().filter(|item| {
                // The start position itself was on the previous page (or not matched).
                at.as_deref().is_none_or(
                    |at| !matches!(item.get(SORT_KEY), Some(AttributeValue::S(sk)) if sk == at),
                )
            }));
            last_evaluated = output.last_evaluated_key.filter(|key| !key.is_empty());
            match &last_evaluated {
                Some(key) if items.len() <= request.limit => {
                    after = Some(position_of(key, request.sort)?);
                }
                _ => break,
            }
        }
        let more = last_evaluated.is_some();
        let mut sources = items
            .into_iter()
            .map(|item| from_item::<SourceItem>(item)?.into_source())
            .collect::<Result<Vec<_>, _>>()?;
        let next = if sources.len() > request.limit {
            sources.truncate(request.limit);
            sources
                .last()
                .map(|last| Position::after(last, request.sort))
        } else if more {
            // Where DynamoDB stopped reading, which may be after the last source that matched.
            after
        } else {
            None
        };
        Ok(SourcePage { sources, next })
    }
}

/// The largest lowercased name that starts with `prefix`.
fn last_name_with(prefix: &str) -> String {
    let mut last = prefix.to_owned();
    let longest = usize::try_from(crate::domain::MAX_NAME_CHARS).unwrap_or(64);
    while last.len() < longest {
        last.push(LAST_NAME_CHAR);
    }
    last
}

/// The position of a `LastEvaluatedKey` DynamoDB gave back.
fn position_of(key: &Item, sort: SortOrder) -> Result<Position, StoreError> {
    let text = |name: &str| match key.get(name) {
        Some(AttributeValue::S(value)) => Some(value.as_str()),
        _ => None,
    };
    let corrupt = || StoreError::unexpected("a Query's LastEvaluatedKey is not a source's key");
    let id = text(SORT_KEY)
        .and_then(|sk| sk.strip_prefix(SOURCE_SK_PREFIX))
        .and_then(SourceId::parse)
        .ok_or_else(corrupt)?;
    if !sort.by_name() {
        return Ok(Position::Id(id));
    }
    let name_key = text(NAME_INDEX_KEY).ok_or_else(corrupt)?.to_owned();
    Ok(Position::Name { name_key, id })
}
