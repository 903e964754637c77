//! End-to-end tests of issue 9 on the real window: dates typed every way a receptionist types
//! them land as the right value and are shown back the Indonesian way; every tab stop of the
//! intake and note forms is fully in view at 1024×600 (never under the save bar); a field's error
//! shows when it is left and goes as soon as it is valid; Enter moves to the next field, Ctrl+Enter
//! saves, and a refused save says how many fields need attention; the case list puts overdue cases
//! first in red and those under 12 hours in amber; a half-typed admission survives a restart.
//! Needs a display and the built app: run under
//! `xvfb-run -a -s '-screen 0 1280x800x24' cargo test -p plkk-tests --test e2e_forms`.

use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as TimeSpan, FixedOffset, Local};
use plkk_tests::accounts::{set_up_desk, ADMIN, RECEPTIONIST};
use plkk_tests::desk_window::{testid_css, DeskWindow, CTRL_ENTER, ENTER, TAB, UI_TIMEOUT};
use plkk_tests::samples;
use serde_json::{json, Value};

const INTAKE_FORM: &str = r#"form[data-testid="intake-form"]"#;
const NOTE_FORM: &str = r#"form[data-testid="note-form"]"#;
const CASE_ROW: &str = r#"[data-testid="case-row"]"#;

fn now() -> DateTime<FixedOffset> {
    Local::now().fixed_offset()
}

/// Admits `intake` on the desk in `data_dir` as the receptionist; returns the case id.
fn admit(data_dir: &std::path::Path, intake: Value) -> String {
    let signed_in = RECEPTIONIST.sign_in(data_dir);
    let mut store = signed_in.store;
    let fields = intake.as_object().cloned().expect("an intake is an object");
    plkk_store::admit_intake(&mut store, &RECEPTIONIST.actor(), &fields, now())
        .expect("the sample intake is valid")
        .id
        .to_string()
}

/// The sample intake of another patient whose accident was `hours_ago`.
fn case_from(hours_ago: i64, nik: &str, name: &str) -> Value {
    let accident = now() - TimeSpan::hours(hours_ago);
    samples::intake_with(json!({
        "nik": nik,
        "full_name": name,
        "accident_at": accident.to_rfc3339(),
        "admitted_at": (accident + TimeSpan::minutes(30)).to_rfc3339(),
    }))
}

async fn open_new_intake(window: &DeskWindow) {
    window.click("nav-new-intake").await;
    window.wait_for(INTAKE_FORM, UI_TIMEOUT).await;
}

