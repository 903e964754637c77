//! Opening the desk database: pragmas for durability (WAL, `synchronous=FULL`, foreign keys) and
//! the embedded migrations.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::{migrate, StoreError, DATABASE_FILE_NAME};

/// An open desk database. One per process; not shared between threads without a lock.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    path: Option<PathBuf>,
}

impl Store {
    /// Opens (creating if needed) `desk.sqlite3` in `data_dir` and applies pending migrations.
    pub fn open_in_dir(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        Store::open(&data_dir.join(DATABASE_FILE_NAME))
    }

    /// Opens (creating if needed) the database file at `path` and applies pending migrations.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open(path).map_err(open_error)?;
        configure(&conn).map_err(open_error)?;
        let mut store = Store {
            conn,
            path: Some(path.to_owned()),
        };
        migrate::apply(&mut store.conn)?;
        Ok(store)
    }

    /// A private in-memory database with every migration applied (tests and benchmarks).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        configure(&conn)?;
        let mut store = Store { conn, path: None };
        migrate::apply(&mut store.conn)?;
        Ok(store)
    }

    /// The database file, if it is one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The underlying connection, for tests that inspect or sabotage the schema.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // A desk shared by the app and `plkk` waits for the other's write instead of failing at once.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Fail early, with a clear message, on a file that is not a database.
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
    Ok(())
}
