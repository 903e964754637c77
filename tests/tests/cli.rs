//! `plkk`, the desk's command line, run as a real process on a temporary, set-up data directory
//! (signed in as the receptionist, or the nurse for notes): the add / list / search / show / note /
//! correct round trip, refusals with exit code 2 that name the field and write nothing, sign-in
//! and role refusals (exit 7 and 8), and a damaged database that is never overwritten.

use std::path::Path;
use std::process::Output;

use plkk_tests::accounts::{self, Staff, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::{bins, samples};
use serde_json::{json, Value};

struct Desk {
    dir: tempfile::TempDir,
}

impl Desk {
    /// A data directory set up with an administrator, a receptionist and a nurse.
    fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        accounts::set_up_desk(dir.path());
        Desk { dir }
    }

    /// Runs `plkk` signed in as the receptionist.
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        self.run_as(RECEPTIONIST, args, stdin)
    }

    fn run_as(&self, staff: Staff, args: &[&str], stdin: &str) -> Output {
        bins::run_plkk_as(self.dir.path(), staff, args, stdin)
    }

    /// Runs a command as the receptionist that must succeed and returns its stdout.
    fn ok(&self, args: &[&str], stdin: &str) -> String {
        self.ok_as(RECEPTIONIST, args, stdin)
    }

    /// Runs a command as `staff` that must succeed and returns its stdout.
    fn ok_as(&self, staff: Staff, args: &[&str], stdin: &str) -> String {
        let output = self.run_as(staff, args, stdin);
        assert!(
            output.status.success(),
            "plkk {args:?} as {} failed: {}",
            staff.username,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args, "")).unwrap()
    }

    fn admit(&self, intake: &Value) -> String {
        last_line(&self.ok(&["intake", "add"], &intake.to_string()))
    }

    fn status(&self) -> Value {
        bins::plkk_status(self.dir.path())
    }

    fn intake_count(&self) -> u64 {
        self.status()["intakes"].as_u64().unwrap()
    }

    fn note_count(&self) -> u64 {
        self.status()["notes"].as_u64().unwrap()
    }
}

fn last_line(stdout: &str) -> String {
    stdout.lines().last().unwrap_or_default().trim().to_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn add_list_search_show_note_and_correct_round_trip() {
    let desk = Desk::new();
    let id = desk.admit(&samples::intake());
    assert_eq!(id.len(), 36, "the new id is a UUID on the last line: {id}");

    let listed = desk.json(&["intake", "list", "--json"]);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["full_name"], "Siti Rahmawati");
    assert_eq!(listed[0]["nik"], "3216055708900003");
    assert_eq!(listed[0]["sync_state"], "pending", "nothing is synced yet");
    assert_eq!(listed[0]["report_due_at"], "2025-06-12T08:30:00+07:00");

    for typed in ["siti", "RAHMA", "321605", "1234567", "maju jaya"] {
        let found = desk.json(&["intake", "list", "--search", typed, "--json"]);
        assert_eq!(found.as_array().unwrap().len(), 1, "search {typed:?}");
    }
    let none = desk.json(&["intake", "list", "--search", "nobody", "--json"]);
    assert_eq!(none, json!([]));

    let note_file = desk.dir.path().join("note.json");
    std::fs::write(&note_file, samples::note().to_string()).unwrap();
    let note_id = last_line(&desk.ok_as(
        NURSE,
        &["note", "add", &id, "--file", note_file.to_str().unwrap()],
        "",
    ));
    let correction =
        json!({"text": "Koreksi: nyeri skala 5", "pain_score": 5, "corrects": note_id});
    desk.ok_as(NURSE, &["note", "add", &id], &correction.to_string());

    desk.ok(
        &[
            "intake",
            "correct",
            &id,
            "--reason",
            "salah nama perusahaan",
        ],
        r#"{"employer_name": "PT Maju Bersama"}"#,
    );

    let case = desk.json(&["intake", "show", &id, "--json"]);
    assert_eq!(case["employer_name"], "PT Maju Bersama");
    assert_eq!(case["notes"].as_array().unwrap().len(), 2);
    assert_eq!(case["notes"][0]["id"], note_id.as_str());
    assert_eq!(
        case["notes"][0]["author"], NURSE.username,
        "the note names the nurse who signed in"
    );
    assert_eq!(case["notes"][1]["corrects"], note_id.as_str());
    assert_eq!(case["revisions"][1]["reason"], "salah nama perusahaan");
    assert_eq!(case["revisions"][1]["changes"][0]["from"], "PT Maju Jaya");

    let status = desk.status();
    assert_eq!(status["intakes"], 1);
    assert_eq!(status["open_cases"], 1);
    assert_eq!(status["notes"], 2);
    assert_eq!(
        status["outbox"]["pending"], 4,
        "intake, two notes, a correction"
    );
}

