//! Daftar BPU from `plkk`, run as a real process on a set-up data directory: register / list /
//! show round trip (audited), every invalid field refused with exit 2 naming it and nothing
//! written, the duplicate-NIK warning on stderr with exit 0, the role matrix of the new commands,
//! `plkk bpu quote` without sign-in, and a tariff side-loaded with `plkk reference import`.

use std::process::Output;

use plkk_tests::accounts::{self, Staff, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::{bins, samples};
use serde_json::{json, Value};

struct Desk {
    dir: tempfile::TempDir,
}

impl Desk {
    fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        accounts::set_up_desk(dir.path());
        Desk { dir }
    }

    fn run_as(&self, staff: Staff, args: &[&str], stdin: &str) -> Output {
        bins::run_plkk_as(self.dir.path(), staff, args, stdin)
    }

    fn ok_as(&self, staff: Staff, args: &[&str], stdin: &str) -> String {
        let output = self.run_as(staff, args, stdin);
        assert!(
            output.status.success(),
            "plkk {args:?} as {} failed: {}",
            staff.username,
            stderr(&output)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn register(&self, registration: &Value) -> String {
        let stdout = self.ok_as(
            RECEPTIONIST,
            &["bpu", "register"],
            &registration.to_string(),
        );
        stdout.lines().last().unwrap().trim().to_owned()
    }

    fn list(&self) -> Vec<Value> {
        let stdout = self.ok_as(NURSE, &["bpu", "list", "--json"], "");
        serde_json::from_str::<Value>(&stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// `plkk bpu quote` with no account at all.
    fn quote(&self, args: &[&str]) -> Output {
        let mut all = vec!["bpu", "quote"];
        all.extend_from_slice(args);
        bins::run_plkk_with(self.dir.path(), &[], &all, "")
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn register_list_show_round_trip_with_status_contribution_and_audit() {
    let desk = Desk::new();
    let id = desk.register(&samples::bpu_registration());
    let shown: Value =
        serde_json::from_str(&desk.ok_as(NURSE, &["bpu", "show", &id, "--json"], "")).unwrap();
    assert_eq!(shown["id"], id.as_str());
    assert_eq!(shown["nik"], "3216056508950004");
    assert_eq!(shown["occupation"], "street_vendor");
    assert_eq!(
        shown["status"], "submitted",
        "no decision before the branch's"
    );
    assert_eq!(shown["kpj"], Value::Null);
    assert_eq!(shown["sync_state"], "pending", "not sent yet");
    let contribution = &shown["contribution"];
    assert_eq!(contribution["tariff_version"], "2026.1");
    assert_eq!(
        contribution["regular_monthly_total"], 16800,
        "the lowest band: JKK Rp10.000 + JKM Rp6.800"
    );
    let today = chrono::Local::now().date_naive().to_string();
    let quoted: Value = serde_json::from_slice(
        &desk
            .quote(&[
                "--income",
                "900000",
                "--occupation",
                "street_vendor",
                "--starts-on",
                &today,
            ])
            .stdout,
    )
    .unwrap();
    assert_eq!(
        contribution, &quoted,
        "the saved contribution is the quote for the same person and day"
    );

    let list = desk.list();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id.as_str());
    let found = desk.ok_as(RECEPTIONIST, &["bpu", "list", "--search", "wati"], "");
    assert!(found.contains(&id), "found by a name word: {found}");
    let missed = desk.ok_as(RECEPTIONIST, &["bpu", "list", "--search", "9999"], "");
    assert!(!missed.contains(&id));

    let audit: Value =
        serde_json::from_str(&desk.ok_as(ADMIN, &["audit", "list", "--json"], "")).unwrap();
    let acts: Vec<(String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["subject"] == id.as_str())
        .map(|entry| {
            (
                entry["action"].as_str().unwrap().to_owned(),
                entry["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        acts.contains(&("register_bpu".into(), "rina".into())),
        "{acts:?}"
    );
    assert!(
        acts.contains(&("open_registration".into(), "ani".into())),
        "{acts:?}"
    );
}

#[test]
fn every_invalid_field_exits_2_naming_it_and_writes_nothing() {
    let desk = Desk::new();
    let cases = [
        (json!({"nik": null}), "nik"),
        (json!({"nik": "12345"}), "nik"),
        (json!({"full_name": "W"}), "full_name"),
        (json!({"sex": "x"}), "sex"),
        (json!({"birth_date": "1995-13-01"}), "birth_date"),
        (json!({"phone": null}), "phone"),
        (json!({"address": null}), "address"),
        (json!({"occupation": "pilot"}), "occupation"),
        (json!({"occupation": "other"}), "occupation_detail"),
        (json!({"declared_income": 0}), "declared_income"),
        (json!({"programmes": ["jkk"]}), "programmes"),
        (json!({"period_months": 2}), "period_months"),
        (json!({"starts_on": "2000-01-01"}), "starts_on"),
        (json!({"heir_name": null}), "heir_name"),
        (json!({"heir_relation": "friend"}), "heir_relation"),
        (json!({"heir_phone": "1"}), "heir_phone"),
        (
            json!({"on_behalf_of": {"phone": "081311112222"}}),
            "on_behalf_of.name",
        ),
        (json!({"consent": false}), "consent"),
        (
            json!({"contribution": {"monthly_total": 1}}),
            "contribution",
        ),
    ];
    for (change, field) in cases {
        let input = samples::bpu_registration_with(change.clone());
        let output = desk.run_as(RECEPTIONIST, &["bpu", "register"], &input.to_string());
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{change}: {message}");
        assert!(
            message.contains(&format!("error: {field}:")),
            "{change} names {field}: {message}"
        );
        assert!(output.stdout.is_empty(), "no id printed for {change}");
    }
    assert!(desk.list().is_empty(), "nothing was written");
    let unknown = desk.run_as(
        NURSE,
        &[
            "bpu",
            "show",
            "019ab5d2-7c00-7000-8000-0000000000ff",
            "--json",
        ],
        "",
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("error: id:"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn a_nik_seen_before_warns_naming_the_earlier_record_and_saves() {
    let desk = Desk::new();
    let first = desk.register(&samples::bpu_registration());
    let again = desk.run_as(
        RECEPTIONIST,
        &["bpu", "register"],
        &samples::bpu_registration().to_string(),
    );
    let message = stderr(&again);
    assert_eq!(
        again.status.code(),
        Some(0),
        "a warning, not a refusal: {message}"
    );
    assert!(message.contains("warning: nik:"), "{message}");
    assert!(
        message.contains(&first),
        "names the earlier registration: {message}"
    );
    assert_eq!(desk.list().len(), 2);

    // A KPJ on one of the desk's cases makes the NIK a known participant.
    let intake = samples::intake_with(json!({"nik": "3216056508950004", "sex": "female",
        "birth_date": "1995-08-25", "full_name": "Wati Pedagang"}));
    desk.ok_as(RECEPTIONIST, &["intake", "add"], &intake.to_string());
    let third = desk.run_as(
        RECEPTIONIST,
        &["bpu", "register"],
        &samples::bpu_registration().to_string(),
    );
    let message = stderr(&third);
    assert_eq!(third.status.code(), Some(0), "{message}");
    assert!(message.contains("[nik_known_participant]"), "{message}");
    assert!(message.contains("12345678901"), "names the KPJ: {message}");
}

#[test]
fn roles_receptionist_and_admin_register_nurse_views() {
    let desk = Desk::new();
    let registration = samples::bpu_registration().to_string();
    let nurse = desk.run_as(NURSE, &["bpu", "register"], &registration);
    assert_eq!(nurse.status.code(), Some(8), "{}", stderr(&nurse));
    assert!(desk.list().is_empty(), "the nurse's attempt wrote nothing");
    desk.ok_as(RECEPTIONIST, &["bpu", "register"], &registration);
    desk.ok_as(ADMIN, &["bpu", "register"], &registration);
    let id = desk.list()[0]["id"].as_str().unwrap().to_owned();
    for staff in [NURSE, RECEPTIONIST, ADMIN] {
        desk.ok_as(staff, &["bpu", "list"], "");
        desk.ok_as(staff, &["bpu", "show", &id, "--json"], "");
    }
    let audit = desk.ok_as(ADMIN, &["audit", "list", "--json"], "");
    assert!(
        audit.contains("register_bpu") && audit.contains("\"refused\""),
        "the nurse's refusal is in the audit log"
    );
}

#[test]
fn quote_needs_no_sign_in_and_names_a_bad_argument() {
    let desk = Desk::new();
    let quote = |args: &[&str]| -> Value {
        let output = desk.quote(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        serde_json::from_slice(&output.stdout).unwrap()
    };
    // After every discount of the shipped tariff has ended.
    let later = ["--starts-on", "2027-06-01"];
    let lowest = quote(&["--income", "500000", later[0], later[1]]);
    assert_eq!(
        (
            lowest["jkk"].clone(),
            lowest["jkm"].clone(),
            lowest["jht"].clone()
        ),
        (json!(10000), json!(6800), json!(0))
    );
    assert_eq!(lowest["monthly_total"], 16800);
    assert_eq!(lowest["period_total"], 16800, "--months defaults to 1");
    let with_jht = quote(&[
        "--income", "2300000", "--jht", "--months", "3", later[0], later[1],
    ]);
    assert_eq!(with_jht["monthly_total"], 25000 + 6800 + 50000);
    assert_eq!(with_jht["period_total"], 3 * (25000 + 6800 + 50000));
    let ojek = quote(&[
        "--income",
        "500000",
        "--occupation",
        "motorcycle_taxi",
        "--starts-on",
        "2026-06-01",
    ]);
    assert_eq!(ojek["monthly_total"], 8400, "PP 50/2025 halves JKK and JKM");
    for (args, field) in [
        (vec!["--income", "0"], "income"),
        (vec!["--income", "satu juta"], "income"),
        (vec!["--income", "500000", "--months", "2"], "months"),
        (
            vec!["--income", "500000", "--occupation", "pilot"],
            "occupation",
        ),
    ] {
        let output = desk.quote(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(&format!("{field}:")),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn an_imported_tariff_is_used_and_recorded_on_the_registration() {
    let desk = Desk::new();
    let newer = plkk_domain::Tariff::bundled_text()
        .replace("version = \"2026.1\"", "version = \"2026.2\"")
        .replace("valid_from = \"2026-01-01\"", "valid_from = \"2026-02-01\"")
        .replace("jkm_monthly = 6800", "jkm_monthly = 7000");
    let file = desk.dir.path().join("bpu-tariff-2026.2.toml");
    std::fs::write(&file, &newer).unwrap();
    let path = file.to_str().unwrap();
    let refused = desk.run_as(RECEPTIONIST, &["reference", "import", path], "");
    assert_eq!(
        refused.status.code(),
        Some(8),
        "administrators import reference data"
    );
    let bad = desk.dir.path().join("bad.toml");
    std::fs::write(&bad, "version = 1").unwrap();
    let invalid = desk.run_as(ADMIN, &["reference", "import", bad.to_str().unwrap()], "");
    assert_eq!(invalid.status.code(), Some(2), "{}", stderr(&invalid));
    assert!(
        stderr(&invalid).contains("error: file:"),
        "{}",
        stderr(&invalid)
    );

    let imported = desk.ok_as(ADMIN, &["reference", "import", path], "");
    assert_eq!(imported.trim(), "2026.2");
    let quoted: Value = serde_json::from_slice(
        &desk
            .quote(&["--income", "500000", "--starts-on", "2027-06-01"])
            .stdout,
    )
    .unwrap();
    assert_eq!(quoted["tariff_version"], "2026.2");
    assert_eq!(quoted["monthly_total"], 17000);
    let old: Value = serde_json::from_slice(
        &desk
            .quote(&["--income", "500000", "--starts-on", "2026-01-15"])
            .stdout,
    )
    .unwrap();
    assert_eq!(
        old["tariff_version"], "2026.1",
        "the tariff in force on that day"
    );

    let id = desk.register(&samples::bpu_registration());
    let shown: Value =
        serde_json::from_str(&desk.ok_as(NURSE, &["bpu", "show", &id, "--json"], "")).unwrap();
    assert_eq!(shown["contribution"]["tariff_version"], "2026.2");
    let audit = desk.ok_as(ADMIN, &["audit", "list", "--json"], "");
    assert!(audit.contains("reference_imported"));
}
