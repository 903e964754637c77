//! `plkk status` as a process: exit 0 for a healthy desk, 10 with every problem named on stderr
//! and in `problems` for a stuck queue, a tampered audit chain, no recent backup and a clock off
//! the branch's; the fields scripts read are all there. Also the patient's report
//! (`plkk patient-report`): the PDF's text, read back with `pdftotext`, holds everything the desk
//! has about the person and nothing about anyone else.

use std::path::Path;
use std::process::Output;

use plkk_tests::accounts::{Staff, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::bins::{fast_clock, run_plkk_as, run_plkk_with};
use plkk_tests::branch::TestBranch;
use plkk_tests::samples;
use plkk_tests::sync_desk::SyncDesk;
use serde_json::{json, Value};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

/// `plkk` as `staff` with the desk's clock moved by `offset` (libfaketime), or the real clock.
fn plkk_at(desk: &Path, staff: Staff, offset: Option<&str>, args: &[&str]) -> Output {
    let mut env: Vec<(&str, String)> = vec![
        ("PLKK_USER", staff.username.to_owned()),
        ("PLKK_PASSWORD", staff.password.to_owned()),
    ];
    if let Some(offset) = offset {
        env.extend(fast_clock(offset));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run_plkk_with(desk, &env, args, "")
}

/// `plkk status --json`: the exit code, the JSON and the problem codes.
fn status(desk: &Path, offset: Option<&str>) -> (i32, Value, Vec<String>, String) {
    let out = plkk_at(desk, RECEPTIONIST, offset, &["status", "--json"]);
    let value: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|error| panic!("status JSON ({error}): {}", text(&out.stderr)));
    let codes = value["problems"]
        .as_array()
        .expect("a problems array")
        .iter()
        .map(|problem| problem["code"].as_str().unwrap().to_owned())
        .collect();
    // The machine's own almost full disk is named, and left out of what the tests judge.
    let minimum = plkk_store::DISK_FREE_MIN_PERCENT;
    let codes = plkk_tests::disk::codes_besides_this_disk(&value, minimum, codes);
    let exit = plkk_tests::disk::exit_besides_this_disk(&value, minimum, code(&out));
    (exit, value, codes, text(&out.stderr))
}

fn backup(desk: &Path) {
    let file = desk.join("backup.tar");
    let out = run_plkk_as(
        desk,
        ADMIN,
        &["backup", "--output", file.to_str().unwrap()],
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
}

#[test]
fn a_healthy_desk_exits_0_with_every_field_a_support_person_reads() {
    let branch = TestBranch::start();
    let enrolment = branch.clinic_with_code("PLKK-SEHAT", "Klinik Sehat");
    let desk = SyncDesk::new();
    desk.enroll(&branch.url(), &enrolment);
    desk.capture(2, 1, 61);
    desk.sync().unwrap();
    backup(desk.data_dir());

    let (exit, value, problems, stderr) = status(desk.data_dir(), None);
    assert_eq!(exit, 0, "{stderr}");
    assert!(problems.is_empty(), "{problems:?}");
    // The fields scripts already read stay as they were.
    for field in [
        "database",
        "intakes",
        "open_cases",
        "notes",
        "outbox",
        "pending",
        "confirmed",
        "last_sync_at",
        "sync",
        "log_dir",
    ] {
        assert!(value.get(field).is_some(), "{field} in {value:#}");
    }
    assert_eq!(value["intakes"], 2);
    assert_eq!(value["sync"]["unconfirmed"], 0);
    assert_eq!(value["app_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(value["data_dir"], desk.data_dir().display().to_string());
    let logs = desk.data_dir().join(plkk_store::LOG_DIR_NAME);
    assert_eq!(value["log_dir"], logs.display().to_string());
    assert!(value["database_bytes"].as_u64().unwrap() > 0);
    assert!(value["disk_free_bytes"].as_u64().unwrap() > 0);
    assert!(value["last_backup_at"].is_string());
    assert!(value["audit_chain"]["entries"].as_u64().unwrap() > 5);
    assert!(value["audit_chain"]["first_break"].is_null());
    assert!(value["clock_offset_seconds"].as_i64().unwrap().abs() <= 5);

    let words = plkk_at(desk.data_dir(), RECEPTIONIST, None, &["status"]);
    assert_eq!(code(&words), 0);
    for line in [
        "version",
        "data folder",
        "logs ",
        "disk free",
        "last backup",
        "audit log    intact",
        "clock offset",
    ] {
        assert!(
            text(&words.stdout).contains(line),
            "{line}: {}",
            text(&words.stdout)
        );
    }
}

#[test]
fn a_stuck_queue_an_old_backup_and_a_tampered_chain_exit_10_naming_each() {
    let desk = SyncDesk::new();
    desk.capture(1, 0, 62);
    let (exit, _, problems, stderr) = status(desk.data_dir(), None);
    assert_eq!(
        (exit, problems.as_slice()),
        (10, ["no_recent_backup".to_owned()].as_slice()),
        "{stderr}"
    );
    assert!(stderr.contains("[no_recent_backup]"), "{stderr}");

    backup(desk.data_dir());
    assert_eq!(
        status(desk.data_dir(), None).0,
        0,
        "a fresh backup and a young queue"
    );

    // A day and an hour later the record still waits for the branch.
    let (exit, value, problems, stderr) = status(desk.data_dir(), Some("+25h"));
    assert_eq!(exit, 10, "{stderr}");
    assert_eq!(problems, ["unconfirmed_over_24h"]);
    assert!(value["oldest_unconfirmed_age_seconds"].as_i64().unwrap() >= 25 * 3600);
    assert!(stderr.contains("waited 25 hours"), "{stderr}");

    // Eight days later there is also no recent backup.
    let (exit, _, problems, _) = status(desk.data_dir(), Some("+8d"));
    assert_eq!(exit, 10);
    assert_eq!(problems, ["unconfirmed_over_24h", "no_recent_backup"]);

    // Someone with the key altered an audit entry.
    desk.store()
        .connection()
        .execute_batch(
            "DROP TRIGGER audit_log_no_update;
             UPDATE audit_log SET detail = '{\"via\":\"app\"}' WHERE seq = 2;",
        )
        .unwrap();
    let (exit, value, problems, stderr) = status(desk.data_dir(), None);
    assert_eq!(exit, 10);
    assert_eq!(problems, ["audit_chain_broken"]);
    assert_eq!(value["audit_chain"]["first_break"]["seq"], 2);
    assert!(
        stderr.contains("audit log is broken at entry 2"),
        "{stderr}"
    );
}

#[test]
fn a_clock_far_from_the_branch_is_a_problem() {
    let branch = TestBranch::start();
    let enrolment = branch.clinic_with_code("PLKK-JAM", "Klinik Jam");
    let desk = SyncDesk::new();
    desk.enroll(&branch.url(), &enrolment);
    let synced = plkk_at(desk.data_dir(), RECEPTIONIST, Some("+10m"), &["sync"]);
    assert_eq!(code(&synced), 0, "{}", text(&synced.stderr));
    let (exit, value, problems, stderr) = status(desk.data_dir(), None);
    assert_eq!(exit, 10, "{stderr}");
    assert_eq!(problems, ["clock_off"]);
    assert!(value["clock_offset_seconds"].as_i64().unwrap() <= -590);
    assert!(
        stderr.contains("10 minutes ahead of the branch"),
        "{stderr}"
    );
}

fn pdf_text(pdf: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian package poppler-utils, scripts/setup.sh)");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn the_patient_report_holds_everything_about_one_person_and_who_saw_it() {
    let desk = SyncDesk::new();
    let dir = desk.data_dir();
    let admit = |intake: Value| {
        let out = run_plkk_as(dir, RECEPTIONIST, &["intake", "add"], &intake.to_string());
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        text(&out.stdout).lines().last().unwrap().trim().to_owned()
    };
    let first = admit(samples::intake());
    // A second case typed with another NIK, then corrected to hers.
    let second = admit(samples::intake_with(json!({
        "nik": "3216055708900011",
        "admitted_at": "2025-07-01T10:00:00+07:00",
        "accident_at": "2025-07-01T09:00:00+07:00",
        "injury": "Luka robek telapak tangan kanan"
    })));
    let corrected = run_plkk_as(
        dir,
        RECEPTIONIST,
        &["intake", "correct", &second, "--reason", "NIK salah ketik"],
        &json!({ "nik": "3216055708900003" }).to_string(),
    );
    assert_eq!(code(&corrected), 0, "{}", text(&corrected.stderr));
    let stranger = admit(samples::intake_with(json!({
        "nik": "3275010101850002", "full_name": "Bambang Wibisono", "sex": "male",
        "birth_date": "1985-01-01", "kpj": null
    })));
    // She also registered as a BPU participant (Daftar BPU).
    let registered = run_plkk_as(
        dir,
        RECEPTIONIST,
        &["bpu", "register"],
        &samples::bpu_registration_with(json!({
            "nik": "3216055708900003", "full_name": "Siti Rahmawati", "birth_date": "1990-08-17"
        }))
        .to_string(),
    );
    assert_eq!(code(&registered), 0, "{}", text(&registered.stderr));
    let registration = text(&registered.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    let noted = run_plkk_as(
        dir,
        NURSE,
        &["note", "add", &first],
        &samples::note().to_string(),
    );
    assert_eq!(code(&noted), 0, "{}", text(&noted.stderr));
    assert_eq!(
        code(&run_plkk_as(dir, NURSE, &["intake", "show", &first], "")),
        0
    );
    let exported = run_plkk_as(
        dir,
        ADMIN,
        &[
            "export",
            "--from",
            "2025-06-01",
            "--to",
            "2025-06-30",
            "--output",
            dir.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code(&exported), 0, "{}", text(&exported.stderr));

    let pdf = dir.join("laporan.pdf");
    let out = run_plkk_as(
        dir,
        ADMIN,
        &[
            "patient-report",
            "--nik",
            "3216-0557-0890-0003",
            "--output",
            pdf.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let said = pdf_text(&pdf);
    let flat = said.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "Laporan Data Pribadi Pasien",
        "UU No. 27 Tahun 2022",
        "3216055708900003",
        "Siti Rahmawati",
        first.as_str(),
        second.as_str(),
        "Luka robek telapak tangan kanan",
        "NIK salah ketik",
        "NIK: 3216055708900011 menjadi 3216055708900003",
        "Catatan perawatan 1",
        "ani (Ani Perawat): membuka kasus",
        "rina (Rina Resepsionis): menerima pasien",
        "admin (Dewi Administrator): mengekspor data (CSV) (2025-06-01..2025-06-30)",
        "Pendaftaran peserta BPU",
        registration.as_str(),
        "Pedagang kaki lima",
        "Penghasilan per bulan Rp900.000",
        "per bulan (1 bulan, 2026.1)",
        "diajukan, menunggu keputusan",
        "Didaftarkan oleh rina",
        "Dibuat oleh admin (Dewi Administrator)",
    ] {
        assert!(
            flat.contains(expected),
            "{expected:?} in the report:\n{said}"
        );
    }
    let note_text = samples::note()["text"].as_str().unwrap().to_owned();
    let note_start: String = note_text
        .split_whitespace()
        .take(4)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains(&note_start), "the note's text: {said}");
    assert!(
        !flat.contains("Bambang") && !flat.contains(&stranger),
        "nobody else: {said}"
    );

    let audit = run_plkk_as(dir, ADMIN, &["audit", "list", "--json", "--limit", "2"], "");
    let last: Value = serde_json::from_slice(&audit.stdout).unwrap();
    // The newest entry is this listing's own sign-in.
    assert_eq!(last[1]["action"], "patient_report", "the report is audited");

    let unknown = dir.join("unknown.pdf");
    let out = run_plkk_as(
        dir,
        ADMIN,
        &[
            "patient-report",
            "--nik",
            "3216055708909999",
            "--output",
            unknown.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(!unknown.exists(), "nothing written for an unknown NIK");
    let out = run_plkk_as(
        dir,
        RECEPTIONIST,
        &[
            "patient-report",
            "--nik",
            "3216055708900003",
            "--output",
            unknown.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code(&out), 8, "{}", text(&out.stderr));
    assert!(!unknown.exists());
    // In English when the desk's screens are (the language switch's preference).
    std::fs::write(dir.join("preferences.json"), r#"{"language":"en"}"#).unwrap();
    let english = dir.join("en.pdf");
    let out = run_plkk_as(
        dir,
        ADMIN,
        &[
            "patient-report",
            "--nik",
            "3216055708900003",
            "--output",
            english.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let said = pdf_text(&english);
    assert!(
        said.contains("Patient's Personal Data Report") && said.contains("opened the case"),
        "{said}"
    );
}
