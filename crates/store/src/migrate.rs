//! The desk schema's migrations, embedded at compile time from `migrations/desk/` and applied by
//! name when the database opens (`plkk-migrate`: a table of applied names; a desk from before
//! names, which counted them in `PRAGMA user_version`, is adopted once). A migration that changes
//! what a projection must hold in a way SQL cannot compute (the search index's normal form) names
//! a rebuild in Rust, run in the same transaction right after its SQL.

use plkk_migrate::{Migration, MigrationFailed, Schema};
use rusqlite::Connection;

use crate::StoreError;

macro_rules! migration {
    ($name:literal) => {
        Migration {
            name: $name,
            sql: include_str!(concat!("../../../migrations/desk/", $name, ".sql")),
        }
    };
}

/// Every migration, in the order a new desk applies them. Append only: never edit, rename or
/// remove a released one (a name added late still runs on desks that have later ones).
const MIGRATIONS: &[Migration] = &[
    migration!("0001_init"),
    migration!("0002_sync"),
    migration!("0003_accounts_audit"),
    migration!("0004_search_normal_form"),
    migration!("0007_drafts_employers"),
    migration!("0005_sync_link"),
    migration!("0015_employers_normal_form"),
    migration!("0030_bpu"),
    migration!("0040_documents"),
    migration!("0050_outbox_by_record"),
    migration!("0060_checks_without_lists"),
    migration!("0061_outbox_payloads"),
    migration!("0062_sync_link_audit_lines"),
];

/// The order desks counted migrations in `user_version` before names were recorded. Never changes.
const COUNTED: &[&str] = &[
    "0001_init",
    "0002_sync",
    "0003_accounts_audit",
    "0004_search_normal_form",
    "0007_drafts_employers",
    "0005_sync_link",
];

pub(crate) const SCHEMA: Schema = Schema {
    migrations: MIGRATIONS,
    counted: COUNTED,
};

/// A rebuild of a projection in Rust, inside the migration's transaction.
type Rebuild = fn(&Connection) -> Result<(), StoreError>;

/// Rebuilds that follow a migration's SQL, by migration name.
const REBUILDS: &[(&str, Rebuild)] = &[
    ("0004_search_normal_form", crate::projection::reindex_search),
    (
        "0015_employers_normal_form",
        crate::projection::rekey_employers,
    ),
    ("0060_checks_without_lists", checks_without_lists),
];

/// Writes the CHECK lists of more than two constants as `=` comparisons joined by `OR`: the same
/// rules, without the temporary index SQLite builds for such a list on every row written (0060).
fn checks_without_lists(tx: &Connection) -> Result<(), StoreError> {
    plkk_migrate::rewrite_checks(
        tx,
        &[
            (
                "outbox",
                "CHECK (kind IN ('intake', 'intake_correction', 'note', 'bpu_registration',
                                 'document', 'document_removal'))",
                "CHECK (kind = 'intake' OR kind = 'intake_correction' OR kind = 'note'
                                 OR kind = 'bpu_registration' OR kind = 'document'
                                 OR kind = 'document_removal')",
            ),
            (
                "outbox",
                "CHECK (state IN ('pending', 'sent', 'confirmed', 'rejected', 'conflict'))",
                "CHECK (state = 'pending' OR state = 'sent' OR state = 'confirmed'
                                 OR state = 'rejected' OR state = 'conflict')",
            ),
            (
                "pulled_records",
                "CHECK (kind IN ('intake', 'intake_correction', 'note'))",
                "CHECK (kind = 'intake' OR kind = 'intake_correction' OR kind = 'note')",
            ),
            (
                "accounts",
                "CHECK (role IN ('receptionist', 'nurse', 'admin'))",
                "CHECK (role = 'receptionist' OR role = 'nurse' OR role = 'admin')",
            ),
            (
                "bpu_decisions",
                "CHECK (status IN ('submitted', 'registered', 'rejected'))",
                "CHECK (status = 'submitted' OR status = 'registered' OR status = 'rejected')",
            ),
        ],
    )?;
    Ok(())
}

impl From<MigrationFailed> for StoreError {
    fn from(failed: MigrationFailed) -> StoreError {
        StoreError::Migration {
            name: failed.name,
            source: failed.source,
        }
    }
}

