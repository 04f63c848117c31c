//! How the CDN delivers a source's images (docs/SPEC.md §23): custom domains, default rendering
//! parameters, the cache policy, fallback images and the cross-domain policy file; the subdomains
//! (§25), how its URLs are signed and a note on the settings (§24). Every value
//! is held in a type that cannot hold what §23 refuses; a request's `delivery` object is read by
//! [`Delivery::read`], which reports every problem at once, each naming its key as
//! `delivery.<key>`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::PublicUrl;
use super::address_policy::{refused_host_name, special_use_zone};
pub use super::validation::DeliveryProblem;
use super::validation::{Invalid, UrlProblem, display_key};

/// The request and response key.
pub const DELIVERY: &str = "delivery";
pub use super::limits::{
    DEFAULT_ERROR_TTL_SECONDS, MAX_ANNOTATION_CHARS, MAX_CUSTOM_DOMAINS, MAX_DEFAULT_PARAMS,
    MAX_PARAM_NAME_CHARS, MAX_PARAM_VALUE_CHARS, MAX_SUBDOMAINS, MAX_TTL_SECONDS,
    MIN_ERROR_TTL_SECONDS, MIN_TTL_SECONDS,
};
const MAX_DOMAIN_CHARS: usize = 253;

/// The keys of `delivery`, in the order the SPEC shows them.
const CUSTOM_DOMAINS: &str = "custom_domains";
const SUBDOMAINS: &str = "subdomains";
const DEFAULT_PARAMS: &str = "default_params";
const CACHE: &str = "cache";
const FALLBACK_IMAGES: &str = "fallback_images";
const CROSSDOMAIN_XML: &str = "crossdomain_xml";
const URL_SIGNATURE: &str = "url_signature";
const ANNOTATION: &str = "annotation";
pub const KEYS: [&str; 8] = [
    CUSTOM_DOMAINS,
    SUBDOMAINS,
    DEFAULT_PARAMS,
    CACHE,
    FALLBACK_IMAGES,
    CROSSDOMAIN_XML,
    URL_SIGNATURE,
    ANNOTATION,
];

/// A public DNS name the CDN serves a source through: LDH labels of 1-63 characters, at least
/// two, 253 characters at most, no trailing dot, no IP literal, no name the §4 address policy
/// refuses. Accepted in any letter case and held lowercase (DNS names are case-insensitive), so
/// two spellings of one name are one domain.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CustomDomain(String);

/// Why a name is no custom domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainRefusal {
    /// Not a public DNS name as [`CustomDomain`] says.
    NotPublicName,
    /// Under a zone reserved for special use (`.test`, `.local`, …): this one.
    SpecialUse(&'static str),
}

/// A DNS label in lowercase LDH form: 1-63 of `a-z`, `0-9` and `-`, no `-` at either end.
fn ldh_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether `name` (lowercase) is a DNS name of at least two LDH labels, 253 characters at most,
/// with no trailing dot and not an address: the shape of a custom domain, and of the operator's
/// zones (docs/SPEC.md §25).
pub(crate) fn dns_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    name.len() <= MAX_DOMAIN_CHARS
        && labels.len() >= 2
        && labels.iter().all(|label| ldh_label(label))
        // The last label of a DNS name is never all digits: `1.2.3.4` is an address.
        && !labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
        && name.parse::<IpAddr>().is_err()
}

impl CustomDomain {
    pub fn parse(value: &str) -> Option<Self> {
        Self::check(value).ok()
    }

