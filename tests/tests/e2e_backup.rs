//! End-to-end test of looking after a desk in the real PLKK Desk window over WebDriver: the home
//! screen warns the administrator that the desk's records were never backed up; on the Admin
//! screen a backup goes to a folder (a stand-in for the USB stick), a missing folder is named
//! beside its field, the warning is gone afterwards; the patient's data report is written as a
//! PDF for a NIK and refused for an unknown one. Both acts are in the audit log.
//! Needs a display and the built app: run under
//! `xvfb-run -a -s '-screen 0 1280x800x24' cargo test -p plkk-tests --test e2e_backup`.

use std::time::Duration;

use plkk_tests::accounts::{self, ADMIN, RECEPTIONIST};
use plkk_tests::desk_window::{testid_css, DeskWindow, UI_TIMEOUT, VISIBLE_APP};
use plkk_tests::samples;
use plkk_tests::sync_desk::{now, object};

const BACKUP_PANEL: &str = r#"[data-testid="backup-panel"]"#;
const REPORT_PANEL: &str = r#"[data-testid="patient-report-panel"]"#;

#[tokio::test]
async fn an_administrator_backs_up_to_a_folder_and_writes_a_patient_report() {
    let data = tempfile::tempdir().unwrap();
    let set_up = accounts::set_up_desk(data.path());
    let mut store = set_up.access.open().unwrap();
    let intake = object(samples::intake());
    plkk_store::admit_intake(&mut store, &RECEPTIONIST.actor(), &intake, now()).unwrap();
    drop(store);
    let usb = tempfile::tempdir().unwrap();

    let window = DeskWindow::launch_as(data.path(), ADMIN).await;
    window
        .wait_for_text(
            &format!("{VISIBLE_APP} {}", testid_css("backup-overdue")),
            "belum pernah dicadangkan",
            UI_TIMEOUT,
        )
        .await;

    window.click("nav-admin").await;
    window
        .wait_for(&testid_css("admin-screen"), UI_TIMEOUT)
        .await;
    window
        .wait_for_text(&testid_css("backup-last"), "Belum pernah", UI_TIMEOUT)
        .await;

    // A folder that is not there (the stick is not plugged in) is named beside the field.
    window
        .fill_in(BACKUP_PANEL, "backup_folder", "/media/flashdisk-tidak-ada")
        .await;
    window.click("backup").await;
    window
        .wait_for_text(
            &testid_css("error-backup_folder"),
            "Folder ini tidak ada",
            UI_TIMEOUT,
        )
        .await;

    window
        .fill_in(BACKUP_PANEL, "backup_folder", usb.path().to_str().unwrap())
        .await;
    window.click("backup").await;
    let result = window
        .wait_for(&testid_css("backup-result"), UI_TIMEOUT)
        .await;
    assert_eq!(
        result.attr("data-intakes").await.unwrap().as_deref(),
        Some("1")
    );
    let path = window.text("backup-path").await;
    assert!(path.starts_with(usb.path().to_str().unwrap()), "{path}");
    let manifest = plkk_store::read_manifest(std::path::Path::new(&path)).unwrap();
    assert_eq!(manifest.records.intakes, 1);
    assert_eq!(manifest.created_by, ADMIN.username);
    window
        .wait_for_text(&testid_css("backup-last"), "Cadangan terakhir", UI_TIMEOUT)
        .await;

    // The patient's report: an unknown NIK is refused beside the field; hers is written.
    window
        .fill_in(REPORT_PANEL, "report_nik", "3216055708909999")
        .await;
    window
        .fill_in(REPORT_PANEL, "report_folder", usb.path().to_str().unwrap())
        .await;
    window.click("patient-report").await;
    window
        .wait_for_text(
            &testid_css("error-report_nik"),
            "Tidak ada kasus dengan NIK ini",
            UI_TIMEOUT,
        )
        .await;
    window
        .fill_in(REPORT_PANEL, "report_nik", "3216 0557 0890 0003")
        .await;
    window.click("patient-report").await;
    let report = window
        .wait_for(&testid_css("patient-report-result"), UI_TIMEOUT)
        .await;
    assert_eq!(
        report.attr("data-cases").await.unwrap().as_deref(),
        Some("1")
    );
    let pdf = window.text("patient-report-path").await;
    let bytes = std::fs::read(&pdf).unwrap_or_else(|error| panic!("{pdf}: {error}"));
    assert!(bytes.starts_with(b"%PDF-"));

    // Home again: nothing to warn about now.
    window.click("nav-cases").await;
    window
        .assert_absent_for(
            &format!("{VISIBLE_APP} {}", testid_css("backup-overdue")),
            Duration::from_secs(1),
            "a backup was just made",
        )
        .await;
    window.close().await;

    let store = ADMIN.sign_in(data.path()).store;
    let actions: Vec<String> = plkk_store::audit_list(&store, &ADMIN.actor(), 50)
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert!(
        actions.iter().any(|action| action == "backup")
            && actions.iter().any(|action| action == "patient_report"),
        "{actions:?}"
    );
}
