//! `plkk-bench`: prints the desk's performance figures (not a test; nothing here passes or fails).
//!
//! - intake save latency (median, p99) on the encrypted desk database (SQLCipher, as signed in),
//!   durable (WAL, synchronous=FULL), next to a bare one-row plain SQLite transaction on the same
//!   disk, measured interleaved so both see the same noise;
//! - sign-in time with the desk's real argon2id cost (`KdfParams::DESK`): unwrap the data key,
//!   open the encrypted database, record the sign-in (median of 5);
//! - search latency (p50, p95) over 100,000 and 1,000,000 synthetic intakes in encrypted desks;
//! - with `--sync` (only that): backlog sync throughput, bytes on the wire and memory beside
//!   PouchDB 9 replicating the same documents in the same run (`pouch.rs`), and branch ingest with
//!   50 desks at once (`sync.rs`);
//! - with `--inbox` (only that): the branch console's inbox at 100,000 cases (`--inbox-cases N`),
//!   median and p95 per filter and search (`inbox.rs`);
//! - with `--line` (only that): a day's work synced over an emulated rural line and a 2G-like one,
//!   uncut and with cuts, and the upload's make-up per record (`line.rs`);
//! - with `--postgres` (only that): the branch on PostgreSQL — ingest from 500 desks of 50
//!   clinics through two servers, and the changes feed at 1,000,000 cases on both backends
//!   (`--feed-cases N`; `postgres.rs`);
//! - with `--window`: app start to first paint and memory (PSS of the app and its WebKit
//!   processes), which needs a display (run under `xvfb-run`) and a built `plkk-desk`;
//! - with `--documents` (only that): a 300 KB photo's upload over loopback and a 64 kbit/s line
//!   with cuts, and its bytes on the wire against its stored size (`documents.rs`);
//! - with `--typing` (only that): keystrokes, tab stops and seconds of an admission and a
//!   treatment note typed into the real window at a newcomer's pace (`typing/`).
//!
//! Usage: `cargo run --release -p plkk-tests --bin plkk-bench -- [--sizes 100000,1000000]
//! [--saves 500] [--dir DIR] [--window] [--sync] [--line] [--typing]`. DIR (default: a folder under `target/`) must be
//! on the disk a clinic would use, not a RAM disk.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use plkk_store::{Actor, ListQuery, Store};
use plkk_tests::accounts::{self, RECEPTIONIST};
use plkk_tests::samples::{self, Seeded};

mod documents;
mod inbox;
mod line;
mod postgres;
mod pouch;
mod sync;
mod typing;
mod window;

struct Options {
    sizes: Vec<u64>,
    saves: usize,
    dir: PathBuf,
    window: bool,
    sync: bool,
    inbox: bool,
    inbox_cases: u64,
    postgres: bool,
    feed_cases: u64,
    line: bool,
    typing: bool,
    documents: bool,
}

fn main() -> anyhow::Result<()> {
    let Some(options) = parse_options()? else {
        print!("{USAGE}");
        return Ok(());
    };
    std::fs::create_dir_all(&options.dir)?;
    println!("plkk-bench: working in {}", options.dir.display());
    if options.sync {
        return sync::backlog_and_ingest(&options.dir);
    }
    if options.inbox {
        return inbox::inbox_latency(&options.dir, options.inbox_cases);
    }
    if options.line {
        return line::day_over_a_line(&options.dir);
    }
    if options.postgres {
        return postgres::postgres(&options.dir, options.feed_cases);
    }
    if options.typing {
        return typing::typing();
    }
    if options.documents {
        return documents::upload(&options.dir);
    }
    save_latency(&options)?;
    sign_in_time(&options)?;
    for &size in &options.sizes {
        search_latency(&options, size)?;
    }
    if options.window {
        window::start_and_memory()?;
    }
    Ok(())
}

const USAGE: &str = "\
plkk-bench: prints the desk's performance figures (nothing passes or fails).

Usage: plkk-bench [--sizes 100000,1000000] [--saves 500] [--dir DIR] [--window] [--sync] [--line] [--typing] [--documents]
       plkk-bench --inbox [--inbox-cases 100000] [--dir DIR]
       plkk-bench --postgres [--feed-cases 1000000] [--dir DIR]

  --sizes N,M   search over desks of these many synthetic intakes (kept in DIR between runs)
  --saves N     intake saves to time (encrypted desk, durable), next to bare SQLite transactions
  --dir DIR     working folder (default: bench-data beside this program); on the clinic's kind of
                disk, not a RAM disk
  --window      also time the desktop app's start and memory (needs a display: xvfb-run)
  --sync        only the sync figures: backlog of one desk, then 50 desks at a branch at once
  --inbox       only the branch console's inbox: median and p95 per filter (library and HTTP)
  --inbox-cases N  cases at the branch for --inbox (default 100000; the filled branch is kept in DIR)
  --postgres    only the branch on PostgreSQL: ingest from 500 desks through two servers, and
                one changes-feed page at --feed-cases N cases (default 1000000), SQLite beside it
  --line        only a day's work over an emulated 64 kbit/s line and a 2G-like one, uncut and
                with 4 cuts (about 15 minutes), and the upload's make-up per record
  --documents   only a case document's upload: a 300 KB photo over loopback (median, p99, bytes
                on the wire against its stored size) and over a 64 kbit/s line, uncut and with
                3 cuts (about 3 minutes)
  --typing      only the typing figures: an admission and a treatment note typed into the real
                window with real key events at a newcomer's pace (needs xvfb-run and xdotool)
  --help        this text

