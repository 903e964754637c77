//! Case documents delivered to a real branch (in-process, on 127.0.0.1) through the fault proxy
//! (issue 13): twenty documents with connections cut in the middle of chunks arrive exactly once
//! with their SHA-256; a `plkk sync` killed mid-upload resumes where the branch's copy ends
//! without sending again what the branch has; a 413 for a chunk makes the chunks smaller instead
//! of stopping the queue; a content the branch holds already is not sent again.

use std::time::{Duration, Instant};

use plkk_branch::documents::{content_path, BranchDocument};
use plkk_tests::accounts::RECEPTIONIST;
use plkk_tests::branch::TestBranch;
use plkk_tests::fault_proxy::{Fault, FaultProxy};
use plkk_tests::sync_desk::{now, SyncDesk};
use plkk_tests::{bins, documents, samples};
use uuid::Uuid;

fn attach(desk: &SyncDesk, case: &str, kind: &str, content: &[u8]) -> Uuid {
    plkk_store::attach_document(
        &mut desk.store(),
        &RECEPTIONIST.actor(),
        case,
        kind,
        None,
        content,
        now(),
    )
    .expect("attached")
    .id
}

fn at_branch(branch: &TestBranch, case: &str) -> Vec<BranchDocument> {
    plkk_branch::admin::list_documents(branch.data_dir(), Uuid::parse_str(case).unwrap())
        .expect("the branch lists a case's documents")
}

/// Syncs until the desk has no document waiting (each cycle may fail on a cut).
fn sync_until_delivered(desk: &SyncDesk, most_cycles: usize) {
    for _ in 0..most_cycles {
        let _ = desk.sync();
        let waiting = plkk_store::document_waiting(&desk.store()).unwrap();
        if waiting.documents == 0 {
            return;
        }
    }
    panic!("documents still waiting after {most_cycles} cycles");
}

/// The offsets of the chunk requests (`PUT …/content?offset=N`) the proxy saw, with what it did.
fn chunk_offsets(proxy: &FaultProxy, from: usize) -> Vec<(u64, &'static str)> {
    proxy.request_lines()[from..]
        .iter()
        .filter(|(line, _)| line.starts_with("PUT /api/v1/documents/"))
        .map(|(line, fault)| {
            let offset = line
                .split("offset=")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|number| number.parse().ok())
                .expect("an offset");
            (offset, *fault)
        })
        .collect()
}

#[test]
fn twenty_documents_cut_mid_chunk_arrive_exactly_once_with_their_sha256() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-DOC", "Klinik Dokumen");
    let proxy = FaultProxy::start(branch.addr());
    let desk = SyncDesk::new();
    desk.enroll(&proxy.url(), &code);
    let cases: Vec<String> = (0..4).map(|_| desk.admit(samples::intake())).collect();
    let mut sent = Vec::new();
    for index in 0..20u64 {
        let content = documents::pdf(300_000 + 20_000 * index as usize, 100 + index);
        let case = &cases[index as usize % cases.len()];
        let id = attach(&desk, case, "police_report", &content);
        sent.push((id, case.clone(), plkk_domain::sha256_hex(&content)));
    }
    // About one request in four (at random, so no cycle is cut at the same step every time) is
    // cut after 100,000 bytes reached the branch: in the middle of a 256 KiB chunk, or (a smaller
    // request) with its answer lost.
    let mut random = plkk_tests::samples::Seeded::new(13);
    proxy.script((0..300).map(|_| {
        if random.below(4) == 0 {
            Fault::CutRequest(100_000)
        } else {
            Fault::Pass
        }
    }));
    sync_until_delivered(&desk, 120);

    let cut_chunks = chunk_offsets(&proxy, 0)
        .iter()
        .filter(|(_, fault)| *fault == "cut_request")
        .count();
    assert!(
        cut_chunks >= 5,
        "chunks were cut in the middle: {cut_chunks}"
    );
    for (id, case, sha256) in &sent {
        let documents = at_branch(&branch, case);
        let held: Vec<&BranchDocument> = documents.iter().filter(|d| d.id == *id).collect();
        assert_eq!(held.len(), 1, "document {id} exactly once");
        assert!(held[0].confirmed, "document {id} confirmed");
        assert_eq!(&held[0].sha256, sha256);
        let content = std::fs::read(content_path(branch.data_dir(), sha256)).unwrap();
        assert_eq!(
            &plkk_domain::sha256_hex(&content),
            sha256,
            "the stored file is the document"
        );
    }
    let total: usize = cases
        .iter()
        .map(|case| at_branch(&branch, case).len())
        .sum();
    assert_eq!(total, 20, "no document twice");
    let partial = branch.data_dir().join("documents").join("partial");
    let leftovers = std::fs::read_dir(&partial).map_or(0, |dir| dir.count());
    assert_eq!(leftovers, 0, "no partial copy left behind");
    for document in
        plkk_store::list_documents(&desk.store(), &RECEPTIONIST.actor(), &cases[0]).unwrap()
    {
        assert_eq!(
            document.sync_state,
            plkk_store::DocumentSyncState::Confirmed
        );
    }
}

