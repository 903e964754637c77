//! Many rows into one table in few statements: [`Insert`] gathers a push's rows and writes them
//! as multi-row `INSERT … VALUES (…), (…)`, which both databases read. On PostgreSQL each
//! statement is a round trip to the server, so a push of 500 entries costs a handful of trips
//! per table instead of 500; on SQLite one statement opens its table and indexes once for all
//! its rows.
//!
//! A batch is cut into chunks whose sizes are powers of two up to [`MAX_ROWS`], so each table
//! has at most eight statement texts, each prepared once per connection. Rows are written in
//! the order they were added: an `INTEGER PRIMARY KEY`, identity or sequence column left out
//! of the list numbers them in that order.

use std::fmt::Write;

use super::{Db, Result, Value};

/// The most rows one statement carries (at most 13 columns here: 1,664 parameters, far below
/// SQLite's 32,766 and PostgreSQL's 65,535).
pub(crate) const MAX_ROWS: usize = 128;

/// Rows waiting to be written to one table.
#[derive(Debug)]
pub(crate) struct Insert {
    /// `INSERT INTO table (a, b, c)`.
    head: &'static str,
    columns: usize,
    /// What follows the rows (`ON CONFLICT …`), or nothing.
    tail: &'static str,
    values: Vec<Value>,
}

impl Insert {
    /// Rows for `head` (`INSERT INTO table (columns…)`), each of `columns` values.
    pub(crate) fn new(head: &'static str, columns: usize) -> Insert {
        Insert::with_tail(head, columns, "")
    }

    /// Rows for `head`, with `tail` after them in each statement (`ON CONFLICT …`).
    pub(crate) fn with_tail(head: &'static str, columns: usize, tail: &'static str) -> Insert {
        Insert {
            head,
            columns,
            tail,
            values: Vec::new(),
        }
    }

    /// Adds a row: its values in the order of the head's columns.
    pub(crate) fn row(&mut self, values: Vec<Value>) {
        debug_assert_eq!(values.len(), self.columns, "{}", self.head);
        self.values.extend(values);
    }

    /// How many rows wait.
    pub(crate) fn len(&self) -> usize {
        self.values.len() / self.columns
    }

    /// Writes the rows that wait, in the order they were added, and forgets them.
    pub(crate) fn write(&mut self, tx: &Db) -> Result<()> {
        tx.execute_all(self.take_statements())
    }

    /// The statements that write the rows that wait (for [`Db::execute_all`], with other
    /// tables' statements), and forgets the rows.
    pub(crate) fn take_statements(&mut self) -> Vec<(String, Vec<Value>)> {
        let mut statements = Vec::new();
        let mut left = self.len();
        let mut values = std::mem::take(&mut self.values).into_iter();
        while left > 0 {
            let rows = chunk_size(left);
            let params: Vec<Value> = values.by_ref().take(rows * self.columns).collect();
            let mut sql = statement(self.head, self.columns, rows);
            sql.push_str(self.tail);
            statements.push((sql, params));
            left -= rows;
        }
        statements
    }
}

/// The rows (or listed values) the next statement carries: the largest power of two not above
/// `left` or [`MAX_ROWS`].
pub(crate) fn chunk_size(left: usize) -> usize {
    let most = left.min(MAX_ROWS);
    1 << (usize::BITS - 1 - most.leading_zeros())
}

/// `head VALUES (?1, ?2), (?3, ?4)` for `rows` rows of `columns` values.
fn statement(head: &str, columns: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(head.len() + rows * columns * 7);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    let mut number = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            number += 1;
            // Into the text itself: no string of its own per parameter (a push builds some
            // twenty of these statements, of up to 1,664 parameters each).
            let _ = write!(sql, "?{number}");
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_cut_into_powers_of_two_up_to_the_most_rows() {
        let mut sizes = Vec::new();
        let mut left = 300;
        while left > 0 {
            let rows = chunk_size(left);
            sizes.push(rows);
            left -= rows;
        }
        assert_eq!(sizes, [128, 128, 32, 8, 4]);
        assert_eq!(chunk_size(1), 1);
    }

    #[test]
    fn parameters_are_numbered_across_rows() {
        assert_eq!(
            statement("INSERT INTO t (a, b)", 2, 2),
            "INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4)"
        );
    }

    #[test]
    fn rows_are_written_in_the_order_they_were_added() {
        let mut db = Db::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        db.execute_batch("CREATE TABLE t (seq INTEGER PRIMARY KEY, name TEXT NOT NULL)")
            .unwrap();
        let tx = db.transaction().unwrap();
        let mut insert = Insert::new("INSERT INTO t (name)", 1);
        for number in 0..300 {
            insert.row(vec![Value::Text(format!("row {number}"))]);
        }
        assert_eq!(insert.len(), 300);
        insert.write(&tx).unwrap();
        assert_eq!(insert.len(), 0);
        let names: Vec<String> = tx
            .prepare("SELECT name FROM t ORDER BY seq")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        let wanted: Vec<String> = (0..300).map(|number| format!("row {number}")).collect();
        assert_eq!(names, wanted);
        tx.commit().unwrap();
    }
}
