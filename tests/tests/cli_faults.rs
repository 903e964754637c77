//! Faults found in the field (issue 8), each as a person meets it through `plkk` run as a real
//! process on a real, set-up desk: search that misses a patient typed another way, a second case
//! of one NIK saved without a word, formulas written raw into the CSV export, role refusals that
//! left no audit entry, and patient data written readable by every user of the computer.

use std::path::Path;
use std::process::Output;

use plkk_tests::accounts::{self, Staff, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::{bins, samples};
use serde_json::{json, Value};

struct Desk {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Desk {
    fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        accounts::set_up_desk(dir.path());
        Desk {
            path: dir.path().to_owned(),
            _dir: dir,
        }
    }

    /// A desk set up in a data folder that did not exist before (the desk creates it).
    fn in_new_folder() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk");
        accounts::set_up_desk(&path);
        Desk { _dir: dir, path }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn run_as(&self, staff: Staff, args: &[&str], stdin: &str) -> Output {
        bins::run_plkk_as(self.path(), staff, args, stdin)
    }

    fn ok_as(&self, staff: Staff, args: &[&str], stdin: &str) -> Output {
        let output = self.run_as(staff, args, stdin);
        assert!(
            output.status.success(),
            "plkk {args:?} as {} failed: {}",
            staff.username,
            text(&output.stderr)
        );
        output
    }

    fn admit(&self, intake: &Value) -> (String, String) {
        let output = self.ok_as(RECEPTIONIST, &["intake", "add"], &intake.to_string());
        let id = text(&output.stdout)
            .lines()
            .last()
            .unwrap()
            .trim()
            .to_owned();
        (id, text(&output.stderr))
    }

    fn search(&self, typed: &str) -> Vec<String> {
        let output = self.ok_as(
            RECEPTIONIST,
            &["intake", "list", "--search", typed, "--json"],
            "",
        );
        let cases: Value = serde_json::from_slice(&output.stdout).unwrap();
        cases
            .as_array()
            .unwrap()
            .iter()
            .map(|case| case["full_name"].as_str().unwrap().to_owned())
            .collect()
    }

    fn audit(&self) -> Vec<Value> {
        let output = self.ok_as(ADMIN, &["audit", "list", "--json"], "");
        serde_json::from_slice::<Value>(&output.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn search_finds_a_patient_however_the_nik_or_the_name_is_typed() {
    let desk = Desk::new();
    desk.admit(&samples::intake_with(json!({
        "nik": "3216055708900014", "kpj": null, "full_name": "Siti Ma'rufah",
    })));
    desk.admit(&samples::intake_with(json!({
        "nik": "3216055708900022", "kpj": null, "full_name": "Nur Maruf Hidayati",
    })));
    desk.admit(&samples::intake_with(json!({
        "nik": "3216055708900030", "kpj": null, "full_name": "Hélène Saragih",
    })));
    let table: &[(&str, &[&str])] = &[
        ("3216055708900014", &["Siti Ma'rufah"]),
        ("3216 0557 0890 0014", &["Siti Ma'rufah"]),
        ("3216-0557-0890-0014", &["Siti Ma'rufah"]),
        ("3216.0557.0890.0014", &["Siti Ma'rufah"]),
        (
            "3216 0557 0890 00",
            &["Hélène Saragih", "Nur Maruf Hidayati", "Siti Ma'rufah"],
        ),
        // Stored with the apostrophe, typed without; stored without, typed with.
        ("marufah", &["Siti Ma'rufah"]),
        ("siti marufah", &["Siti Ma'rufah"]),
        ("Ma'ruf Hidayati", &["Nur Maruf Hidayati"]),
        ("ma’ruf", &["Nur Maruf Hidayati", "Siti Ma'rufah"]),
        ("helene", &["Hélène Saragih"]),
        ("HÉLÈNE", &["Hélène Saragih"]),
    ];
    for (typed, expected) in table {
        let mut found = desk.search(typed);
        found.sort();
        assert_eq!(&found, expected, "searching {typed:?}");
    }
}

#[test]
fn a_second_case_of_one_nik_is_saved_with_a_warning_naming_nik_and_the_earlier_case() {
    let desk = Desk::new();
    let (first, first_warnings) = desk.admit(&samples::intake());
    assert!(
        !first_warnings.contains("nik_seen_before"),
        "the first case of a NIK has no such warning: {first_warnings}"
    );
    let output = desk.ok_as(
        RECEPTIONIST,
        &["intake", "add"],
        &samples::intake().to_string(),
    );
    let second = text(&output.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    let warnings = text(&output.stderr);
    assert!(
        warnings.contains("warning: nik:")
            && warnings.contains("[nik_seen_before]")
            && warnings.contains(&first),
        "the warning names the field, the rule and the earlier case: {warnings}"
    );
    assert_ne!(first, second, "and the second case is saved");
    let case = desk.ok_as(RECEPTIONIST, &["intake", "show", &second, "--json"], "");
    let case: Value = serde_json::from_slice(&case.stdout).unwrap();
    let warning = case["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|warning| warning["rule"] == "nik_seen_before")
        .expect("the warning is kept with the case");
    assert_eq!(warning["field"], "nik");
    assert_eq!(warning["params"]["case"], first.as_str());
    assert_eq!(warning["params"]["count"], "1");

    // A correction that gives a third case the same NIK is warned about the same way.
    let (third, _) = desk.admit(&samples::intake_with(json!({
        "nik": "3216055708900014", "kpj": null,
    })));
    let corrected = desk.ok_as(
        RECEPTIONIST,
        &["intake", "correct", &third, "--reason", "NIK salah ketik"],
        &json!({ "nik": "3216055708900003" }).to_string(),
    );
    let warnings = text(&corrected.stderr);
    assert!(
        warnings.contains("[nik_seen_before]") && warnings.contains(&second),
        "the newest earlier case is named: {warnings}"
    );
}

#[test]
fn the_csv_export_neutralises_formulas_and_keeps_phone_numbers_readable() {
    let desk = Desk::new();
    let hostile = samples::intake_with(json!({
        "full_name": "=HYPERLINK(\"http://x.example/\",\"klik\")",
        "address": "+1+1 Jl. Raya Cikarang",
        "accident_location": "-1+1 gudang belakang",
        "injury": "@SUM(A1:A9)",
        "chronology": "=cmd|' /C calc'!A0 terjatuh dari tangga",
        "phone": "+6281234567890",
        "contact_phone": "081298765432",
    }));
    let (case_id, _) = desk.admit(&hostile);
    let note = json!({ "text": "=1+1 luka dibersihkan" });
    desk.ok_as(NURSE, &["note", "add", &case_id], &note.to_string());
    let out = tempfile::tempdir().unwrap();
    let output = desk.ok_as(
        ADMIN,
        &[
            "export",
            "--from",
            "2025-06-01",
            "--to",
            "2025-06-30",
            "--output",
            out.path().to_str().unwrap(),
        ],
        "",
    );
    let paths: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
    let cases = read_csv(Path::new(&paths[0]));
    let cell = |column: &str| cases[1][cases[0].iter().position(|c| c == column).unwrap()].clone();
    assert_eq!(
        cell("full_name"),
        "'=HYPERLINK(\"http://x.example/\",\"klik\")"
    );
    assert_eq!(cell("address"), "'+1+1 Jl. Raya Cikarang");
    assert_eq!(cell("accident_location"), "'-1+1 gudang belakang");
    assert_eq!(cell("injury"), "'@SUM(A1:A9)");
    assert_eq!(
        cell("chronology"),
        "'=cmd|' /C calc'!A0 terjatuh dari tangga"
    );
    assert_eq!(
        cell("phone"),
        "'+6281234567890",
        "a +62 number keeps every digit, behind the apostrophe a spreadsheet shows as text"
    );
    assert_eq!(
        cell("contact_phone"),
        "081298765432",
        "an 08 number is as typed"
    );
    assert_eq!(cell("nik"), "3216055708900003");
    let notes = read_csv(Path::new(&paths[1]));
    let text_column = notes[0].iter().position(|c| c == "text").unwrap();
    assert_eq!(notes[1][text_column], "'=1+1 luka dibersihkan");
    for row in cases.iter().chain(&notes) {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "no cell may start a formula: {cell:?}"
            );
        }
    }
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap_or_else(|error| panic!("{} reads back: {error}", path.display()));
    reader
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn every_role_refusal_leaves_an_audit_entry() {
    let desk = Desk::new();
    let refusals: &[(Staff, &[&str], &str, &str)] = &[
        (NURSE, &["intake", "add"], "admit", "nurse"),
        (
            RECEPTIONIST,
            &["note", "add", "019ab5d2-7c00-7000-8000-000000000001"],
            "add_note",
            "receptionist",
        ),
        (
            RECEPTIONIST,
            &["export", "--from", "2025-01-01", "--to", "2025-12-31"],
            "export",
            "receptionist",
        ),
        (NURSE, &["audit", "list"], "read_audit", "nurse"),
        (
            RECEPTIONIST,
            &["enroll", "--branch", "http://127.0.0.1:9", "--code", "X"],
            "enroll",
            "receptionist",
        ),
    ];
    for (staff, args, _, _) in refusals {
        let output = desk.run_as(*staff, args, &samples::intake().to_string());
        assert_eq!(
            output.status.code(),
            Some(8),
            "{args:?} as {}: {}",
            staff.username,
            text(&output.stderr)
        );
    }
    let audit = desk.audit();
    for (staff, args, action, role) in refusals {
        assert!(
            audit.iter().any(|entry| entry["action"] == "refused"
                && entry["actor"] == staff.username
                && entry["subject"] == *action
                && entry["detail"]
                    .as_str()
                    .is_some_and(|detail| detail.contains(role))),
            "{args:?} as {} is in the audit log as refused: {audit:#?}",
            staff.username
        );
    }
    let verify = desk.ok_as(ADMIN, &["audit", "verify"], "");
    assert!(text(&verify.stdout).contains("intact"));
}

#[cfg(unix)]
#[test]
fn the_database_and_exports_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let desk = Desk::in_new_folder();
    desk.admit(&samples::intake());
    let out = desk.path().join("exports");
    desk.ok_as(
        ADMIN,
        &[
            "export",
            "--from",
            "2025-06-01",
            "--to",
            "2025-06-30",
            "--output",
            out.to_str().unwrap(),
        ],
        "",
    );
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(desk.path())
        .unwrap()
        .chain(std::fs::read_dir(&out).unwrap())
    {
        let path = entry.unwrap().path();
        if path.is_file() && path.file_name().unwrap() != "preferences.json" {
            assert_eq!(mode(&path), 0o600, "{} is owner-only", path.display());
            checked.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    for expected in ["desk.sqlite3", "keyring.json"] {
        assert!(checked.iter().any(|name| name == expected), "{checked:?}");
    }
    assert_eq!(
        checked.iter().filter(|name| name.ends_with(".csv")).count(),
        2
    );
    assert_eq!(
        mode(desk.path()) & 0o077,
        0,
        "the data folder is owner-only"
    );

    // A database an earlier version left readable by everyone is made owner-only when opened.
    let database = desk.path().join("desk.sqlite3");
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).unwrap();
    desk.ok_as(RECEPTIONIST, &["intake", "list"], "");
    assert_eq!(mode(&database), 0o600);
}