    /// The name as a custom domain, or why it cannot be one.
    pub fn check(value: &str) -> Result<Self, DomainRefusal> {
        let name = value.to_ascii_lowercase();
        if !dns_name(&name) {
            return Err(DomainRefusal::NotPublicName);
        }
        // Said by name before the address policy's broader refusal: the person learns why.
        if let Some(zone) = special_use_zone(&name) {
            return Err(DomainRefusal::SpecialUse(zone));
        }
        if refused_host_name(&name) {
            return Err(DomainRefusal::NotPublicName);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A label the CDN serves a source under, as `<label>.<the operator's zone>` (docs/SPEC.md §25):
/// `[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?`. Accepted in any letter case and held lowercase, since
/// two spellings of one label are one host name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subdomain(String);

impl Subdomain {
    pub fn parse(value: &str) -> Option<Self> {
        let label = value.to_ascii_lowercase();
        ldh_label(&label).then_some(Self(label))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Subdomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A host name a source is served under, which no other source of any account may hold: a custom
/// domain (docs/SPEC.md §23) or a subdomain (§25). Each is claimed in the write's own transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServedName {
    Domain(CustomDomain),
    Subdomain(Subdomain),
}

/// How the CDN checks a signed URL of the source (docs/SPEC.md §13, §24): ImageBoss's
/// `bossToken`, or imgix's `s`. Sources made through the imgix dialect sign as imgix does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UrlSignature {
    #[default]
    ImageBoss,
    Imgix,
}

impl UrlSignature {
    pub const ALL: [UrlSignature; 2] = [UrlSignature::ImageBoss, UrlSignature::Imgix];

    pub fn as_str(&self) -> &'static str {
        match self {
            UrlSignature::ImageBoss => "imageboss",
            UrlSignature::Imgix => "imgix",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// What the CDN does with the origin's cache headers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CacheBehavior {
    #[default]
    RespectOrigin,
    OverrideOrigin,
    EnforceMinimum,
}

impl CacheBehavior {
    pub const ALL: [CacheBehavior; 3] = [
        CacheBehavior::RespectOrigin,
        CacheBehavior::OverrideOrigin,
        CacheBehavior::EnforceMinimum,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            CacheBehavior::RespectOrigin => "respect_origin",
            CacheBehavior::OverrideOrigin => "override_origin",
            CacheBehavior::EnforceMinimum => "enforce_minimum",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == value)
    }
}

/// The cache policy: a behaviour, a TTL of 1,800-31,536,000 s and an error TTL of
/// 1-31,536,000 s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CachePolicy {
    pub behavior: CacheBehavior,
    pub ttl: u64,
    pub error_ttl: u64,
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self {
            behavior: CacheBehavior::RespectOrigin,
            ttl: MAX_TTL_SECONDS,
            error_ttl: DEFAULT_ERROR_TTL_SECONDS,
        }
    }
}

/// An image the CDN answers with instead: at a public URL (the §4 rule), with the request's
/// query appended or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FallbackImage {
    pub url: PublicUrl,
    pub append_query: bool,
}

/// The fallback for an error at the origin and for a missing image; `None` is the CDN's own
/// answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FallbackImages {
    pub error: Option<FallbackImage>,
    pub missing: Option<FallbackImage>,
}

/// A default rendering parameter's name: `[a-z0-9-]{1,32}`.
fn valid_param_name(name: &str) -> bool {
    (1..=MAX_PARAM_NAME_CHARS).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A source's delivery settings, defaults filled in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Unique, in the order given.
    pub custom_domains: Vec<CustomDomain>,
    /// Unique, in the order given (docs/SPEC.md §25).
    pub subdomains: Vec<Subdomain>,
    pub default_params: BTreeMap<String, String>,
    pub cache: CachePolicy,
    pub fallback_images: FallbackImages,
    pub crossdomain_xml: bool,
    pub url_signature: UrlSignature,
    /// A note on the settings, as imgix's deployment annotation: 1 to 1,024 characters without
    /// control characters; an empty one is none.
    pub annotation: Option<String>,
}

/// Collects the problems of one `delivery` object, each under its full key.
struct Problems<'a>(&'a mut Vec<Invalid>);

impl Problems<'_> {
    fn push(&mut self, key: &str, problem: DeliveryProblem) {
        self.0.push(Invalid::Delivery {
            key: format!("{DELIVERY}.{key}"),
            problem,
        });
    }
}

impl Delivery {
    /// Every host name the source is served under, custom domains first: what its claims hold.
    pub fn served_names(&self) -> Vec<ServedName> {
        let domains = self.custom_domains.iter().cloned().map(ServedName::Domain);
        let subdomains = self.subdomains.iter().cloned().map(ServedName::Subdomain);
        domains.chain(subdomains).collect()
    }

