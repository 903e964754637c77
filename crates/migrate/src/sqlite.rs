//! Running migrations on SQLite: the table of applied names, the one-time adoption of a database
//! that only counted its migrations, and each missing migration in its own `IMMEDIATE`
//! transaction together with its name.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::plan::{adopted, missing};
use crate::{MigrationFailed, Schema};

/// The table of applied names.
pub const APPLIED_TABLE: &str = "applied_migrations";

const CREATE_APPLIED_TABLE: &str = "
CREATE TABLE applied_migrations (
    name        TEXT PRIMARY KEY,   -- the migration's name, e.g. 0004_search_normal_form
    applied_at  TEXT NOT NULL       -- UTC, by the database's clock; for an adopted name, when it was adopted
                DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    adopted     INTEGER NOT NULL DEFAULT 0  -- 1: taken from the count of a database from before names (PRAGMA user_version)
);";

/// Applies every migration of `schema` that `conn`'s database has not recorded, in list order.
/// `after` runs inside each migration's transaction right after its SQL (a rebuild that SQL
/// cannot do); its error rolls the migration back. A database that only counted its migrations
/// is adopted first ([`crate::adopted`]).
pub fn apply<E: From<MigrationFailed>>(
    conn: &mut Connection,
    schema: &Schema,
    mut after: impl FnMut(&'static str, &Connection) -> Result<(), E>,
) -> Result<(), E> {
    adopt_counted(conn, schema)?;
    let applied = applied_names(conn).map_err(|source| MigrationFailed {
        name: APPLIED_TABLE,
        source,
    })?;
    for migration in missing(schema.migrations, &applied) {
        let failed = |source| MigrationFailed {
            name: migration.name,
            source,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        // Two programs open the database at the same moment (the desk's window and its sync
        // engine, the server and an admin command): the other may have applied this migration
        // while this one waited for the write lock.
        if is_applied(&tx, migration.name).map_err(failed)? {
            continue;
        }
        tx.execute_batch(migration.sql).map_err(failed)?;
        after(migration.name, &tx)?;
        record(&tx, migration.name).map_err(failed)?;
        tx.commit().map_err(failed)?;
    }
    Ok(())
}

/// The names recorded in `applied_migrations`, in the order they were recorded (none when the
/// table does not exist yet).
pub fn applied_names(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    if !has_applied_table(conn)? {
        return Ok(Vec::new());
    }
    let mut statement = conn.prepare("SELECT name FROM applied_migrations ORDER BY rowid")?;
    let names = statement
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(names)
}

/// Makes the table of names, once: with the names a database from before it counted.
fn adopt_counted(conn: &mut Connection, schema: &Schema) -> Result<(), MigrationFailed> {
    let failed = |source| MigrationFailed {
        name: APPLIED_TABLE,
        source,
    };
    if has_applied_table(conn).map_err(failed)? {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(failed)?;
    if has_applied_table(&tx).map_err(failed)? {
        return Ok(());
    }
    let count: usize = tx
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(failed)?;
    tx.execute_batch(CREATE_APPLIED_TABLE).map_err(failed)?;
    for name in adopted(schema.counted, count) {
        tx.execute(
            "INSERT INTO applied_migrations (name, adopted) VALUES (?1, 1)",
            [name],
        )
        .map_err(failed)?;
    }
    tx.commit().map_err(failed)
}

fn has_applied_table(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [APPLIED_TABLE],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

fn is_applied(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM applied_migrations WHERE name = ?1",
        [name],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

/// Records `name` as applied, and the number of applied names in `user_version` (read only by
/// versions of the programs from before names were recorded).
fn record(conn: &Connection, name: &str) -> rusqlite::Result<()> {
    conn.execute("INSERT INTO applied_migrations (name) VALUES (?1)", [name])?;
    let count: i64 = conn.query_row("SELECT count(*) FROM applied_migrations", [], |row| {
        row.get(0)
    })?;
    conn.pragma_update(None, "user_version", count)
}

/// Puts the database in WAL mode, waiting up to `patience` for other connections doing the same.
/// Connections that switch a new file's journal mode at the same moment (a server starting while
/// an administrator's command opens its database; the desk's window and its sync engine) deadlock
/// on the file's lock, and SQLite answers all but one `SQLITE_BUSY` at once, without calling
/// their busy handler; once the file is in WAL mode the switch is a no-op that needs no lock.
pub fn enter_wal(conn: &Connection, patience: std::time::Duration) -> rusqlite::Result<()> {
    let started = std::time::Instant::now();
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(error, _))
                if error.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < patience =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Migration;

    const A: Migration = Migration {
        name: "0001_a",
        sql: "CREATE TABLE a (x INTEGER);",
    };
    const B: Migration = Migration {
        name: "0002_b",
        sql: "CREATE TABLE b (x INTEGER);",
    };
    const D: Migration = Migration {
        name: "0007_d",
        sql: "CREATE TABLE d (x INTEGER);",
    };
    const C: Migration = Migration {
        name: "0005_c",
        sql: "CREATE TABLE c (x INTEGER);",
    };
    const E: Migration = Migration {
        name: "0010_e",
        sql: "CREATE TABLE e (x INTEGER);",
    };
    /// As released: A, B, D, then C (which landed after D).
    const COUNTED: &[&str] = &["0001_a", "0002_b", "0007_d", "0005_c"];

    fn schema(migrations: &'static [Migration]) -> Schema {
        Schema {
            migrations,
            counted: COUNTED,
        }
    }

    fn run(conn: &mut Connection, schema: &Schema) -> Vec<&'static str> {
        let mut ran = Vec::new();
        apply(conn, schema, |name, _| {
            ran.push(name);
            Ok::<(), MigrationFailed>(())
        })
        .unwrap();
        ran
    }

    fn user_version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn a_new_database_gets_every_migration_in_list_order_and_records_each_name() {
        let mut conn = Connection::open_in_memory().unwrap();
        let schema = schema(&[A, B, D, C, E]);
        assert_eq!(
            run(&mut conn, &schema),
            ["0001_a", "0002_b", "0007_d", "0005_c", "0010_e"]
        );
        assert_eq!(
            applied_names(&conn).unwrap(),
            ["0001_a", "0002_b", "0007_d", "0005_c", "0010_e"]
        );
        assert_eq!(user_version(&conn), 5, "older programs read the count");
        assert!(
            run(&mut conn, &schema).is_empty(),
            "opening again runs nothing"
        );
    }

    #[test]
    fn a_counted_database_is_adopted_once_and_gets_only_what_it_lacks() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A database of the counting runner that had applied A, B and D.
        conn.execute_batch(&format!(
            "{}{}{} PRAGMA user_version = 3;",
            A.sql, B.sql, D.sql
        ))
        .unwrap();
        let schema = schema(&[A, B, D, C, E]);
        assert_eq!(
            run(&mut conn, &schema),
            ["0005_c", "0010_e"],
            "nothing applied before runs again (its CREATE TABLE would fail), nothing is skipped"
        );
        let adopted: Vec<(String, bool)> = conn
            .prepare("SELECT name, adopted FROM applied_migrations ORDER BY rowid")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            adopted,
            [
                ("0001_a".to_owned(), true),
                ("0002_b".to_owned(), true),
                ("0007_d".to_owned(), true),
                ("0005_c".to_owned(), false),
                ("0010_e".to_owned(), false),
            ]
        );
        // The count is no longer read: setting it back changes nothing.
        conn.pragma_update(None, "user_version", 1).unwrap();
        assert!(run(&mut conn, &schema).is_empty());
    }

    #[test]
    fn a_migration_added_before_an_applied_one_still_runs() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(run(&mut conn, &schema(&[A, B, D, E])).len(), 4);
        // C lands on main after E was released.
        assert_eq!(run(&mut conn, &schema(&[A, B, D, C, E])), ["0005_c"]);
    }

    #[test]
    fn a_failed_migration_leaves_nothing_of_itself_and_names_itself() {
        let mut conn = Connection::open_in_memory().unwrap();
        const BAD: Migration = Migration {
            name: "0003_bad",
            sql: "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);",
        };
        let static_list: &'static [Migration] = &[A, BAD, B];
        let error = apply(&mut conn, &schema(static_list), |_, _| {
            Ok::<(), MigrationFailed>(())
        })
        .unwrap_err();
        assert_eq!(error.name, "0003_bad");
        assert_eq!(applied_names(&conn).unwrap(), ["0001_a"]);
        let half: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'half'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(half, 0, "the failed migration's table was rolled back");
    }
}
