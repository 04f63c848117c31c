//! A real browser for the console's tests (docs/SPEC.md §20): Debian's headless Chromium driven
//! over the W3C WebDriver protocol by its `chromedriver`, with axe-core injected for the
//! accessibility checks.
//!
//! The client is the protocol's few JSON requests over the `reqwest` the kit already links.
//! `fantoccini` was measured for this: it adds 21 crates to the test build (a second `http`,
//! `thiserror` 1, ICU's segmenter and its data, `webdriver`, `cookie`), which the README's second
//! command would compile on every fresh clone, for the dozen calls used here.
//!
//! Nothing leaves the machine: Chromium resolves no name but 127.0.0.1's
//! (`--host-resolver-rules`), and its background services (updates, sync, metrics) are off.
//!
//! Without Chromium, chromedriver or axe-core the tests skip with a message, so the README's test
//! command passes on a bare machine; `.ci/run` installs them and sets
//! [`REQUIRE_BROWSER_VAR`], which turns the skip into a failure.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// Set to `1` (as `.ci/run` does), a missing browser fails the tests instead of skipping them.
pub const REQUIRE_BROWSER_VAR: &str = "IMAGE_SOURCES_REQUIRE_BROWSER";
/// Set to `off`, the browser tests do not run (said on stderr): `.ci/run`'s second pass of the
/// suite, against DynamoDB Local, which tests the store, not the console again.
pub const BROWSER_VAR: &str = "IMAGE_SOURCES_BROWSER";
/// Where axe-core's `axe.min.js` is, if not in one of the places [`axe_source`] looks.
pub const AXE_CORE_VAR: &str = "AXE_CORE_JS";
/// The WebDriver protocol's name for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn first_existing(candidates: &[String]) -> Option<String> {
    candidates
        .iter()
        .find(|path| std::path::Path::new(path).is_file())
        .cloned()
}

fn chromium_binary() -> Option<String> {
    let mut candidates: Vec<String> = std::env::var("CHROMIUM").into_iter().collect();
    candidates.extend(
        [
            "/usr/bin/chromium",
            "/usr/bin/chromium-browser",
            "/usr/bin/google-chrome",
        ]
        .map(str::to_owned),
    );
    first_existing(&candidates)
}

fn chromedriver_binary() -> Option<String> {
    let mut candidates: Vec<String> = std::env::var("CHROMEDRIVER").into_iter().collect();
    candidates.extend(["/usr/bin/chromedriver"].map(str::to_owned));
    first_existing(&candidates)
}

/// axe-core's source: [`AXE_CORE_VAR`], else where `.ci/run` installs it, else a `node_modules`
/// beside the repository.
pub fn axe_source() -> Option<String> {
    let mut candidates: Vec<String> = std::env::var(AXE_CORE_VAR).into_iter().collect();
    let cache = std::env::var("XDG_CACHE_HOME")
        .ok()
        .or_else(|| std::env::var("HOME").ok().map(|h| format!("{h}/.cache")));
    if let Some(cache) = cache {
        candidates.push(format!(
            "{cache}/image-sources-ci/npm-axe/node_modules/axe-core/axe.min.js"
        ));
    }
    candidates.push(format!(
        "{}/../node_modules/axe-core/axe.min.js",
        env!("CARGO_MANIFEST_DIR")
    ));
    first_existing(&candidates).and_then(|path| std::fs::read_to_string(path).ok())
}

/// A headless Chromium with one WebDriver session.
pub struct Browser {
    driver: Child,
    base: String,
    http: reqwest::Client,
    axe: String,
}

