//! The query parameters of `GET /v1/sources` (docs/SPEC.md §11), read once into types that hold only valid
//! values. Unknown parameters are ignored; a known one with a bad value is a [`ParameterError`].

use std::fmt;

use super::Source;
use super::SourceType;
use super::delivery::{CustomDomain, ServedName, Subdomain};
use super::health::HealthStatus;
use super::source_name::{MAX_NAME_CHARS, SourceName};

/// The query parameters the listing reads, in the order a `Link` repeats them.
pub mod names {
    pub const LIMIT: &str = "limit";
    pub const CURSOR: &str = "cursor";
    pub const SORT: &str = "sort";
    pub const SOURCE_TYPE: &str = "source_type";
    pub const ENABLED: &str = "enabled";
    pub const Q: &str = "q";
    /// The account's source serving this custom domain (docs/SPEC.md §23).
    pub const CUSTOM_DOMAIN: &str = "custom_domain";
    /// Sources whose health is one of these (docs/SPEC.md §22).
    pub const HEALTH: &str = "health";
    /// The account's source with exactly this name, compared case-insensitively (docs/SPEC.md
    /// §25), found through the name's claim.
    pub const NAME: &str = "name";
    /// The account's source served under this subdomain (docs/SPEC.md §25).
    pub const SUBDOMAIN: &str = "subdomain";
    /// Every parameter [`ListQuery::parse`](super::ListQuery::parse) reads: the published
    /// document describes exactly these (a test in each place holds them together).
    pub const ALL: [&str; 10] = [
        LIMIT,
        CURSOR,
        SORT,
        SOURCE_TYPE,
        ENABLED,
        Q,
        CUSTOM_DOMAIN,
        HEALTH,
        NAME,
        SUBDOMAIN,
    ];
}

/// The largest page, and the size of a page when the client names none.
pub const MAX_PAGE_LIMIT: u16 = 1000;
/// Longer cursors are refused before they are decoded (ours are under 120 characters).
pub const MAX_CURSOR_CHARS: usize = 256;

/// Why a listing's query parameters were refused: 400, with the docs/SPEC.md's wording (docs/SPEC.md §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterError {
    /// A known parameter given more than once: which value was meant cannot be told.
    Repeated(&'static str),
    Limit,
    Sort,
    SourceType,
    Enabled,
    Health,
    Q,
    Name,
    /// A cursor that does not decode, was altered, or was made for another listing.
    Cursor,
    /// `custom_domain` that is not a public DNS name (docs/SPEC.md §23).
    CustomDomain,
    /// `subdomain` that is not a DNS label (docs/SPEC.md §25).
    Subdomain,
    /// `verify` on a create or update that is not `true` or `false` (docs/SPEC.md §14).
    Verify,
}

impl fmt::Display for ParameterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParameterError::Repeated(name) => write!(f, "Parameter {name} must be given once"),
            ParameterError::Limit => write!(
                f,
                "Parameter limit must be an integer from 1 to {MAX_PAGE_LIMIT}"
            ),
            ParameterError::Sort => {
                f.write_str("Parameter sort must be one of ")?;
                write_list(f, SortOrder::ALL.iter().map(SortOrder::as_str), ", ")
            }
            ParameterError::SourceType => {
                f.write_str("Parameter source_type must be one or more of ")?;
                write_list(f, SourceType::ALL.iter().map(SourceType::as_str), ", ")?;
                f.write_str(", separated by commas")
            }
            ParameterError::Enabled => f.write_str("Parameter enabled must be true or false"),
            ParameterError::Health => {
                f.write_str("Parameter health must be one or more of ")?;
                write_list(f, HealthStatus::ALL.iter().map(HealthStatus::as_str), ", ")?;
                f.write_str(", separated by commas")
            }
            ParameterError::Name => f.write_str("Parameter name must be a source name"),
            ParameterError::CustomDomain => {
                f.write_str("Parameter custom_domain must be a public DNS name")
            }
            ParameterError::Subdomain => f.write_str("Parameter subdomain must be a DNS label"),
            ParameterError::Q => write!(
                f,
                "Parameter q must be 1 to {MAX_NAME_CHARS} letters, digits, hyphens or underscores"
            ),
            ParameterError::Cursor => f.write_str("Invalid cursor"),
            ParameterError::Verify => f.write_str("Parameter verify must be true or false"),
        }
    }
}