Every run also times signing in with the desk's real argon2id cost.
Quick run: plkk-bench --sizes 1000 --saves 50
";

/// The options, or None when --help asked for the usage text.
fn parse_options() -> anyhow::Result<Option<Options>> {
    let mut options = Options {
        sizes: vec![100_000, 1_000_000],
        saves: 500,
        dir: plkk_tests::bins::profile_dir().join("bench-data"),
        window: false,
        sync: false,
        inbox: false,
        inbox_cases: 100_000,
        postgres: false,
        feed_cases: 1_000_000,
        line: false,
        typing: false,
        documents: false,
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let mut value = || {
            arguments
                .next()
                .ok_or_else(|| anyhow::anyhow!("{argument} needs a value"))
        };
        match argument.as_str() {
            "--sizes" => {
                options.sizes = value()?
                    .split(',')
                    .map(|size| size.trim().parse())
                    .collect::<Result<_, _>>()?
            }
            "--saves" => options.saves = value()?.parse()?,
            "--dir" => options.dir = PathBuf::from(value()?),
            "--window" => options.window = true,
            "--sync" => options.sync = true,
            "--inbox" => options.inbox = true,
            "--inbox-cases" => options.inbox_cases = value()?.parse()?,
            "--line" => options.line = true,
            "--postgres" => options.postgres = true,
            "--feed-cases" => options.feed_cases = value()?.parse()?,
            "--typing" => options.typing = true,
            "--documents" => options.documents = true,
            "--help" | "-h" => return Ok(None),
            other => anyhow::bail!("unknown option {other} (see --help)"),
        }
    }
    Ok(Some(options))
}

fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

fn object(value: serde_json::Value) -> plkk_domain::JsonObject {
    value.as_object().cloned().unwrap_or_default()
}

/// The receptionist, who admits the intakes measured here.
fn receptionist() -> Actor {
    RECEPTIONIST.actor()
}

/// The encrypted store of a set-up bench desk in `dir`: set up on first use (the test desks'
/// staff, see `plkk_tests::accounts`), signed in again when it is kept from an earlier run.
fn bench_desk(dir: &Path) -> anyhow::Result<Store> {
    if plkk_store::desk_phase(dir) == plkk_store::DeskPhase::SetUp {
        return Ok(RECEPTIONIST.sign_in(dir).store);
    }
    if let Some(obstacle) = plkk_store::setup_obstacle(dir) {
        anyhow::bail!(
            "cannot set a bench desk up in {}: {obstacle}",
            dir.display()
        );
    }
    Ok(accounts::set_up_desk(dir).access.open()?)
}

/// Intake saves (encrypted desk) and bare one-row plain transactions, alternating, on the same
/// disk.
fn save_latency(options: &Options) -> anyhow::Result<()> {
    let dir = options.dir.join("save");
    let _ = std::fs::remove_dir_all(&dir);
    let mut store = bench_desk(&dir.join("desk"))?;
    let actor = receptionist();
    let bare = rusqlite::Connection::open(dir.join("bare.sqlite3"))?;
    bare.pragma_update(None, "journal_mode", "WAL")?;
    bare.pragma_update(None, "synchronous", "FULL")?;
    bare.execute_batch("CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT NOT NULL)")?;
    let body = samples::intake().to_string();

    let mut random = Seeded::new(7);
    let mut desk_times = Vec::with_capacity(options.saves);
    let mut bare_times = Vec::with_capacity(options.saves);
    for index in 0..options.saves as u64 {
        let intake = object(samples::synthetic_intake(&mut random, index));
        let started = Instant::now();
        plkk_store::admit_intake(&mut store, &actor, &intake, now())?;
        desk_times.push(started.elapsed());

        let started = Instant::now();
        let tx = bare.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO rows (id, body) VALUES (?1, ?2)",
            (uuid::Uuid::now_v7().to_string(), &body),
        )?;
        tx.commit()?;
        bare_times.push(started.elapsed());
    }
    let desk = Figures::of(&mut desk_times);
    let bare = Figures::of(&mut bare_times);
    println!(
        "\n## Intake save, durable (WAL, synchronous=FULL), {} saves",
        options.saves
    );
    println!("(intake save: validate + record + projection + search index + outbox + audit entry,");
    println!(" one transaction, in the encrypted desk database)");
    println!("intake save, encrypted desk:                      {desk}");
    println!("bare one-row plain SQLite transaction, same disk: {bare}");
    println!(
        "ratio intake/bare: median {:.2}x, p99 {:.2}x",
        ratio(desk.median, bare.median),
        ratio(desk.p99, bare.p99)
    );
    Ok(())
}

