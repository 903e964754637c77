//! The sync over a bad line and against a branch with a small body limit, with a real branch
//! (over TLS where the line matters) and `plkk sync` as a process where its exit code is the
//! interface:
//!
//! - a connection closed with a plain FIN after the push went up whole is "cannot reach the
//!   branch" (exit 3), not a certificate problem, and leaves the entries `sent`; a certificate the
//!   desk does not trust is `tls`;
//! - a branch whose `max_body_bytes` is below the desk's batch gets every record exactly once, and
//!   a record that cannot go even alone waits in quarantine with a reason naming its size and the
//!   limit while the rest flow;
//! - a line that drops every few kilobytes still converges, each push after a cut smaller;
//! - a push carries no more audit lines than the branch said it takes (its health answer's
//!   `max_audit_lines`), and 500 to a branch that did not say (older than that field); a branch
//!   that refuses the lines it said it takes is asked again the next cycle.
//!
//! Build the binaries first: `cargo build --workspace --bins`.

use std::path::Path;
use std::process::Output;

use plkk_tests::accounts::ADMIN;
use plkk_tests::bins;
use plkk_tests::branch::{tls_identity, TestBranch};
use plkk_tests::fault_proxy::{Fault, FaultProxy};
use plkk_tests::line::{Line, LineSpec};
use plkk_tests::samples::{self, Seeded};
use plkk_tests::sync_desk::SyncDesk;
use serde_json::{json, Value};

/// A line that only relays (fast, no loss): the tests shape it with faults of their own.
const CLEAN: LineSpec = LineSpec {
    bytes_per_second: 4_000_000.0,
    round_trip: std::time::Duration::from_millis(2),
    loss: 0.0,
};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn plkk_sync(desk: &SyncDesk) -> Output {
    bins::run_plkk(desk.data_dir(), &["sync"], "")
}

fn status_json(desk: &SyncDesk) -> Value {
    bins::plkk_status(desk.data_dir())
}

/// An intake whose chronology is `chars` characters of varied text.
fn long_intake(random: &mut Seeded, index: u64, chars: usize) -> Value {
    let mut intake = samples::synthetic_intake(random, index);
    let words = [
        "pekerja", "terjatuh", "dari", "tangga", "gudang", "lantai", "licin", "tangan", "kanan",
        "terkilir", "mesin", "pemotong", "shift", "malam", "rekan", "membawa", "klinik",
    ];
    let mut chronology = String::new();
    while chronology.len() < chars {
        chronology.push_str(random.pick(&words));
        chronology.push(' ');
    }
    chronology.truncate(chars);
    intake["chronology"] = json!(chronology.trim_end());
    intake
}

fn enroll_cli(desk: &SyncDesk, url: &str, code: &str, ca: Option<&Path>) -> Output {
    let mut args = vec!["enroll", "--branch", url, "--code", code];
    let ca_text;
    if let Some(ca) = ca {
        ca_text = ca.display().to_string();
        args.extend(["--ca", ca_text.as_str()]);
    }
    bins::run_plkk_as(desk.data_dir(), ADMIN, &args, "")
}

#[test]
fn a_connection_closed_after_the_push_went_up_is_unreachable_not_a_certificate_problem() {
    let certs = tempfile::tempdir().unwrap();
    let (cert, key, _) = tls_identity(certs.path(), "branch");
    let mut branch = TestBranch::start_with(|config| config.set_tls(Some(cert.clone()), Some(key)));
    let code = branch.clinic_with_code("PLKK-FIN", "Klinik Putus");
    let line = Line::start(branch.addr(), CLEAN, 1);
    let desk = SyncDesk::new();
    let url = format!("https://localhost:{}", line.port());
    let enrolled = enroll_cli(&desk, &url, &code, Some(&cert));
    assert_eq!(
        enrolled.status.code(),
        Some(0),
        "{}",
        text(&enrolled.stderr)
    );
    desk.capture(5, 2, 11);

    // The health request and the push share one connection; the push is far over 1 KiB.
    line.hang_up_after_request(1024);
    let cut = plkk_sync(&desk);
    let stderr = text(&cut.stderr);
    assert_eq!(
        cut.status.code(),
        Some(3),
        "cannot reach the branch: {stderr}"
    );
    assert!(stderr.contains("cannot reach the branch"), "{stderr}");
    assert!(
        !stderr.contains("secure connection (TLS)"),
        "not a certificate problem: {stderr}"
    );
    assert_eq!(branch.counts().entries, 15, "the branch applied the push");
    let status = status_json(&desk);
    assert_eq!(status["sync"]["sent"], 15, "entries stay sent: {status}");
    assert_eq!(
        status["sync"]["pending"], 0,
        "none back to pending: {status}"
    );
    assert_eq!(status["sync"]["last_error"]["code"], "branch_unreachable");

    let again = plkk_sync(&desk);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(
        branch.counts().entries,
        15,
        "the resend applied nothing twice"
    );

    // A certificate the desk does not trust is a TLS problem, and nothing leaves the desk.
    let (other_cert, other_key, _) = tls_identity(certs.path(), "impostor");
    branch.restart_with(|config| config.set_tls(Some(other_cert), Some(other_key)));
    desk.capture(1, 0, 12);
    let untrusted = plkk_sync(&desk);
    let stderr = text(&untrusted.stderr);
    assert_eq!(untrusted.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("secure connection (TLS)"), "{stderr}");
    let status = status_json(&desk);
    assert_eq!(status["sync"]["last_error"]["code"], "tls");
    assert_eq!(status["sync"]["sent"], 0, "{status}");
    assert_eq!(status["sync"]["pending"], 1, "{status}");
}

