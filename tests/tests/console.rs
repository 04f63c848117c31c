//! The console (docs/SPEC.md §20) in a real browser, against the local gateway `serve` runs, on the
//! embedded DynamoDB; and `GET /v1/api_key` (§19), which it signs in with. Every screen is checked
//! with axe-core; with `IMAGE_SOURCES_SCREENSHOTS=1` each is also saved to `docs/console/`
//! (`.ci/console-screenshots` regenerates them).

use integration_tests::browser::Browser;
use integration_tests::fixtures::{credentials, source_body};
use integration_tests::storage::{
    S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY, S3Options, S3Server, TestNetwork,
};
use integration_tests::{TestApp, spawn_app};
use serde_json::{Value, json};
use shared::domain::{SourceType, Timestamp};
use shared::store::KeyGrant;
use shared::verify::Provider;

const SCREENSHOTS_VAR: &str = "IMAGE_SOURCES_SCREENSHOTS";

fn console_url(app: &TestApp) -> String {
    format!("{}/console/", app.base_url)
}

/// Checks the screen with axe-core (no serious or critical violation) and for the contract's
/// vocabulary in what it says to a person (docs/SPEC.md §27), and, when asked, keeps its picture
/// as `docs/console/<name>.png`.
async fn screen(browser: &Browser, name: &str) {
    checked_screen(browser, name).await;
    if std::env::var(SCREENSHOTS_VAR).is_ok_and(|v| v == "1") {
        let dir = format!("{}/../docs/console", env!("CARGO_MANIFEST_DIR"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), browser.screenshot().await).unwrap();
    }
}

/// The checks of [`screen`] without a picture: axe-core, and the contract's vocabulary.
async fn checked_screen(browser: &Browser, name: &str) {
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "{name}: {violations:#?}");
    let jargon = contract_vocabulary(browser).await;
    assert!(
        jargon.is_empty(),
        "{name}: the contract's words on screen: {jargon:#?}"
    );
}

/// What the screen says in the contract's words: section signs, `null`, JSON, status codes,
/// snake_case names, field paths, backquotes. Read from its text, labels, help, options and
/// accessible names, leaving out the person's own data (`code`, `.data`, what is typed).
async fn contract_vocabulary(browser: &Browser) -> Vec<String> {
    let text = browser
        .execute(
            "const skip = 'code, .data, script, style, textarea, [hidden]';
             const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
             const texts = [];
             for (let n = walker.nextNode(); n; n = walker.nextNode()) {
               if (!n.parentElement.closest(skip) && n.textContent.trim()) texts.push(n.textContent);
             }
             const names = [...document.querySelectorAll('[aria-label], [title], [placeholder]')]
               .filter(e => !e.closest(skip))
               .flatMap(e => [e.getAttribute('aria-label'), e.getAttribute('title'), e.getAttribute('placeholder')])
               .filter(Boolean);
             return [...texts, ...names].join(String.fromCharCode(10));",
            json!([]),
        )
        .await;
    let text = text.as_str().unwrap_or_default();
    let mut found = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '§'))
            .collect();
        let flagged = line.contains('§')
            || line.contains('`')
            || words.iter().any(|w| {
                let w = w.trim_matches('.');
                w == "null"
                    || w == "JSON"
                    || [
                        "400", "401", "403", "404", "409", "412", "413", "415", "422", "429",
                        "500", "503",
                    ]
                    .contains(&w)
                    || (w.contains('_')
                        && w.split('_')
                            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase())))
                    || [
                        "credentials.",
                        "credential_attributes.",
                        "delivery.",
                        "health.",
                        "api_key.",
                    ]
                    .iter()
                    .any(|prefix| w.starts_with(prefix))
            });
        if flagged {
            found.push(line.to_owned());
        }
    }
    found
}

async fn sign_in(browser: &Browser, app: &TestApp, key: &str) {
    browser.goto(&console_url(app)).await;
    browser.fill("#api-key", key).await;
    browser.press_control("Sign in").await;
    browser.find("nav[aria-label='Main']").await;
}

/// What `sessionStorage`, `localStorage` and the cookies hold, and the page's URL.
async fn stored(browser: &Browser) -> Value {
    browser
        .execute(
            "return {session: JSON.stringify(sessionStorage), local: JSON.stringify(localStorage), \
             cookies: document.cookie, url: location.href}",
            json!([]),
        )
        .await
}

#[tokio::test]
async fn get_api_key_answers_the_calling_key_from_the_authorizer_alone() {
    let app = spawn_app().await;
    let until = Timestamp::parse("2031-01-02T03:04:05Z");
    let key = app
        .db
        .api_key_with(
            "acme",
            KeyGrant {
                label: "CI".to_owned(),
                scope: shared::domain::KeyScope::Read,
                valid_until: until,
            },
        )
        .await;
    let requests_before = app.db.counter.total();
    for prefix in ["/v1", "/api/v1"] {
        let answer = app.get(&format!("{prefix}/api_key"), &key).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let hash = shared::domain::ApiKey::from_header(&key).unwrap().hash();
        assert_eq!(
            answer.json(),
            json!({"api_key": {"id": hash.key_id(), "label": "CI", "scope": "read",
                "expires_at": "2031-01-02T03:04:05Z", "account": "acme"}})
        );
        assert!(!answer.text.contains(&key[4..]), "never the key itself");
    }
    // The authorizer's read per request, and nothing else.
    assert_eq!(app.db.counter.total() - requests_before, 2);

    let forever = app.db.api_key("acme").await;
    let answer = app.get("/v1/api_key", &forever).await;
    assert_eq!(answer.json()["api_key"]["expires_at"], Value::Null);
    assert_eq!(answer.json()["api_key"]["scope"], "write");
    assert_eq!(app.get("/v1/api_key", "isk_nope").await.status, 401);
}

