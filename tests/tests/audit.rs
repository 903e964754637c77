//! The audit log on a real desk: acts are recorded by who did them, and a modified, deleted or
//! reordered entry is found by `plkk audit verify` (exit 5, naming the entry) and, after a sync, by
//! a real branch server (`plkk-branch audit verify`).

use std::process::Output;

use plkk_tests::accounts::{ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::bins::{run_plkk_as, workspace_binary};
use plkk_tests::branch::TestBranch;
use plkk_tests::samples;
use plkk_tests::sync_desk::SyncDesk;

fn verify(desk: &SyncDesk) -> Output {
    run_plkk_as(desk.data_dir(), ADMIN, &["audit", "verify"], "")
}

/// A desk where a receptionist admitted a case and a nurse wrote a note.
fn busy_desk() -> (SyncDesk, String) {
    let desk = SyncDesk::new();
    let out = run_plkk_as(
        desk.data_dir(),
        RECEPTIONIST,
        &["intake", "add"],
        &samples::intake().to_string(),
    );
    assert!(out.status.success());
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let out = run_plkk_as(
        desk.data_dir(),
        NURSE,
        &["note", "add", &id],
        &samples::note().to_string(),
    );
    assert!(out.status.success());
    (desk, id)
}

/// Runs SQL on the desk's database as someone with the key who drops the append-only triggers.
fn tamper(desk: &SyncDesk, sql: &str) {
    let store = desk.store();
    store
        .connection()
        .execute_batch(&format!(
            "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}"
        ))
        .unwrap();
}

fn entry_seq(desk: &SyncDesk, action: &str) -> i64 {
    desk.store()
        .connection()
        .query_row(
            "SELECT seq FROM audit_log WHERE action = ?1 ORDER BY seq LIMIT 1",
            [action],
            |row| row.get(0),
        )
        .unwrap()
}

#[test]
fn acts_are_recorded_with_who_did_them_and_the_chain_verifies() {
    let (desk, id) = busy_desk();
    let out = run_plkk_as(desk.data_dir(), NURSE, &["intake", "show", &id], "");
    assert!(out.status.success());
    let listed = run_plkk_as(desk.data_dir(), ADMIN, &["audit", "list", "--json"], "");
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let has = |actor: &str, action: &str| {
        entries
            .iter()
            .any(|entry| entry["actor"] == actor && entry["action"] == action)
    };
    assert!(has("admin", "setup"));
    assert!(has("admin", "account_added"));
    assert!(has("rina", "sign_in"));
    assert!(has("rina", "admit"));
    assert!(has("ani", "add_note"));
    assert!(has("ani", "open_case"));
    let output = verify(&desk);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("audit log intact"));
    // The log refuses changes made through SQL while its triggers stand.
    let store = desk.store();
    assert!(store
        .connection()
        .execute("UPDATE audit_log SET actor = 'x' WHERE seq = 1", [])
        .is_err());
    assert!(store
        .connection()
        .execute("DELETE FROM audit_log WHERE seq = 1", [])
        .is_err());
}

fn assert_broken_at(desk: &SyncDesk, seq: i64, kind: &str) {
    let output = verify(desk);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains(&format!("broken at entry {seq} ({kind})")),
        "names entry {seq} as {kind}: {stderr}"
    );
}

#[test]
fn a_modified_entry_is_named() {
    let (desk, _) = busy_desk();
    let seq = entry_seq(&desk, "admit");
    tamper(
        &desk,
        &format!("UPDATE audit_log SET actor = 'admin' WHERE seq = {seq}"),
    );
    assert_broken_at(&desk, seq, "altered");
}

#[test]
fn a_deleted_entry_is_found() {
    let (desk, _) = busy_desk();
    let seq = entry_seq(&desk, "admit");
    tamper(&desk, &format!("DELETE FROM audit_log WHERE seq = {seq}"));
    assert_broken_at(&desk, seq + 1, "missing");
}

#[test]
fn reordered_entries_are_found() {
    let (desk, _) = busy_desk();
    let seq = entry_seq(&desk, "admit");
    // Swap the content of two neighbouring entries, keeping each row's own hash and seq.
    tamper(
        &desk,
        &format!(
            "CREATE TEMP TABLE swap AS SELECT * FROM audit_log WHERE seq IN ({seq}, {next});
             UPDATE audit_log SET (at, actor, action, subject, detail, prev_hash, hash) =
               (SELECT at, actor, action, subject, detail, prev_hash, hash FROM swap
                WHERE swap.seq = CASE audit_log.seq WHEN {seq} THEN {next} ELSE {seq} END)
             WHERE seq IN ({seq}, {next});",
            next = seq + 1
        ),
    );
    assert_broken_at(&desk, seq, "altered");
}

#[test]
fn the_branch_holds_the_chain_and_flags_entries_changed_before_they_reached_it() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-AUDIT", "Klinik Audit");
    let (desk, id) = busy_desk();
    desk.enroll(&branch.url(), &code);
    desk.sync().expect("the first sync");
    let sound = branch_verify(&branch);
    assert_eq!(
        sound.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sound.stdout)
    );

    // More acts, then one of the unsent entries is altered before the next sync.
    let out = run_plkk_as(desk.data_dir(), NURSE, &["intake", "show", &id], "");
    assert!(out.status.success());
    let seq = entry_seq(&desk, "open_case");
    tamper(
        &desk,
        &format!("UPDATE audit_log SET actor = 'rina' WHERE seq = {seq}"),
    );
    desk.sync().expect("the second sync");
    let broken = branch_verify(&branch);
    let stdout = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(5), "{stdout}");
    assert!(
        stdout.contains(&format!("seq {seq}")),
        "names the entry: {stdout}"
    );
    assert!(stdout.contains("altered"), "{stdout}");
}

fn branch_verify(branch: &TestBranch) -> Output {
    std::process::Command::new(workspace_binary("plkk-branch"))
        .args(branch.store_args())
        .args(["audit", "verify"])
        .env_remove("PLKK_BRANCH_DATA_DIR")
        .output()
        .expect("plkk-branch runs")
}

#[test]
fn audit_entries_the_branch_refuses_never_hold_back_the_records() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-AUDIT-BAD", "Klinik Audit Rusak");
    let (desk, _) = busy_desk();
    desk.enroll(&branch.url(), &code);
    // An entry no branch accepts (an empty actor), made by someone with the key.
    let seq = entry_seq(&desk, "admit");
    tamper(
        &desk,
        &format!("UPDATE audit_log SET actor = '' WHERE seq = {seq}"),
    );

    let refused = desk.sync().expect_err("the audit entries are refused");
    assert_eq!(refused.code(), "refused", "{refused}");
    assert!(refused.to_string().contains("actor"), "{refused}");
    let counts = branch.counts();
    assert_eq!((counts.intakes, counts.notes), (1, 1), "the records went");
    assert_eq!(desk.status().unconfirmed, 0, "and were confirmed");
}