pub(crate) fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    plkk_migrate::apply(conn, &SCHEMA, |name, tx| {
        for (_, rebuild) in REBUILDS.iter().filter(|(after, _)| *after == name) {
            rebuild(tx)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_from_empty_and_record_their_names() {
        SCHEMA.check().unwrap();
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        let version: usize = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len());
        let names = plkk_migrate::applied_names(&conn).unwrap();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|migration| migration.name).collect();
        assert_eq!(names, listed);
        // Applying again is a no-op, not an error: every start of the app does it.
        apply(&mut conn).unwrap();
    }

    #[test]
    fn no_row_written_on_a_desk_builds_a_temporary_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        assert_eq!(
            plkk_migrate::tables_with_temporary_indexes(&conn).unwrap(),
            Vec::<String>::new()
        );
        // Marking an entry sent and storing its receipt change `state`, whose CHECK runs again.
        for statement in [
            "UPDATE outbox SET state = 'sent', sent_at = 'x', attempts = attempts + 1
             WHERE id = 'e' AND state = 'pending'",
            "UPDATE outbox SET state = 'confirmed', receipt = 1, received_at = 'x' WHERE id = 'e'",
        ] {
            assert!(
                !plkk_migrate::builds_temporary_index(&conn, statement).unwrap(),
                "{statement}"
            );
        }
        // The rewritten lists still refuse what they refused.
        let refused = conn.execute(
            "INSERT INTO outbox (id, kind, record_id, intake_id, state, created_at)
             VALUES ('e', 'note', 'r', 'i', 'lost', 'x')",
            [],
        );
        assert!(refused.unwrap_err().to_string().contains("CHECK"));
        let refused = conn.execute(
            "INSERT INTO outbox (id, kind, record_id, intake_id, created_at)
             VALUES ('e', 'gossip', 'r', 'i', 'x')",
            [],
        );
        assert!(refused.unwrap_err().to_string().contains("CHECK"));
    }

    #[test]
    fn every_file_in_migrations_desk_is_listed() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations/desk");
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
    fn a_desk_that_counted_its_migrations_is_adopted_without_running_them_again() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A desk of the counting runner, up to date when names came (all six).
        for migration in &MIGRATIONS[..COUNTED.len()] {
            conn.execute_batch(migration.sql).unwrap();
        }
        conn.pragma_update(None, "user_version", COUNTED.len())
            .unwrap();
        apply(&mut conn).expect("no CREATE TABLE runs twice");
        let mut expected = COUNTED.to_vec();
        // Migrations named after the counting runner run once on such a desk.
        expected.extend(
            MIGRATIONS[COUNTED.len()..]
                .iter()
                .map(|migration| migration.name),
        );
        assert_eq!(plkk_migrate::applied_names(&conn).unwrap(), expected);
    }

    #[test]
    fn an_older_desks_cases_fill_the_employers_offered() {
        let mut conn = Connection::open_in_memory().unwrap();
        for migration in &MIGRATIONS[..3] {
            conn.execute_batch(migration.sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        // Only the `cases` projection is read by the backfills (the search index of 0004, the
        // employers of 0007): no intakes rows behind it here.
        conn.pragma_update(None, "foreign_keys", false).unwrap();
        let case = |seq: i64, record: serde_json::Value| {
            conn.execute(
                "INSERT INTO cases (intake_seq, intake_id, record, warnings, admitted_at, admitted_at_utc)
                 VALUES (?1, ?2, ?3, '[]', '2025-06-10T09:00:00+07:00', '2025-06-10T02:00:00')",
                rusqlite::params![seq, format!("case-{seq}"), record.to_string()],
            )
            .unwrap();
        };
        case(
            1,
            serde_json::json!({"full_name": "Siti", "employer_name": "PT Maju Jaya", "employer_npp": "12345678", "segment": "PU",
            "place_type": "workplace", "accident_location": "Gudang", "contact_name": "Budi"}),
        );
        case(
            2,
            serde_json::json!({"full_name": "Ani", "employer_name": "pt maju jaya ", "segment": "PU", "place_type": "traffic",
            "accident_location": "Jl. Raya", "contact_name": "Harun", "contact_phone": "081311112222"}),
        );
        case(
            3,
            serde_json::json!({"full_name": "Dewi", "segment": "BPU"}),
        );
        case(
            4,
            serde_json::json!({"full_name": "Rina", "employer_name": "PT. Maju-Jaya", "segment": "PU",
            "place_type": "traffic", "accident_location": "Tol", "contact_name": "Harun"}),
        );
        apply(&mut conn).unwrap();
        let row: (String, Option<String>, Option<String>, Option<String>, i64) = conn
            .query_row(
                "SELECT name, npp, location, contact_name, uses FROM employers WHERE name_key = 'pt maju jaya'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
            )
            .unwrap();
        assert_eq!(
            row,
            (
                "PT. Maju-Jaya".to_owned(),
                Some("12345678".to_owned()),
                Some("Gudang".to_owned()),
                Some("Harun".to_owned()),
                3
            ),
            "the latest name and contact, an NPP and workplace kept from an earlier case; \
             \"PT. Maju-Jaya\" (its own row until 0015 keyed names in the search normal form) \
             merged with \"PT Maju Jaya\""
        );
        let employers: i64 = conn
            .query_row("SELECT count(*) FROM employers", [], |row| row.get(0))
            .unwrap();
        assert_eq!(employers, 1, "a case without an employer adds none");
    }

    #[test]
    fn the_outbox_rebuilt_for_bpu_keeps_every_entry_and_column() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A desk of main before Daftar BPU: its six migrations applied by name.
        let before_bpu = Schema {
            migrations: &MIGRATIONS[..COUNTED.len()],
            counted: COUNTED,
        };
        plkk_migrate::apply(&mut conn, &before_bpu, |_, _| Ok::<(), MigrationFailed>(())).unwrap();
        conn.execute(
            "INSERT INTO outbox (id, kind, record_id, intake_id, payload, state, created_at,
                                 receipt, issues, attempts)
             VALUES ('e1', 'note', 'n1', 'i1', '{}', 'rejected', 't', 7, '[1]', 3)",
            [],
        )
        .unwrap();
        apply(&mut conn).unwrap();
        let kept: (String, i64, String, i64) = conn
            .query_row(
                "SELECT state, receipt, issues, attempts FROM outbox WHERE id = 'e1'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .unwrap();
        assert_eq!(kept, ("rejected".to_owned(), 7, "[1]".to_owned(), 3));
        let payload: String = conn
            .query_row(
                "SELECT body.payload FROM outbox AS entry
                 JOIN outbox_payloads AS body ON body.seq = entry.seq WHERE entry.id = 'e1'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(payload, "{}", "0061 moved the payload to outbox_payloads");
        let insert = |kind: &str| {
            conn.execute(
                "INSERT INTO outbox (id, kind, record_id, intake_id, created_at)
                 VALUES (?1, ?1, 'r', 'r', 't')",
                [kind],
            )
        };
        assert!(insert("bpu_registration").is_ok());
        assert!(insert("gossip").is_err());
        let indexes: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'outbox'
                 AND name LIKE 'outbox_%'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(
            indexes, 5,
            "the outbox's four indexes are back, and 0050 added outbox_by_record"
        );
    }
}
