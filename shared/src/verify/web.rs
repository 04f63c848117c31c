//! The web folder check (docs/SPEC.md §14): a ranged `GET` of the URL (one byte), following at most 3
//! redirects, each through the guard again.

use hyper::http::{HeaderMap, HeaderValue, Method, header};

use super::client::{Client, ReadBudget};
use super::outcome::{CheckName, Checks, Ending, Problem};

pub const MAX_REDIRECTS: usize = 3;

pub(crate) async fn check(
    client: &Client,
    url: &url::Url,
    checks: &mut Checks,
    budget: &mut ReadBudget,
) -> Ending {
    let mut url = url.clone();
    let mut redirects = 0;
    loop {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=0-0"));
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
