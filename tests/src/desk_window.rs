//! `DeskWindow`: the real PLKK Desk window, driven over WebDriver by the end-to-end tests.
//!
//! `launch` starts `tauri-driver` on free ports (it starts WebKitWebDriver, which starts
//! `target/debug/plkk-desk`) with the app's data directory in `PLKK_DATA_DIR`, private XDG
//! directories and `PLKK_KDF=fast` (cheap key derivation for accounts made through the window),
//! opens a fantoccini session and waits until the UI has rendered its first screen: setup on a
//! new desk, else sign-in. `launch_as` also signs a staff account in; `sign_in`, `lock`,
//! `unlock_with_password`, `unlock_with_pin`, `switch_user` and `sign_out` drive the gate screens,
//! and `invoke` calls a desk command directly, as the UI would (to check what the desk refuses). Teardown keeps
//! the order that avoids the races in /work/shared/LINUX.md: end the session, wait for the app
//! to exit (kill it if it lingers), and only then stop `tauri-driver`, always with SIGTERM: a
//! SIGKILL would leave WebKitWebDriver serving its port to the next run. Every process of one
//! launch carries a unique environment marker, so teardown finds exactly its own processes in
//! `/proc` and nothing else. The helpers address the DOM hooks of the UI contract (form fields
//! by `name`, everything else by `data-testid`); they serve tests only, so they panic with the
//! selector and what was expected instead of returning errors.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::accounts::Staff;

/// How long an element the test expects may take to appear.
pub const UI_TIMEOUT: Duration = Duration::from_secs(10);
/// From starting `tauri-driver` to a rendered UI (a cold WebKit start on 2 cores is slow).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the app gets to exit by itself after its session ended, before it is killed.
const APP_EXIT_GRACE: Duration = Duration::from_secs(5);
/// How long `tauri-driver` and leftovers get to exit after SIGTERM.
const DRIVER_EXIT_GRACE: Duration = Duration::from_secs(5);
/// The elements whose presence means the UI has rendered: the first screen of a set-up desk
/// (sign-in) or of a new one (setup).
const RENDERED: &str = r#"[data-testid="sign-in-screen"], [data-testid="setup-screen"]"#;
/// The sign-in screen (after start, and after signing out).
pub const SIGN_IN_SCREEN: &str = r#"[data-testid="sign-in-screen"]"#;
/// The lock screen. It comes first in the document, before the hidden app beneath it.
pub const LOCK_SCREEN: &str = r#"[data-testid="lock-screen"]"#;
/// The app of the signed-in person while it is visible (not under the lock screen).
pub const VISIBLE_APP: &str = ".app-shell:not([hidden])";
/// The process name (`/proc/PID/comm`) of the app.
const APP_NAME: &str = "plkk-desk";
/// Environment variable set on every process of one launch, unique to that launch.
const MARKER_VAR: &str = "PLKK_E2E_LAUNCH";