#[tokio::test]
async fn the_console_is_served_without_a_key_with_its_security_headers() {
    let app = spawn_app().await;
    let page = app
        .http
        .get(console_url(&app))
        .send()
        .await
        .expect("the page");
    assert_eq!(page.status(), 200);
    let header = |name: &str| {
        page.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        header("content-security-policy").as_deref(),
        Some(shared::functions::console::CONTENT_SECURITY_POLICY)
    );
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"));
    assert_eq!(header("cache-control").as_deref(), Some("no-cache"));
    assert!(header("access-control-allow-origin").is_none(), "no CORS");
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "nothing inline"
    );

    // Every file the page names is served, cacheable, under the release's version.
    for (path, text) in shared::functions::console::served_files()
        .into_iter()
        .skip(1)
    {
        let file = app
            .http
            .get(format!("{}/console/{path}", app.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), 200, "{path}");
        assert!(
            file.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert_eq!(file.text().await.unwrap(), text, "{path}");
    }
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/console", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 308);
    assert_eq!(bare.headers()["location"], "console/");
    // Every other method is 405 with the same security headers, on every console path.
    let version_file = format!(
        "{}/console/v/{}/app.js",
        app.base_url,
        shared::functions::console::version()
    );
    let paths = [
        format!("{}/console", app.base_url),
        console_url(&app),
        version_file,
        format!("{}/console/nope.js", app.base_url),
    ];
    for method in [
        "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND",
    ] {
        for path in &paths {
            let answer = app
                .http
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    path,
                )
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 405, "{method} {path}");
            let headers = answer.headers();
            assert_eq!(headers["allow"], "GET", "{method} {path}");
            assert_eq!(
                headers["content-security-policy"],
                shared::functions::console::CONTENT_SECURITY_POLICY,
                "{method} {path}"
            );
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert_eq!(headers["referrer-policy"], "no-referrer");
        }
    }
}

/// Sign in, the header, sign out (the key forgotten), and a label made of markup shown as text.
#[tokio::test]
async fn sign_in_shows_the_key_and_sign_out_forgets_it() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let label = "<img src=x onerror=alert(1)>";
    let key = app
        .db
        .api_key_with(
            "acme",
            KeyGrant {
                label: label.to_owned(),
                // As `serve`'s dev key is (docs/SPEC.md §26): an admin key also writes.
                scope: shared::domain::KeyScope::Admin,
                ..Default::default()
            },
        )
        .await;
    browser.goto(&console_url(&app)).await;
    browser.find("#api-key").await;
    screen(&browser, "sign-in").await;

    // A wrong key: said in words, what was typed kept.
    browser.fill("#api-key", "isk_wrong").await;
    browser.press_control("Sign in").await;
    browser.wait_for_text("The API key was refused").await;
    assert_eq!(browser.value("#api-key").await, "isk_wrong");
    assert_eq!(stored(&browser).await["session"], "{}");

    // Signing in by keyboard, from the page's title (which has the focus): Tab to the key, type
    // it, Enter: 3 steps.
    browser.goto(&console_url(&app)).await;
    browser.find("#api-key").await;
    let mut steps = 0;
    for (keys, typed) in [
        ("\u{E004}", false),
        (key.as_str(), true),
        ("\u{E007}", false),
    ] {
        browser.press(keys).await;
        steps += if typed { 1 } else { keys.chars().count() };
    }
    browser.wait_for_text("No sources yet").await;
    assert_eq!(steps, 3, "signing in takes 3 steps");
    let header = browser.text(&browser.find(".key").await).await;
    assert!(header.contains(label), "{header}");
    assert!(
        header.contains("administrator")
            && header.contains("never expires")
            && header.contains("acme"),
        "{header}"
    );
    let nav = browser.text(&browser.find("nav").await).await;
    assert!(nav.contains("New source"), "an admin key writes: {nav}");
    assert!(
        browser.find_all("header img, .key img").await.is_empty(),
        "the label is text, not an element"
    );
    let state = stored(&browser).await;
    assert!(state["session"].as_str().unwrap().contains(&key));
    assert_eq!(state["local"], "{}");
    assert_eq!(state["cookies"], "");
    assert!(!state["url"].as_str().unwrap().contains(&key[4..]));
    screen(&browser, "empty-account").await;

    browser.press_control("Sign out").await;
    browser.find("#api-key").await;
    let state = stored(&browser).await;
    assert_eq!(state["session"], "{}", "the key is forgotten");
    browser.quit().await;
}

