//! A real `plkk-branch serve` process for the tests that look at the process itself (its peak
//! memory, its open files): started from the built binary on a temporary data directory with a
//! config file, on a free loopback port, killed when dropped. The administration calls of
//! `plkk_branch::admin` work on its store while it runs. With `PLKK_TEST_BACKEND=postgres` the
//! config file names a fresh PostgreSQL database (`database = "postgres://…"`).

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct BranchProcess {
    dir: tempfile::TempDir,
    child: Child,
    addr: SocketAddr,
    database: Option<String>,
}

impl BranchProcess {
    /// Starts `plkk-branch serve` with `config` (TOML lines) added to `listen` and `data_dir`,
    /// and waits until it accepts connections.
    pub fn start(config: &str) -> BranchProcess {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let addr = free_port();
        let config_path = dir.path().join("branch.toml");
        let data_dir = dir.path().join("data");
        let database = crate::branch::database_for(&data_dir);
        let database_line = database
            .as_ref()
            .map(|url| format!("database = \"{url}\"\n"))
            .unwrap_or_default();
        std::fs::write(
            &config_path,
            format!(
                "listen = \"{addr}\"\ndata_dir = \"{}\"\n{database_line}{config}\n",
                data_dir.display()
            ),
        )
        .expect("the config file is written");
        let log = std::fs::File::create(dir.path().join("branch.log")).expect("a log file");
        let child = Command::new(crate::bins::workspace_binary("plkk-branch"))
            .args(["serve", "--config"])
            .arg(&config_path)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("plkk-branch starts");
        let branch = BranchProcess {
            dir,
            child,
            addr,
            database,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "plkk-branch never listened: {}",
                branch.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        branch
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// A file beside the data directory (for certificates).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the process wrote on stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("branch.log")).unwrap_or_default()
    }

    /// A field of `/proc/PID/status` in KiB (`VmHWM`: peak resident memory, `VmRSS`: now).
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("/proc/PID/status is readable");
        status
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{field}:")))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/PID/status"))
    }

    /// How many of the process's open files are sockets.
    pub fn open_sockets(&self) -> usize {
        sockets_of(self.pid())
    }

    /// How many files (sockets included) the process has open.
    pub fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|entries| entries.count())
            .unwrap_or(0)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Where this branch keeps its data, for the administration calls.
    pub fn database(&self) -> plkk_branch::Database {
        plkk_branch::Database::choose(&self.data_dir(), self.database.as_deref())
            .expect("the test branch's database")
    }

    pub fn counts(&self) -> plkk_branch::admin::RecordCounts {
        plkk_branch::admin::count_records(self.database()).expect("branch counts")
    }

    /// Adds a clinic and returns a fresh enrolment code for it.
    pub fn clinic_with_code(&self, code: &str) -> String {
        plkk_branch::admin::add_clinic(self.database(), code, &format!("Klinik {code}"))
            .expect("clinic added");
        plkk_branch::admin::issue_enrollment_code(self.database(), code, chrono::Utc::now())
            .expect("an enrolment code")
    }
}

impl Drop for BranchProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on now.
fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address")
}

/// How many of process `pid`'s open files are sockets (the listener and its connections; the
/// database's files come and go with its connection pool and are not counted).
pub fn sockets_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| {
                    std::fs::read_link(entry.path())
                        .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
        .unwrap_or(0)
}