    /// `self` with the keys `value` (a request's `delivery`) names replaced: each by the value
    /// given (what it leaves out at its default), or by its default when given `null`. A create
    /// reads onto [`Delivery::default`]. Every problem is pushed onto `errors`; `None` if there
    /// was one.
    pub fn read(&self, value: &Value, errors: &mut Vec<Invalid>) -> Option<Self> {
        let before = errors.len();
        let mut problems = Problems(errors);
        let Value::Object(object) = value else {
            problems.0.push(Invalid::Delivery {
                key: DELIVERY.to_owned(),
                problem: DeliveryProblem::NotObject,
            });
            return None;
        };
        let mut delivery = self.clone();
        for (key, value) in object {
            match key.as_str() {
                CUSTOM_DOMAINS => {
                    delivery.custom_domains =
                        read_or_default(value, |v| read_domains(v, &mut problems))
                }
                SUBDOMAINS => {
                    delivery.subdomains =
                        read_or_default(value, |v| read_subdomains(v, &mut problems))
                }
                DEFAULT_PARAMS => {
                    delivery.default_params =
                        read_or_default(value, |v| read_params(v, &mut problems))
                }
                CACHE => delivery.cache = read_or_default(value, |v| read_cache(v, &mut problems)),
                FALLBACK_IMAGES => {
                    delivery.fallback_images =
                        read_or_default(value, |v| read_fallbacks(v, &mut problems))
                }
                CROSSDOMAIN_XML => {
                    delivery.crossdomain_xml =
                        read_or_default(value, |v| read_bool(v, CROSSDOMAIN_XML, &mut problems))
                }
                URL_SIGNATURE => {
                    delivery.url_signature = read_or_default(value, |v| {
                        let read = v.as_str().and_then(UrlSignature::parse);
                        if read.is_none() {
                            problems.push(URL_SIGNATURE, DeliveryProblem::SignatureNotIncluded);
                        }
                        read
                    })
                }
                ANNOTATION => {
                    delivery.annotation =
                        read_or_default(value, |v| read_annotation(v, &mut problems))
                }
                other => problems.push(&display_key(other), DeliveryProblem::NotSupported),
            }
        }
        (errors.len() == before).then_some(delivery)
    }

    /// The JSON every response shows: every key, defaults filled in.
    pub fn public(&self) -> Value {
        let fallback = |image: &Option<FallbackImage>| match image {
            Some(image) => json!({"url": image.url.as_str(), "append_query": image.append_query}),
            None => Value::Null,
        };
        json!({
            CUSTOM_DOMAINS: self.custom_domains.iter().map(CustomDomain::as_str).collect::<Vec<_>>(),
            SUBDOMAINS: self.subdomains.iter().map(Subdomain::as_str).collect::<Vec<_>>(),
            DEFAULT_PARAMS: self.default_params,
            CACHE: {
                "behavior": self.cache.behavior.as_str(),
                "ttl": self.cache.ttl,
                "error_ttl": self.cache.error_ttl,
            },
            FALLBACK_IMAGES: {
                "error": fallback(&self.fallback_images.error),
                "missing": fallback(&self.fallback_images.missing),
            },
            CROSSDOMAIN_XML: self.crossdomain_xml,
            URL_SIGNATURE: self.url_signature.as_str(),
            ANNOTATION: self.annotation,
        })
    }
}

/// An annotation: `Some(None)` for an empty one.
fn read_annotation(value: &Value, problems: &mut Problems<'_>) -> Option<Option<String>> {
    let problem = match value {
        Value::String(text) if text.chars().count() > MAX_ANNOTATION_CHARS => {
            DeliveryProblem::AnnotationTooLong
        }
        Value::String(text) if text.chars().any(char::is_control) => {
            DeliveryProblem::ControlCharacters
        }
        Value::String(text) => return Some((!text.is_empty()).then(|| text.clone())),
        _ => DeliveryProblem::NotString,
    };
    problems.push(ANNOTATION, problem);
    None
}

/// `null` is the default; anything else is read (a value with problems leaves the default in
/// place: the request fails anyway).
fn read_or_default<T: Default>(value: &Value, read: impl FnOnce(&Value) -> Option<T>) -> T {
    match value {
        Value::Null => T::default(),
        other => read(other).unwrap_or_default(),
    }
}

fn read_bool(value: &Value, key: &str, problems: &mut Problems<'_>) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        _ => {
            problems.push(key, DeliveryProblem::NotBoolean);
            None
        }
    }
}

