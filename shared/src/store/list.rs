//! One page of an account's sources (SPEC §11): keyset paging over the table's sort key (the
//! created-at orders) or the name index (the name orders), strongly consistent.
//!
//! Round trips per page: 1 Query without filters; with a type or `enabled` filter (or `q` in a
//! created-at order, where it is not the key) at most 2: the first reads `limit + 1` sources, and
//! only if too few of them match, a second reads on up to DynamoDB's 1 MB. So a page answers empty
//! with a next position only after reading 1 MB.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

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

/// The Query a page sends, before its start key and limit.
struct PageQuery {
    index: Option<&'static str>,
    key_condition: String,
    filter_expression: Option<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl PageQuery {
    fn new(account: &AccountId, sort: SortOrder, filter: &ListFilter) -> Self {
        let mut query = PageQuery {
            index: None,
            key_condition: "#pk = :pk".to_owned(),
            filter_expression: None,
            names: HashMap::from([("#pk".to_owned(), PARTITION_KEY.to_owned())]),
            values: HashMap::from([(":pk".to_owned(), AttributeValue::S(account_pk(account)))]),
        };
        let mut conditions = Vec::new();
        if sort.by_name() {
            query.index = Some(NAME_INDEX);
        } else {
            query.key_condition.push_str(" AND begins_with(#sk, :sk)");
            query.names.insert("#sk".into(), SORT_KEY.into());
            query
                .values
                .insert(":sk".into(), AttributeValue::S(SOURCE_SK_PREFIX.into()));
        }
        if let Some(prefix) = &filter.name_prefix {
            query.names.insert("#name".into(), NAME_INDEX_KEY.into());
            query
                .values
                .insert(":q".into(), AttributeValue::S(prefix.as_str().to_owned()));
            if sort.by_name() {
                // On the index the prefix is part of the key: only matching sources are read.
                query.key_condition.push_str(" AND begins_with(#name, :q)");
            } else {
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
        if !conditions.is_empty() {
            query.filter_expression = Some(conditions.join(" AND "));
        }
        query
    }
}

impl Store {
    /// One page of the account's sources in `request.sort`'s order.
    pub async fn list_page(
        &self,
        account: &AccountId,
        request: &PageRequest<'_>,
    ) -> Result<SourcePage, StoreError> {
        let query = PageQuery::new(account, request.sort, request.filter);
        let mut start = request
            .after
            .as_ref()
            .map(|position| start_key(account, position));
        let mut items = Vec::new();
        let mut more = false;
        let max_queries = if query.filter_expression.is_some() {
            MAX_QUERIES_PER_FILTERED_PAGE
        } else {
            1
        };
        for n in 0..max_queries {
            // `limit + 1`: one more than the page tells whether another page follows, so the last
            // page has no `Link`. The last Query of a filtered page reads on up to 1 MB.
            let limit = (n + 1 < max_queries || max_queries == 1).then_some(request.limit + 1);
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
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key.filter(|key| !key.is_empty());
            more = start.is_some();
            if !more || items.len() > request.limit {
                break;
            }
        }
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
            start
                .as_ref()
                .map(|key| position_of(key, request.sort))
                .transpose()?
        } else {
            None
        };
        Ok(SourcePage { sources, next })
    }
}

/// The Query's exclusive start key for `position`: the table's key, and on the index its key too.
fn start_key(account: &AccountId, position: &Position) -> Item {
    let mut key = super::items::key(account_pk(account), source_sk(position.id()));
    if let Position::Name { name_key, .. } = position {
        key.insert(
            NAME_INDEX_KEY.to_owned(),
            AttributeValue::S(name_key.clone()),
        );
    }
    key
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
