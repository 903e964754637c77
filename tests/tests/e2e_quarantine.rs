//! End-to-end test of a branch refusal on the real PLKK Desk window over WebDriver: a case the
//! branch refuses (its chronology as an older desk version saved it, too short) is shown in the
//! quarantine and on its case with the branch's reason in Indonesian, the rule's parameters
//! included ("minimal 20 karakter"), not the branch's English text; "Kirim ulang" after a
//! correction (through `plkk`) delivers it once.
//! Needs a display and the built app: run under
//! `xvfb-run -a -s '-screen 0 1280x800x24' cargo test -p plkk-tests --test e2e_quarantine`.

use plkk_tests::accounts::{set_up_desk, ADMIN, RECEPTIONIST};
use plkk_tests::bins::run_plkk_as;
use plkk_tests::branch::TestBranch;
use plkk_tests::desk_window::{testid_css, DeskWindow, UI_TIMEOUT};
use plkk_tests::samples;
use serde_json::json;
use tokio::task::block_in_place;

const REASON_ID: &str = "Terlalu pendek, minimal 20 karakter";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_case_shows_the_branch_reason_in_indonesian_and_is_resent_from_the_window() {
    let desk_dir = tempfile::tempdir().expect("a temporary desk data directory");
    let desk = block_in_place(|| set_up_desk(desk_dir.path()));
    let branch = block_in_place(TestBranch::start);
    let code = branch.clinic_with_code("PLKK-KRT", "Klinik Karantina");
    let plkk = |staff, args: &[&str], stdin: &str| {
        let output = block_in_place(|| run_plkk_as(desk_dir.path(), staff, args, stdin));
        assert!(
            output.status.success(),
            "plkk {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    plkk(
        ADMIN,
        &["enroll", "--branch", &branch.url(), "--code", &code],
        "",
    );
    let case_id = plkk(
        RECEPTIONIST,
        &["intake", "add"],
        &samples::intake().to_string(),
    )
    .lines()
    .last()
    .unwrap()
    .trim()
    .to_owned();
    block_in_place(|| {
        let store = desk.access.open().unwrap();
        for sabotage in [
            "UPDATE outbox_payloads SET payload = json_set(payload, '$.intake.chronology', 'Jatuh.')",
            "UPDATE cases SET record = json_set(record, '$.chronology', 'Jatuh.')",
        ] {
            store.connection().execute(sabotage, []).unwrap();
        }
    });

    // The app's engine syncs at start: the branch refuses the intake.
    let window = DeskWindow::launch_as(desk_dir.path(), RECEPTIONIST).await;
    window.wait_for(&testid_css("status-bar"), UI_TIMEOUT).await;
    window.click("nav-quarantine").await;
    let reason = window
        .wait_for_text(&testid_css("quarantine-reason"), REASON_ID, UI_TIMEOUT)
        .await;
    assert!(
        !reason.contains("must be at least"),
        "the branch's English text is not shown: {reason:?}"
    );
    window
        .click_css(&format!("{} a", testid_css("quarantine-entry")))
        .await;
    window
        .wait_for(
            &format!("[data-testid=\"case-detail\"][data-id=\"{case_id}\"]"),
            UI_TIMEOUT,
        )
        .await;
    window
        .wait_for_text(&testid_css("rejected-reason"), REASON_ID, UI_TIMEOUT)
        .await;

    plkk(
        RECEPTIONIST,
        &[
            "intake",
            "correct",
            &case_id,
            "--reason",
            "kronologi dilengkapi",
        ],
        &json!({ "chronology": "Terjatuh dari tangga saat memindahkan barang di gudang" })
            .to_string(),
    );
    window.click("nav-quarantine").await;
    window.click("resend").await;
    window
        .wait_for(&testid_css("quarantine-empty"), UI_TIMEOUT)
        .await;
    // "Kirim ulang" woke the engine, which sends it.
    let deadline = std::time::Instant::now() + UI_TIMEOUT;
    while block_in_place(|| branch.counts()).intakes == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the resent case never reached the branch"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let counts = block_in_place(|| branch.counts());
    assert_eq!(
        (counts.intakes, counts.corrections),
        (1, 0),
        "the corrected case arrived once, its correction folded in"
    );
    window.close().await;
}
