//! The console's files (docs/SPEC.md §20), compiled in: the `console` function serves them on the
//! API's stage, and `image-sources serve` at `http://127.0.0.1:3000/console/`. They hold no data,
//! so no authorizer stands in front of them; the page asks for a key and calls the public API.
//!
//! URLs: `/console` redirects to `/console/`, which is `index.html`; every other file is under
//! `/console/v/<version>/`, where the version is a digest of all the files. So the HTML (`no-cache`)
//! always names the files of its own release, and those (cacheable for a year) never go stale:
//! a file asked for under another version is not served. `index.html` names the version with the
//! placeholder `%VERSION%`, filled in here; nothing else is changed, so there is no build step.

use std::sync::LazyLock;

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use sha2::{Digest, Sha256};

use crate::http::ApiError;
use crate::http::response;

/// The path parameter of its second route (`catalog::CONSOLE`): the path below `/console/`.
pub const PROXY_PARAMETER: &str = "proxy";

/// Every response of the console's: the page may load its own scripts, styles and images and call
/// its own origin, and nothing else; no inline script or style, no `eval`, no frame around it, no
/// form sent anywhere (a form the script failed to take over must not put a key in a URL).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

/// One of the console's files.
pub struct ConsoleFile {
    /// Its path below `console/` in the repository, and below `/console/v/<version>/`.
    pub name: &'static str,
    pub content_type: &'static str,
    pub text: &'static str,
}

macro_rules! console_files {
    ($(($name:literal, $type:expr)),* $(,)?) => {
        &[$(ConsoleFile {
            name: $name,
            content_type: $type,
            text: include_str!(concat!("../../../console/", $name)),
        }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// The files, as the repository's `console/` holds them (a test holds the two together), and the
/// published OpenAPI document the forms are derived from (the deployed API does not serve it).
pub static FILES: &[ConsoleFile] = console_files![
    ("index.html", "text/html; charset=utf-8"),
    ("style.css", "text/css; charset=utf-8"),
    ("icon.svg", "image/svg+xml"),
    ("app.js", JS),
    ("api.js", JS),
    ("dom.js", JS),
    ("session.js", JS),
    ("words.js", JS),
    ("schema.js", JS),
    ("form.js", JS),
    ("fields.js", JS),
    ("events.js", JS),
    ("sourceform.js", JS),
    ("usepanel.js", JS),
    ("views/signin.js", JS),
    ("views/header.js", JS),
    ("views/sources.js", JS),
    ("views/source.js", JS),
    ("views/create.js", JS),
    ("views/edit.js", JS),
    ("views/activity.js", JS),
    ("views/keys.js", JS),
];

/// The published OpenAPI document, as the binary holds it.
pub static OPENAPI_DOCUMENT: &str = include_str!("../../../docs/openapi.json");

/// What the console's forms are made from (docs/SPEC.md §20, §27): the document's schemas alone,
/// compact. The forms read nothing else of it, and the whole document, pretty-printed, would
/// weigh more than all the rest of the console (25 KB of its 60 KB compressed, against 7).
static CONSOLE_CONTRACT: LazyLock<String> = LazyLock::new(|| {
    let schemas_only = serde_json::from_str::<serde_json::Value>(OPENAPI_DOCUMENT)
        .ok()
        .map(|document| {
            serde_json::json!({
                "openapi": document["openapi"],
                "info": document["info"],
                "components": {"schemas": document["components"]["schemas"]},
            })
            .to_string()
        });
    // The document is generated and tested: it always parses; were it not to, the console
    // would still work from the whole of it.
    schemas_only.unwrap_or_else(|| OPENAPI_DOCUMENT.to_owned())
});

/// The console's copy of the contract, as one more file of the console's.
pub static OPENAPI: LazyLock<ConsoleFile> = LazyLock::new(|| ConsoleFile {
    name: "openapi.json",
    content_type: "application/json",
    text: CONSOLE_CONTRACT.as_str(),
});

const INDEX: &str = "index.html";
const VERSION_PLACEHOLDER: &str = "%VERSION%";

/// The release's version: the first 12 hex characters of the SHA-256 of every file.
pub fn version() -> &'static str {
    static VERSION: LazyLock<String> = LazyLock::new(|| {
        let mut digest = Sha256::new();
        for file in FILES.iter().chain([&*OPENAPI]) {
            digest.update(file.name.as_bytes());
            digest.update([0]);
            digest.update(file.text.as_bytes());
            digest.update([0]);
        }
        hex::encode(digest.finalize())[..12].to_owned()
    });
    &VERSION
}

/// `index.html` with its files' version filled in.
pub fn index_html() -> &'static str {
    static INDEX_HTML: LazyLock<String> = LazyLock::new(|| {
        let index = FILES
            .iter()
            .find(|f| f.name == INDEX)
            .map_or("", |f| f.text);
        index.replace(VERSION_PLACEHOLDER, version())
    });
    &INDEX_HTML
}

/// Every file as served, with its path below `/console/`: for the weight measurement (§20's
/// 60 KB) and the tests.
pub fn served_files() -> Vec<(String, &'static str)> {
    let mut files = vec![(String::new(), index_html())];
    for file in FILES.iter().chain([&*OPENAPI]).filter(|f| f.name != INDEX) {
        files.push((format!("v/{}/{}", version(), file.name), file.text));
    }
    files
}

/// What a request for the console is.
#[derive(Debug, PartialEq, Eq)]
pub enum ConsolePath<'a> {
    /// `/console`, without its slash: redirected, so that the page's relative URLs resolve below it.
    Bare,
    /// A path below `/console/` (empty for the page itself).
    Below(&'a str),
}

impl<'a> ConsolePath<'a> {
    /// The console path of a request path on the local server (`/console...`), if it is one.
    pub fn of_local(path: &'a str) -> Option<Self> {
        match path.strip_prefix("/console")? {
            "" => Some(ConsolePath::Bare),
            rest => rest.strip_prefix('/').map(ConsolePath::Below),
        }
    }

    /// The console path of a request API Gateway sent the `console` function: the `{proxy+}`
    /// parameter of `/console/{proxy+}`, or the page of `/console`. API Gateway matches
    /// `/console/` to the `/console` route too; the path the client sent, with or without its
    /// final slash, tells the page from the redirect.
    pub fn of_request(req: &'a Request) -> Self {
        if let Some(rest) = req
            .path_parameters_ref()
            .and_then(|p| p.first(PROXY_PARAMETER))
        {
            return ConsolePath::Below(rest);
        }
        let client_path = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(context)) => context.path.as_deref(),
            _ => None,
        }
        .unwrap_or_else(|| req.uri().path());
        if client_path.ends_with('/') {
            ConsolePath::Below("")
        } else {
            ConsolePath::Bare
        }
    }
}