#[test]
fn a_branch_body_limit_below_the_batch_is_learned_and_every_record_arrives_once() {
    let branch = TestBranch::start_with(|config| config.max_body_bytes = 65_536);
    let code = branch.clinic_with_code("PLKK-64K", "Klinik Batas");
    let desk = SyncDesk::new();
    desk.enroll(&branch.url(), &code);
    let mut random = Seeded::new(21);
    for index in 0..120 {
        desk.admit(long_intake(&mut random, 21_000 + index, 3000));
    }

    let synced = plkk_sync(&desk);
    assert_eq!(synced.status.code(), Some(0), "{}", text(&synced.stderr));
    let counts = branch.counts();
    assert_eq!((counts.intakes, counts.entries), (120, 120), "each once");
    let status = status_json(&desk);
    assert_eq!(status["sync"]["unconfirmed"], 0, "{status}");
    let link = plkk_store::sync_link(&desk.store())
        .unwrap()
        .expect("the line is kept");
    assert_eq!(link.branch_max_body, Some(65_536), "the limit was learned");
}

#[test]
fn a_record_larger_than_the_branch_accepts_waits_in_quarantine_and_the_rest_flow() {
    let branch = TestBranch::start_with(|config| config.max_body_bytes = 4096);
    let code = branch.clinic_with_code("PLKK-4K", "Klinik Kecil");
    let desk = SyncDesk::new();
    desk.enroll(&branch.url(), &code);
    let mut random = Seeded::new(22);
    let small = desk.capture(3, 1, 22);
    let large = desk.admit(long_intake(&mut random, 22_500, 4000));
    let later = desk.capture(2, 1, 23);

    let synced = plkk_sync(&desk);
    assert_eq!(
        synced.status.code(),
        Some(5),
        "a record in quarantine: {}",
        text(&synced.stderr)
    );
    let counts = branch.counts();
    assert_eq!(counts.intakes, 5, "every other intake arrived");
    assert_eq!(counts.notes, 5);
    let quarantined = plkk_store::quarantine(&desk.store(), &ADMIN.actor()).unwrap();
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    let entry = &quarantined[0];
    assert_eq!(entry.intake_id.to_string(), large);
    let reason = &entry.issues[0];
    assert_eq!(reason.rule, plkk_sync::TOO_LARGE_RULE);
    assert_eq!(reason.field, "record");
    let size: usize = reason
        .message
        .split_whitespace()
        .nth(1)
        .and_then(|word| word.parse().ok())
        .unwrap_or_else(|| panic!("the size is named: {}", reason.message));
    assert!(size > 4096, "{}", reason.message);
    assert!(reason.message.contains("4096 bytes"), "{}", reason.message);
    assert!(!small.is_empty() && !later.is_empty());
}

#[test]
fn a_line_that_drops_every_few_kilobytes_still_converges_with_smaller_pushes() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-DROP", "Klinik Putus Sambung");
    let line = Line::start(branch.addr(), CLEAN, 2);
    let desk = SyncDesk::new();
    desk.enroll(&format!("http://{}", line.addr()), &code);
    // A day's work: 60 intakes with 3 notes each.
    desk.capture(60, 3, 31);
    let first_push = plkk_sync::plan::FIRST_BATCH_BYTES;

    // Far less than the first push carries, gzipped, ever goes up before the line drops.
    line.drop_every(6 * 1024);
    let mut attempts = 0;
    let mut shrunk = None;
    loop {
        attempts += 1;
        assert!(attempts <= 60, "converges: {:?}", desk.status());
        match desk.sync() {
            Ok(summary) if summary.pending == 0 => break,
            Ok(_) => {}
            Err(error) => assert_eq!(error.code(), "branch_unreachable", "{error}"),
        }
        let link = plkk_store::sync_link(&desk.store()).unwrap();
        if shrunk.is_none() {
            shrunk = link.map(|link| link.batch_bytes);
        }
    }
    let shrunk = shrunk.expect("the line is kept") as usize;
    assert!(
        shrunk < first_push,
        "a cut push makes the next one smaller: {shrunk} after {first_push}"
    );
    assert!(
        attempts > 2,
        "the line did cut pushes ({attempts} attempts)"
    );
    let counts = branch.counts();
    assert_eq!(counts.intakes, 60, "exactly once");
    assert_eq!(counts.notes, 180, "exactly once");
    assert_eq!(counts.entries, desk.entries());
    assert_eq!(desk.status().unconfirmed, 0);
}

