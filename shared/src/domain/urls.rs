//! Where the CDN serves a source (docs/SPEC.md §25): the `urls` of every source response, derived
//! from the operator's settings and the source's own delivery settings, with no request. In AWS
//! the settings are stack parameters (`CdnBaseUrl`, `CdnSubdomainZone`, `CdnCnameTarget`, passed
//! to the functions as [`BASE_URL_VAR`], [`SUBDOMAIN_ZONE_VAR`], [`CNAME_TARGET_VAR`]); locally,
//! `serve`'s flags of the same names.

use std::fmt;

use serde_json::{Value, json};

use super::Source;
use super::delivery::dns_name;

/// The environment variables the functions read the settings from; empty or absent is "not
/// configured".
pub const BASE_URL_VAR: &str = "CDN_BASE_URL";
pub const SUBDOMAIN_ZONE_VAR: &str = "CDN_SUBDOMAIN_ZONE";
pub const CNAME_TARGET_VAR: &str = "CDN_CNAME_TARGET";

/// The operator's CDN as far as a source's addresses go. Each part is optional: what is not
/// configured shows as `null` (or `[]`) in `urls`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CdnSettings {
    /// The path-style base: a source is at `<base><source name>/`. Always ends with `/`.
    base_url: Option<String>,
    /// The zone under which a source's subdomain `<label>` is `<label>.<zone>`: lowercase.
    subdomain_zone: Option<String>,
    /// The host name a custom domain's CNAME record points to: lowercase.
    cname_target: Option<String>,
}

/// Which setting is malformed, and what it must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CdnSettingError {
    BaseUrl,
    SubdomainZone,
    CnameTarget,
}

impl fmt::Display for CdnSettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CdnSettingError::BaseUrl => {
                "the CDN base URL must be an http or https URL with a host and no user, query or \
                 fragment (https://img.example.com/)"
            }
            CdnSettingError::SubdomainZone => {
                "the CDN subdomain zone must be a DNS name of two labels or more \
                 (imgcdn.example.com)"
            }
            CdnSettingError::CnameTarget => {
                "the CDN CNAME target must be a DNS name of two labels or more (cdn.example.net)"
            }
        })
    }
}

impl std::error::Error for CdnSettingError {}

impl CdnSettings {
    /// The settings from their raw values; `None` or an empty string leaves one unconfigured.
    pub fn new(
        base_url: Option<&str>,
        subdomain_zone: Option<&str>,
        cname_target: Option<&str>,
    ) -> Result<Self, CdnSettingError> {
        fn given(value: Option<&str>) -> Option<&str> {
            value.map(str::trim).filter(|v| !v.is_empty())
        }
        let base_url = given(base_url).map(base).transpose()?;
        let name = |value: &str, error: CdnSettingError| {
            let name = value.to_ascii_lowercase();
            dns_name(&name).then_some(name).ok_or(error)
        };
        Ok(Self {
            base_url,
            subdomain_zone: given(subdomain_zone)
                .map(|z| name(z, CdnSettingError::SubdomainZone))
                .transpose()?,
            cname_target: given(cname_target)
                .map(|t| name(t, CdnSettingError::CnameTarget))
                .transpose()?,
        })
    }

    /// The settings a function's environment gives ([`BASE_URL_VAR`] and the others).
    pub fn from_env() -> Result<Self, CdnSettingError> {
        let var = |name: &str| std::env::var(name).ok();
        Self::new(
            var(BASE_URL_VAR).as_deref(),
            var(SUBDOMAIN_ZONE_VAR).as_deref(),
            var(CNAME_TARGET_VAR).as_deref(),
        )
    }

    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    pub fn subdomain_zone(&self) -> Option<&str> {
        self.subdomain_zone.as_deref()
    }

    pub fn cname_target(&self) -> Option<&str> {
        self.cname_target.as_deref()
    }

