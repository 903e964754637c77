//! The desk database at rest: unreadable without a key, opened by any account's password or the
//! recovery key, closed to a removed account, and an older unencrypted database encrypted at setup
//! without losing a record.

use plkk_tests::accounts::{set_up_desk, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::bins::{run_plkk_as, run_plkk_with};
use plkk_tests::samples;
use plkk_vault::Keyring;

fn desk_file(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join(plkk_store::DATABASE_FILE_NAME)
}

fn admit(dir: &std::path::Path) -> String {
    let out = run_plkk_as(
        dir,
        RECEPTIONIST,
        &["intake", "add"],
        &samples::intake().to_string(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn the_database_file_cannot_be_read_without_the_key() {
    let dir = tempfile::tempdir().unwrap();
    set_up_desk(dir.path());
    admit(dir.path());
    let plain = rusqlite::Connection::open(desk_file(dir.path())).unwrap();
    let error = plain
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| {
            row.get::<_, i64>(0)
        })
        .unwrap_err();
    assert!(error.to_string().contains("not a database"), "{error}");
    // Neither the patient's name nor her NIK appear in the file's bytes.
    let bytes = std::fs::read(desk_file(dir.path())).unwrap();
    let name = samples::intake()["full_name"].as_str().unwrap().to_owned();
    let nik = samples::intake()["nik"].as_str().unwrap().to_owned();
    for secret in [name, nik] {
        assert!(
            !bytes
                .windows(secret.len())
                .any(|window| window == secret.as_bytes()),
            "{secret} is readable in the file"
        );
    }
}

#[test]
fn every_account_and_the_recovery_key_open_it_and_a_removed_account_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let recovery_key = set_up_desk(dir.path()).recovery_key;
    let id = admit(dir.path());
    for staff in [ADMIN, RECEPTIONIST, NURSE] {
        let signed = staff.sign_in(dir.path());
        let cases =
            plkk_store::list_cases(&signed.store, &signed.actor, &Default::default()).unwrap();
        assert_eq!(cases.len(), 1, "{} sees the case", staff.username);
    }
    // The recovery key, typed in lower case with spaces, opens the database too.
    let keyring = Keyring::load(dir.path()).unwrap();
    let typed = recovery_key.to_lowercase().replace('-', " ");
    let key = keyring
        .unlock_with_recovery(&typed)
        .expect("the recovery key unwraps the key");
    let store =
        plkk_store::Store::open_in_dir(dir.path(), &key).expect("the recovery key opens it");
    let intakes: i64 = store
        .connection()
        .query_row("SELECT count(*) FROM intakes", [], |row| row.get(0))
        .unwrap();
    assert_eq!(intakes, 1);
    drop(store);

    let out = run_plkk_as(dir.path(), ADMIN, &["account", "remove", "ani"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keyring = Keyring::load(dir.path()).unwrap();
    assert!(!keyring.has_account("ani"), "her key wrap is gone");
    let refused = plkk_store::sign_in(dir.path(), NURSE.username, NURSE.password, "test", now());
    assert!(matches!(
        refused,
        Err(plkk_store::StoreError::SignIn(
            plkk_vault::SignInError::WrongCredentials { .. }
        ))
    ));
    // The others still open it and see the case.
    let out = run_plkk_as(dir.path(), RECEPTIONIST, &["intake", "show", &id], "");
    assert!(out.status.success());
}

#[test]
fn an_unencrypted_database_of_an_earlier_version_is_encrypted_at_setup_keeping_every_record() {
    let dir = tempfile::tempdir().unwrap();
    // An earlier version's desk: a plain file with cases, notes and a correction.
    let mut ids = Vec::new();
    {
        let mut store = plkk_store::Store::open_plain(&desk_file(dir.path())).unwrap();
        let receptionist = RECEPTIONIST.actor();
        let nurse = NURSE.actor();
        for _ in 0..3 {
            let fields = samples::intake().as_object().cloned().unwrap();
            let id = plkk_store::admit_intake(&mut store, &receptionist, &fields, now())
                .unwrap()
                .id
                .to_string();
            let note = samples::note().as_object().cloned().unwrap();
            plkk_store::add_note(&mut store, &nurse, &id, &note, now()).unwrap();
            ids.push(id);
        }
        let change = serde_json::json!({ "employer_name": "PT Maju Bersama" });
        plkk_store::correct_intake(
            &mut store,
            &receptionist,
            &ids[0],
            change.as_object().unwrap(),
            "salah ketik",
            now(),
        )
        .unwrap();
    }
    assert_eq!(plkk_store::unencrypted_records(dir.path()), Some(7));

    let out = run_plkk_with(
        dir.path(),
        &[("PLKK_PASSWORD", ADMIN.password)],
        &[
            "setup",
            "--admin-user",
            "admin",
            "--admin-name",
            "Dewi Administrator",
        ],
        "",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("(7 records) is now encrypted"), "{stderr}");
    let recovery = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        recovery.trim().split('-').count(),
        7,
        "the recovery key is printed: {recovery}"
    );

    // Every record is there, behind the key.
    let listed = run_plkk_as(
        dir.path(),
        ADMIN,
        &["intake", "list", "--all", "--json"],
        "",
    );
    let cases: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(cases.len(), 3);
    let shown = run_plkk_as(
        dir.path(),
        ADMIN,
        &["intake", "show", &ids[0], "--json"],
        "",
    );
    let case: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(case["employer_name"], "PT Maju Bersama");
    assert_eq!(case["notes"].as_array().unwrap().len(), 1);
    let plain = rusqlite::Connection::open(desk_file(dir.path())).unwrap();
    assert!(plain
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row
            .get::<_, i64>(0))
        .is_err());
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("encrypting"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The records are still queued for the branch, and the encryption is in the audit log.
    let audit = run_plkk_as(dir.path(), ADMIN, &["audit", "list", "--json"], "");
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&audit.stdout).unwrap();
    assert!(entries
        .iter()
        .any(|entry| entry["action"] == "database_encrypted"));
    // Setup does not run twice.
    let again = run_plkk_with(
        dir.path(),
        &[("PLKK_PASSWORD", "another-pass")],
        &[
            "setup",
            "--admin-user",
            "mallory",
            "--admin-name",
            "Mallory",
        ],
        "",
    );
    assert_eq!(again.status.code(), Some(2));
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}
