//! Desks' audit chains at a real branch: `POST /api/v1/audit` over real HTTP to a `plkk-branch`
//! served in-process, and `plkk-branch audit verify` run as a process (build it first with
//! `cargo build --workspace --bins`). A sound chain is acked whole, resends are no-ops, and every
//! kind of tampering is named at its seq: changed after sent, altered, deleted, reordered. Bad
//! bodies are refused with a JSON reason and store nothing; a revoked device is refused like
//! `/push`.
//!
//! The HTTP client is a few lines over `std::net::TcpStream` (plain HTTP/1.1 on loopback, one
//! request per connection), so this test needs no client crate beyond the workspace's own.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::Output;

use chrono::{DateTime, FixedOffset, Utc};
use plkk_domain::AuditEntry;
use plkk_protocol::{AuditPushRequest, AuditPushResponse, AuditRecord, Enrollment, ErrorBody};
use plkk_tests::bins::workspace_binary;
use plkk_tests::branch::TestBranch;
use serde_json::{json, Value};

/// An HTTP answer: status and body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        format!("{} {}", self.status, String::from_utf8_lossy(&self.body))
    }

    fn error(&self, status: u16, code: &str) -> ErrorBody {
        assert_eq!(self.status, status, "{}", self.text());
        let body: ErrorBody = serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("{error}: {}", self.text()));
        assert_eq!(body.error, code, "{body:?}");
        body
    }
}

/// One POST with a JSON body, on its own connection.
fn post(addr: SocketAddr, path: &str, token: Option<&str>, body: &[u8]) -> Answer {
    let mut stream = std::net::TcpStream::connect(addr).expect("the branch accepts");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let auth = token.map_or(String::new(), |token| {
        format!("authorization: Bearer {token}\r\n")
    });
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: branch\r\nconnection: close\r\ncontent-type: application/json\r\n{auth}content-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("the branch answers");
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("an HTTP head");
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let rest = &raw[split + 4..];
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Answer { status, body }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let end = rest
            .windows(2)
            .position(|window| window == b"\r\n")
            .expect("a chunk size");
        let size_text = String::from_utf8_lossy(&rest[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            .expect("a hex chunk size");
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[end + 2..end + 2 + size]);
        rest = &rest[end + 2 + size + 2..];
    }
}

/// A device of clinic `PLKK-01` enrolled through the API.
fn enrol(branch: &TestBranch) -> Enrollment {
    let _ = plkk_branch::admin::add_clinic(branch.database(), "PLKK-01", "Klinik Sehat");
    let code = branch.enrollment_code("PLKK-01");
    let body = json!({"code": code, "device_name": "Meja depan"}).to_string();
    let answer = post(branch.addr(), "/api/v1/enroll", None, body.as_bytes());
    assert_eq!(answer.status, 200, "{}", answer.text());
    serde_json::from_slice(&answer.body).expect("an Enrollment")
}

fn send(branch: &TestBranch, device: &Enrollment, entries: &[AuditEntry]) -> Answer {
    let request = AuditPushRequest {
        entries: entries.iter().map(record).collect(),
    };
    let body = serde_json::to_vec(&request).unwrap();
    post(branch.addr(), "/api/v1/audit", Some(&device.token), &body)
}

fn push(branch: &TestBranch, device: &Enrollment, entries: &[AuditEntry]) -> AuditPushResponse {
    let answer = send(branch, device, entries);
    assert_eq!(answer.status, 200, "{}", answer.text());
    serde_json::from_slice(&answer.body).expect("an AuditPushResponse")
}

fn record(entry: &AuditEntry) -> AuditRecord {
    AuditRecord {
        seq: entry.seq,
        at: entry.at,
        actor: entry.actor.clone(),
        action: entry.action.clone(),
        subject: entry.subject.clone(),
        detail: entry.detail.clone(),
        prev_hash: entry.prev_hash.clone(),
        hash: entry.hash.clone(),
    }
}

fn at(minute: usize) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-25T08:00:00+07:00").unwrap()
        + chrono::Duration::minutes(minute as i64)
}

/// A sound chain of `length` entries, built as the desk builds it.
fn chain(length: usize) -> Vec<AuditEntry> {
    let actions = ["sign_in", "open_case", "admit", "add_note", "print"];
    let mut entries: Vec<AuditEntry> = Vec::new();
    for index in 0..length {
        let prev = entries.last().map(|entry| (entry.seq, entry.hash.as_str()));
        let detail = json!({ "n": index }).to_string();
        entries.push(AuditEntry::next(
            prev,
            at(index),
            "rina",
            actions[index % actions.len()],
            Some("0193b0a2-0000-7000-8000-000000000001"),
            &detail,
        ));
    }
    entries
}

