//! The desk schema's migrations, embedded at compile time from `migrations/desk/` and applied in
//! order. `PRAGMA user_version` records how many have been applied. A migration that changes what
//! a projection must hold in a way SQL cannot compute (the search index's normal form) names a
//! rebuild in Rust, run in the same transaction right after its SQL.

use rusqlite::Connection;

use crate::StoreError;

/// Every migration, oldest first. Append only: never edit or reorder a released one.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../../migrations/desk/0001_init.sql"),
    ),
    (
        "0002_sync",
        include_str!("../../../migrations/desk/0002_sync.sql"),
    ),
    (
        "0003_accounts_audit",
        include_str!("../../../migrations/desk/0003_accounts_audit.sql"),
    ),
    (
        "0004_search_normal_form",
        include_str!("../../../migrations/desk/0004_search_normal_form.sql"),
    ),
    (
        "0005_sync_link",
        include_str!("../../../migrations/desk/0005_sync_link.sql"),
    ),
];

/// A rebuild of a projection in Rust, inside the migration's transaction.
type Rebuild = fn(&Connection) -> Result<(), StoreError>;

/// Rebuilds that follow a migration's SQL, by migration name.
const REBUILDS: &[(&str, Rebuild)] =
    &[("0004_search_normal_form", crate::projection::reindex_search)];

pub(crate) fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    let applied: usize = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(applied) {
        let migration_error = |source| StoreError::Migration { name, source };
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(migration_error)?;
        // The app and its sync engine open the database at the same moment: the other one may
        // have applied this migration while we waited for the write lock.
        let now_applied: usize = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(migration_error)?;
        if now_applied > index {
            continue;
        }
        tx.execute_batch(sql).map_err(migration_error)?;
        for (_, rebuild) in REBUILDS.iter().filter(|(after, _)| after == name) {
            rebuild(&tx)?;
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
        // Applying again is a no-op, not an error: every start of the app does it.
        apply(&mut conn).unwrap();
    }
}
