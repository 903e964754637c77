//! The SQLite side of the seam: statements prepared once per connection (rusqlite's cache), the
//! values of [`Value`] bound and read as SQLite's own five storage classes.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::Connection;

use super::{Result, Row, Value};

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(number) => ValueRef::Integer(*number),
            Value::Real(number) => ValueRef::Real(*number),
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
            Value::Blob(bytes) => ValueRef::Blob(bytes),
        }))
    }
}

fn value_of(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(number) => Value::Integer(number),
        ValueRef::Real(number) => Value::Real(number),
        ValueRef::Text(text) => Value::Text(String::from_utf8_lossy(text).into_owned()),
        ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
    }
}

pub(super) fn rows(conn: &Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
    let mut statement = conn.prepare_cached(sql)?;
    let columns = statement.column_count();
    let mut rows = statement.query(rusqlite::params_from_iter(params))?;
    let mut read = Vec::new();
    while let Some(row) = rows.next()? {
        let values = (0..columns)
            .map(|column| row.get_ref(column).map(value_of))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        read.push(Row { values });
    }
    Ok(read)
}

pub(super) fn execute(conn: &Connection, sql: &str, params: &[Value]) -> Result<usize> {
    let mut statement = conn.prepare_cached(sql)?;
    if statement.readonly() || sql.contains("RETURNING") {
        // A statement that answers rows (e.g. `SELECT … FOR UPDATE`'s SQLite twin) is stepped.
        let mut rows = statement.query(rusqlite::params_from_iter(params))?;
        while rows.next()?.is_some() {}
        return Ok(conn.changes() as usize);
    }
    Ok(statement.execute(rusqlite::params_from_iter(params))?)
}