fn write_list<'a>(
    f: &mut fmt::Formatter<'_>,
    items: impl Iterator<Item = &'a str>,
    separator: &str,
) -> fmt::Result {
    for (n, item) in items.enumerate() {
        if n > 0 {
            f.write_str(separator)?;
        }
        f.write_str(item)?;
    }
    Ok(())
}

/// The order of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Oldest first: the table's own order (ids begin with their creation time).
    #[default]
    CreatedAt,
    CreatedAtDescending,
    /// By name, compared case-insensitively: the name index.
    Name,
    NameDescending,
}

impl SortOrder {
    pub const ALL: [SortOrder; 4] = [
        SortOrder::CreatedAt,
        SortOrder::CreatedAtDescending,
        SortOrder::Name,
        SortOrder::NameDescending,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            SortOrder::CreatedAt => "created_at",
            SortOrder::CreatedAtDescending => "-created_at",
            SortOrder::Name => "name",
            SortOrder::NameDescending => "-name",
        }
    }

    fn parse(raw: &str) -> Result<Self, ParameterError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or(ParameterError::Sort)
    }

    pub fn by_name(&self) -> bool {
        matches!(self, SortOrder::Name | SortOrder::NameDescending)
    }

    pub fn ascending(&self) -> bool {
        matches!(self, SortOrder::CreatedAt | SortOrder::Name)
    }
}

/// A name prefix to list by (`q`), lowercased: names compare case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamePrefix(String);

impl NamePrefix {
    /// 1–64 characters of those a name may hold. A prefix no name can start with (`-a`) is valid
    /// and matches nothing.
    fn parse(raw: &str) -> Result<Self, ParameterError> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if raw.is_empty() || raw.len() as u64 > MAX_NAME_CHARS || !raw.chars().all(allowed) {
            return Err(ParameterError::Q);
        }
        Ok(Self(raw.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which sources a listing holds. The default holds every source of the account.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ListFilter {
    /// Empty for every type; else sorted, without repeats.
    pub source_types: Vec<SourceType>,
    pub enabled: Option<bool>,
    pub name_prefix: Option<NamePrefix>,
    /// Empty for any health; else sorted, without repeats (docs/SPEC.md §22).
    pub health: Vec<HealthStatus>,
}

impl ListFilter {
    /// Whether `source` is one this filter holds (for a source found otherwise than by a
    /// filtered Query: the custom-domain lookup).
    pub fn admits(&self, source: &super::Source) -> bool {
        let fields = &source.fields;
        (self.source_types.is_empty() || self.source_types.contains(&fields.source_type))
            && self.enabled.is_none_or(|enabled| enabled == fields.enabled)
            && self
                .name_prefix
                .as_ref()
                .is_none_or(|prefix| fields.name.claim_key().starts_with(prefix.as_str()))
            && (self.health.is_empty() || self.health.contains(&source.health.status))
    }

    /// Whether any filter is set.
    pub fn is_empty(&self) -> bool {
        self.source_types.is_empty()
            && self.enabled.is_none()
            && self.name_prefix.is_none()
            && self.health.is_empty()
    }

    /// One text per distinct filter (what a cursor is bound to).
    pub fn canonical(&self) -> String {
        let types: Vec<&str> = self.source_types.iter().map(SourceType::as_str).collect();
        let mut canonical = format!(
            "source_type={};enabled={};q={}",
            types.join(","),
            self.enabled.map(|e| e.to_string()).unwrap_or_default(),
            self.name_prefix
                .as_ref()
                .map(NamePrefix::as_str)
                .unwrap_or_default()
        );
        // Only when given: cursors made before the filter existed stay valid.
        if !self.health.is_empty() {
            canonical.push_str(";health=");
            canonical.push_str(&health_list(&self.health));
        }
        canonical
    }
}

fn health_list(health: &[HealthStatus]) -> String {
    let names: Vec<&str> = health.iter().map(HealthStatus::as_str).collect();
    names.join(",")
}

fn parse_health(raw: &str) -> Result<Vec<HealthStatus>, ParameterError> {
    let mut health = raw
        .split(',')
        .map(|h| HealthStatus::parse(h).ok_or(ParameterError::Health))
        .collect::<Result<Vec<_>, _>>()?;
    health.sort_by_key(|h| HealthStatus::ALL.iter().position(|all| all == h));
    health.dedup();
    Ok(health)
}

fn parse_source_types(raw: &str) -> Result<Vec<SourceType>, ParameterError> {
    let mut types = raw
        .split(',')
        .map(|t| SourceType::parse(t).map_err(|_| ParameterError::SourceType))
        .collect::<Result<Vec<_>, _>>()?;
    types.sort_by_key(|t| SourceType::ALL.iter().position(|all| all == t));
    types.dedup();
    Ok(types)
}

fn parse_enabled(raw: &str) -> Result<bool, ParameterError> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ParameterError::Enabled),
    }
}

