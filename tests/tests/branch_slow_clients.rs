//! Issue 8, item 13: slow clients were never dropped and there was no connection cap. A real
//! `plkk-branch` process, configured with a small cap and short timeouts, gets a bounded slowloris
//! on loopback (clients that send nothing, trickle their headers, or trickle their body), over
//! plain HTTP and over TLS (some stalling the handshake, the rest after it), while a normal desk
//! enrols and syncs. The desk's records arrive, every slow connection is closed by the server
//! after its timeout (not before), and the process never holds more files than the cap allows.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use plkk_tests::branch_process::BranchProcess;
use plkk_tests::sync_desk::SyncDesk;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

const CAP: usize = 40;
const TIMEOUT_SECONDS: u64 = 2;
/// How long a slow client keeps trying before it gives up (it must be dropped well before).
const GIVE_UP: Duration = Duration::from_secs(40);

fn config(tls: &str) -> String {
    format!(
        "max_connections = {CAP}\nheader_timeout_seconds = {TIMEOUT_SECONDS}\n\
         body_timeout_seconds = {TIMEOUT_SECONDS}\nidle_timeout_seconds = {TIMEOUT_SECONDS}\n{tls}"
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slow {
    /// Connects and sends nothing (on TLS: stalls the handshake).
    Silent,
    /// Sends a request line, then one header line every 400 ms.
    Headers,
    /// Sends whole headers of a 100 kB body, then one byte of it every 400 ms.
    Body,
}

#[derive(Debug)]
struct Outcome {
    kind: Slow,
    /// Closed by the server (end of stream or reset) before the client gave up.
    closed_by_server: bool,
    lived: Duration,
}

/// Trickles `kind` on `stream` until the server closes it or the client gives up.
async fn trickle<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    kind: Slow,
    started: Instant,
) -> Outcome {
    let opening: &[u8] = match kind {
        Slow::Silent => b"",
        Slow::Headers => b"GET /api/v1/health HTTP/1.1\r\nhost: branch\r\n",
        Slow::Body => {
            b"POST /api/v1/enroll HTTP/1.1\r\nhost: branch\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{\"code\": \""
        }
    };
    let mut closed_by_server = stream.write_all(opening).await.is_err();
    let mut buffer = [0u8; 1024];
    while !closed_by_server && started.elapsed() < GIVE_UP {
        tokio::select! {
            read = stream.read(&mut buffer) => {
                // An answer (408 for a late body) may come first; the close follows it.
                closed_by_server = matches!(read, Ok(0) | Err(_));
            }
            () = tokio::time::sleep(Duration::from_millis(400)) => {
                let more: &[u8] = match kind {
                    Slow::Silent => b"",
                    Slow::Headers => b"x-slow: 1\r\n",
                    Slow::Body => b"K",
                };
                if stream.write_all(more).await.is_err() {
                    closed_by_server = true;
                }
            }
        }
    }
    Outcome {
        kind,
        closed_by_server,
        lived: started.elapsed(),
    }
}

/// Opens `count` slow connections (kinds in turn) and waits for all of them to end, while the
/// branch's open files are sampled. Returns the outcomes and the most files seen open.
async fn slowloris(
    branch: &BranchProcess,
    count: usize,
    tls: Option<(tokio_rustls::TlsConnector, Arc<AtomicUsize>)>,
) -> (Vec<Outcome>, Open) {
    let kinds = [Slow::Silent, Slow::Headers, Slow::Body];
    let addr = branch.addr();
    let mut tasks = Vec::new();
    for index in 0..count {
        let kind = kinds[index % kinds.len()];
        let tls = tls.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let stream = TcpStream::connect(addr).await.expect("loopback connects");
            match (tls, kind) {
                (None, _) | (Some(_), Slow::Silent) => trickle(stream, kind, started).await,
                (Some((connector, handshakes)), _) => {
                    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
                    match connector.connect(name, stream).await {
                        Ok(stream) => {
                            handshakes.fetch_add(1, Ordering::Relaxed);
                            trickle(stream, kind, started).await
                        }
                        Err(_) => Outcome {
                            kind,
                            closed_by_server: true,
                            lived: started.elapsed(),
                        },
                    }
                }
            }
        }));
    }
    let done = Arc::new(AtomicBool::new(false));
    let pid_files = {
        let done = Arc::clone(&done);
        let pid = branch.pid();
        tokio::spawn(async move {
            let mut most = Open::default();
            while !done.load(Ordering::Relaxed) {
                let files =
                    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count());
                most.files = most.files.max(files);
                most.sockets = most
                    .sockets
                    .max(plkk_tests::branch_process::sockets_of(pid));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            most
        })
    };
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("a slow client task"));
    }
    done.store(true, Ordering::Relaxed);
    (outcomes, pid_files.await.unwrap())
}

