//! End-to-end test of a case's papers in the real PLKK Desk window over WebDriver, on a desk
//! enrolled with a real branch started in-process: on the case view **Cetak** writes the
//! notification of a suspected work accident as a PDF into the folder typed (a missing folder is
//! named beside its field), shows its verification code, and the branch confirms that code once
//! the desk's engine has sent the case. At 1024×600 the panel's buttons are reachable by keyboard.
//! Needs a display and the built app: run under
//! `xvfb-run -a -s '-screen 0 1280x800x24' cargo test -p plkk-tests --test e2e_case_papers`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use plkk_tests::accounts::RECEPTIONIST;
use plkk_tests::bins::workspace_binary;
use plkk_tests::branch::TestBranch;
use plkk_tests::desk_window::{testid_css, DeskWindow, UI_TIMEOUT};
use plkk_tests::samples;
use plkk_tests::sync_desk::SyncDesk;
use tokio::task::block_in_place;

const LETTER_PANEL: &str = r#"[data-testid="letter-panel"]"#;
/// The engine syncs on start and after every write; a few backoff rounds at most.
const SYNC_TIMEOUT: Duration = Duration::from_secs(45);

fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext runs (Debian package poppler-utils, scripts/setup.sh)");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `plkk-branch case verify-letter CODE`: exit code and stdout.
fn verify(branch_data: &Path, code: &str) -> (i32, String) {
    let out = Command::new(workspace_binary("plkk-branch"))
        .arg("--data-dir")
        .arg(branch_data)
        .args(["case", "verify-letter", code])
        .output()
        .expect("plkk-branch runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notification_is_printed_as_a_pdf_the_branch_confirms() {
    let branch = block_in_place(TestBranch::start);
    let enrolment = branch.clinic_with_code("PLKK-CKR-01", "Klinik Sehat Cikarang");
    let desk = block_in_place(SyncDesk::new);
    block_in_place(|| desk.enroll(&branch.url(), &enrolment));
    let case = block_in_place(|| desk.admit(samples::intake()));
    let folder = tempfile::tempdir().unwrap();

    let window = DeskWindow::launch_as(desk.data_dir(), RECEPTIONIST).await;
    window.resize(1024, 600).await;
    window
        .script(&format!("location.hash = '#/case/{case}'"), vec![])
        .await;
    window
        .wait_for(&testid_css("case-detail"), UI_TIMEOUT)
        .await;
    window.click("print-case").await;
    window.wait_for(LETTER_PANEL, UI_TIMEOUT).await;
    let focused = window
        .script(
            "return document.activeElement?.dataset?.testid ?? null",
            vec![],
        )
        .await;
    assert_eq!(
        focused.as_str(),
        Some("letter-notification"),
        "Cetak puts the keyboard on the notification's button"
    );

    // The folder field starts at the desk's default folder (Downloads) once the desk answers.
    let started = Instant::now();
    while window
        .value_in(LETTER_PANEL, "letter_folder")
        .await
        .is_empty()
    {
        assert!(started.elapsed() < UI_TIMEOUT, "no default folder offered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A folder that is not there is named beside its field; nothing is written.
    window
        .fill_in(LETTER_PANEL, "letter_folder", "/media/flashdisk-tidak-ada")
        .await;
    window.click("letter-notification").await;
    window
        .wait_for_text(
            &testid_css("error-letter_folder"),
            "Folder ini tidak ada",
            UI_TIMEOUT,
        )
        .await;

    window
        .fill_in(
            LETTER_PANEL,
            "letter_folder",
            folder.path().to_str().unwrap(),
        )
        .await;
    window.click("letter-notification").await;
    let result = window
        .wait_for(&testid_css("letter-result"), UI_TIMEOUT)
        .await;
    let code = result.attr("data-code").await.unwrap().unwrap_or_default();
    assert_eq!(code.len(), 19, "{code:?}");
    let path = window.text("letter-path").await;
    assert!(path.starts_with(folder.path().to_str().unwrap()), "{path}");
    let said = pdf_text(Path::new(&path));
    for expected in [
        "Pemberitahuan Dugaan Kecelakaan Kerja",
        "3216055708900003",
        "Siti Rahmawati",
        "Klinik Sehat Cikarang (PLKK-CKR-01)",
        &format!("Kode verifikasi: {code}"),
    ] {
        assert!(
            said.contains(expected),
            "{expected:?} in the letter:\n{said}"
        );
    }

    // The desk's own engine sends the case; then the branch knows the letter.
    let started = Instant::now();
    loop {
        let (exit, out) = block_in_place(|| verify(branch.data_dir(), &code));
        if exit == 0 {
            assert!(
                out.contains(&case) && out.contains("Siti Rahmawati"),
                "{out}"
            );
            break;
        }
        assert!(
            started.elapsed() < SYNC_TIMEOUT,
            "the branch never confirmed {code}: {}",
            window.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    window.close().await;
}
