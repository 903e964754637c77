//! End-to-end test of sync on the real PLKK Desk window over WebDriver, against a real branch
//! server started in-process on 127.0.0.1, on a desk set up with staff accounts
//! (`plkk_tests::accounts`): the administrator enrols through the Settings screen; the
//! receptionist, signed in from the lock screen, admits a case while the branch is down (its badge
//! says "belum terkirim"); bring the branch back on the same address and watch the badge turn to
//! "dikonfirmasi" with no click (the engine retries by itself); then the branch sets the case's
//! status and "Kirim sekarang" brings it to the case list and the case.
//! A second test has another desk of the clinic (in-process, through `plkk-sync`) correct the same
//! field first: the window shows the conflict with every version, and "Pilih nilai ini" opens the
//! correction form prefilled with the chosen one (the administrator enrols and signs out; the
//! receptionist signs in and does the rest). The branch comes from `plkk_tests::branch`.
//! Needs a display and the built app: run under
//! `xvfb-run -a -s '-screen 0 1280x800x24' cargo test -p plkk-tests --test e2e_sync`.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{Duration as TimeSpan, Local, Utc};
use plkk_protocol::CaseStatus;
use plkk_tests::accounts::{set_up_desk, ADMIN, RECEPTIONIST};
use plkk_tests::branch::TestBranch;
use plkk_tests::desk_window::{element_arg, testid_css, DeskWindow, UI_TIMEOUT};
use plkk_tests::sync_desk::{now, object, SyncDesk};
use serde_json::json;
use tokio::task::block_in_place;
use uuid::Uuid;

const CLINIC_CODE: &str = "PLKK-CKR-01";
const CLINIC_NAME: &str = "Klinik Sehat Cikarang";
const DEVICE_NAME: &str = "Meja depan 1";
const INTAKE_FORM: &str = r#"form[data-testid="intake-form"]"#;
const CASE_ROW: &str = r#"[data-testid="case-row"]"#;
const CORRECTION_FORM: &str = r#"form[data-testid="correction-form"]"#;
const THIS_DESK_EMPLOYER: &str = "PT Maju Jaya Abadi";
const OTHER_DESK_EMPLOYER: &str = "CV Sinar Abadi";
const GUARANTEE_REFERENCE: &str = "JKK/2026/000123";
/// How long the engine may take to notice the branch is back: its backoff starts at 2 s and
/// doubles (with jitter) while the branch is down, for the ~20 s this test keeps it down.
const RECONNECT_TIMEOUT: Duration = Duration::from_secs(45);

