//! Accounts and roles through `plkk` as a real process on a set-up desk: every command for every
//! role (allowed, or refused with exit 8 naming the role and what it may not do, writing
//! nothing), wrong passwords, the lockout's growing delay, and removed accounts.

use std::process::Output;

use plkk_tests::accounts::{set_up_desk, Staff, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::bins::{run_plkk_as, run_plkk_with};
use plkk_tests::samples;

struct Desk {
    dir: tempfile::TempDir,
    case_id: String,
}

impl Desk {
    /// A set-up desk with one admitted case that has one note.
    fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        set_up_desk(dir.path());
        let mut desk = Desk {
            dir,
            case_id: String::new(),
        };
        let out = desk.ok(
            RECEPTIONIST,
            &["intake", "add"],
            &samples::intake().to_string(),
        );
        desk.case_id = out.trim().lines().last().unwrap().to_owned();
        desk.ok(
            NURSE,
            &["note", "add", &desk.case_id.clone()],
            &samples::note().to_string(),
        );
        desk
    }

    fn run(&self, staff: Staff, args: &[&str], stdin: &str) -> Output {
        run_plkk_as(self.dir.path(), staff, args, stdin)
    }

    fn ok(&self, staff: Staff, args: &[&str], stdin: &str) -> String {
        let output = self.run(staff, args, stdin);
        assert!(
            output.status.success(),
            "{} plkk {args:?}: {}",
            staff.username,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn counts(&self) -> (u64, u64, u64) {
        let store = ADMIN.sign_in(self.dir.path()).store;
        let count = |table: &str| -> u64 {
            store
                .connection()
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                    row.get(0)
                })
                .unwrap()
        };
        (
            count("intakes"),
            count("intake_corrections"),
            count("notes"),
        )
    }
}

/// One command of the matrix: its arguments and input for a given role.
struct Row {
    name: &'static str,
    args: Vec<String>,
    stdin: String,
    allowed: [bool; 3],
    /// The exit code when allowed, if not 0 (a command that is let through but fails further on).
    allowed_exit: i32,
}

#[test]
fn every_command_for_every_role_is_allowed_or_refused_with_a_clear_message() {
    let desk = Desk::new();
    let id = desk.case_id.clone();
    let correction = serde_json::json!({ "employer_name": "PT Maju {who}" }).to_string();
    let staff = [RECEPTIONIST, NURSE, ADMIN];
    // receptionist, nurse, admin
    let rows = vec![
        Row {
            name: "intake add",
            args: vec!["intake".into(), "add".into()],
            stdin: samples::intake().to_string(),
            allowed: [true, false, true],
            allowed_exit: 0,
        },
        Row {
            name: "intake list",
            args: vec!["intake".into(), "list".into()],
            stdin: String::new(),
            allowed: [true, true, true],
            allowed_exit: 0,
        },
        Row {
            name: "intake show",
            args: vec!["intake".into(), "show".into(), id.clone()],
            stdin: String::new(),
            allowed: [true, true, true],
            allowed_exit: 0,
        },
        Row {
            name: "intake correct",
            args: vec![
                "intake".into(),
                "correct".into(),
                id.clone(),
                "--reason".into(),
                "salah ketik".into(),
            ],
            stdin: correction.clone(),
            allowed: [true, false, true],
            allowed_exit: 0,
        },
        Row {
            name: "note add",
            args: vec!["note".into(), "add".into(), id.clone()],
            stdin: samples::note().to_string(),
            allowed: [false, true, true],
            allowed_exit: 0,
        },
        Row {
            name: "account list",
            args: vec!["account".into(), "list".into()],
            stdin: String::new(),
            allowed: [false, false, true],
            allowed_exit: 0,
        },
        Row {
            name: "account set-pin",
            args: vec![
                "account".into(),
                "set-pin".into(),
                "rina".into(),
                "--clear".into(),
            ],
            stdin: String::new(),
            allowed: [true, false, true],
            allowed_exit: 0,
        },
        Row {
            name: "audit list",
            args: vec!["audit".into(), "list".into()],
            stdin: String::new(),
            allowed: [false, false, true],
            allowed_exit: 0,
        },
        Row {
            name: "audit verify",
            args: vec!["audit".into(), "verify".into()],
            stdin: String::new(),
            allowed: [false, false, true],
            allowed_exit: 0,
        },
        Row {
            name: "export",
            args: vec![
                "export".into(),
                "--from".into(),
                "2020-01-01".into(),
                "--to".into(),
                "2030-12-31".into(),
                "--output".into(),
                desk.dir.path().join("export").display().to_string(),
            ],
            stdin: String::new(),
            allowed: [false, false, true],
            allowed_exit: 0,
        },
        // Let through, an enrolment then fails on the unreachable branch (3); refused first otherwise.
        Row {
            name: "enroll",
            args: vec![
                "enroll".into(),
                "--branch".into(),
                "http://127.0.0.1:9".into(),
                "--code".into(),
                "ABCD-EFGH".into(),
            ],
            stdin: String::new(),
            allowed: [false, false, true],
            allowed_exit: 3,
        },
        // Not enrolled: everyone may try, and learns so (4).
        Row {
            name: "sync",
            args: vec!["sync".into()],
            stdin: String::new(),
            allowed: [true, true, true],
            allowed_exit: 4,
        },
        // Everyone may look; this desk holds records and was never backed up, which status names
        // as a problem (exit 10).
        Row {
            name: "status",
            args: vec!["status".into()],
            stdin: String::new(),
            allowed: [true, true, true],
            allowed_exit: 10,
        },
        Row {
            name: "backup",
            args: vec![
                "backup".into(),
                "--output".into(),
                desk.dir.path().join("backup.tar").display().to_string(),
            ],
            stdin: String::new(),
            allowed: [false, false, true],
            allowed_exit: 0,
        },
        Row {
            name: "patient-report",
            args: vec![
                "patient-report".into(),
                "--nik".into(),
                samples::intake()["nik"].as_str().unwrap().to_owned(),
                "--output".into(),
                desk.dir.path().join("report.pdf").display().to_string(),
            ],
            stdin: String::new(),
            allowed: [false, false, true],
            allowed_exit: 0,
        },
    ];
    for row in &rows {
        for (index, person) in staff.iter().enumerate() {
            // set-pin on one's own account is allowed to everyone: the receptionist's row is rina.
            let before = desk.counts();
            let args: Vec<&str> = row.args.iter().map(String::as_str).collect();
            // "{who}" in the input makes each role's correction a real change.
            let stdin = row.stdin.replace("{who}", person.username);
            let output = desk.run(*person, &args, &stdin);
            let stderr = String::from_utf8_lossy(&output.stderr);
            if row.allowed[index] {
                assert_eq!(
                    output.status.code(),
                    Some(row.allowed_exit),
                    "{} may {}: {stderr}",
                    person.username,
                    row.name
                );
            } else {
                assert_eq!(
                    output.status.code(),
                    Some(8),
                    "{} may not {}: {stderr}",
                    person.username,
                    row.name
                );
                let role = match person.role {
                    plkk_domain::Role::Receptionist => "a receptionist",
                    plkk_domain::Role::Nurse => "a nurse",
                    plkk_domain::Role::Admin => "an administrator",
                };
                assert!(
                    stderr.contains(&format!("{role} may not")),
                    "the refusal names the role: {stderr}"
                );
                assert_eq!(
                    desk.counts(),
                    before,
                    "a refused {} wrote nothing",
                    row.name
                );
            }
        }
    }
}

