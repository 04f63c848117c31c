//! A URL the CDN may fetch from (`url`, akamai's `endpoint`): public, and in the one spelling that
//! every mainstream parser reads alike.
//!
//! Browsers (WHATWG), RFC 3986 parsers, curl and Python's `urllib` disagree on sloppy URLs:
//! `http://example.com\@169.254.169.254/` is `example.com` to WHATWG and the metadata service to
//! curl. A validator that reads a URL one way and a fetcher that reads it another is a hole, so the
//! rule is not "some parser finds a public host" but "the URL is already canonical": its WHATWG
//! serialization is the URL itself (an empty path may stand for `/`), an RFC 3986 parser finds the
//! same host and port, and the host is a plain lowercase DNS name or IP literal that is public.
//! What is stored is the string checked, byte for byte.

use std::net::IpAddr;

use url::{Host, Url};

use super::address_policy::{refused_host_name, refused_ip};
use super::limits::MAX_VALUE_CHARS;
use super::validation::UrlProblem;

/// A checked URL; holds exactly the text that was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn parse(value: String) -> Result<Self, UrlProblem> {
        check(&value)?;
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check(value: &str) -> Result<(), UrlProblem> {
    // §4 caps every value at 1,024 characters, and a URL is a value wherever it is given (a web
    // folder's `url`, a fallback image's, docs/SPEC.md §23): the cap lives with the URL rule.
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(UrlProblem::TooLong);
    }
    // Read differently by different parsers (WHATWG turns `\` into `/`; curl and urllib keep it,
    // and strip or keep white space at their own whims): refused outright, with a clear message.
    if value.contains('\\') {
        return Err(UrlProblem::Backslash);
    }
    if value.chars().any(char::is_whitespace) {
        return Err(UrlProblem::Whitespace);
    }
    let url = match Url::parse(value) {
        Ok(url) => url,
        Err(url::ParseError::InvalidPort) => return Err(UrlProblem::Port),
        Err(_) => return Err(UrlProblem::NotPublic),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlProblem::NotPublic);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::UserInfo);
    }
    if url.port() == Some(0) {
        return Err(UrlProblem::Port);
    }
    check_host(&url)?;
    if !is_serialization_of(&url, value) {
        return Err(UrlProblem::NotCanonical(url.as_str().to_owned()));
    }
    // A second, independent reading: RFC 3986's grammar must accept the same text and find the
    // same host and port (it refuses, for one, the `[`, `]` and `|` that WHATWG leaves in paths).
    let rfc = fluent_uri::Uri::parse(value).map_err(|_| UrlProblem::NotRfc3986)?;
    let authority = rfc.authority().ok_or(UrlProblem::NotRfc3986)?;
    let same_port = authority.port_to_u16().ok().flatten() == url.port();
    if url.host_str() != Some(authority.host()) || !same_port {
        return Err(UrlProblem::NotRfc3986);
    }
    Ok(())
}

fn check_host(url: &Url) -> Result<(), UrlProblem> {
    match url.host() {
        None => Err(UrlProblem::NotPublic),
        Some(Host::Ipv4(ip)) if refused_ip(IpAddr::V4(ip)) => Err(UrlProblem::NotPublic),
        Some(Host::Ipv6(ip)) if refused_ip(IpAddr::V6(ip)) => Err(UrlProblem::NotPublic),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => Ok(()),
        Some(Host::Domain(name)) => {
            if let Some(without_dot) = name.strip_suffix('.') {
                // `example.com.` is the same name spelled absolutely; suffix checks downstream
                // (ours included) would have to remember that, so one spelling is stored.
                let mut suggestion = url.clone();
                return match suggestion.set_host(Some(without_dot)) {
                    Ok(()) if dns_name(without_dot) && !refused_host_name(without_dot) => {
                        Err(UrlProblem::NotCanonical(suggestion.as_str().to_owned()))
                    }
                    _ => Err(UrlProblem::NotPublic),
                };
            }
            if dns_name(name) && !refused_host_name(name) {
                Ok(())
            } else {
                Err(UrlProblem::NotPublic)
            }
        }
    }
}

