//! Opening the desk database: the SQLCipher key first, then pragmas for durability (WAL,
//! `synchronous=FULL`, foreign keys) and the embedded migrations. A file on disk is always opened
//! with the data key; only tests and benchmarks use plain in-memory databases.

use std::path::{Path, PathBuf};

use plkk_vault::DataKey;
use rusqlite::Connection;

use crate::{files, migrate, StorageProblem, StoreError, DATABASE_FILE_NAME};

/// An open desk database. One per process; not shared between threads without a lock.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    path: Option<PathBuf>,
    /// The key it was opened with (wrapped again for new accounts); none in memory.
    pub(crate) key: Option<DataKey>,
    /// The disk is full or nearly: the desk gave back its reserve of space to open (or sign
    /// in), or has none and no room to make one.
    pub(crate) used_reserve: bool,
}

/// The data directory together with the key that opens its database: what a signed-in app hands
/// to its sync engine, which opens its own connection. Lives in memory only.
#[derive(Debug, Clone)]
pub struct DeskAccess {
    pub data_dir: PathBuf,
    pub(crate) key: DataKey,
}

impl DeskAccess {
    pub(crate) fn new(data_dir: &Path, key: DataKey) -> DeskAccess {
        DeskAccess {
            data_dir: data_dir.to_owned(),
            key,
        }
    }

    /// Opens a new connection to the desk database.
    pub fn open(&self) -> Result<Store, StoreError> {
        Store::open_in_dir(&self.data_dir, &self.key)
    }
}

impl Store {
    /// Opens (creating if needed) `desk.sqlite3` in `data_dir` with `key` and applies pending
    /// migrations.
    pub fn open_in_dir(data_dir: &Path, key: &DataKey) -> Result<Store, StoreError> {
        files::create_private_dir(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        Store::open(&data_dir.join(DATABASE_FILE_NAME), key)
    }

    /// Opens (creating if needed, owner-only) the encrypted database file at `path` and applies
    /// pending migrations. A wrong key, or a file that is not a desk database, fails here; so
    /// does a full disk or a read-only folder, said as such (`StoreError::code`).
    pub fn open(path: &Path, key: &DataKey) -> Result<Store, StoreError> {
        match Store::open_keyed(path, key) {
            Err(error) if error.storage_problem() == Some(StorageProblem::DiskFull) => {
                // SQLite needs room for its -shm and -wal files even to read: give back the
                // reserve (files.rs) and try once more.
                let folder = path.parent().unwrap_or(Path::new("."));
                if !files::release_reserve(folder) {
                    return Err(error);
                }
                let mut store = Store::open_keyed(path, key)?;
                store.used_reserve = true;
                Ok(store)
            }
            Err(error) => Err(error),
            Ok(mut store) => {
                if let Some(folder) = path.parent() {
                    store.used_reserve = !files::ensure_reserve(folder);
                }
                Ok(store)
            }
        }
    }

    fn open_keyed(path: &Path, key: &DataKey) -> Result<Store, StoreError> {
        let open_error = |source| open_failure(path, source);
        files::prepare_database_file(path).map_err(|source| StoreError::File {
            path: path.display().to_string(),
            source,
        })?;
        let conn = Connection::open(path).map_err(open_error)?;
        apply_key(&conn, key).map_err(open_error)?;
        configure(&conn).map_err(open_error)?;
        let mut store = Store {
            conn,
            path: Some(path.to_owned()),
            key: Some(key.clone()),
            used_reserve: false,
        };
        migrate::apply(&mut store.conn)?;
        Ok(store)
    }

    /// Opens an UNENCRYPTED database file, as versions before accounts wrote them. Only for
    /// benchmarks (encrypted against plain on the same disk) and tests of the encryption of an
    /// older desk; the desk itself never calls it.
    pub fn open_plain(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source| open_failure(path, source);
        let conn = Connection::open(path).map_err(open_error)?;
        configure(&conn).map_err(open_error)?;
        let mut store = Store {
            conn,
            path: Some(path.to_owned()),
            key: None,
            used_reserve: false,
        };
        migrate::apply(&mut store.conn)?;
        Ok(store)
    }

    /// A private in-memory database with every migration applied (tests and benchmarks).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        configure(&conn)?;
        let mut store = Store {
            conn,
            path: None,
            key: None,
            used_reserve: false,
        };
        migrate::apply(&mut store.conn)?;
        Ok(store)
    }

    /// The database file, if it is one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The data directory the database file is in, if it is a file.
    pub fn data_dir(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }

    /// The disk is full or nearly (under 4 MiB free): the desk gave back its reserve of space
    /// to go on, or has none left. Tell the person to free space soon: saving may fail next.
    pub fn disk_full(&self) -> bool {
        self.used_reserve
    }

    /// Gives back the reserve of disk space after a write failed on a full disk; true when there
    /// was one (the caller may try the write once more).
    pub(crate) fn release_reserve(&mut self) -> bool {
        let released = self
            .path
            .as_deref()
            .and_then(Path::parent)
            .is_some_and(files::release_reserve);
        self.used_reserve |= released;
        released
    }

    /// The underlying connection, for tests that inspect or sabotage the schema.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Why the database at `path` did not open. SQLite reports a full disk or a read-only folder met
/// while creating or mapping its `-wal` and `-shm` files as a plain I/O or "cannot open" error;
/// a write into the folder tells which it is.
fn open_failure(path: &Path, source: rusqlite::Error) -> StoreError {
    let unclear = matches!(
        source.sqlite_error_code(),
        Some(rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::CannotOpen)
    );
    let folder = path.parent().filter(|dir| !dir.as_os_str().is_empty());
    match folder
        .filter(|_| unclear)
        .and_then(crate::error::probe_folder)
    {
        Some(problem) => StoreError::Storage {
            problem,
            path: path.display().to_string(),
            source,
        },
        None => StoreError::Open {
            path: path.display().to_string(),
            source,
        },
    }
}

/// SQLCipher's key must be the first statement on a connection. The raw-key form (`x'...'`)
/// skips SQLCipher's own PBKDF2: the key is already random, and argon2id guarded its wrap.
pub(crate) fn apply_key(conn: &Connection, key: &DataKey) -> rusqlite::Result<()> {
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.sqlcipher_key()))
}

pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // A desk shared by the app and `plkk` waits for the other's write instead of failing at once.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    plkk_migrate::enter_wal(conn, std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // SQLCipher decrypts (and checks the HMAC of) every page it reads from the file; SQLite's
    // default 2 MB page cache made a search read and decrypt the same index pages again and
    // again. 16 MB keeps a desk's working set decrypted in memory.
    conn.pragma_update(None, "cache_size", -16_384)?;
    // Fail early, with a clear message, on a file that is not a database (or a wrong key).
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
    Ok(())
}
