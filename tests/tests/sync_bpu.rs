//! Daftar BPU through a real branch: registrations made while the branch is down arrive exactly
//! once; the officers decide with `plkk-branch bpu approve|reject` (run as processes) and the
//! desk shows `registered` with the KPJ or `rejected` with the reason; `plkk-branch report
//! registrations` counts them; a tampered contribution is refused naming both values; another
//! clinic's desk learns nothing of them; a tariff published with `plkk-branch reference publish`
//! reaches the desk through the pull.

use std::path::Path;
use std::process::{Command, Output};

use plkk_tests::accounts::{NURSE, RECEPTIONIST};
use plkk_tests::bins;
use plkk_tests::branch::TestBranch;
use plkk_tests::samples;
use plkk_tests::sync_desk::{now, object, SyncDesk};
use serde_json::{json, Value};

fn register(desk: &SyncDesk, registration: Value) -> String {
    plkk_store::register_bpu(
        &mut desk.store(),
        &RECEPTIONIST.actor(),
        &object(registration),
        now(),
    )
    .expect("a valid registration")
    .id
    .to_string()
}

fn show(desk: &SyncDesk, id: &str) -> plkk_store::BpuView {
    plkk_store::show_bpu(&desk.store(), &NURSE.actor(), id, now()).expect("the registration")
}

/// `plkk-branch` as a process on the running branch's store: its data directory, and its
/// PostgreSQL database when the tests run there.
fn branch_cli(data_dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(bins::workspace_binary("plkk-branch"));
    command.arg("--data-dir").arg(data_dir);
    if let Some(url) = plkk_tests::branch::database_for(data_dir) {
        command.arg("--database").arg(url);
    }
    command.args(args).output().expect("plkk-branch runs")
}

fn branch_ok(data_dir: &Path, args: &[&str]) -> String {
    let output = branch_cli(data_dir, args);
    assert!(
        output.status.success(),
        "plkk-branch {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn branch_json(data_dir: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&branch_ok(data_dir, args)).unwrap()
}

#[test]
fn offline_registrations_arrive_once_and_the_officers_decisions_come_back() {
    let mut branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-01", "Klinik Sehat");
    let desk = SyncDesk::new();
    desk.enroll(&branch.url(), &code);
    let dir = branch.data_dir().to_owned();

    branch.stop();
    let vendor = register(&desk, samples::bpu_registration());
    let farmer = register(
        &desk,
        samples::bpu_registration_with(json!({"nik": "3216051203800007", "sex": "male",
            "birth_date": "1980-03-12", "full_name": "Darto Petani", "occupation": "farmer"})),
    );
    assert!(desk.sync().is_err(), "the branch is down");
    assert_eq!(
        show(&desk, &vendor).sync_state,
        plkk_store::SyncState::Pending
    );

    branch.restart();
    let summary = desk.sync().expect("a sync once the branch is back");
    assert_eq!((summary.confirmed, summary.quarantined), (2, 0));
    desk.sync().expect("a second sync");
    assert_eq!(
        show(&desk, &farmer).sync_state,
        plkk_store::SyncState::Confirmed
    );

    let queue = branch_json(&dir, &["bpu", "list", "--clinic", "PLKK-01", "--json"]);
    let ids: Vec<&str> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [vendor.as_str(), farmer.as_str()], "each exactly once");
    assert_eq!(queue[0]["status"], "submitted");
    assert_eq!(queue[0]["contribution"]["tariff_version"], "2026.1");

    // The officers decide; a bad KPJ, an empty reason, an unknown id are refused (exit 2).
    for args in [
        vec!["bpu", "approve", vendor.as_str(), "--kpj", "123"],
        vec!["bpu", "reject", farmer.as_str(), "--reason", " "],
        vec![
            "bpu",
            "approve",
            "019ab5d2-7c00-7000-8000-0000000000ff",
            "--kpj",
            "12345678901",
        ],
    ] {
        let output = branch_cli(&dir, &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    // An approval without the KPJ is a missing field (`required`), like a guarantee's reference.
    let output = branch_cli(&dir, &["bpu", "approve", &vendor, "--kpj", " "]);
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("kpj: an approval needs the KPJ"), "{said}");
    branch_ok(&dir, &["bpu", "approve", &vendor, "--kpj", "26110000123"]);
    branch_ok(
        &dir,
        &[
            "bpu",
            "reject",
            &farmer,
            "--reason",
            "NIK tidak ditemukan di Dukcapil",
        ],
    );
    let again = branch_cli(&dir, &["bpu", "reject", &vendor, "--reason", "salah"]);
    assert_eq!(again.status.code(), Some(2), "a decision is final");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already decided"));
    let waiting = branch_json(&dir, &["bpu", "list", "--status", "submitted", "--json"]);
    assert_eq!(waiting, json!([]));

    desk.sync().expect("the decisions are pulled");
    let registered = show(&desk, &vendor);
    assert_eq!(registered.status, plkk_protocol::BpuStatus::Registered);
    assert_eq!(registered.kpj.as_deref(), Some("26110000123"));
    let rejected = show(&desk, &farmer);
    assert_eq!(rejected.status, plkk_protocol::BpuStatus::Rejected);
    assert_eq!(
        rejected.decision_reason.as_deref(),
        Some("NIK tidak ditemukan di Dukcapil")
    );
    let known = plkk_store::known_participant(&desk.store(), &NURSE.actor(), "3216056508950004")
        .unwrap()
        .expect("a later intake learns the KPJ");
    assert_eq!((known.kpj.as_str(), known.segment), ("26110000123", "BPU"));

    let today = chrono::Local::now().date_naive().to_string();
    let report = branch_json(
        &dir,
        &[
            "report",
            "registrations",
            "--from",
            &today,
            "--to",
            &today,
            "--json",
        ],
    );
    assert_eq!(
        report,
        json!([{"clinic": "PLKK-01", "submitted": 0, "registered": 1, "rejected": 1}])
    );
    let officers = branch_ok(&dir, &["audit", "officers", "--json"]);
    assert!(
        officers.contains("bpu_decided"),
        "each decision is in the officers' audit log"
    );
}

#[test]
fn a_tampered_contribution_is_refused_naming_both_values() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-01", "Klinik Sehat");
    let desk = SyncDesk::new();
    desk.enroll(&branch.url(), &code);
    let id = register(&desk, samples::bpu_registration());
    let expected = show(&desk, &id).contribution.period_total;
    desk.store()
        .connection()
        .execute(
            "UPDATE outbox_payloads
             SET payload = json_set(payload, '$.contribution.period_total', 1,
                                    '$.contribution.monthly_total', 1)
             WHERE seq IN (SELECT seq FROM outbox WHERE record_id = ?1)",
            [&id],
        )
        .unwrap();
    let summary = desk.sync().expect("the branch answered");
    assert_eq!(summary.quarantined, 1);
    let view = show(&desk, &id);
    assert_eq!(view.sync_state, plkk_store::SyncState::Rejected);
    let issue = &view.quarantine[0].issues[0];
    assert_eq!(
        (issue.field.as_str(), issue.rule.as_str()),
        ("contribution", "contribution_mismatch")
    );
    assert_eq!(issue.params["claimed"], "1");
    assert_eq!(issue.params["expected"], expected.to_string());
    assert!(
        plkk_branch::admin::bpu_list(branch.database(), None, None)
            .unwrap()
            .is_empty(),
        "nothing stored at the branch"
    );
}