#[test]
fn only_an_administrator_manages_accounts_and_a_removed_account_cannot_sign_in() {
    let desk = Desk::new();
    let add = |staff: Staff, username: &str| {
        run_plkk_with(
            desk.dir.path(),
            &[
                ("PLKK_USER", staff.username),
                ("PLKK_PASSWORD", staff.password),
                ("PLKK_NEW_PASSWORD", "budi-pass-1"),
            ],
            &[
                "account",
                "add",
                "--username",
                username,
                "--name",
                "Budi",
                "--role",
                "nurse",
            ],
            "",
        )
    };
    assert_eq!(add(RECEPTIONIST, "budi").status.code(), Some(8));
    assert_eq!(add(NURSE, "budi").status.code(), Some(8));
    assert_eq!(add(ADMIN, "budi").status.code(), Some(0));
    let budi = Staff {
        username: "budi",
        display_name: "Budi",
        password: "budi-pass-1",
        role: plkk_domain::Role::Nurse,
    };
    desk.ok(budi, &["intake", "list"], "");

    // A username in use, a short password: named with the rule, nothing created.
    let taken = add(ADMIN, "budi");
    assert_eq!(taken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&taken.stderr).contains("username: budi is already used"));

    assert_eq!(
        desk.run(NURSE, &["account", "remove", "budi"], "")
            .status
            .code(),
        Some(8)
    );
    desk.ok(ADMIN, &["account", "remove", "budi"], "");
    let refused = desk.run(budi, &["intake", "list"], "");
    assert_eq!(refused.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("wrong username or password"));
    // The others still open the desk.
    desk.ok(NURSE, &["intake", "list"], "");
    // An administrator cannot remove their own account (the clinic would lose administration).
    let own = desk.run(ADMIN, &["account", "remove", "admin"], "");
    assert_eq!(own.status.code(), Some(2));
    let listed = desk.ok(ADMIN, &["account", "list", "--json"], "");
    let accounts: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let budi = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["username"] == "budi")
        .expect("a removed account stays listed");
    assert_eq!(budi["active"], false);
}

#[test]
fn wrong_passwords_lead_to_a_growing_delay_recorded_in_the_audit_log() {
    let desk = Desk::new();
    let wrong = Staff {
        password: "not-her-password",
        ..NURSE
    };
    for attempt in 1..=5 {
        let output = desk.run(wrong, &["intake", "list"], "");
        assert_eq!(output.status.code(), Some(7), "attempt {attempt}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("wrong username or password"), "{stderr}");
    }
    // Now even the right password waits: the message says how long.
    let output = desk.run(NURSE, &["intake", "list"], "");
    assert_eq!(output.status.code(), Some(7));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("too many failed attempts: try again in"),
        "{stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "no cases are shown while locked out"
    );
    // Other accounts are not held up.
    desk.ok(RECEPTIONIST, &["intake", "list"], "");
    // The failures reach the audit log at the next successful sign-in.
    let listed = desk.ok(ADMIN, &["audit", "list", "--json"], "");
    let entries: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    let failed: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|entry| entry["action"] == "sign_in_failed" && entry["actor"] == "ani")
        .collect();
    assert_eq!(
        failed.len(),
        6,
        "five wrong passwords and one attempt while locked out"
    );
    assert!(failed
        .iter()
        .any(|entry| entry["detail"].as_str().unwrap().contains("locked_out")));
}

#[test]
fn without_credentials_plkk_refuses_instead_of_hanging() {
    let desk = Desk::new();
    let output = run_plkk_with(
        desk.dir.path(),
        &[("PLKK_USER", "rina")],
        &["intake", "list"],
        "",
    );
    assert_eq!(output.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&output.stderr).contains("PLKK_PASSWORD"));
    // A desk that was never set up says how to set it up.
    let empty = tempfile::tempdir().unwrap();
    let output = run_plkk_as(empty.path(), RECEPTIONIST, &["intake", "list"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("plkk setup"));
}
