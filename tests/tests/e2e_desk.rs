//! End-to-end test of the real PLKK Desk window over WebDriver, on a desk set up with a
//! receptionist and a nurse (`plkk_tests::accounts`): the receptionist admits a case (a rejected
//! attempt first) and corrects the intake with its history; the nurse, signed in from the lock
//! screen, writes treatment notes and corrects one; then the app restarts (sign-in again) to check
//! that cases, search and the language survive. A damaged database on a desk without keys is
//! explained on the setup screen instead of offering setup.
//! Needs a display and the built app: run under
//! `xvfb-run -a -s '-screen 0 1280x800x24' cargo test -p plkk-tests --test e2e_desk`.

use std::time::{Duration, Instant};

use chrono::{Duration as TimeSpan, Local};
use plkk_tests::accounts::{set_up_desk, NURSE, RECEPTIONIST};
use plkk_tests::desk_window::{element_arg, testid_css, DeskWindow, UI_TIMEOUT};
use serde_json::json;

const INTAKE_FORM: &str = r#"form[data-testid="intake-form"]"#;
const NOTE_FORM: &str = r#"form[data-testid="note-form"]"#;
const CORRECTION_FORM: &str = r#"form[data-testid="correction-form"]"#;
const CASE_ROW: &str = r#"[data-testid="case-row"]"#;
const NOTE: &str = r#"[data-testid="note"]"#;

/// A NIK whose day of birth is 35: neither a man's (01-31) nor a woman's (41-71).
const NIK_DAY_35: &str = "3216053508900003";
const NIK: &str = "3216055708900003";
const OLD_EMPLOYER: &str = "PT Maju Jaya";
const NEW_EMPLOYER: &str = "CV Sinar Abadi";
const CORRECTION_REASON: &str = "Salah ketik nama pemberi kerja saat penerimaan";
const FIRST_NOTE_TEXT: &str = "Nyeri dan bengkak lengan kiri bawah, tampak deformitas";
/// The case list's navigation label in English (ui/src/lib/i18n.ts).
const ENGLISH_NAV_CASES: &str = "Cases";
const CORRECTED_NOTE_TEXT: &str =
    "Nyeri dan bengkak lengan kiri bawah, tampak deformitas; kulit utuh";
const SECOND_NOTE_TEXT: &str = "Rontgen lengan kiri: fraktur radius distal. Dipasang bidai.";

/// The sample intake, with `nik` as given; times relative to now on the desk's clock.
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
        ("employer_name", OLD_EMPLOYER),
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