/// The same entry with its own hash recomputed (its `prev_hash` kept).
fn rehashed(mut entry: AuditEntry) -> AuditEntry {
    entry.hash = entry.computed_hash();
    entry
}

fn kinds(answer: &AuditPushResponse) -> Vec<(i64, &str)> {
    answer
        .breaks
        .iter()
        .map(|found| (found.seq, found.kind.as_str()))
        .collect()
}

fn held(branch: &TestBranch, device: &Enrollment) -> Vec<plkk_branch::admin::StoredAuditEntry> {
    plkk_branch::admin::list_audit(branch.database(), device.device_id).expect("audit list")
}

/// `plkk-branch audit ARGS` on the branch's store, as a process.
fn audit_cli(branch: &TestBranch, args: &[&str]) -> Output {
    std::process::Command::new(workspace_binary("plkk-branch"))
        .args(branch.store_args())
        .arg("audit")
        .args(args)
        .env_remove("PLKK_BRANCH_DATA_DIR")
        .output()
        .expect("plkk-branch runs")
}

/// Runs `audit verify` and checks its exit code; returns its standard output.
fn verify_exits(branch: &TestBranch, args: &[&str], code: i32) -> String {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    let output = audit_cli(branch, &all);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn a_sound_chain_sent_in_two_pushes_is_acked_whole_and_a_resend_is_a_no_op() {
    let branch = TestBranch::start();
    let device = enrol(&branch);
    let entries = chain(5);

    let first = push(&branch, &device, &entries[..2]);
    assert_eq!((first.acked_seq, first.breaks.len()), (2, 0));
    let second = push(&branch, &device, &entries[2..]);
    assert_eq!((second.acked_seq, second.breaks.len()), (5, 0));

    let again = push(&branch, &device, &entries);
    assert_eq!((again.acked_seq, again.breaks.len()), (5, 0), "a resend");
    let stored = held(&branch, &device);
    assert_eq!(stored.len(), 5, "each entry stored once");
    assert_eq!(
        stored.iter().map(|entry| &entry.hash).collect::<Vec<_>>(),
        entries.iter().map(|entry| &entry.hash).collect::<Vec<_>>()
    );

    let text = verify_exits(&branch, &[], 0);
    assert!(text.contains(&device.device_id.to_string()), "{text}");
    assert!(
        text.contains("entries 5") && text.contains("acked 5") && text.contains("sound"),
        "{text}"
    );
    let id = device.device_id.to_string();
    let report: Value =
        serde_json::from_str(&verify_exits(&branch, &["--device", &id, "--json"], 0)).unwrap();
    assert_eq!(report["sound"], true);
    assert_eq!(report["devices"][0]["entries"], 5);
    assert_eq!(report["devices"][0]["acked_seq"], 5);

    let listed = audit_cli(&branch, &["list", "--device", &id, "--json"]);
    assert!(listed.status.success());
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 5);
    assert_eq!(listed[0]["action"], "sign_in");
}

#[test]
fn an_entry_changed_after_it_was_sent_is_not_stored_and_flagged() {
    let branch = TestBranch::start();
    let device = enrol(&branch);
    let entries = chain(3);
    push(&branch, &device, &entries);

    // The desk's entry 2 rewritten (and its hash recomputed) after the branch had it.
    let mut changed = entries[1].clone();
    changed.actor = "someone-else".into();
    let changed = rehashed(changed);
    let answer = push(&branch, &device, &[changed]);
    assert_eq!(kinds(&answer), vec![(2, "changed_after_sent")]);
    assert_eq!(answer.acked_seq, 3);

    let stored = held(&branch, &device);
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[1].actor, "rina", "the first version is kept");
    assert_eq!(stored[1].hash, entries[1].hash);

    let text = verify_exits(&branch, &[], 5);
    assert!(
        text.contains("BROKEN at seq 2 (changed_after_sent)"),
        "{text}"
    );
}

#[test]
fn an_altered_entry_is_named_at_its_seq_and_still_stored() {
    let branch = TestBranch::start();
    let device = enrol(&branch);
    let mut entries = chain(5);
    entries[2].detail = json!({"n": 2, "case": "another"}).to_string();
    let answer = push(&branch, &device, &entries);
    assert_eq!(kinds(&answer), vec![(3, "altered")]);
    assert_eq!(answer.acked_seq, 5, "nothing is lost");
    assert_eq!(held(&branch, &device).len(), 5);

    let text = verify_exits(&branch, &[], 5);
    assert!(text.contains("BROKEN at seq 3 (altered)"), "{text}");
}

