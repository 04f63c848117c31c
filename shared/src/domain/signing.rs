//! The URL signatures the CDN edge checks (docs/SPEC.md §3, §13, §24), here so that the edge and
//! the API agree. ImageBoss's: `bossToken = hex(HMAC-SHA256(secret_token, path))`, the key being
//! the token's 64 hex characters as text and `path` the URL path from `/<source>/` on, without the
//! query. imgix's, for sources whose `delivery.url_signature` is `imgix`: `s = hex(MD5(token +
//! path + "?" + query))`, the query as sent without `s` (and no `?` when there is none), as imgix's
//! URL builders make it. MD5 is there for compatibility with those builders only: it is not a MAC,
//! and a token + message hash is open to length extension (a signed URL can be extended with more
//! query parameters without the token), which the HMAC of ImageBoss's signature is not.

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::delivery::UrlSignature;
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

/// The query parameter of imgix's signature.
pub const IMGIX_SIGNATURE_PARAMETER: &str = "s";

/// imgix's `s` for `path` and `query` (as sent, without `?` and without `s`; empty for none): 32
/// lowercase hex characters.
pub fn imgix_signature(token: &SecretToken, path: &str, query: &str) -> String {
    let mut md5 = Md5::new();
    md5.update(token.expose().as_bytes());
    md5.update(path.as_bytes());
    if !query.is_empty() {
        md5.update(b"?");
        md5.update(query.as_bytes());
    }
    hex::encode(md5.finalize())
}

/// Whether a request for `path` with `query` (both as the CDN received them: percent-encoded as
/// sent, the query without `?`) is signed for `source` at `now`, by the signature its
/// `delivery.url_signature` names: `bossToken` ([`verify_boss_token`]), or imgix's `s`, which must
/// be the query's last parameter, once, and may be under the current token or, before its expiry,
/// the previous one. imgix signs the path on whichever host serves the source (a subdomain's path
/// has no `/<source>/`), so its check does not look for the name.
pub fn verify_signed_request(source: &Source, path: &str, query: &str, now: Timestamp) -> bool {
    match source.fields.delivery.url_signature {
        UrlSignature::ImageBoss => {
            let mut tokens = url::form_urlencoded::parse(query.as_bytes())
                .filter(|(name, _)| name == BOSS_TOKEN_PARAMETER)
                .map(|(_, value)| value);
            match (tokens.next(), tokens.next()) {
                (Some(token), None) => verify_boss_token(source, path, &token, now),
                _ => false,
            }
        }
        UrlSignature::Imgix => {
            let (rest, signature) = match query.rsplit_once('&') {
                Some((rest, last)) => (rest, last),
                None => ("", query),
            };
            let Some(signature) = signature.strip_prefix("s=") else {
                return false;
            };
            let signed_twice = rest.split('&').any(|p| p.starts_with("s=") || p == "s");
            if signed_twice || signature.len() != 32 {
                return false;
            }
            let matches = |token: &SecretToken| {
                bool::from(
                    imgix_signature(token, path, rest)
                        .as_bytes()
                        .ct_eq(signature.as_bytes()),
                )
            };
            let current = matches(&source.secret_token);
            let previous = source
                .previous_token
                .as_ref()
                .filter(|previous| previous.valid_at(now))
                .is_some_and(|previous| matches(&previous.token));
            current | previous
        }
    }
}

/// `path` with the signature `signature` names appended as its query.
pub fn signed_path(token: &SecretToken, signature: UrlSignature, path: &str) -> String {
    match signature {
        UrlSignature::ImageBoss => {
            format!("{path}?{BOSS_TOKEN_PARAMETER}={}", boss_token(token, path))
        }
        UrlSignature::Imgix => format!(
            "{path}?{IMGIX_SIGNATURE_PARAMETER}={}",
            imgix_signature(token, path, "")
        ),
    }
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
            signed_path(&token, UrlSignature::ImageBoss, PATH),
            format!("{PATH}?bossToken={EXPECTED}")
        );
    }

    /// Computed independently with coreutils:
    /// `printf '%s' "${TOKEN}/w_300/photo.jpg?w=300&ixlib=js-3.8.0" | md5sum`, and without the query.
    #[test]
    fn imgix_signatures_of_a_known_token_are_md5sums() {
        let token = SecretToken::from_stored(TOKEN.to_owned());
        let with_query = "ac0f71a1deab0b50e8eaea307ebc15af";
        let without = "1a1ed078d4fdc4a684c2a2878af75981";
        assert_eq!(
            imgix_signature(&token, "/w_300/photo.jpg", "w=300&ixlib=js-3.8.0"),
            with_query
        );
        assert_eq!(imgix_signature(&token, "/w_300/photo.jpg", ""), without);
        assert_eq!(
            signed_path(&token, UrlSignature::Imgix, "/w_300/photo.jpg"),
            format!("/w_300/photo.jpg?s={without}")
        );
    }

    fn imgix_signed_source() -> Source {
        let body = serde_json::json!({"source": "my-images", "source_type": "url",
            "credential_attributes": {"url": "https://images.example.com/", "require_token": "true"},
            "delivery": {"url_signature": "imgix"}});
        let fields = crate::domain::SourceInput::from_json(body.as_object().unwrap())
            .into_new_fields()
            .unwrap();
        Source::new(crate::domain::AccountId::parse("acme").unwrap(), fields)
    }

    #[test]
    fn a_source_signed_as_imgix_accepts_s_last_and_nothing_else() {
        let source = imgix_signed_source();
        let now = Timestamp::now();
        let path = "/photos/cat%20dog.jpg";
        let s = imgix_signature(&source.secret_token, path, "w=300&ixlib=js-3.8.0");
        let good = format!("w=300&ixlib=js-3.8.0&s={s}");
        assert!(verify_signed_request(&source, path, &good, now));
        let bare = imgix_signature(&source.secret_token, path, "");
        assert!(verify_signed_request(
            &source,
            path,
            &format!("s={bare}"),
            now
        ));
        for (path, query) in [
            (path, format!("w=301&ixlib=js-3.8.0&s={s}")),
            ("/photos/cat.jpg", good.clone()),
            (path, format!("s={s}&w=300&ixlib=js-3.8.0")),
            (path, format!("w=300&ixlib=js-3.8.0&s={s}&s={s}")),
            (path, format!("w=300&ixlib=js-3.8.0&s={}", s.to_uppercase())),
            (path, "w=300&ixlib=js-3.8.0".to_owned()),
            (path, format!("w=300&ixlib=js-3.8.0&bossToken={s}")),
        ] {
            assert!(
                !verify_signed_request(&source, path, &query, now),
                "{path}?{query}"
            );
        }
        // A bossToken does not sign a source that signs as imgix.
        let boss = signed_path(
            &source.secret_token,
            UrlSignature::ImageBoss,
            "/my-images/a.jpg",
        );
        let (path, query) = boss.split_once('?').unwrap();
        assert!(!verify_signed_request(&source, path, query, now));
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