/// One window at a time: the two tests of this file would otherwise start two WebKit windows at
/// once on two cores.
static ONE_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_admitted_offline_is_confirmed_when_the_branch_returns() {
    let _one_window = ONE_WINDOW.lock().await;
    let started = Instant::now();
    let desk_dir = tempfile::tempdir().expect("a temporary desk data directory");
    block_in_place(|| set_up_desk(desk_dir.path()));
    // The branch helper blocks (it runs the server on its own thread and runtime): keep that off
    // the WebDriver client's worker with block_in_place.
    let mut branch = block_in_place(TestBranch::start);
    let code = branch.clinic_with_code(CLINIC_CODE, CLINIC_NAME);
    let branch_url = branch.url();
    step(started, &format!("branch up at {branch_url}"));

    let window = DeskWindow::launch_as(desk_dir.path(), ADMIN).await;
    step(started, "launched, administrator signed in");
    window.wait_for(&testid_css("status-bar"), UI_TIMEOUT).await;
    window
        .wait_for_text(&testid_css("sync-error"), "Belum terdaftar", UI_TIMEOUT)
        .await;
    let unconfirmed = window.text("sync-unconfirmed").await;
    assert!(
        !unconfirmed.contains("Semua terkirim"),
        "a desk not enrolled must never say all was sent; it says {unconfirmed:?}"
    );

    screenshot(&window, "1-not-enrolled").await;
    enrol(&window, &branch_url, &code).await;
    screenshot(&window, "2-enrolled").await;
    step(started, "enrolled");

    // The receptionist takes over at the desk; the sync goes on under any signed-in person.
    window.lock_and_switch_to(RECEPTIONIST).await;
    step(started, "receptionist signed in");
    block_in_place(|| branch.stop());
    step(started, "branch stopped");
    let case_id = admit_case(&window).await;
    step(started, "admitted while the branch is down");
    let row = format!("{CASE_ROW}[data-id=\"{case_id}\"]");
    let badge = format!("{row} {}", testid_css("sync-state"));
    // The write woke the engine; once it has tried and failed, the bar says so.
    window
        .wait_for_text(&testid_css("sync-online"), "Tidak terhubung", UI_TIMEOUT)
        .await;
    let offline_badge = window
        .wait_for(&badge, UI_TIMEOUT)
        .await
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(
        offline_badge, "belum terkirim",
        "a case admitted while the branch is down must say it is not sent"
    );
    // The engine keeps retrying meanwhile (2 s, 4 s, ...): the record must stay unsent.
    window
        .assert_absent_for(
            &format!("{badge}:not([data-state=\"pending\"])"),
            Duration::from_secs(4),
            "while the branch is down the case's record has not reached it",
        )
        .await;
    window
        .wait_for_text(
            &testid_css("sync-unconfirmed"),
            "1 catatan belum dikonfirmasi",
            UI_TIMEOUT,
        )
        .await;
    window
        .wait_for_text(
            &testid_css("sync-error"),
            "Kantor cabang tidak dapat dihubungi",
            UI_TIMEOUT,
        )
        .await;

    screenshot(&window, "3-offline-pending").await;
    block_in_place(|| branch.restart());
    step(started, "branch restarted on the same address");
    window
        .wait_for_text(&badge, "dikonfirmasi", RECONNECT_TIMEOUT)
        .await;
    step(started, "confirmed without a click");
    window
        .wait_for_text(
            &testid_css("sync-unconfirmed"),
            "Semua terkirim",
            UI_TIMEOUT,
        )
        .await;
    window
        .wait_for_text(&testid_css("sync-online"), "Terhubung", UI_TIMEOUT)
        .await;
    window
        .wait_for_text(
            &testid_css("sync-last-success"),
            "Terakhir terkirim",
            UI_TIMEOUT,
        )
        .await;
    let at_branch = plkk_branch::admin::list_cases(branch.database(), CLINIC_CODE)
        .expect("list the clinic's cases at the branch");
    let copies = at_branch
        .iter()
        .filter(|case| case["id"] == case_id.as_str())
        .count();
    assert_eq!(
        copies, 1,
        "the case must be at the branch exactly once: {at_branch:?}"
    );

    let case_uuid = Uuid::parse_str(&case_id).expect("a case id is a UUID");
    plkk_branch::admin::set_case_status(
        branch.database(),
        case_uuid,
        CaseStatus::GuaranteeIssued,
        None,
        Some(GUARANTEE_REFERENCE),
        Utc::now(),
    )
    .expect("set the case's status at the branch");
    window.click("sync-now").await;
    let branch_status = format!("{row} {}", testid_css("branch-status"));
    window
        .wait_for_text(&branch_status, "Surat jaminan terbit", UI_TIMEOUT)
        .await;
    step(started, "branch status pulled");
    screenshot(&window, "4-confirmed-with-status").await;

    window
        .click_element(
            &window.wait_for(&format!("{row} td"), UI_TIMEOUT).await,
            "the case row",
        )
        .await;
    window
        .wait_for(
            &format!("[data-testid=\"case-detail\"][data-id=\"{case_id}\"]"),
            UI_TIMEOUT,
        )
        .await;
    window
        .wait_for_text(
            &testid_css("branch-status"),
            "Surat jaminan terbit",
            UI_TIMEOUT,
        )
        .await;
    window
        .wait_for_text(
            &testid_css("branch-reference"),
            GUARANTEE_REFERENCE,
            UI_TIMEOUT,
        )
        .await;
    screenshot(&window, "5-case-view").await;
    window.click("nav-settings").await;
    window
        .wait_for_text(&testid_css("enrolled-clinic"), CLINIC_NAME, UI_TIMEOUT)
        .await;
    window
        .wait_for(&testid_css("enroll-admin-only"), UI_TIMEOUT)
        .await;
    window.click("nav-quarantine").await;
    window
        .wait_for(&testid_css("quarantine-empty"), UI_TIMEOUT)
        .await;
    window.close().await;
    block_in_place(|| branch.stop());
    step(started, "done");
}