/// Times signing in as a clinic's desk does it: the argon2id cost of `KdfParams::DESK` to unwrap
/// the data key, then opening the encrypted database and recording the sign-in.
fn sign_in_time(options: &Options) -> anyhow::Result<()> {
    const RUNS: usize = 5;
    let dir = options.dir.join("sign-in");
    let _ = std::fs::remove_dir_all(&dir);
    let admin = accounts::ADMIN;
    let new = plkk_store::NewAccount {
        username: admin.username,
        display_name: admin.display_name,
        role: admin.role,
        password: admin.password,
        pin: None,
    };
    let done = plkk_store::setup(&dir, &new, plkk_vault::KdfParams::DESK, now())?;
    drop(done);
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        let signed_in = plkk_store::sign_in(&dir, admin.username, admin.password, "bench", now())?;
        times.push(started.elapsed());
        drop(signed_in);
    }
    times.sort();
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    println!("\n## Sign-in with the desk's argon2id cost (KdfParams::DESK), {RUNS} sign-ins");
    println!(
        "unwrap the data key + open the database + record the sign-in: \
         median {:.0} ms, min {:.0} ms, max {:.0} ms",
        ms(times[RUNS / 2]),
        ms(times[0]),
        ms(times[RUNS - 1])
    );
    Ok(())
}

/// Fills an encrypted desk with `size` synthetic intakes (reused between runs) and times typical
/// searches.
fn search_latency(options: &Options, size: u64) -> anyhow::Result<()> {
    let dir = options.dir.join(format!("search-{size}"));
    let mut store = bench_desk(&dir)?;
    let actor = receptionist();
    let present = plkk_store::status(&store)?.intakes;
    if present < size {
        let started = Instant::now();
        // Loading only: durability per row is not what is measured here.
        store
            .connection()
            .pragma_update(None, "synchronous", "OFF")?;
        let mut random = Seeded::new(size + present);
        for index in present..size {
            let intake = object(samples::synthetic_intake(&mut random, index));
            plkk_store::admit_intake(&mut store, &actor, &intake, now())?;
        }
        store
            .connection()
            .pragma_update(None, "synchronous", "FULL")?;
        println!(
            "\n(loaded {} synthetic intakes in {:.1} s)",
            size - present,
            started.elapsed().as_secs_f64()
        );
    }
    // The one-time rebuild of the search index when a desk upgrades past migration 0004 (the
    // normal form of searched text changed; plkk_domain::normalise): an older desk counted its
    // migrations in `user_version` and had no table of applied names. The tables of the later
    // migrations go too, so they run again (as in tests/tests/store.rs).
    store.connection().execute_batch(
        "DROP TABLE drafts; DROP TABLE employers; DROP TABLE sync_link;
         DROP TABLE applied_migrations; PRAGMA user_version = 3;",
    )?;
    drop(store);
    let started = Instant::now();
    let store = bench_desk(&dir)?;
    println!(
        "\n(search index rebuilt by migration 0004 over {size} intakes in {:.1} s, sign-in included)",
        started.elapsed().as_secs_f64()
    );
    let queries = [
        "si",
        "sit",
        "siti",
        "rahma",
        "budi san",
        "dewi k",
        "lubis",
        "hendra gun",
        "3216",
        "321605",
        "32160112",
        "0000012",
        "3216 05",
        "3216-0112",
        "000004567",
        "maju",
        "sinar cik",
        "ojek",
        "asep sembiring",
    ];
    let single_letters = ["s", "b", "a", "3", "r"];
    let mut times = Vec::new();
    let mut single_times = Vec::new();
    for round in 0..20 {
        for query in queries {
            times.push(time_search(&store, &actor, query)?);
        }
        if round < 4 {
            for query in single_letters {
                single_times.push(time_search(&store, &actor, query)?);
            }
        }
    }
    println!(
        "\n## Search over {size} intakes, encrypted desk (first 200 results, as the case list asks)"
    );
    println!(
        "typed queries of 2+ characters ({} runs): {}",
        times.len(),
        Figures::of(&mut times)
    );
    println!(
        "single-character queries ({} runs):        {}",
        single_times.len(),
        Figures::of(&mut single_times)
    );
    Ok(())
}

fn time_search(store: &Store, actor: &Actor, typed: &str) -> anyhow::Result<Duration> {
    let query = ListQuery {
        search: typed.to_owned(),
        open_only: false,
        limit: 200,
    };
    let started = Instant::now();
    let found = plkk_store::list_cases(store, actor, &query)?;
    let elapsed = started.elapsed();
    std::hint::black_box(found);
    Ok(elapsed)
}

/// Median, p95 and p99 of a set of durations.
#[derive(Debug, Clone, Copy)]
struct Figures {
    median: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
}

impl Figures {
    fn of(times: &mut [Duration]) -> Figures {
        times.sort();
        let at = |fraction: f64| times[((times.len() - 1) as f64 * fraction).round() as usize];
        Figures {
            median: at(0.5),
            p95: at(0.95),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

impl std::fmt::Display for Figures {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
        write!(
            formatter,
            "median {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            ms(self.median),
            ms(self.p95),
            ms(self.p99),
            ms(self.max)
        )
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}
