//! `plkk-bench --documents`: a case document's upload (issue 13). A 300 KB photo (1,600×1,200,
//! kept as it is by the desk) attached to a case whose records are at the branch already, then
//! one sync cycle (or as many as cuts need) until the branch confirms it:
//!
//! - loopback, through the counting proxy, 15 documents: seconds (median, p99) and bytes the desk
//!   sent per document against its stored size, next to its peer in the same run: the same bytes
//!   sent once over a bare loopback TCP connection;
//! - a 64 kbit/s line (800 ms round trip, 5 % loss, TLS): one photo uncut, then one with 3 cuts of
//!   10 s at a quarter, half and three quarters of the uncut time, then one with every connection
//!   broken each time 150,000 bytes went up; seconds, bytes up against the stored size (the goal:
//!   within 10 %), sync cycles it took (each break fails one; the next resumes).

use std::path::Path;
use std::time::{Duration, Instant};

use plkk_store::DeskAccess;
use plkk_tests::accounts::{ADMIN, RECEPTIONIST};
use plkk_tests::branch::{tls_identity, TestBranch};
use plkk_tests::fault_proxy::FaultProxy;
use plkk_tests::line::{Line, LineSpec};
use plkk_tests::{documents, samples};

const LOOPBACK_RUNS: usize = 15;
const CUT_SECONDS: u64 = 10;
const BREAK_EVERY_BYTES: u64 = 150_000;

pub fn upload(dir: &Path) -> anyhow::Result<()> {
    let dir = dir.join("documents");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    loopback(&dir)?;
    over_a_line(&dir)?;
    Ok(())
}

/// A desk in `dir` enrolled at `url` with one case whose records the branch confirmed.
fn desk_with_a_case(
    dir: &Path,
    runtime: &tokio::runtime::Runtime,
    branch: &TestBranch,
    clinic: &str,
    url: &str,
    ca: Option<&str>,
) -> anyhow::Result<(DeskAccess, String)> {
    plkk_branch::admin::add_clinic(branch.data_dir(), clinic, "Klinik Bench")?;
    let code =
        plkk_branch::admin::issue_enrollment_code(branch.data_dir(), clinic, chrono::Utc::now())?;
    std::fs::create_dir_all(dir)?;
    let access = plkk_tests::accounts::set_up_desk(dir).access;
    runtime.block_on(plkk_sync::enroll(
        &access,
        &ADMIN.actor(),
        plkk_sync::EnrollOptions {
            branch_url: url.to_owned(),
            code,
            device_name: "bench".into(),
            ca_cert_pem: ca.map(str::to_owned),
        },
    ))?;
    let case = plkk_store::admit_intake(
        &mut access.open()?,
        &RECEPTIONIST.actor(),
        &samples::intake().as_object().cloned().unwrap_or_default(),
        now(),
    )?
    .id
    .to_string();
    runtime.block_on(plkk_sync::sync_once(&access))?;
    Ok((access, case))
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

fn attach(access: &DeskAccess, case: &str, photo: &[u8]) -> anyhow::Result<u64> {
    let view = plkk_store::attach_document(
        &mut access.open()?,
        &RECEPTIONIST.actor(),
        case,
        "ktp",
        Some("ktp.jpg"),
        photo,
        now(),
    )?;
    Ok(view.bytes)
}

/// Syncs until nothing waits; returns the cycles it took (a cut fails a cycle).
fn until_confirmed(runtime: &tokio::runtime::Runtime, access: &DeskAccess) -> anyhow::Result<u32> {
    let mut cycles = 0;
    loop {
        cycles += 1;
        let _ = runtime.block_on(plkk_sync::sync_once(access));
        if plkk_store::document_waiting(&access.open()?)?.documents == 0 {
            return Ok(cycles);
        }
        anyhow::ensure!(cycles < 500, "the document did not arrive");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn percentile(sorted: &[f64], share: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn loopback(dir: &Path) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let branch = TestBranch::start();
    let proxy = FaultProxy::start(branch.addr());
    let (access, case) = desk_with_a_case(
        &dir.join("loopback"),
        &runtime,
        &branch,
        "DOC-LOOP",
        &proxy.url(),
        None,
    )?;
    let mut seconds = Vec::new();
    let mut peer_seconds = Vec::new();
    let mut wire_ratio = Vec::new();
    let mut stored_total = 0;
    let peer = raw_sink()?;
    for run in 0..LOOPBACK_RUNS {
        let photo = documents::photo_300_kb(1000 + run as u64);
        let stored = attach(&access, &case, &photo)?;
        stored_total += stored;
        let (up_before, _) = proxy.bytes();
        let started = Instant::now();
        until_confirmed(&runtime, &access)?;
        seconds.push(started.elapsed().as_secs_f64());
        let (up_after, _) = proxy.bytes();
        wire_ratio.push((up_after - up_before) as f64 / stored as f64);
        // The peer: the same bytes sent once over a bare loopback connection.
        let started = Instant::now();
        peer(&photo)?;
        peer_seconds.push(started.elapsed().as_secs_f64());
    }
    for list in [&mut seconds, &mut peer_seconds, &mut wire_ratio] {
        list.sort_by(f64::total_cmp);
    }
    println!(
        "\n## A 300 KB photo over loopback ({LOOPBACK_RUNS} documents, stored {} B on average)",
        stored_total / LOOPBACK_RUNS as u64
    );
    println!(
        "upload (sync cycle: entry, pull, chunks)  median {:>7.1} ms  p99 {:>7.1} ms",
        1000.0 * percentile(&seconds, 0.5),
        1000.0 * percentile(&seconds, 0.99)
    );
    println!(
        "peer: the bytes once over bare TCP       median {:>7.1} ms  p99 {:>7.1} ms  (ratio {:.1})",
        1000.0 * percentile(&peer_seconds, 0.5),
        1000.0 * percentile(&peer_seconds, 0.99),
        percentile(&seconds, 0.5) / percentile(&peer_seconds, 0.5)
    );
    println!(
        "bytes the desk sent / stored size        median {:.3}  max {:.3}",
        percentile(&wire_ratio, 0.5),
        percentile(&wire_ratio, 1.0)
    );
    Ok(())
}

/// The peer: a sink on loopback that reads a whole body (its length first, 8 bytes) and answers
/// one byte; the closure sends `body` to it and waits for the answer.
fn raw_sink() -> anyhow::Result<impl Fn(&[u8]) -> anyhow::Result<()>> {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut length = [0u8; 8];
            if stream.read_exact(&mut length).is_err() {
                continue;
            }
            let mut body = vec![0u8; u64::from_le_bytes(length) as usize];
            if stream.read_exact(&mut body).is_ok() {
                let _ = stream.write_all(b"k");
            }
        }
    });
    Ok(move |body: &[u8]| {
        let mut stream = std::net::TcpStream::connect(addr)?;
        stream.write_all(&(body.len() as u64).to_le_bytes())?;
        stream.write_all(body)?;
        let mut answer = [0u8; 1];
        stream.read_exact(&mut answer)?;
        Ok(())
    })
}

