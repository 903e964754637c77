//! The branch schema's migrations, embedded at compile time from `migrations/branch/` and applied
//! by name when the database opens (`plkk-migrate`: a table of applied names; a branch database
//! from before names, which counted them in `PRAGMA user_version`, is adopted once). A migration
//! may be followed by a step in Rust (`AFTER`), run by the runner in the migration's transaction
//! right after its SQL: it runs exactly once, committed together with the migration's name.
//! The schema's triggers call one function written in Rust, `plkk_search_words` (the search
//! normal form, `inbox.rs`): it is registered on the connection here, before anything else.

use plkk_migrate::{rewrite_checks, Migration, MigrationFailed, Schema};
use rusqlite::Connection;

use crate::sql::{params, Db};
use crate::BranchError;

macro_rules! migration {
    ($name:literal) => {
        Migration {
            name: $name,
            sql: include_str!(concat!("../../../migrations/branch/", $name, ".sql")),
        }
    };
}

/// Every migration, in the order a new database applies them. Append only: never edit, rename or
/// remove a released one (a name added late still runs on databases that have later ones).
const MIGRATIONS: &[Migration] = &[
    migration!("0001_init"),
    migration!("0002_audit"),
    migration!("0003_desk_clock"),
    migration!("0010_console"),
    migration!("0015_inbox_normal_form"),
    migration!("0020_device_care"),
    migration!("0030_bpu"),
    migration!("0040_documents"),
    migration!("0050_changes_entry_once"),
    migration!("0051_inbox_names_per_push"),
    migration!("0052_checks_without_lists"),
    migration!("0053_rare_checks_without_lists"),
];

/// The order branch databases counted migrations in `user_version` before names were recorded.
/// Never changes.
const COUNTED: &[&str] = &["0001_init", "0002_audit", "0003_desk_clock", "0010_console"];

const SCHEMA: Schema = Schema {
    migrations: MIGRATIONS,
    counted: COUNTED,
};

/// A change SQL cannot make, run in the migration's transaction right after its SQL.
type After = fn(&Connection) -> rusqlite::Result<()>;

/// What follows a migration's SQL, by migration name.
const AFTER: &[(&str, After)] = &[
    ("0030_bpu", widen_kinds),
    ("0040_documents", widen_kinds_for_documents),
    ("0052_checks_without_lists", kinds_without_lists),
    ("0053_rare_checks_without_lists", rare_checks_without_lists),
];

/// Adds the BPU kinds to the CHECK lists of `entries.kind` and `changes.kind` by rewriting the
/// two tables' definitions in place ([`plkk_migrate::rewrite_checks`]: the stored rows already
/// satisfy the wider list). A rebuild is not possible: the inbox's triggers and the foreign keys
/// of intakes, corrections and notes name `entries`.
fn widen_kinds(tx: &Connection) -> rusqlite::Result<()> {
    rewrite_checks(
        tx,
        &[
            (
                "entries",
                "CHECK (kind IN ('intake', 'intake_correction', 'note'))",
                "CHECK (kind IN ('intake', 'intake_correction', 'note', 'bpu_registration'))",
            ),
            (
                "changes",
                "CHECK (kind IN ('case_status', 'record', 'conflict'))",
                "CHECK (kind IN ('case_status', 'record', 'conflict', 'bpu_decision', 'reference'))",
            ),
        ],
    )
}

/// Adds the document kinds to the CHECK list of `entries.kind`, the same way.
fn widen_kinds_for_documents(tx: &Connection) -> rusqlite::Result<()> {
    rewrite_checks(
        tx,
        &[(
            "entries",
            "CHECK (kind IN ('intake', 'intake_correction', 'note', 'bpu_registration'))",
            "CHECK (kind IN ('intake', 'intake_correction', 'note', 'bpu_registration', \
             'document', 'document_removal'))",
        )],
    )
}

/// Writes the kind CHECKs of `entries` and `changes` as comparisons joined by `OR`: the same
/// lists, without the temporary index SQLite builds for an `IN` list of more than two constants
/// on every insert (0052).
fn kinds_without_lists(tx: &Connection) -> rusqlite::Result<()> {
    rewrite_checks(
        tx,
        &[
            (
                "entries",
                "CHECK (kind IN ('intake', 'intake_correction', 'note', 'bpu_registration', \
                 'document', 'document_removal'))",
                "CHECK (kind = 'intake' OR kind = 'intake_correction' OR kind = 'note' \
                 OR kind = 'bpu_registration' OR kind = 'document' OR kind = 'document_removal')",
            ),
            (
                "changes",
                "CHECK (kind IN ('case_status', 'record', 'conflict', 'bpu_decision', 'reference'))",
                "CHECK (kind = 'case_status' OR kind = 'record' OR kind = 'conflict' \
                 OR kind = 'bpu_decision' OR kind = 'reference')",
            ),
        ],
    )
}

