//! Tests of the keyring as the app and `plkk` use it: real files in temporary directories, fast
//! argon2 parameters.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tempfile::TempDir;

use crate::*;

const FAST: KdfParams = KdfParams {
    memory_kib: 8192,
    iterations: 1,
    parallelism: 1,
};

fn t0() -> DateTime<Utc> {
    "2025-03-01T10:00:00Z".parse().unwrap()
}

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

struct Desk {
    dir: TempDir,
    keyring: Keyring,
    key: DataKey,
    recovery: RecoveryKey,
}

/// A set-up desk with accounts `ana` (password `ana-secret`) and `ben` (`ben-secret`).
fn desk() -> Desk {
    let dir = TempDir::new().unwrap();
    let key = DataKey::generate();
    let (mut keyring, recovery) = Keyring::create(dir.path(), &key, FAST).unwrap();
    keyring
        .add_account("ana", "ana-secret", &key, FAST)
        .unwrap();
    keyring
        .add_account("ben", "ben-secret", &key, FAST)
        .unwrap();
    Desk {
        dir,
        keyring,
        key,
        recovery,
    }
}

fn keyring_text(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(KEYRING_FILE_NAME)).unwrap()
}

fn wrong_credentials(error: &SignInError) -> (u32, Option<Duration>) {
    match error {
        SignInError::WrongCredentials { failures, wait } => (*failures, *wait),
        other => panic!("expected WrongCredentials, got {other:?}"),
    }
}

#[test]
fn every_account_unlocks_the_same_key() {
    let mut d = desk();
    assert_eq!(d.keyring.usernames(), ["ana", "ben"]);
    assert!(d.keyring.has_account("ana"));
    assert!(!d.keyring.has_account("cleo"));
    let ana = d.keyring.unlock("ana", "ana-secret", t0()).unwrap();
    let ben = d.keyring.unlock("ben", "ben-secret", t0()).unwrap();
    assert_eq!(ana.sqlcipher_key(), d.key.sqlcipher_key());
    assert_eq!(ben.sqlcipher_key(), d.key.sqlcipher_key());
    assert!(Keyring::exists(d.dir.path()));
}

#[test]
fn wrong_password_and_unknown_user_are_refused_alike() {
    let mut d = desk();
    let wrong = d.keyring.unlock("ana", "ben-secret", t0()).unwrap_err();
    assert_eq!(wrong_credentials(&wrong), (1, None));
    let unknown = d.keyring.unlock("zoe", "ana-secret", t0()).unwrap_err();
    assert_eq!(wrong_credentials(&unknown), (1, None));
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert_eq!(wrong.to_string(), "wrong username or password");
    // One account's password does not open another account.
    let err = d.keyring.unlock("ben", "ana-secret", t0()).unwrap_err();
    assert_eq!(wrong_credentials(&err), (1, None));
}

#[test]
fn a_password_change_replaces_the_wrap() {
    let mut d = desk();
    d.keyring
        .add_account("ana", "new-secret", &d.key, FAST)
        .unwrap();
    assert!(d.keyring.unlock("ana", "ana-secret", t0()).is_err());
    let key = d.keyring.unlock("ana", "new-secret", t0()).unwrap();
    assert_eq!(key.sqlcipher_key(), d.key.sqlcipher_key());
}

#[test]
fn a_removed_account_no_longer_unlocks() {
    let mut d = desk();
    d.keyring.unlock("ana", "wrong", t0()).unwrap_err();
    d.keyring.remove_account("ana").unwrap();
    assert!(!d.keyring.has_account("ana"));
    assert_eq!(d.keyring.usernames(), ["ben"]);
    let err = d.keyring.unlock("ana", "ana-secret", t0()).unwrap_err();
    // The old failure count went with the account.
    assert_eq!(wrong_credentials(&err), (1, None));
    let ben = d.keyring.unlock("ben", "ben-secret", t0()).unwrap();
    assert_eq!(ben.sqlcipher_key(), d.key.sqlcipher_key());
    // Removing again is fine.
    d.keyring.remove_account("ana").unwrap();
    d.keyring.remove_account("never-existed").unwrap();
    let reloaded = Keyring::load(d.dir.path()).unwrap();
    assert_eq!(reloaded.usernames(), ["ben"]);
}