/// An element of the page, as WebDriver names it.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Browser {
    /// The browser, or `None` (said on stderr) when this machine has none; with
    /// [`REQUIRE_BROWSER_VAR`] set, a missing part panics instead.
    pub async fn start() -> Option<Browser> {
        if std::env::var(BROWSER_VAR).is_ok_and(|v| v == "off") {
            eprintln!("the console's browser tests are off in this run ({BROWSER_VAR}=off)");
            return None;
        }
        let parts = (chromium_binary(), chromedriver_binary(), axe_source());
        let (Some(chromium), Some(driver), Some(axe)) = parts else {
            let message = "the console's browser tests need Chromium, chromedriver and axe-core \
                 (apt install chromium chromium-driver; npm install axe-core): skipped";
            if std::env::var(REQUIRE_BROWSER_VAR).is_ok_and(|v| v == "1") {
                panic!("{message}, and {REQUIRE_BROWSER_VAR}=1 does not allow it");
            }
            eprintln!("{message}");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        // Its own process group, with the Chromium it starts: a test that fails before `quit`
        // still takes the browser down with it (`Drop`).
        let driver = Command::new(driver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        let server = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let ready = http.get(format!("{server}/status")).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1440,900", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--disable-domain-reliability",
                "--disable-extensions", "--metrics-recording-only", "--safebrowsing-disable-auto-update",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--lang=en-US"
            ]}
        }}});
        let mut browser = Browser {
            driver,
            base: server,
            http,
            axe,
        };
        let session = browser.send("POST", "/session", Some(capabilities)).await;
        let id = session["sessionId"]
            .as_str()
            .expect("a WebDriver session")
            .to_owned();
        browser.base = format!("{}/session/{id}", browser.base);
        browser.set_viewport(1440, 900).await;
        Some(browser)
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(body.unwrap_or_else(|| json!({})).to_string()),
        };
        let response = request.send().await.expect("WebDriver answers");
        let text = response.text().await.unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(error) = value["value"]["error"].as_str() {
            panic!(
                "WebDriver {method} {path}: {error}: {}",
                value["value"]["message"]
            );
        }
        if value.get("sessionId").is_some() {
            return value;
        }
        value["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.send("POST", "/url", Some(json!({"url": url}))).await;
    }

    /// Moves the console to its route `#/<route>` (the page's hash), as a link would.
    pub async fn goto_hash(&self, route: &str) {
        self.execute("location.hash = '#/' + arguments[0]", json!([route]))
            .await;
    }

    /// Makes the page's own viewport `width` x `height` CSS pixels: the window is sized, then
    /// grown by whatever the browser's frame takes.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        self.set_size(width, height).await;
        let inner = self
            .execute("return [window.innerWidth, window.innerHeight]", json!([]))
            .await;
        let (Some(inner_width), Some(inner_height)) = (inner[0].as_u64(), inner[1].as_u64()) else {
            return;
        };
        let grow = |wanted: u32, got: u64| (2 * u64::from(wanted)).saturating_sub(got);
        self.send(
            "POST",
            "/window/rect",
            Some(json!({"width": grow(width, inner_width), "height": grow(height, inner_height)})),
        )
        .await;
    }

    pub async fn set_size(&self, width: u32, height: u32) {
        self.send(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// The first element matching `css` once there is one (at most 10 s).
    pub async fn find(&self, css: &str) -> Element {
        match patiently(async || self.find_now(css).await).await {
            Some(element) => element,
            None => panic!("no element {css} in {}", self.body_text().await),
        }
    }

    /// The elements matching `css` now.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.find_by("css selector", css).await
    }

    async fn find_by(&self, using: &str, value: &str) -> Vec<Element> {
        let found = self
            .send(
                "POST",
                "/elements",
                Some(json!({"using": using, "value": value})),
            )
            .await;
        found
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(|id| Element(id.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub async fn find_now(&self, css: &str) -> Option<Element> {
        self.find_all(css).await.into_iter().next()
    }

    pub async fn click(&self, element: &Element) {
        self.send("POST", &format!("/element/{}/click", element.0), None)
            .await;
    }

    /// The button or link whose text is `text`, once there is one (at most 10 s).
    pub async fn control(&self, text: &str) -> Element {
        let xpath = control_xpath(text);
        let found = patiently(async || self.find_by("xpath", &xpath).await.into_iter().next());
        match found.await {
            Some(element) => element,
            None => panic!("no button or link {text:?} in {}", self.body_text().await),
        }
    }

    /// Clicks the button or link whose text is `text`.
    pub async fn press_control(&self, text: &str) {
        let element = self.control(text).await;
        self.click(&element).await;
    }

    /// Whether a button or link with this text is on the page now.
    pub async fn has_control(&self, text: &str) -> bool {
        !self.find_by("xpath", &control_xpath(text)).await.is_empty()
    }

    /// The value of the form field `css`.
    pub async fn value(&self, css: &str) -> Value {
        self.execute(
            "return document.querySelector(arguments[0]).value",
            json!([css]),
        )
        .await
    }

    /// Chooses `value` in the `select` at `css`, as a person picking it does (a change event).
    pub async fn choose(&self, css: &str, value: &str) {
        self.execute(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1];
             s.dispatchEvent(new Event('change'));",
            json!([css, value]),
        )
        .await;
    }

    /// Ends the session (Chromium exits) and stops chromedriver.
    pub async fn quit(self) {
        self.send("DELETE", "", None).await;
    }

    /// Clicks the first `css` element once there is one.
    pub async fn click_on(&self, css: &str) {
        let element = self.find(css).await;
        self.click(&element).await;
    }

    /// Types `text` into `element`, as keystrokes.
    pub async fn type_into(&self, element: &Element, text: &str) {
        self.send(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        )
        .await;
    }

    pub async fn clear(&self, element: &Element) {
        self.send("POST", &format!("/element/{}/clear", element.0), None)
            .await;
    }

    /// Replaces what the field `css` holds with `text`, typed.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.clear(&element).await;
        self.type_into(&element, text).await;
    }

    /// Presses keys on whatever has the focus (`\u{E004}` is Tab, `\u{E007}` Enter).
    pub async fn press(&self, keys: &str) {
        let mut actions = Vec::new();
        for key in keys.chars() {
            actions.push(json!({"type": "keyDown", "value": key.to_string()}));
            actions.push(json!({"type": "keyUp", "value": key.to_string()}));
        }
        self.send(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .await;
    }

    pub async fn text(&self, element: &Element) -> String {
        self.send("GET", &format!("/element/{}/text", element.0), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// What the page shows, as text.
    pub async fn body_text(&self) -> String {
        self.execute("return document.body.innerText", json!([]))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits (at most 10 s) until the page shows `needle`.
    pub async fn wait_for_text(&self, needle: &str) {
        let shown = patiently(async || self.body_text().await.contains(needle).then_some(()));
        if shown.await.is_none() {
            let text = self.body_text().await;
            panic!("the page never showed {needle:?}; it shows:\n{text}");
        }
    }

    /// Waits (at most 10 s) until exactly `count` elements match `css`: a list re-rendered after a
    /// search, say, before its rows are used.
    pub async fn wait_for_count(&self, css: &str, count: usize) {
        let counted = patiently(async || (self.find_all(css).await.len() == count).then_some(()));
        if counted.await.is_none() {
            let found = self.find_all(css).await.len();
            panic!("{found} elements {css}, never {count}");
        }
    }

    /// Waits (at most 10 s) until `script` answers `expected`.
    pub async fn wait_for_value(&self, script: &str, expected: Value) {
        let answered =
            patiently(async || (self.execute(script, json!([])).await == expected).then_some(()));
        if answered.await.is_none() {
            let answer = self.execute(script, json!([])).await;
            panic!("{script} answered {answer}, never {expected}");
        }
    }

    /// Runs `script` in the page (its arguments are `arguments[0]`, …) and answers its value.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.send(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// The page as a PNG.
    pub async fn screenshot(&self) -> Vec<u8> {
        let encoded = self.send("GET", "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .expect("a base64 PNG")
    }

    /// axe-core's violations of impact serious or critical on the page as it is now, each as
    /// "rule: what, where".
    pub async fn accessibility_violations(&self) -> Vec<String> {
        // Injected as a script element's text: the console's CSP allows no inline script, so it is
        // evaluated by WebDriver instead (which CSP does not govern).
        self.execute(&self.axe, json!([])).await;
        let result = self
            .send(
                "POST",
                "/execute/async",
                Some(json!({"script": "const done = arguments[arguments.length - 1];
                    axe.run(document, {resultTypes: ['violations']})
                      .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                        .map(v => v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
                      .catch(e => done(['axe failed: ' + e]));", "args": []})),
            )
            .await;
        result
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What `attempt` answers, tried every 50 ms until it answers something, for at most 10 s: the
/// console renders after its API calls, so a test waits for what it expects, never a fixed time.
async fn patiently<T>(mut attempt: impl AsyncFnMut() -> Option<T>) -> Option<T> {
    let started = Instant::now();
    loop {
        if let Some(found) = attempt().await {
            return Some(found);
        }
        if started.elapsed() >= Duration::from_secs(10) {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The buttons and links whose text is `text` (a text without `'`, as the console's are).
fn control_xpath(text: &str) -> String {
    format!("//*[(self::button or self::a) and normalize-space(.)='{text}']")
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: chromedriver and the browser it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
