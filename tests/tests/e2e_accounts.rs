//! End-to-end test of staff accounts on the real PLKK Desk window over WebDriver: the desk is set
//! up through the window (the administrator's account, the recovery key shown once), the
//! administrator adds a receptionist and a nurse on the Admin screen, then the two take turns at
//! the same desk through the lock screen. Each sees and may do only what their role allows (the
//! desk refuses a forbidden command even when the UI is bypassed), half-typed work survives a lock
//! and another person's turn, the nurse unlocks with her PIN; afterwards `plkk audit` (as the
//! administrator) finds the chain intact and every step recorded under the right username, and the
//! database file is not readable without the key.
//! Needs a display and the built app: run under
//! `xvfb-run -a -s '-screen 0 1280x800x24' cargo test -p plkk-tests --test e2e_accounts`.

use std::path::Path;
use std::time::Instant;

use chrono::{Duration as TimeSpan, Local};
use plkk_tests::accounts::{Staff, ADMIN, NURSE, NURSE_PIN, RECEPTIONIST};
use plkk_tests::bins::run_plkk_as;
use plkk_tests::desk_window::{
    testid_css, DeskWindow, LOCK_SCREEN, SIGN_IN_SCREEN, UI_TIMEOUT, VISIBLE_APP,
};
use serde_json::{json, Value};

const SETUP_FORM: &str = r#"form[data-testid="setup-form"]"#;
const ACCOUNT_FORM: &str = r#"form[data-testid="account-add-form"]"#;
const INTAKE_FORM: &str = r#"form[data-testid="intake-form"]"#;
const NOTE_FORM: &str = r#"form[data-testid="note-form"]"#;
const CASE_ROW: &str = r#"[data-testid="case-row"]"#;
const NIK: &str = "3216055708900003";
/// The receptionist's second admission, half-typed when the screen locks.
const DRAFT: [(&str, &str); 3] = [
    ("nik", "3216054203850001"),
    ("full_name", "Wulan Sari"),
    ("injury", "Luka robek telapak tangan kanan"),
];
const NOTE_TEXT: &str = "Luka dibersihkan dan dijahit 4 jahitan; tanda vital stabil";

#[tokio::test]
async fn staff_set_up_the_desk_and_take_turns_within_their_roles() {
    let started = Instant::now();
    let data = tempfile::tempdir().expect("a temporary data directory");

    let window = DeskWindow::launch(data.path()).await;
    step(started, "launched on an empty desk");
    set_up_through_the_window(&window).await;
    step(started, "set up");
    add_staff(&window).await;
    step(started, "staff added");
    window.sign_out().await;

    // A wrong password is refused on the sign-in screen, and nothing opens.
    window
        .submit_sign_in(SIGN_IN_SCREEN, RECEPTIONIST.username, "not-her-password")
        .await;
    window
        .wait_for(
            &format!(
                "{SIGN_IN_SCREEN} [data-testid=\"sign-in-error\"][data-code=\"wrong_credentials\"]"
            ),
            UI_TIMEOUT,
        )
        .await;
    assert!(
        window.find_all(VISIBLE_APP).await.is_empty(),
        "a refused sign-in must not show the app"
    );
    window.sign_in_as(RECEPTIONIST).await;
    step(started, "receptionist signed in after a wrong password");

    let case_id = admit_case(&window).await;
    step(started, "admitted");
    type_draft(&window).await;
    window.lock().await;
    let locked_user = window
        .wait_for(
            &format!("{LOCK_SCREEN} [data-testid=\"lock-user\"]"),
            UI_TIMEOUT,
        )
        .await
        .attr("data-username")
        .await
        .ok()
        .flatten();
    assert_eq!(locked_user.as_deref(), Some(RECEPTIONIST.username));
    window.unlock_with_password(RECEPTIONIST.password).await;
    assert_draft(&window, "after unlocking with her password").await;
    step(started, "locked and unlocked; the draft is kept");

    window.lock_and_switch_to(NURSE).await;
    step(started, "nurse signed in from the lock screen");
    nurse_treats(&window, &case_id).await;
    step(started, "nurse wrote a note; correction refused");

    window.lock_and_switch_to(RECEPTIONIST).await;
    step(started, "receptionist back");
    receptionist_returns(&window, &case_id).await;
    step(started, "receptionist's draft back; note refused");

    window.lock_and_switch_to(NURSE).await;
    nurse_unlocks_with_pin(&window).await;
    step(started, "nurse unlocked with her PIN");
    window.close().await;

    check_audit_log(data.path(), &case_id);
    check_database_is_encrypted(&data.path().join("desk.sqlite3"));
    step(started, "audit log and encryption checked");
}

