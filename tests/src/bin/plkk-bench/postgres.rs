//! `plkk-bench --postgres`: the branch on PostgreSQL (issue 15), on a throwaway cluster of this
//! run (`plkk_tests::postgres`: the distribution's PostgreSQL, fsync on, under a temporary
//! directory; stopped and removed when the program ends).
//!
//! - Branch ingest: two `plkk-branch` servers on one database, 500 desks of 50 clinics (10 a
//!   clinic) pushing at once, each request of a desk going to the next server in turn, as behind
//!   a load balancer: records/s, push latency (median, p99), and that no push failed. Each desk
//!   pushes [`BATCHES`] batches of an intake and its [`NOTES`] notes per case, [`CASES_PER_BATCH`]
//!   cases a batch, over plain HTTP/1.1 (one connection per request, as a desk behind a proxy).
//! - The changes feed at `--feed-cases N` cases (default 1,000,000) over 100 clinics, on SQLite
//!   and on PostgreSQL: the p95 (and median, p99) of one page of 500 changes for a clinic, from a
//!   random cursor, through `GET /api/v1/changes`. The cases are pushed through the branch's push
//!   path (`admin::push_as_device`, what `POST /push` does) in batches of 500.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use plkk_branch::admin;
use plkk_protocol::PushEntry;
use plkk_tests::branch::TestBranch;
use plkk_tests::samples::{self, Seeded};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::Figures;

const DESKS: usize = 500;
const CLINICS: usize = 50;
const BATCHES: usize = 4;
const CASES_PER_BATCH: usize = 10;
const NOTES: usize = 1;
const FEED_CLINICS: u64 = 100;
/// Cases a push of the fill, one clinic after another: every clinic gets its share.
const FEED_BATCH: usize = 100;
const FEED_PAGE: u32 = 500;
const FEED_RUNS: usize = 200;
/// Cases filled through the branch's push path; the feed is then grown to `--feed-cases` by
/// copying their changes in SQL (pushing 1,000,000 cases one by one takes most of an hour here).
const PUSHED_CASES: u64 = 20_000;

pub fn postgres(dir: &Path, feed_cases: u64) -> anyhow::Result<()> {
    ingest()?;
    println!("\n## The changes feed at {feed_cases} cases, {FEED_CLINICS} clinics: one page of {FEED_PAGE} for a clinic ({FEED_RUNS} pages, random cursors)");
    let sqlite_dir = dir.join(format!("feed-sqlite-{feed_cases}"));
    let _ = std::fs::remove_dir_all(&sqlite_dir);
    std::fs::create_dir_all(&sqlite_dir)?;
    feed(
        "SQLite",
        TestBranch::start_in(&sqlite_dir, "127.0.0.1:0".parse()?),
        feed_cases,
    )?;
    let url = plkk_tests::postgres::fresh_database();
    feed(
        "PostgreSQL",
        TestBranch::start_with(move |config| config.database = Some(url)),
        feed_cases,
    )?;
    Ok(())
}

/// One HTTP/1.1 request on a connection of its own: status and body.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: branch\r\nconnection: close\r\n");
    if let Some(token) = token {
        head.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        head.push_str(&format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("not an HTTP answer: {answer:.200}"))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(head, body)| {
            if head
                .to_ascii_lowercase()
                .contains("transfer-encoding: chunked")
            {
                unchunk(body)
            } else {
                body.to_owned()
            }
        })
        .unwrap_or_default();
    Ok((status, body))
}

fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// Enrols a device of `clinic` through `POST /enroll`: its id and token.
fn enrol(branch: &TestBranch, addr: SocketAddr, clinic: &str) -> anyhow::Result<(Uuid, String)> {
    let code = admin::issue_enrollment_code(branch.database(), clinic, Utc::now())?;
    let body = json!({"code": code, "device_name": "Meja bench"}).to_string();
    let (status, answer) = request(addr, "POST", "/api/v1/enroll", None, Some(&body))?;
    anyhow::ensure!(status == 200, "enrol: {status} {answer}");
    let answer: Value = serde_json::from_str(&answer)?;
    Ok((
        answer["device_id"].as_str().unwrap_or_default().parse()?,
        answer["token"].as_str().unwrap_or_default().to_owned(),
    ))
}