#[test]
fn a_deleted_entry_keeps_acked_below_it_and_is_missing_when_the_next_arrives() {
    let branch = TestBranch::start();
    let device = enrol(&branch);
    let entries = chain(5);
    push(&branch, &device, &entries[..2]);

    // Entry 3 was deleted from the desk's log: it sends 4 and 5.
    let answer = push(&branch, &device, &entries[3..]);
    assert_eq!(
        kinds(&answer),
        vec![(4, "missing")],
        "4 has no predecessor; 5 links to 4"
    );
    assert_eq!(answer.acked_seq, 2);
    assert_eq!(held(&branch, &device).len(), 4, "4 and 5 are kept");

    let id = device.device_id.to_string();
    let text = verify_exits(&branch, &["--device", &id], 5);
    assert!(text.contains("acked 2"), "{text}");
    assert!(text.contains("BROKEN at seq 4 (missing)"), "{text}");
}

#[test]
fn a_reordered_chain_breaks_the_link_where_the_order_changed() {
    let branch = TestBranch::start();
    let device = enrol(&branch);
    let entries = chain(5);
    // Entries 3 and 4 swapped, renumbered and each re-hashed: their own hashes are right, their
    // links are not.
    let mut moved_up = entries[3].clone();
    moved_up.seq = 3;
    let mut moved_down = entries[2].clone();
    moved_down.seq = 4;
    let reordered = vec![
        entries[0].clone(),
        entries[1].clone(),
        rehashed(moved_up),
        rehashed(moved_down),
        entries[4].clone(),
    ];
    let answer = push(&branch, &device, &reordered);
    assert_eq!(
        kinds(&answer),
        vec![(3, "broken_link"), (4, "broken_link"), (5, "broken_link")]
    );
    assert_eq!(answer.acked_seq, 5);

    let text = verify_exits(&branch, &[], 5);
    assert!(text.contains("BROKEN at seq 3 (broken_link)"), "{text}");
    let report: Value = serde_json::from_str(&verify_exits(&branch, &["--json"], 5)).unwrap();
    assert_eq!(report["sound"], false);
    assert_eq!(report["devices"][0]["first_break"]["seq"], 3);
    assert_eq!(report["devices"][0]["first_break"]["kind"], "broken_link");
}

#[test]
fn bad_bodies_get_a_json_reason_and_store_nothing() {
    let branch = TestBranch::start();
    let device = enrol(&branch);

    let too_many = send(&branch, &device, &chain(501));
    let body = too_many.error(422, "invalid_body");
    assert_eq!(body.issues[0].field, "entries", "{body:?}");
    assert!(body.message.contains("at most 500"), "{body:?}");

    let mut entries = chain(3);
    entries[1].hash = "not-a-hash".into();
    let body = send(&branch, &device, &entries).error(422, "invalid_body");
    assert_eq!(body.issues[0].field, "entries[1].hash", "{body:?}");

    let mut entries = chain(3);
    entries[2].actor = String::new();
    let body = send(&branch, &device, &entries).error(422, "invalid_body");
    assert_eq!(body.issues[0].field, "entries[2].actor", "{body:?}");

    let mut entries = chain(1);
    entries[0].seq = 0;
    let body = send(&branch, &device, &entries).error(422, "invalid_body");
    assert_eq!(body.issues[0].field, "entries[0].seq", "{body:?}");

    let token = Some(device.token.as_str());
    post(branch.addr(), "/api/v1/audit", token, b"{\"entries\": [").error(400, "malformed_json");
    let body = post(
        branch.addr(),
        "/api/v1/audit",
        token,
        br#"{"entries": [{"seq": 1}]}"#,
    )
    .error(422, "invalid_body");
    assert!(body.message.contains("entries[0]"), "{body:?}");

    assert!(held(&branch, &device).is_empty(), "nothing stored");
    verify_exits(&branch, &[], 0);
}

#[test]
fn a_revoked_device_is_refused_like_at_push() {
    let branch = TestBranch::start();
    let device = enrol(&branch);
    push(&branch, &device, &chain(1));
    plkk_branch::admin::revoke_device(branch.database(), device.device_id, Utc::now()).unwrap();

    let audit = send(&branch, &device, &chain(2)).error(401, "device_revoked");
    let push_route = post(
        branch.addr(),
        "/api/v1/push",
        Some(&device.token),
        br#"{"entries": []}"#,
    )
    .error(401, "device_revoked");
    assert_eq!(audit.message, push_route.message);
    post(branch.addr(), "/api/v1/audit", None, br#"{"entries": []}"#).error(401, "unauthorized");
    assert_eq!(held(&branch, &device).len(), 1);
}
