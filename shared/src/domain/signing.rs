//! The URL signature the CDN edge checks (docs/SPEC.md §3, §13), here so that the edge and the API agree:
//! `bossToken = hex(HMAC-SHA256(secret_token, path))`, the key being the token's 64 hex characters
//! as text and `path` the URL path from `/<source>/` on, without the query.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{SecretToken, Source, Timestamp};

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
}