#[test]
fn the_recovery_key_unlocks_however_it_is_typed() {
    let d = desk();
    let shown = d.recovery.as_str().to_owned();
    assert_eq!(shown.len(), 7 * 4 + 6);
    let key = d.keyring.unlock_with_recovery(&shown).unwrap();
    assert_eq!(key.sqlcipher_key(), d.key.sqlcipher_key());
    let sloppy = format!("  {}  ", shown.to_lowercase().replace('-', " "));
    let key = d.keyring.unlock_with_recovery(&sloppy).unwrap();
    assert_eq!(key.sqlcipher_key(), d.key.sqlcipher_key());
    let squashed = shown.replace('-', "");
    assert!(d.keyring.unlock_with_recovery(&squashed).is_ok());
}

#[test]
fn a_wrong_recovery_key_fails() {
    let d = desk();
    let mut wrong: Vec<char> = d.recovery.as_str().chars().collect();
    wrong[0] = if wrong[0] == 'A' { 'B' } else { 'A' };
    let wrong: String = wrong.into_iter().collect();
    assert!(matches!(
        d.keyring.unlock_with_recovery(&wrong),
        Err(VaultError::WrongRecoveryKey)
    ));
    for nonsense in ["", "ABCD", "not a recovery key at all!", "ana-secret"] {
        assert!(matches!(
            d.keyring.unlock_with_recovery(nonsense),
            Err(VaultError::WrongRecoveryKey)
        ));
    }
    // Another desk's recovery key does not open this one.
    let other = desk();
    assert!(matches!(
        d.keyring.unlock_with_recovery(other.recovery.as_str()),
        Err(VaultError::WrongRecoveryKey)
    ));
}

#[test]
fn a_refused_recovery_waits_for_the_audit_log_without_locking_anyone_out() {
    let mut d = desk();
    for _ in 0..FREE_ATTEMPTS + 2 {
        d.keyring.remember_refused_recovery("ana", t0()).unwrap();
    }
    // Not counted: ana's password still opens at once.
    assert!(d.keyring.unlock("ana", "ana-secret", t0()).is_ok());
    let pending = d.keyring.take_pending_failures().unwrap();
    assert_eq!(pending.len(), usize::try_from(FREE_ATTEMPTS).unwrap() + 2);
    assert!(pending
        .iter()
        .all(|failure| failure.username == "ana" && failure.reason == "wrong_recovery_key"));
}

#[test]
fn setting_up_twice_is_refused() {
    let d = desk();
    let before = keyring_text(d.dir.path());
    let err = Keyring::create(d.dir.path(), &DataKey::generate(), FAST).unwrap_err();
    assert!(matches!(err, VaultError::AlreadySetUp(_)), "{err:?}");
    assert_eq!(keyring_text(d.dir.path()), before);
}

#[test]
fn create_makes_the_data_directory() {
    let dir = TempDir::new().unwrap();
    let data_dir = dir.path().join("a").join("b");
    assert!(!Keyring::exists(&data_dir));
    Keyring::create(&data_dir, &DataKey::generate(), FAST).unwrap();
    assert!(Keyring::exists(&data_dir));
    let keyring = Keyring::load(&data_dir).unwrap();
    assert!(keyring.usernames().is_empty());
}

#[test]
fn loading_without_a_keyring_says_not_set_up() {
    let dir = TempDir::new().unwrap();
    assert!(!Keyring::exists(dir.path()));
    assert!(matches!(
        Keyring::load(dir.path()),
        Err(VaultError::NotSetUp)
    ));
    assert!(matches!(
        Keyring::load(&dir.path().join("missing")),
        Err(VaultError::NotSetUp)
    ));
}

#[test]
fn a_keyring_deleted_under_us_says_not_set_up() {
    let mut d = desk();
    std::fs::remove_file(d.dir.path().join(KEYRING_FILE_NAME)).unwrap();
    assert!(matches!(
        d.keyring.unlock("ana", "ana-secret", t0()),
        Err(SignInError::NotSetUp)
    ));
}