/// A page size from 1 to [`MAX_PAGE_LIMIT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLimit(u16);

impl PageLimit {
    /// Digits only (no sign, no white space): what an integer parameter looks like.
    fn parse(raw: &str) -> Result<Self, ParameterError> {
        if raw.is_empty() || raw.len() > 4 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParameterError::Limit);
        }
        match raw.parse::<u16>() {
            Ok(n) if (1..=MAX_PAGE_LIMIT).contains(&n) => Ok(Self(n)),
            _ => Err(ParameterError::Limit),
        }
    }

    pub fn get(&self) -> usize {
        usize::from(self.0)
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self(MAX_PAGE_LIMIT)
    }
}

/// An event listing's request (docs/SPEC.md §17): `limit` and `cursor` only, as in §11; every other
/// parameter is unknown here and ignored.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct EventQuery {
    pub limit: PageLimit,
    pub limit_given: bool,
    pub cursor: Option<String>,
}

impl EventQuery {
    pub fn parse<'a>(values: impl Fn(&str) -> Vec<&'a str>) -> Result<Self, ParameterError> {
        let (limit, cursor) = page_parameters(&values)?;
        Ok(Self {
            limit_given: limit.is_some(),
            limit: limit.unwrap_or_default(),
            cursor,
        })
    }
}

/// The value of a parameter that may be given once.
fn once<'a>(
    values: &impl Fn(&str) -> Vec<&'a str>,
    name: &'static str,
) -> Result<Option<&'a str>, ParameterError> {
    match values(name).as_slice() {
        [] => Ok(None),
        [value] => Ok(Some(*value)),
        _ => Err(ParameterError::Repeated(name)),
    }
}

/// `limit` and `cursor`, the paging every listing shares.
fn page_parameters<'a>(
    values: &impl Fn(&str) -> Vec<&'a str>,
) -> Result<(Option<PageLimit>, Option<String>), ParameterError> {
    let limit = once(values, names::LIMIT)?
        .map(PageLimit::parse)
        .transpose()?;
    let cursor = match once(values, names::CURSOR)? {
        Some(raw) if raw.is_empty() || raw.len() > MAX_CURSOR_CHARS => {
            return Err(ParameterError::Cursor);
        }
        other => other.map(str::to_owned),
    };
    Ok((limit, cursor))
}

/// A listing request: what the query string asked for, checked.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ListQuery {
    pub limit: PageLimit,
    /// Whether the client named the limit (a `Link` repeats only what was given).
    pub limit_given: bool,
    pub sort: SortOrder,
    pub sort_given: bool,
    pub filter: ListFilter,
    /// The raw cursor: it is checked against the account, which the query string cannot name.
    pub cursor: Option<String>,
    /// Only the account's source serving this domain, if any: a page of at most one source,
    /// found through the domain's claim (docs/SPEC.md §23).
    pub custom_domain: Option<CustomDomain>,
    /// Only the account's source with exactly this name (case-insensitively), if any: a page of
    /// at most one source, found through the name's claim (docs/SPEC.md §25).
    pub name: Option<SourceName>,
    /// Only the account's source served under this subdomain, if any: like `custom_domain`
    /// (docs/SPEC.md §25).
    pub subdomain: Option<Subdomain>,
}

/// A claim that names at most one source of the account (docs/SPEC.md §23, §25).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimLookup<'a> {
    Name(&'a SourceName),
    Served(ServedName),
}

