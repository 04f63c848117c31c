//! The web folder check (docs/SPEC.md §14): a ranged `GET` of the URL (one byte), following at most 3
//! redirects, each through the guard again.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::http::{HeaderMap, HeaderValue, Method, header};

use super::client::{Client, ReadBudget};
use super::outcome::{CheckName, Checks, Ending, Problem};

pub const MAX_REDIRECTS: usize = 3;

/// A web folder's Basic authentication (docs/SPEC.md §23; RFC 7617).
pub(crate) struct BasicLogin<'a> {
    pub user: &'a str,
    pub password: &'a str,
}

impl BasicLogin<'_> {
    /// The `Authorization` value; marked sensitive, so that no debug print of the headers shows
    /// it. `None` if it cannot be a header value (the rules refuse what would make it so).
    fn header(&self) -> Option<HeaderValue> {
        let credentials = STANDARD.encode(format!("{}:{}", self.user, self.password));
        let mut value = HeaderValue::from_str(&format!("Basic {credentials}")).ok()?;
        value.set_sensitive(true);
        Some(value)
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
                let next = answer
                    .headers
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .filter(|next| {
                        matches!(next.scheme(), "http" | "https") && next.host().is_some()
                    });
                let Some(next) = next else {
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