fn read_domains(value: &Value, problems: &mut Problems<'_>) -> Option<Vec<CustomDomain>> {
    let Value::Array(items) = value else {
        problems.push(CUSTOM_DOMAINS, DeliveryProblem::NotList);
        return None;
    };
    if items.len() > MAX_CUSTOM_DOMAINS {
        problems.push(CUSTOM_DOMAINS, DeliveryProblem::TooManyDomains);
        return None;
    }
    let mut domains: Vec<CustomDomain> = Vec::with_capacity(items.len());
    let mut valid = true;
    for item in items {
        let Value::String(text) = item else {
            problems.push(CUSTOM_DOMAINS, DeliveryProblem::NotList);
            valid = false;
            continue;
        };
        match CustomDomain::check(text) {
            Ok(domain) if domains.contains(&domain) => {
                problems.push(
                    CUSTOM_DOMAINS,
                    DeliveryProblem::DomainRepeated(domain.to_string()),
                );
                valid = false;
            }
            Ok(domain) => domains.push(domain),
            Err(DomainRefusal::SpecialUse(zone)) => {
                problems.push(
                    CUSTOM_DOMAINS,
                    DeliveryProblem::DomainSpecialUse(display_key(text), zone),
                );
                valid = false;
            }
            Err(DomainRefusal::NotPublicName) => {
                problems.push(
                    CUSTOM_DOMAINS,
                    DeliveryProblem::DomainInvalid(display_key(text)),
                );
                valid = false;
            }
        }
    }
    valid.then_some(domains)
}

fn read_subdomains(value: &Value, problems: &mut Problems<'_>) -> Option<Vec<Subdomain>> {
    let Value::Array(items) = value else {
        problems.push(SUBDOMAINS, DeliveryProblem::NotLabelList);
        return None;
    };
    if items.len() > MAX_SUBDOMAINS {
        problems.push(SUBDOMAINS, DeliveryProblem::TooManySubdomains);
        return None;
    }
    let mut labels: Vec<Subdomain> = Vec::with_capacity(items.len());
    let mut valid = true;
    for item in items {
        let Value::String(text) = item else {
            problems.push(SUBDOMAINS, DeliveryProblem::NotLabelList);
            valid = false;
            continue;
        };
        match Subdomain::parse(text) {
            Some(label) if labels.contains(&label) => {
                problems.push(
                    SUBDOMAINS,
                    DeliveryProblem::DomainRepeated(label.to_string()),
                );
                valid = false;
            }
            Some(label) => labels.push(label),
            None => {
                problems.push(
                    SUBDOMAINS,
                    DeliveryProblem::SubdomainInvalid(display_key(text)),
                );
                valid = false;
            }
        }
    }
    valid.then_some(labels)
}

fn read_params(value: &Value, problems: &mut Problems<'_>) -> Option<BTreeMap<String, String>> {
    let Value::Object(params) = value else {
        problems.push(DEFAULT_PARAMS, DeliveryProblem::NotObject);
        return None;
    };
    if params.len() > MAX_DEFAULT_PARAMS {
        problems.push(DEFAULT_PARAMS, DeliveryProblem::TooManyParams);
        return None;
    }
    let mut read = BTreeMap::new();
    let mut valid = true;
    for (name, value) in params {
        if !valid_param_name(name) {
            problems.push(
                DEFAULT_PARAMS,
                DeliveryProblem::ParamNameInvalid(display_key(name)),
            );
            valid = false;
            continue;
        }
        let key = format!("{DEFAULT_PARAMS}.{name}");
        let problem = match value {
            Value::String(text) if text.chars().count() > MAX_PARAM_VALUE_CHARS => {
                Some(DeliveryProblem::ValueTooLong)
            }
            Value::String(text) if text.chars().any(char::is_control) => {
                Some(DeliveryProblem::ControlCharacters)
            }
            Value::String(text) => {
                read.insert(name.clone(), text.clone());
                None
            }
            _ => Some(DeliveryProblem::NotString),
        };
        if let Some(problem) = problem {
            problems.push(&key, problem);
            valid = false;
        }
    }
    valid.then_some(read)
}

