//! Getting back in, through `plkk` as a real process: an administrator who forgot their password
//! sets a new one with the recovery key shown at setup (a wrong key exits 7 and is audited); each
//! person changes their own password; an administrator resets another's. The old password no
//! longer opens the desk, the new one does, and other accounts are unaffected. Also: a role
//! refusal (exit 8) leaves an audit entry, and the database file is readable by its owner only.

use std::process::Output;

use plkk_tests::accounts::{set_up_desk, Staff, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::bins::run_plkk_with;

fn run(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    run_plkk_with(dir, env, args, "")
}

fn signs_in(dir: &std::path::Path, username: &str, password: &str) -> Option<i32> {
    run(
        dir,
        &[("PLKK_USER", username), ("PLKK_PASSWORD", password)],
        &["intake", "list"],
    )
    .status
    .code()
}

fn audit(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let output = run(
        dir,
        &[
            ("PLKK_USER", ADMIN.username),
            ("PLKK_PASSWORD", "admin-new-pass"),
        ],
        &["audit", "list", "--json"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_recovery_key_sets_an_administrators_new_password_and_a_wrong_key_exits_7() {
    let dir = tempfile::tempdir().unwrap();
    let key = set_up_desk(dir.path()).recovery_key;
    let recover = |user: &str, key: &str| {
        run(
            dir.path(),
            &[
                ("PLKK_USER", user),
                ("PLKK_RECOVERY_KEY", key),
                ("PLKK_NEW_PASSWORD", "admin-new-pass"),
            ],
            &["recover"],
        )
    };
    // A wrong key (well formed, or not a key at all) is refused like a sign-in: exit 7.
    let wrong = key.replace(|c: char| c != '-', "A");
    for attempt in [wrong.as_str(), "not-a-key"] {
        let refused = recover("admin", attempt);
        assert_eq!(refused.status.code(), Some(7), "{attempt}");
        assert!(String::from_utf8_lossy(&refused.stderr).contains("wrong recovery key"));
    }
    // Guesses at the key do not lock the administrator out.
    assert_eq!(signs_in(dir.path(), "admin", ADMIN.password), Some(0));
    // The key resets an administrator only: a nurse is reset by an administrator.
    let nurse = recover("ani", &key);
    assert_eq!(nurse.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nurse.stderr).contains("ani is not an administrator"));
    assert_eq!(signs_in(dir.path(), "ani", NURSE.password), Some(0));

    // Typed with spaces instead of dashes and in lower case, the key opens.
    let typed = key.replace('-', " ").to_lowercase();
    let done = recover("admin", &typed);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(signs_in(dir.path(), "admin", ADMIN.password), Some(7));
    assert_eq!(signs_in(dir.path(), "admin", "admin-new-pass"), Some(0));
    assert_eq!(signs_in(dir.path(), "ani", NURSE.password), Some(0));
    assert_eq!(signs_in(dir.path(), "rina", RECEPTIONIST.password), Some(0));

    let entries = audit(dir.path());
    let refused = entries
        .iter()
        .filter(|entry| {
            entry["action"] == "sign_in_failed"
                && entry["detail"]
                    .as_str()
                    .unwrap()
                    .contains("wrong_recovery_key")
        })
        .count();
    assert_eq!(refused, 2, "both wrong keys are in the audit log");
    assert!(entries
        .iter()
        .any(|entry| entry["action"] == "account_changed"
            && entry["subject"] == "admin"
            && entry["detail"].as_str().unwrap().contains("recovered")));
}

#[test]
fn a_changed_or_reset_password_opens_and_the_old_one_no_longer_does() {
    let dir = tempfile::tempdir().unwrap();
    set_up_desk(dir.path());
    let password = |staff: Staff, new: &str, whose: Option<&str>| {
        let mut args = vec!["account", "password"];
        args.extend(whose);
        run(
            dir.path(),
            &[
                ("PLKK_USER", staff.username),
                ("PLKK_PASSWORD", staff.password),
                ("PLKK_NEW_PASSWORD", new),
            ],
            &args,
        )
    };
    // The nurse changes her own password.
    let own = password(NURSE, "ani-new-pass", None);
    assert!(
        own.status.success(),
        "{}",
        String::from_utf8_lossy(&own.stderr)
    );
    assert_eq!(signs_in(dir.path(), "ani", NURSE.password), Some(7));
    assert_eq!(signs_in(dir.path(), "ani", "ani-new-pass"), Some(0));
    // A weak new password is refused, naming the rule; the password stays.
    let nurse = Staff {
        password: "ani-new-pass",
        ..NURSE
    };
    let weak = password(nurse, "short", None);
    assert_eq!(weak.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password: at least 8 characters"));
    assert_eq!(signs_in(dir.path(), "ani", "ani-new-pass"), Some(0));
    // She may not reset the receptionist's: exit 8, and the refusal is audited.
    let refused = password(nurse, "rina-by-ani", Some("rina"));
    assert_eq!(refused.status.code(), Some(8));
    assert_eq!(signs_in(dir.path(), "rina", RECEPTIONIST.password), Some(0));
    // The administrator resets it.
    let reset = password(ADMIN, "rina-new-pass", Some("rina"));
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    assert_eq!(signs_in(dir.path(), "rina", RECEPTIONIST.password), Some(7));
    assert_eq!(signs_in(dir.path(), "rina", "rina-new-pass"), Some(0));
    assert_eq!(signs_in(dir.path(), "admin", ADMIN.password), Some(0));
    assert_eq!(signs_in(dir.path(), "ani", "ani-new-pass"), Some(0));

    let admin = password(ADMIN, "admin-new-pass", None);
    assert!(admin.status.success());
    let entries = audit(dir.path());
    let changed: Vec<(&str, &str)> = entries
        .iter()
        .filter(|entry| entry["action"] == "account_changed")
        .map(|entry| {
            (
                entry["actor"].as_str().unwrap(),
                entry["detail"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        changed.contains(&("ani", r#"{"password":"changed"}"#)),
        "{changed:?}"
    );
    assert!(
        changed.contains(&("admin", r#"{"password":"reset"}"#)),
        "{changed:?}"
    );
    assert!(
        entries
            .iter()
            .any(|entry| entry["action"] == "refused" && entry["actor"] == "ani"),
        "the nurse's refused reset is in the audit log"
    );
}

#[cfg(unix)]
#[test]
fn the_desk_database_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    set_up_desk(dir.path());
    let mode = std::fs::metadata(dir.path().join(plkk_store::DATABASE_FILE_NAME))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "desk.sqlite3 has mode {mode:o}");
}
