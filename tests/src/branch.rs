//! A real `plkk-branch` for the sync tests: served in-process on `127.0.0.1:0` (or a given port
//! after a restart) from its own thread and tokio runtime, on a temporary data directory. It can be
//! stopped gracefully, or killed: the runtime is dropped at once, cutting every open connection
//! wherever its handler is (a database transaction is atomic either way).
//!
//! With `PLKK_TEST_BACKEND=postgres` the branch keeps its data in a fresh PostgreSQL database of
//! the test binary's throwaway cluster (`crate::postgres`) instead of SQLite in its data
//! directory; the data directory still names it (one database per data directory, so a restart
//! on the same directory finds the same data). Tests reach the store through [`TestBranch::database`]
//! and [`TestBranch::store_args`], never through the data directory, so they run on both.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use chrono::Utc;
use tokio::sync::oneshot;

#[derive(Debug)]
pub struct TestBranch {
    dir: Option<tempfile::TempDir>,
    data_dir: PathBuf,
    config: plkk_branch::Config,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl TestBranch {
    /// A new branch on a temporary data directory and a free loopback port.
    pub fn start() -> TestBranch {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data_dir = dir.path().to_owned();
        let mut branch = TestBranch::start_in(&data_dir, "127.0.0.1:0".parse().unwrap());
        branch.dir = Some(dir);
        branch
    }

    /// A new branch on a temporary data directory and a free loopback port, configured by
    /// `configure` (a body limit, TLS files).
    pub fn start_with(configure: impl FnOnce(&mut plkk_branch::Config)) -> TestBranch {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = plkk_branch::Config::for_data_dir(dir.path());
        configure(&mut config);
        let mut branch = TestBranch::start_configured(config, "127.0.0.1:0".parse().unwrap());
        branch.dir = Some(dir);
        branch
    }

    /// A branch on `data_dir`, listening on `addr`.
    pub fn start_in(data_dir: &Path, addr: SocketAddr) -> TestBranch {
        TestBranch::start_configured(plkk_branch::Config::for_data_dir(data_dir), addr)
    }

    fn start_configured(mut config: plkk_branch::Config, addr: SocketAddr) -> TestBranch {
        if config.database.is_none() {
            config.database = database_for(&config.data_dir);
        }
        let data_dir = config.data_dir.clone();
        let kept = config.clone();
        let (ready, bound) = std::sync::mpsc::channel();
        let (stop, stop_requested) = oneshot::channel::<bool>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime for the branch");
            let (graceful_tx, graceful_rx) = oneshot::channel::<()>();
            let killed = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .unwrap_or_else(|error| panic!("the branch cannot listen on {addr}: {error}"));
                ready.send(listener.local_addr().unwrap()).unwrap();
                let server = tokio::spawn(plkk_branch::serve(listener, config, async move {
                    let _ = graceful_rx.await;
                }));
                let graceful = stop_requested.await.unwrap_or(true);
                if graceful {
                    let _ = graceful_tx.send(());
                    let _ = server.await;
                }
                !graceful
            });
            if killed {
                runtime.shutdown_background();
            }
        });
        let addr = bound.recv().expect("the branch thread reports its address");
        if kept.tls.is_none() {
            wait_until_healthy(addr);
        } else {
            wait_until_listening(addr);
        }
        TestBranch {
            dir: None,
            data_dir,
            config: kept,
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Where this branch keeps its data, for the administration calls.
    pub fn database(&self) -> plkk_branch::Database {
        self.config.database().expect("the test branch's database")
    }

    /// The `plkk-branch` arguments naming this branch's store: `--data-dir DIR`, or
    /// `--database URL` on PostgreSQL.
    pub fn store_args(&self) -> Vec<std::ffi::OsString> {
        match &self.config.database {
            Some(url) => vec!["--database".into(), url.into()],
            None => vec!["--data-dir".into(), self.data_dir.clone().into()],
        }
    }

    /// Adds a clinic and returns a fresh enrolment code for it.
    pub fn clinic_with_code(&self, code: &str, name: &str) -> String {
        plkk_branch::admin::add_clinic(self.database(), code, name).expect("clinic added");
        self.enrollment_code(code)
    }

    pub fn enrollment_code(&self, clinic: &str) -> String {
        plkk_branch::admin::issue_enrollment_code(self.database(), clinic, Utc::now())
            .expect("an enrolment code")
    }

    pub fn counts(&self) -> plkk_branch::admin::RecordCounts {
        plkk_branch::admin::count_records(self.database()).expect("branch counts")
    }

    /// Stops the server, letting open requests finish.
    pub fn stop(&mut self) {
        self.finish(true);
    }

    /// Stops the server at once, cutting open connections. The data directory stays.
    pub fn kill(&mut self) {
        self.finish(false);
    }

    /// The address a desk uses over TLS (the certificate names `localhost`).
    pub fn https_url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// Starts a new server on the same data directory and port, with the same configuration.
    pub fn restart(&mut self) {
        self.restart_with(|_| {});
    }

    /// Starts a new server on the same data directory and port, its configuration changed by
    /// `configure` (e.g. another certificate).
    pub fn restart_with(&mut self, configure: impl FnOnce(&mut plkk_branch::Config)) {
        self.finish(true);
        configure(&mut self.config);
        let mut fresh = TestBranch::start_configured(self.config.clone(), self.addr);
        self.stop = fresh.stop.take();
        self.thread = fresh.thread.take();
    }

    fn finish(&mut self, graceful: bool) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(graceful);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TestBranch {
    fn drop(&mut self) {
        self.finish(true);
    }
}

/// The PostgreSQL database of `data_dir` when the tests run on PostgreSQL: a fresh one the first
/// time a data directory is seen, the same one after.
pub fn database_for(data_dir: &Path) -> Option<String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static DATABASES: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    if !crate::postgres::backend_is_postgres() {
        return None;
    }
    let mut databases = DATABASES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(
        databases
            .entry(data_dir.to_owned())
            .or_insert_with(crate::postgres::fresh_database)
            .clone(),
    )
}

/// Waits until a TLS branch accepts connections (its database is opened before it listens).
fn wait_until_listening(addr: SocketAddr) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the branch on {addr} never listened"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A throwaway TLS identity for `localhost`: a self-signed certificate (desks trust it as the
/// branch's own CA) and its key, as PEM files in `dir`. Returns (certificate file, key file,
/// certificate PEM).
pub fn tls_identity(dir: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let identity =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}-key.pem"));
    let pem = identity.cert.pem();
    std::fs::write(&cert, &pem).expect("certificate written");
    std::fs::write(&key, identity.key_pair.serialize_pem()).expect("key written");
    (cert, key, pem)
}

/// Waits until the branch answers its health route (its database is open and migrated).
pub fn wait_until_healthy(addr: SocketAddr) {
    use std::io::{Read, Write};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let answered = std::net::TcpStream::connect(addr).and_then(|mut stream| {
            stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
            stream.write_all(
                b"GET /api/v1/health HTTP/1.1\r\nhost: branch\r\nconnection: close\r\n\r\n",
            )?;
            let mut answer = String::new();
            stream.read_to_string(&mut answer)?;
            Ok(answer.starts_with("HTTP/1.1 200"))
        });
        if matches!(answered, Ok(true)) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the branch on {addr} never became healthy: {answered:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
