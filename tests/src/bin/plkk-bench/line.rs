//! `plkk-bench --line`: a day's work (60 intakes with 3 notes each, and the audit entries of
//! admitting and noting them) sent from an encrypted desk by its own background engine to a branch
//! over TLS, through the shaping line of `plkk_tests::line` (a relay on loopback below TLS: rate,
//! delay, loss as delay, cuts held as TCP's retransmission backoff would hold them):
//!
//! - 64 kbit/s, 800 ms round trip, 5 % loss: uncut, then with 4 cuts of 10, 20, 40 and 60 s;
//! - 2G-like, 16 kbit/s, 1,500 ms, 10 % loss: the same two runs.
//!
//! The cuts start after every fifth of the uncut time of line up-time, so each falls inside the
//! transfer. Printed per run: time until the branch confirmed every record and holds the whole
//! audit log, the cuts that fell inside it, the ratio (time − cuts) / uncut time (the goal is at
//! most 1.5), bytes up and down per record, pushes per entry (how often entries were sent) and
//! connections. Then the upload's make-up per record: the records, and the audit entries in the
//! full form of `POST /audit` next to the compact form that rides with the push, as JSON and as
//! gzip of the whole day.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use plkk_protocol::{AuditBatch, AuditPushRequest, AuditRecord};
use plkk_store::DeskAccess;
use plkk_tests::branch::{tls_identity, TestBranch};
use plkk_tests::line::{Line, LineSpec};

const INTAKES: u64 = 60;
const CUTS: [u64; 4] = [10, 20, 40, 60];

struct Run {
    seconds: f64,
    cut_seconds: f64,
    bytes_up: u64,
    bytes_down: u64,
    sends_per_entry: f64,
    connections: u64,
}

pub fn day_over_a_line(dir: &Path) -> anyhow::Result<()> {
    let dir = dir.join("line");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let (cert, key, ca) = tls_identity(&dir, "branch");
    let branch = TestBranch::start_with(|config| config.set_tls(Some(cert), Some(key)));
    let mut seed = 0;
    let mut last_desk = None;
    for (name, spec) in [
        ("64 kbit/s, 800 ms, 5 % loss", LineSpec::RURAL),
        ("2G-like: 16 kbit/s, 1,500 ms, 10 % loss", LineSpec::EDGE),
    ] {
        println!(
            "\n## A day's work ({INTAKES} intakes + {} notes) over {name}",
            INTAKES * 3
        );
        seed += 1;
        let (uncut, _) = run(&dir, &branch, &ca, spec, seed, None)?;
        report("uncut", &uncut, None);
        seed += 1;
        let every = Duration::from_secs_f64(uncut.seconds / 5.0);
        let (cut, desk) = run(&dir, &branch, &ca, spec, seed, Some(every))?;
        report(
            &format!(
                "4 cuts of {CUTS:?} s, one every {:.1} s of line up-time",
                every.as_secs_f64()
            ),
            &cut,
            Some(&uncut),
        );
        last_desk = Some(desk);
    }
    if let Some(desk) = last_desk {
        upload_make_up(&desk)?;
    }
    Ok(())
}

/// Syncs a fresh desk's day through a fresh line; cuts the line after every `cut_every` of up-time.
fn run(
    dir: &Path,
    branch: &TestBranch,
    ca: &str,
    spec: LineSpec,
    seed: u64,
    cut_every: Option<Duration>,
) -> anyhow::Result<(Run, DeskAccess)> {
    let clinic = format!("LINE-{seed}");
    plkk_branch::admin::add_clinic(branch.data_dir(), &clinic, "Klinik Jalur")?;
    let code =
        plkk_branch::admin::issue_enrollment_code(branch.data_dir(), &clinic, chrono::Utc::now())?;
    let line = Line::start(branch.addr(), spec, seed);
    let (desk, records) = crate::sync::capture(&dir.join(format!("desk-{seed}")), INTAKES, seed)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(plkk_sync::enroll(
        &desk,
        &plkk_tests::accounts::ADMIN.actor(),
        plkk_sync::EnrollOptions {
            branch_url: format!("https://localhost:{}", line.port()),
            code,
            device_name: "bench".into(),
            ca_cert_pem: Some(ca.to_owned()),
        },
    ))?;
    let watcher = desk.open()?;
    let (up_before, down_before) = line.bytes();
    let connections_before = line.connections();
    let started = Instant::now();
    let engine = plkk_sync::Engine::spawn(desk.clone(), runtime.handle());
    let mut lengths = CUTS.iter().map(|&seconds| Duration::from_secs(seconds));
    let mut next_cut = cut_every.map(|every| started + every);
    let mut applied: Vec<(Instant, Duration)> = Vec::new();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        if delivered(&watcher)? {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(1800),
            "the day did not converge in 30 minutes"
        );
        if let (Some(at), Some(every)) = (next_cut, cut_every) {
            if Instant::now() >= at {
                next_cut = lengths.next().map(|length| {
                    line.cut(length);
                    applied.push((Instant::now(), length));
                    Instant::now() + length + every
                });
            }
        }
    }
    let finished = Instant::now();
    let cut_seconds: f64 = applied
        .iter()
        .map(|&(start, length)| ((start + length).min(finished) - start).as_secs_f64())
        .sum();
    let seconds = started.elapsed().as_secs_f64();
    drop(engine);
    runtime.shutdown_timeout(Duration::from_secs(1));
    let (up, down) = line.bytes();
    let sends: i64 = watcher
        .connection()
        .query_row("SELECT total(attempts) FROM outbox", [], |row| {
            row.get::<_, f64>(0)
        })
        .map(|total| total as i64)?;
    Ok((
        Run {
            seconds,
            cut_seconds,
            bytes_up: (up - up_before) / records,
            bytes_down: (down - down_before) / records,
            sends_per_entry: sends as f64 / records as f64,
            connections: line.connections() - connections_before,
        },
        desk,
    ))
}