/// One running PLKK Desk window and the `tauri-driver` serving it.
#[derive(Debug)]
pub struct DeskWindow {
    /// `None` once the session has been closed.
    client: Option<Client>,
    /// `None` once torn down.
    driver: Option<Child>,
    /// Private XDG directories and the driver's log (the app's output goes there too).
    scratch: TempDir,
    /// `MARKER_VAR=<value>` as it appears in `/proc/PID/environ`.
    marker: String,
    /// This window's turn: one window at a time per test binary (released last, after teardown).
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// Tests of one binary run in parallel threads; two windows at once on a two-core machine make
/// both slow enough to time out, so each launch waits for the previous window to close.
static WINDOW_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl DeskWindow {
    /// Start the app on `data_dir` and wait until its UI has rendered.
    pub async fn launch(data_dir: &Path) -> DeskWindow {
        DeskWindow::launch_showing(data_dir, RENDERED).await
    }

    /// Start the app on a set-up desk and sign `staff` in with the password.
    pub async fn launch_as(data_dir: &Path, staff: Staff) -> DeskWindow {
        let window = DeskWindow::launch(data_dir).await;
        window.sign_in_as(staff).await;
        window
    }

    /// Like `launch`, but waits for `ready_css` instead of the first screen (e.g. an error screen).
    pub async fn launch_showing(data_dir: &Path, ready_css: &str) -> DeskWindow {
        require_display();
        let turn = WINDOW_TURN.lock().await;
        let app = app_binary();
        let driver_binary = tauri_driver_binary();
        let scratch = tempfile::Builder::new()
            .prefix("plkk-e2e-")
            .tempdir()
            .expect("create a scratch directory for the window's XDG directories");
        for sub in ["data", "cache", "config"] {
            std::fs::create_dir(scratch.path().join(sub)).expect("create a private XDG directory");
        }
        let log =
            File::create(scratch.path().join("tauri-driver.log")).expect("create the driver log");
        let [port, native_port] = free_ports();
        let marker_value = scratch.path().display().to_string();
        let driver = Command::new(&driver_binary)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("PLKK_DATA_DIR", data_dir)
            // Passwords set through the window (setup, new accounts) are hashed cheaply.
            .env("PLKK_KDF", "fast")
            .env("XDG_DATA_HOME", scratch.path().join("data"))
            .env("XDG_CACHE_HOME", scratch.path().join("cache"))
            .env("XDG_CONFIG_HOME", scratch.path().join("config"))
            .env(MARKER_VAR, &marker_value)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("share the driver log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("start {}: {error}", driver_binary.display()));
        // From here on a panic drops `window`, which tears down what has started.
        let mut window = DeskWindow {
            client: None,
            driver: Some(driver),
            scratch,
            marker: format!("{MARKER_VAR}={marker_value}"),
            _turn: turn,
        };
        window.wait_for_driver_port(port);
        window.client = Some(window.new_session(port, &app).await);
        window.wait_for(ready_css, STARTUP_TIMEOUT).await;
        window
    }

    /// The WebDriver session, for what the helpers below do not cover.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open")
    }

    /// The first element matching `css`, waiting up to `timeout` for it to appear.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        match self
            .client()
            .wait()
            .at_most(timeout)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(error) => panic!("`{css}` did not appear within {timeout:?}: {error}"),
        }
    }

    /// Every element matching `css` now (no waiting).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client()
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("find `{css}`: {error}"))
    }

    /// Wait up to `timeout` until exactly `expected` elements match `css`; returns them.
    pub async fn wait_for_count(
        &self,
        css: &str,
        expected: usize,
        timeout: Duration,
    ) -> Vec<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.find_all(css).await;
            if found.len() == expected {
                return found;
            }
            if Instant::now() >= deadline {
                panic!(
                    "expected {expected} of `{css}` within {timeout:?}, found {}",
                    found.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Check for `duration` that no element matches `css`: for asserting that something did not
    /// happen, where no event marks the moment it would have.
    pub async fn assert_absent_for(&self, css: &str, duration: Duration, why: &str) {
        let deadline = Instant::now() + duration;
        while Instant::now() < deadline {
            let found = self.find_all(css).await.len();
            assert_eq!(found, 0, "{why}: found {found} of `{css}`");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Wait up to `timeout` until the text of the first element matching `css` contains
    /// `expected`; returns that text.
    pub async fn wait_for_text(&self, css: &str, expected: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let element = self.wait_for(css, timeout).await;
        loop {
            // The element may be re-rendered meanwhile: find it again after a stale read.
            let text = match element.text().await {
                Ok(text) => text,
                Err(_) => self
                    .wait_for(css, timeout)
                    .await
                    .text()
                    .await
                    .unwrap_or_default(),
            };
            if text.contains(expected) {
                return text;
            }
            if Instant::now() >= deadline {
                panic!(
                    "`{css}` should contain {expected:?} within {timeout:?}; its text is {text:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Click the first `[data-testid=TESTID]`, waiting for it to appear.
    pub async fn click(&self, testid: &str) {
        let element = self.wait_for(&testid_css(testid), UI_TIMEOUT).await;
        self.click_element(&element, &testid_css(testid)).await;
    }

    /// Click `element` (`what` names it in a failure), scrolled to the middle of the view first:
    /// WebDriver scrolls an element only to the edge of the view, where sticky bars cover it.
    pub async fn click_element(&self, element: &Element, what: &str) {
        self.scroll_to_middle(element).await;
        if let Err(error) = element.click().await {
            panic!("click `{what}`: {error:?}");
        }
    }

    async fn scroll_to_middle(&self, element: &Element) {
        self.script(
            "arguments[0].scrollIntoView({block: 'center', inline: 'center'});",
            vec![element_arg(element)],
        )
        .await;
    }

    /// The text of the first `[data-testid=TESTID]`, waiting for it to appear.
    pub async fn text(&self, testid: &str) -> String {
        let css = testid_css(testid);
        let element = self.wait_for(&css, UI_TIMEOUT).await;
        element
            .text()
            .await
            .unwrap_or_else(|error| panic!("read the text of `{css}`: {error}"))
    }

    /// Set the form field `[name=NAME]` anywhere on the page to `value`.
    pub async fn fill(&self, name: &str, value: &str) {
        self.fill_in("", name, value).await;
    }

    /// Set the form field `[name=NAME]` inside the first `scope` (a CSS selector, e.g. a form)
    /// to `value`: text is cleared and typed, a select gets the option with that value, a radio
    /// group gets the button with that value, and date/time inputs are set by script (typing
    /// into them in WebKit is unreliable).
    pub async fn fill_in(&self, scope: &str, name: &str, value: &str) {
        let css = format!("{scope} [name=\"{name}\"]")
            .trim_start()
            .to_string();
        let element = self.wait_for(&css, UI_TIMEOUT).await;
        let tag = element.tag_name().await.unwrap_or_default().to_lowercase();
        let kind = element
            .attr("type")
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
            .to_lowercase();
        match (tag.as_str(), kind.as_str()) {
            ("select", _) => {
                let options = self
                    .script(
                        "return Array.from(arguments[0].options).map(o => o.value);",
                        vec![element_arg(&element)],
                    )
                    .await;
                let has_option = options
                    .as_array()
                    .is_some_and(|options| options.iter().any(|option| option == value));
                assert!(
                    has_option,
                    "`{css}` has no option {value:?}; its options: {options}"
                );
                self.scroll_to_middle(&element).await;
                if let Err(error) = element.select_by_value(value).await {
                    eprintln!("desk window: WebDriver could not choose {value:?} in `{css}` ({error:?}); setting it by script");
                }
                // Make sure the UI's bindings hear of the choice, whatever WebKit fired.
                self.set_by_script(&element, value).await;
            }
            ("input", "radio") => {
                let button = self
                    .wait_for(&format!("{css}[value=\"{value}\"]"), UI_TIMEOUT)
                    .await;
                let what = format!("{css}[value=\"{value}\"]");
                // A click can land while the form is still laying out after the previous field
                // (a select re-renders what follows it); a person would click again, so do we,
                // up to three times, and fail if the choice is still not made.
                let mut checked = None;
                for attempt in 1..=3 {
                    self.click_element(&button, &what).await;
                    let deadline = Instant::now() + Duration::from_secs(2);
                    loop {
                        checked = button.prop("checked").await.ok().flatten();
                        if checked.as_deref() == Some("true") || Instant::now() >= deadline {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    if checked.as_deref() == Some("true") {
                        break;
                    }
                    eprintln!("desk window: click {attempt} on `{what}` did not choose it");
                }
                assert_eq!(
                    checked.as_deref(),
                    Some("true"),
                    "clicking the choice {value:?} of `{css}` must choose it"
                );
                return;
            }
            ("input", "date" | "datetime-local" | "time" | "month") => {
                self.set_by_script(&element, value).await;
            }
            _ if value.is_empty() => {
                self.set_by_script(&element, value).await;
            }
            _ => {
                // In the middle of the view: at its edge a sticky bar may cover the field.
                self.scroll_to_middle(&element).await;
                element
                    .clear()
                    .await
                    .unwrap_or_else(|error| panic!("clear `{css}`: {error}"));
                element
                    .send_keys(value)
                    .await
                    .unwrap_or_else(|error| panic!("type into `{css}`: {error}"));
            }
        }
        let now = element
            .prop("value")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        assert_eq!(now, value, "`{css}` should hold what was entered into it");
    }

    /// Choose the file at `path` in the file input `[name=NAME]` inside the first `scope`, as the
    /// system's file picker would (WebDriver sends the path to the input).
    pub async fn choose_file(&self, scope: &str, name: &str, path: &Path) {
        let css = format!("{scope} [name=\"{name}\"]")
            .trim_start()
            .to_string();
        let element = self.wait_for(&css, UI_TIMEOUT).await;
        element
            .send_keys(&path.display().to_string())
            .await
            .unwrap_or_else(|error| panic!("choose {} in `{css}`: {error}", path.display()));
        let count = self
            .script(
                "return arguments[0].files.length;",
                vec![element_arg(&element)],
            )
            .await;
        assert_eq!(count, json!(1), "`{css}` should hold the chosen file");
    }

    /// The current `value` of the form field `[name=NAME]` inside the first `scope`.
    pub async fn value_in(&self, scope: &str, name: &str) -> String {
        let css = format!("{scope} [name=\"{name}\"]")
            .trim_start()
            .to_string();
        let element = self.wait_for(&css, UI_TIMEOUT).await;
        element
            .prop("value")
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Run `script` in the page with `args` and return its result.
    pub async fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.client()
            .execute(script, args)
            .await
            .unwrap_or_else(|error| panic!("run script {script:?}: {error}"))
    }

    async fn set_by_script(&self, element: &Element, value: &str) {
        self.script(
            "const [el, value] = arguments; el.value = value; \
             el.dispatchEvent(new Event('input', {bubbles: true})); \
             el.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![element_arg(element), json!(value)],
        )
        .await;
    }

    /// Click the first element matching `css`, waiting for it to appear.
    pub async fn click_css(&self, css: &str) {
        let element = self.wait_for(css, UI_TIMEOUT).await;
        self.click_element(&element, css).await;
    }

    /// Wait up to `timeout` until no element matches `css`.
    pub async fn wait_until_absent(&self, css: &str, timeout: Duration) {
        self.wait_for_count(css, 0, timeout).await;
    }

    /// Wait up to `timeout` for the first of `candidates` (CSS selectors) to match; returns its
    /// index and the element.
    pub async fn wait_for_any(&self, candidates: &[&str], timeout: Duration) -> (usize, Element) {
        let deadline = Instant::now() + timeout;
        loop {
            for (index, css) in candidates.iter().enumerate() {
                if let Some(element) = self.find_all(css).await.into_iter().next() {
                    return (index, element);
                }
            }
            if Instant::now() >= deadline {
                panic!("none of {candidates:?} appeared within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Type `username` and `password` into the sign-in form inside `scope` (the sign-in screen,
    /// or the lock screen's "Ganti pengguna") and submit it; does not wait for the answer.
    pub async fn submit_sign_in(&self, scope: &str, username: &str, password: &str) {
        let form = format!("{scope} [data-testid=\"sign-in-form\"]");
        self.fill_in(&form, "username", username).await;
        self.fill_in(&form, "password", password).await;
        self.click_css(&format!("{form} [data-testid=\"sign-in\"]"))
            .await;
    }

    /// Sign in on the sign-in screen; waits until the app is shown (panics with the screen's
    /// message when the sign-in is refused).
    pub async fn sign_in(&self, username: &str, password: &str) {
        self.wait_for(SIGN_IN_SCREEN, UI_TIMEOUT).await;
        self.submit_sign_in(SIGN_IN_SCREEN, username, password)
            .await;
        self.wait_for_app_after_sign_in(SIGN_IN_SCREEN, username)
            .await;
    }

    /// Sign `staff` in on the sign-in screen; waits until the app shows their name.
    pub async fn sign_in_as(&self, staff: Staff) {
        self.sign_in(staff.username, staff.password).await;
        self.wait_for_user(staff).await;
    }

    /// Wait until the visible app is signed in as `staff` (their name in the header).
    pub async fn wait_for_user(&self, staff: Staff) {
        self.wait_for_text(
            &format!("{VISIBLE_APP} [data-testid=\"user-name\"]"),
            staff.display_name,
            UI_TIMEOUT,
        )
        .await;
        let role = self
            .wait_for(
                &format!("{VISIBLE_APP} [data-testid=\"user-role\"]"),
                UI_TIMEOUT,
            )
            .await
            .attr("data-role")
            .await
            .ok()
            .flatten();
        assert_eq!(
            role.as_deref(),
            Some(staff.role.as_str()),
            "the header must show {}'s role",
            staff.username
        );
    }

    async fn wait_for_app_after_sign_in(&self, scope: &str, username: &str) {
        let refused = format!("{scope} [data-testid=\"sign-in-error\"]");
        let shown = format!("{VISIBLE_APP} [data-testid=\"lock-now\"]");
        // Key derivation and opening the database take a moment: more than a click's wait.
        let (which, element) = self
            .wait_for_any(&[shown.as_str(), refused.as_str()], STARTUP_TIMEOUT)
            .await;
        if which == 1 {
            let text = element.text().await.unwrap_or_default();
            panic!("signing in as {username:?} was refused: {text:?}");
        }
    }

    /// Lock the screen with the header's "Kunci" button; waits for the lock screen.
    pub async fn lock(&self) {
        self.click_css(&format!("{VISIBLE_APP} [data-testid=\"lock-now\"]"))
            .await;
        self.wait_for(LOCK_SCREEN, UI_TIMEOUT).await;
        self.wait_until_absent(VISIBLE_APP, UI_TIMEOUT).await;
    }

    /// Unlock the lock screen with the locked person's password (switching the form from PIN to
    /// password first when it asks for the PIN); waits until the app is shown again.
    pub async fn unlock_with_password(&self, password: &str) {
        self.unlock("password", password).await;
    }

    /// Unlock the lock screen with the locked person's PIN; waits until the app is shown again.
    pub async fn unlock_with_pin(&self, pin: &str) {
        self.unlock("pin", pin).await;
    }

    /// Type `secret` into the unlock form as `method` ("pin" or "password") and submit it; does
    /// not wait for the answer.
    pub async fn submit_unlock(&self, method: &str, secret: &str) {
        let form = format!("{LOCK_SCREEN} [data-testid=\"unlock-form\"]");
        self.wait_for(&form, UI_TIMEOUT).await;
        if self
            .find_all(&format!("{form} [name=\"{method}\"]"))
            .await
            .is_empty()
        {
            self.click_css(&format!("{form} [data-testid=\"unlock-method\"]"))
                .await;
        }
        self.fill_in(&form, method, secret).await;
        self.click_css(&format!("{form} [data-testid=\"unlock\"]"))
            .await;
    }

    async fn unlock(&self, method: &str, secret: &str) {
        self.submit_unlock(method, secret).await;
        let refused = format!("{LOCK_SCREEN} [data-testid=\"unlock-error\"]");
        let (which, element) = self
            .wait_for_any(&[VISIBLE_APP, refused.as_str()], STARTUP_TIMEOUT)
            .await;
        if which == 1 {
            let text = element.text().await.unwrap_or_default();
            panic!("unlocking with the {method} was refused: {text:?}");
        }
        self.wait_until_absent(LOCK_SCREEN, UI_TIMEOUT).await;
    }

    /// From the lock screen, "Ganti pengguna": sign `staff` in instead; waits until the app shows
    /// them.
    pub async fn switch_user(&self, staff: Staff) {
        self.click_css(&format!("{LOCK_SCREEN} [data-testid=\"switch-user\"]"))
            .await;
        self.submit_sign_in(LOCK_SCREEN, staff.username, staff.password)
            .await;
        self.wait_for_app_after_sign_in(LOCK_SCREEN, staff.username)
            .await;
        self.wait_until_absent(LOCK_SCREEN, UI_TIMEOUT).await;
        self.wait_for_user(staff).await;
    }

    /// Lock the screen and let `staff` sign in instead.
    pub async fn lock_and_switch_to(&self, staff: Staff) {
        self.lock().await;
        self.switch_user(staff).await;
    }

    /// "Keluar": sign out; waits for the sign-in screen.
    pub async fn sign_out(&self) {
        self.click_css(&format!("{VISIBLE_APP} [data-testid=\"sign-out\"]"))
            .await;
        self.wait_for(SIGN_IN_SCREEN, UI_TIMEOUT).await;
    }

    /// Send `keys` (text, or WebDriver key codes such as `TAB`) to the element that has the focus,
    /// as key events.
    pub async fn press(&self, keys: &str) {
        let focused = self
            .client()
            .active_element()
            .await
            .unwrap_or_else(|error| panic!("find the focused element: {error}"));
        focused
            .send_keys(keys)
            .await
            .unwrap_or_else(|error| panic!("send {keys:?} to the focused element: {error}"));
    }

    /// The `name` of the focused form field ("" when the focus is on something without one).
    pub async fn focused_name(&self) -> String {
        let name = self
            .script(
                "return document.activeElement ? (document.activeElement.name || '') : '';",
                vec![],
            )
            .await;
        name.as_str().unwrap_or_default().to_owned()
    }

    /// Resize the window to `width` x `height` and wait until the page has that viewport; returns
    /// the viewport's size.
    pub async fn resize(&self, width: u32, height: u32) -> (u64, u64) {
        self.client()
            .set_window_size(width, height)
            .await
            .unwrap_or_else(|error| panic!("resize the window to {width}x{height}: {error}"));
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let size = self
                .script("return [window.innerWidth, window.innerHeight];", vec![])
                .await;
            let read = |index: usize| size[index].as_u64().unwrap_or_default();
            let (inner_width, inner_height) = (read(0), read(1));
            if (inner_width, inner_height) == (u64::from(width), u64::from(height))
                || Instant::now() >= deadline
            {
                return (inner_width, inner_height);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Call the desk command `command` with `args` (camelCase keys) from the page, as the UI does;
    /// `Err` holds the desk's refusal (`{code, message, issues, wait_seconds}`).
    pub async fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        let script = "const [command, args, done] = arguments;
             window.__TAURI_INTERNALS__.invoke(command, args).then(
               (value) => done({ ok: value === undefined ? null : value }),
               (error) => done({ err: error === undefined ? null : error }));";
        let answer = self
            .client()
            .execute_async(script, vec![json!(command), args])
            .await
            .unwrap_or_else(|error| panic!("invoke {command}: {error}"));
        match answer {
            Value::Object(mut answer) => match (answer.remove("ok"), answer.remove("err")) {
                (Some(value), _) => Ok(value),
                (None, Some(error)) => Err(error),
                (None, None) => panic!("invoke {command}: the script answered neither ok nor err"),
            },
            other => panic!("invoke {command}: unexpected script answer {other}"),
        }
    }

    /// End the session, wait for the app to exit, then stop `tauri-driver`.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            if let Err(error) = client.close().await {
                eprintln!("desk window: ending the WebDriver session failed: {error}");
            }
        }
        self.teardown();
    }

    fn wait_for_driver_port(&mut self, port: u16) {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return;
            }
            let driver = self.driver.as_mut().expect("the driver was started");
            if let Ok(Some(status)) = driver.try_wait() {
                panic!(
                    "tauri-driver exited ({status}) before listening on {port}; its log:\n{}",
                    self.log_tail()
                );
            }
            if Instant::now() >= deadline {
                panic!("tauri-driver did not listen on {port} within {STARTUP_TIMEOUT:?}; its log:\n{}", self.log_tail());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    async fn new_session(&self, port: u16, app: &Path) -> Client {
        let capabilities = json!({
            "browserName": "wry",
            "tauri:options": { "application": app },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        // The driver may accept connections a moment before WebKitWebDriver behind it is ready.
        let mut attempts_left = 3;
        loop {
            match builder.connect(&url).await {
                Ok(client) => return client,
                Err(error) if attempts_left > 0 => {
                    eprintln!("desk window: new session failed, retrying: {error}");
                    attempts_left -= 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(error) => panic!(
                    "start a WebDriver session for {}: {error}; driver log:\n{}",
                    app.display(),
                    self.log_tail()
                ),
            }
        }
    }

    /// The last lines of the driver's log (which also holds the app's output).
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.scratch.path().join("tauri-driver.log"))
            .unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// Stop this launch's processes, app first; safe to call twice.
    fn teardown(&mut self) {
        let Some(mut driver) = self.driver.take() else {
            return;
        };
        let app_pids = marked_processes(&self.marker, Some(APP_NAME));
        let lingering = wait_for_exit(&app_pids, APP_EXIT_GRACE);
        if !lingering.is_empty() {
            eprintln!("desk window: app {lingering:?} still running {APP_EXIT_GRACE:?} after its session ended; killing it");
            signal(&lingering, "TERM");
            let stubborn = wait_for_exit(&lingering, Duration::from_secs(2));
            signal(&stubborn, "KILL");
            wait_for_exit(&stubborn, Duration::from_secs(2));
        }
        signal(&[driver.id()], "TERM");
        let deadline = Instant::now() + DRIVER_EXIT_GRACE;
        while !matches!(driver.try_wait(), Ok(Some(_)) | Err(_)) {
            if Instant::now() >= deadline {
                eprintln!(
                    "desk window: tauri-driver {} ignored SIGTERM for {DRIVER_EXIT_GRACE:?}",
                    driver.id()
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever else still carries the marker (WebKitWebDriver, WebKit helpers) gets SIGTERM too.
        // WebKit's helper processes leave by themselves shortly after the app: give them a moment.
        let leftovers = wait_for_exit(
            &marked_processes(&self.marker, None),
            Duration::from_secs(2),
        );
        if !leftovers.is_empty() {
            let names: Vec<String> = leftovers.iter().map(|&pid| process_name(pid)).collect();
            eprintln!("desk window: stopping leftover processes {leftovers:?} {names:?}");
            signal(&leftovers, "TERM");
            wait_for_exit(&leftovers, DRIVER_EXIT_GRACE);
        }
    }
}

impl Drop for DeskWindow {
    fn drop(&mut self) {
        if self.driver.is_none() {
            return;
        }
        if std::thread::panicking() {
            eprintln!(
                "desk window: driver and app log (last lines):\n{}",
                self.log_tail()
            );
        }
        // The session cannot be ended without awaiting; dropping the client lets fantoccini try,
        // and the teardown kills the app if it stays.
        drop(self.client.take());
        self.teardown();
    }
}

/// WebDriver key codes for `press`.
pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";
/// Ctrl+Enter (the modifier is released after it).
pub const CTRL_ENTER: &str = "\u{E009}\u{E007}\u{E000}";

/// `[data-testid="TESTID"]`.
pub fn testid_css(testid: &str) -> String {
    format!("[data-testid=\"{testid}\"]")
}

/// `element` as a script argument.
pub fn element_arg(element: &Element) -> Value {
    serde_json::to_value(element).expect("an element serializes to JSON")
}

fn require_display() {
    if std::env::var_os("DISPLAY").is_none_or(|display| display.is_empty()) {
        panic!(
            "DISPLAY is not set: the end-to-end test opens a real window. Run it under \
             `xvfb-run -a -s '-screen 0 1280x800x24' cargo test -p plkk-tests --test e2e_desk`"
        );
    }
}

/// `target/<profile>/plkk-desk`, beside the running test binary's `deps/` directory (or beside
/// the running benchmark).
fn app_binary() -> PathBuf {
    let app = crate::bins::profile_dir().join(APP_NAME);
    assert!(
        app.is_file(),
        "{} is missing: build the app first with `(cd ui && npm run build) && cargo build -p plkk-desk`",
        app.display()
    );
    app
}

/// `tauri-driver` from PATH, else from `~/.cargo/bin`.
fn tauri_driver_binary() -> PathBuf {
    let from_path = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("tauri-driver"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let from_cargo =
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo/bin/tauri-driver"));
    from_path.into_iter().chain(from_cargo).find(|candidate| candidate.is_file()).unwrap_or_else(|| {
        panic!("tauri-driver not found on PATH or in ~/.cargo/bin: `cargo install tauri-driver --version '^2' --locked`")
    })
}

/// Two distinct ports that were free a moment ago (both held open while choosing).
fn free_ports() -> [u16; 2] {
    let first = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    let second = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    let port = |listener: &TcpListener| listener.local_addr().expect("a bound address").port();
    [port(&first), port(&second)]
}

/// Processes whose environment holds `marker`, optionally only those named `name`.
fn marked_processes(marker: &str, name: Option<&str>) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let own_pid = std::process::id();
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != own_pid && is_running(pid))
        .filter(|&pid| {
            name.is_none_or(|name| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|comm| comm.trim_end() == name)
            })
        })
        .filter(|&pid| {
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                environ
                    .split(|&byte| byte == 0)
                    .any(|entry| entry == marker.as_bytes())
            })
        })
        .collect()
}

/// `/proc/PID/comm`, for messages.
fn process_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map_or_else(|_| "?".into(), |name| name.trim_end().into())
}

/// Whether `pid` is alive (a zombie has exited: it only waits for its parent to reap it).
fn is_running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the parenthesised name, which may itself contain spaces or parentheses.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    !matches!(state, Some('Z' | 'X') | None)
}

/// Wait up to `timeout` for `pids` to exit; returns those still running.
fn wait_for_exit(pids: &[u32], timeout: Duration) -> Vec<u32> {
    let deadline = Instant::now() + timeout;
    loop {
        let running: Vec<u32> = pids
            .iter()
            .copied()
            .filter(|&pid| is_running(pid))
            .collect();
        if running.is_empty() || Instant::now() >= deadline {
            return running;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Send `SIG<name>` to `pids` with `/usr/bin/kill`: the workspace forbids `unsafe` (so no
/// `libc::kill`), and one signal per teardown does not warrant the `nix` dependency.
fn signal(pids: &[u32], name: &str) {
    if pids.is_empty() {
        return;
    }
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
    if let Err(error) = status {
        eprintln!("desk window: `kill -{name} {pids:?}` failed to run: {error}");
    }
}