#[test]
fn a_damaged_keyring_is_reported() {
    let d = desk();
    let path = d.dir.path().join(KEYRING_FILE_NAME);
    let good = keyring_text(d.dir.path());

    for damaged in [
        good[..good.len() / 2].to_owned(),
        String::new(),
        "[1, 2, 3]".to_owned(),
        good.replace("\"version\": 1", "\"version\": 2"),
        // A salt cut short.
        {
            let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
            value["accounts"]["ana"]["salt"] = "abcd".into();
            value.to_string()
        },
        // Unusable argon2 parameters.
        {
            let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
            value["recovery"]["kdf"]["memory_kib"] = 0.into();
            value.to_string()
        },
    ] {
        std::fs::write(&path, &damaged).unwrap();
        let err = Keyring::load(d.dir.path()).unwrap_err();
        assert!(
            matches!(err, VaultError::Damaged { .. }),
            "{damaged}: {err:?}"
        );
        assert!(err.to_string().contains("damaged"), "{err}");
    }
}

#[test]
fn wraps_cannot_be_swapped_between_accounts() {
    let d = desk();
    let path = d.dir.path().join(KEYRING_FILE_NAME);
    let mut value: serde_json::Value = serde_json::from_str(&keyring_text(d.dir.path())).unwrap();
    value["accounts"]["ben"] = value["accounts"]["ana"].clone();
    value["recovery"] = value["accounts"]["ana"].clone();
    std::fs::write(&path, value.to_string()).unwrap();
    let mut keyring = Keyring::load(d.dir.path()).unwrap();
    assert!(keyring.unlock("ben", "ana-secret", t0()).is_err());
    assert!(matches!(
        keyring.unlock_with_recovery("ana-secret"),
        Err(VaultError::WrongRecoveryKey)
    ));
    assert!(keyring.unlock("ana", "ana-secret", t0()).is_ok());
}

#[test]
fn five_failures_lock_the_username_for_a_while() {
    let mut d = desk();
    for n in 1..=4 {
        let err = d.keyring.unlock("ana", "wrong", t0()).unwrap_err();
        assert_eq!(wrong_credentials(&err), (n, None));
        d.keyring.check_lockout("ana", t0()).unwrap();
    }
    let err = d.keyring.unlock("ana", "wrong", t0()).unwrap_err();
    assert_eq!(wrong_credentials(&err), (5, Some(Duration::from_secs(30))));
    // Another username is not affected.
    d.keyring.check_lockout("ben", t0()).unwrap();

    // Ten seconds later even the right password is refused, and the count does not grow.
    let err = d
        .keyring
        .unlock("ana", "ana-secret", t0() + secs(10))
        .unwrap_err();
    match err {
        SignInError::LockedOut { wait, failures } => {
            assert_eq!(wait, Duration::from_secs(20));
            assert_eq!(failures, 5);
        }
        other => panic!("expected LockedOut, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "too many failed attempts: try again in 20 seconds"
    );
    assert!(matches!(
        d.keyring.check_lockout("ana", t0() + secs(29)),
        Err(SignInError::LockedOut { failures: 5, .. })
    ));
    // The lockout is in the file: another process sees it.
    let other = Keyring::load(d.dir.path()).unwrap();
    assert!(other.check_lockout("ana", t0() + secs(10)).is_err());

    // After the wait the right password works and resets the count.
    let key = d
        .keyring
        .unlock("ana", "ana-secret", t0() + secs(31))
        .unwrap();
    assert_eq!(key.sqlcipher_key(), d.key.sqlcipher_key());
    d.keyring.check_lockout("ana", t0() + secs(31)).unwrap();
    let err = d
        .keyring
        .unlock("ana", "wrong", t0() + secs(32))
        .unwrap_err();
    assert_eq!(wrong_credentials(&err), (1, None));
}

#[test]
fn unknown_usernames_are_locked_out_too() {
    let mut d = desk();
    for _ in 0..5 {
        d.keyring.unlock("zoe", "guess", t0()).unwrap_err();
    }
    assert!(matches!(
        d.keyring.unlock("zoe", "guess", t0() + secs(1)),
        Err(SignInError::LockedOut { failures: 5, .. })
    ));
}

#[test]
fn delays_grow_with_each_further_failure_up_to_fifteen_minutes() {
    let mut d = desk();
    let mut now = t0();
    let mut waits = Vec::new();
    for _ in 0..11 {
        let err = d.keyring.unlock("ana", "wrong", now).unwrap_err();
        let (_, wait) = wrong_credentials(&err);
        if let Some(wait) = wait {
            waits.push(wait.as_secs());
            // Wait it out (and one second more) before the next try.
            now += chrono::Duration::from_std(wait).unwrap() + secs(1);
        }
    }
    assert_eq!(waits, [30, 60, 120, 240, 480, 900, 900]);
}

#[test]
fn pending_failures_are_handed_out_once() {
    let mut d = desk();
    d.keyring.unlock("ana", "wrong", t0()).unwrap_err();
    d.keyring
        .unlock("zoe", "wrong", t0() + secs(1))
        .unwrap_err();
    d.keyring
        .unlock("ana", "ana-secret", t0() + secs(2))
        .unwrap();

    // Seen by a fresh load (as the app would after `plkk` failed a sign-in).
    let mut reloaded = Keyring::load(d.dir.path()).unwrap();
    let pending = reloaded.take_pending_failures().unwrap();
    assert_eq!(
        pending,
        [
            PendingFailure {
                at: t0(),
                username: "ana".into(),
                reason: "wrong_password".into(),
                failures: 1,
            },
            PendingFailure {
                at: t0() + secs(1),
                username: "zoe".into(),
                reason: "unknown_user".into(),
                failures: 1,
            },
        ]
    );
    assert!(reloaded.take_pending_failures().unwrap().is_empty());
    assert!(d.keyring.take_pending_failures().unwrap().is_empty());
    assert!(Keyring::load(d.dir.path())
        .unwrap()
        .take_pending_failures()
        .unwrap()
        .is_empty());
}

#[test]
fn locked_out_attempts_are_remembered_but_not_counted() {
    let mut d = desk();
    for _ in 0..5 {
        d.keyring.unlock("ana", "wrong", t0()).unwrap_err();
    }
    d.keyring.take_pending_failures().unwrap();
    d.keyring
        .unlock("ana", "ana-secret", t0() + secs(5))
        .unwrap_err();
    let pending = d.keyring.take_pending_failures().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].reason, "locked_out");
    assert_eq!(pending[0].failures, 5);
    assert_eq!(pending[0].at, t0() + secs(5));
}