/// An intake entry (and `notes` note entries of it) as a desk sends them.
fn case_entries(random: &mut Seeded, index: u64, seq: &mut u64, notes: usize) -> Vec<Value> {
    let id = Uuid::now_v7();
    let mut fields = samples::synthetic_intake(random, index);
    fields["id"] = json!(id);
    *seq += 1;
    let mut entries = vec![json!({
        "entry_id": Uuid::now_v7(), "device_seq": *seq, "kind": "intake",
        "record_id": id, "intake_id": id,
        "payload": {"intake": fields, "author": "resepsionis",
                    "written_at": "2025-01-10T09:01:00+07:00"},
    })];
    for _ in 0..notes {
        let note = Uuid::now_v7();
        *seq += 1;
        entries.push(json!({
            "entry_id": Uuid::now_v7(), "device_seq": *seq, "kind": "note",
            "record_id": note, "intake_id": id,
            "payload": {"id": note, "intake_id": id, "written_at": "2025-01-10T09:30:00+07:00",
                        "author": "perawat", "text": "Luka dibersihkan dan dijahit tiga jahitan"},
        }));
    }
    entries
}

fn ingest() -> anyhow::Result<()> {
    let url = plkk_tests::postgres::fresh_database();
    let servers = [url.clone(), url]
        .map(|url| TestBranch::start_with(move |config| config.database = Some(url)));
    let addrs = [servers[0].addr(), servers[1].addr()];
    for clinic in 0..CLINICS {
        admin::add_clinic(
            servers[0].database(),
            &format!("BENCH-{clinic:02}"),
            "Klinik Bench",
        )?;
    }
    let mut desks = Vec::with_capacity(DESKS);
    for desk in 0..DESKS {
        let (_, token) = enrol(
            &servers[0],
            addrs[desk % 2],
            &format!("BENCH-{:02}", desk % CLINICS),
        )?;
        desks.push(token);
    }
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let threads: Vec<_> = desks
        .into_iter()
        .enumerate()
        .map(|(desk, token)| {
            let (latencies, failures) = (Arc::clone(&latencies), Arc::clone(&failures));
            std::thread::spawn(move || {
                let mut random = Seeded::new(1000 + desk as u64);
                let mut seq = 0;
                for batch in 0..BATCHES {
                    let entries: Vec<Value> = (0..CASES_PER_BATCH)
                        .flat_map(|case| {
                            let index = ((desk * BATCHES + batch) * CASES_PER_BATCH + case) as u64;
                            case_entries(&mut random, index, &mut seq, NOTES)
                        })
                        .collect();
                    let body = json!({ "entries": entries }).to_string();
                    let addr = addrs[(desk + batch) % 2];
                    let sent = Instant::now();
                    match request(addr, "POST", "/api/v1/push", Some(&token), Some(&body)) {
                        Ok((200, answer)) if !answer.contains("\"rejected\"") => {
                            latencies.lock().unwrap().push(sent.elapsed());
                        }
                        Ok((status, answer)) => failures
                            .lock()
                            .unwrap()
                            .push(format!("{status}: {answer:.300}")),
                        Err(error) => failures.lock().unwrap().push(error.to_string()),
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let failures = failures.lock().unwrap();
    let mut latencies = latencies.lock().unwrap();
    let records = DESKS * BATCHES * CASES_PER_BATCH * (1 + NOTES);
    let counts = servers[0].counts();
    println!(
        "\n## Branch ingest on PostgreSQL, two servers: {DESKS} desks of {CLINICS} clinics pushing at once"
    );
    println!(
        "records/s:        {:.0} ({records} records in {elapsed:.2} s; {} pushes of {} records)",
        records as f64 / elapsed,
        DESKS * BATCHES,
        CASES_PER_BATCH * (1 + NOTES)
    );
    println!("push latency:     {}", Figures::of(&mut latencies));
    println!(
        "errors:           {} (first: {:?}); stored: {} entries",
        failures.len(),
        failures.first(),
        counts.entries
    );
    Ok(())
}

fn feed(label: &str, branch: TestBranch, cases: u64) -> anyhow::Result<()> {
    let addr = branch.addr();
    let mut writers = Vec::new();
    let mut readers = Vec::new();
    for clinic in 0..FEED_CLINICS {
        let code = format!("FEED-{clinic:03}");
        admin::add_clinic(branch.database(), &code, "Klinik Bench")?;
        writers.push(enrol(&branch, addr, &code)?.0);
        readers.push(enrol(&branch, addr, &code)?.1);
    }
    let started = Instant::now();
    let mut random = Seeded::new(77);
    let mut seqs = vec![0u64; writers.len()];
    let mut index = 0u64;
    let pushed = cases.min(PUSHED_CASES);
    while index < pushed {
        let clinic = ((index / FEED_BATCH as u64) % FEED_CLINICS) as usize;
        let mut entries = Vec::with_capacity(FEED_BATCH);
        for _ in 0..FEED_BATCH.min((pushed - index) as usize) {
            for entry in case_entries(&mut random, index, &mut seqs[clinic], 0) {
                entries.push(serde_json::from_value::<PushEntry>(entry)?);
            }
            index += 1;
        }
        let receipts = admin::push_as_device(
            branch.database(),
            writers[clinic],
            &entries,
            Utc::now(),
            None,
        )?;
        anyhow::ensure!(
            receipts.iter().all(|receipt| receipt.receipt.is_some()),
            "a case was refused"
        );
    }
    let through_push = started.elapsed().as_secs_f64();
    // The rest: the pushed cases' changes copied in SQL, in seq order, until the feed holds
    // `cases` cases' worth (a copied record change names the same stored entry, which the page
    // reads by its key, as it reads every record change).
    let copies = cases / pushed - 1;
    let copy = "INSERT INTO changes (clinic_id, intake_id, kind, origin_device, body, created_at,
                                     entry_seq)
                SELECT clinic_id, intake_id, kind, origin_device, body, created_at, entry_seq
                FROM changes WHERE seq <= (SELECT min(seq) FROM changes) + COPY_ROWS ORDER BY seq;";
    let rows: u64 = match branch.database() {
        plkk_branch::Database::Sqlite { data_dir } => {
            let db = rusqlite::Connection::open(data_dir.join("branch.sqlite3"))?;
            db.busy_timeout(Duration::from_secs(60))?;
            let rows: u64 = db.query_row("SELECT count(*) FROM changes", [], |row| row.get(0))?;
            let copy = copy.replace("COPY_ROWS", &(rows - 1).to_string());
            db.execute_batch(&format!("BEGIN; {} COMMIT;", copy.repeat(copies as usize)))?;
            rows
        }
        plkk_branch::Database::Postgres { url } => {
            let rows: u64 = plkk_tests::postgres::psql(&url, "SELECT count(*) FROM changes")
                .trim()
                .parse()?;
            let copy = copy.replace("COPY_ROWS", &(rows - 1).to_string());
            plkk_tests::postgres::psql(&url, &copy.repeat(copies as usize));
            plkk_tests::postgres::psql(&url, "ANALYZE changes");
            rows
        }
    };
    let fill = started.elapsed().as_secs_f64();
    println!(
        "{label:<11} filled: {pushed} cases ({rows} changes) through the push path in {through_push:.0} s, copied in SQL {copies} times"
    );
    let per_clinic = cases / FEED_CLINICS;
    let mut times = Vec::with_capacity(FEED_RUNS);
    let mut rows = 0;
    for _ in 0..FEED_RUNS {
        let clinic = random.below(FEED_CLINICS) as usize;
        // A cursor somewhere in the branch's sequence: the page starts at the clinic's next.
        let since = random.below(cases.saturating_sub(per_clinic.min(cases)).max(1));
        let path = format!("/api/v1/changes?since={since}&limit={FEED_PAGE}");
        let sent = Instant::now();
        let (status, answer) = request(addr, "GET", &path, Some(&readers[clinic]), None)?;
        times.push(sent.elapsed());
        anyhow::ensure!(status == 200, "changes: {status} {answer:.200}");
        let page: Value = serde_json::from_str(&answer)?;
        rows += page["changes"].as_array().map_or(0, Vec::len);
    }
    println!(
        "{label:<11} {cases} cases filled in {fill:.0} s; a page ({} changes on average): {}",
        rows / FEED_RUNS,
        Figures::of(&mut times)
    );
    Ok(())
}