/// Lowercase letters, digits, `-` and `_` in labels of 1-63 characters, 253 at most in all
/// (RFC 1035 §2.3.4; `_` appears in real CNAME targets). Unicode names arrive here already in
/// their ASCII (`xn--`) form, which is then also the only spelling accepted.
fn dns_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

/// Whether `value` is `url`'s WHATWG serialization, allowing `https://host` for `https://host/`
/// (an empty path means `/` to every parser, RFC 3986 §6.2.3).
fn is_serialization_of(url: &Url, value: &str) -> bool {
    let canonical = url.as_str();
    if canonical == value {
        return true;
    }
    let Some(after_scheme) = value.find("://").map(|i| i + 3) else {
        return false;
    };
    let authority_end = value[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(value.len(), |i| after_scheme + i);
    if value[authority_end..].starts_with('/') || url.path() != "/" {
        return false;
    }
    canonical.len() == value.len() + 1
        && canonical.starts_with(&value[..authority_end])
        && canonical[authority_end..].starts_with('/')
        && canonical[authority_end + 1..] == value[authority_end..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: &str) -> Result<PublicUrl, UrlProblem> {
        PublicUrl::parse(value.to_owned())
    }

    /// Parser-differential cases: each accepted one is public and canonical; each refused one says why.
    #[test]
    fn the_parser_differential_table() {
        use UrlProblem::*;
        let not_canonical = |c: &str| NotCanonical(c.to_owned());
        let cases: &[(&str, Result<(), UrlProblem>)] = &[
            ("https://images.example.com/base/", Ok(())),
            ("https://example.com", Ok(())),
            ("https://example.com?x=1", Ok(())),
            ("https://example.com#frag", Ok(())),
            ("http://example.com:8080/path?q=1", Ok(())),
            ("https://8.8.8.8/", Ok(())),
            ("https://[2606:4700::1111]/", Ok(())),
            ("https://xn--bcher-kva.example/", Ok(())),
            ("https://cdn_origin.example.com/", Ok(())),
            // `@` after the authority is a path, query or fragment character to every parser.
            ("https://example.com/@169.254.169.254/", Ok(())),
            ("https://example.com/?@169.254.169.254", Ok(())),
            ("https://example.com/#@169.254.169.254", Ok(())),
            ("https://example.com#@169.254.169.254", Ok(())),
            // Backslashes: WHATWG reads `example.com`, curl and urllib the address after `@`.
            (
                "http://example.com\\@169.254.169.254/latest/meta-data/",
                Err(Backslash),
            ),
            ("http://example.com\\@127.0.0.1/", Err(Backslash)),
            ("http://example.com\\x@10.0.0.1/", Err(Backslash)),
            ("http://example.com\\@localhost/", Err(Backslash)),
            ("http:\\\\example.com/", Err(Backslash)),
            ("https://example.com/a\\b", Err(Backslash)),
            // User info, empty or not.
            ("https://user:pass@example.com/", Err(UserInfo)),
            ("https://user@example.com/", Err(UserInfo)),
            (
                "https://@example.com/",
                Err(not_canonical("https://example.com/")),
            ),
            ("https://example.com@169.254.169.254/", Err(UserInfo)),
            // Empty, missing or odd hosts and ports.
            ("http:///a", Err(NotPublic)),
            (
                "http:///example.com/",
                Err(not_canonical("http://example.com/")),
            ),
            ("http://", Err(NotPublic)),
            ("https://example.com:0/", Err(Port)),
            ("https://example.com:65536/", Err(Port)),
            ("https://example.com:99999999999/", Err(Port)),
            (
                "https://example.com:443/",
                Err(not_canonical("https://example.com/")),
            ),
            (
                "https://example.com:/",
                Err(not_canonical("https://example.com/")),
            ),
            (
                "https://example.com:08080/",
                Err(not_canonical("https://example.com:8080/")),
            ),
            // White space, in and around.
            (" http://a.com ", Err(Whitespace)),
            ("http://a.com/ x", Err(Whitespace)),
            ("http://a.com\u{a0}/", Err(Whitespace)),
            // Percent-encoded and otherwise non-canonical hosts.
            (
                "https://%65xample.com/",
                Err(not_canonical("https://example.com/")),
            ),
            (
                "https://example%2ecom/",
                Err(not_canonical("https://example.com/")),
            ),
            (
                "https://EXAMPLE.com/",
                Err(not_canonical("https://example.com/")),
            ),
            (
                "HTTPS://example.com/",
                Err(not_canonical("https://example.com/")),
            ),
            (
                "https://0x08.8.8.8/",
                Err(not_canonical("https://8.8.8.8/")),
            ),
            ("https://134744072/", Err(not_canonical("https://8.8.8.8/"))),
            (
                "https://[2606:4700:0::1111]/",
                Err(not_canonical("https://[2606:4700::1111]/")),
            ),
            // Encoded dots and dot segments in the path.
            (
                "https://example.com/a/../b",
                Err(not_canonical("https://example.com/b")),
            ),
            (
                "https://example.com/%2e%2e/b",
                Err(not_canonical("https://example.com/b")),
            ),
            (
                "https://example.com/./b",
                Err(not_canonical("https://example.com/b")),
            ),
            // IDNA: only the ASCII form, which every resolver reads the same way.
            (
                "https://bücher.example/",
                Err(not_canonical("https://xn--bcher-kva.example/")),
            ),
            (
                "https://faß.example/",
                Err(not_canonical("https://xn--fa-hia.example/")),
            ),
            // Trailing dots.
            (
                "https://example.com./",
                Err(not_canonical("https://example.com/")),
            ),
            ("http://localhost./", Err(NotPublic)),
            // Characters WHATWG leaves in a path but RFC 3986 does not allow.
            ("https://example.com/a|b", Err(NotRfc3986)),
            ("https://example.com/[x]", Err(NotRfc3986)),
            // Hosts that are never public.
            ("http://localhost/", Err(NotPublic)),
            ("http://metadata/", Err(NotPublic)),
            ("http://instance-data/latest/", Err(NotPublic)),
            ("http://metadata.google.internal/", Err(NotPublic)),
            ("http://db.default.svc.cluster.local/", Err(NotPublic)),
            ("http://127.0.0.1/", Err(NotPublic)),
            ("http://127.1/", Err(NotPublic)),
            ("http://2130706433/", Err(NotPublic)),
            ("http://0177.0.0.1/", Err(NotPublic)),
            ("http://0x7f000001/", Err(NotPublic)),
            ("http://0/", Err(NotPublic)),
            ("http://169.254.169.254/latest/meta-data/", Err(NotPublic)),
            ("http://[::1]/", Err(NotPublic)),
            ("http://[::ffff:127.0.0.1]/", Err(NotPublic)),
            ("http://[2002:a9fe:a9fe::]/", Err(NotPublic)),
            ("http://[::ffff:0:a9fe:a9fe]/", Err(NotPublic)),
            ("http://[2001:0:a00:1::1]/", Err(NotPublic)),
            ("http://a!b.example.com/", Err(NotPublic)),
            // Not http(s), or not absolute.
            ("ftp://example.com/", Err(NotPublic)),
            ("file:///etc/passwd", Err(NotPublic)),
            ("javascript:alert(1)", Err(NotPublic)),
            ("example.com", Err(NotPublic)),
            ("//example.com/", Err(NotPublic)),
            ("/relative", Err(NotPublic)),
        ];
        for (url, expected) in cases {
            let got = check(url);
            match (expected, &got) {
                (Ok(()), Ok(checked)) => assert_eq!(checked.as_str(), *url, "stored as checked"),
                (Err(want), Err(got)) => assert_eq!(got, want, "{url}"),
                _ => panic!("{url}: expected {expected:?}, got {got:?}"),
            }
        }
    }
}