    /// The `urls` of `source`: its path-style address (a source name needs no escaping: it is
    /// `[A-Za-z0-9][A-Za-z0-9_-]*`), one address per subdomain under the zone, one per custom
    /// domain (always https: the CDN serves them with its certificate), and the CNAME target.
    pub fn urls(&self, source: &Source) -> Value {
        let delivery = &source.fields.delivery;
        let subdomains: Vec<String> = match &self.subdomain_zone {
            Some(zone) => (delivery.subdomains.iter())
                .map(|label| format!("https://{label}.{zone}/"))
                .collect(),
            None => Vec::new(),
        };
        let custom_domains: Vec<String> = (delivery.custom_domains.iter())
            .map(|domain| format!("https://{domain}/"))
            .collect();
        json!({
            "path": self.base_url.as_ref().map(|base| format!("{base}{}/", source.fields.name)),
            "subdomains": subdomains,
            "custom_domains": custom_domains,
            "cname_target": self.cname_target,
        })
    }
}

/// The base URL, normalized to end with `/`.
fn base(raw: &str) -> Result<String, CdnSettingError> {
    let url = url::Url::parse(raw).map_err(|_| CdnSettingError::BaseUrl)?;
    let acceptable = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    if !acceptable {
        return Err(CdnSettingError::BaseUrl);
    }
    let mut text = url.to_string();
    if !text.ends_with('/') {
        text.push('/');
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, SourceInput};

    fn source(delivery: Value) -> Source {
        let body = json!({"source": "my-images", "source_type": "url",
            "credential_attributes": {"url": "https://example.com"}, "delivery": delivery});
        let fields = SourceInput::from_json(body.as_object().unwrap())
            .into_new_fields()
            .unwrap();
        Source::new(AccountId::parse("acme").unwrap(), fields)
    }

    #[test]
    fn the_spec_example_is_derived_from_the_settings() {
        let settings = CdnSettings::new(
            Some("https://img.example.com"),
            Some("ImgCDN.example.com"),
            Some("cdn.example.net"),
        )
        .unwrap();
        let source = source(json!({"custom_domains": ["images.acme.com"],
            "subdomains": ["my-images"]}));
        assert_eq!(
            settings.urls(&source),
            json!({"path": "https://img.example.com/my-images/",
                "subdomains": ["https://my-images.imgcdn.example.com/"],
                "custom_domains": ["https://images.acme.com/"],
                "cname_target": "cdn.example.net"})
        );
        let prefixed = CdnSettings::new(Some("http://127.0.0.1:8080/img"), None, None).unwrap();
        assert_eq!(
            prefixed.urls(&source)["path"],
            "http://127.0.0.1:8080/img/my-images/"
        );
    }

    #[test]
    fn what_is_not_configured_is_null_or_empty() {
        let source = source(json!({"custom_domains": ["images.acme.com"],
            "subdomains": ["my-images"]}));
        assert_eq!(
            CdnSettings::default().urls(&source),
            json!({"path": null, "subdomains": [], "custom_domains": ["https://images.acme.com/"],
                "cname_target": null})
        );
        assert_eq!(
            CdnSettings::new(Some(""), Some(" "), None).unwrap(),
            CdnSettings::default()
        );
    }

    #[test]
    fn malformed_settings_are_refused_by_name() {
        for bad in [
            "img.example.com",
            "ftp://img.example.com/",
            "https://user@img.example.com/",
            "https://img.example.com/?a=1",
            "https://img.example.com/#top",
            "file:///tmp",
        ] {
            assert_eq!(
                CdnSettings::new(Some(bad), None, None),
                Err(CdnSettingError::BaseUrl),
                "{bad}"
            );
        }
        for bad in [
            "localhost",
            "a..b",
            "-a.example.com",
            "1.2.3.4",
            "https://x.com",
        ] {
            assert_eq!(
                CdnSettings::new(None, Some(bad), None),
                Err(CdnSettingError::SubdomainZone),
                "{bad}"
            );
            assert_eq!(
                CdnSettings::new(None, None, Some(bad)),
                Err(CdnSettingError::CnameTarget),
                "{bad}"
            );
        }
    }
}