#[test]
fn another_clinics_desk_learns_nothing_of_the_registrations() {
    let branch = TestBranch::start();
    let code_a = branch.clinic_with_code("PLKK-01", "Klinik Sehat");
    let code_b = branch.clinic_with_code("PLKK-02", "Puskesmas Lain");
    let (desk_a, desk_b) = (SyncDesk::new(), SyncDesk::new());
    desk_a.enroll(&branch.url(), &code_a);
    desk_b.enroll(&branch.url(), &code_b);
    let id = register(&desk_a, samples::bpu_registration());
    desk_a.sync().unwrap();
    let dir = branch.data_dir();
    branch_ok(dir, &["bpu", "approve", &id, "--kpj", "26110000999"]);
    desk_a.sync().unwrap();
    desk_b.sync().unwrap();
    assert_eq!(desk_b.count("bpu_decisions"), 0, "B pulled nothing of A's");
    assert_eq!(desk_a.count("bpu_decisions"), 1);
    let on_b =
        plkk_store::known_participant(&desk_b.store(), &NURSE.actor(), "3216056508950004").unwrap();
    assert!(on_b.is_none());
    let of_b = branch_json(dir, &["bpu", "list", "--clinic", "PLKK-02", "--json"]);
    assert_eq!(of_b, json!([]));
}

#[test]
fn a_published_tariff_reaches_the_desk_through_the_pull() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-01", "Klinik Sehat");
    let desk = SyncDesk::new();
    desk.enroll(&branch.url(), &code);
    let newer = plkk_domain::Tariff::bundled_text()
        .replace("version = \"2026.1\"", "version = \"2026.9\"")
        .replace("valid_from = \"2026-01-01\"", "valid_from = \"2026-02-01\"")
        .replace("jkm_monthly = 6800", "jkm_monthly = 7200");
    let file = branch.data_dir().join("tariff.toml");
    std::fs::write(&file, newer).unwrap();
    branch_ok(
        branch.data_dir(),
        &["reference", "publish", file.to_str().unwrap()],
    );
    let twice = branch_cli(
        branch.data_dir(),
        &["reference", "publish", file.to_str().unwrap()],
    );
    assert_eq!(twice.status.code(), Some(2), "a version is published once");

    desk.sync().unwrap();
    let quote = plkk_domain::Quote {
        income: 500_000,
        jht: false,
        months: 1,
        occupation: None,
        starts_on: "2027-06-01".parse().unwrap(),
    };
    let contribution = plkk_store::quote(Some(desk.data_dir()), quote);
    assert_eq!(contribution.tariff_version, "2026.9");
    assert_eq!(contribution.monthly_total, 17200);

    // A registration computed with it passes the branch's check.
    let id = register(&desk, samples::bpu_registration());
    assert_eq!(show(&desk, &id).contribution.tariff_version, "2026.9");
    let summary = desk.sync().unwrap();
    assert_eq!(summary.quarantined, 0);
    assert_eq!(
        show(&desk, &id).sync_state,
        plkk_store::SyncState::Confirmed
    );
}