fn read_cache(value: &Value, problems: &mut Problems<'_>) -> Option<CachePolicy> {
    let Value::Object(cache) = value else {
        problems.push(CACHE, DeliveryProblem::NotObject);
        return None;
    };
    let mut policy = CachePolicy::default();
    let mut valid = true;
    let mut fail = |key: &str, problem| {
        problems.push(&format!("{CACHE}.{key}"), problem);
        valid = false;
    };
    for (key, value) in cache {
        match key.as_str() {
            "behavior" => match value.as_str().and_then(CacheBehavior::parse) {
                Some(behavior) => policy.behavior = behavior,
                None if value.is_null() => {}
                None => fail("behavior", DeliveryProblem::NotIncluded),
            },
            "ttl" => match ttl(value, MIN_TTL_SECONDS) {
                Some(Some(ttl)) => policy.ttl = ttl,
                Some(None) => {}
                None => fail(
                    "ttl",
                    DeliveryProblem::Ttl {
                        min: MIN_TTL_SECONDS,
                    },
                ),
            },
            "error_ttl" => match ttl(value, MIN_ERROR_TTL_SECONDS) {
                Some(Some(ttl)) => policy.error_ttl = ttl,
                Some(None) => {}
                None => fail(
                    "error_ttl",
                    DeliveryProblem::Ttl {
                        min: MIN_ERROR_TTL_SECONDS,
                    },
                ),
            },
            other => fail(&display_key(other), DeliveryProblem::NotSupported),
        }
    }
    valid.then_some(policy)
}

/// A TTL in whole seconds from `min` to a year: `Some(None)` for `null` (the default), `None`
/// for anything else (a fraction, a string, a negative or too large number).
fn ttl(value: &Value, min: u64) -> Option<Option<u64>> {
    match value {
        Value::Null => Some(None),
        Value::Number(n) => n
            .as_u64()
            .filter(|s| (min..=MAX_TTL_SECONDS).contains(s))
            .map(Some),
        _ => None,
    }
}

fn read_fallbacks(value: &Value, problems: &mut Problems<'_>) -> Option<FallbackImages> {
    let Value::Object(fallbacks) = value else {
        problems.push(FALLBACK_IMAGES, DeliveryProblem::NotObject);
        return None;
    };
    let mut images = FallbackImages::default();
    let mut valid = true;
    for (key, value) in fallbacks {
        let slot = match key.as_str() {
            "error" => &mut images.error,
            "missing" => &mut images.missing,
            other => {
                problems.push(
                    &format!("{FALLBACK_IMAGES}.{}", display_key(other)),
                    DeliveryProblem::NotSupported,
                );
                valid = false;
                continue;
            }
        };
        match read_fallback(value, &format!("{FALLBACK_IMAGES}.{key}"), problems) {
            Some(image) => *slot = image,
            None => valid = false,
        }
    }
    valid.then_some(images)
}

