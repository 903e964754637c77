//! A throwaway PostgreSQL for the tests that run the branch on PostgreSQL
//! (`PLKK_TEST_BACKEND=postgres`): one cluster per test binary, made by the distribution's own
//! `initdb` under a temporary directory and started with `pg_ctl` on 127.0.0.1 and a free port
//! (fsync on, as in production), and a fresh database per test. Nothing assumes a server that
//! happens to be running. `initdb` and `postgres` refuse to run as root: as root the cluster
//! belongs to the `postgres` system user (the `postgresql` package's) and its commands run
//! through `runuser`.
//!
//! The cluster is stopped and its directory removed when the test binary ends, however it ends
//! (a failed test, a panic, a kill): a watchdog shell started with it waits for the binary's
//! process to go away, then stops the cluster (`pg_ctl stop -m immediate`) and removes the
//! directory. A cluster whose test binary is gone without its watchdog (the machine restarted)
//! is removed by the next binary that starts one. Standard library only, so the branch crate's
//! own tests include this file too (`crates/branch/tests/common`).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The backend the branch tests run against: `postgres` when `PLKK_TEST_BACKEND=postgres`.
pub fn backend_is_postgres() -> bool {
    std::env::var("PLKK_TEST_BACKEND").is_ok_and(|value| value == "postgres")
}

struct Cluster {
    bin: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);
const PREFIX: &str = "plkk-test-pg-";

/// A new empty database on this binary's cluster (started on first use): its URL.
pub fn fresh_database() -> String {
    let cluster = CLUSTER.get_or_init(start_cluster);
    let name = format!("t{}", DATABASES.fetch_add(1, Ordering::SeqCst));
    let status = cluster
        .command("createdb")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &cluster.port.to_string(),
            "-U",
            "plkk",
            &name,
        ])
        .status()
        .expect("createdb runs");
    assert!(status.success(), "createdb {name} failed");
    cluster.url(&name)
}

/// Runs `sql` with `psql` on the database at `url` (of this binary's cluster); its output
/// (unaligned, tuples only). Panics when psql fails.
pub fn psql(url: &str, sql: &str) -> String {
    let cluster = CLUSTER.get_or_init(start_cluster);
    let output = cluster
        .command("psql")
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            url,
            "-c",
            sql,
        ])
        .output()
        .expect("psql runs");
    assert!(
        output.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl Cluster {
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres_user {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn url(&self, database: &str) -> String {
        format!(
            "postgres://plkk@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }
}

/// The directory of `initdb` and `pg_ctl`: `PLKK_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian's layout), else whatever `PATH` finds.
fn postgres_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("PLKK_PG_BIN") {
        return PathBuf::from(bin);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).unwrap_or_default()
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|metadata| metadata.uid() == 0)
}

fn start_cluster() -> Cluster {
    remove_stale_clusters();
    let as_postgres_user = is_root();
    let dir = std::env::temp_dir().join(format!("{PREFIX}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the cluster's directory");
    if as_postgres_user {
        let status = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .expect("chown runs");
        assert!(
            status.success(),
            "the cluster's directory given to postgres"
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let cluster = Cluster {
        bin: postgres_bin(),
        port,
        as_postgres_user,
    };
    let data = dir.join("data");
    // The watchdog: once this process is gone, stop the cluster and remove its directory.
    let pg_ctl = cluster.bin.join("pg_ctl");
    let stop = if as_postgres_user {
        format!(
            "runuser -u postgres -- {} -D {} stop -m immediate",
            pg_ctl.display(),
            data.display()
        )
    } else {
        format!(
            "{} -D {} stop -m immediate",
            pg_ctl.display(),
            data.display()
        )
    };
    // Never waited for: it outlives this process by design (init reaps it).
    #[allow(clippy::zombie_processes)]
    let _watchdog = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            dir = dir.display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a signal to the test binary's group (timeout, Ctrl-C) must
        // not take the watchdog with it.
        .process_group(0)
        .spawn()
        .expect("the cluster's watchdog starts");
    let output = cluster
        .command("initdb")
        .args([
            "-U",
            "plkk",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "-N",
            "-D",
        ])
        .arg(&data)
        .stdout(Stdio::null())
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "initdb in {} cannot run ({error}): install the distribution's `postgresql` \
                 package (scripts/setup.sh does) or set PLKK_PG_BIN",
                cluster.bin.display()
            )
        });
    assert!(
        output.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let options = format!(
        "-c listen_addresses=127.0.0.1 -p {port} -k {dir} -c fsync=on -c max_connections=300 \
         -c shared_buffers=32MB",
        dir = dir.display()
    );
    let output = cluster
        .command("pg_ctl")
        .arg("-D")
        .arg(&data)
        .args(["-o", &options, "-l"])
        .arg(dir.join("server.log"))
        .args(["-w", "-t", "60", "start"])
        .stdout(Stdio::null())
        .output()
        .expect("pg_ctl runs");
    assert!(
        output.status.success(),
        "pg_ctl start failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
    );
    cluster
}

/// Stops and removes clusters of test binaries that are no longer running.
fn remove_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let data = entry.path().join("data");
        let pg_ctl = postgres_bin().join("pg_ctl");
        let mut stop = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(pg_ctl);
            command
        } else {
            Command::new(pg_ctl)
        };
        let _ = stop
            .arg("-D")
            .arg(&data)
            .args(["stop", "-m", "immediate"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(entry.path());
    }
}