impl ListQuery {
    /// Reads the parameters from `values`, which gives every value of a parameter by name (a
    /// parameter given twice has two). Every known parameter is read; the first problem is the
    /// answer.
    pub fn parse<'a>(values: impl Fn(&str) -> Vec<&'a str>) -> Result<Self, ParameterError> {
        let once = |name: &'static str| once(&values, name);
        let mut query = ListQuery::default();
        let (limit, cursor) = page_parameters(&values)?;
        if let Some(limit) = limit {
            query.limit = limit;
            query.limit_given = true;
        }
        query.cursor = cursor;
        if let Some(raw) = once(names::SORT)? {
            query.sort = SortOrder::parse(raw)?;
            query.sort_given = true;
        }
        if let Some(raw) = once(names::SOURCE_TYPE)? {
            query.filter.source_types = parse_source_types(raw)?;
        }
        if let Some(raw) = once(names::ENABLED)? {
            query.filter.enabled = Some(parse_enabled(raw)?);
        }
        if let Some(raw) = once(names::Q)? {
            query.filter.name_prefix = Some(NamePrefix::parse(raw)?);
        }
        if let Some(raw) = once(names::HEALTH)? {
            query.filter.health = parse_health(raw)?;
        }
        if let Some(raw) = once(names::CUSTOM_DOMAIN)? {
            query.custom_domain =
                Some(CustomDomain::parse(raw).ok_or(ParameterError::CustomDomain)?);
        }
        if let Some(raw) = once(names::NAME)? {
            query.name = Some(SourceName::parse(raw).map_err(|_| ParameterError::Name)?);
        }
        if let Some(raw) = once(names::SUBDOMAIN)? {
            query.subdomain = Some(Subdomain::parse(raw).ok_or(ParameterError::Subdomain)?);
        }
        Ok(query)
    }

    /// The claim to read when the query names one source (`name`, `custom_domain` or
    /// `subdomain`; the first given, in that order): the answer is then a page of 0 or 1.
    pub fn claim_lookup(&self) -> Option<ClaimLookup<'_>> {
        if let Some(name) = &self.name {
            return Some(ClaimLookup::Name(name));
        }
        let served = (self.custom_domain.clone().map(ServedName::Domain))
            .or_else(|| self.subdomain.clone().map(ServedName::Subdomain))?;
        Some(ClaimLookup::Served(served))
    }

    /// Whether `source` (found through [`ListQuery::claim_lookup`]) is what every parameter asks
    /// for: the other names it gives, and the filters.
    pub fn admits_claimed(&self, source: &Source) -> bool {
        let delivery = &source.fields.delivery;
        self.name
            .as_ref()
            .is_none_or(|n| n.claim_key() == source.fields.name.claim_key())
            && (self.custom_domain.as_ref()).is_none_or(|d| delivery.custom_domains.contains(d))
            && (self.subdomain.as_ref()).is_none_or(|l| delivery.subdomains.contains(l))
            && self.filter.admits(source)
    }

    /// The parameters a `Link` to the next page repeats, canonical, in a fixed order, without the
    /// cursor.
    pub fn link_parameters(&self) -> Vec<(&'static str, String)> {
        let mut parameters = Vec::new();
        if self.limit_given {
            parameters.push((names::LIMIT, self.limit.get().to_string()));
        }
        if self.sort_given {
            parameters.push((names::SORT, self.sort.as_str().to_owned()));
        }
        if !self.filter.source_types.is_empty() {
            let types: Vec<&str> = self
                .filter
                .source_types
                .iter()
                .map(SourceType::as_str)
                .collect();
            parameters.push((names::SOURCE_TYPE, types.join(",")));
        }
        if let Some(enabled) = self.filter.enabled {
            parameters.push((names::ENABLED, enabled.to_string()));
        }
        if let Some(prefix) = &self.filter.name_prefix {
            parameters.push((names::Q, prefix.as_str().to_owned()));
        }
        if !self.filter.health.is_empty() {
            parameters.push((names::HEALTH, health_list(&self.filter.health)));
        }
        parameters
    }
}