#[test]
fn pin_failures_count_toward_the_same_lockout() {
    let mut d = desk();
    for n in 1..=4 {
        let refusal = d.keyring.record_failure("ana", "wrong_pin", t0()).unwrap();
        assert_eq!(wrong_credentials(&refusal), (n, None));
    }
    d.keyring.record_success("ana").unwrap();
    for _ in 0..4 {
        d.keyring.record_failure("ana", "wrong_pin", t0()).unwrap();
    }
    let refusal = d.keyring.unlock("ana", "wrong", t0()).unwrap_err();
    assert_eq!(
        wrong_credentials(&refusal),
        (5, Some(Duration::from_secs(30)))
    );
    let refusal = d
        .keyring
        .record_failure("ana", "locked_out", t0() + secs(1))
        .unwrap();
    assert!(matches!(
        refusal,
        SignInError::LockedOut { failures: 5, .. }
    ));
    let pending = d.keyring.take_pending_failures().unwrap();
    let reasons: Vec<&str> = pending.iter().map(|p| p.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "wrong_pin",
            "wrong_pin",
            "wrong_pin",
            "wrong_pin",
            "wrong_pin",
            "wrong_pin",
            "wrong_pin",
            "wrong_pin",
            "wrong_password",
            "locked_out"
        ]
    );
    d.keyring.record_success("ana").unwrap();
    d.keyring.check_lockout("ana", t0() + secs(1)).unwrap();
}

#[test]
fn the_keyring_survives_a_reload() {
    let mut d = desk();
    d.keyring
        .add_account("cleo", "cleo-secret", &d.key, FAST)
        .unwrap();
    d.keyring.remove_account("ben").unwrap();
    for _ in 0..5 {
        d.keyring.unlock("ana", "wrong", t0()).unwrap_err();
    }
    drop(d.keyring);
    let mut reloaded = Keyring::load(d.dir.path()).unwrap();
    assert_eq!(reloaded.usernames(), ["ana", "cleo"]);
    assert!(matches!(
        reloaded.check_lockout("ana", t0() + secs(1)),
        Err(SignInError::LockedOut { failures: 5, .. })
    ));
    assert_eq!(reloaded.take_pending_failures().unwrap().len(), 5);
    let key = reloaded.unlock("cleo", "cleo-secret", t0()).unwrap();
    assert_eq!(key.sqlcipher_key(), d.key.sqlcipher_key());
    let key = reloaded.unlock_with_recovery(d.recovery.as_str()).unwrap();
    assert_eq!(key.sqlcipher_key(), d.key.sqlcipher_key());
}

