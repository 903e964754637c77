//! A case's letters (`plkk letter`) and their verification at the branch (`plkk-branch case
//! verify-letter`), all as processes over real files and a real branch: the PDF's text, read back
//! with `pdftotext`, holds the NIK, the name, the accident date, the clinic and the code after
//! `Kode verifikasi:`; the branch confirms the code after a sync, refuses a changed code, a case
//! it has not received and a letter covering a record still on the desk, and confirms a letter
//! printed on a second desk of the clinic over records of both. An English desk prints English.

use std::path::Path;
use std::process::{Command, Output};

use plkk_tests::accounts::{Staff, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::bins::{run_plkk_as, workspace_binary};
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

fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext runs (Debian package poppler-utils, scripts/setup.sh)");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    said.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `plkk letter` as `staff`: the exit code, the code on the last line, stderr.
fn letter(desk: &Path, staff: Staff, case: &str, kind: &str, file: &str) -> (i32, String, String) {
    let output = desk.join(file);
    let out = run_plkk_as(
        desk,
        staff,
        &[
            "letter",
            case,
            "--kind",
            kind,
            "--output",
            output.to_str().unwrap(),
        ],
        "",
    );
    let last = text(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned();
    (code(&out), last, text(&out.stderr))
}

/// `plkk-branch case verify-letter CODE`: exit code, stdout, stderr.
fn verify(branch: &TestBranch, letter_code: &str) -> (i32, String, String) {
    let out = Command::new(workspace_binary("plkk-branch"))
        .arg("--data-dir")
        .arg(branch.data_dir())
        .args(["case", "verify-letter", letter_code])
        .output()
        .expect("plkk-branch runs");
    (code(&out), text(&out.stdout), text(&out.stderr))
}

fn admit(desk: &Path, intake: Value) -> String {
    let out = run_plkk_as(desk, RECEPTIONIST, &["intake", "add"], &intake.to_string());
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    text(&out.stdout).lines().last().unwrap().trim().to_owned()
}

/// The sample note with `changes` over it.
fn note_with(changes: Value) -> Value {
    let mut note = samples::note();
    for (key, value) in changes.as_object().unwrap() {
        note[key] = value.clone();
    }
    note
}

fn add_note(desk: &Path, case: &str, note: Value) {
    let out = run_plkk_as(desk, NURSE, &["note", "add", case], &note.to_string());
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
}

#[test]
fn a_letter_carries_the_case_and_a_code_the_branch_confirms_after_a_sync() {
    let branch = TestBranch::start();
    let enrolment = branch.clinic_with_code("PLKK-BKS-01", "Klinik Sehat Cikarang");
    let desk = SyncDesk::new();
    let dir = desk.data_dir();
    desk.enroll(&branch.url(), &enrolment);

    let case = admit(dir, samples::intake());
    add_note(dir, &case, samples::note());
    let corrected = run_plkk_as(
        dir,
        RECEPTIONIST,
        &[
            "intake",
            "correct",
            &case,
            "--reason",
            "Nomor telepon salah",
        ],
        &json!({ "phone": "081298765432" }).to_string(),
    );
    assert_eq!(code(&corrected), 0, "{}", text(&corrected.stderr));

    // Before any sync the letter prints (care and paperwork never wait for the line), but the
    // branch cannot know its case yet.
    let (exit, early, stderr) = letter(dir, RECEPTIONIST, &case, "notification", "early.pdf");
    assert_eq!(exit, 0, "{stderr}");
    let (exit, _, stderr) = verify(&branch, &early);
    assert_eq!(exit, 2, "{stderr}");
    assert!(stderr.contains("has not reached the branch"), "{stderr}");

    desk.sync().expect("the sync succeeds");
    let (exit, out, stderr) = verify(&branch, &early);
    assert_eq!(
        exit, 0,
        "the letter printed before the sync verifies after it: {stderr}"
    );
    assert!(
        out.contains(&case) && out.contains("Siti Rahmawati"),
        "{out}"
    );

    let (exit, notification, stderr) = letter(
        dir,
        RECEPTIONIST,
        &case,
        "notification",
        "pemberitahuan.pdf",
    );
    assert_eq!(exit, 0, "{stderr}");
    assert_eq!(notification, early, "the same records give the same code");
    let said = pdf_text(&dir.join("pemberitahuan.pdf"));
    for expected in [
        "Pemberitahuan Dugaan Kecelakaan Kerja",
        "3216055708900003",
        "Siti Rahmawati",
        "10/06/2025 08.30 WIB",
        "Klinik Sehat Cikarang (PLKK-BKS-01)",
        "Permenaker No. 1 Tahun 2025",
        "081298765432",
        &format!("Kode verifikasi: {notification}"),
    ] {
        assert!(
            said.contains(expected),
            "{expected:?} in the letter:\n{said}"
        );
    }

    // A nurse prints the summary: the treatment note and the correction are in it.
    let (exit, summary, stderr) = letter(dir, NURSE, &case, "summary", "ringkasan.pdf");
    assert_eq!(exit, 0, "{stderr}");
    let said = pdf_text(&dir.join("ringkasan.pdf"));
    for expected in [
        "Ringkasan Kasus",
        "3216055708900003",
        "Nomor telepon salah",
        "Catatan perawatan",
        &format!("Kode verifikasi: {summary}"),
    ] {
        assert!(
            said.contains(expected),
            "{expected:?} in the summary:\n{said}"
        );
    }
    assert_eq!(verify(&branch, &summary).0, 0);

    // A changed code is refused as unknown, naming it.
    let mut changed: Vec<char> = summary.chars().collect();
    changed[2] = if changed[2] == 'A' { 'B' } else { 'A' };
    let changed: String = changed.into_iter().collect();
    let (exit, out, stderr) = verify(&branch, &changed);
    assert_eq!(exit, 2, "{out}{stderr}");
    assert!(stderr.contains("unknown verification code"), "{stderr}");
    assert!(!out.contains(&case), "nothing confirmed: {out}");

    // A note still on the desk: the new letter's code is not confirmed until it is sent; the
    // earlier letter stays genuine.
    add_note(
        dir,
        &case,
        note_with(json!({ "text": "Kontrol luka, kering." })),
    );
    let (exit, later, _) = letter(dir, NURSE, &case, "summary", "ringkasan-2.pdf");
    assert_eq!(exit, 0);
    assert_ne!(later, summary, "another record, another code");
    let (exit, _, stderr) = verify(&branch, &later);
    assert_eq!(exit, 2, "{stderr}");
    assert!(stderr.contains("not every record"), "{stderr}");
    desk.sync().expect("the sync succeeds");
    assert_eq!(verify(&branch, &later).0, 0);
    assert_eq!(verify(&branch, &summary).0, 0);

    // A second case admitted and printed but never synced.
    let unsent = admit(
        dir,
        samples::intake_with(json!({ "nik": "3216055708900011", "full_name": "Rina Lestari" })),
    );
    let (exit, unsent_code, _) = letter(dir, ADMIN, &unsent, "notification", "unsent.pdf");
    assert_eq!(exit, 0);
    let (exit, _, stderr) = verify(&branch, &unsent_code);
    assert_eq!(exit, 2, "{stderr}");
    assert!(stderr.contains("has not reached the branch"), "{stderr}");

    // Every letter is in the audit log with its kind and code.
    let audit = run_plkk_as(
        dir,
        ADMIN,
        &["audit", "list", "--json", "--limit", "500"],
        "",
    );
    let entries: Value = serde_json::from_slice(&audit.stdout).unwrap();
    let printed: Vec<&Value> = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "print")
        .collect();
    assert_eq!(printed.len(), 5, "{entries:#}");
    assert!(
        printed.iter().any(|entry| {
            let detail: Value =
                serde_json::from_str(entry["detail"].as_str().unwrap_or("{}")).unwrap();
            detail["letter"] == "summary" && detail["code"] == summary.as_str()
        }),
        "{printed:#?}"
    );

    // Refusals: an existing file, an unknown kind, an unknown case; nothing written.
    let (exit, _, stderr) = letter(dir, RECEPTIONIST, &case, "summary", "ringkasan.pdf");
    assert_eq!(exit, 2, "{stderr}");
    assert!(stderr.contains("exists already"), "{stderr}");
    let (exit, _, stderr) = letter(dir, RECEPTIONIST, &case, "invoice", "x.pdf");
    assert_eq!(exit, 2, "{stderr}");
    assert!(stderr.contains("kind"), "{stderr}");
    let (exit, _, stderr) = letter(
        dir,
        RECEPTIONIST,
        "019a0000-0000-7000-8000-000000000009",
        "summary",
        "y.pdf",
    );
    assert_eq!(exit, 2, "{stderr}");
    assert!(!dir.join("x.pdf").exists() && !dir.join("y.pdf").exists());

    // In English when the desk's screens are.
    std::fs::write(dir.join("preferences.json"), r#"{"language":"en"}"#).unwrap();
    let (exit, english, _) = letter(dir, RECEPTIONIST, &case, "notification", "en.pdf");
    assert_eq!(exit, 0);
    let said = pdf_text(&dir.join("en.pdf"));
    for expected in [
        "Notification of a Suspected Work Accident",
        "What happened",
        "10/06/2025 08:30 WIB",
        &format!("Kode verifikasi: {english}"),
    ] {
        assert!(
            said.contains(expected),
            "{expected:?} in the English letter:\n{said}"
        );
    }
    assert!(!said.contains("Pemberitahuan Dugaan"), "{said}");
}

#[test]
fn a_letter_from_a_second_desk_covers_records_of_both_desks() {
    let branch = TestBranch::start();
    let enrolment = branch.clinic_with_code("PLKK-BKS-02", "Klinik Pratama Tambun");
    let front = SyncDesk::new();
    let ward = SyncDesk::new();
    front.enroll(&branch.url(), &enrolment);
    ward.enroll(&branch.url(), &branch.enrollment_code("PLKK-BKS-02"));

    let case = admit(front.data_dir(), samples::intake());
    front.sync().expect("the front desk sends the intake");
    ward.sync().expect("the ward desk pulls it");
    add_note(ward.data_dir(), &case, samples::note());
    // The front desk adds a note the ward has not pulled when it prints.
    add_note(
        front.data_dir(),
        &case,
        note_with(json!({ "text": "Pasien kontrol ulang di depan." })),
    );
    front.sync().expect("the front desk sends its note");

    let (exit, ward_code, stderr) = letter(ward.data_dir(), NURSE, &case, "summary", "w.pdf");
    assert_eq!(exit, 0, "{stderr}");
    let (exit, _, stderr) = verify(&branch, &ward_code);
    assert_eq!(exit, 2, "the ward's note has not been sent: {stderr}");
    ward.sync().expect("the ward desk sends its note");
    let (exit, out, stderr) = verify(&branch, &ward_code);
    assert_eq!(exit, 0, "{stderr}");
    assert!(out.contains(&case), "{out}");
}
