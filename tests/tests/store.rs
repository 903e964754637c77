//! The desk store on a real (encrypted) SQLite file: migrations, durability across signing in
//! again, atomicity of a record with its outbox entry and audit entry, append-only tables, search
//! and case closing, and a damaged database file that is never overwritten.

use chrono::{DateTime, FixedOffset};
use plkk_domain::JsonObject;
use plkk_store::{Actor, ListQuery, Store, StoreError};
use plkk_tests::accounts::{self, NURSE, RECEPTIONIST};
use plkk_tests::samples;
use serde_json::{json, Value};

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2025-06-10T10:00:00+07:00").unwrap()
}

fn object(value: Value) -> JsonObject {
    value.as_object().unwrap().clone()
}

fn count(store: &Store, table: &str) -> i64 {
    store
        .connection()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
}

fn receptionist() -> Actor {
    RECEPTIONIST.actor()
}

fn nurse() -> Actor {
    NURSE.actor()
}

fn admit(store: &mut Store, intake: Value) -> String {
    plkk_store::admit_intake(store, &receptionist(), &object(intake), now())
        .unwrap()
        .id
        .to_string()
}

fn search(store: &Store, typed: &str) -> Vec<String> {
    let query = ListQuery {
        search: typed.to_owned(),
        open_only: false,
        limit: 50,
    };
    plkk_store::list_cases(store, &receptionist(), &query)
        .unwrap()
        .into_iter()
        .map(|case| case.intake.full_name)
        .collect()
}

#[test]
fn a_new_file_gets_every_table_and_data_survives_closing_and_signing_in_again() {
    let dir = tempfile::tempdir().unwrap();
    let desk = accounts::set_up_desk(dir.path());
    let intake_id = {
        let mut store = desk.access.open().unwrap();
        let intake_id = admit(&mut store, samples::intake());
        plkk_store::add_note(
            &mut store,
            &nurse(),
            &intake_id,
            &object(samples::note()),
            now(),
        )
        .unwrap();
        plkk_store::correct_intake(
            &mut store,
            &receptionist(),
            &intake_id,
            &object(json!({"employer_name": "PT Maju Bersama"})),
            "salah ketik nama perusahaan",
            now(),
        )
        .unwrap();
        intake_id
    };
    drop(desk);
    // A restart: nothing of the key is kept in memory; signing in unwraps it again.
    let signed_in = NURSE.sign_in(dir.path());
    let store = signed_in.store;
    let case = plkk_store::show_case(&store, &signed_in.actor, &intake_id, now()).unwrap();
    assert_eq!(
        case.intake.employer_name.as_deref(),
        Some("PT Maju Bersama"),
        "a correction must survive a restart"
    );
    assert_eq!(case.notes.len(), 1, "a saved note must survive a restart");
    assert_eq!(
        case.notes[0].note.author, NURSE.username,
        "the note names the nurse who wrote it"
    );
    assert_eq!(case.revisions.len(), 2, "admission and one correction");
    assert_eq!(
        case.revisions[1].changes[0].from.as_deref(),
        Some("PT Maju Jaya"),
        "the earlier value stays visible"
    );
    let status = plkk_store::status(&store).unwrap();
    assert_eq!(
        (status.intakes, status.notes, status.corrections),
        (1, 1, 1)
    );
    assert_eq!(status.outbox["pending"], 3, "one outbox entry per record");

    let file = std::fs::read(dir.path().join(plkk_store::DATABASE_FILE_NAME)).unwrap();
    assert!(
        file.len() >= 4096 && !file.starts_with(b"SQLite format 3\0"),
        "the database file on disk is encrypted, not a plain SQLite file"
    );
}

#[test]
fn the_database_runs_in_wal_mode_with_full_sync_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = accounts::set_up_desk(dir.path()).access.open().unwrap();
    let pragma = |name: &str| -> String {
        store
            .connection()
            .query_row(&format!("PRAGMA {name}"), [], |row| {
                row.get::<_, rusqlite::types::Value>(0)
            })
            .map(|value| format!("{value:?}"))
            .unwrap()
    };
    assert!(pragma("journal_mode").contains("wal"));
    assert!(pragma("synchronous").contains('2'), "FULL is 2");
    assert!(pragma("foreign_keys").contains('1'));
}

