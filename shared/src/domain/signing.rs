//! The URL signature the CDN edge checks (docs/SPEC.md §3, §13), here so that the edge and the API agree:
//! `bossToken = hex(HMAC-SHA256(secret_token, path))`, the key being the token's 64 hex characters
//! as text and `path` the URL path from `/<source>/` on, without the query.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{PublicUrl, SecretToken, Source, Timestamp, UrlProblem};

/// The query parameter that carries the signature.
pub const BOSS_TOKEN_PARAMETER: &str = "bossToken";

type HmacSha256 = Hmac<Sha256>;

fn mac(token: &SecretToken, path: &str) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(token.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(path.as_bytes());
    mac
}

/// The `bossToken` of `path` under `token`: 64 lowercase hex characters.
pub fn boss_token(token: &SecretToken, path: &str) -> String {
    hex::encode(mac(token, path).finalize().into_bytes())
}

/// Whether `boss_token` signs `path` for `source` at `now`: the path is under the source's name
/// (compared case-insensitively, as names are), and the token is the signature under the current
/// secret token or, before its expiry, the previous one. The comparison is constant-time
/// (`Mac::verify_slice`); a token that is not 64 lowercase hex characters signs nothing.
pub fn verify_boss_token(source: &Source, path: &str, boss_token: &str, now: Timestamp) -> bool {
    let under_source = path
        .strip_prefix('/')
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(first, _)| first.eq_ignore_ascii_case(source.fields.name.as_str()));
    // As the API writes them: 64 lowercase hex characters.
    let lowercase_hex = boss_token
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !under_source || boss_token.len() != 64 || !lowercase_hex {
        return false;
    }
    let Ok(signature) = hex::decode(boss_token) else {
        return false;
    };
    let current = mac(&source.secret_token, path)
        .verify_slice(&signature)
        .is_ok();
    let previous = source
        .previous_token
        .as_ref()
        .filter(|previous| previous.valid_at(now))
        .is_some_and(|previous| mac(&previous.token, path).verify_slice(&signature).is_ok());
    current | previous
}

/// The URL a request to a proxy source asks the CDN to fetch (docs/SPEC.md §25): `path` after
/// `/<source>/` (the name compared case-insensitively), percent-decoded once, as imgix's clients
/// encode the whole URL (`/<source>/https%3A%2F%2Fexample.com%2Fa.jpg`; unencoded works too), held
/// to §4's public-URL rule byte for byte. The CDN checks the signature first
/// ([`verify_boss_token`] over the path as requested), then this, and fetches nothing this
/// refuses; when it connects it refuses a non-public address as the verify check does.
pub fn proxied_url(source: &Source, path: &str) -> Result<PublicUrl, UrlProblem> {
    let rest = path
        .strip_prefix('/')
        .and_then(|rest| rest.split_once('/'))
        .filter(|(first, _)| first.eq_ignore_ascii_case(source.fields.name.as_str()))
        .map(|(_, rest)| rest)
        .ok_or(UrlProblem::NotPublic)?;
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .map_err(|_| UrlProblem::NotPublic)?;
    PublicUrl::parse(decoded.into_owned())
}

/// `path` with its `bossToken` appended as the query.
pub fn signed_path(token: &SecretToken, path: &str) -> String {
    format!("{path}?{BOSS_TOKEN_PARAMETER}={}", boss_token(token, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently with OpenSSL:
    /// `printf '%s' '/my-images/w_300/photo.jpg' | openssl dgst -sha256 -hmac
    /// '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'`
    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const PATH: &str = "/my-images/w_300/photo.jpg";
    const EXPECTED: &str = "2104bb53ddf319a02753a838cf75d61445210550d68b19fb252950525ce3130b";

    #[test]
    fn the_signature_of_a_known_token_and_path_is_openssls() {
        let token = SecretToken::from_stored(TOKEN.to_owned());
        assert_eq!(boss_token(&token, PATH), EXPECTED);
        assert_eq!(
            signed_path(&token, PATH),
            format!("{PATH}?bossToken={EXPECTED}")
        );
    }

    fn proxy() -> Source {
        let body = serde_json::json!({"source": "my-proxy", "source_type": "proxy",
            "credential_attributes": {"require_token": "true"}});
        let fields = crate::domain::SourceInput::from_json(body.as_object().unwrap())
            .into_new_fields()
            .unwrap();
        Source::new(crate::domain::AccountId::parse("acme").unwrap(), fields)
    }

    #[test]
    fn a_proxy_fetches_only_public_urls_under_its_name() {
        let source = proxy();
        for (path, url) in [
            (
                "/my-proxy/https%3A%2F%2Fimages.example.com%2Fcat.jpg",
                "https://images.example.com/cat.jpg",
            ),
            (
                "/My-Proxy/https://images.example.com/a/b.png?w=1",
                "https://images.example.com/a/b.png?w=1",
            ),
            (
                "/my-proxy/http%3A%2F%2Fexample.org%2Fx%3Fy%3D1",
                "http://example.org/x?y=1",
            ),
        ] {
            assert_eq!(
                proxied_url(&source, path).map(|u| u.as_str().to_owned()),
                Ok(url.to_owned()),
                "{path}"
            );
        }
        let long = format!("/my-proxy/https://example.com/{}", "a".repeat(1_024));
        for path in [
            "/other/https://images.example.com/cat.jpg",
            "/my-proxy",
            "/my-proxy/",
            "/my-proxy/cat.jpg",
            "/my-proxy/https%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data",
            "/my-proxy/http://127.0.0.1/",
            "/my-proxy/http://10.0.0.1/x.jpg",
            "/my-proxy/http://[::1]/",
            "/my-proxy/http://localhost/x.jpg",
            "/my-proxy/http://metadata.google.internal/",
            "/my-proxy/https://user:pw@images.example.com/",
            "/my-proxy/http://example.com%5C@169.254.169.254/",
            "/my-proxy/https://EXAMPLE.com/x.png",
            "/my-proxy/file:///etc/passwd",
            "/my-proxy/gopher://example.com/",
            "/my-proxy/https%3A%2F%2Fexample.com%2F%FF",
            long.as_str(),
        ] {
            assert!(proxied_url(&source, path).is_err(), "{path}");
        }
    }
}