/// The text beside the field named `path` (its error slot).
async fn error_beside(browser: &Browser, path: &str) -> String {
    browser
        .execute(
            "const f = document.querySelector(`[name='${arguments[0]}']`).closest('.field');
             return f.querySelector('.field-error').textContent;",
            json!([path]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Types a credential set into the open create form: text typed, choices chosen.
async fn fill_credentials(browser: &Browser, attributes: &serde_json::Map<String, Value>) {
    for (key, value) in attributes {
        let css = format!("[name='credential_attributes.{key}']");
        let value = value.as_str().unwrap();
        let tag = browser
            .execute(
                "return document.querySelector(arguments[0]).tagName",
                json!([css]),
            )
            .await;
        if tag == "SELECT" {
            browser.choose(&css, value).await;
        } else {
            browser.fill(&css, value).await;
        }
    }
}

async fn start_create(browser: &Browser, source_type: &str) {
    browser.press_control("New source").await;
    browser.click_on(&format!("#type-{source_type}")).await;
    browser.press_control("Next").await;
    browser.find("[name='source']").await;
}

/// Every type through the create form; one end to end with verify ok against s3s-fs, one whose
/// verification fails (nothing saved), and the 422 messages beside their fields.
#[tokio::test]
async fn create_each_type_verify_before_saving_and_the_errors_beside_their_fields() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let s3 = S3Server::start(S3Options::default()).await;
    let network = TestNetwork::start().await;
    let s3_provider = Provider::of(SourceType::S3).unwrap();
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[(s3_provider, &s3.endpoint)]))
        .spawn()
        .await;
    let key = app.db.api_key("acme").await;
    sign_in(&browser, &app, &key).await;

    // Record what the page sends (headers only), to see the create's Idempotency-Key.
    browser
        .execute(
            "window.sent = []; const fetch0 = window.fetch;
             window.fetch = (url, init) => { window.sent.push({url: String(url),
               method: init?.method, headers: init?.headers ?? {}}); return fetch0(url, init); };",
            json!([]),
        )
        .await;

    // The whole create by keyboard only, its steps counted: the "New source" link; Tab to the
    // types, Space on S3, Tab to Next, Enter; then each field after a Tab, typed; Enter to send
    // it, verified against s3s-fs (verify before saving is on by default).
    let mut steps = 0;
    browser.press_control("New source").await;
    steps += 1;
    browser.find("#type-s3").await;
    screen(&browser, "create-type").await;
    browser.press("\u{E004}").await;
    steps += 1;
    let focused = browser
        .execute("return document.activeElement.id", json!([]))
        .await;
    assert_eq!(
        focused, "type-s3",
        "Tab from the title reaches the first type"
    );
    browser.press(" \u{E004}\u{E007}").await;
    steps += 3;
    browser.find("[name='source']").await;
    screen(&browser, "create-fields").await;
    let tab = "\u{E004}";
    let typed = [
        ("source", "by-keyboard"),
        ("enabled", ""),
        ("credential_attributes.access_key_id", S3_ACCESS_KEY),
        ("credential_attributes.bucket", S3_BUCKET),
        ("credential_attributes.region", "us-east-1"),
        ("credential_attributes.secret_access_key", S3_SECRET_KEY),
    ];
    for (name, text) in typed {
        browser.press(tab).await;
        steps += 1;
        let focused = browser
            .execute("return document.activeElement.name", json!([]))
            .await;
        assert_eq!(focused, name, "the tab order follows the form");
        if !text.is_empty() {
            browser.press(text).await;
            steps += 1;
        }
    }
    browser.press("\u{E007}").await;
    steps += 1;
    browser.wait_for_text("Source created").await;
    screen(&browser, "create-done").await;
    // A field typed is one step, as in the other counts.
    assert_eq!(
        steps, 17,
        "creating and verifying a source takes {steps} steps"
    );
    let created = app.get("/v1/sources?q=by-keyboard", &key).await.json();
    assert_eq!(created[0]["health"]["status"], "unknown");
    let sent = browser.execute("return window.sent", json!([])).await;
    let create = sent
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["method"] == "POST")
        .expect("the create was sent");
    assert!(
        create["url"]
            .as_str()
            .unwrap()
            .ends_with("/v1/sources?verify=true")
    );
    assert_eq!(
        create["headers"]["idempotency-key"].as_str().map(str::len),
        Some(36),
        "{create}"
    );
    browser.press_control("Create another").await;
    browser.click_on("#type-s3").await;
    browser.press_control("Next").await;
    browser.find("[name='source']").await;

    // A 422: each message beside its field, what was typed kept, nothing saved.
    browser.fill("[name='source']", "bad one!").await;
    browser.click_on("#verify-first").await;
    browser.press_control("Create source").await;
    browser.wait_for_text("nothing was saved").await;
    assert!(
        error_beside(&browser, "source")
            .await
            .contains("Source is invalid")
    );
    assert!(
        error_beside(&browser, "credential_attributes.bucket")
            .await
            .contains("\"Bucket\" is required"),
    );
    screen(&browser, "create-errors").await;
    let typed = browser.value("[name='source']").await;
    assert_eq!(typed, "bad one!");

    // Verify on (the default), wrong secret: refused by the storage, nothing saved.
    browser.click_on("#verify-first").await;
    browser.fill("[name='source']", "checked").await;
    let mut attributes = credentials(SourceType::S3);
    attributes.insert("access_key_id".into(), json!(S3_ACCESS_KEY));
    attributes.insert("bucket".into(), json!(S3_BUCKET));
    attributes.insert(
        "secret_access_key".into(),
        json!("not-the-secret-0123456789"),
    );
    attributes.remove("prefix");
    fill_credentials(&browser, &attributes).await;
    browser.press_control("Create source").await;
    browser
        .wait_for_text("Credentials could not be verified")
        .await;
    // Said beside the button just pressed, with the focus on it (docs/SPEC.md §27).
    let focused = browser
        .execute(
            "const a = document.activeElement; \
             return {alert: a.getAttribute('role'), text: a.textContent, \
                     beforeButtons: a.parentElement.nextElementSibling?.className}",
            json!([]),
        )
        .await;
    assert_eq!(focused["alert"], "alert", "{focused}");
    assert!(
        focused["text"]
            .as_str()
            .unwrap()
            .starts_with("Credentials could not be verified"),
        "{focused}"
    );
    assert_eq!(focused["beforeButtons"], "buttons", "{focused}");
    let checked = app.get("/v1/sources?q=checked", &key).await.json();
    assert!(checked.as_array().unwrap().is_empty(), "nothing saved");

    // The right secret: verified, then saved once.
    browser
        .fill(
            "[name='credential_attributes.secret_access_key']",
            S3_SECRET_KEY,
        )
        .await;
    browser.press_control("Create source").await;
    browser.wait_for_text("Source created").await;
    let listed = app.get("/v1/sources?q=checked", &key).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // Every other type, from its own form (verify off: their storage is not on this machine).
    for source_type in SourceType::ALL.into_iter().filter(|t| *t != SourceType::S3) {
        let name = format!("made-{}", source_type.as_str());
        start_create(&browser, source_type.as_str()).await;
        // Each type's form speaks in words: its labels, help and choices.
        checked_screen(&browser, &name).await;
        browser.fill("[name='source']", &name).await;
        fill_credentials(&browser, &credentials(source_type)).await;
        browser.click_on("#verify-first").await;
        browser.press_control("Create source").await;
        browser.wait_for_text("Source created").await;
        let made = app.get(&format!("/v1/sources?q={name}"), &key).await.json();
        assert_eq!(made[0]["source_type"], source_type.as_str(), "{name}");
        for (credential, value) in credentials(source_type) {
            let shown = &made[0]["credentials"][&credential];
            assert!(
                shown == &value || shown == "****",
                "{name}: {credential} {shown}"
            );
        }
    }
    browser.quit().await;
}