#[test]
fn a_failure_between_a_record_and_its_outbox_entry_leaves_neither() {
    let mut store = Store::open_in_memory().unwrap();
    let intake_id = admit(&mut store, samples::intake());
    let audit_entries = count(&store, "audit_log");
    store
        .connection()
        .execute_batch(
            "CREATE TRIGGER sabotage BEFORE INSERT ON outbox
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .unwrap();

    let admitted = plkk_store::admit_intake(
        &mut store,
        &receptionist(),
        &object(samples::intake_with(json!({"nik": "3216055708900004"}))),
        now(),
    );
    assert!(matches!(admitted, Err(StoreError::Sqlite(_))));
    let noted = plkk_store::add_note(
        &mut store,
        &nurse(),
        &intake_id,
        &object(samples::note()),
        now(),
    );
    assert!(noted.is_err());
    let corrected = plkk_store::correct_intake(
        &mut store,
        &receptionist(),
        &intake_id,
        &object(json!({"injury": "Luka robek"})),
        "typo",
        now(),
    );
    assert!(corrected.is_err());

    for (table, expected) in [
        ("intakes", 1),
        ("cases", 1),
        ("case_search", 1),
        ("notes", 0),
        ("intake_corrections", 0),
        ("outbox", 1),
        ("audit_log", audit_entries),
    ] {
        assert_eq!(
            count(&store, table),
            expected,
            "a failed write must leave no trace in {table}"
        );
    }
    let case = plkk_store::show_case(&store, &receptionist(), &intake_id, now()).unwrap();
    assert_eq!(case.intake.injury, "Patah tulang lengan kiri");
    assert_eq!(search(&store, "3216055708900004").len(), 0);
}

#[test]
fn records_and_the_audit_log_cannot_be_updated_or_deleted_in_place() {
    let mut store = Store::open_in_memory().unwrap();
    let intake_id = admit(&mut store, samples::intake());
    plkk_store::add_note(
        &mut store,
        &nurse(),
        &intake_id,
        &object(samples::note()),
        now(),
    )
    .unwrap();
    assert!(count(&store, "audit_log") > 0, "the acts were recorded");
    for statement in [
        "UPDATE intakes SET record = '{}'",
        "DELETE FROM intakes",
        "UPDATE notes SET record = '{}'",
        "DELETE FROM notes",
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let outcome = store.connection().execute(statement, []);
        assert!(outcome.is_err(), "`{statement}` must be refused");
    }
}

#[test]
fn each_role_may_do_only_its_own_work_and_a_refusal_writes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let intake_id = admit(&mut store, samples::intake());
    let audit_entries = count(&store, "audit_log");
    let refused_by_role = |result: Result<plkk_store::Saved, StoreError>| {
        matches!(result, Err(StoreError::Forbidden { .. }))
    };
    assert!(
        refused_by_role(plkk_store::admit_intake(
            &mut store,
            &nurse(),
            &object(samples::intake_with(json!({"nik": "3216055708900004"}))),
            now(),
        )),
        "a nurse may not admit"
    );
    assert!(
        refused_by_role(plkk_store::correct_intake(
            &mut store,
            &nurse(),
            &intake_id,
            &object(json!({"employer_name": "PT Lain"})),
            "typo",
            now(),
        )),
        "a nurse may not correct intake fields"
    );
    let receptionist_note = plkk_store::add_note(
        &mut store,
        &receptionist(),
        &intake_id,
        &object(samples::note()),
        now(),
    );
    let message = receptionist_note.as_ref().unwrap_err().to_string();
    assert!(
        refused_by_role(receptionist_note),
        "a receptionist may not write notes"
    );
    assert!(message.contains("a receptionist may not"), "{message}");
    for (table, expected) in [
        ("intakes", 1),
        ("notes", 0),
        ("intake_corrections", 0),
        ("outbox", 1),
        ("audit_log", audit_entries),
    ] {
        assert_eq!(
            count(&store, table),
            expected,
            "a refusal writes nothing in {table}"
        );
    }
    // Both may read the case; the administrator may do everything.
    assert!(plkk_store::show_case(&store, &nurse(), &intake_id, now()).is_ok());
    let admin = accounts::ADMIN.actor();
    plkk_store::add_note(
        &mut store,
        &admin,
        &intake_id,
        &object(samples::note()),
        now(),
    )
    .unwrap();
    plkk_store::correct_intake(
        &mut store,
        &admin,
        &intake_id,
        &object(json!({"employer_name": "PT Maju Bersama"})),
        "salah ketik",
        now(),
    )
    .unwrap();
}

