//! The branch schema's migrations, embedded at compile time from `migrations/branch/` and applied
//! in order when the database opens. `PRAGMA user_version` records how many have been applied.

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
        "0020_device_care",
        include_str!("../../../migrations/branch/0020_device_care.sql"),
    ),
];

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
}