fn over_a_line(dir: &Path) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let (cert, key, ca) = tls_identity(dir, "branch");
    let branch = TestBranch::start_with(|config| config.set_tls(Some(cert), Some(key)));
    println!("\n## A 300 KB photo over 64 kbit/s, 800 ms, 5 % loss (TLS)");
    let mut uncut_seconds = None;
    // Uncut; with 3 outages of 10 s (the line holds what is sent meanwhile, as TCP does); with
    // every connection broken each time 150,000 bytes went up (the upload resumes each time).
    for (index, (cut, breaks)) in [(false, false), (true, false), (false, true)]
        .into_iter()
        .enumerate()
    {
        let line = Line::start(branch.addr(), LineSpec::RURAL, 40 + index as u64);
        let url = format!("https://localhost:{}", line.port());
        let (access, case) = desk_with_a_case(
            &dir.join(format!("line-{index}")),
            &runtime,
            &branch,
            &format!("DOC-LINE-{index}"),
            &url,
            Some(&ca),
        )?;
        // A photo of its own per run: the branch would recognise a content it holds already.
        let photo = documents::photo_300_kb(7 + index as u64);
        let stored = attach(&access, &case, &photo)?;
        if breaks {
            line.drop_every(BREAK_EVERY_BYTES);
        }
        let (up_before, _) = line.bytes();
        let started = Instant::now();
        let every = uncut_seconds.unwrap_or(40.0) / 4.0;
        let done = std::sync::atomic::AtomicBool::new(false);
        let mut cuts_inside = 0;
        let (cycles, seconds) = std::thread::scope(|scope| {
            let cutter = cut.then(|| {
                let (line, done) = (&line, &done);
                scope.spawn(move || {
                    let mut cuts = 0;
                    for _ in 0..3 {
                        std::thread::sleep(Duration::from_secs_f64(every));
                        if done.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        line.cut(Duration::from_secs(CUT_SECONDS));
                        cuts += 1;
                        std::thread::sleep(Duration::from_secs(CUT_SECONDS));
                    }
                    cuts
                })
            });
            let cycles = until_confirmed(&runtime, &access);
            let seconds = started.elapsed().as_secs_f64();
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            if let Some(cutter) = cutter {
                cuts_inside = cutter.join().unwrap_or(0);
            }
            cycles.map(|cycles| (cycles, seconds))
        })?;
        let (up_after, _) = line.bytes();
        let up = up_after - up_before;
        println!(
            "{:<16} {:>6.1} s  sync cycles {:>2}  bytes up {:>7} for {:>7} B stored: ratio {:.3}",
            if cut {
                format!("{cuts_inside} cuts of 10 s")
            } else if breaks {
                "broken each 150 kB".to_owned()
            } else {
                "uncut".to_owned()
            },
            seconds,
            cycles,
            up,
            stored,
            up as f64 / stored as f64,
        );
        if !cut && !breaks {
            uncut_seconds = Some(seconds);
        }
    }
    Ok(())
}