/// The two lists 0052 left, on tables written rarely (a break found in a desk's audit log, an
/// officer added), written the same way, so that no table of the branch builds a temporary index
/// when a row is written (0053).
fn rare_checks_without_lists(tx: &Connection) -> rusqlite::Result<()> {
    rewrite_checks(
        tx,
        &[
            (
                "audit_breaks",
                "CHECK (kind IN ('altered', 'missing', 'broken_link', 'changed_after_sent'))",
                "CHECK (kind = 'altered' OR kind = 'missing' OR kind = 'broken_link' \
                 OR kind = 'changed_after_sent')",
            ),
            (
                "officers",
                "CHECK (role IN ('viewer', 'verifier', 'admin'))",
                "CHECK (role = 'viewer' OR role = 'verifier' OR role = 'admin')",
            ),
        ],
    )
}

impl From<MigrationFailed> for BranchError {
    fn from(failed: MigrationFailed) -> BranchError {
        BranchError::Migration {
            name: failed.name,
            source: failed.source,
        }
    }
}

/// The PostgreSQL schema (`migrations/branch-postgres/`), applied by name like SQLite's. It
/// starts at the SQLite schema's state after 0030 in one file; append-only from there.
const POSTGRES_MIGRATIONS: &[Migration] = &[
    Migration {
        name: "0001_init",
        sql: include_str!("../../../migrations/branch-postgres/0001_init.sql"),
    },
    Migration {
        name: "0002_documents",
        sql: include_str!("../../../migrations/branch-postgres/0002_documents.sql"),
    },
    Migration {
        name: "0003_unixepoch_truncates",
        sql: include_str!("../../../migrations/branch-postgres/0003_unixepoch_truncates.sql"),
    },
    Migration {
        name: "0004_changes_entry_once",
        sql: include_str!("../../../migrations/branch-postgres/0004_changes_entry_once.sql"),
    },
    Migration {
        name: "0005_unixepoch_inlined",
        sql: include_str!("../../../migrations/branch-postgres/0005_unixepoch_inlined.sql"),
    },
    Migration {
        name: "0006_inbox_record_parsed_once",
        sql: include_str!("../../../migrations/branch-postgres/0006_inbox_record_parsed_once.sql"),
    },
];