fn says_ten_audit_lines(health: &mut Value) {
    health["max_audit_lines"] = json!(10);
}

fn says_nothing_of_audit_lines(health: &mut Value) {
    health
        .as_object_mut()
        .expect("the health answer is an object")
        .remove("max_audit_lines");
}

#[test]
fn audit_lines_per_push_are_what_the_branch_said_and_500_when_it_did_not_say() {
    let cases = [
        (says_ten_audit_lines as fn(&mut Value), 10),
        (says_nothing_of_audit_lines, 500),
    ];
    for (edit, most) in cases {
        let branch = TestBranch::start();
        let code = branch.clinic_with_code("PLKK-AUDL", "Klinik Jejak");
        let proxy = FaultProxy::start(branch.addr());
        let desk = SyncDesk::new();
        let device = desk.enroll(&proxy.url(), &code).device_id;
        desk.capture(150, 3, 31);
        let logged: usize = desk
            .store()
            .connection()
            .query_row("SELECT count(*) FROM audit_log", [], |row| row.get(0))
            .unwrap();
        assert!(logged > 500, "a backlog of audit entries: {logged}");
        // The sync's first request asks the branch's limits; its answer is edited.
        proxy.script([Fault::EditAnswer(edit)]);

        let summary = desk.sync().expect("the sync");
        let lines = proxy.request_lines();
        let asked = lines
            .iter()
            .find(|(line, _)| line.starts_with("GET /api/v1/health"));
        assert_eq!(
            asked.map(|(_, fault)| *fault),
            Some("edit_answer"),
            "{lines:?}"
        );
        assert_eq!(summary.pending, 0, "{summary:?}");
        assert_eq!(summary.audit_sent as usize, logged, "{summary:?}");
        let link = plkk_store::sync_link(&desk.store())
            .unwrap()
            .expect("the line is kept");
        assert_eq!(
            link.branch_audit_lines,
            Some(most as u64),
            "learned and kept"
        );
        // The branch stamps a push's audit entries with the push's arrival: entries per stamp are
        // entries per push.
        let mut per_push = std::collections::BTreeMap::<String, usize>::new();
        for entry in plkk_branch::admin::list_audit(branch.database(), device).unwrap() {
            *per_push.entry(entry.received_at).or_default() += 1;
        }
        let largest = per_push.values().copied().max().unwrap_or(0);
        assert!(
            largest <= most && per_push.len() >= logged.div_ceil(most),
            "{logged} audit entries in pushes of {:?}, at most {most} each",
            per_push.values().collect::<Vec<_>>()
        );
        let chains = plkk_branch::admin::verify_audit(branch.database(), None).unwrap();
        assert!(
            chains.len() == 1 && chains[0].is_sound() && chains[0].entries as usize == logged,
            "{chains:?}"
        );
    }
}

#[test]
fn a_branch_refusing_the_audit_lines_it_said_it_takes_is_asked_again_the_next_cycle() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-AUDR", "Klinik Jejak Lama");
    let proxy = FaultProxy::start(branch.addr());
    let desk = SyncDesk::new();
    desk.enroll(&proxy.url(), &code);
    desk.capture(5, 1, 32);
    desk.sync().expect("the first sync");
    let learned = |desk: &SyncDesk| {
        plkk_store::sync_link(&desk.store())
            .unwrap()
            .expect("the line is kept")
            .branch_audit_lines
    };
    assert_eq!(learned(&desk), Some(2_000));

    // Only an audit entry waits (a sign-in); the branch, replaced by an older one, refuses it.
    ADMIN.sign_in(desk.data_dir());
    proxy.script([Fault::Refuse("audit.lines: at most 500 per push")]);
    let refused = desk.sync().expect_err("the audit entries were refused");
    assert_eq!(refused.code(), "refused", "{refused}");
    assert_eq!(learned(&desk), None, "forgotten, and kept so");

    let asked_before = proxy.request_lines().len();
    desk.sync().expect("the next cycle");
    let lines = proxy.request_lines();
    assert!(
        lines[asked_before..]
            .iter()
            .any(|(line, _)| line.starts_with("GET /api/v1/health")),
        "the branch is asked again: {lines:?}"
    );
    assert_eq!(learned(&desk), Some(2_000));
    let chains = plkk_branch::admin::verify_audit(branch.database(), None).unwrap();
    assert!(chains[0].is_sound(), "{chains:?}");
}