#[tokio::test]
async fn a_case_is_admitted_treated_corrected_and_survives_a_restart() {
    let started = Instant::now();
    let data = tempfile::tempdir().expect("a temporary data directory");
    set_up_desk(data.path());

    let window = DeskWindow::launch_as(data.path(), RECEPTIONIST).await;
    step(started, "launched, receptionist signed in");
    let case_id = admit_case(&window).await;
    step(started, "admitted");
    open_case(&window, &case_id).await;
    assert!(
        window.find_all(NOTE_FORM).await.is_empty(),
        "a receptionist may not write treatment notes: no note form"
    );
    correct_employer(&window).await;
    step(started, "intake corrected");

    // The nurse takes over at the same desk: lock, "Ganti pengguna", her own password.
    window.lock_and_switch_to(NURSE).await;
    step(started, "nurse signed in");
    open_case(&window, &case_id).await;
    assert!(
        window
            .find_all(&testid_css("correct-intake"))
            .await
            .is_empty(),
        "a nurse may not correct the intake: no correction button"
    );
    add_and_correct_notes(&window).await;
    step(started, "notes");
    window.close().await;

    let window = DeskWindow::launch_as(data.path(), RECEPTIONIST).await;
    step(started, "relaunched");
    search_after_restart(&window, &case_id).await;
    step(started, "searched");
    let indonesian_nav = window.text("nav-cases").await;
    switch_language(&window, "en").await;
    let english_nav = window
        .wait_for_text(&testid_css("nav-cases"), ENGLISH_NAV_CASES, UI_TIMEOUT)
        .await;
    window.close().await;

    let window = DeskWindow::launch(data.path()).await;
    step(started, "relaunched in English");
    // The sign-in screen already speaks the chosen language.
    window.wait_for(r#"html[lang="en"]"#, UI_TIMEOUT).await;
    window.sign_in_as(NURSE).await;
    assert_eq!(
        window.text("nav-cases").await,
        english_nav,
        "the chosen language must survive a restart"
    );
    switch_language(&window, "id").await;
    window
        .wait_for_text(&testid_css("nav-cases"), &indonesian_nav, UI_TIMEOUT)
        .await;
    window.close().await;
    step(started, "done");
}

fn step(started: Instant, what: &str) {
    eprintln!(
        "e2e_desk: {what} after {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Open the new-intake screen and type the sample intake with `nik`.
async fn type_intake(window: &DeskWindow, nik: &str) {
    window.click("nav-new-intake").await;
    window.wait_for(INTAKE_FORM, UI_TIMEOUT).await;
    for (name, value) in intake_fields(nik) {
        window.fill_in(INTAKE_FORM, name, &value).await;
    }
}

/// Try the intake with an impossible NIK, then with the right one; returns the new case's id.
async fn admit_case(window: &DeskWindow) -> String {
    type_intake(window, NIK_DAY_35).await;
    window.click("save-intake").await;
    let error = window.wait_for(&testid_css("error-nik"), UI_TIMEOUT).await;
    assert!(
        error.is_displayed().await.unwrap_or(false),
        "an impossible day of birth in the NIK must be shown as an error"
    );
    let beside = window
        .script(
            "const [error, form] = arguments; const input = form.querySelector('[name=\"nik\"]');
             let shared = error.parentElement; while (shared && !shared.contains(input)) shared = shared.parentElement;
             return shared !== null && form.contains(shared) && shared.querySelectorAll('[name]').length === 1;",
            vec![element_arg(&error), element_arg(&window.wait_for(INTAKE_FORM, UI_TIMEOUT).await)],
        )
        .await;
    assert_eq!(
        beside,
        json!(true),
        "the NIK error must sit beside the NIK field, not elsewhere in the form"
    );

    for (name, typed) in [("full_name", "Siti Rahmawati"), ("contact_name", "Budi")] {
        assert_eq!(
            window.value_in(INTAKE_FORM, name).await,
            typed,
            "a refused save must keep what the receptionist typed ({name})"
        );
    }

    // Fix only the NIK: everything else is still in the form.
    window.fill_in(INTAKE_FORM, "nik", NIK).await;
    window.click("save-intake").await;
    window
        .wait_for_text(&testid_css("form-status"), "Tersimpan", UI_TIMEOUT)
        .await;
    assert!(
        window
            .find_all(&format!("{INTAKE_FORM} [data-testid^=\"error-\"]"))
            .await
            .is_empty(),
        "a saved intake must show no field errors"
    );

    window.click("nav-cases").await;
    let rows = window.wait_for_count(CASE_ROW, 1, UI_TIMEOUT).await;
    assert_eq!(
        window.find_all(CASE_ROW).await.len(),
        1,
        "only the corrected intake is saved: the refused attempt wrote nothing"
    );
    let sync_state = rows[0]
        .find(fantoccini::Locator::Css(&testid_css("sync-state")))
        .await
        .expect("a case row shows its sync state")
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(
        sync_state, "belum terkirim",
        "a case not yet sent to the branch must say so"
    );
    rows[0]
        .attr("data-id")
        .await
        .ok()
        .flatten()
        .expect("a case row carries its case id in data-id")
}

async fn open_case(window: &DeskWindow, case_id: &str) {
    let row_css = format!("{CASE_ROW}[data-id=\"{case_id}\"]");
    // WebKitWebDriver refuses to click a table row itself ("element not interactable"), so
    // click its first cell, as a person would.
    let cell_css = format!("{row_css} td");
    let cell = window.wait_for(&cell_css, UI_TIMEOUT).await;
    window.click_element(&cell, &cell_css).await;
    window
        .wait_for(
            &format!("[data-testid=\"case-detail\"][data-id=\"{case_id}\"]"),
            UI_TIMEOUT,
        )
        .await;
    assert_eq!(
        window.text("field-full_name").await,
        "Siti Rahmawati",
        "the case shows the admitted patient"
    );
    assert_eq!(
        window.text("field-nik").await,
        NIK,
        "the case shows the NIK as admitted"
    );
}

/// Ids of the notes on screen now.
async fn note_ids(window: &DeskWindow) -> Vec<String> {
    let mut ids = Vec::new();
    for note in window.find_all(NOTE).await {
        ids.push(
            note.attr("data-id")
                .await
                .ok()
                .flatten()
                .expect("a note carries its id in data-id"),
        );
    }
    ids
}

/// Wait for one more note than `before`; returns its id.
async fn new_note_id(window: &DeskWindow, before: &[String]) -> String {
    window
        .wait_for_count(NOTE, before.len() + 1, UI_TIMEOUT)
        .await;
    let ids = note_ids(window).await;
    ids.into_iter()
        .find(|id| !before.contains(id))
        .expect("the new note has an id not seen before")
}

async fn add_and_correct_notes(window: &DeskWindow) {
    window.wait_for(NOTE_FORM, UI_TIMEOUT).await;
    let first_fields = [
        ("text", FIRST_NOTE_TEXT),
        ("systolic", "130"),
        ("diastolic", "85"),
        ("pulse", "92"),
        ("temperature_c", "36.9"),
        ("spo2", "98"),
        ("pain_score", "7"),
        ("icd10", "S52.5"),
    ];
    for (name, value) in first_fields {
        window.fill_in(NOTE_FORM, name, value).await;
    }
    window.click("save-note").await;
    let first = new_note_id(window, &[]).await;
    let first_css = format!("{NOTE}[data-id=\"{first}\"]");
    window.wait_for_text(&first_css, "S52.5", UI_TIMEOUT).await;

    window.wait_for(NOTE_FORM, UI_TIMEOUT).await;
    window.fill_in(NOTE_FORM, "text", SECOND_NOTE_TEXT).await;
    window.click("save-note").await;
    let second = new_note_id(window, std::slice::from_ref(&first)).await;

    let correct_button_css = format!("{first_css} [data-testid=\"correct-note\"]");
    let correct_button = window.wait_for(&correct_button_css, UI_TIMEOUT).await;
    window
        .click_element(&correct_button, &correct_button_css)
        .await;
    wait_for_value(window, NOTE_FORM, "text", FIRST_NOTE_TEXT).await;
    assert_eq!(
        window.value_in(NOTE_FORM, "icd10").await,
        "S52.5",
        "the correction form must start from the corrected note's diagnosis"
    );
    window.fill_in(NOTE_FORM, "text", CORRECTED_NOTE_TEXT).await;
    window.click("save-note").await;
    let third = new_note_id(window, &[first.clone(), second.clone()]).await;

    let corrected = window
        .wait_for(&format!("{first_css}.corrected"), UI_TIMEOUT)
        .await;
    assert!(
        corrected.is_displayed().await.unwrap_or(false),
        "a corrected note stays visible"
    );
    let third_css = format!("{NOTE}[data-id=\"{third}\"]");
    let corrects = window
        .wait_for(&third_css, UI_TIMEOUT)
        .await
        .attr("data-corrects")
        .await
        .ok()
        .flatten();
    assert_eq!(
        corrects.as_deref(),
        Some(first.as_str()),
        "the correcting note must point at the note it corrects"
    );
    for untouched in [&second, &third] {
        let class = window
            .wait_for(&format!("{NOTE}[data-id=\"{untouched}\"]"), UI_TIMEOUT)
            .await
            .attr("class")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        assert!(
            !class.split_whitespace().any(|name| name == "corrected"),
            "only the corrected note is marked corrected (note {untouched} has class {class:?})"
        );
    }
    window
        .wait_for_text(&third_css, "kulit utuh", UI_TIMEOUT)
        .await;
}

/// Wait until `[name=NAME]` inside `scope` holds `expected` (a form being prefilled).
async fn wait_for_value(window: &DeskWindow, scope: &str, name: &str, expected: &str) {
    let deadline = Instant::now() + UI_TIMEOUT;
    loop {
        let value = window.value_in(scope, name).await;
        if value == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "`{scope} [name={name}]` should be prefilled with {expected:?}, holds {value:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn correct_employer(window: &DeskWindow) {
    window.click("correct-intake").await;
    window.wait_for(CORRECTION_FORM, UI_TIMEOUT).await;
    window
        .fill_in(CORRECTION_FORM, "employer_name", NEW_EMPLOYER)
        .await;
    window
        .fill_in(CORRECTION_FORM, "reason", CORRECTION_REASON)
        .await;
    window.click("save-correction").await;
    window
        .wait_for_text(&testid_css("field-employer_name"), NEW_EMPLOYER, UI_TIMEOUT)
        .await;

    window.click("show-history").await;
    window.wait_for(&testid_css("revision"), UI_TIMEOUT).await;
    let mut texts = Vec::new();
    for revision in window.find_all(&testid_css("revision")).await {
        texts.push(revision.text().await.unwrap_or_default());
    }
    assert!(
        texts.iter().any(|text| text.contains(OLD_EMPLOYER) && text.contains(NEW_EMPLOYER) && text.contains(CORRECTION_REASON)),
        "the history must keep the old employer beside the new one and the reason; revisions: {texts:?}"
    );
}

async fn search(window: &DeskWindow, query: &str) {
    window.fill("search", query).await;
}

async fn search_after_restart(window: &DeskWindow, case_id: &str) {
    let row_css = format!("{CASE_ROW}[data-id=\"{case_id}\"]");
    window.click("nav-cases").await;
    search(window, "321605").await;
    window.wait_for(&row_css, UI_TIMEOUT).await;
    assert_eq!(
        window.find_all(CASE_ROW).await.len(),
        1,
        "a saved case must survive a restart, once"
    );

    search(window, "999999").await;
    window.wait_for_count(CASE_ROW, 0, UI_TIMEOUT).await;

    search(window, "siti").await;
    let row = window.wait_for(&row_css, UI_TIMEOUT).await;
    let text = row.text().await.unwrap_or_default();
    assert!(
        text.contains("Siti Rahmawati"),
        "a name prefix in another case must find the patient; row: {text:?}"
    );
}

async fn switch_language(window: &DeskWindow, to: &str) {
    window
        .click_css(&format!(
            "{} {}",
            plkk_tests::desk_window::VISIBLE_APP,
            testid_css("lang-switch")
        ))
        .await;
    window
        .wait_for(&format!("html[lang=\"{to}\"]"), UI_TIMEOUT)
        .await;
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_is_explained_in_the_window() {
    let data = tempfile::tempdir().expect("a temporary data directory");
    let database = data.path().join("desk.sqlite3");
    let damaged = "not a database: a file damaged by a power cut ".repeat(200);
    std::fs::write(&database, &damaged).expect("write a damaged database file");
    // No keyring: the desk looks new, but setup must not overwrite the file it cannot read.
    let window = DeskWindow::launch_showing(data.path(), "#store-error-title").await;
    let screen = window
        .client()
        .find(fantoccini::Locator::Css("[role=\"alert\"]"))
        .await
        .expect("the problem screen is an alert")
        .text()
        .await
        .unwrap_or_default();
    assert!(
        screen.contains("desk.sqlite3"),
        "the window must name the database file it could not open, got: {screen}"
    );
    assert!(
        screen.contains("keyring.json"),
        "the window must say what to do (restore the keys or move the file), got: {screen}"
    );
    for offered in [
        testid_css("setup-form"),
        testid_css("sign-in-form"),
        INTAKE_FORM.to_string(),
    ] {
        assert!(
            window.find_all(&offered).await.is_empty(),
            "no form ({offered}) may be offered when the desk's data cannot be read"
        );
    }
    window.close().await;
    assert_eq!(
        std::fs::read_to_string(&database).expect("the damaged file is still there"),
        damaged,
        "the damaged database must be left exactly as it was"
    );
    assert!(
        !data.path().join("keyring.json").exists(),
        "no keys may be made for a desk whose data cannot be read"
    );
}
