//! The window's session (`plkk_store::DeskSession`) without a window, on a real set-up desk: the
//! lock rules (nothing runs while signed out or locked; a PIN only unlocks an open desk; locking
//! keeps the person, signing out forgets them but keeps the database open; lock and sign-out are
//! audited once), switching user, setup, the recovery key's way back in, and the window's backup
//! and patient report into a picked folder.

use plkk_store::{DeskSession, ErrorKind, NewAccount, StoreError};
use plkk_tests::accounts::{set_up_desk, ADMIN, NURSE, NURSE_PIN, RECEPTIONIST};
use plkk_vault::KdfParams;

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

fn session(dir: &std::path::Path) -> DeskSession {
    DeskSession::new(dir.to_owned(), KdfParams::FAST)
}

fn code<T: std::fmt::Debug>(result: Result<T, StoreError>) -> &'static str {
    result.expect_err("refused").code()
}

/// Audit entries with `action`, read by the administrator on a connection of their own.
fn audited(dir: &std::path::Path, action: &str) -> usize {
    let admin = ADMIN.sign_in(dir);
    plkk_store::audit_list(&admin.store, &admin.actor, 1000)
        .unwrap()
        .iter()
        .filter(|entry| entry.action == action)
        .count()
}

#[test]
fn nothing_runs_while_signed_out_or_locked_and_a_pin_unlocks_only_an_open_desk() {
    let dir = tempfile::tempdir().unwrap();
    set_up_desk(dir.path());
    let mut session = session(dir.path());
    assert_eq!(session.info(now()).phase, "sign_in");
    assert_eq!(code(session.signed_in().map(|_| ())), "signed_out");
    // A PIN does not open the database: only a password does.
    assert_eq!(
        code(session.unlock_with_pin(NURSE.username, NURSE_PIN, now())),
        "signed_out"
    );
    let refused = session.sign_in(NURSE.username, "not-her-password", now());
    assert_eq!(refused.unwrap_err().kind(), ErrorKind::SignIn);
    assert!(session.open().is_none(), "a refused password opens nothing");

    let account = session.sign_in(" ani ", NURSE.password, now()).unwrap();
    assert_eq!(account.username, "ani");
    assert_eq!(session.info(now()).phase, "open");
    assert!(session.signed_in().is_ok());

    session.lock(now()).unwrap();
    session.lock(now()).unwrap();
    assert!(session.is_locked());
    assert_eq!(code(session.signed_in().map(|_| ())), "locked");
    assert_eq!(
        session
            .info(now())
            .user
            .map(|user| user.username)
            .as_deref(),
        Some("ani"),
        "locking keeps the person"
    );
    assert!(
        session.open().is_some(),
        "the database stays open (the sync goes on)"
    );
    // A wrong PIN keeps it locked; the right one unlocks.
    assert_eq!(
        code(session.unlock_with_pin(NURSE.username, "000000", now())),
        "wrong_pin"
    );
    assert_eq!(code(session.signed_in().map(|_| ())), "locked");
    session
        .unlock_with_pin(NURSE.username, NURSE_PIN, now())
        .unwrap();
    assert!(session.signed_in().is_ok());
    assert_eq!(
        audited(dir.path(), "lock"),
        1,
        "a second lock writes nothing"
    );

    // Another person signs in on the locked screen with their password: the session is theirs.
    session.lock(now()).unwrap();
    let rina = session
        .sign_in(RECEPTIONIST.username, RECEPTIONIST.password, now())
        .unwrap();
    assert_eq!(rina.username, "rina");
    assert_eq!(session.signed_in().unwrap().1.username, "rina");

    session.sign_out(now()).unwrap();
    assert_eq!(code(session.signed_in().map(|_| ())), "signed_out");
    assert!(session.info(now()).user.is_none());
    assert!(
        session.open().is_some(),
        "signing out keeps the database open"
    );
    // Signing in again checks the password against the keyring with the database open.
    assert_eq!(
        session
            .sign_in(ADMIN.username, "wrong-password", now())
            .unwrap_err()
            .kind(),
        ErrorKind::SignIn
    );
    session
        .sign_in(ADMIN.username, ADMIN.password, now())
        .unwrap();
    assert_eq!(audited(dir.path(), "sign_out"), 1);
}

