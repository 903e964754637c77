//! Getting back in through the real window: "Lupa kata sandi?" on the sign-in screen takes the
//! recovery key shown at setup (a wrong key is refused in words) and signs the administrator in
//! with a new password; in Settings, "Akun saya" changes one's own password (a wrong current
//! password is refused). Afterwards only the newest password opens the desk (`plkk` as a process),
//! and the desk has written its log file in the data directory.
//! Needs a display and the built app: run under
//! `xvfb-run -a -s '-screen 0 1280x800x24' cargo test -p plkk-tests --test e2e_passwords`.

use plkk_tests::accounts::{set_up_desk, ADMIN};
use plkk_tests::bins::run_plkk_with;
use plkk_tests::desk_window::{testid_css, DeskWindow, SIGN_IN_SCREEN, UI_TIMEOUT};

const RECOVER_FORM: &str = r#"[data-testid="recover-form"]"#;
const PASSWORD_FORM: &str = r#"[data-testid="password-form"]"#;

#[tokio::test]
async fn an_administrator_gets_back_in_with_the_recovery_key_and_changes_the_password() {
    let data = tempfile::tempdir().expect("a temporary data directory");
    let key = set_up_desk(data.path()).recovery_key;
    let window = DeskWindow::launch(data.path()).await;

    window.wait_for(SIGN_IN_SCREEN, UI_TIMEOUT).await;
    window.click("forgot-password").await;
    window.wait_for(RECOVER_FORM, UI_TIMEOUT).await;
    window.fill_in(RECOVER_FORM, "username", "admin").await;
    window
        .fill_in(
            RECOVER_FORM,
            "recovery_key",
            &key.replace(|c: char| c != '-', "A"),
        )
        .await;
    window
        .fill_in(RECOVER_FORM, "new_password", "admin-new-pass")
        .await;
    window.click("recover").await;
    let refused = window
        .wait_for(
            r#"[data-testid="recover-error"][data-code="wrong_recovery_key"]"#,
            UI_TIMEOUT,
        )
        .await;
    assert_eq!(
        refused.text().await.unwrap(),
        "Kunci pemulihan salah",
        "said in Indonesian"
    );
    // The key as written on paper, with spaces instead of dashes.
    window
        .fill_in(RECOVER_FORM, "recovery_key", &key.replace('-', " "))
        .await;
    window.click("recover").await;
    window.wait_for_user(ADMIN).await;

    window.click("nav-settings").await;
    window.wait_for(PASSWORD_FORM, UI_TIMEOUT).await;
    window
        .fill_in(PASSWORD_FORM, "current_password", "not-my-password")
        .await;
    window
        .fill_in(PASSWORD_FORM, "new_password", "admin-third-pass")
        .await;
    window.click("change-password").await;
    window
        .wait_for(
            r#"[data-testid="password-status"][data-code="wrong_credentials"]"#,
            UI_TIMEOUT,
        )
        .await;
    window
        .fill_in(PASSWORD_FORM, "current_password", "admin-new-pass")
        .await;
    window
        .fill_in(PASSWORD_FORM, "new_password", "admin-third-pass")
        .await;
    window.click("change-password").await;
    window
        .wait_for_text(
            &testid_css("password-status"),
            "Kata sandi diganti",
            UI_TIMEOUT,
        )
        .await;
    window.close().await;

    let opens = |password: &str| {
        run_plkk_with(
            data.path(),
            &[("PLKK_USER", "admin"), ("PLKK_PASSWORD", password)],
            &["intake", "list"],
            "",
        )
        .status
        .code()
    };
    assert_eq!(opens(ADMIN.password), Some(7));
    assert_eq!(opens("admin-new-pass"), Some(7));
    assert_eq!(opens("admin-third-pass"), Some(0));

    // The window wrote its log in the data directory, where `plkk status` says.
    let logs = data.path().join(plkk_store::LOG_DIR_NAME);
    let written: String = std::fs::read_dir(&logs)
        .expect("the log folder exists")
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert!(written.contains("plkk-desk starting"), "{written}");
    assert!(
        written.contains("recover"),
        "the command's span names it: {written}"
    );
}
