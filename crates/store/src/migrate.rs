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
        "0007_drafts_employers",
        include_str!("../../../migrations/desk/0007_drafts_employers.sql"),
    ),
    (
        "0005_sync_link",
        include_str!("../../../migrations/desk/0005_sync_link.sql"),
    ),
    (
        "0015_employers_normal_form",
        include_str!("../../../migrations/desk/0015_employers_normal_form.sql"),
    ),
];

/// A rebuild of a projection in Rust, inside the migration's transaction.
type Rebuild = fn(&Connection) -> Result<(), StoreError>;

/// Rebuilds that follow a migration's SQL, by migration name.
const REBUILDS: &[(&str, Rebuild)] = &[
    ("0004_search_normal_form", crate::projection::reindex_search),
    (
        "0015_employers_normal_form",
        crate::suggest::rekey_employers,
    ),
];

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

    #[test]
    fn an_older_desks_cases_fill_the_employers_offered() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (_, sql) in &MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
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
}