#[test]
fn a_killed_plkk_sync_resumes_where_the_branch_copy_ends() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-KILLDOC", "Klinik Kill");
    let proxy = FaultProxy::start(branch.addr());
    let desk = SyncDesk::new();
    desk.enroll(&proxy.url(), &code);
    let case = desk.admit(samples::intake());
    let content = documents::pdf(1_500_000, 9);
    let id = attach(&desk, &case, "employer_report_3kk1", &content);
    let partial = branch
        .data_dir()
        .join("documents")
        .join("partial")
        .join(id.to_string());

    // A slow line: every request waits; `plkk sync` is killed once the branch holds 2 chunks.
    proxy.delay_each(Duration::from_millis(150));
    let mut child = std::process::Command::new(bins::workspace_binary("plkk"))
        .arg("sync")
        .env("PLKK_DATA_DIR", desk.data_dir())
        .env("PLKK_USER", RECEPTIONIST.username)
        .env("PLKK_PASSWORD", RECEPTIONIST.password)
        .env("PLKK_KDF", "fast")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("plkk sync starts");
    let started = Instant::now();
    while std::fs::metadata(&partial).map_or(0, |m| m.len()) < 2 * 256 * 1024 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the upload began"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("plkk sync killed");
    child.wait().unwrap();
    // A chunk the proxy had read whole before the kill still reaches the branch: let it settle.
    std::thread::sleep(Duration::from_secs(1));
    let held = std::fs::metadata(&partial).map_or(0, |m| m.len());
    assert!(held < content.len() as u64, "killed before the end");
    let before = proxy.request_lines().len();

    proxy.delay_each(Duration::ZERO);
    let output = bins::run_plkk(desk.data_dir(), &["sync"], "");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let resumed: Vec<u64> = chunk_offsets(&proxy, before)
        .iter()
        .map(|(offset, _)| *offset)
        .collect();
    assert!(held > 0, "the branch held chunks when the process died");
    assert_eq!(
        resumed.first(),
        Some(&held),
        "the restart sends from the first byte the branch lacks, nothing it has: {resumed:?}"
    );
    assert!(
        resumed.windows(2).all(|pair| pair[0] < pair[1]),
        "each chunk once: {resumed:?}"
    );
    let documents = at_branch(&branch, &case);
    assert!(documents[0].confirmed);
    let stored = std::fs::read(content_path(branch.data_dir(), &documents[0].sha256)).unwrap();
    assert_eq!(stored, content);
}

#[test]
fn a_413_for_a_chunk_makes_the_chunks_smaller() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-413", "Klinik Batas");
    let proxy = FaultProxy::start(branch.addr());
    let desk = SyncDesk::new();
    desk.enroll(&proxy.url(), &code);
    let case = desk.admit(samples::intake());
    let content = documents::pdf(600_000, 11);
    attach(&desk, &case, "receipt", &content);
    // A reverse proxy in front of the branch takes bodies of 100,000 bytes at most.
    proxy.limit_body(100_000);
    let summary = desk.sync().expect("the cycle completes");
    assert_eq!(summary.documents_confirmed, 1, "{summary:?}");
    let chunks = chunk_offsets(&proxy, 0);
    let refused = chunks
        .iter()
        .filter(|(_, fault)| *fault == "status")
        .count();
    assert_eq!(
        refused, 2,
        "256 KiB and 128 KiB refused, then 64 KiB chunks: {chunks:?}"
    );
    let stored_chunk: i64 = desk
        .store()
        .connection()
        .query_row("SELECT chunk_bytes FROM document_uploads", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(
        stored_chunk,
        64 * 1024,
        "the smaller chunk is kept for next time"
    );
    let documents = at_branch(&branch, &case);
    assert!(documents[0].confirmed);
    assert_eq!(documents[0].sha256, plkk_domain::sha256_hex(&content));

    // The branch's command line: the case's documents, and one written to a file.
    let branch_cli = |args: &[&str]| {
        std::process::Command::new(bins::workspace_binary("plkk-branch"))
            .arg("--data-dir")
            .arg(branch.data_dir())
            .args(args)
            .output()
            .expect("plkk-branch runs")
    };
    let listed = branch_cli(&["document", "list", "--case", &case, "--json"]);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["id"], documents[0].id.to_string());
    assert_eq!(listed[0]["kind"], "receipt");
    assert_eq!(listed[0]["sha256"], documents[0].sha256);
    assert_eq!(listed[0]["bytes"], 600_000);
    let file = tempfile::tempdir().unwrap();
    let output = file.path().join("kwitansi.pdf");
    let id = documents[0].id.to_string();
    let got = branch_cli(&["document", "get", &id, "--output", output.to_str().unwrap()]);
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(std::fs::read(&output).unwrap(), content);
    let unknown = branch_cli(&[
        "document",
        "get",
        &Uuid::now_v7().to_string(),
        "--output",
        "x",
    ]);
    assert_eq!(
        unknown.status.code(),
        Some(2),
        "an unknown document is the caller's mistake"
    );
}

#[test]
fn a_content_the_branch_holds_is_confirmed_without_sending_it_again() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-SAMA", "Klinik Sama");
    let proxy = FaultProxy::start(branch.addr());
    let desk = SyncDesk::new();
    desk.enroll(&proxy.url(), &code);
    let first = desk.admit(samples::intake());
    let content = documents::pdf(400_000, 12);
    attach(&desk, &first, "ktp", &content);
    desk.sync().expect("first document");
    let before = proxy.request_lines().len();
    // The same KTP scan on a second case (another visit of the same worker).
    let second = desk.admit(samples::intake());
    attach(&desk, &second, "ktp", &content);
    let summary = desk.sync().expect("second document");
    assert_eq!(summary.documents_confirmed, 1);
    assert!(
        chunk_offsets(&proxy, before).is_empty(),
        "no byte sent again"
    );
    assert!(at_branch(&branch, &second)[0].confirmed);
    let contents = std::fs::read_dir(branch.data_dir().join("documents"))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().file_name() != "partial")
        .map(|entry| std::fs::read_dir(entry.unwrap().path()).unwrap().count())
        .sum::<usize>();
    assert_eq!(contents, 1, "one file for one content");
}
