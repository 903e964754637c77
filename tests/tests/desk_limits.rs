//! Issue 8, item 11 at the desk: `plkk` names the field and the rule for a text over its length
//! and writes nothing, and a name typed at a failed sign-in, however long, never stalls the
//! delivery of the desk's audit log to the branch.

use plkk_tests::accounts::{self, RECEPTIONIST};
use plkk_tests::bins::{plkk_status, run_plkk};
use plkk_tests::branch::TestBranch;
use plkk_tests::samples;
use plkk_tests::sync_desk::{now, SyncDesk};
use serde_json::json;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The records and the outbox as `plkk status --json` counts them (not its health figures, such
/// as free disk space, which move on their own).
fn records(dir: &std::path::Path) -> serde_json::Value {
    let status = plkk_status(dir);
    json!([
        status["intakes"],
        status["corrections"],
        status["notes"],
        status["outbox"]
    ])
}

#[test]
fn plkk_refuses_text_over_its_length_naming_the_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    accounts::set_up_desk(dir.path());
    let admitted = run_plkk(
        dir.path(),
        &["intake", "add"],
        &samples::intake().to_string(),
    );
    assert_eq!(admitted.status.code(), Some(0), "{}", stderr(&admitted));
    let id = String::from_utf8_lossy(&admitted.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    let before = records(dir.path());
    for (change, field, max) in [
        (json!({"employer_npp": "9".repeat(21)}), "employer_npp", 20),
        (
            json!({"employer_npp": "9".repeat(1 << 20)}),
            "employer_npp",
            20,
        ),
        (
            json!({"contact_phone": format!("0812{}3456789", " ".repeat(40))}),
            "contact_phone",
            24,
        ),
        (json!({"full_name": "S".repeat(101)}), "full_name", 100),
    ] {
        let intake = samples::intake_with(change);
        let output = run_plkk(dir.path(), &["intake", "add"], &intake.to_string());
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let said = stderr(&output);
        assert!(
            said.contains(field) && said.contains("[too_long]"),
            "{said}"
        );
        assert!(
            said.contains(&format!("at most {max} characters")),
            "{said}"
        );
        assert!(
            said.len() < 2000,
            "the value is not repeated: {} bytes",
            said.len()
        );
    }
    let reason = "r".repeat(501);
    let output = run_plkk(
        dir.path(),
        &["intake", "correct", &id, "--reason", &reason],
        &json!({"phone": "081311112222"}).to_string(),
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("reason: must be at most 500 characters"),
        "{}",
        stderr(&output)
    );
    assert_eq!(records(dir.path()), before, "nothing was written");
}

#[test]
fn a_huge_name_at_a_failed_sign_in_is_audited_cut_short_and_the_log_still_reaches_the_branch() {
    let branch = TestBranch::start();
    let desk = SyncDesk::new();
    let code = branch.clinic_with_code("PLKK-LOG", "Klinik Log");
    let enrolled = desk.enroll(&branch.url(), &code);
    let typed = format!("{}{}", RECEPTIONIST.username, "x".repeat(100_000));
    let refused = plkk_store::sign_in(desk.data_dir(), &typed, RECEPTIONIST.password, "cli", now());
    assert!(refused.is_err(), "no account has that name");
    // The failure waits in the keyring until the next sign-in writes it to the audit log.
    plkk_store::sign_in(
        desk.data_dir(),
        RECEPTIONIST.username,
        RECEPTIONIST.password,
        "cli",
        now(),
    )
    .expect("the receptionist signs in");
    let summary = desk.sync().expect("the desk syncs");
    assert_eq!(summary.audit_breaks, 0);
    let held = plkk_branch::admin::list_audit(branch.database(), enrolled.device_id).unwrap();
    let failed = held
        .iter()
        .find(|entry| entry.action == "sign_in_failed")
        .expect("the failed sign-in reached the branch");
    assert!(
        failed.actor.chars().count() <= 64,
        "{} characters",
        failed.actor.chars().count()
    );
    assert!(failed.actor.starts_with(RECEPTIONIST.username) && failed.actor.ends_with('…'));
    let verified = plkk_branch::admin::verify_audit(branch.database(), None).unwrap();
    assert!(
        verified.iter().all(|chain| chain.is_sound()),
        "{verified:?}"
    );
}
