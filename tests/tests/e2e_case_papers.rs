//! End-to-end test of a case's papers in the real PLKK Desk window over WebDriver, on a desk
//! enrolled with a real branch started in-process, at 1024×600: **Lampirkan dokumen** refuses a
//! file whose content is not what its name says (naming the rule), attaches a photo of the KTP
//! chosen in the file input, shows its thumbnail and its original and stored sizes, and its state
//! turns to confirmed when the desk's own engine has uploaded it to the branch (which then holds
//! the same bytes); the thumbnail opens it full size. **Cetak** writes the notification of a
//! suspected work accident as a PDF into the folder typed (a missing folder is named beside its
//! field), shows its verification code, and the branch confirms that code.
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
const DOCUMENT_FORM: &str = r#"form[data-testid="document-form"]"#;
const DOCUMENT: &str = r#"[data-testid="document"]"#;
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
async fn a_ktp_is_attached_and_confirmed_and_the_notification_printed() {
    let branch = block_in_place(TestBranch::start);
    let enrolment = branch.clinic_with_code("PLKK-CKR-01", "Klinik Sehat Cikarang");
    let desk = block_in_place(SyncDesk::new);
    block_in_place(|| desk.enroll(&branch.url(), &enrolment));
    let case = block_in_place(|| desk.admit(samples::intake()));
    let folder = tempfile::tempdir().unwrap();

    let papers = tempfile::tempdir().unwrap();
    let ktp = papers.path().join("ktp-siti.jpg");
    std::fs::write(&ktp, plkk_tests::documents::photo(3_000, 1_900, 40, 92, 7)).unwrap();
    let fake = papers.path().join("ktp-palsu.jpg");
    std::fs::write(&fake, plkk_tests::documents::pdf(20_000, 3)).unwrap();

    let window = DeskWindow::launch_as(desk.data_dir(), RECEPTIONIST).await;
    window.resize(1024, 600).await;
    window
        .script(&format!("location.hash = '#/case/{case}'"), vec![])
        .await;
    window
        .wait_for(&testid_css("case-detail"), UI_TIMEOUT)
        .await;

    // A PDF named .jpg is refused beside the file, naming the rule; nothing is listed.
    window.fill_in(DOCUMENT_FORM, "document_kind", "ktp").await;
    window
        .choose_file(DOCUMENT_FORM, "document_file", &fake)
        .await;
    window.click("document-attach").await;
    window
        .wait_for_text(&testid_css("error-document_file"), "bukan", UI_TIMEOUT)
        .await;
    assert!(
        window.find_all(DOCUMENT).await.is_empty(),
        "nothing attached"
    );

    // The KTP photo: its thumbnail, both sizes, and its way to the branch.
    window
        .choose_file(DOCUMENT_FORM, "document_file", &ktp)
        .await;
    window.click("document-attach").await;
    let document = window.wait_for(DOCUMENT, UI_TIMEOUT).await;
    window
        .wait_for(
            &format!("{DOCUMENT} {}", testid_css("document-thumbnail")),
            UI_TIMEOUT,
        )
        .await;
    let sizes = window.text("document-sizes").await;
    assert!(
        sizes.contains("asli") && sizes.contains("disimpan"),
        "{sizes}"
    );
    let document_id = document.attr("data-id").await.unwrap().unwrap_or_default();
    window
        .wait_for(
            &format!("{DOCUMENT}[data-state=\"confirmed\"]"),
            SYNC_TIMEOUT,
        )
        .await;
    window
        .wait_for_text(&testid_css("document-state"), "dikonfirmasi", UI_TIMEOUT)
        .await;
    let at_branch = folder.path().join("at-branch.jpg");
    let out = Command::new(workspace_binary("plkk-branch"))
        .arg("--data-dir")
        .arg(branch.data_dir())
        .args(["document", "get", &document_id, "--output"])
        .arg(&at_branch)
        .output()
        .expect("plkk-branch runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored = std::fs::read(&at_branch).unwrap();
    assert!(
        stored.starts_with(&[0xFF, 0xD8])
            && stored.len() < std::fs::metadata(&ktp).unwrap().len() as usize,
        "the branch holds the downscaled JPEG ({} bytes)",
        stored.len()
    );
    window.click("document-open").await;
    window
        .wait_for(&testid_css("document-full"), UI_TIMEOUT)
        .await;
    window.press("\u{E00C}").await;
    window
        .wait_until_absent(&testid_css("document-viewer"), UI_TIMEOUT)
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