fn step(started: Instant, what: &str) {
    eprintln!(
        "e2e_accounts: {what} after {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The setup screen: a mistyped repeat is refused beside its field; then the administrator's
/// account, the recovery key (7 groups of 4), "written down", and the app opens for the admin.
async fn set_up_through_the_window(window: &DeskWindow) {
    window.wait_for(SETUP_FORM, UI_TIMEOUT).await;
    assert!(
        window
            .find_all(&testid_css("setup-encrypt-notice"))
            .await
            .is_empty(),
        "a new desk has no older records to encrypt"
    );
    window
        .fill_in(SETUP_FORM, "admin_name", ADMIN.display_name)
        .await;
    // Typed with capitals and spaces: the username is kept lowercased and trimmed.
    window.fill_in(SETUP_FORM, "admin_user", " Admin ").await;
    window.fill_in(SETUP_FORM, "password", ADMIN.password).await;
    window
        .fill_in(SETUP_FORM, "password_repeat", "admin-pass-2")
        .await;
    window.click("setup-submit").await;
    window
        .wait_for(
            &format!("{SETUP_FORM} {}", testid_css("error-password_repeat")),
            UI_TIMEOUT,
        )
        .await;
    window
        .fill_in(SETUP_FORM, "password_repeat", ADMIN.password)
        .await;
    window.click("setup-submit").await;

    let key = window
        .wait_for(&testid_css("recovery-key"), UI_TIMEOUT)
        .await
        .text()
        .await
        .unwrap_or_default();
    let groups: Vec<&str> = key.trim().split('-').collect();
    assert!(
        groups.len() == 7
            && groups.iter().all(|group| {
                group.len() == 4
                    && group
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            }),
        "the recovery key must be 7 groups of 4 capitals or digits, got {key:?}"
    );
    let done = window
        .wait_for(&testid_css("recovery-done"), UI_TIMEOUT)
        .await;
    assert!(
        !done.is_enabled().await.unwrap_or(true),
        "continuing needs the key written down first"
    );
    window.click("recovery-written").await;
    window.click("recovery-done").await;
    window.wait_for_user(ADMIN).await;
    window
        .wait_for(
            &format!("{VISIBLE_APP} {}", testid_css("nav-admin")),
            UI_TIMEOUT,
        )
        .await;
}

/// The Admin screen: the receptionist (no PIN) and the nurse (with her PIN).
async fn add_staff(window: &DeskWindow) {
    window.click("nav-admin").await;
    window
        .wait_for(&testid_css("admin-screen"), UI_TIMEOUT)
        .await;
    window
        .wait_for(
            &format!(
                "{}[data-username=\"{}\"]",
                testid_css("account-row"),
                ADMIN.username
            ),
            UI_TIMEOUT,
        )
        .await;
    for (staff, pin) in [(RECEPTIONIST, ""), (NURSE, NURSE_PIN)] {
        window
            .fill_in(ACCOUNT_FORM, "new_username", staff.username)
            .await;
        window
            .fill_in(ACCOUNT_FORM, "new_display_name", staff.display_name)
            .await;
        window
            .fill_in(ACCOUNT_FORM, "new_role", staff.role.as_str())
            .await;
        window
            .fill_in(ACCOUNT_FORM, "new_password", staff.password)
            .await;
        window.fill_in(ACCOUNT_FORM, "new_pin", pin).await;
        window.click("account-add").await;
        window
            .wait_for_text(
                &testid_css("account-add-status"),
                staff.username,
                UI_TIMEOUT,
            )
            .await;
        window
            .wait_for(
                &format!(
                    "{}[data-username=\"{}\"]",
                    testid_css("account-row"),
                    staff.username
                ),
                UI_TIMEOUT,
            )
            .await;
    }
    window
        .wait_for_count(&testid_css("account-row"), 3, UI_TIMEOUT)
        .await;
}

/// The sample intake with `nik`; times relative to now on the desk's clock.
fn intake_fields(nik: &str) -> Vec<(&'static str, String)> {
    let now = Local::now();
    let minute = "%Y-%m-%dT%H:%M";
    let fixed = [
        ("kpj", "12345678901"),
        ("full_name", "Siti Rahmawati"),
        ("sex", "female"),
        ("birth_date", "1990-08-17"),
        ("phone", "081234567890"),
        ("segment", "PU"),
        ("employer_name", "PT Maju Jaya"),
        ("employer_npp", "12345678"),
        ("case_category", "work_accident"),
        ("place_type", "workplace"),
        ("accident_location", "Gudang PT Maju Jaya, Cikarang"),
        (
            "chronology",
            "Terjatuh dari tangga saat memindahkan barang di gudang",
        ),
        ("injury", "Patah tulang lengan kiri"),
        ("contact_name", "Budi"),
        ("contact_phone", "081298765432"),
        ("consent", "patient"),
    ];
    let mut fields = vec![("nik", nik.to_string())];
    fields.extend(fixed.iter().map(|&(name, value)| (name, value.to_string())));
    fields.push((
        "accident_at",
        (now - TimeSpan::hours(1)).format(minute).to_string(),
    ));
    fields.push(("admitted_at", now.format(minute).to_string()));
    fields
}

/// The receptionist admits the sample intake; returns the case's id (from the case list).
async fn admit_case(window: &DeskWindow) -> String {
    window.click("nav-cases").await;
    window.wait_for_count(CASE_ROW, 0, UI_TIMEOUT).await;
    window.click("nav-new-intake").await;
    window.wait_for(INTAKE_FORM, UI_TIMEOUT).await;
    for (name, value) in intake_fields(NIK) {
        window.fill_in(INTAKE_FORM, name, &value).await;
    }
    window.click("save-intake").await;
    window
        .wait_for_text(&testid_css("form-status"), "Tersimpan", UI_TIMEOUT)
        .await;
    window.click("nav-cases").await;
    let rows = window.wait_for_count(CASE_ROW, 1, UI_TIMEOUT).await;
    rows[0]
        .attr("data-id")
        .await
        .ok()
        .flatten()
        .expect("a case row carries its case id in data-id")
}

/// Half of a second admission, left unsaved.
async fn type_draft(window: &DeskWindow) {
    window.click("nav-new-intake").await;
    window.wait_for(INTAKE_FORM, UI_TIMEOUT).await;
    for (name, value) in DRAFT {
        window.fill_in(INTAKE_FORM, name, value).await;
    }
}

/// The receptionist's half-typed admission is on screen as she left it.
async fn assert_draft(window: &DeskWindow, when: &str) {
    let form = format!("{VISIBLE_APP} {INTAKE_FORM}");
    window.wait_for(&form, UI_TIMEOUT).await;
    for (name, typed) in DRAFT {
        assert_eq!(
            window.value_in(&form, name).await,
            typed,
            "the half-typed admission must still hold {name} {when}"
        );
    }
}

async fn open_case(window: &DeskWindow, case_id: &str) {
    window.click("nav-cases").await;
    let cell_css = format!("{CASE_ROW}[data-id=\"{case_id}\"] td");
    let cell = window.wait_for(&cell_css, UI_TIMEOUT).await;
    window.click_element(&cell, &cell_css).await;
    window
        .wait_for(
            &format!("[data-testid=\"case-detail\"][data-id=\"{case_id}\"]"),
            UI_TIMEOUT,
        )
        .await;
}

/// The refusal code of a desk command that must be refused.
fn refusal_code(command: &str, answer: Result<Value, Value>) -> String {
    match answer {
        Ok(value) => panic!("{command} must be refused, but the desk answered {value}"),
        Err(error) => error["code"].as_str().unwrap_or_default().to_owned(),
    }
}

/// The nurse: no admission form of anyone's, a note on the case, no correction of the intake (the
/// button is not there, and the desk refuses the command when called directly).
async fn nurse_treats(window: &DeskWindow, case_id: &str) {
    assert!(
        window
            .find_all(&format!("{VISIBLE_APP} {}", testid_css("nav-new-intake")))
            .await
            .is_empty(),
        "a nurse has no new-admission screen in the navigation"
    );
    assert!(
        window.find_all(INTAKE_FORM).await.is_empty(),
        "the receptionist's half-typed admission must not be on the nurse's screen"
    );
    window.script("location.hash = '#/new';", vec![]).await;
    window
        .wait_for(&testid_css("not-allowed"), UI_TIMEOUT)
        .await;
    assert!(
        window.find_all(INTAKE_FORM).await.is_empty(),
        "a nurse opening the admission screen gets no form"
    );

    open_case(window, case_id).await;
    window.wait_for(NOTE_FORM, UI_TIMEOUT).await;
    window.fill_in(NOTE_FORM, "text", NOTE_TEXT).await;
    window.fill_in(NOTE_FORM, "pain_score", "4").await;
    window.click("save-note").await;
    window
        .wait_for_text(&testid_css("note"), NOTE_TEXT, UI_TIMEOUT)
        .await;
    assert!(
        window
            .find_all(&testid_css("correct-intake"))
            .await
            .is_empty(),
        "a nurse has no button to correct the intake"
    );
    let answer = window
        .invoke(
            "intake_correct",
            json!({
                "id": case_id,
                "reason": "Nama pemberi kerja salah",
                "changes": { "employer_name": "CV Sinar Abadi" },
            }),
        )
        .await;
    assert_eq!(
        refusal_code("intake_correct", answer),
        "forbidden",
        "the desk itself must refuse a nurse's intake correction"
    );
}

/// The receptionist again: her half-typed admission is back; she may not write notes (no form,
/// and the desk refuses the command when called directly).
async fn receptionist_returns(window: &DeskWindow, case_id: &str) {
    assert_draft(window, "after the nurse's turn").await;
    open_case(window, case_id).await;
    window
        .wait_for_text(&testid_css("note"), NOTE_TEXT, UI_TIMEOUT)
        .await;
    assert!(
        window.find_all(NOTE_FORM).await.is_empty(),
        "a receptionist has no note form"
    );
    let answer = window
        .invoke(
            "note_add",
            json!({ "intakeId": case_id, "fields": { "text": "Catatan dari resepsionis" } }),
        )
        .await;
    assert_eq!(
        refusal_code("note_add", answer),
        "forbidden",
        "the desk itself must refuse a receptionist's treatment note"
    );
    // The refused command wrote nothing: the case still has the nurse's one note.
    window.click("nav-cases").await;
    open_case(window, case_id).await;
    window
        .wait_for_count(&testid_css("note"), 1, UI_TIMEOUT)
        .await;
}

/// The nurse locks; a wrong PIN is refused, her PIN unlocks.
async fn nurse_unlocks_with_pin(window: &DeskWindow) {
    window.lock().await;
    window
        .wait_for(
            &format!("{LOCK_SCREEN} [data-testid=\"unlock-form\"] [name=\"pin\"]"),
            UI_TIMEOUT,
        )
        .await;
    window.submit_unlock("pin", "135790").await;
    window
        .wait_for(
            &format!("{LOCK_SCREEN} [data-testid=\"unlock-error\"][data-code=\"wrong_pin\"]"),
            UI_TIMEOUT,
        )
        .await;
    window.unlock_with_pin(NURSE_PIN).await;
    window.wait_for_user(NURSE).await;
}

/// `plkk audit verify` and `plkk audit list --json` as the administrator.
fn check_audit_log(data_dir: &Path, case_id: &str) {
    let verify = run_plkk_as(data_dir, ADMIN, &["audit", "verify"], "");
    assert!(
        verify.status.success(),
        "plkk audit verify must find the chain intact: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("intact"));

    let list = run_plkk_as(
        data_dir,
        ADMIN,
        &["audit", "list", "--json", "--limit", "1000"],
        "",
    );
    assert!(
        list.status.success(),
        "plkk audit list: {}",
        String::from_utf8_lossy(&list.stderr)
    );
    let entries: Vec<Value> =
        serde_json::from_slice(&list.stdout).expect("plkk audit list --json prints a JSON array");
    let has = |staff: Staff, action: &str, subject: Option<&str>| {
        entries.iter().any(|entry| {
            entry["actor"] == staff.username
                && entry["action"] == action
                && subject.is_none_or(|subject| entry["subject"] == subject)
        })
    };
    let expected = [
        (ADMIN, "setup", Some(ADMIN.username)),
        (ADMIN, "account_added", Some(RECEPTIONIST.username)),
        (ADMIN, "account_added", Some(NURSE.username)),
        (ADMIN, "sign_out", None),
        (RECEPTIONIST, "sign_in_failed", None),
        (RECEPTIONIST, "sign_in", None),
        (RECEPTIONIST, "admit", Some(case_id)),
        (RECEPTIONIST, "lock", None),
        (NURSE, "sign_in", None),
        (NURSE, "open_case", Some(case_id)),
        (NURSE, "add_note", Some(case_id)),
        (NURSE, "lock", None),
        (NURSE, "unlock", None),
        (RECEPTIONIST, "open_case", Some(case_id)),
        // The window's role refusals (the UI bypassed) are recorded, as plkk's exit 8 are.
        (NURSE, "refused", Some("correct_intake")),
        (RECEPTIONIST, "refused", Some("add_note")),
    ];
    for (staff, action, subject) in expected {
        assert!(
            has(staff, action, subject),
            "the audit log must hold {action} by {} (subject {subject:?}); it holds:\n{}",
            staff.username,
            summary(&entries)
        );
    }
    let not_expected = [
        (NURSE, "admit"),
        (NURSE, "correct_intake"),
        (RECEPTIONIST, "add_note"),
    ];
    for (staff, action) in not_expected {
        assert!(
            !has(staff, action, None),
            "{} must have no {action} entry (it was refused); the log:\n{}",
            staff.username,
            summary(&entries)
        );
    }
    let mut seqs: Vec<i64> = entries
        .iter()
        .map(|entry| entry["seq"].as_i64().expect("an entry has a seq"))
        .collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "the audit log's entries are numbered 1, 2, 3 ... without gaps"
    );
}

fn summary(entries: &[Value]) -> String {
    entries
        .iter()
        .map(|entry| {
            format!(
                "{} {} {} {}",
                entry["seq"], entry["actor"], entry["action"], entry["subject"]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The database file is encrypted: no SQLite header, and plain SQLite cannot read its schema.
fn check_database_is_encrypted(database: &Path) {
    let bytes = std::fs::read(database).expect("the desk's database file exists");
    assert!(
        !bytes.starts_with(b"SQLite format 3\0"),
        "an encrypted database must not start with the plain SQLite header"
    );
    let connection = rusqlite::Connection::open(database).expect("opening a file needs no key yet");
    let read: rusqlite::Result<i64> =
        connection.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0));
    assert!(
        read.is_err(),
        "without the key the database must not be readable as plain SQLite, but read {read:?}"
    );
}