/// `null`, or `{"url", "append_query"}`: `Some(None)` for `null`.
fn read_fallback(
    value: &Value,
    key: &str,
    problems: &mut Problems<'_>,
) -> Option<Option<FallbackImage>> {
    let object: &Map<String, Value> = match value {
        Value::Null => return Some(None),
        Value::Object(object) => object,
        _ => {
            problems.push(key, DeliveryProblem::ObjectOrNull);
            return None;
        }
    };
    let mut url = None;
    let mut append_query = false;
    let mut valid = true;
    for (field, value) in object {
        let full = format!("{key}.{field}");
        match field.as_str() {
            "url" => match value {
                Value::String(text) => match PublicUrl::parse(text.clone()) {
                    Ok(checked) => url = Some(checked),
                    Err(problem) => {
                        problems.push(&full, DeliveryProblem::Url(problem));
                        valid = false;
                    }
                },
                _ => {
                    problems.push(&full, DeliveryProblem::Url(UrlProblem::NotPublic));
                    valid = false;
                }
            },
            // `null` returns it to its default, `false`, as `null` does every delivery key
            // (docs/SPEC.md §23).
            "append_query" if value.is_null() => append_query = false,
            "append_query" => match read_bool(value, &full, problems) {
                Some(b) => append_query = b,
                None => valid = false,
            },
            other => {
                problems.push(
                    &format!("{key}.{}", display_key(other)),
                    DeliveryProblem::NotSupported,
                );
                valid = false;
            }
        }
    }
    if url.is_none() && valid {
        problems.push(
            &format!("{key}.url"),
            DeliveryProblem::Url(UrlProblem::NotPublic),
        );
        valid = false;
    }
    let url = url?;
    valid.then_some(Some(FallbackImage { url, append_query }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: Value) -> Result<Delivery, Vec<String>> {
        let mut errors = Vec::new();
        let read = Delivery::default().read(&value, &mut errors);
        match read {
            Some(delivery) if errors.is_empty() => Ok(delivery),
            _ => Err(errors.iter().map(Invalid::to_string).collect()),
        }
    }

    #[test]
    fn the_spec_example_reads_and_shows_as_given() {
        let example = json!({
            "custom_domains": ["images.example.com"],
            "subdomains": ["my-images"],
            "default_params": {"auto": "format,compress", "q": "75"},
            "cache": {"behavior": "respect_origin", "ttl": 31536000, "error_ttl": 300},
            "fallback_images": {"error": {"url": "https://www.example.com/error.png", "append_query": false},
                                "missing": null},
            "crossdomain_xml": false,
            "url_signature": "imgix",
            "annotation": "Moved from imgix"
        });
        let delivery = read(example.clone()).unwrap();
        assert_eq!(delivery.public(), example);
    }

    #[test]
    fn defaults_fill_every_key() {
        assert_eq!(
            Delivery::default().public(),
            json!({"custom_domains": [], "subdomains": [], "default_params": {},
                "cache": {"behavior": "respect_origin", "ttl": 31536000, "error_ttl": 300},
                "fallback_images": {"error": null, "missing": null}, "crossdomain_xml": false,
                "url_signature": "imageboss", "annotation": null})
        );
        assert_eq!(read(json!({})).unwrap(), Delivery::default());
        assert_eq!(
            read(json!({"url_signature": null, "annotation": ""})).unwrap(),
            Delivery::default()
        );
    }

    #[test]
    fn the_signature_is_one_of_two_and_an_annotation_a_short_line() {
        assert_eq!(
            read(json!({"url_signature": "md5", "annotation": "x".repeat(1_025)})).unwrap_err(),
            [
                "delivery.annotation is too long (maximum is 1024 characters)",
                "delivery.url_signature must be imageboss or imgix"
            ]
        );
        assert_eq!(
            read(json!({"url_signature": true, "annotation": "a\u{7}b"})).unwrap_err(),
            [
                "delivery.annotation must not contain control characters",
                "delivery.url_signature must be imageboss or imgix"
            ]
        );
        assert_eq!(
            read(json!({"annotation": 3})).unwrap_err(),
            ["delivery.annotation must be a string"]
        );
        let read = read(json!({"annotation": "é".repeat(1_024)})).unwrap();
        assert_eq!(read.annotation.map(|a| a.chars().count()), Some(1_024));
    }

    #[test]
    fn custom_domains_are_public_dns_names_held_lowercase() {
        for good in [
            "images.example.com",
            "IMAGES.Example.COM",
            "a-b.c0.example.net",
            "xn--bcher-kva.com",
        ] {
            assert!(CustomDomain::parse(good).is_some(), "{good}");
        }
        assert_eq!(
            CustomDomain::parse("IMAGES.Example.COM").unwrap().as_str(),
            "images.example.com"
        );
        let long_label = format!("{}.com", "a".repeat(64));
        let too_long = format!("{}.com", vec!["a".repeat(60); 5].join("."));
        for bad in [
            "localhost",
            "example",
            "images.example.com.",
            ".example.com",
            "images..example.com",
            "-images.example.com",
            "images-.example.com",
            "under_score.example.com",
            "1.2.3.4",
            "[::1]",
            "::1",
            "192.168.0.1",
            "metadata.google.internal",
            "printer.local",
            "images.example.com:443",
            "images.example.com/path",
            "ímages.example.com",
            "imаges.example.com", // Cyrillic а: a look-alike, not LDH
            "images example.com",
            "",
            &long_label,
            &too_long,
        ] {
            assert!(CustomDomain::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn every_problem_is_reported_once_with_its_key() {
        let errors = read(json!({
            "custom_domains": ["ok.example.com", "OK.example.com", "bad..name", 7],
            "default_params": {"Q": "1", "w": 2, "fm": "a\u{7}b", "h": "x".repeat(1025)},
            "cache": {"behavior": "forever", "ttl": 60, "error_ttl": 0.5, "max": 1},
            "fallback_images": {"error": {"url": "http://10.0.0.1/x.png"}, "missing": "no", "other": null},
            "crossdomain_xml": "yes",
            "cdn": true
        }))
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "delivery.cache.behavior is not included in the list",
                "delivery.cache.error_ttl must be an integer from 1 to 31536000 seconds",
                "delivery.cache.max is not supported",
                "delivery.cache.ttl must be an integer from 1800 to 31536000 seconds",
                "delivery.cdn is not supported",
                "delivery.crossdomain_xml must be true or false",
                "delivery.custom_domains holds ok.example.com more than once",
                "delivery.custom_domains holds bad..name, which is not a public DNS name",
                "delivery.custom_domains must be a list of host names",
                "delivery.default_params has a parameter named Q: names are 1 to 32 of a-z, 0-9 and -",
                "delivery.default_params.fm must not contain control characters",
                "delivery.default_params.h is too long (maximum is 1024 characters)",
                "delivery.default_params.w must be a string",
                "delivery.fallback_images.error.url must be a public http(s) URL",
                "delivery.fallback_images.missing must be an object or null",
                "delivery.fallback_images.other is not supported",
            ]
        );
    }

    #[test]
    fn limits_are_inclusive() {
        let domains: Vec<String> = (0..25).map(|n| format!("d{n}.example.com")).collect();
        assert_eq!(
            read(json!({"custom_domains": domains}))
                .unwrap()
                .custom_domains
                .len(),
            25
        );
        let domains: Vec<String> = (0..26).map(|n| format!("d{n}.example.com")).collect();
        assert_eq!(
            read(json!({"custom_domains": domains})).unwrap_err(),
            ["delivery.custom_domains must hold at most 25 host names"]
        );
        let params: Map<String, Value> = (0..50).map(|n| (format!("p{n}"), json!("v"))).collect();
        assert!(read(json!({"default_params": params})).is_ok());
        let params: Map<String, Value> = (0..51).map(|n| (format!("p{n}"), json!("v"))).collect();
        assert_eq!(
            read(json!({"default_params": params})).unwrap_err(),
            ["delivery.default_params must hold at most 50 parameters"]
        );
        for (ttl, ok) in [
            (1799, false),
            (1800, true),
            (31536000, true),
            (31536001, false),
            (-1, false),
        ] {
            assert_eq!(read(json!({"cache": {"ttl": ttl}})).is_ok(), ok, "{ttl}");
        }
        for (ttl, ok) in [(0, false), (1, true), (31536000, true)] {
            assert_eq!(
                read(json!({"cache": {"error_ttl": ttl}})).is_ok(),
                ok,
                "{ttl}"
            );
        }
        assert!(read(json!({"cache": {"ttl": 1e30}})).is_err());
        assert!(read(json!({"cache": {"ttl": "3600"}})).is_err());
        assert!(read(json!({"default_params": {"n": "é".repeat(1024)}})).is_ok());
        assert!(read(json!({"default_params": {"a".repeat(32): "v"}})).is_ok());
        assert!(read(json!({"default_params": {"a".repeat(33): "v"}})).is_err());
    }

    #[test]
    fn a_patch_replaces_the_keys_it_names_and_null_restores_the_default() {
        let stored = read(json!({
            "custom_domains": ["a.example.com"],
            "cache": {"behavior": "override_origin", "ttl": 3600},
            "crossdomain_xml": true
        }))
        .unwrap();
        let mut errors = Vec::new();
        let patched = stored
            .read(
                &json!({"cache": {"error_ttl": 60}, "crossdomain_xml": null}),
                &mut errors,
            )
            .unwrap();
        assert!(errors.is_empty());
        assert_eq!(
            patched.custom_domains, stored.custom_domains,
            "not named: kept"
        );
        assert_eq!(
            patched.cache,
            CachePolicy {
                error_ttl: 60,
                ..CachePolicy::default()
            },
            "named: replaced, what it leaves out at its default"
        );
        assert!(!patched.crossdomain_xml, "null: the default");
        assert!(stored.read(&json!([]), &mut errors).is_none());
        assert_eq!(errors[0].to_string(), "delivery must be an object");
    }

    #[test]
    fn fallback_urls_are_held_to_the_public_url_rule_byte_for_byte() {
        let delivery = read(json!({"fallback_images": {"missing": {"url": "https://cdn.example.com/404.png?v=1", "append_query": true}}})).unwrap();
        let missing = delivery.fallback_images.missing.unwrap();
        assert_eq!(missing.url.as_str(), "https://cdn.example.com/404.png?v=1");
        assert!(missing.append_query);
        for bad in [
            "https://EXAMPLE.com/x.png",
            "http://example.com\\@169.254.169.254/",
            "https://user@example.com/",
            "ftp://example.com/x.png",
            "https://localhost/x.png",
        ] {
            assert!(
                read(json!({"fallback_images": {"error": {"url": bad}}})).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            read(json!({"fallback_images": {"error": {"append_query": true}}})).unwrap_err(),
            ["delivery.fallback_images.error.url must be a public http(s) URL"]
        );
    }

    #[test]
    fn custom_domains_under_special_use_zones_are_refused_saying_why() {
        for (name, zone) in [
            ("images.test", "test"),
            ("cdn.acme.example", "example"),
            ("a.invalid", "invalid"),
            ("app.localhost", "localhost"),
            ("Printer.Local", "local"),
            ("metadata.google.internal", "internal"),
            ("shop.onion", "onion"),
            ("1.0.0.127.in-addr.arpa", "in-addr.arpa"),
            ("b.a.9.8.ip6.arpa", "ip6.arpa"),
        ] {
            assert_eq!(
                CustomDomain::check(name),
                Err(DomainRefusal::SpecialUse(zone)),
                "{name}"
            );
            assert_eq!(
                read(json!({"custom_domains": [name]})).unwrap_err(),
                [format!(
                    "delivery.custom_domains holds {name}, which is under .{zone}, a name reserved for special use that no CDN can serve"
                )]
            );
        }
        assert!(read(json!({"custom_domains": ["images.example.com", "test.acme.org"]})).is_ok());
    }

    #[test]
    fn append_query_null_is_its_default() {
        let delivery = read(json!({"fallback_images": {"error": {
            "url": "https://cdn.example.com/e.png", "append_query": null}}}))
        .unwrap();
        assert!(!delivery.fallback_images.error.unwrap().append_query);
        assert_eq!(
            read(json!({"fallback_images": {"error": {
                "url": "https://cdn.example.com/e.png", "append_query": "yes"}}}))
            .unwrap_err(),
            ["delivery.fallback_images.error.append_query must be true or false"]
        );
    }

    #[test]
    fn fallback_urls_are_held_to_the_value_limit() {
        let base = "https://cdn.example.com/";
        let at_limit = format!("{base}{}", "a".repeat(1_024 - base.len()));
        let over = format!("{at_limit}a");
        assert!(read(json!({"fallback_images": {"missing": {"url": at_limit}}})).is_ok());
        for key in ["error", "missing"] {
            assert_eq!(
                read(json!({"fallback_images": {key: {"url": over}}})).unwrap_err(),
                [format!(
                    "delivery.fallback_images.{key}.url is too long (maximum is 1024 characters)"
                )]
            );
        }
    }

    #[test]
    fn subdomains_are_dns_labels_held_lowercase_at_most_ten() {
        let delivery =
            read(json!({"subdomains": ["My-Images", "a", "0", "x".repeat(63)]})).unwrap();
        assert_eq!(
            delivery.public()["subdomains"],
            json!(["my-images", "a", "0", "x".repeat(63)])
        );
        let ten: Vec<String> = (0..10).map(|n| format!("s{n}")).collect();
        assert_eq!(
            read(json!({"subdomains": ten})).unwrap().subdomains.len(),
            10
        );
        let eleven: Vec<String> = (0..11).map(|n| format!("s{n}")).collect();
        assert_eq!(
            read(json!({"subdomains": eleven})).unwrap_err(),
            ["delivery.subdomains must hold at most 10 labels"]
        );
        for bad in [
            "",
            "-a",
            "a-",
            "a.b",
            "under_score",
            "ímages",
            "a b",
            &"x".repeat(64),
        ] {
            assert_eq!(
                read(json!({"subdomains": [bad]})).unwrap_err(),
                [format!(
                    "delivery.subdomains holds {}, which is not a DNS label: 1 to 63 of a-z, 0-9 and -, not starting or ending with -",
                    display_key(bad)
                )],
                "{bad}"
            );
        }
        assert_eq!(
            read(json!({"subdomains": ["Img", "img"]})).unwrap_err(),
            ["delivery.subdomains holds img more than once"]
        );
        for bad in [json!("img"), json!([7]), json!({"a": 1})] {
            assert_eq!(
                read(json!({"subdomains": bad})).unwrap_err(),
                ["delivery.subdomains must be a list of DNS labels"]
            );
        }
        assert_eq!(read(json!({"subdomains": null})).unwrap().subdomains, []);
    }

    #[test]
    fn served_names_are_the_domains_then_the_subdomains() {
        let delivery =
            read(json!({"custom_domains": ["a.example.com"], "subdomains": ["b"]})).unwrap();
        assert_eq!(
            delivery.served_names(),
            [
                ServedName::Domain(CustomDomain::parse("a.example.com").unwrap()),
                ServedName::Subdomain(Subdomain::parse("b").unwrap()),
            ]
        );
    }
}
