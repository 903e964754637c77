//! The seam between the branch and its database: one statement-level interface that the SQLite
//! store (`sqlite.rs`, rusqlite, the default) and the PostgreSQL store (`postgres.rs`,
//! tokio-postgres with a deadpool pool) both implement. Every module above it (push, changes,
//! enrolment, audit, the console's queries, the administration) writes its SQL once, in the
//! dialect both databases read (`?N` parameters, `ON CONFLICT … DO NOTHING/UPDATE`,
//! `RETURNING`, no SQLite-only functions), and reads rows as [`Value`]s through [`Row::get`]; it
//! never learns which database it has. The few statements that must differ ([`Db::dialect`]:
//! the feed's per-clinic lock, receipt numbers, the inbox's name search) ask for the dialect in
//! the one module that owns them.
//!
//! Shapes follow rusqlite's (`prepare_cached(sql)?.query_row(params, |row| row.get(0))`,
//! `.optional()`, `transaction_with_behavior`) so a module reads the same on both stores. Rows
//! are read whole into memory: every query that could meet many rows carries its own `LIMIT`.

mod insert;
mod postgres;
mod sqlite;
mod value;

pub(crate) use insert::{chunk_size, Insert};
pub(crate) use postgres::{on_a_blocking_thread, PgStore};
pub(crate) use value::{FromValue, Params, ToValue, Value};

/// Which database a connection talks to; asked only where the SQL must differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// An error from either database, or reading a value as the wrong type.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[source] tokio_postgres::Error),
    #[error("PostgreSQL connection pool: {0}")]
    Pool(String),
    #[error("the query returned no rows")]
    NoRows,
    #[error("column {column}: {message}")]
    Type { column: usize, message: String },
}

impl SqlError {
    /// A unique key or primary key was already taken (by a transaction that committed first).
    pub(crate) fn is_unique_violation(&self) -> bool {
        match self {
            SqlError::Sqlite(rusqlite::Error::SqliteFailure(error, _)) => {
                error.code == rusqlite::ErrorCode::ConstraintViolation
                    && matches!(error.extended_code, 1555 | 2067)
            }
            SqlError::Postgres(error) => {
                error.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            _ => false,
        }
    }

    /// PostgreSQL gave up on the transaction because of another one (a deadlock or a
    /// serialization failure): running it again is safe.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            SqlError::Postgres(error) => matches!(
                error.code(),
                Some(code) if *code == tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED
                    || *code == tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
            ),
            _ => false,
        }
    }
}

pub(crate) type Result<T, E = SqlError> = std::result::Result<T, E>;

/// `rusqlite::OptionalExtension` for this layer: no row is `None`.
pub(crate) trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(SqlError::NoRows) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// One row of a result, its columns in select order.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    values: Vec<Value>,
}

impl Row {
    pub(crate) fn get<T: FromValue>(&self, column: usize) -> Result<T> {
        let value = self.values.get(column).ok_or_else(|| SqlError::Type {
            column,
            message: format!("the row has {} columns", self.values.len()),
        })?;
        T::from_value(value).map_err(|message| SqlError::Type { column, message })
    }
}

/// A connection to the branch database: SQLite or PostgreSQL.
pub(crate) enum Db {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::PgConn),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Db::Sqlite(_) => "Db::Sqlite",
            Db::Postgres(_) => "Db::Postgres",
        })
    }
}

/// How a transaction begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransactionBehavior {
    /// `BEGIN`.
    Deferred,
    /// SQLite takes the write lock first (`BEGIN IMMEDIATE`); PostgreSQL's rows lock as written.
    Immediate,
    /// Every statement reads the same snapshot: a WAL read transaction on SQLite,
    /// `REPEATABLE READ` on PostgreSQL (whose `READ COMMITTED` gives each statement its own).
    Snapshot,
}

impl Db {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The rows of `sql` with `params`, read whole.
    pub(crate) fn rows(&self, sql: &str, params: impl Params) -> Result<Vec<Row>> {
        let params = params.into_values();
        match self {
            Db::Sqlite(conn) => sqlite::rows(conn, sql, &params),
            Db::Postgres(conn) => conn.rows(sql, params),
        }
    }

    /// Runs `sql` with `params`; the number of rows it changed.
    pub(crate) fn execute(&self, sql: &str, params: impl Params) -> Result<usize> {
        let params = params.into_values();
        match self {
            Db::Sqlite(conn) => sqlite::execute(conn, sql, &params),
            Db::Postgres(conn) => conn.execute(sql, params),
        }
    }

    /// Runs `statements` (each a text and its parameters) in order; on PostgreSQL sent together
    /// without waiting for each answer (one round trip for all). Stops at the first error.
    pub(crate) fn execute_all(&self, statements: Vec<(String, Vec<Value>)>) -> Result<()> {
        match self {
            Db::Sqlite(conn) => {
                for (sql, params) in &statements {
                    sqlite::execute(conn, sql, params)?;
                }
                Ok(())
            }
            Db::Postgres(conn) => conn.execute_all(statements),
        }
    }