/// A source's page: the enabled toggle, a rotation with its grace, an edit that meets a concurrent
/// change (412, reload, the person's change kept), verify, and delete by name.
#[tokio::test]
async fn a_source_toggled_rotated_edited_through_a_412_and_deleted() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let created = app
        .post("/v1/sources", &key, &source_body("photos", SourceType::S3))
        .await
        .json();
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/sources/{id}");
    sign_in(&browser, &app, &key).await;
    browser.goto_hash(&format!("sources/{id}")).await;
    browser.wait_for_text("Signing token").await;
    let page = browser.body_text().await;
    assert!(
        page.contains("Hidden (a secret is never shown)"),
        "secrets as the API shows them, in words"
    );
    assert!(!page.contains(created["credentials"]["secret_token"].as_str().unwrap()));
    screen(&browser, "source").await;

    // Reveal the token: shown as text.
    browser.press_control("Reveal current token").await;
    browser
        .wait_for_text(created["credentials"]["secret_token"].as_str().unwrap())
        .await;

    // Disable with the toggle: it asks first, and keeping it changes nothing.
    browser.click_on("input[role='switch']").await;
    browser
        .wait_for_text("The CDN stops serving its images at once")
        .await;
    browser.press_control("Keep it enabled").await;
    assert_eq!(app.get(&path, &key).await.json()["enabled"], true);
    browser.click_on("input[role='switch']").await;
    browser.press_control("Disable the source").await;
    browser
        .wait_for_text("Disabled: the CDN does not serve")
        .await;
    assert_eq!(app.get(&path, &key).await.json()["enabled"], false);

    // Rotate with a one-hour grace: the new token shown once, the old one as previous.
    browser
        .execute(
            "document.querySelector(\"input[type='radio'][value='3600']\").click()",
            json!([]),
        )
        .await;
    browser.press_control("Rotate token").await;
    browser.wait_for_text("The token was rotated").await;
    let rotated = app.get(&path, &key).await.json();
    let fresh = rotated["credentials"]["secret_token"].as_str().unwrap();
    let shown = browser.text(&browser.find(".new-token").await).await;
    assert_eq!(shown, fresh);
    assert_eq!(
        rotated["credentials"]["previous_secret_token"],
        created["credentials"]["secret_token"]
    );
    browser.wait_for_text("Previous token (signs until").await;
    screen(&browser, "source-rotated").await;

    // Edit while someone else changes the source: 412 in words, reload keeps the typed change.
    browser.press_control("Edit").await;
    browser.find("[name='credential_attributes.prefix']").await;
    screen(&browser, "edit").await;
    browser
        .fill("[name='credential_attributes.prefix']", "mine/")
        .await;
    let theirs = app
        .patch(
            &path,
            &key,
            &json!({"source": {"credential_attributes": {"bucket": "their-bucket"}}}),
        )
        .await;
    assert_eq!(theirs.status, 200);
    browser.press_control("Save changes").await;
    browser.wait_for_text("changed since you opened it").await;
    screen(&browser, "edit-conflict").await;
    browser
        .press_control("Reload the source, keeping my changes")
        .await;
    browser.wait_for_text("with your changes").await;
    let bucket = browser.value("[name='credential_attributes.bucket']").await;
    assert_eq!(bucket, "their-bucket");
    browser.press_control("Save changes").await;
    browser.wait_for_text("Saved photos").await;
    let stored = app.get(&path, &key).await.json();
    assert_eq!(stored["credentials"]["prefix"], "mine/");
    assert_eq!(stored["credentials"]["bucket"], "their-bucket");
    assert_eq!(
        stored["credentials"]["secret_access_key"], "****",
        "the untouched secret is kept"
    );
    let events = app.get(&format!("{path}/events"), &key).await.json();
    let edit = &events[0]["changes"];
    assert_eq!(
        edit.as_array().unwrap().len(),
        1,
        "only the changed field: {edit}"
    );

    // Delete: the name asked for first.
    browser.fill("form.danger input", "not-photos").await;
    browser.press_control("Delete source").await;
    browser.wait_for_text("The name does not match").await;
    assert_eq!(app.get(&path, &key).await.status, 200);
    browser.fill("form.danger input", "photos").await;
    browser.press_control("Delete source").await;
    browser.wait_for_text("Deleted the source photos").await;
    assert_eq!(app.get(&path, &key).await.status, 404);
    browser.goto_hash("activity").await;
    browser.wait_for_text("deleted").await;
    // Each change a sentence in words (docs/SPEC.md §27), never a field's path.
    browser
        .wait_for_text("Bucket: their-bucket (removed)")
        .await;
    browser.wait_for_text("Enabled: yes → no").await;
    browser
        .wait_for_text("Secret access key changed (a secret: its value is never shown)")
        .await;
    let text = browser.body_text().await;
    assert!(
        !text.contains("credentials.") && !text.contains("delivery."),
        "{text}"
    );
    screen(&browser, "activity").await;
    // Only the rotations; then only the deleted photos' deletion, found by its name.
    browser.choose("#main select", "secret_token_rotated").await;
    browser.wait_for_text("rotated the signing token of").await;
    browser.wait_for_count("ol.events > li", 1).await;
    browser.choose("#main select", "deleted").await;
    browser.wait_for_count("ol.events > li", 1).await;
    browser.fill("input[type='search']", "nobody").await;
    browser.press_control("Show").await;
    browser.wait_for_text("No source is named nobody.").await;
    browser.quit().await;
}

