//! `plkk-bench --sync`: backlog sync of 10,000 intakes + 30,000 notes from one encrypted desk to a
//! loopback branch, end to end (the desk reads its outbox, the branch validates and commits each
//! batch durably, the desk stores the receipts): records per second, bytes on the wire per record
//! (counted by a proxy between them: HTTP heads and gzip bodies, both directions), peak memory of
//! the desk and of the branch; then branch ingest with 50 desks pushing at once.
//!
//! The backlog to a branch on SQLite and PouchDB's replication of the same documents run in
//! [`ROUNDS`] interleaved rounds (PouchDB first in every other one), and the run prints each
//! round's ratio and their median: on a shared 2-core machine one round of either side can be a
//! third slower than the next.
//!
//! The branch runs as a `plkk-branch serve` child process when that binary is built (its peak RSS
//! read from /proc), otherwise in this process (reported as such).

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use plkk_branch::Database;
use plkk_store::DeskAccess;
use plkk_tests::accounts::{self, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::branch::TestBranch;
use plkk_tests::fault_proxy::FaultProxy;
use plkk_tests::samples::{self, Seeded};

use crate::pouch;

const INTAKES: u64 = 10_000;
const NOTES_EACH: u64 = 3;
const DESKS: u64 = 50;
const INTAKES_PER_DESK: u64 = 100;
/// Interleaved rounds of our SQLite backlog and PouchDB's replication.
const ROUNDS: usize = 3;

enum Branch {
    Child {
        process: Child,
        addr: SocketAddr,
        database: Database,
    },
    InProcess(Box<TestBranch>),
}

impl Branch {
    /// A branch on SQLite in `dir`, or on the PostgreSQL database `postgres` when given.
    fn start(dir: &Path, postgres: Option<String>) -> anyhow::Result<Branch> {
        let binary = plkk_tests::bins::profile_dir().join("plkk-branch");
        std::fs::create_dir_all(dir)?;
        if !binary.exists() {
            let dir = dir.to_owned();
            return Ok(Branch::InProcess(Box::new(TestBranch::start_with(
                move |config| {
                    config.data_dir = dir;
                    config.database = postgres;
                },
            ))));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let mut command = Command::new(binary);
        command.arg("--data-dir").arg(dir);
        if let Some(url) = &postgres {
            command.args(["--database", url]);
        }
        let process = command
            .args(["serve", "--listen", &addr.to_string()])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let started = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(20),
                "plkk-branch did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(200));
        Ok(Branch::Child {
            process,
            addr,
            database: Database::choose(dir, postgres.as_deref())?,
        })
    }

    fn addr(&self) -> SocketAddr {
        match self {
            Branch::Child { addr, .. } => *addr,
            Branch::InProcess(branch) => branch.addr(),
        }
    }

    fn database(&self) -> Database {
        match self {
            Branch::Child { database, .. } => database.clone(),
            Branch::InProcess(branch) => branch.database(),
        }
    }

    /// CPU seconds the branch's process has used so far (user + system); `None` in this process.
    fn cpu_seconds(&self) -> Option<f64> {
        match self {
            Branch::Child { process, .. } => cpu_seconds(&format!("/proc/{}/stat", process.id())),
            Branch::InProcess(_) => None,
        }
    }

    fn peak_rss(&self) -> String {
        match self {
            Branch::Child { process, .. } => {
                vm_hwm(&format!("/proc/{}/status", process.id())).unwrap_or_else(|| "?".into())
            }
            Branch::InProcess(_) => "in this process (see the desk's figure)".into(),
        }
    }
}

impl Drop for Branch {
    fn drop(&mut self) {
        if let Branch::Child { process, .. } = self {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

pub(crate) fn vm_hwm(status_file: &str) -> Option<String> {
    std::fs::read_to_string(status_file)
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .map(|value| value.trim().to_owned())
}

/// User + system CPU seconds of the process whose `/proc/…/stat` is `stat_file` (Linux; fields
/// 14 and 15, in clock ticks of 1/100 s).
fn cpu_seconds(stat_file: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(stat_file).ok()?;
    // The command name (field 2) may hold spaces; the fields after its `)` are plain.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Resets this process's peak RSS (VmHWM) so the desk's figure is the sync's, not the capture's
/// (Linux: writing 5 to /proc/self/clear_refs).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn object(value: serde_json::Value) -> plkk_domain::JsonObject {
    value.as_object().cloned().unwrap_or_default()
}

/// Sets an encrypted desk up in `dir` and fills its outbox (durability per row is not what is
/// measured here): intakes by the receptionist, notes by the nurse.
pub(crate) fn capture(dir: &Path, intakes: u64, seed: u64) -> anyhow::Result<(DeskAccess, u64)> {
    let access = accounts::set_up_desk(dir).access;
    let mut store = access.open()?;
    let (receptionist, nurse) = (RECEPTIONIST.actor(), NURSE.actor());
    store
        .connection()
        .pragma_update(None, "synchronous", "OFF")?;
    let now = chrono::Local::now().fixed_offset();
    let mut random = Seeded::new(seed);
    let note = object(samples::note());
    for index in 0..intakes {
        let intake = object(samples::synthetic_intake(
            &mut random,
            seed * 1_000_000 + index,
        ));
        let id = plkk_store::admit_intake(&mut store, &receptionist, &intake, now)?
            .id
            .to_string();
        for _ in 0..NOTES_EACH {
            plkk_store::add_note(&mut store, &nurse, &id, &note, now)?;
        }
    }
    store
        .connection()
        .pragma_update(None, "synchronous", "FULL")?;
    Ok((access, intakes * (1 + NOTES_EACH)))
}

async fn enroll(desk: &DeskAccess, url: &str, code: String) -> anyhow::Result<()> {
    plkk_sync::enroll(
        desk,
        &ADMIN.actor(),
        plkk_sync::EnrollOptions {
            branch_url: url.to_owned(),
            code,
            device_name: "bench".into(),
            ca_cert_pem: None,
        },
    )
    .await?;
    Ok(())
}

/// What one backlog run measured.
struct Backlog {
    per_second: f64,
}

pub fn backlog_and_ingest(dir: &Path) -> anyhow::Result<()> {
    let dir = dir.join("sync");
    let _ = std::fs::remove_dir_all(&dir);
    let runtime = tokio::runtime::Runtime::new()?;

    // One desk's 40,000-record backlog to a branch on SQLite, then PouchDB on the same
    // documents, in interleaved rounds; then (the same records, a fresh desk) to a branch on
    // PostgreSQL. The run prints the figures side by side and their ratios.
    let documents = dir.join("pouch-documents.ndjson");
    let mut rounds = Vec::with_capacity(ROUNDS);
    for round in 1..=ROUNDS {
        let round_dir = dir.join(format!("round-{round}"));
        println!("\n# Round {round} of {ROUNDS}");
        let written = (round == 1).then_some(documents.as_path());
        // PouchDB first in every other round, so neither side always runs on a machine the
        // other has just warmed (or heated).
        let (ours, theirs) = if round % 2 == 1 {
            let ours = backlog(&runtime, &round_dir.join("sqlite"), None, written)?;
            (ours, pouch_round(&documents, &round_dir.join("pouch"))?)
        } else {
            let theirs = pouch_round(&documents, &round_dir.join("pouch"))?;
            (
                backlog(&runtime, &round_dir.join("sqlite"), None, written)?,
                theirs,
            )
        };
        rounds.push((ours.per_second, theirs));
        // Each round's databases take some 400 MB.
        let _ = std::fs::remove_dir_all(&round_dir);
    }
    let postgres = plkk_tests::postgres::fresh_database();
    let postgres = backlog(&runtime, &dir.join("postgres"), Some(postgres), None)?;
    println!("\n## Ours / PouchDB, branch on SQLite, round by round");
    for (round, (ours, theirs)) in rounds.iter().enumerate() {
        println!(
            "round {}:                   {ours:.0} / {theirs:.0} records/s = {:.2}x",
            round + 1,
            ours / theirs
        );
    }
    let ratios: Vec<f64> = rounds.iter().map(|(ours, theirs)| ours / theirs).collect();
    let theirs_median = median(rounds.iter().map(|(_, theirs)| *theirs).collect());
    println!(
        "ratio ours / PouchDB:      {:.2}x (branch on SQLite, median of {ROUNDS} rounds; lowest {:.2}x), {:.2}x (branch on PostgreSQL, against PouchDB's median {theirs_median:.0} records/s)",
        median(ratios.clone()),
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        postgres.per_second / theirs_median
    );

    let branch = Branch::start(&dir.join("branch"), None)?;
    // Fifty desks pushing at once, straight to the branch: one desk per clinic, so what is
    // measured is the branch taking records in, not each desk pulling the others' records.
    let url = format!("http://{}", branch.addr());
    let mut desks = Vec::new();
    let mut total = 0;
    for index in 0..DESKS {
        let (desk, records) = capture(
            &dir.join(format!("desk-{index}")),
            INTAKES_PER_DESK,
            100 + index,
        )?;
        total += records;
        let clinic = format!("BENCH-{index:02}");
        plkk_branch::admin::add_clinic(branch.database(), &clinic, "Klinik Bench")?;
        let code = plkk_branch::admin::issue_enrollment_code(
            branch.database(),
            &clinic,
            chrono::Utc::now(),
        )?;
        runtime.block_on(enroll(&desk, &url, code))?;
        desks.push(desk);
    }
    let started = Instant::now();
    let results = runtime.block_on(async {
        let tasks: Vec<_> = desks
            .iter()
            .map(|desk| {
                let desk = desk.clone();
                tokio::spawn(async move { plkk_sync::sync_once(&desk).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await);
        }
        results
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut confirmed = 0;
    for result in results {
        confirmed += result??.confirmed;
    }
    anyhow::ensure!(confirmed == total, "{confirmed} of {total} confirmed");
    println!(
        "\n## Branch ingest, {DESKS} desks of {DESKS} clinics pushing at once ({} records each)",
        total / DESKS
    );
    println!(
        "records/s:                 {:.0} ({total} records in {elapsed:.2} s)",
        total as f64 / elapsed
    );
    println!("peak RSS branch:           {}", branch.peak_rss());
    Ok(())
}

/// The middle value (of an odd count; the upper middle of an even one).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// PouchDB replicating `documents` to a fresh express-pouchdb in `dir`; prints its figures and
/// answers its records per second.
fn pouch_round(documents: &Path, dir: &Path) -> anyhow::Result<f64> {
    let peer = pouch::replicate(documents, dir)?;
    let theirs = peer.records as f64 / peer.seconds;
    println!(
        "\n## PouchDB 9 on the same {} documents (replicate.to(), batch_size 100, express-pouchdb on leveldb)",
        peer.records
    );
    println!(
        "PouchDB records/s:         {theirs:.0} ({} documents in {:.2} s)",
        peer.records, peer.seconds
    );
    println!(
        "PouchDB bytes on the wire/record: {:.1} (requests {:.1} + answers {:.1})",
        (peer.wire.0 + peer.wire.1) as f64 / peer.records as f64,
        peer.wire.0 as f64 / peer.records as f64,
        peer.wire.1 as f64 / peer.records as f64
    );
    println!(
        "PouchDB peak RSS:          replicating {} kB, express-pouchdb {}",
        peer.desk_kib,
        peer.server_kib
            .map_or_else(|| "?".to_owned(), |kib| format!("{kib} kB"))
    );
    Ok(theirs)
}

/// One desk's backlog synced to a branch on SQLite (in `dir`) or on the PostgreSQL database
/// `postgres`, through a counting proxy; prints its figures. Writes PouchDB's copy of the same
/// documents to `documents` when asked.
fn backlog(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    postgres: Option<String>,
    documents: Option<&Path>,
) -> anyhow::Result<Backlog> {
    let backend = if postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let branch = Branch::start(&dir.join("branch"), postgres)?;
    plkk_branch::admin::add_clinic(branch.database(), "BENCH", "Klinik Bench")?;
    let code =
        plkk_branch::admin::issue_enrollment_code(branch.database(), "BENCH", chrono::Utc::now())?;
    let proxy = FaultProxy::start(branch.addr());
    let (desk, records) = capture(&dir.join("desk"), INTAKES, 1)?;
    if let Some(documents) = documents {
        let written = pouch::write_documents(&desk, documents)?;
        anyhow::ensure!(
            written == records,
            "{written} of {records} documents written"
        );
    }
    runtime.block_on(enroll(&desk, &proxy.url(), code))?;
    let before = proxy.bytes();
    reset_peak_rss();
    let cpu_before = (cpu_seconds("/proc/self/stat"), branch.cpu_seconds());
    let started = Instant::now();
    let summary = runtime.block_on(plkk_sync::sync_once(&desk))?;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_after = (cpu_seconds("/proc/self/stat"), branch.cpu_seconds());
    let desk_peak = vm_hwm("/proc/self/status").unwrap_or_else(|| "?".into());
    let after = proxy.bytes();
    anyhow::ensure!(
        summary.confirmed == records && summary.pending == 0,
        "not all confirmed: {summary:?}"
    );
    let chains = plkk_branch::admin::verify_audit(branch.database(), None)?;
    anyhow::ensure!(
        chains.len() == 1 && chains[0].is_sound(),
        "the desk's audit chain at the branch: {chains:?}"
    );
    let ours = records as f64 / elapsed;
    let wire = (after.0 - before.0) + (after.1 - before.1);
    println!(
        "\n## Backlog sync, one desk: {INTAKES} intakes + {} notes to a loopback branch on {backend}",
        INTAKES * NOTES_EACH
    );
    println!("records/s:                 {ours:.0} ({records} records in {elapsed:.2} s, every batch durable at the branch, receipts stored, {} audit entries delivered, statuses pulled)", summary.audit_sent);
    println!(
        "bytes on the wire/record:  {:.1} (requests {:.1} + answers {:.1}; HTTP heads included, gzip)",
        wire as f64 / records as f64,
        (after.0 - before.0) as f64 / records as f64,
        (after.1 - before.1) as f64 / records as f64
    );
    let used = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(before), Some(after)) => format!("{:.2} s", after - before),
        _ => "?".to_owned(),
    };
    println!(
        "CPU during the sync:        desk and proxy (this process) {}, branch {} (wall {elapsed:.2} s, 2 cores)",
        used(cpu_before.0, cpu_after.0),
        used(cpu_before.1, cpu_after.1)
    );
    println!("peak RSS desk (this process, during the sync): {desk_peak}");
    println!("peak RSS branch:              {}", branch.peak_rss());
    println!(
        "audit entries at the branch:  {} (chain verified)",
        chains[0].entries
    );
    Ok(Backlog { per_second: ours })
}