#[test]
fn two_handles_on_one_keyring_do_not_lose_each_others_changes() {
    let mut d = desk();
    let mut cli = Keyring::load(d.dir.path()).unwrap();
    cli.unlock("ana", "wrong", t0()).unwrap_err();
    d.keyring
        .add_account("cleo", "cleo-secret", &d.key, FAST)
        .unwrap();
    cli.unlock("ana", "wrong", t0()).unwrap_err();
    let err = d.keyring.unlock("ana", "wrong", t0()).unwrap_err();
    assert_eq!(wrong_credentials(&err).0, 3);
    let reloaded = Keyring::load(d.dir.path()).unwrap();
    assert_eq!(reloaded.usernames(), ["ana", "ben", "cleo"]);
    // The app's handle sees a lockout that `plkk` caused, and a reset `plkk` made.
    cli.unlock("ana", "wrong", t0()).unwrap_err();
    cli.unlock("ana", "wrong", t0()).unwrap_err();
    assert!(matches!(
        d.keyring.check_lockout("ana", t0() + secs(1)),
        Err(SignInError::LockedOut { failures: 5, .. })
    ));
    cli.record_success("ana").unwrap();
    d.keyring.check_lockout("ana", t0() + secs(1)).unwrap();
}

#[test]
fn no_secret_is_stored_or_shown_in_the_clear() {
    let mut d = desk();
    d.keyring.unlock("ana", "wrong", t0()).unwrap_err();
    let hex = d.key.sqlcipher_key();
    let hex = &hex[2..66];
    let text = keyring_text(d.dir.path());
    assert!(!text.to_lowercase().contains(hex));
    assert!(!text.contains("ana-secret"));
    assert!(!text.contains(&d.recovery.as_str().replace('-', "")));
    assert!(!text.contains(d.recovery.as_str()));
    let shown = format!("{:?} {:?} {:?}", d.key, d.keyring, d.recovery);
    assert!(!shown.contains(hex), "{shown}");
    assert!(!shown.contains(d.recovery.as_str()), "{shown}");
    assert_eq!(format!("{:?}", d.key), "DataKey(..)");
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(d.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [KEYRING_FILE_NAME]);
}

#[test]
fn the_keyring_file_has_the_documented_shape() {
    let mut d = desk();
    d.keyring.unlock("ana", "wrong", t0()).unwrap_err();
    let value: serde_json::Value = serde_json::from_str(&keyring_text(d.dir.path())).unwrap();
    assert_eq!(value["version"], 1);
    let wrap = &value["accounts"]["ana"];
    assert_eq!(wrap["salt"].as_str().unwrap().len(), 32);
    assert_eq!(wrap["nonce"].as_str().unwrap().len(), 48);
    assert_eq!(wrap["ciphertext"].as_str().unwrap().len(), 96);
    assert_eq!(
        wrap["kdf"],
        serde_json::json!({"memory_kib": 8192, "iterations": 1, "parallelism": 1})
    );
    assert_eq!(value["failures"]["ana"]["count"], 1);
    assert_eq!(
        value["failures"]["ana"]["last_failure_at"],
        "2025-03-01T10:00:00Z"
    );
    assert_eq!(value["pending_failures"][0]["reason"], "wrong_password");
}

#[cfg(unix)]
#[test]
fn the_keyring_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let mut d = desk();
    d.keyring.unlock("ana", "wrong", t0()).unwrap_err();
    let mode = std::fs::metadata(d.dir.path().join(KEYRING_FILE_NAME))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn from_environment_defaults_to_desk_params() {
    // Only checks the value the environment of this test run gives.
    let params = KdfParams::from_environment();
    if std::env::var("PLKK_KDF").as_deref() == Ok("fast") {
        assert_eq!(params, FAST);
    } else {
        assert_eq!(params, KdfParams::DESK);
    }
    assert_eq!(KdfParams::FAST, FAST);
}