/// The answer to a request for `path`: a GET is served, every other method is 405; both carry
/// the security headers.
pub fn respond(method: &Method, path: ConsolePath<'_>, request_id: &str) -> Response<Body> {
    let mut response = match path {
        _ if method != Method::GET => {
            response::error(ApiError::MethodNotAllowed(vec![Method::GET]), request_id)
        }
        ConsolePath::Bare => {
            let mut redirect = Response::new(Body::Empty);
            *redirect.status_mut() = StatusCode::PERMANENT_REDIRECT;
            // Relative: it resolves below whatever stage or base path the console is served at.
            redirect
                .headers_mut()
                .insert(header::LOCATION, HeaderValue::from_static("console/"));
            redirect
        }
        ConsolePath::Below("" | "index.html") => {
            file_response(index_html(), "text/html; charset=utf-8", "no-cache")
        }
        ConsolePath::Below(rest) => match versioned_file(rest) {
            Some(file) => file_response(
                file.text,
                file.content_type,
                "public, max-age=31536000, immutable",
            ),
            None => response::error(ApiError::RouteNotFound, request_id),
        },
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(response::REQUEST_ID_HEADER, value);
    }
    response
}

/// The `console` function's answer to an API Gateway request, with its log line.
pub fn answer(req: &Request) -> Response<Body> {
    let request_id = crate::http::request::request_id(req);
    let response = respond(req.method(), ConsolePath::of_request(req), &request_id);
    tracing::info!(
        method = %req.method(),
        route = crate::http::request::resource_path(req).as_deref().unwrap_or(crate::catalog::CONSOLE.first_path()),
        status = response.status().as_u16(),
        request_id = %request_id,
        "request"
    );
    response
}

