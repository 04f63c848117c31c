//! The web folder check (docs/SPEC.md §14): a ranged `GET` of the URL (one byte), following at most 3
//! redirects, each through the guard again.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::http::{HeaderMap, HeaderValue, Method, header};

use percent_encoding::utf8_percent_encode;

use super::client::{Answer, Client, ReadBudget};
use super::object::{KEY_PATH, ObjectRequest, Origin};
use super::outcome::{CheckName, Checks, Ending, Problem};
use crate::domain::ObjectPath;

pub const MAX_REDIRECTS: usize = 3;

/// A web folder's Basic authentication (docs/SPEC.md §23; RFC 7617).
#[derive(Clone, Copy)]
pub(crate) struct BasicLogin<'a> {
    pub user: &'a str,
    pub password: &'a str,
}

impl BasicLogin<'_> {
    /// The `Authorization` value; marked sensitive, so that no debug print of the headers shows
    /// it. `None` if it cannot be a header value (the rules refuse what would make it so).
    pub(crate) fn header(&self) -> Option<HeaderValue> {
        let credentials = STANDARD.encode(format!("{}:{}", self.user, self.password));
        let mut value = HeaderValue::from_str(&format!("Basic {credentials}")).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

/// Where a redirect of `url` points, if it is an http(s) URL with a host (the guard then checks
/// its address as it checks every other).
pub(crate) fn next_location(answer: &Answer, url: &url::Url) -> Option<url::Url> {
    answer
        .headers
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .and_then(|l| url.join(l).ok())
        .filter(|next| matches!(next.scheme(), "http" | "https") && next.host().is_some())
}

/// The object at `path` under the folder's `url` (docs/SPEC.md §25): the key, percent-encoded,
/// after the URL's path.
pub(crate) fn object(
    url: &url::Url,
    login: Option<BasicLogin<'_>>,
    path: &ObjectPath,
) -> ObjectRequest {
    let mut url = url.clone();
    let key = utf8_percent_encode(path.key(), KEY_PATH).to_string();
    let joined = format!("{}/{key}", url.path().trim_end_matches('/'));
    url.set_path(&joined);
    ObjectRequest {
        url,
        headers: HeaderMap::new(),
        origin: Origin::Web {
            login: login.as_ref().and_then(BasicLogin::header),
        },
    }
}

pub(crate) async fn check(
    client: &Client,
    url: &url::Url,
    login: Option<BasicLogin<'_>>,
    checks: &mut Checks,
    budget: &mut ReadBudget,
) -> Ending {
    let origin = url.origin();
    let authorization = login.as_ref().and_then(BasicLogin::header);
    let mut url = url.clone();
    let mut redirects = 0;
    loop {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=0-0"));
        // The login goes to the source's own origin only: a redirect elsewhere does not get it
        // (as curl and browsers do).
        if let Some(value) = authorization.as_ref().filter(|_| url.origin() == origin) {
            headers.insert(header::AUTHORIZATION, value.clone());
        }
        // The first request's connection is the `connect` check; a redirect's is part of `fetch`.
        let answer = if redirects == 0 {
            client
                .send_checked(
                    (Method::GET, &url, headers),
                    budget,
                    checks,
                    CheckName::Fetch,
                )
                .await
        } else {
            let answer = client.send(Method::GET, &url, headers, budget).await;
            if answer.is_err() {
                checks.failed(CheckName::Fetch);
            }
            answer
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(problem) => return Ending::Failed(problem),
        };
        let status = answer.status;
        match status {
            200 | 206 => {
                checks.ok(CheckName::Fetch);
                return Ending::Ok;
            }
            301 | 302 | 303 | 307 | 308 => {
                let Some(next) = next_location(&answer, &url) else {
                    checks.failed(CheckName::Fetch);
                    return Ending::Failed(Problem::BadRedirect);
                };
                if redirects == MAX_REDIRECTS {
                    checks.failed(CheckName::Fetch);
                    return Ending::Failed(Problem::TooManyRedirects);
                }
                redirects += 1;
                url = next;
            }
            _ => {
                checks.failed(CheckName::Fetch);
                return Ending::Failed(Problem::HttpStatus { status });
            }
        }
    }
}
