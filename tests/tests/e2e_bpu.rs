//! Daftar BPU in the real window over WebDriver, against a real branch started in-process: the
//! receptionist registers a street vendor with the keyboard only (Enter from field to field, a
//! digit picks a choice, dates typed as on paper, Ctrl+Enter saves), sees the lowest package's
//! Rp16.800 appear as the income is typed, saves; the desk sends it; an officer approves it at
//! the branch (`plkk-branch bpu approve`, the library call the command makes); "Kirim sekarang"
//! brings the KPJ to the list; a new admission with the same NIK finds KPJ and segment BPU filled.
//! Needs a display and the built app:
//! `xvfb-run -a -s '-screen 0 1280x800x24' cargo test -p plkk-tests --test e2e_bpu`.

use std::time::Duration;

use chrono::Utc;
use plkk_tests::accounts::{set_up_desk, ADMIN, RECEPTIONIST};
use plkk_tests::branch::TestBranch;
use plkk_tests::desk_window::{testid_css, DeskWindow, CTRL_ENTER, ENTER, UI_TIMEOUT};
use plkk_tests::sync_desk::block_on;
use tokio::task::block_in_place;

const NIK: &str = "3216056508950004";
const BPU_FORM: &str = r#"form[data-testid="bpu-form"]"#;
/// The desk sends a registration at once after the save; the branch may take a moment.
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_street_vendor_registered_by_keyboard_gets_a_kpj_that_the_next_intake_fills_in() {
    let desk_dir = tempfile::tempdir().expect("a temporary desk data directory");
    let access = block_in_place(|| set_up_desk(desk_dir.path())).access;
    let branch = block_in_place(TestBranch::start);
    let code = branch.clinic_with_code("PLKK-01", "Klinik Sehat Cikarang");
    let url = branch.url();
    block_in_place(|| {
        block_on(plkk_sync::enroll(
            &access,
            &ADMIN.actor(),
            plkk_sync::EnrollOptions {
                branch_url: url,
                code,
                device_name: "Meja depan".to_owned(),
                ca_cert_pem: None,
            },
        ))
        .expect("the desk enrols")
    });

    let window = DeskWindow::launch_as(desk_dir.path(), RECEPTIONIST).await;
    window.click("nav-bpu").await;
    window.wait_for(BPU_FORM, UI_TIMEOUT).await;
    assert_eq!(
        window.focused_name().await,
        "nik",
        "the form starts in the NIK"
    );

    // Every field by keyboard: text then Enter, a digit for a choice (it moves on by itself).
    window.press(NIK).await;
    window.press(ENTER).await;
    window.press("Wati Pedagang").await;
    window.press(ENTER).await;
    assert_eq!(window.focused_name().await, "sex");
    window.press("2").await;
    assert_eq!(window.focused_name().await, "birth_date");
    window.press("25-08-1995").await;
    window.press(ENTER).await;
    window.press("081377788899").await;
    window.press(ENTER).await;
    window.press("Pasar Cikarang, Kabupaten Bekasi").await;
    window.press(ENTER).await;
    assert_eq!(window.focused_name().await, "occupation");
    window.press("3").await;
    assert_eq!(
        window.focused_name().await,
        "declared_income",
        "Enter passes 'other occupation' by for a street vendor"
    );
    window.press("900.000").await;
    let contribution = window
        .wait_for_text(&testid_css("bpu-contribution"), "Rp16.800", UI_TIMEOUT)
        .await;
    assert!(
        contribution.contains("JKK Rp"),
        "per programme, as typed: {contribution}"
    );
    window.press(ENTER).await;
    assert_eq!(window.focused_name().await, "period_months");
    window.press("1").await;
    assert_eq!(
        window.focused_name().await,
        "starts_on",
        "today, as offered"
    );
    window.press(ENTER).await;
    window.press(ENTER).await; // JHT stays unticked
    window.press("Joko").await;
    window.press(ENTER).await;
    assert_eq!(window.focused_name().await, "heir_relation");
    window.press("1").await;
    // The heir's phone and who brought her: empty; consent is ticked with the space bar.
    for _ in 0..3 {
        window.press(ENTER).await;
    }
    assert_eq!(window.focused_name().await, "consent");
    window.press(" ").await;
    window.press(CTRL_ENTER).await;
    let saved = window
        .wait_for_text(&testid_css("form-status"), "tersimpan", UI_TIMEOUT)
        .await;
    assert!(saved.contains("Pendaftaran tersimpan"), "{saved}");

    // The list shows it; the desk's engine sends it by itself.
    let row = r#"[data-testid="bpu-row"]"#;
    window.wait_for(row, UI_TIMEOUT).await;
    window
        .wait_for_text(&testid_css("bpu-sync"), "dikonfirmasi", SYNC_TIMEOUT)
        .await;
    let id = block_in_place(|| {
        let queue = plkk_branch::admin::bpu_list(branch.database(), Some("PLKK-01"), None)
            .expect("the branch's queue");
        assert_eq!(queue.len(), 1, "exactly once at the branch");
        queue[0].id
    });
    block_in_place(|| {
        plkk_branch::admin::bpu_decide(
            branch.database(),
            id,
            plkk_branch::bpu::Decision::Approve { kpj: "26110000123" },
            Utc::now(),
        )
        .expect("approved")
    });
    window.click("sync-now").await;
    let kpj = window
        .wait_for_text(&testid_css("bpu-kpj"), "26110000123", SYNC_TIMEOUT)
        .await;
    assert!(kpj.contains("KPJ 26110000123"));
    assert!(window.text("bpu-decision").await.contains("terdaftar"));

    // A new admission with the same NIK: KPJ and segment BPU are filled in.
    window.click("nav-new-intake").await;
    window
        .wait_for(r#"form[data-testid="intake-form"]"#, UI_TIMEOUT)
        .await;
    window.press(NIK).await;
    window
        .wait_for_text(&testid_css("bpu-known"), "26110000123", UI_TIMEOUT)
        .await;
    let kpj_value = window
        .script(
            "return document.querySelector('form[data-testid=\"intake-form\"] [name=\"kpj\"]').value;",
            vec![],
        )
        .await;
    assert_eq!(kpj_value, "26110000123");
    let segment = window
        .script(
            "const c = document.querySelector('[name=\"segment\"]:checked'); return c ? c.value : '';",
            vec![],
        )
        .await;
    assert_eq!(segment, "BPU");
    window.close().await;
}
