//! The web folder check (SPEC §14): a ranged `GET` of the URL (one byte), following at most 3
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
    let mut connected = false;
    loop {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=0-0"));
        let answer = match client.send(Method::GET, &url, headers, budget).await {
            Ok(answer) => answer,
            Err(problem) => {
                if connected {
                    checks.failed(CheckName::Fetch);
                } else {
                    checks.unanswered(&problem, CheckName::Fetch);
                }
                return Ending::Failed(problem);
            }
        };
        if !connected {
            checks.ok(CheckName::Connect);
            connected = true;
        }
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
