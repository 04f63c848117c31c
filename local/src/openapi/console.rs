//! The console's paths (docs/SPEC.md §20): served by the `console` function without a key (they
//! hold no data), each response with the console's security headers.

use serde_json::{Map, Value, json};
use shared::http::ApiError;

use super::responses::common_headers;

/// Adds the console's two paths, `/console` and `/console/{file}`, to `paths`.
pub(super) fn console_paths(paths: &mut Map<String, Value>) {
    let mut headers = common_headers();
    for (name, description) in [
        (
            "Content-Security-Policy",
            format!("`{}`", shared::functions::console::CONTENT_SECURITY_POLICY),
        ),
        ("X-Content-Type-Options", "`nosniff`".to_owned()),
        ("Referrer-Policy", "`no-referrer`".to_owned()),
    ] {
        headers.insert(
            name.into(),
            json!({"required": true, "description": description, "schema": {"type": "string"}}),
        );
    }
    let text = json!({"schema": {"type": "string"}});
    let mut page_headers = headers.clone();
    page_headers.insert(
        "Cache-Control".into(),
        json!({"required": true, "description": "`no-cache` for the page; the other files, named by the release's version, are cacheable for a year.", "schema": {"type": "string"}}),
    );
    let not_found = json!({
        "description": "No such file in this release (a file of another version included).",
        "headers": headers,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"},
            "example": {"errors": [ApiError::RouteNotFound.to_string()]}}}
    });
    let page = json!({
        "description": "The console's page (`index.html`).",
        "headers": page_headers,
        "content": {"text/html": text}
    });
    paths.insert(shared::catalog::CONSOLE.first_path().to_owned(), json!({"get": {
        "operationId": "getConsole",
        "summary": "The console",
        "description": format!("Redirects to `console/`, below which the page's relative URLs resolve (a client that follows the redirect gets the page). No key: the files hold no data; the page asks for a key and calls this API with it. Served by the Lambda function `{}`.", shared::catalog::CONSOLE.name),
        "tags": ["console"],
        "security": [],
        "responses": {
            "308": {"description": "To `console/`.", "headers": {
                "Location": {"required": true, "schema": {"type": "string", "const": "console/"}},
                "Content-Security-Policy": headers["Content-Security-Policy"].clone()
            }},
            "200": page.clone()
        }
    }}));
    paths.insert("/console/{file}".to_owned(), json!({"get": {
        "operationId": "getConsoleFile",
        "summary": "A file of the console",
        "description": format!("Empty or `index.html`: the page. `v/<version>/<name>`: one of the files the page names (scripts, the stylesheet, the icon, and this document, which the forms are made from); another version is 404. API Gateway's route is `/console/{{proxy+}}`: `file` may hold slashes. Served by the Lambda function `{}`.", shared::catalog::CONSOLE.name),
        "tags": ["console"],
        "security": [],
        "parameters": [{"name": "file", "in": "path", "required": true,
            "description": "The path below `/console/`.", "schema": {"type": "string"},
            "example": "index.html"}],
        "responses": {
            "200": {
                "description": "The file.",
                "headers": page["headers"].clone(),
                "content": {"text/html": text, "text/javascript": text, "text/css": text,
                            "image/svg+xml": text, "application/json": {"schema": {"type": "object"}}}
            },
            "404": not_found
        }
    }}));
}