/// The file `v/<this version>/<name>` names, if any (`index.html` is only served as the page).
fn versioned_file(rest: &str) -> Option<&'static ConsoleFile> {
    let name = rest
        .strip_prefix("v/")?
        .strip_prefix(version())?
        .strip_prefix('/')?;
    FILES
        .iter()
        .chain([&*OPENAPI])
        .find(|f| f.name == name && f.name != INDEX)
}

fn file_response(
    text: &'static str,
    content_type: &'static str,
    cache: &'static str,
) -> Response<Body> {
    let mut response = Response::new(Body::Text(text.to_owned()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_its_files_by_version_and_old_versions_are_not_served() {
        let page = respond(&Method::GET, ConsolePath::Below(""), "r");
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
        let Body::Text(html) = page.body() else {
            panic!("text")
        };
        assert!(html.contains(&format!("v/{}/app.js", version())));
        assert!(!html.contains(VERSION_PLACEHOLDER));

        let script = respond(
            &Method::GET,
            ConsolePath::Below(&format!("v/{}/app.js", version())),
            "r",
        );
        assert_eq!(script.status(), 200);
        assert_eq!(script.headers()[header::CONTENT_TYPE], JS);
        assert!(
            script.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        for missing in ["v/000000000000/app.js", "app.js", "v/", "../Cargo.toml"] {
            let answer = respond(&Method::GET, ConsolePath::Below(missing), "r");
            assert_eq!(answer.status(), 404, "{missing}");
            assert_eq!(
                answer.headers()[header::CONTENT_SECURITY_POLICY],
                CONTENT_SECURITY_POLICY
            );
        }
        let index = format!("v/{}/index.html", version());
        assert_eq!(
            respond(&Method::GET, ConsolePath::Below(&index), "r").status(),
            404
        );
    }

    /// A file added to `console/` is served, or this fails: the table above and the directory
    /// hold the same files.
    #[test]
    fn every_file_in_the_console_directory_is_in_the_table() {
        fn walk(dir: &std::path::Path, prefix: &str, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
                if entry.file_type().unwrap().is_dir() {
                    walk(&entry.path(), &format!("{name}/"), found);
                } else {
                    found.push(name);
                }
            }
        }
        let mut found = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../console"),
            "",
            &mut found,
        );
        found.sort();
        let mut listed: Vec<String> = FILES.iter().map(|f| f.name.to_owned()).collect();
        listed.sort();
        assert_eq!(found, listed);
    }

    #[test]
    fn the_bare_path_redirects_below_itself() {
        let answer = respond(&Method::GET, ConsolePath::Bare, "r");
        assert_eq!(answer.status(), 308);
        assert_eq!(answer.headers()[header::LOCATION], "console/");
        assert_eq!(ConsolePath::of_local("/console"), Some(ConsolePath::Bare));
        assert_eq!(
            ConsolePath::of_local("/console/"),
            Some(ConsolePath::Below(""))
        );
        assert_eq!(ConsolePath::of_local("/consoles"), None);
        assert_eq!(ConsolePath::of_local("/v1/sources"), None);
    }

    /// docs/SPEC.md §20: data is rendered as text. No file parses HTML from a string or runs
    /// code from one, and none logs (the key must never reach a log).
    #[test]
    fn no_file_parses_html_runs_strings_or_logs() {
        for file in FILES {
            for banned in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
                "eval(",
                "new Function",
                "console.log",
                "console.info",
                "console.warn",
                "console.error",
                "console.debug",
                "localStorage",
                "document.cookie",
            ] {
                assert!(!file.text.contains(banned), "{}: {banned}", file.name);
            }
        }
    }

    #[test]
    fn the_policy_allows_nothing_inline_and_nothing_elsewhere() {
        for needle in ["unsafe-inline", "unsafe-eval", "*", "data:", "http"] {
            assert!(!CONTENT_SECURITY_POLICY.contains(needle), "{needle}");
        }
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(CONTENT_SECURITY_POLICY.contains(directive), "{directive}");
        }
    }
}
