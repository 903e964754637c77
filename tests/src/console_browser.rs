//! `ConsoleBrowser`: a real headless Chromium, driven over WebDriver, for the branch console's
//! end-to-end test. `launch` starts Debian's `chromedriver` (`/usr/bin/chromedriver`, which starts
//! `/usr/bin/chromium`) on a free port with a temporary profile and a 1024×600 window, and opens a
//! fantoccini session. `close` ends the session (the driver then quits the browser) and stops the
//! driver; dropping it without `close` (a failed test) stops the driver and every process whose
//! command line names this launch's profile directory, found in `/proc`, and nothing else. The
//! helpers address the console's form fields by `name` and everything else by CSS; they serve
//! tests only, so they panic with what was expected instead of returning errors.

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

/// Debian's packages (`chromium`, `chromium-driver`).
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long an element the test expects may take to appear.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// The smallest screen the console is made for.
pub const WINDOW: (u32, u32) = (1024, 600);

#[derive(Debug)]
pub struct ConsoleBrowser {
    client: Option<Client>,
    driver: Option<Child>,
    /// The browser profile and the driver's log.
    scratch: TempDir,
    /// The console's address, e.g. `http://127.0.0.1:8700`.
    base: String,
}

impl ConsoleBrowser {
    /// Starts a headless Chromium on the console at `base`.
    pub async fn launch(base: &str) -> ConsoleBrowser {
        for program in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: install Debian's chromium and chromium-driver (scripts/setup.sh)"
            );
        }
        let scratch = tempfile::Builder::new()
            .prefix("plkk-console-browser-")
            .tempdir()
            .expect("a scratch directory");
        let profile = scratch.path().join("profile");
        std::fs::create_dir(&profile).expect("a profile directory");
        let log = File::create(scratch.path().join("chromedriver.log")).expect("a driver log");
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("share the log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("start {CHROMEDRIVER}: {error}"));
        let mut browser = ConsoleBrowser {
            client: None,
            driver: Some(driver),
            scratch,
            base: base.trim_end_matches('/').to_owned(),
        };
        browser.wait_for_port(port);
        browser.client = Some(browser.new_session(port, &profile).await);
        browser
    }

    fn wait_for_port(&mut self, port: u16) {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if let Some(Ok(Some(status))) = self.driver.as_mut().map(Child::try_wait) {
                panic!("chromedriver exited ({status}): {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    async fn new_session(&self, port: u16, profile: &Path) -> Client {
        let (width, height) = WINDOW;
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    // Tests run as root in CI, where Chromium's sandbox cannot start.
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--lang=id-ID",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        builder
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|error| panic!("a Chromium session: {error}; {}", self.log()))
    }

    /// The driver's log (for failures).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.scratch.path().join("chromedriver.log")).unwrap_or_default()
    }

    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open")
    }

    /// Opens `path` of the console.
    pub async fn open(&self, path: &str) {
        self.client()
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|error| panic!("open {path}: {error}"));
    }

    /// The first element matching `css`, waiting for it.
    pub async fn find(&self, css: &str) -> Element {
        self.client()
            .wait()
            .at_most(TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("`{css}` did not appear: {error}"))
    }

    /// Every element matching `css` now.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client()
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("find `{css}`: {error}"))
    }

    /// Types `text` into the form field named `name` (after clearing it).
    pub async fn fill(&self, name: &str, text: &str) {
        let field = self.find(&format!(r#"[name="{name}"]"#)).await;
        field
            .clear()
            .await
            .unwrap_or_else(|error| panic!("clear {name}: {error}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|error| panic!("type into {name}: {error}"));
    }

    /// Picks the option `value` of the select named `name`.
    pub async fn choose(&self, name: &str, value: &str) {
        self.find(&format!(r#"select[name="{name}"]"#))
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|error| panic!("choose {value} in {name}: {error}"));
    }

    /// Clicks the first element matching `css` and waits for the page it leads to: every button
    /// and link of the console loads a new page (it is server-rendered, without scripts), and
    /// reading the old page meanwhile finds elements that vanish under the reader.
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.client()
            .execute("window.plkkLeaving = true; return null;", vec![])
            .await
            .unwrap_or_else(|error| panic!("mark the page before clicking `{css}`: {error}"));
        element
            .click()
            .await
            .unwrap_or_else(|error| panic!("click `{css}`: {error}"));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            // While the next page loads the script may fail; that only means "not yet".
            let arrived = self
                .client()
                .execute(
                    "return window.plkkLeaving !== true && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(arrived, Ok(Value::Bool(true))) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "clicking `{css}` did not lead to a new page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .unwrap_or_else(|error| panic!("text of `{css}`: {error}"))
    }

    /// Waits until the page's path is `path`.
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let url = self.client().current_url().await.expect("the current URL");
            if url.path() == path {
                return;
            }
            assert!(Instant::now() < deadline, "still at {url}, expected {path}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The page's HTML now.
    pub async fn source(&self) -> String {
        self.client().source().await.expect("the page source")
    }

    /// The value of the browser's cookie `name` (HttpOnly ones included).
    pub async fn cookie(&self, name: &str) -> Option<String> {
        self.client()
            .get_named_cookie(name)
            .await
            .ok()
            .map(|cookie| cookie.value().to_owned())
    }

    /// Saves a PNG of the window to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client().screenshot().await.expect("a screenshot");
        std::fs::write(path, png).expect("the screenshot is written");
    }

    /// Ends the session and stops the driver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
        self.stop_processes();
    }

    fn stop_processes(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            let _ = driver.kill();
            let _ = driver.wait();
        }
        // A browser left behind by a failed test: only processes started with this profile.
        let profile = self.scratch.path().join("profile");
        for pid in processes_naming(&profile) {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}

impl Drop for ConsoleBrowser {
    fn drop(&mut self) {
        self.stop_processes();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Processes whose command line contains `path`.
fn processes_naming(path: &Path) -> Vec<u32> {
    let needle: PathBuf = path.to_owned();
    let needle = needle.display().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(&needle))
        })
        .collect()
}