#[cfg(test)]
mod tests {
    /// The parameters the parser asks for are [`names::ALL`], no more, no fewer: so the
    /// document, which is held to that list, cannot leave one out.
    #[test]
    fn the_parser_reads_exactly_the_named_parameters() {
        let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
        ListQuery::parse(|name| {
            asked.borrow_mut().insert(name.to_owned());
            Vec::new()
        })
        .unwrap();
        let all: std::collections::BTreeSet<String> =
            names::ALL.iter().map(|n| n.to_string()).collect();
        assert_eq!(asked.into_inner(), all);
    }

    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&'static str, &'static str)]) -> Result<ListQuery, ParameterError> {
        let mut map: HashMap<&str, Vec<&'static str>> = HashMap::new();
        for (name, value) in pairs {
            map.entry(name).or_default().push(value);
        }
        ListQuery::parse(|name| map.get(name).cloned().unwrap_or_default())
    }

    #[test]
    fn no_parameters_is_the_first_page_of_everything_oldest_first() {
        let query = parse(&[]).unwrap();
        assert_eq!(query.limit.get(), 1000);
        assert_eq!(query.sort, SortOrder::CreatedAt);
        assert!(query.filter.is_empty());
        assert!(query.cursor.is_none());
        assert!(query.link_parameters().is_empty());
    }

    #[test]
    fn limit_is_an_integer_from_1_to_1000() {
        assert_eq!(parse(&[("limit", "1")]).unwrap().limit.get(), 1);
        assert_eq!(parse(&[("limit", "1000")]).unwrap().limit.get(), 1000);
        assert_eq!(parse(&[("limit", "0042")]).unwrap().limit.get(), 42);
        for bad in [
            "0", "1001", "", "-1", "+5", " 5", "5 ", "1e2", "10.0", "99999", "ten",
        ] {
            assert_eq!(
                parse(&[("limit", bad)]),
                Err(ParameterError::Limit),
                "{bad:?}"
            );
        }
        assert_eq!(
            ParameterError::Limit.to_string(),
            "Parameter limit must be an integer from 1 to 1000"
        );
    }

    #[test]
    fn sort_takes_the_four_orders_exactly() {
        for order in SortOrder::ALL {
            assert_eq!(parse(&[("sort", order.as_str())]).unwrap().sort, order);
        }
        for bad in ["", "Name", "+name", "updated_at", "name,-name"] {
            assert_eq!(
                parse(&[("sort", bad)]),
                Err(ParameterError::Sort),
                "{bad:?}"
            );
        }
        assert_eq!(
            ParameterError::Sort.to_string(),
            "Parameter sort must be one of created_at, -created_at, name, -name"
        );
    }

    #[test]
    fn source_type_takes_one_or_more_known_types() {
        let query = parse(&[("source_type", "url,s3,url")]).unwrap();
        assert_eq!(query.filter.source_types, [SourceType::S3, SourceType::Url]);
        assert_eq!(
            query.link_parameters(),
            [("source_type", "s3,url".to_owned())]
        );
        for bad in ["", "S3", "s3,", ",s3", "s3,,url", "ftp", "s3 ,url"] {
            assert_eq!(
                parse(&[("source_type", bad)]),
                Err(ParameterError::SourceType),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn enabled_is_true_or_false() {
        assert_eq!(
            parse(&[("enabled", "false")]).unwrap().filter.enabled,
            Some(false)
        );
        for bad in ["", "1", "True", "yes"] {
            assert_eq!(parse(&[("enabled", bad)]), Err(ParameterError::Enabled));
        }
    }

    #[test]
    fn q_is_a_case_insensitive_name_prefix() {
        let query = parse(&[("q", "Shop-")]).unwrap();
        assert_eq!(query.filter.name_prefix.unwrap().as_str(), "shop-");
        let long = "a".repeat(65);
        for bad in ["", "a b", "a.b", "é", "a/", long.as_str()] {
            let mut map = HashMap::new();
            map.insert("q", vec![bad]);
            assert_eq!(
                ListQuery::parse(|name| map.get(name).cloned().unwrap_or_default()),
                Err(ParameterError::Q),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_known_parameter_given_twice_is_refused_by_name() {
        assert_eq!(
            parse(&[("limit", "5"), ("limit", "5")]),
            Err(ParameterError::Repeated("limit"))
        );
        assert_eq!(
            ParameterError::Repeated("cursor").to_string(),
            "Parameter cursor must be given once"
        );
    }

    #[test]
    fn unknown_parameters_are_ignored() {
        assert_eq!(
            parse(&[("page", "2"), ("per_page", "x")]).unwrap(),
            ListQuery::default()
        );
    }

    #[test]
    fn an_empty_or_overlong_cursor_is_invalid_before_decoding() {
        assert_eq!(parse(&[("cursor", "")]), Err(ParameterError::Cursor));
        let long: &'static str = "A".repeat(MAX_CURSOR_CHARS + 1).leak();
        assert_eq!(parse(&[("cursor", long)]), Err(ParameterError::Cursor));
    }

    #[test]
    fn a_link_repeats_what_was_given_in_canonical_form() {
        let query = parse(&[
            ("q", "AB"),
            ("enabled", "true"),
            ("sort", "-name"),
            ("limit", "7"),
            ("cursor", "abc"),
            ("other", "1"),
        ])
        .unwrap();
        assert_eq!(
            query.link_parameters(),
            [
                ("limit", "7".to_owned()),
                ("sort", "-name".to_owned()),
                ("enabled", "true".to_owned()),
                ("q", "ab".to_owned()),
            ]
        );
    }
}