/// Applies the PostgreSQL migrations not yet recorded, with `plkk-migrate`'s plan. Several
/// servers may start at once on one database: all pending migrations run in one transaction that
/// first takes an advisory lock, so the second server waits, then finds them recorded. PostgreSQL
/// changes its schema inside a transaction, so a failed migration leaves nothing behind.
pub(crate) fn apply_postgres(db: &mut Db) -> Result<(), BranchError> {
    let tx = db.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock(727015)", [])?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS applied_migrations (
             name       TEXT PRIMARY KEY,
             applied_at TEXT NOT NULL
         )",
    )?;
    let applied: Vec<String> = tx
        .prepare("SELECT name FROM applied_migrations")?
        .query_map([], |row| row.get(0))?
        .collect::<crate::sql::Result<_>>()?;
    for migration in plkk_migrate::missing(POSTGRES_MIGRATIONS, &applied) {
        tx.execute_batch(migration.sql)
            .map_err(|source| BranchError::MigrationPostgres {
                name: migration.name,
                source,
            })?;
        tx.execute(
            "INSERT INTO applied_migrations (name, applied_at) VALUES (?1, ?2)",
            params![migration.name, crate::db::time_text(chrono::Utc::now())],
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub(crate) fn apply(conn: &mut Connection) -> Result<(), BranchError> {
    crate::inbox::register_search_words(conn)?;
    plkk_migrate::apply(conn, &SCHEMA, |name, tx| {
        for (_, after) in AFTER.iter().filter(|(after, _)| *after == name) {
            after(tx).map_err(|source| MigrationFailed { name, source })?;
        }
        Ok::<(), BranchError>(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_from_empty_and_record_their_count() {
        SCHEMA.check().unwrap();
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        let version: usize = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len());
        // Every start of the server and every admin command opens the database: a no-op then.
        apply(&mut conn).unwrap();
    }

    #[test]
    fn every_file_in_migrations_branch_is_listed() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations/branch");
        let mut files: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|name| name.strip_suffix(".sql").map(str::to_owned))
            .collect();
        files.sort();
        let mut listed: Vec<&str> = MIGRATIONS.iter().map(|migration| migration.name).collect();
        listed.sort();
        assert_eq!(
            files, listed,
            "a migration file that is not listed never runs"
        );
    }

    #[test]
    fn a_branch_database_that_counted_its_migrations_is_adopted() {
        let mut conn = Connection::open_in_memory().unwrap();
        for migration in &MIGRATIONS[..3] {
            conn.execute_batch(migration.sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        apply(&mut conn).expect("0001 to 0003 do not run again");
        let mut expected = COUNTED.to_vec();
        // Migrations named after the counting runner run once on such a database.
        expected.extend(
            MIGRATIONS[COUNTED.len()..]
                .iter()
                .map(|migration| migration.name),
        );
        assert_eq!(plkk_migrate::applied_names(&conn).unwrap(), expected);
    }

    #[test]
    fn the_rows_a_push_writes_build_no_temporary_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        // Each of these runs once per pushed entry; `OpenEphemeral` would be a temporary index.
        for statement in [
            "INSERT INTO entries (seq, id, device_id, device_seq, kind, record_id, intake_id,
                                  outcome, entry, receipt, received_at)
             VALUES (1, 'e', 'd', 1, 'note', 'r', 'i', 'applied', '{}', '{}', 'x')",
            "INSERT INTO changes (clinic_id, intake_id, kind, origin_device, body, created_at)
             VALUES (1, 'i', 'case_status', NULL, '{}', 'x')",
            "INSERT INTO cases (intake_id, clinic_id, record, warnings, status, status_changed_at)
             VALUES ('i', 1, '{}', '[]', 'received', 'x')",
            "UPDATE cases SET status = 'not_eligible' WHERE intake_id = 'i'",
        ] {
            assert!(
                !plkk_migrate::builds_temporary_index(&conn, statement).unwrap(),
                "{statement}"
            );
        }
        // Nor does a row of any other table.
        assert_eq!(
            plkk_migrate::tables_with_temporary_indexes(&conn).unwrap(),
            Vec::<String>::new()
        );
        // The rewritten lists still refuse what they refused.
        let refused = conn.execute(
            "INSERT INTO officers (username, display_name, role, password_hash, created_at)
             VALUES ('o', 'O', 'superuser', 'h', 'x')",
            [],
        );
        assert!(refused.unwrap_err().to_string().contains("CHECK"));
        let refused = conn.execute(
            "INSERT INTO changes (clinic_id, intake_id, kind, origin_device, body, created_at)
             VALUES (1, 'i', 'gossip', NULL, '{}', 'x')",
            [],
        );
        assert!(refused.unwrap_err().to_string().contains("CHECK"));
    }

    #[test]
    fn a_branch_that_counted_every_migration_of_its_day_gets_the_later_ones() {
        let mut conn = Connection::open_in_memory().unwrap();
        for name in COUNTED {
            let migration = MIGRATIONS.iter().find(|m| m.name == *name).unwrap();
            conn.execute_batch(migration.sql).unwrap();
        }
        conn.pragma_update(None, "user_version", COUNTED.len())
            .unwrap();
        apply(&mut conn).expect("no counted migration runs again");
        let names = plkk_migrate::applied_names(&conn).unwrap();
        assert_eq!(&names[..COUNTED.len()], COUNTED);
        assert_eq!(
            &names[COUNTED.len()..],
            [
                "0015_inbox_normal_form",
                "0020_device_care",
                "0030_bpu",
                "0040_documents",
                "0050_changes_entry_once",
                "0051_inbox_names_per_push",
                "0052_checks_without_lists",
                "0053_rare_checks_without_lists"
            ]
        );
        // 0020_device_care's columns and table are there.
        conn.prepare("SELECT last_seen_at, replaced_by FROM devices")
            .expect("devices has last_seen_at and replaced_by");
        conn.prepare("SELECT made_at, file, bytes FROM backups")
            .expect("the backups table exists");
    }

    #[test]
    fn an_older_branchs_inbox_names_are_indexed_anew_in_the_search_normal_form() {
        let conn = Connection::open_in_memory().unwrap();
        let before = MIGRATIONS
            .iter()
            .position(|migration| migration.name == "0015_inbox_normal_form")
            .unwrap();
        for migration in &MIGRATIONS[..before] {
            conn.execute_batch(migration.sql).unwrap();
        }
        conn.pragma_update(None, "user_version", before).unwrap();
        // Only the inbox projection and what a page joins are read: no intakes or entries.
        conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
        conn.execute_batch(
            "INSERT INTO clinics (id, code, name, created_at) VALUES (1, 'K', 'Klinik', 'x');
             INSERT INTO cases (intake_id, clinic_id, record, warnings, status, status_changed_at)
             VALUES ('case-1', 1, '{\"accident_at\":\"2027-01-15T10:00:00+07:00\"}', '[]', 'received', 'x');
             INSERT INTO inbox (seq, intake_id, clinic_id, device_id, received_at, accident_at,
                accident_month, full_name, nik, kpj, segment, status, reported_late)
             VALUES (1, 'case-1', 1, 'd', 1800000000, 1799990000, '2027-01', 'Siti Ma''rufah',
                '3275014501900002', NULL, 'PU', 'received', 0);",
        )
        .unwrap();
        let found = |conn: &Db| {
            let query = crate::inbox::InboxQuery {
                q: Some("marufah".into()),
                ..Default::default()
            };
            let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
            crate::inbox::page(conn, &query, now).unwrap().rows.len()
        };
        let mut db = Db::Sqlite(conn);
        assert_eq!(
            found(&db),
            0,
            "the old index split the name at its apostrophe"
        );
        let Db::Sqlite(conn) = &mut db else {
            unreachable!()
        };
        apply(conn).unwrap();
        assert_eq!(found(&db), 1, "0015 indexed the name again");
        db.execute(
            "UPDATE inbox SET full_name = 'Nur Ma''ruf' WHERE seq = 1",
            [],
        )
        .unwrap();
        assert_eq!(found(&db), 0, "a corrected name leaves the index");
    }

    #[test]
    fn an_older_branch_takes_the_bpu_kinds_and_still_refuses_others() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A branch database of main before Daftar BPU: its migrations applied by name.
        let before = MIGRATIONS
            .iter()
            .position(|migration| migration.name == "0030_bpu")
            .unwrap();
        let before_bpu = Schema {
            migrations: &MIGRATIONS[..before],
            counted: COUNTED,
        };
        crate::inbox::register_search_words(&conn).unwrap();
        plkk_migrate::apply(&mut conn, &before_bpu, |_, _| Ok::<(), MigrationFailed>(())).unwrap();
        conn.execute_batch(
            "INSERT INTO clinics (id, code, name, created_at) VALUES (1, 'K', 'Klinik', 'x');
             INSERT INTO changes (clinic_id, intake_id, kind, body, created_at)
             VALUES (1, 'i', 'case_status', '{}', 'x');",
        )
        .unwrap();
        apply(&mut conn).unwrap();
        let kinds = |table: &str, kind: &str| {
            conn.execute(
                &format!("INSERT INTO {table} (clinic_id, intake_id, kind, body, created_at) VALUES (1, 'i', ?1, '{{}}', 'x')"),
                [kind],
            )
        };
        assert!(kinds("changes", "bpu_decision").is_ok());
        assert!(kinds("changes", "reference").is_ok());
        assert!(
            kinds("changes", "gossip").is_err(),
            "the list is wider, not gone"
        );
        let entry_sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'entries'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert!(entry_sql.contains("'bpu_registration'"));
        assert!(
            entry_sql.contains("kind = 'document' OR kind = 'document_removal'"),
            "0040_documents widened the list again, 0052 wrote it with OR: {entry_sql}"
        );
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM changes", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 3, "the older change is kept");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        // The widening runs once, with 0030_bpu's name: opening again does not run it (a second
        // run would find no narrow list to replace and fail).
        apply(&mut conn).expect("0030_bpu and its widening are not run twice");
        let names = plkk_migrate::applied_names(&conn).unwrap();
        assert_eq!(names.iter().filter(|name| *name == "0030_bpu").count(), 1);
    }
}
