//! The branch schema's migrations, embedded at compile time from `migrations/branch/` and applied
//! in order when the database opens. `PRAGMA user_version` records how many have been applied. A
//! migration may be followed by a step in Rust (`AFTER`) in the same transaction.

use rusqlite::Connection;

use crate::BranchError;

/// Every migration, oldest first. Append only: never edit or reorder a released one.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../../migrations/branch/0001_init.sql"),
    ),
    (
        "0002_audit",
        include_str!("../../../migrations/branch/0002_audit.sql"),
    ),
    (
        "0003_desk_clock",
        include_str!("../../../migrations/branch/0003_desk_clock.sql"),
    ),
    (
        "0010_console",
        include_str!("../../../migrations/branch/0010_console.sql"),
    ),
    (
        "0030_bpu",
        include_str!("../../../migrations/branch/0030_bpu.sql"),
    ),
];

/// A change SQL cannot make, run in the migration's transaction right after its SQL.
type After = fn(&rusqlite::Transaction) -> rusqlite::Result<()>;

/// What follows a migration's SQL, by migration name.
const AFTER: &[(&str, After)] = &[("0030_bpu", widen_kinds)];

/// Adds the BPU kinds to the CHECK lists of `entries.kind` and `changes.kind` by rewriting the
/// two tables' definitions (SQLite's documented way to change a CHECK constraint in place: the
/// stored rows already satisfy the wider list, and the schema version is bumped so every
/// connection reloads it). A rebuild is not possible: the inbox's triggers and the foreign keys
/// of intakes, corrections and notes name `entries`.
fn widen_kinds(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let widenings = [
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
    ];
    let version: i64 = tx.query_row("PRAGMA schema_version", [], |row| row.get(0))?;
    tx.pragma_update(None, "writable_schema", "ON")?;
    for (table, narrow, wide) in widenings {
        let changed = tx.execute(
            "UPDATE sqlite_schema SET sql = replace(sql, ?2, ?3)
             WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0",
            rusqlite::params![table, narrow, wide],
        )?;
        if changed != 1 {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                Some(format!(
                    "the kind list of {table} is not the one 0001_init.sql wrote"
                )),
            ));
        }
    }
    tx.pragma_update(None, "schema_version", version + 1)?;
    tx.pragma_update(None, "writable_schema", "OFF")?;
    Ok(())
}

pub(crate) fn apply(conn: &mut Connection) -> Result<(), BranchError> {
    let applied: usize = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(applied) {
        let migration_error = |source| BranchError::Migration { name, source };
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(migration_error)?;
        // Another process may have migrated while we waited for the lock.
        let now_applied: usize = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(migration_error)?;
        if now_applied > index {
            continue;
        }
        tx.execute_batch(sql).map_err(migration_error)?;
        for (_, after) in AFTER.iter().filter(|(after, _)| after == name) {
            after(&tx).map_err(migration_error)?;
        }
        tx.pragma_update(None, "user_version", index + 1)
            .map_err(migration_error)?;
        tx.commit().map_err(migration_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_from_empty_and_record_their_count() {
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
    fn an_older_branch_takes_the_bpu_kinds_and_still_refuses_others() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (_, sql) in &MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
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
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM changes", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 3, "the older change is kept");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
}