/// With `PLKK_E2E_SCREENSHOTS=DIR`, saves the window as DIR/NAME.png (for looking at the UI).
async fn screenshot(window: &DeskWindow, name: &str) {
    let Some(dir) = std::env::var_os("PLKK_E2E_SCREENSHOTS") else {
        return;
    };
    // Let the last scroll or update paint first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    match window.client().screenshot().await {
        Ok(png) => {
            let path = Path::new(&dir).join(format!("{name}.png"));
            if let Err(error) = std::fs::write(&path, png) {
                eprintln!("e2e_sync: cannot write {}: {error}", path.display());
            }
        }
        Err(error) => eprintln!("e2e_sync: screenshot {name} failed: {error}"),
    }
}

fn step(started: Instant, what: &str) {
    eprintln!(
        "e2e_sync: {what} after {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_correction_is_shown_as_a_conflict_and_resolved_by_choosing_a_value() {
    let _one_window = ONE_WINDOW.lock().await;
    let started = Instant::now();
    let desk_dir = tempfile::tempdir().expect("a temporary desk data directory");
    block_in_place(|| set_up_desk(desk_dir.path()));
    let branch = block_in_place(TestBranch::start);
    let code = branch.clinic_with_code(CLINIC_CODE, CLINIC_NAME);
    let other_code = branch.enrollment_code(CLINIC_CODE);

    let window = DeskWindow::launch_as(desk_dir.path(), ADMIN).await;
    window.click("nav-settings").await;
    window.fill("branch_url", &branch.url()).await;
    window.fill("enrollment_code", &code).await;
    window.fill("device_name", DEVICE_NAME).await;
    window.click("enroll").await;
    window
        .wait_for_text(&testid_css("enrolled-clinic"), CLINIC_NAME, UI_TIMEOUT)
        .await;
    // The administrator leaves; the receptionist signs in (the enrolment stays with the desk).
    window.sign_out().await;
    window.sign_in_as(RECEPTIONIST).await;
    let case_id = admit_case(&window).await;
    let row = format!("{CASE_ROW}[data-id=\"{case_id}\"]");
    window
        .wait_for_text(
            &format!("{row} {}", testid_css("sync-state")),
            "dikonfirmasi",
            RECONNECT_TIMEOUT,
        )
        .await;
    step(started, "case confirmed");

    // Another desk of the clinic pulls the case and corrects the employer first.
    let other = SyncDesk::new();
    block_in_place(|| {
        other.enroll(&branch.url(), &other_code);
        other.sync().expect("the other desk pulls the case");
        plkk_store::correct_intake(
            &mut other.store(),
            &RECEPTIONIST.actor(),
            &case_id,
            &object(json!({ "employer_name": OTHER_DESK_EMPLOYER })),
            "Nama pemberi kerja salah",
            now(),
        )
        .expect("the other desk corrects the employer");
        other
            .sync()
            .expect("the other desk's correction reaches the branch");
    });
    step(started, "other desk corrected");

    // This desk, not having pulled that yet, corrects the same field differently.
    window
        .click_element(
            &window.wait_for(&format!("{row} td"), UI_TIMEOUT).await,
            "the case row",
        )
        .await;
    window.click("correct-intake").await;
    window
        .fill_in(CORRECTION_FORM, "employer_name", THIS_DESK_EMPLOYER)
        .await;
    window
        .fill_in(CORRECTION_FORM, "reason", "Nama pemberi kerja lengkap")
        .await;
    window.click("save-correction").await;
    window
        .wait_for_text(&testid_css("form-status"), "Koreksi tersimpan", UI_TIMEOUT)
        .await;
    // The write wakes the engine; the branch keeps both versions and the case shows the conflict.
    let field = format!(
        "{} [data-testid=\"conflict-field\"][data-field=\"employer_name\"]",
        testid_css("conflict")
    );
    let conflict = window.wait_for(&field, RECONNECT_TIMEOUT).await;
    step(started, "conflict shown");
    window
        .script(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![element_arg(&conflict)],
        )
        .await;
    screenshot(&window, "6-conflict").await;
    let value = |source: &str| {
        format!(
            "{field} {}",
            testid_css(&format!("conflict-value-{source}"))
        )
    };
    assert_eq!(
        window
            .wait_for(&value("base"), UI_TIMEOUT)
            .await
            .text()
            .await
            .unwrap_or_default(),
        "PT Maju Jaya"
    );
    assert_eq!(
        window
            .wait_for(&value("desk"), UI_TIMEOUT)
            .await
            .text()
            .await
            .unwrap_or_default(),
        THIS_DESK_EMPLOYER
    );
    assert_eq!(
        window
            .wait_for(&value("branch"), UI_TIMEOUT)
            .await
            .text()
            .await
            .unwrap_or_default(),
        OTHER_DESK_EMPLOYER
    );

    // One of the two versions is in force on this desk; choosing the other opens the correction
    // form prefilled with it.
    window
        .wait_for_count(
            &format!("{field} {}", testid_css("conflict-in-force")),
            1,
            UI_TIMEOUT,
        )
        .await;
    let choices = window
        .wait_for_count(
            &format!("{field} [data-testid=\"choose-value\"]:not([data-source=\"base\"])"),
            1,
            UI_TIMEOUT,
        )
        .await;
    let source = choices[0]
        .attr("data-source")
        .await
        .ok()
        .flatten()
        .expect("a choice names its version");
    let chosen = match source.as_str() {
        "desk" => THIS_DESK_EMPLOYER,
        "branch" => OTHER_DESK_EMPLOYER,
        other => panic!("unexpected version {other:?}"),
    };
    window.click_element(&choices[0], "choose-value").await;
    window.wait_for(CORRECTION_FORM, UI_TIMEOUT).await;
    assert_eq!(
        window.value_in(CORRECTION_FORM, "employer_name").await,
        chosen,
        "the correction form starts from the chosen value"
    );
    assert!(
        !window.value_in(CORRECTION_FORM, "reason").await.is_empty(),
        "resolving a conflict comes with a reason"
    );
    window.click("save-correction").await;
    window
        .wait_for_text(&testid_css("field-employer_name"), chosen, UI_TIMEOUT)
        .await;
    step(started, "resolved by a new correction");

    // The other desk keeps the conflict too.
    block_in_place(|| {
        let _ = other.sync();
        let detail = plkk_store::show_case(&other.store(), &RECEPTIONIST.actor(), &case_id, now())
            .expect("the case");
        assert!(
            !detail.conflicts.is_empty(),
            "the other desk must keep the conflict as well"
        );
    });
    window.close().await;
}

/// Enrol through the Settings screen: plain http to a non-local address is refused, the right
/// address enrols (the clinic's name appears), and the same code cannot be used twice.
async fn enrol(window: &DeskWindow, branch_url: &str, code: &str) {
    window.click("nav-settings").await;
    window.fill("branch_url", "http://192.0.2.10:8700").await;
    window.fill("enrollment_code", code).await;
    window.fill("device_name", DEVICE_NAME).await;
    window.click("enroll").await;
    window
        .wait_for_text(&testid_css("enroll-error"), "https://", UI_TIMEOUT)
        .await;

    window.fill("branch_url", branch_url).await;
    window.click("enroll").await;
    let clinic = window
        .wait_for_text(&testid_css("enrolled-clinic"), CLINIC_NAME, UI_TIMEOUT)
        .await;
    assert_eq!(clinic, CLINIC_NAME);

    window.fill("enrollment_code", code).await;
    window.click("enroll").await;
    window
        .wait_for_text(
            &testid_css("enroll-error"),
            "sudah pernah dipakai",
            UI_TIMEOUT,
        )
        .await;
}

/// A valid intake, times relative to now on the desk's clock.
fn intake_fields() -> Vec<(&'static str, String)> {
    let now = Local::now();
    let minute = "%Y-%m-%dT%H:%M";
    let fixed = [
        ("nik", "3216055708900003"),
        ("kpj", "12345678901"),
        ("full_name", "Siti Rahmawati"),
        ("sex", "female"),
        ("birth_date", "1990-08-17"),
        ("segment", "PU"),
        ("employer_name", "PT Maju Jaya"),
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
    let mut fields: Vec<(&'static str, String)> = fixed
        .iter()
        .map(|&(name, value)| (name, value.to_string()))
        .collect();
    fields.push((
        "accident_at",
        (now - TimeSpan::hours(1)).format(minute).to_string(),
    ));
    fields.push(("admitted_at", now.format(minute).to_string()));
    fields
}

/// Admit the sample intake; back on the case list, returns the new case's id.
async fn admit_case(window: &DeskWindow) -> String {
    window.click("nav-new-intake").await;
    window.wait_for(INTAKE_FORM, UI_TIMEOUT).await;
    for (name, value) in intake_fields() {
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