#[test]
fn warnings_are_printed_naming_the_field_and_the_intake_is_saved() {
    let desk = Desk::new();
    let traffic = samples::intake_with(json!({"place_type": "traffic"}));
    let output = desk.run(&["intake", "add"], &traffic.to_string());
    assert!(output.status.success());
    assert!(stderr(&output).contains("police_report_number"));
    assert!(stderr(&output).contains("police_report_missing"));
    assert_eq!(desk.intake_count(), 1);
}

#[test]
fn malformed_or_non_object_json_is_refused_with_exit_2_and_nothing_written() {
    let desk = Desk::new();
    for (input, expected) in [
        ("{\"full_name\": ", "not valid JSON"),
        ("", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ("\"Siti\"", "JSON object"),
    ] {
        let output = desk.run(&["intake", "add"], input);
        assert_eq!(output.status.code(), Some(2), "input {input:?}");
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    }
    assert_eq!(desk.intake_count(), 0);
}

/// Each case: a change to the valid sample, the field that must be named, the rule.
const INVALID_INTAKES: &[(&str, &str, &str)] = &[
    (r#"{"nik": "32160557089000"}"#, "nik", "nik_format"),
    (r#"{"nik": "32160557089000AB"}"#, "nik", "nik_format"),
    (r#"{"nik": "3216053508900003"}"#, "nik", "nik_day"),
    (r#"{"nik": "3216057708900003"}"#, "nik", "nik_day"),
    (r#"{"nik": "3216055708900000"}"#, "nik", "nik_serial"),
    (r#"{"nik": null, "kpj": null}"#, "nik", "identity_required"),
    (r#"{"kpj": "1234"}"#, "kpj", "kpj_format"),
    (r#"{"full_name": "S"}"#, "full_name", "too_short"),
    (r#"{"full_name": null}"#, "full_name", "required"),
    (r#"{"sex": "x"}"#, "sex", "choice"),
    (
        r#"{"birth_date": "17-08-1990"}"#,
        "birth_date",
        "date_format",
    ),
    (
        r#"{"birth_date": "2999-01-01"}"#,
        "birth_date",
        "date_in_future",
    ),
    (r#"{"phone": "12345"}"#, "phone", "phone_format"),
    (r#"{"segment": "XYZ"}"#, "segment", "choice"),
    (
        r#"{"employer_name": null}"#,
        "employer_name",
        "required_for_segment",
    ),
    (r#"{"employer_npp": "12-34"}"#, "employer_npp", "npp_format"),
    (
        r#"{"accident_at": "2025-06-10T08:30:00"}"#,
        "accident_at",
        "datetime_format",
    ),
    (
        r#"{"accident_at": "2025-06-10T11:30:00+07:00"}"#,
        "accident_at",
        "accident_after_admission",
    ),
    (
        r#"{"admitted_at": "2999-06-10T09:10:00+07:00"}"#,
        "admitted_at",
        "admitted_in_future",
    ),
    (
        r#"{"case_category": "occupational_disease"}"#,
        "occupation",
        "required_for_category",
    ),
    (r#"{"case_category": "flu"}"#, "case_category", "choice"),
    (r#"{"place_type": null}"#, "place_type", "required"),
    (
        r#"{"accident_location": null}"#,
        "accident_location",
        "required",
    ),
    (r#"{"chronology": "Jatuh"}"#, "chronology", "too_short"),
    (r#"{"injury": "  "}"#, "injury", "required"),
    (r#"{"contact_name": null}"#, "contact_name", "required"),
    (
        r#"{"contact_phone": "0812"}"#,
        "contact_phone",
        "phone_format",
    ),
    (r#"{"consent": "yes"}"#, "consent", "choice"),
    (r#"{"full_name": 42}"#, "full_name", "not_text"),
    (
        r#"{"favourite_colour": "blue"}"#,
        "favourite_colour",
        "unknown_field",
    ),
    (r#"{"id": "not-a-uuid"}"#, "id", "uuid_format"),
];

#[test]
fn every_invalid_intake_field_is_refused_with_exit_2_naming_field_and_rule() {
    let desk = Desk::new();
    for (change, field, rule) in INVALID_INTAKES {
        let intake = samples::intake_with(serde_json::from_str(change).unwrap());
        let output = desk.run(&["intake", "add"], &intake.to_string());
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{change}: {message}");
        assert!(
            message.contains(&format!("error: {field}:")) && message.contains(rule),
            "{change} must name field {field} and rule {rule}, got: {message}"
        );
    }
    assert_eq!(desk.intake_count(), 0, "a refused intake writes nothing");
}

#[test]
fn every_error_of_one_intake_is_reported_at_once() {
    let desk = Desk::new();
    let intake = samples::intake_with(json!({"nik": "123", "sex": "x", "chronology": "Jatuh"}));
    let message = stderr(&desk.run(&["intake", "add"], &intake.to_string()));
    for field in ["nik", "sex", "chronology"] {
        assert!(message.contains(&format!("error: {field}:")), "{message}");
    }
}

/// Each case: a note, the field that must be named, the rule.
const INVALID_NOTES: &[(&str, &str, &str)] = &[
    (r#"{}"#, "text", "required"),
    (
        r#"{"text": "ok", "systolic": 300}"#,
        "systolic",
        "out_of_range",
    ),
    (
        r#"{"text": "ok", "diastolic": 20}"#,
        "diastolic",
        "out_of_range",
    ),
    (r#"{"text": "ok", "pulse": 10}"#, "pulse", "out_of_range"),
    (
        r#"{"text": "ok", "resp_rate": 70}"#,
        "resp_rate",
        "out_of_range",
    ),
    (
        r#"{"text": "ok", "temperature_c": 45.5}"#,
        "temperature_c",
        "out_of_range",
    ),
    (r#"{"text": "ok", "spo2": 101}"#, "spo2", "out_of_range"),
    (
        r#"{"text": "ok", "pain_score": 11}"#,
        "pain_score",
        "out_of_range",
    ),
    (r#"{"text": "ok", "pulse": "cepat"}"#, "pulse", "not_number"),
    (
        r#"{"text": "ok", "icd10": ["S5"]}"#,
        "icd10",
        "icd10_format",
    ),
    (
        r#"{"text": "ok", "disposition": "referred"}"#,
        "referred_to",
        "required_when_referred",
    ),
    (
        r#"{"text": "ok", "stmb_days": 400}"#,
        "stmb_days",
        "out_of_range",
    ),
    (
        r#"{"text": "ok", "outcome": "better"}"#,
        "outcome",
        "choice",
    ),
    (
        r#"{"text": "ok", "author": "someone"}"#,
        "author",
        "set_by_app",
    ),
];

#[test]
fn every_invalid_note_field_is_refused_with_exit_2_and_nothing_written() {
    let desk = Desk::new();
    let id = desk.admit(&samples::intake());
    for (note, field, rule) in INVALID_NOTES {
        let output = desk.run_as(NURSE, &["note", "add", &id], note);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{note}: {message}");
        assert!(
            message.contains(&format!("error: {field}:")) && message.contains(rule),
            "{note} must name field {field} and rule {rule}, got: {message}"
        );
    }
    let unknown_case = desk.run_as(
        NURSE,
        &["note", "add", "01890000-0000-7000-8000-000000000000"],
        r#"{"text": "ok"}"#,
    );
    assert_eq!(unknown_case.status.code(), Some(2));
    assert!(stderr(&unknown_case).contains("intake_id"));
    assert_eq!(desk.note_count(), 0);
}

#[test]
fn invalid_corrections_are_refused_and_the_intake_is_unchanged() {
    let desk = Desk::new();
    let id = desk.admit(&samples::intake());
    for (changes, reason, field) in [
        (r#"{"nik": "3216053508900003"}"#, "typo", "nik"),
        (r#"{"employer_name": "PT Maju Jaya"}"#, "same", "changes"),
        (
            r#"{"id": "01890000-0000-7000-8000-000000000000"}"#,
            "x",
            "id",
        ),
        (r#"{"employer_name": "PT Lain"}"#, " ", "reason"),
    ] {
        let output = desk.run(&["intake", "correct", &id, "--reason", reason], changes);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{changes}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(&format!("error: {field}:")),
            "{}",
            stderr(&output)
        );
    }
    let case = desk.json(&["intake", "show", &id, "--json"]);
    assert_eq!(case["nik"], "3216055708900003");
    assert_eq!(case["revisions"].as_array().unwrap().len(), 1);
    let missing_reason = desk.run(&["intake", "correct", &id], "{}");
    assert_eq!(
        missing_reason.status.code(),
        Some(2),
        "--reason is required"
    );
}

#[test]
fn a_refused_sign_in_exits_7_and_a_refused_role_exits_8_and_nothing_is_written() {
    let desk = Desk::new();
    let id = desk.admit(&samples::intake());
    let note = samples::note().to_string();

    let wrong_password = bins::run_plkk_with(
        desk.dir.path(),
        &[
            ("PLKK_USER", NURSE.username),
            ("PLKK_PASSWORD", "not-her-password"),
        ],
        &["note", "add", &id],
        &note,
    );
    assert_eq!(
        wrong_password.status.code(),
        Some(7),
        "{}",
        stderr(&wrong_password)
    );
    let unknown_user = bins::run_plkk_with(
        desk.dir.path(),
        &[("PLKK_USER", "nobody"), ("PLKK_PASSWORD", "whatever-1")],
        &["status"],
        "",
    );
    assert_eq!(
        unknown_user.status.code(),
        Some(7),
        "{}",
        stderr(&unknown_user)
    );

    let receptionist_note = desk.run(&["note", "add", &id], &note);
    assert_eq!(
        receptionist_note.status.code(),
        Some(8),
        "{}",
        stderr(&receptionist_note)
    );
    assert!(
        stderr(&receptionist_note).contains("a receptionist may not"),
        "the refusal names the role: {}",
        stderr(&receptionist_note)
    );
    let nurse_intake = desk.run_as(
        NURSE,
        &["intake", "add"],
        &samples::intake_with(json!({"nik": "3216055708900004"})).to_string(),
    );
    assert_eq!(
        nurse_intake.status.code(),
        Some(8),
        "{}",
        stderr(&nurse_intake)
    );
    let nurse_correction = desk.run_as(
        NURSE,
        &["intake", "correct", &id, "--reason", "typo"],
        r#"{"employer_name": "PT Lain"}"#,
    );
    assert_eq!(
        nurse_correction.status.code(),
        Some(8),
        "{}",
        stderr(&nurse_correction)
    );

    assert_eq!(desk.intake_count(), 1);
    assert_eq!(desk.note_count(), 0);
    let case = desk.json(&["intake", "show", &id, "--json"]);
    assert_eq!(case["employer_name"], "PT Maju Jaya");
    // The administrator may do both.
    desk.ok_as(ADMIN, &["note", "add", &id], &note);
    assert_eq!(desk.note_count(), 1);
}

#[test]
fn a_desk_that_is_not_set_up_exits_1_saying_to_run_setup() {
    let dir = tempfile::tempdir().unwrap();
    let output = bins::run_plkk(dir.path(), &["status"], "");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("plkk setup"),
        "{}",
        stderr(&output)
    );
    assert!(
        !dir.path().join(plkk_store::DATABASE_FILE_NAME).exists(),
        "nothing is created before setup"
    );
}

fn setup_admin(data_dir: &Path) -> Output {
    bins::run_plkk_with(
        data_dir,
        &[("PLKK_PASSWORD", ADMIN.password)],
        &[
            "setup",
            "--admin-user",
            ADMIN.username,
            "--admin-name",
            ADMIN.display_name,
        ],
        "",
    )
}

#[test]
fn a_damaged_database_without_keys_is_never_overwritten_by_setup() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join(plkk_store::DATABASE_FILE_NAME);
    let damaged = "x".repeat(4096);
    std::fs::write(&database, &damaged).unwrap();

    let status = bins::run_plkk(dir.path(), &["status"], "");
    assert_eq!(status.status.code(), Some(1), "{}", stderr(&status));
    assert!(
        stderr(&status).contains("plkk setup"),
        "{}",
        stderr(&status)
    );

    let setup = setup_admin(dir.path());
    assert_eq!(setup.status.code(), Some(1), "{}", stderr(&setup));
    assert!(
        stderr(&setup).contains("cannot be read") && stderr(&setup).contains("desk.sqlite3"),
        "setup says which file is in the way: {}",
        stderr(&setup)
    );
    assert!(setup.stdout.is_empty(), "no recovery key is printed");
    assert_eq!(
        std::fs::read_to_string(&database).unwrap(),
        damaged,
        "the damaged file is left exactly as it was"
    );
    assert_eq!(
        plkk_store::desk_phase(dir.path()),
        plkk_store::DeskPhase::NeedsSetup,
        "no keyring was written"
    );
}

#[test]
fn a_set_up_desk_whose_database_cannot_be_opened_exits_1_with_a_clear_message() {
    let desk = Desk::new();
    let database = desk.dir.path().join(plkk_store::DATABASE_FILE_NAME);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(desk.dir.path().join(format!("desk.sqlite3{suffix}")));
    }
    let damaged = "x".repeat(4096);
    std::fs::write(&database, &damaged).unwrap();
    let output = desk.run(&["status"], "");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot open the database"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(&database).unwrap(),
        damaged,
        "the damaged file is left as it was"
    );
    let setup = setup_admin(desk.dir.path());
    assert_eq!(
        setup.status.code(),
        Some(2),
        "a set-up desk is not set up again: {}",
        stderr(&setup)
    );
    assert!(
        stderr(&setup).contains("already set up"),
        "{}",
        stderr(&setup)
    );
    assert_eq!(std::fs::read_to_string(&database).unwrap(), damaged);
}

#[test]
fn status_names_the_folder_of_the_desks_log_files() {
    let desk = Desk::new();
    let logs = desk.dir.path().join(plkk_store::LOG_DIR_NAME);
    let status = desk.json(&["status", "--json"]);
    assert_eq!(status["log_dir"], logs.display().to_string());
    let text = desk.ok(&["status"], "");
    assert!(
        text.lines()
            .any(|line| line.starts_with("logs") && line.ends_with(&logs.display().to_string())),
        "{text}"
    );
}

#[test]
fn a_list_cut_at_its_limit_says_so_on_stderr() {
    let desk = Desk::new();
    for _ in 0..3 {
        desk.admit(&samples::intake());
    }
    let cut = desk.run(&["intake", "list", "--json", "--limit", "2"], "");
    assert!(cut.status.success(), "{}", stderr(&cut));
    let shown: Value = serde_json::from_slice(&cut.stdout).unwrap();
    assert_eq!(shown.as_array().unwrap().len(), 2, "the newest two");
    assert!(
        stderr(&cut).contains("--limit"),
        "a script is told the list was cut: {}",
        stderr(&cut)
    );
    let whole = desk.run(&["intake", "list", "--json", "--limit", "5"], "");
    let shown: Value = serde_json::from_slice(&whole.stdout).unwrap();
    assert_eq!(shown.as_array().unwrap().len(), 3);
    assert!(!stderr(&whole).contains("--limit"), "{}", stderr(&whole));
    let refused = desk.run(&["intake", "list", "--limit", "0"], "");
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
}

#[test]
fn a_listing_piped_into_a_reader_that_stops_early_ends_quietly() {
    let desk = Desk::new();
    desk.admit(&samples::intake());
    let mut command = std::process::Command::new(bins::workspace_binary("plkk"));
    command
        .args(["intake", "list", "--json"])
        .env("PLKK_DATA_DIR", desk.dir.path())
        .env("PLKK_USER", RECEPTIONIST.username)
        .env("PLKK_PASSWORD", RECEPTIONIST.password)
        .env("PLKK_KDF", "fast");
    let output = bins::run_with_stdout_closed(command);
    bins::assert_ended_quietly(&output, "`plkk intake list --json | head`");
}
