//! `plkk enroll`, `plkk sync` and `plkk status --json` as real processes against a real branch:
//! their exit codes say what happened (0 all confirmed, 2 refused input, 3 branch unreachable,
//! 4 not enrolled, 6 device revoked).

use std::path::Path;
use std::process::Output;

use chrono::Utc;
use plkk_tests::accounts::{self, Staff, ADMIN, NURSE};
use plkk_tests::branch::TestBranch;
use plkk_tests::{bins, samples};
use serde_json::Value;

/// `plkk` signed in as the receptionist.
fn plkk(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    bins::run_plkk(data_dir, args, stdin)
}

fn plkk_as(data_dir: &Path, staff: Staff, args: &[&str], stdin: &str) -> Output {
    bins::run_plkk_as(data_dir, staff, args, stdin)
}

fn exit_code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn enroll_sync_and_status_as_processes() {
    let mut branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-CLI", "Klinik Baris Perintah");
    let dir = tempfile::tempdir().unwrap();
    let desk = dir.path();
    accounts::set_up_desk(desk);

    let not_enrolled = plkk(desk, &["sync"], "");
    assert_eq!(
        exit_code(&not_enrolled),
        4,
        "{}",
        text(&not_enrolled.stderr)
    );

    let by_receptionist = plkk(
        desk,
        &["enroll", "--branch", &branch.url(), "--code", &code],
        "",
    );
    assert_eq!(
        exit_code(&by_receptionist),
        8,
        "only an administrator enrols the desk: {}",
        text(&by_receptionist.stderr)
    );

    let insecure = plkk_as(
        desk,
        ADMIN,
        &[
            "enroll",
            "--branch",
            "http://10.0.0.7:8700",
            "--code",
            &code,
        ],
        "",
    );
    assert_eq!(
        exit_code(&insecure),
        2,
        "plain http off loopback is refused input"
    );
    assert!(
        text(&insecure.stderr).contains("https"),
        "{}",
        text(&insecure.stderr)
    );

    let enrolled = plkk_as(
        desk,
        ADMIN,
        &["enroll", "--branch", &branch.url(), "--code", &code],
        "",
    );
    assert_eq!(exit_code(&enrolled), 0, "{}", text(&enrolled.stderr));
    let device_id = text(&enrolled.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(device_id.len(), 36, "the device id on the last line");
    assert!(text(&enrolled.stderr).contains("Klinik Baris Perintah"));

    let reused = plkk_as(
        desk,
        ADMIN,
        &["enroll", "--branch", &branch.url(), "--code", &code],
        "",
    );
    assert_eq!(exit_code(&reused), 2, "{}", text(&reused.stderr));
    assert!(text(&reused.stderr).contains("already used"));

    let added = plkk(desk, &["intake", "add"], &samples::intake().to_string());
    assert_eq!(exit_code(&added), 0, "{}", text(&added.stderr));

    branch.stop();
    let unreachable = plkk(desk, &["sync"], "");
    assert_eq!(exit_code(&unreachable), 3, "{}", text(&unreachable.stderr));
    let status = plkk_tests::bins::plkk_status(desk);
    assert_eq!(
        status["pending"].as_u64().unwrap() + status["sent"].as_u64().unwrap(),
        1
    );
    assert_eq!(status["sync"]["last_error"]["code"], "branch_unreachable");
    assert_eq!(status["last_sync_at"], Value::Null);

    branch.restart();
    let synced = plkk_as(desk, NURSE, &["sync"], "");
    assert_eq!(exit_code(&synced), 0, "{}", text(&synced.stderr));
    let summary = text(&synced.stdout);
    assert_eq!(summary.lines().count(), 1, "one line: {summary}");
    assert!(summary.contains("confirmed 1"), "{summary}");

    let status = plkk_tests::bins::plkk_status(desk);
    assert_eq!(status["confirmed"], 1);
    assert_eq!(status["pending"], 0);
    assert_eq!(status["rejected"], 0);
    assert_eq!(status["conflict"], 0);
    assert!(status["last_sync_at"].is_string(), "{status}");
    assert_eq!(status["intakes"], 1, "the existing keys stay");
    assert_eq!(status["sync"]["enrolled"]["clinic_code"], "PLKK-CLI");
    assert_eq!(status["sync"]["unconfirmed"], 0);

    plkk_branch::admin::revoke_device(branch.database(), device_id.parse().unwrap(), Utc::now())
        .unwrap();
    plkk(
        desk,
        &["intake", "add"],
        &samples::intake_with(serde_json::json!({"nik": "3216055708900004"})).to_string(),
    );
    let revoked = plkk(desk, &["sync"], "");
    assert_eq!(exit_code(&revoked), 6, "{}", text(&revoked.stderr));
    assert!(text(&revoked.stderr).contains("revoked"));
}
