//! The branch schema's migrations, embedded at compile time from `migrations/branch/` and applied
//! in order when the database opens. `PRAGMA user_version` records how many have been applied.
//! The schema's triggers call one function written in Rust, `plkk_search_words` (the search
//! normal form, `inbox.rs`): it is registered on the connection here, before anything else.

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
        "0015_inbox_normal_form",
        include_str!("../../../migrations/branch/0015_inbox_normal_form.sql"),
    ),
];

pub(crate) fn apply(conn: &mut Connection) -> Result<(), BranchError> {
    crate::inbox::register_search_words(conn)?;
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

    #[test]
    fn an_older_branchs_inbox_names_are_indexed_anew_in_the_search_normal_form() {
        let mut conn = Connection::open_in_memory().unwrap();
        let before = MIGRATIONS
            .iter()
            .position(|(name, _)| *name == "0015_inbox_normal_form")
            .unwrap();
        for (_, sql) in &MIGRATIONS[..before] {
            conn.execute_batch(sql).unwrap();
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
        let found = |conn: &Connection| {
            let query = crate::inbox::InboxQuery {
                q: Some("marufah".into()),
                ..Default::default()
            };
            let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
            crate::inbox::page(conn, &query, now).unwrap().rows.len()
        };
        assert_eq!(
            found(&conn),
            0,
            "the old index split the name at its apostrophe"
        );
        apply(&mut conn).unwrap();
        assert_eq!(found(&conn), 1, "0015 indexed the name again");
        conn.execute(
            "UPDATE inbox SET full_name = 'Nur Ma''ruf' WHERE seq = 1",
            [],
        )
        .unwrap();
        assert_eq!(found(&conn), 0, "a corrected name leaves the index");
    }
}