/// 250 sources paged both ways, search and filters, the list at 360 px, and a read-only key.
#[tokio::test]
async fn paging_both_ways_search_filters_and_a_read_only_key() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let bodies = (0..250)
        .map(|i| source_body(&format!("src-{i:03}"), SourceType::S3))
        .chain([source_body("web-folder", SourceType::Url)])
        .collect();
    app.db.seed_sources("acme", bodies, 16).await;
    sign_in(&browser, &app, &key).await;
    browser.wait_for_text("Page 1").await;
    browser.choose("[name='sort']", "name").await;
    const FIRST_ROW: &str = "return document.querySelector('table.sources tbody tr a').textContent";
    // Each page replaces the one before: its first row tells them apart.
    browser.wait_for_value(FIRST_ROW, json!("src-000")).await;
    screen(&browser, "sources").await;
    for page in 1..=5 {
        browser
            .wait_for_value(FIRST_ROW, json!(format!("src-{:03}", (page - 1) * 50)))
            .await;
        browser.wait_for_text(&format!("Page {page}")).await;
        browser.press_control("Next page").await;
    }
    browser.wait_for_value(FIRST_ROW, json!("web-folder")).await;
    browser.wait_for_text("Page 6").await;
    let next_disabled = browser
        .execute(
            "return [...document.querySelectorAll('.pager button')]
               .find(b => b.textContent === 'Next page').disabled",
            json!([]),
        )
        .await;
    assert_eq!(next_disabled, true, "the last page has no Link");
    for page in (3..=5).rev() {
        browser.press_control("Previous page").await;
        browser
            .wait_for_value(FIRST_ROW, json!(format!("src-{:03}", (page - 1) * 50)))
            .await;
        browser.wait_for_text(&format!("Page {page}")).await;
    }
    // The sort and the page are in the address (docs/SPEC.md §27): a reload, and a link opened
    // afresh, show page 3 sorted by name; the pages before it, unseen there, are one step away.
    let address = browser
        .execute("return location.href", json!([]))
        .await
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        address.contains("sort=name") && address.contains("page=3"),
        "{address}"
    );
    browser.execute("location.reload()", json!([])).await;
    browser.wait_for_text("Page 3").await;
    browser.wait_for_value(FIRST_ROW, json!("src-100")).await;
    assert_eq!(browser.value("[name='sort']").await, "name");
    // The reloaded page never saw pages 1 and 2: one step goes back to the first.
    browser.press_control("First page").await;
    browser.wait_for_value(FIRST_ROW, json!("src-000")).await;
    browser.wait_for_text("Page 1").await;
    browser.press_control("Next page").await;
    browser.wait_for_value(FIRST_ROW, json!("src-050")).await;
    // Back from a source comes back to the page it was opened from.
    browser.press_control("src-050").await;
    browser.wait_for_text("Use this source").await;
    browser.execute("history.back()", json!([])).await;
    browser.wait_for_text("Page 2").await;
    browser.wait_for_value(FIRST_ROW, json!("src-050")).await;
    browser.press_control("Previous page").await;
    browser.wait_for_value(FIRST_ROW, json!("src-000")).await;
    browser.wait_for_text("Page 1").await;

    browser.fill("#search", "SRC-12").await;
    browser.press_control("Search").await;
    browser.wait_for_text("src-129").await;
    browser.wait_for_count("table.sources tbody tr", 10).await;
    browser.fill("#search", "").await;
    browser.choose("[name='source_type']", "url").await;
    browser.wait_for_count("table.sources tbody tr", 1).await;
    browser.wait_for_value(FIRST_ROW, json!("web-folder")).await;
    // No source has failed a check: the health filter (its choices from the OpenAPI document).
    browser.choose("[name='health']", "failed").await;
    browser
        .wait_for_text("No source matches these filters.")
        .await;
    browser.choose("[name='health']", "").await;
    browser.wait_for_count("table.sources tbody tr", 1).await;
    browser.set_viewport(360, 800).await;
    let overflow = browser
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth",
            json!([]),
        )
        .await;
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "nothing wider than 360 px: {overflow}"
    );
    screen(&browser, "sources-360").await;
    browser.set_viewport(1440, 900).await;

    // A read-only key sees the sources and no write control.
    let reader = app
        .db
        .scoped_key("acme", "dashboard", shared::domain::KeyScope::Read)
        .await;
    browser.press_control("Sign out").await;
    sign_in(&browser, &app, &reader).await;
    browser.wait_for_text("read-only").await;
    assert!(!browser.has_control("New source").await);
    // Signing out started afresh: the filters above are gone.
    browser.wait_for_text("Page 1").await;
    let kind = browser.value("[name='source_type']").await;
    assert_eq!(kind, "", "no type filter");
    assert_eq!(browser.find_all("table.sources tbody tr").await.len(), 50);
    browser.fill("#search", "web").await;
    browser.press_control("Search").await;
    // The search's page replaces the first one (which may hold web-folder too).
    browser.wait_for_count("table.sources tbody tr", 1).await;
    browser.press_control("web-folder").await;
    browser.wait_for_text("This key is read-only").await;
    for write in [
        "Edit",
        "Rotate token",
        "Delete source",
        "Verify credentials",
    ] {
        assert!(!browser.has_control(write).await, "{write}");
    }
    assert!(browser.find_now("input[role='switch']").await.is_none());
    screen(&browser, "source-read-only").await;
    browser.quit().await;
}