/// Whether the branch confirmed every record and holds the whole audit log.
fn delivered(store: &plkk_store::Store) -> anyhow::Result<bool> {
    let counts = plkk_store::sync_counts(store)?;
    if counts.unconfirmed() > 0 {
        return Ok(false);
    }
    Ok(plkk_store::unsent_audit(store, 1)?.is_empty())
}

fn report(what: &str, run: &Run, uncut: Option<&Run>) {
    print!("{what:<58} {:>7.1} s", run.seconds);
    if let Some(uncut) = uncut {
        print!(
            "  cuts {:>5.1} s  ratio (time - cuts) / uncut {:.2}",
            run.cut_seconds,
            (run.seconds - run.cut_seconds) / uncut.seconds
        );
    }
    println!();
    println!(
        "    bytes/record up {} down {}; sends per entry {:.2}; connections {}",
        run.bytes_up, run.bytes_down, run.sends_per_entry, run.connections
    );
}

/// The day's upload per record: records, and audit entries in full and in compact form, as JSON
/// and gzipped whole (level 3, as the desk sends).
fn upload_make_up(desk: &DeskAccess) -> anyhow::Result<()> {
    let store = desk.open()?;
    let records: u64 = store
        .connection()
        .query_row("SELECT count(*) FROM outbox", [], |row| row.get(0))?;
    let payloads: Vec<String> = store
        .connection()
        .prepare("SELECT payload FROM outbox_payloads ORDER BY seq")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let entries: String = payloads.join(",");
    let mut audit_log =
        plkk_store::audit_list(&store, &plkk_tests::accounts::ADMIN.actor(), usize::MAX)?;
    audit_log.reverse();
    let audit: Vec<AuditRecord> = audit_log
        .into_iter()
        .map(|entry| AuditRecord {
            seq: entry.seq,
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            subject: entry.subject,
            detail: entry.detail,
            prev_hash: entry.prev_hash,
            hash: entry.hash,
        })
        .collect();
    let full = serde_json::to_vec(&AuditPushRequest {
        entries: audit.clone(),
    })?;
    let compact = serde_json::to_vec(&AuditBatch::pack(&audit, |record| {
        plkk_domain::AuditEntry {
            seq: record.seq,
            at: record.at,
            actor: record.actor.clone(),
            action: record.action.clone(),
            subject: record.subject.clone(),
            detail: record.detail.clone(),
            prev_hash: record.prev_hash.clone(),
            hash: String::new(),
        }
        .computed_hash()
    }))?;
    let per = |bytes: usize| bytes as f64 / records as f64;
    println!(
        "\n## The upload's make-up per record ({records} records, {} audit entries)",
        audit.len()
    );
    println!("                         JSON B/record   gzip B/record   share of gzip upload");
    let record_gz = gzip(entries.as_bytes())?;
    for (name, audit_json) in [
        ("before: audit in full", &full),
        ("after: compact audit", &compact),
    ] {
        let audit_gz = gzip(audit_json)?;
        println!("{name}");
        println!(
            "  records               {:>10.1}   {:>13.1}   {:>5.1} %",
            per(entries.len()),
            per(record_gz),
            100.0 * record_gz as f64 / (record_gz + audit_gz) as f64
        );
        println!(
            "  audit entries         {:>10.1}   {:>13.1}   {:>5.1} %",
            per(audit_json.len()),
            per(audit_gz),
            100.0 * audit_gz as f64 / (record_gz + audit_gz) as f64
        );
    }
    Ok(())
}

fn gzip(bytes: &[u8]) -> anyhow::Result<usize> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(3));
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}
