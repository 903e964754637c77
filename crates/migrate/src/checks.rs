//! CHECK constraints on SQLite tables: changing one in place, and finding the ones that cost a
//! temporary index on every write.
//!
//! SQLite cannot `ALTER` a CHECK. Its documented way (<https://sqlite.org/lang_altertable.html>,
//! "making other kinds of table schema changes") is to rewrite the table's text in `sqlite_schema`
//! under `writable_schema` and bump `schema_version`, which is safe when the stored rows already
//! satisfy the new constraint. A rebuild (copy the rows into a new table) is not always possible:
//! triggers and foreign keys name the table.
//!
//! SQLite codes a constant `IN (…)` list of more than two values as an ephemeral index, built each
//! time the expression runs: in a CHECK, once per row inserted or updated. The same list written as
//! `=` comparisons joined by `OR` costs nothing of the kind.

use rusqlite::Connection;

/// Rewrites each table's CHECK text `from` to `to` (table, from, to). A table that holds `to`
/// already is left as it is (its CHECK was rewritten before, e.g. a table an earlier migration
/// created again); one that holds neither fails the rewrite. Runs inside the caller's transaction
/// (a migration's).
pub fn rewrite_checks(tx: &Connection, rewrites: &[(&str, &str, &str)]) -> rusqlite::Result<()> {
    let version: i64 = tx.query_row("PRAGMA schema_version", [], |row| row.get(0))?;
    tx.pragma_update(None, "writable_schema", "ON")?;
    for (table, from, to) in rewrites {
        let changed = tx.execute(
            "UPDATE sqlite_schema SET sql = replace(sql, ?2, ?3)
             WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0",
            rusqlite::params![table, from, to],
        )?;
        let done = changed == 1
            || tx.query_row(
                "SELECT count(*) = 1 FROM sqlite_schema
                 WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0",
                rusqlite::params![table, to],
                |row| row.get::<_, bool>(0),
            )?;
        if !done {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                Some(format!(
                    "the CHECK of {table} is not the one the earlier migrations wrote: {from}"
                )),
            ));
        }
    }
    tx.pragma_update(None, "schema_version", version + 1)?;
    tx.pragma_update(None, "writable_schema", "OFF")?;
    Ok(())
}

/// The tables of `conn`'s schema whose row insert builds a temporary index (`OpenEphemeral` in
/// the plan of `INSERT … DEFAULT VALUES`, which evaluates every CHECK of the table). Virtual tables
/// and SQLite's own are left out. Empty when every CHECK is written without a long `IN` list.
pub fn tables_with_temporary_indexes(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema
             WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
               AND sql NOT LIKE 'CREATE VIRTUAL%'
             ORDER BY name",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut costly = Vec::new();
    for table in tables {
        let quoted = table.replace('"', "\"\"");
        if builds_temporary_index(conn, &format!("INSERT INTO \"{quoted}\" DEFAULT VALUES"))? {
            costly.push(table);
        }
    }
    Ok(costly)
}

/// Whether `statement`'s plan builds a temporary index (`OpenEphemeral` in its `EXPLAIN`). The
/// statement is compiled, not run.
pub fn builds_temporary_index(conn: &Connection, statement: &str) -> rusqlite::Result<bool> {
    let mut plan = conn.prepare(&format!("EXPLAIN {statement}"))?;
    let opcodes: Vec<String> = plan
        .query_map([], |row| row.get(1))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(opcodes.iter().any(|opcode| opcode == "OpenEphemeral"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTED: &str = "CHECK (colour IN ('red', 'green', 'blue'))";
    const COMPARED: &str = "CHECK (colour = 'red' OR colour = 'green' OR colour = 'blue')";

    #[test]
    fn a_rewritten_check_refuses_the_same_values_without_a_temporary_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE paint (colour TEXT NOT NULL {LISTED});
             CREATE TABLE plain (id INTEGER PRIMARY KEY, name TEXT CHECK (name IN ('a', 'b')));
             INSERT INTO paint VALUES ('red');"
        ))
        .unwrap();
        assert_eq!(tables_with_temporary_indexes(&conn).unwrap(), ["paint"]);
        let tx = conn.transaction().unwrap();
        rewrite_checks(&tx, &[("paint", LISTED, COMPARED)]).unwrap();
        tx.commit().unwrap();
        assert!(tables_with_temporary_indexes(&conn).unwrap().is_empty());
        conn.execute("INSERT INTO paint VALUES ('blue')", [])
            .unwrap();
        let refused = conn.execute("INSERT INTO paint VALUES ('mauve')", []);
        assert!(refused.unwrap_err().to_string().contains("CHECK"));
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM paint", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 2, "the stored row stays");
    }

    #[test]
    fn a_check_that_is_not_there_fails_the_rewrite() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE paint (colour TEXT NOT NULL)")
            .unwrap();
        let tx = conn.transaction().unwrap();
        let failed = rewrite_checks(&tx, &[("paint", LISTED, COMPARED)]).unwrap_err();
        assert!(
            failed.to_string().contains("the CHECK of paint"),
            "{failed}"
        );
    }

    #[test]
    fn a_check_rewritten_before_is_left_as_it_is() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE paint (colour TEXT NOT NULL {COMPARED})"
        ))
        .unwrap();
        let tx = conn.transaction().unwrap();
        rewrite_checks(&tx, &[("paint", LISTED, COMPARED)]).unwrap();
        tx.commit().unwrap();
        let refused = conn.execute("INSERT INTO paint VALUES ('mauve')", []);
        assert!(refused.unwrap_err().to_string().contains("CHECK"));
    }
}