/// 401, 429 with Retry-After, 503 and a network failure, each said in words.
#[tokio::test]
async fn failures_are_said_in_words() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (app, proxy) = integration_tests::TestApp::builder()
        .spawn_with_faults()
        .await;
    let key = app.db.api_key("acme").await;
    let created = app
        .post("/v1/sources", &key, &source_body("words", SourceType::Url))
        .await
        .json();
    let id = created["id"].as_str().unwrap().to_owned();
    sign_in(&browser, &app, &key).await;
    browser.goto_hash(&format!("sources/{id}")).await;
    browser.wait_for_text("Verify credentials").await;

    // The account's eleventh verification in a minute: 429, with when to try again.
    for _ in 0..10 {
        assert_eq!(
            app.post(&format!("/v1/sources/{id}/verify"), &key, &json!({}))
                .await
                .status,
            200
        );
    }
    browser.press_control("Verify credentials").await;
    browser
        .wait_for_text("Too many requests for this account. Try again in")
        .await;

    // DynamoDB unavailable: 503 in words.
    proxy.set_down(true);
    browser.press_control("Sources").await;
    browser.wait_for_text("briefly unavailable").await;
    proxy.set_down(false);

    // A source deleted meanwhile: 404 in words.
    assert_eq!(
        app.delete(&format!("/v1/sources/{id}"), &key).await.status,
        200
    );
    browser.goto_hash(&format!("sources/{id}")).await;
    browser.wait_for_text("Not found: it was deleted").await;

    // The network failing (what fetch does when nothing answers): said, and the view stays.
    browser
        .execute(
            "window.fetch0 = window.fetch;
             window.fetch = () => Promise.reject(new TypeError('Failed to fetch'))",
            json!([]),
        )
        .await;
    browser.press_control("Activity").await;
    browser.wait_for_text("The API could not be reached").await;
    browser
        .execute("window.fetch = window.fetch0", json!([]))
        .await;

    // The key revoked meanwhile: 401 in words.
    let hash = shared::domain::ApiKey::from_header(&key).unwrap().hash();
    app.db
        .store
        .revoke_api_key(
            &shared::domain::AccountId::parse("acme").unwrap(),
            shared::store::KeyTarget::Hash(&hash),
            shared::store::LastAdmin::MayRevoke,
            &shared::domain::Actor::operator(),
        )
        .await
        .unwrap();
    browser.press_control("Sources").await;
    browser.wait_for_text("The API key was refused").await;
    browser.quit().await;
}

/// The account's keys (docs/SPEC.md §26, §27): an administrator makes a read key by keyboard
/// (its steps counted), sees it once with a way to copy it, and revokes it after being asked; a
/// read key sees the list and what it may not do.
#[tokio::test]
async fn keys_are_made_by_keyboard_shown_once_and_revoked_after_asking() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let admin = app
        .db
        .scoped_key("acme", "owner", shared::domain::KeyScope::Admin)
        .await;
    sign_in(&browser, &app, &admin).await;
    browser.press_control("API keys").await;
    browser.find("#main h1").await;
    browser.wait_for_text("New key").await;
    screen(&browser, "keys").await;

    // From the page's title, which has the focus: Tab to the name, type it, Tab past what it may
    // do ("Read only", the least, is chosen first), Tab to how long it works and choose
    // "90 days" by its first character, Tab to the button and Enter.
    let mut steps = 0;
    for (keys, typed) in [
        ("\u{E004}", false),
        ("CI plan", true),
        ("\u{E004}", false),
        ("\u{E004}", false),
        ("9", false),
        ("\u{E004}", false),
        ("\u{E007}", false),
    ] {
        browser.press(keys).await;
        steps += if typed { 1 } else { keys.chars().count() };
    }
    browser.wait_for_text("Copy it now").await;
    assert_eq!(steps, 7, "making a key takes 7 steps");
    let made = browser.text(&browser.find(".new-key").await).await;
    assert!(made.starts_with("isk_"), "{made}");
    assert!(browser.has_control("Copy the key").await);
    let shown = app.get("/v1/api_key", &made).await.json();
    assert_eq!(shown["api_key"]["scope"], "read");
    assert_eq!(shown["api_key"]["label"], "CI plan");
    assert!(shown["api_key"]["expires_at"].is_string(), "90 days");
    screen(&browser, "key-made").await;
    // Shown once: coming back lists it without the key.
    browser.press_control("Sources").await;
    browser.press_control("API keys").await;
    browser.wait_for_text("CI plan").await;
    browser
        .wait_for_value("return document.activeElement.tagName", json!("H1"))
        .await;
    assert!(!browser.body_text().await.contains(&made));

    // Revoking asks first; "Keep it" keeps it, then the revocation takes: 2 steps each.
    let revoke = browser.find("button[aria-label='Revoke CI plan']").await;
    browser.click(&revoke).await;
    browser.press_control("Keep it").await;
    assert_eq!(app.get("/v1/sources", &made).await.status, 200);
    let revoke = browser.find("button[aria-label='Revoke CI plan']").await;
    browser.click(&revoke).await;
    browser.wait_for_text("It stops working at once").await;
    screen(&browser, "key-revoke").await;
    browser.press("\u{E007}").await;
    browser.wait_for_text("Revoked the key CI plan").await;
    assert_eq!(app.get("/v1/sources", &made).await.status, 401);

    // The last administrator key cannot be revoked: said in words.
    let own = browser.find("button[aria-label='Revoke owner']").await;
    browser.click(&own).await;
    browser.press("\u{E007}").await;
    browser.wait_for_text("last working admin key").await;
    assert_eq!(app.get("/v1/sources", &admin).await.status, 200);

    // A read key sees the keys and what it may not do.
    let read = app
        .db
        .scoped_key("acme", "viewer", shared::domain::KeyScope::Read)
        .await;
    browser.press_control("Sign out").await;
    sign_in(&browser, &app, &read).await;
    browser.press_control("API keys").await;
    browser
        .wait_for_text("Only an administrator key can create or revoke keys")
        .await;
    assert!(browser.find_all("form").await.is_empty());
    assert!(!browser.has_control("Revoke").await);
    screen(&browser, "keys-read-only").await;
    browser.quit().await;
}

