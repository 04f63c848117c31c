//! The object check (docs/SPEC.md §25): a plain `GET` of the object a client named, as the CDN
//! would fetch it (signed for S3-compatible storage, with the SAS token for Azure, with the Basic
//! login for a web folder, which alone follows redirects), through the same guard, within the
//! same deadline and read budget as the rest of the verification. The body is read up to the
//! budget's remainder and dropped: the report holds the status, the content type and the length.

use hyper::http::{HeaderMap, HeaderValue, Method, header};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

use super::client::{Answer, Client, ReadBudget};
use super::outcome::{CheckResult, Checks, ObjectFound};
use super::web::{MAX_REDIRECTS, next_location};

/// How to fetch one object as the CDN would.
pub(crate) struct ObjectRequest {
    pub url: url::Url,
    pub headers: HeaderMap,
    pub origin: Origin,
}

/// What answers the request.
pub(crate) enum Origin {
    /// A storage service: its answer is final.
    Storage,
    /// A web folder's origin: redirects are followed (up to [`MAX_REDIRECTS`], each through the
    /// guard) as the CDN follows them, the login sent to the folder's own origin only.
    Web { login: Option<HeaderValue> },
}

/// In an object's key, what is percent-encoded in a URL path: all but the unreserved characters
/// (RFC 3986) and `/`.
pub(crate) const KEY_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// The longest content type the report repeats.
const MAX_CONTENT_TYPE_CHARS: usize = 255;

pub(crate) async fn check(
    client: &Client,
    request: ObjectRequest,
    checks: &mut Checks,
    budget: &mut ReadBudget,
) {
    match fetch(client, request, budget).await {
        Ok(answer) => {
            let (result, found) = report(&answer);
            checks.object(result, found);
        }
        Err(message) => checks.object(
            CheckResult::Failed,
            ObjectFound {
                message: Some(message),
                ..ObjectFound::default()
            },
        ),
    }
}

/// The last answer, after any redirects a web folder's origin gave; `Err` with the reason in words
/// when there was none.
async fn fetch(
    client: &Client,
    request: ObjectRequest,
    budget: &mut ReadBudget,
) -> Result<Answer, String> {
    let ObjectRequest {
        mut url,
        headers,
        origin,
    } = request;
    let Origin::Web { login } = origin else {
        return (client.send(Method::GET, &url, headers, budget).await)
            .map_err(|problem| problem.to_string());
    };
    let origin = url.origin();
    for redirects in 0..=MAX_REDIRECTS {
        let mut headers = headers.clone();
        if let Some(value) = login.as_ref().filter(|_| url.origin() == origin) {
            headers.insert(header::AUTHORIZATION, value.clone());
        }
        let answer = (client.send(Method::GET, &url, headers, budget).await)
            .map_err(|problem| problem.to_string())?;
        if !matches!(answer.status, 301 | 302 | 303 | 307 | 308) {
            return Ok(answer);
        }
        if redirects == MAX_REDIRECTS {
            break;
        }
        url = next_location(&answer, &url).ok_or_else(|| {
            "The origin redirected to something that is not an http(s) URL".to_owned()
        })?;
    }
    Err(format!(
        "The origin redirected more than {MAX_REDIRECTS} times"
    ))
}

/// The check's result and findings from the storage's answer.
fn report(answer: &Answer) -> (CheckResult, ObjectFound) {
    let status = answer.status;
    let found = ObjectFound {
        status: Some(status),
        ..ObjectFound::default()
    };
    match status {
        200..=299 => (
            CheckResult::Ok,
            ObjectFound {
                content_type: content_type(&answer.headers),
                content_length: content_length(&answer.headers),
                ..found
            },
        ),
        404 => (
            CheckResult::Failed,
            ObjectFound {
                message: Some(format!(
                    "The storage has no object at this path (HTTP {status})"
                )),
                ..found
            },
        ),
        401 | 403 => (
            CheckResult::Failed,
            ObjectFound {
                message: Some(format!(
                    "The storage refused to give this object (HTTP {status})"
                )),
                ..found
            },
        ),
        _ => (
            CheckResult::Failed,
            ObjectFound {
                message: Some(format!("The storage answered HTTP {status}")),
                ..found
            },
        ),
    }
}

/// The media type the storage gave, if it is a plain one (`type/subtype`, parameters allowed, in
/// printable ASCII, at most 255 characters): anything else is the storage's own text, not
/// repeated.
fn content_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?.trim();
    let essence = value.split(';').next()?.trim();
    let token = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let plain = value.len() <= MAX_CONTENT_TYPE_CHARS
        && value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && essence
            .split_once('/')
            .is_some_and(|(kind, sub)| token(kind) && token(sub));
    plain.then(|| value.to_owned())
}

/// The object's whole length: `Content-Length` of a whole answer, or the total of a
/// `Content-Range` (`bytes 0-65535/245120`).
fn content_length(headers: &HeaderMap) -> Option<u64> {
    if let Some(total) = headers
        .get(header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit_once('/'))
        .and_then(|(_, total)| total.parse().ok())
    {
        return Some(total);
    }
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn answer(status: u16, headers: &[(&'static str, &str)]) -> Answer {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        Answer {
            status,
            headers: map,
            body: Bytes::new(),
        }
    }

    #[test]
    fn an_answer_with_the_object_reports_its_type_and_length() {
        let (result, found) = report(&answer(
            200,
            &[("content-type", "image/jpeg"), ("content-length", "245120")],
        ));
        assert_eq!(result, CheckResult::Ok);
        assert_eq!(
            serde_json::to_value(&found).unwrap(),
            serde_json::json!({"status": 200, "content_type": "image/jpeg", "content_length": 245120})
        );
        let (_, ranged) = report(&answer(
            206,
            &[
                ("content-range", "bytes 0-65535/900000"),
                ("content-length", "65536"),
            ],
        ));
        assert_eq!(ranged.content_length, Some(900_000));
    }

    #[test]
    fn a_refusal_is_said_in_words_and_odd_content_types_are_not_repeated() {
        let (result, found) = report(&answer(404, &[]));
        assert_eq!(result, CheckResult::Failed);
        assert_eq!(
            found.message.as_deref(),
            Some("The storage has no object at this path (HTTP 404)")
        );
        let (_, refused) = report(&answer(403, &[]));
        assert_eq!(
            refused.message.as_deref(),
            Some("The storage refused to give this object (HTTP 403)")
        );
        for odd in ["<script>", "image", "image/jpeg\u{7f}", &"a/b".repeat(100)] {
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_str(odd) {
                headers.insert(header::CONTENT_TYPE, value);
            }
            assert_eq!(content_type(&headers), None, "{odd}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        assert_eq!(
            content_type(&headers).as_deref(),
            Some("text/html; charset=utf-8")
        );
    }
}