    /// Several statements without parameters.
    pub(crate) fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Db::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Db::Postgres(conn) => conn.batch(sql.to_owned()),
        }
    }

    pub(crate) fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        read: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        let rows = self.rows(sql, params)?;
        read(rows.first().ok_or(SqlError::NoRows)?)
    }

    /// A statement to run (the SQLite store keeps it prepared; PostgreSQL's connections cache
    /// their prepared statements too).
    pub(crate) fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        Ok(Statement {
            db: self,
            sql: sql.to_owned(),
        })
    }

    pub(crate) fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        self.prepare_cached(sql)
    }

    pub(crate) fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.transaction_with_behavior(TransactionBehavior::Deferred)
    }

    pub(crate) fn transaction_with_behavior(
        &mut self,
        behavior: TransactionBehavior,
    ) -> Result<Transaction<'_>> {
        let begin = match (self.dialect(), behavior) {
            (Dialect::Sqlite, TransactionBehavior::Immediate) => "BEGIN IMMEDIATE",
            (Dialect::Postgres, TransactionBehavior::Snapshot) => {
                "BEGIN ISOLATION LEVEL REPEATABLE READ"
            }
            _ => "BEGIN",
        };
        self.execute_batch(begin)?;
        self.forget_clinic_locks();
        Ok(Transaction {
            db: self,
            done: false,
        })
    }

    /// Takes the clinic's row lock until the transaction ends, so that its changes feed and its
    /// pushes commit one after another across servers (PostgreSQL; SQLite's one writer at a time
    /// already does this).
    /// A clinic already locked in this transaction is not asked for again (a push emits a
    /// change per entry under the lock it took first: one round trip saved per entry).
    pub(crate) fn lock_clinic(&self, clinic_id: i64) -> Result<()> {
        if let Db::Postgres(conn) = self {
            if conn.holds_clinic(clinic_id) {
                return Ok(());
            }
            self.rows(
                "SELECT id FROM clinics WHERE id = ?1 FOR UPDATE",
                [clinic_id],
            )?;
            conn.hold_clinic(clinic_id);
        }
        Ok(())
    }
}

impl Db {
    /// The transaction ended (or began): it holds no clinic's lock.
    fn forget_clinic_locks(&self) {
        if let Db::Postgres(conn) = self {
            conn.forget_clinics();
        }
    }

    /// Waits for, then holds until the transaction ends, the lock named `name` (PostgreSQL's
    /// advisory locks; on SQLite the transaction's write lock already serializes writers). For
    /// what is appended in turn across servers: a hash chain, whose next entry needs the last.
    pub(crate) fn lock(&self, name: &str) -> Result<()> {
        if self.dialect() == Dialect::Postgres {
            self.execute("SELECT pg_advisory_xact_lock(hashtext(?1))", [name])?;
        }
        Ok(())
    }
}

/// A statement and its connection, as rusqlite's `Statement` is used here.
pub(crate) struct Statement<'a> {
    db: &'a Db,
    sql: String,
}

impl Statement<'_> {
    pub(crate) fn execute(&mut self, params: impl Params) -> Result<usize> {
        self.db.execute(&self.sql, params)
    }

    pub(crate) fn query_row<T>(
        &mut self,
        params: impl Params,
        read: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        self.db.query_row(&self.sql, params, read)
    }

    pub(crate) fn query_map<T>(
        &mut self,
        params: impl Params,
        read: impl FnMut(&Row) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let rows = self.db.rows(&self.sql, params)?;
        Ok(rows.iter().map(read).collect::<Vec<_>>().into_iter())
    }

    pub(crate) fn query(&mut self, params: impl Params) -> Result<Rows> {
        Ok(Rows {
            rows: self.db.rows(&self.sql, params)?.into_iter(),
            current: None,
        })
    }
}

/// The rows of [`Statement::query`], read one at a time.
pub(crate) struct Rows {
    rows: std::vec::IntoIter<Row>,
    current: Option<Row>,
}

impl Rows {
    #[allow(clippy::should_implement_trait)]
    pub(crate) fn next(&mut self) -> Result<Option<&Row>> {
        self.current = self.rows.next();
        Ok(self.current.as_ref())
    }
}

/// A transaction: rolled back when dropped without [`Transaction::commit`].
pub(crate) struct Transaction<'a> {
    db: &'a mut Db,
    done: bool,
}

impl Transaction<'_> {
    pub(crate) fn commit(mut self) -> Result<()> {
        self.db.execute_batch("COMMIT")?;
        self.done = true;
        self.db.forget_clinic_locks();
        Ok(())
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Db;
    fn deref(&self) -> &Db {
        self.db
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            if let Err(error) = self.db.execute_batch("ROLLBACK") {
                tracing::warn!(%error, "rolling back a transaction failed");
            }
            self.db.forget_clinic_locks();
        }
    }
}

/// `rusqlite::params!` for this layer.
macro_rules! params {
    () => { Vec::<$crate::sql::Value>::new() };
    ($($param:expr),+ $(,)?) => {
        vec![$($crate::sql::ToValue::to_value(&$param)),+]
    };
}
pub(crate) use params;

/// Parameters from a list of values (a query built from the filters asked for).
pub(crate) fn params_from_iter(values: impl IntoIterator<Item = Value>) -> Vec<Value> {
    values.into_iter().collect()
}