#[test]
fn setup_signs_the_administrator_in_and_the_recovery_key_brings_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut session = session(dir.path());
    assert_eq!(session.info(now()).phase, "setup");
    let admin = NewAccount {
        username: "dewi",
        display_name: "Dewi",
        role: plkk_domain::Role::Admin,
        password: "dewi-pass-1",
        pin: None,
    };
    let set_up = session.setup(&admin, now()).unwrap();
    assert_eq!(set_up.user.username, "dewi");
    assert!(session.signed_in().is_ok());
    assert_eq!(code(session.setup(&admin, now())), "already_set_up");

    // Next run: she forgot her password.
    drop(session);
    let mut session = self::session(dir.path());
    assert_eq!(
        code(session.recover("dewi", "AAAA-BBBB", "dewi-new-pass", now())),
        "wrong_recovery_key"
    );
    assert!(session.open().is_none());
    let typed = set_up.recovery_key.replace('-', " ");
    let account = session
        .recover("dewi", &typed, "dewi-new-pass", now())
        .unwrap();
    assert_eq!(account.username, "dewi");
    assert!(session.signed_in().is_ok());
    session.sign_out(now()).unwrap();
    assert_eq!(
        code(session.sign_in("dewi", "dewi-pass-1", now())),
        "wrong_credentials"
    );
    session.sign_in("dewi", "dewi-new-pass", now()).unwrap();
}

#[test]
fn the_windows_backup_and_patient_report_go_into_the_picked_folder_for_an_administrator_only() {
    let dir = tempfile::tempdir().unwrap();
    set_up_desk(dir.path());
    let nik = plkk_tests::samples::intake()["nik"]
        .as_str()
        .unwrap()
        .to_owned();
    let folder = tempfile::tempdir().unwrap();
    let mut session = session(dir.path());
    session
        .sign_in(RECEPTIONIST.username, RECEPTIONIST.password, now())
        .unwrap();
    let (store, actor) = session.signed_in().unwrap();
    let intake = plkk_tests::samples::intake();
    plkk_store::admit_intake(store, actor, intake.as_object().unwrap(), now()).unwrap();
    let listed = || std::fs::read_dir(folder.path()).unwrap().count();
    assert_eq!(code(session.backup_into(folder.path(), now())), "forbidden");
    assert_eq!(
        code(session.patient_report_into(&nik, folder.path(), now())),
        "forbidden"
    );
    assert_eq!(listed(), 0, "a refusal writes nothing");

    session
        .sign_in(ADMIN.username, ADMIN.password, now())
        .unwrap();
    let backup = session.backup_into(folder.path(), now()).unwrap();
    assert_eq!(backup.path.parent(), Some(folder.path()));
    let name = backup.path.file_name().unwrap().to_string_lossy();
    assert!(
        name.starts_with("plkk-backup-") && name.ends_with(".tar"),
        "{name}"
    );
    assert_eq!(backup.manifest.records.intakes, 1);
    let report = session
        .patient_report_into(&nik, folder.path(), now())
        .unwrap();
    assert_eq!(report.path.parent(), Some(folder.path()));
    assert_eq!(report.cases, 1);
    assert!(std::fs::read(&report.path).unwrap().starts_with(b"%PDF-"));
    assert_eq!(listed(), 2);

    session.lock(now()).unwrap();
    assert_eq!(code(session.backup_into(folder.path(), now())), "locked");
    assert_eq!(audited(dir.path(), "backup"), 1);
    assert_eq!(audited(dir.path(), "patient_report"), 1);
}