/// A desk enrols, admits three cases with a note each and syncs, on its own thread.
fn desk_syncs(url: String, code: String, ca: Option<String>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        // Let the slow clients take the connections first.
        std::thread::sleep(Duration::from_millis(300));
        let desk = SyncDesk::new();
        desk.enroll_trusting(&url, &code, ca);
        desk.capture(3, 1, 7);
        let summary = desk
            .sync()
            .expect("the desk syncs while slow clients hold connections");
        summary.confirmed
    })
}

/// What the branch process had open: every file, and the sockets among them (the database's files
/// come and go with its connection pool, so the connection cap is judged on sockets).
#[derive(Debug, Default, Clone, Copy)]
struct Open {
    files: usize,
    sockets: usize,
}

impl Open {
    fn of(branch: &BranchProcess) -> Open {
        Open {
            files: branch.open_files(),
            sockets: branch.open_sockets(),
        }
    }
}

fn check(branch: &BranchProcess, outcomes: &[Outcome], most: Open, baseline: Open) {
    let timeout = Duration::from_secs(TIMEOUT_SECONDS);
    for outcome in outcomes {
        assert!(
            outcome.closed_by_server,
            "a {:?} client was still served after {:?}",
            outcome.kind, outcome.lived
        );
        assert!(
            outcome.lived + Duration::from_millis(100) >= timeout,
            "a {:?} client was dropped before its timeout, after {:?}",
            outcome.kind,
            outcome.lived
        );
    }
    assert!(
        most.sockets <= baseline.sockets + CAP + 2,
        "the branch held {} sockets (cap {CAP} connections over {})",
        most.sockets,
        baseline.sockets
    );
    assert!(
        most.files + (plkk_branch::RESERVED_FILES as usize) < 1024,
        "headroom below the default open-file limit"
    );
    let counts = branch.counts();
    assert_eq!(
        (counts.intakes, counts.notes),
        (3, 3),
        "the desk's records arrived once"
    );
}

#[test]
fn slow_plain_http_clients_are_dropped_and_a_desk_still_syncs() {
    let branch = BranchProcess::start(&config(""));
    let baseline = Open::of(&branch);
    let code = branch.clinic_with_code("PLKK-SLOW");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let desk = desk_syncs(format!("http://{}", branch.addr()), code, None);
    let (outcomes, most) = runtime.block_on(slowloris(&branch, 150, None));
    let confirmed = desk.join().expect("the desk thread");
    assert_eq!(confirmed, 6, "three intakes and three notes confirmed");
    println!(
        "150 slow clients, cap {CAP}: longest lived {:?}, most open {most:?} (baseline {baseline:?})",
        outcomes.iter().map(|outcome| outcome.lived).max().unwrap()
    );
    check(&branch, &outcomes, most, baseline);
}

#[test]
fn slow_tls_clients_are_dropped_in_and_after_the_handshake_and_a_desk_still_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let identity = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = identity.cert.pem();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, identity.key_pair.serialize_pem()).unwrap();
    let tls = format!(
        "tls_cert = \"{}\"\ntls_key = \"{}\"\n",
        cert.display(),
        key.display()
    );
    let branch = BranchProcess::start(&config(&tls));
    let baseline = Open::of(&branch);
    let code = branch.clinic_with_code("PLKK-SLOW");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(identity.cert.der().clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let handshakes = Arc::new(AtomicUsize::new(0));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = format!("https://localhost:{}", branch.addr().port());
    let desk = desk_syncs(url, code, Some(cert_pem));
    let (outcomes, most) = runtime.block_on(slowloris(
        &branch,
        90,
        Some((connector, Arc::clone(&handshakes))),
    ));
    let confirmed = desk.join().expect("the desk thread");
    assert_eq!(confirmed, 6, "three intakes and three notes confirmed");
    assert_eq!(
        handshakes.load(Ordering::Relaxed),
        60,
        "the header and body tricklers completed their handshakes"
    );
    check(&branch, &outcomes, most, baseline);
}