#[test]
fn search_finds_name_prefixes_ignoring_case_and_accents_nik_kpj_and_employer() {
    let mut store = Store::open_in_memory().unwrap();
    admit(&mut store, samples::intake());
    admit(
        &mut store,
        samples::intake_with(json!({
            "nik": "3275011203850002", "kpj": "98765432109", "full_name": "Héléna Sitorus",
            "sex": "male", "birth_date": "1985-03-12", "employer_name": "CV Bekasi Logam"
        })),
    );
    let siti = vec!["Siti Rahmawati".to_owned()];
    let helena = vec!["Héléna Sitorus".to_owned()];
    assert_eq!(search(&store, "siti"), siti, "first-name prefix, any case");
    assert_eq!(search(&store, "RAHMA"), siti, "family-name prefix");
    assert_eq!(search(&store, "helena"), helena, "accents are ignored");
    assert_eq!(search(&store, "3216"), siti, "NIK prefix");
    assert_eq!(search(&store, "987654"), helena, "KPJ prefix");
    assert_eq!(search(&store, "bekasi logam"), helena, "employer words");
    assert_eq!(search(&store, "sit").len(), 2, "Siti and Sitorus");
    assert!(search(&store, "zzz").is_empty());
}

#[test]
fn a_correction_changes_what_search_finds() {
    let mut store = Store::open_in_memory().unwrap();
    let intake_id = admit(&mut store, samples::intake());
    plkk_store::correct_intake(
        &mut store,
        &receptionist(),
        &intake_id,
        &object(json!({"nik": "3216055708900009"})),
        "NIK salah ketik",
        now(),
    )
    .unwrap();
    assert_eq!(search(&store, "3216055708900009").len(), 1);
    assert!(search(&store, "3216055708900003").is_empty());
    assert_eq!(
        plkk_store::find_by_nik(&store, &nurse(), "3216055708900009")
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn an_outcome_closes_the_case_and_correcting_that_note_reopens_it() {
    let mut store = Store::open_in_memory().unwrap();
    let intake_id = admit(&mut store, samples::intake());
    let open_cases = |store: &Store| {
        let query = ListQuery {
            open_only: true,
            limit: 10,
            ..ListQuery::default()
        };
        plkk_store::list_cases(store, &nurse(), &query)
            .unwrap()
            .len()
    };
    assert_eq!(open_cases(&store), 1);
    let closing = plkk_store::add_note(
        &mut store,
        &nurse(),
        &intake_id,
        &object(json!({"text": "Sembuh, kembali bekerja", "outcome": "recovered"})),
        now(),
    )
    .unwrap();
    assert_eq!(open_cases(&store), 0, "a case with an outcome is closed");
    assert!(
        plkk_store::show_case(&store, &nurse(), &intake_id, now())
            .unwrap()
            .closed
    );

    plkk_store::add_note(
        &mut store,
        &nurse(),
        &intake_id,
        &object(json!({"text": "Salah pasien, belum sembuh", "corrects": closing.id})),
        now(),
    )
    .unwrap();
    let case = plkk_store::show_case(&store, &nurse(), &intake_id, now()).unwrap();
    assert!(!case.closed, "the outcome was corrected away");
    assert_eq!(case.notes.len(), 2, "both notes stay visible");
    assert_eq!(case.notes[0].corrected_by, vec![case.notes[1].note.id]);
}

#[test]
fn notes_must_name_an_existing_case_and_a_note_of_that_case() {
    let mut store = Store::open_in_memory().unwrap();
    let intake_id = admit(&mut store, samples::intake());
    let missing = "01890000-0000-7000-8000-000000000000";
    let refused_rule = |result: Result<plkk_store::Saved, StoreError>| match result {
        Err(StoreError::Invalid(rejected)) => (
            rejected.errors[0].field.clone(),
            rejected.errors[0].rule.clone(),
        ),
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(
        refused_rule(plkk_store::add_note(
            &mut store,
            &nurse(),
            missing,
            &object(samples::note()),
            now()
        )),
        ("intake_id".to_owned(), "not_found".to_owned())
    );
    assert_eq!(
        refused_rule(plkk_store::add_note(
            &mut store,
            &nurse(),
            &intake_id,
            &object(json!({"text": "koreksi", "corrects": missing})),
            now()
        )),
        ("corrects".to_owned(), "not_found".to_owned())
    );
    assert_eq!(count(&store, "notes"), 0);
}

#[test]
fn a_file_that_is_not_a_database_gives_a_clear_error_and_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(plkk_store::DATABASE_FILE_NAME);
    let damaged = "this is not a database, it is a text file that got in the way".repeat(100);
    std::fs::write(&path, &damaged).unwrap();

    let error = Store::open_in_dir(dir.path(), &plkk_vault::DataKey::generate())
        .unwrap_err()
        .to_string();
    assert!(error.contains("cannot open the database"), "{error}");
    assert!(error.contains("desk.sqlite3"), "names the file: {error}");

    // No keyring: setup would make a new desk, but it refuses to replace the unreadable file.
    assert_eq!(
        plkk_store::desk_phase(dir.path()),
        plkk_store::DeskPhase::NeedsSetup
    );
    let obstacle = plkk_store::setup_obstacle(dir.path()).expect("setup sees the damaged file");
    assert!(
        obstacle.contains("desk.sqlite3"),
        "names the file: {obstacle}"
    );
    let admin = plkk_store::NewAccount {
        username: accounts::ADMIN.username,
        display_name: accounts::ADMIN.display_name,
        role: plkk_domain::Role::Admin,
        password: accounts::ADMIN.password,
        pin: None,
    };
    let refused = plkk_store::setup(dir.path(), &admin, plkk_vault::KdfParams::FAST, now())
        .expect_err("setup refuses over a damaged database");
    assert!(refused.to_string().contains("cannot be read"), "{refused}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        damaged,
        "the damaged file is left exactly as it was"
    );
    assert_eq!(
        plkk_store::desk_phase(dir.path()),
        plkk_store::DeskPhase::NeedsSetup,
        "no keyring was written"
    );
}

#[test]
fn the_search_index_of_an_older_desk_is_rebuilt_in_the_new_normal_form() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.sqlite3");
    let mut store = Store::open_plain(&path).unwrap();
    admit(
        &mut store,
        samples::intake_with(
            json!({"full_name": "Siti Ma'rufah", "employer_name": "PT Jaya-Abadi"}),
        ),
    );
    // What an older desk's index held: the names as typed (migration 0003), which the tokenizer
    // split at the apostrophe. The tables of the migrations after 0004 go too, so they can run
    // again (a migration that creates a table adds it to this list), and the table of applied
    // names, which an older desk did not have (it counted in `user_version`).
    store
        .connection()
        .execute_batch(
            "DROP TABLE drafts; DROP TABLE employers; DROP TABLE sync_link;
             DROP TABLE bpu_registrations; DROP TABLE bpu_decisions;
             DROP TABLE document_uploads; DROP TABLE document_removals; DROP TABLE documents;
             DROP TABLE document_blobs;
             ALTER TABLE outbox ADD COLUMN payload TEXT;
             UPDATE outbox SET payload = (SELECT body.payload FROM outbox_payloads AS body
                                          WHERE body.seq = outbox.seq);
             DROP TABLE outbox_payloads;
             DROP TABLE applied_migrations;
             DELETE FROM case_search;
             INSERT INTO case_search (rowid, full_name, employer_name)
                 SELECT intake_seq, json_extract(record, '$.full_name'),
                        json_extract(record, '$.employer_name') FROM cases;
             PRAGMA user_version = 3;",
        )
        .unwrap();
    assert!(
        search(&store, "marufah").is_empty(),
        "the old index misses the name typed without its apostrophe"
    );
    drop(store);
    let store = Store::open_plain(&path).unwrap();
    let version: i64 = store
        .connection()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert!(version >= 4, "migration 0004 ran");
    assert_eq!(search(&store, "marufah"), ["Siti Ma'rufah"]);
    assert_eq!(search(&store, "Ma'rufah"), ["Siti Ma'rufah"]);
    assert_eq!(
        search(&store, "jayaabadi").len(),
        0,
        "a dash still splits words"
    );
    assert_eq!(search(&store, "jaya abadi"), ["Siti Ma'rufah"]);
}