/// "Use this source" (docs/SPEC.md §25, §27): where its images are served, a signed example made
/// in the browser that the CDN's own check accepts, and the object check, found and not found; a
/// read key is told it cannot sign.
#[tokio::test]
async fn a_source_says_where_its_images_are_signs_an_example_and_checks_an_image() {
    use integration_tests::storage::{Reply, WebServer};
    let Some(browser) = Browser::start().await else {
        return;
    };
    let web = WebServer::start(vec![
        ("/base/", Reply::Status(200)),
        (
            "/base/photos/cat.jpg",
            Reply::Body("image/jpeg", vec![b'x'; 100_000]),
        ),
    ])
    .await;
    let network = TestNetwork::start().await;
    network.answer("images.test", &["127.0.0.1"]);
    let cdn = shared::domain::CdnSettings::new(
        Some("https://img.example.com/"),
        Some("imgcdn.example.com"),
        Some("cdn.example.net"),
    )
    .unwrap();
    let app = TestApp::builder()
        .verifying(network.verifier(true, &[]))
        .cdn(cdn)
        .spawn()
        .await;
    let key = app.db.api_key("acme").await;
    let url = format!("http://images.test:{}/base/", web.address.port());
    let mut body = integration_tests::fixtures::source_with(
        "my-images",
        SourceType::Url,
        json!({"url": url, "require_token": "true"})
            .as_object()
            .unwrap()
            .clone(),
    );
    body["source"]["delivery"] =
        json!({"custom_domains": ["images.acme.com"], "subdomains": ["my-images"]});
    let created = app.post("/v1/sources", &key, &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let created = created.json();
    let id = created["id"].as_str().unwrap();
    sign_in(&browser, &app, &key).await;
    browser.goto_hash(&format!("sources/{id}")).await;
    browser.wait_for_text("Use this source").await;
    browser
        .wait_for_value("return document.activeElement.tagName", json!("H1"))
        .await;
    let text = browser.body_text().await;
    for served in [
        "https://img.example.com/my-images/<image path>",
        "https://my-images.imgcdn.example.com/<image path>",
        "https://images.acme.com/<image path>",
        "Point each custom domain at cdn.example.net with a CNAME record.",
    ] {
        assert!(text.contains(served), "{served} in {text}");
    }
    // The example the browser signed is one the CDN's own check accepts.
    browser.wait_for_text("?bossToken=").await;
    let example = browser.text(&browser.find(".signed code").await).await;
    let (address, signed) = example.split_once("?bossToken=").unwrap();
    assert_eq!(address, "https://img.example.com/my-images/photos/cat.jpg");
    let stored = app
        .db
        .store
        .get_source(
            &shared::domain::AccountId::parse("acme").unwrap(),
            &shared::domain::SourceId::parse(id).unwrap(),
        )
        .await
        .unwrap();
    assert!(shared::domain::signing::verify_boss_token(
        &stored,
        "/my-images/photos/cat.jpg",
        signed,
        Timestamp::now()
    ));
    let signed = signed.to_owned();
    screen(&browser, "use-source").await;

    // The object check: found, then not found, each result taking the focus.
    browser
        .fill("input[placeholder='photos/cat.jpg']", "photos/cat.jpg")
        .await;
    browser.press_control("Check the image").await;
    browser
        .wait_for_text("Found: image/jpeg, 100,000 bytes.")
        .await;
    let focused = browser
        .execute("return document.activeElement.textContent", json!([]))
        .await;
    assert_eq!(focused, "Found: image/jpeg, 100,000 bytes.");
    browser
        .fill("input[placeholder='photos/cat.jpg']", "photos/dog.jpg")
        .await;
    browser.press_control("Check the image").await;
    browser
        .wait_for_text("Not found: The storage has no object at this path")
        .await;

    // A read key sees where, not how to sign.
    let read = app
        .db
        .scoped_key("acme", "viewer", shared::domain::KeyScope::Read)
        .await;
    browser.press_control("Sign out").await;
    sign_in(&browser, &app, &read).await;
    browser.goto_hash(&format!("sources/{id}")).await;
    browser
        .wait_for_text("This key cannot see the signing token, so it cannot show a signed example.")
        .await;
    assert!(!browser.body_text().await.contains(&signed));
    browser.quit().await;
}

/// The list says why a source failed its last check (docs/SPEC.md §27), not only that it did.
#[tokio::test]
async fn the_list_says_why_a_source_failed() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let created = app
        .post(
            "/v1/sources",
            &key,
            &source_body("unreachable", SourceType::Url),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    // The kit's network resolves no name: the check fails, and that is the source's health.
    let verified = app
        .send(
            app.http
                .post(app.url(&format!("/v1/sources/{id}/verify")))
                .header("imageboss-api-key", &key),
        )
        .await;
    let message = verified.json()["verification"]["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    sign_in(&browser, &app, &key).await;
    browser.wait_for_text(&format!("failed: {message}")).await;
    browser.quit().await;
}

/// The delivery settings as a form made for them (docs/SPEC.md §27): a custom domain added in a
/// counted number of steps, lifetimes chosen as durations within their bounds, default image
/// settings as rows, a fallback image behind its own switch, behaviours in words.
#[tokio::test]
async fn delivery_settings_are_edited_as_lists_rows_durations_and_switches() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let key = app.db.api_key("acme").await;
    let created = app
        .post(
            "/v1/sources",
            &key,
            &source_body("delivered", SourceType::Url),
        )
        .await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/sources/{id}");
    sign_in(&browser, &app, &key).await;
    browser.goto_hash(&format!("sources/{id}")).await;
    browser.wait_for_text("Use this source").await;

    // Add a custom domain by keyboard, from the page's title: Tab to "Add a custom domain",
    // Enter; type it (the new entry has the focus); Enter saves.
    browser
        .wait_for_value("return document.activeElement.tagName", json!("H1"))
        .await;
    let mut steps = tab_until(&browser, "e.textContent === 'Add a custom domain'", 60).await;
    browser.press("\u{E007}").await;
    steps += 1;
    browser
        .wait_for_value(
            "return document.activeElement.getAttribute('aria-label')",
            json!("Custom domains: entry 1"),
        )
        .await;
    browser.press("images.acme.com").await;
    steps += 1;
    browser.press("\u{E007}").await;
    steps += 1;
    browser.wait_for_text("Saved delivered").await;
    assert_eq!(steps, 6, "adding a custom domain takes {steps} steps");
    let stored = app.get(&path, &key).await.json();
    assert_eq!(
        stored["delivery"]["custom_domains"],
        json!(["images.acme.com"])
    );

    // The rest of the editor: durations offered only within bounds, rows, a switch.
    browser.press_control("Edit").await;
    let ttl = "[name='delivery.cache.ttl']";
    browser.find(ttl).await;
    let offered = browser
        .execute(
            "return [...document.querySelector(arguments[0]).options].map(o => o.textContent)",
            json!([ttl]),
        )
        .await;
    assert_eq!(
        offered,
        json!([
            "The default (1 year)",
            "30 minutes",
            "1 hour",
            "6 hours",
            "1 day",
            "1 week",
            "30 days",
            "1 year"
        ]),
        "nothing under the 30 minutes the API allows"
    );
    browser.choose(ttl, "86400").await;
    let behaviors = browser
        .execute(
            "return [...document.querySelector(\"[name='delivery.cache.behavior']\").options].map(o => o.textContent)",
            json!([]),
        )
        .await;
    assert!(
        behaviors
            .to_string()
            .contains("Follow the origin's cache headers"),
        "{behaviors}"
    );
    browser
        .press_control("Add a row to default image settings")
        .await;
    browser.press("q").await;
    browser.press("\u{E004}").await;
    browser.press("75").await;
    screen(&browser, "edit-delivery").await;
    browser.press_control("Save changes").await;
    browser.wait_for_text("Saved delivered").await;
    let stored = app.get(&path, &key).await.json();
    assert_eq!(stored["delivery"]["cache"]["ttl"], 86400);
    assert_eq!(stored["delivery"]["default_params"], json!({"q": "75"}));
    assert_eq!(
        stored["delivery"]["custom_domains"],
        json!(["images.acme.com"]),
        "kept"
    );
    assert_eq!(stored["delivery"]["fallback_images"]["error"], Value::Null);
    browser.quit().await;
}

/// Presses Tab from where the focus is until `script` (run on the focused element) is true, at
/// most `limit` times: how many Tabs it took.
async fn tab_until(browser: &Browser, script: &str, limit: usize) -> usize {
    for tabs in 1..=limit {
        browser.press("\u{E004}").await;
        let there = browser
            .execute(
                &format!("const e = document.activeElement; return Boolean({script});"),
                json!([]),
            )
            .await;
        if there == json!(true) {
            return tabs;
        }
    }
    panic!("{script}: not reached in {limit} Tabs");
}

/// Rotating a token and revoking a key by keyboard alone (docs/SPEC.md §27), each counted from
/// the page's title, which has the focus when a page opens: Tabs to the control, then the keys
/// that act. The counts are the layout's: a change that makes a task longer shows here.
#[tokio::test]
async fn rotating_a_token_and_revoking_a_key_by_keyboard_count_their_steps() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let admin = app
        .db
        .scoped_key("acme", "owner", shared::domain::KeyScope::Admin)
        .await;
    let created = app
        .post(
            "/v1/sources",
            &admin,
            &source_body("rotated", SourceType::Url),
        )
        .await
        .json();
    let id = created["id"].as_str().unwrap().to_owned();
    sign_in(&browser, &app, &admin).await;

    // Rotate: Tab to the grace choice (a day, the default), Tab to the button, Enter.
    browser.goto_hash(&format!("sources/{id}")).await;
    browser.wait_for_text("Rotate token").await;
    // Where the console puts the focus when the page is ready: its title.
    browser
        .wait_for_value("return document.activeElement.tagName", json!("H1"))
        .await;
    let to_choice = tab_until(&browser, "e.type === 'radio' && e.value === '86400'", 60).await;
    browser.press("\u{E004}\u{E007}").await;
    browser.wait_for_text("The token was rotated").await;
    let rotate_steps = to_choice + 2;
    let rotated = app.get(&format!("/v1/sources/{id}"), &admin).await.json();
    assert_ne!(
        rotated["credentials"]["secret_token"],
        created["credentials"]["secret_token"]
    );
    assert_eq!(
        rotate_steps, 11,
        "rotating a token takes {rotate_steps} steps"
    );

    // Revoke: a key to revoke, then Tab to its Revoke, Enter, Enter on the confirmation (which
    // has the focus).
    let doomed = app
        .db
        .scoped_key("acme", "doomed", shared::domain::KeyScope::Read)
        .await;
    browser.press_control("API keys").await;
    browser.wait_for_text("doomed").await;
    browser
        .wait_for_value("return document.activeElement.tagName", json!("H1"))
        .await;
    let to_revoke = tab_until(
        &browser,
        "e.getAttribute('aria-label') === 'Revoke doomed'",
        60,
    )
    .await;
    browser.press("\u{E007}").await;
    browser.wait_for_text("It stops working at once").await;
    browser.press("\u{E007}").await;
    browser.wait_for_text("Revoked the key doomed").await;
    let revoke_steps = to_revoke + 2;
    assert_eq!(app.get("/v1/sources", &doomed).await.status, 401);
    assert_eq!(revoke_steps, 7, "revoking a key takes {revoke_steps} steps");
    browser.quit().await;
}