/// Types `text` into the intake field `name` with key events (after emptying it), then leaves it
/// with Tab; returns the value the field holds for the form and the text it shows.
async fn type_and_leave(window: &DeskWindow, name: &str, text: &str) -> (String, String) {
    let css = format!("{INTAKE_FORM} [name=\"{name}\"]");
    let field = window.wait_for(&css, UI_TIMEOUT).await;
    window.click_element(&field, &css).await;
    window
        .script(
            "const el = arguments[0]; el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![plkk_tests::desk_window::element_arg(&field)],
        )
        .await;
    window.press(text).await;
    window.press(TAB).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let value = field
        .attr("data-value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let shown = field.prop("value").await.ok().flatten().unwrap_or_default();
    (value, shown)
}

#[tokio::test]
async fn dates_and_times_typed_every_way_land_as_the_right_value() {
    let data = tempfile::tempdir().expect("a temporary data directory");
    set_up_desk(data.path());
    let window = DeskWindow::launch_as(data.path(), RECEPTIONIST).await;
    open_new_intake(&window).await;

    let today = now();
    let yesterday = (today - TimeSpan::days(1)).format("%Y-%m-%d").to_string();
    // A time alone is its latest occurrence not ahead of the clock (5 minutes' slack).
    let quarter_past_eight_day = if today.format("%H%M").to_string().as_str() >= "0810" {
        today.format("%Y-%m-%d").to_string()
    } else {
        yesterday.clone()
    };
    let accident_spellings = [
        ("30112026 0815", "2026-11-30T08:15", "30/11/2026 08.15"),
        ("30/11/2026 08.15", "2026-11-30T08:15", "30/11/2026 08.15"),
        ("30-11-2026 8:15", "2026-11-30T08:15", "30/11/2026 08.15"),
        ("30.11.2026 08 15", "2026-11-30T08:15", "30/11/2026 08.15"),
        ("1/2/26 0705", "2026-02-01T07:05", "01/02/2026 07.05"),
    ];
    for (typed, value, shown) in accident_spellings {
        assert_eq!(
            type_and_leave(&window, "accident_at", typed).await,
            (value.to_owned(), shown.to_owned()),
            "{typed:?} typed into the accident time"
        );
    }
    let (value, _) = type_and_leave(&window, "accident_at", "kemarin 2300").await;
    assert_eq!(
        value,
        format!("{yesterday}T23:00"),
        "\"kemarin 2300\" is yesterday 23.00"
    );
    let (value, _) = type_and_leave(&window, "accident_at", "0815").await;
    assert_eq!(
        value,
        format!("{quarter_past_eight_day}T08:15"),
        "a time alone is its latest occurrence"
    );
    for typed in ["17081990", "17/08/1990", "17-8-1990", "17.08.1990"] {
        assert_eq!(
            type_and_leave(&window, "birth_date", typed).await,
            ("1990-08-17".to_owned(), "17/08/1990".to_owned()),
            "{typed:?} typed into the birth date"
        );
    }
    // Something that is no date stays as typed and the desk names the rule when it is left.
    let (value, shown) = type_and_leave(&window, "accident_at", "31/11/2026 08.15").await;
    assert_eq!(
        (value.as_str(), shown.as_str()),
        ("31/11/2026 08.15", "31/11/2026 08.15")
    );
    window
        .wait_for_text(&testid_css("error-accident_at"), "tidak valid", UI_TIMEOUT)
        .await;
    // The same text box shows the English form in English, whatever the operating system says.
    type_and_leave(&window, "accident_at", "30/11/2026 08.15").await;
    window
        .click_css(&format!(
            "{} {}",
            plkk_tests::desk_window::VISIBLE_APP,
            testid_css("lang-switch")
        ))
        .await;
    window.wait_for(r#"html[lang="en"]"#, UI_TIMEOUT).await;
    let shown = window
        .wait_for(&format!("{INTAKE_FORM} [name=\"accident_at\"]"), UI_TIMEOUT)
        .await
        .prop("value")
        .await
        .ok()
        .flatten();
    assert_eq!(shown.as_deref(), Some("30/11/2026 08:15"));
    window.close().await;
}

/// For every tab stop of `form` from its first field to the save button, whether the field
/// (label, box, messages) is fully inside the scrolled area and above the sticky save bar.
async fn walk_tab_stops(window: &DeskWindow, form: &str) -> Vec<(String, bool)> {
    let first = window
        .script(
            "const form = document.querySelector(arguments[0]);
             const first = form.querySelector('textarea, input:not([type=hidden])');
             first.focus(); return first.name;",
            vec![json!(form)],
        )
        .await;
    assert!(
        first.as_str().is_some_and(|name| !name.is_empty()),
        "{form} has a first field"
    );
    let mut seen = Vec::new();
    for _ in 0..60 {
        // Let the form's own scrolling for the focus settle (it runs on the next frame).
        tokio::time::sleep(Duration::from_millis(120)).await;
        let verdict = window
            .script(
                "const form = document.querySelector(arguments[0]);
                 const el = document.activeElement;
                 if (!form.contains(el) || !el.name) return null;
                 const box = (el.closest('.field') || el).getBoundingClientRect();
                 const area = form.closest('.scroll').getBoundingClientRect();
                 const bar = form.querySelector('.form-actions').getBoundingClientRect();
                 const inside = box.top >= area.top - 0.5 && box.bottom <= Math.min(area.bottom, bar.top) + 0.5
                   && box.left >= area.left - 0.5 && box.right <= area.right + 0.5;
                 return [el.name, inside, [box.top, box.bottom, area.top, area.bottom, bar.top]];",
                vec![json!(form)],
            )
            .await;
        let Some(verdict) = verdict.as_array() else {
            break; // the focus left the form's fields: the save button
        };
        let name = verdict[0].as_str().unwrap_or_default().to_owned();
        if verdict[1] != json!(true) {
            eprintln!(
                "{name} not in view: field top/bottom, area top/bottom, bar top = {}",
                verdict[2]
            );
        }
        seen.push((name, verdict[1] == json!(true)));
        window.press(TAB).await;
    }
    seen
}

#[tokio::test]
async fn every_tab_stop_is_fully_in_view_at_1024x600() {
    let data = tempfile::tempdir().expect("a temporary data directory");
    set_up_desk(data.path());
    let case_id = admit(
        data.path(),
        case_from(3, "3216055708900003", "Siti Rahmawati"),
    );
    // The administrator may both admit and write notes.
    let window = DeskWindow::launch_as(data.path(), ADMIN).await;
    let viewport = window.resize(1024, 600).await;
    assert_eq!(viewport, (1024, 600), "the window's page is 1024×600");
    let header = window
        .script(
            "const h = document.querySelector('.app-shell:not([hidden]) .app-header').getBoundingClientRect();
             const lang = document.querySelector('.app-shell:not([hidden]) [data-testid=lang-switch]').getBoundingClientRect();
             return [h.height, lang.right <= window.innerWidth && lang.bottom <= h.bottom];",
            vec![],
        )
        .await;
    assert!(
        header[0].as_f64().unwrap_or(999.0) < 64.0 && header[1] == json!(true),
        "the header stays one line at 1024 px with the language button visible: {header}"
    );

    open_new_intake(&window).await;
    let intake = walk_tab_stops(&window, INTAKE_FORM).await;
    assert!(
        intake.len() >= 20,
        "the intake form has its fields as tab stops: {intake:?}"
    );
    let hidden: Vec<&String> = intake
        .iter()
        .filter(|(_, inside)| !inside)
        .map(|(name, _)| name)
        .collect();
    assert!(
        hidden.is_empty(),
        "intake fields not fully in view when focused: {hidden:?} (of {intake:?})"
    );

    window
        .script(&format!("location.hash = '#/case/{case_id}';"), vec![])
        .await;
    window.wait_for(NOTE_FORM, UI_TIMEOUT).await;
    // The case view finishes drawing (names, statuses) before the walk starts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let note = walk_tab_stops(&window, NOTE_FORM).await;
    assert!(
        note.len() >= 12,
        "the note form has its fields as tab stops: {note:?}"
    );
    let hidden: Vec<&String> = note
        .iter()
        .filter(|(_, inside)| !inside)
        .map(|(name, _)| name)
        .collect();
    assert!(
        hidden.is_empty(),
        "note fields not fully in view when focused: {hidden:?} (of {note:?})"
    );
    window.close().await;
}

#[tokio::test]
async fn an_error_shows_when_its_field_is_left_and_goes_as_soon_as_it_is_valid() {
    let data = tempfile::tempdir().expect("a temporary data directory");
    set_up_desk(data.path());
    let window = DeskWindow::launch_as(data.path(), RECEPTIONIST).await;
    open_new_intake(&window).await;
    let nik_error = testid_css("error-nik");

    // Typing alone says nothing; leaving the field checks it.
    window.press("321605570890000").await;
    window
        .assert_absent_for(
            &nik_error,
            Duration::from_millis(600),
            "no error while typing",
        )
        .await;
    window.press(TAB).await;
    window
        .wait_for_text(&nik_error, "16 angka", UI_TIMEOUT)
        .await;

    // Back in the field, the 16th digit: the message goes without leaving it.
    let nik = window
        .wait_for(&format!("{INTAKE_FORM} [name=\"nik\"]"), UI_TIMEOUT)
        .await;
    window.click_element(&nik, "the NIK").await;
    window
        .script("const el = document.activeElement; el.setSelectionRange(el.value.length, el.value.length);", vec![])
        .await;
    window.press("3").await;
    window.wait_until_absent(&nik_error, UI_TIMEOUT).await;

    // A refused save shows "Wajib diisi" under sex and birth date; filled from the NIK, they go.
    window.press(CTRL_ENTER).await;
    window
        .wait_for_text(
            &testid_css("form-status"),
            "kolom perlu diperbaiki",
            UI_TIMEOUT,
        )
        .await;
    window
        .wait_for(&testid_css("error-full_name"), UI_TIMEOUT)
        .await;
    assert!(
        window.find_all(&testid_css("error-sex")).await.is_empty()
            && window
                .find_all(&testid_css("error-birth_date"))
                .await
                .is_empty(),
        "sex and birth date come from the NIK: no 'Wajib diisi' under them"
    );
    let name_css = format!("{INTAKE_FORM} [name=\"full_name\"]");
    let name = window.wait_for(&name_css, UI_TIMEOUT).await;
    window.click_element(&name, &name_css).await;
    window.press("Siti Rahmawati").await;
    window
        .wait_until_absent(&testid_css("error-full_name"), UI_TIMEOUT)
        .await;
    window.close().await;
}

#[tokio::test]
async fn enter_moves_to_the_next_field_and_ctrl_enter_saves() {
    let data = tempfile::tempdir().expect("a temporary data directory");
    set_up_desk(data.path());
    let window = DeskWindow::launch_as(data.path(), RECEPTIONIST).await;
    open_new_intake(&window).await;

    assert_eq!(
        window.focused_name().await,
        "nik",
        "the form starts in the NIK"
    );
    window.press("3216055708900003").await;
    window.press(ENTER).await;
    assert_eq!(
        window.focused_name().await,
        "kpj",
        "Enter moves to the next field"
    );
    window.press(TAB).await;
    assert_eq!(
        window.focused_name().await,
        "identity_document",
        "Tab visits every field"
    );
    window.press(ENTER).await;
    window.press(ENTER).await;
    assert_eq!(
        window.focused_name().await,
        "sex",
        "Enter goes on to the next field (the passport number was passed by Enter from the KPJ only)"
    );
    let nik_css = format!("{INTAKE_FORM} [name=\"kpj\"]");
    let kpj = window.wait_for(&nik_css, UI_TIMEOUT).await;
    window.click_element(&kpj, &nik_css).await;
    window.press(ENTER).await;
    assert_eq!(
        window.focused_name().await,
        "full_name",
        "with a NIK, Enter passes the passport number by (it is for people without one)"
    );
    assert!(
        window.find_all(&testid_css("form-status")).await.is_empty(),
        "Enter in a field never saves (nothing was said about the form)"
    );

    // A refused save says how many fields need attention and puts the cursor in the first.
    window.press(CTRL_ENTER).await;
    let status = window
        .wait_for_text(
            &testid_css("form-status"),
            "kolom perlu diperbaiki",
            UI_TIMEOUT,
        )
        .await;
    let count = window
        .wait_for(&testid_css("form-status"), UI_TIMEOUT)
        .await
        .attr("data-count")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(
        status.contains(&count),
        "the message names the count {count}: {status:?}"
    );
    assert_eq!(
        window.focused_name().await,
        "full_name",
        "the first field to fix has the cursor"
    );

    let accident = (now() - TimeSpan::hours(1))
        .format("%d/%m/%Y %H.%M")
        .to_string();
    for (name, value) in [
        ("full_name", "Siti Rahmawati"),
        ("phone", "081234567890"),
        ("employer_name", "PT Maju Jaya"),
        ("segment", "PU"),
        ("accident_at", accident.as_str()),
        ("case_category", "work_accident"),
        ("place_type", "workplace"),
        ("accident_location", "Gudang PT Maju Jaya"),
        (
            "chronology",
            "Terjatuh dari tangga saat memindahkan barang di gudang",
        ),
        ("injury", "Patah tulang lengan kiri"),
        ("contact_name", "Budi"),
        ("contact_phone", "081298765432"),
        ("consent", "patient"),
    ] {
        window.fill_in(INTAKE_FORM, name, value).await;
    }
    // Ctrl+Enter from a field in the middle of the form saves it.
    let injury_css = format!("{INTAKE_FORM} [name=\"injury\"]");
    let injury = window.wait_for(&injury_css, UI_TIMEOUT).await;
    window.click_element(&injury, &injury_css).await;
    window.press(CTRL_ENTER).await;
    window
        .wait_for_text(&testid_css("form-status"), "Tersimpan", UI_TIMEOUT)
        .await;
    window.click("nav-cases").await;
    window.wait_for_count(CASE_ROW, 1, UI_TIMEOUT).await;
    window.close().await;
}

#[tokio::test]
async fn the_case_list_puts_the_least_time_left_first_in_red_and_amber() {
    let data = tempfile::tempdir().expect("a temporary data directory");
    set_up_desk(data.path());
    // Admitted in this order; the report is due 48 h after the accident.
    let calm = admit(
        data.path(),
        case_from(10, "3216055708900011", "Dewi Lestari"),
    );
    let overdue = admit(
        data.path(),
        case_from(50, "3216055708900029", "Agus Setiawan"),
    );
    let soon = admit(
        data.path(),
        case_from(40, "3216055708900037", "Budi Santoso"),
    );
    let window = DeskWindow::launch_as(data.path(), RECEPTIONIST).await;
    let rows = window.wait_for_count(CASE_ROW, 3, UI_TIMEOUT).await;
    let mut order = Vec::new();
    for row in &rows {
        let id = row.attr("data-id").await.ok().flatten().unwrap_or_default();
        let urgency = row
            .attr("data-urgency")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        order.push((id, urgency));
    }
    assert_eq!(
        order,
        [
            (overdue.clone(), "overdue".to_owned()),
            (soon.clone(), "soon".to_owned()),
            (calm.clone(), "calm".to_owned()),
        ],
        "overdue first, then under 12 hours, then the rest"
    );
    let colours = window
        .script(
            "return Array.from(document.querySelectorAll('[data-testid=case-row] [data-testid=due]'))
               .map(due => getComputedStyle(due).backgroundColor);",
            vec![],
        )
        .await;
    assert_eq!(
        colours,
        json!(["rgb(180, 35, 24)", "rgb(255, 232, 176)", "rgba(0, 0, 0, 0)"]),
        "overdue in red, under 12 hours in amber, the rest plain"
    );
    let texts = window
        .script(
            "return Array.from(document.querySelectorAll('[data-testid=case-row] [data-testid=due]')).map(d => d.textContent.trim());",
            vec![],
        )
        .await;
    assert!(
        texts[0]
            .as_str()
            .is_some_and(|text| text.contains("terlambat 2 jam")),
        "the overdue case says how late it is: {texts}"
    );
    // Nothing is sent from a desk that is not enrolled: the list says so, and whom to ask.
    let banner = window.text("list-not-enrolled").await;
    assert!(
        banner.contains("belum ada kasus yang dikirim") && banner.contains("administrator"),
        "a receptionist is told nothing is sent and to ask the administrator: {banner:?}"
    );
    window.close().await;
}

#[tokio::test]
async fn a_half_typed_admission_survives_a_restart() {
    let data = tempfile::tempdir().expect("a temporary data directory");
    set_up_desk(data.path());
    let window = DeskWindow::launch_as(data.path(), RECEPTIONIST).await;
    open_new_intake(&window).await;
    window.press("3216055708900003").await;
    window
        .fill_in(INTAKE_FORM, "full_name", "Siti Rahmawati")
        .await;
    window
        .fill_in(INTAKE_FORM, "chronology", "Terjatuh dari tangga gudang")
        .await;
    // The draft is written on the desk a moment after the typing stops.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    window.close().await;

    let window = DeskWindow::launch_as(data.path(), RECEPTIONIST).await;
    open_new_intake(&window).await;
    for (name, typed) in [
        ("nik", "3216055708900003"),
        ("full_name", "Siti Rahmawati"),
        ("chronology", "Terjatuh dari tangga gudang"),
    ] {
        assert_eq!(
            window.value_in(INTAKE_FORM, name).await,
            typed,
            "{name} typed before the restart is still there"
        );
    }
    window.close().await;

    // Another person does not get it.
    let window = DeskWindow::launch_as(data.path(), ADMIN).await;
    open_new_intake(&window).await;
    assert_eq!(
        window.value_in(INTAKE_FORM, "full_name").await,
        "",
        "a draft is its author's only"
    );
    window.close().await;
}

#[tokio::test]
async fn a_returning_patient_is_copied_from_the_earlier_case_and_a_different_name_is_flagged() {
    let data = tempfile::tempdir().expect("a temporary data directory");
    set_up_desk(data.path());
    admit(
        data.path(),
        samples::intake_with(json!({"phone": "081299990000", "occupation": "Operator gudang"})),
    );
    let window = DeskWindow::launch_as(data.path(), RECEPTIONIST).await;
    open_new_intake(&window).await;
    window
        .fill_in(INTAKE_FORM, "full_name", "Siti Rahmawaty")
        .await;
    let nik_css = format!("{INTAKE_FORM} [name=\"nik\"]");
    let nik = window.wait_for(&nik_css, UI_TIMEOUT).await;
    window.click_element(&nik, &nik_css).await;
    window.press("3216055708900003").await;
    let flag = window
        .wait_for_text(&testid_css("duplicate-name"), "Siti Rahmawati", UI_TIMEOUT)
        .await;
    assert!(
        flag.contains("berbeda"),
        "the same NIK under another name is flagged: {flag:?}"
    );
    // Tab from the NIK reaches "Salin data pasien"; Enter copies.
    window.press(TAB).await;
    window.press(ENTER).await;
    let deadline = Instant::now() + UI_TIMEOUT;
    while window.value_in(INTAKE_FORM, "phone").await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "copying fills the empty patient fields"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (name, copied) in [
        ("phone", "081299990000"),
        ("occupation", "Operator gudang"),
        ("kpj", "12345678901"),
        ("employer_name", "PT Maju Jaya"),
        ("employer_npp", "12345678"),
    ] {
        assert_eq!(
            window.value_in(INTAKE_FORM, name).await,
            copied,
            "{name} copied"
        );
    }
    assert_eq!(
        window.value_in(INTAKE_FORM, "full_name").await,
        "Siti Rahmawaty",
        "a name typed is never overwritten"
    );
    window
        .wait_for_text(
            &testid_css("copied-name-differs"),
            "Siti Rahmawati",
            UI_TIMEOUT,
        )
        .await;
    assert_eq!(
        window.value_in(INTAKE_FORM, "accident_at").await,
        "",
        "nothing of the earlier accident is copied"
    );
    assert_eq!(
        window.focused_name().await,
        "accident_at",
        "the cursor goes on to the first field still to fill"
    );
    window.close().await;
}

#[tokio::test]
async fn a_nurse_is_not_sent_to_settings_and_kirim_sekarang_says_what_happened() {
    let data = tempfile::tempdir().expect("a temporary data directory");
    set_up_desk(data.path());
    let window = DeskWindow::launch_as(data.path(), plkk_tests::accounts::NURSE).await;
    let said = window
        .wait_for_text(&testid_css("sync-error"), "Belum terdaftar", UI_TIMEOUT)
        .await;
    assert!(
        said.contains("administrator") && !said.contains("Pengaturan"),
        "a nurse cannot enrol: she is told whom to ask, not to open Settings: {said:?}"
    );
    assert!(
        window
            .find_all(&format!("{} a", testid_css("sync-error")))
            .await
            .is_empty(),
        "no link to Settings for a nurse"
    );
    window.click("sync-now").await;
    window
        .wait_for_text(&testid_css("sync-feedback"), "Tidak terkirim", UI_TIMEOUT)
        .await;
    window.close().await;
}
