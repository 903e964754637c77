//! Opening the branch database. Which one is configuration ([`Database`]): SQLite,
//! `branch.sqlite3` in the data directory (the default), with the pragmas for durability (WAL,
//! `synchronous=FULL`, foreign keys); or PostgreSQL at a `postgres://` URL (`database` in the
//! config file, `PLKK_BRANCH_DATABASE`, `--database`), through a connection pool. Either way the
//! embedded migrations run when it opens, and the rest of the branch talks to it through
//! `crate::sql::Db` without knowing which it is.
//!
//! The server keeps a [`Store`]: on SQLite one connection behind a lock for the API (one writer
//! at a time is SQLite's own rule; it leaves WAL checkpoints to `checkpoint.rs`), a second one
//! that checks device tokens (so a request is authenticated, and its body read, while the API's
//! connection commits the push before it) and a connection of its own per console request; on
//! PostgreSQL a pooled connection per request. Each administration command opens one connection
//! (WAL lets it work beside a running server on SQLite).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::Connection;

use crate::checkpoint::Checkpointer;
use crate::sql::{Db, PgStore};
use crate::{migrate, BranchError};

pub const DATABASE_FILE_NAME: &str = "branch.sqlite3";
/// How long the token check's connection waits for SQLite's write lock (`Store::with_auth`).
const AUTH_BUSY_TIMEOUT: Duration = Duration::from_millis(100);

/// Where the branch's data is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// `branch.sqlite3` in this data directory.
    Sqlite { data_dir: PathBuf },
    /// A PostgreSQL database, by its connection URL (`postgres://user:password@host/db`).
    Postgres { url: String },
}

impl Database {
    /// `database` when given (it must be a PostgreSQL URL), else SQLite in `data_dir`.
    pub fn choose(data_dir: &Path, database: Option<&str>) -> Result<Database, BranchError> {
        match database.map(str::trim).filter(|url| !url.is_empty()) {
            None => Ok(Database::Sqlite {
                data_dir: data_dir.to_owned(),
            }),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Database::Postgres {
                    url: url.to_owned(),
                })
            }
            Some(_) => Err(BranchError::Config(
                "database: must be a PostgreSQL URL (postgres://user:password@host:port/name); \
                 leave it out for SQLite in the data directory"
                    .to_owned(),
            )),
        }
    }

    /// What logs and `status` may show: the file, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite { data_dir } => {
                data_dir.join(DATABASE_FILE_NAME).display().to_string()
            }
            Database::Postgres { url } => match url.split_once("://") {
                Some((scheme, rest)) => match rest.split_once('@') {
                    Some((user, host)) => {
                        let user = user.split(':').next().unwrap_or_default();
                        format!("{scheme}://{user}@{host}")
                    }
                    None => url.clone(),
                },
                None => url.clone(),
            },
        }
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres { .. })
    }
}

impl From<&Path> for Database {
    fn from(data_dir: &Path) -> Database {
        Database::Sqlite {
            data_dir: data_dir.to_owned(),
        }
    }
}

impl From<&PathBuf> for Database {
    fn from(data_dir: &PathBuf) -> Database {
        Database::from(data_dir.as_path())
    }
}

impl From<PathBuf> for Database {
    fn from(data_dir: PathBuf) -> Database {
        Database::Sqlite { data_dir }
    }
}

impl From<&Database> for Database {
    fn from(database: &Database) -> Database {
        database.clone()
    }
}

/// Opens one connection to `database` and applies pending migrations.
pub(crate) fn open(database: impl Into<Database>) -> Result<Db, BranchError> {
    match database.into() {
        Database::Sqlite { data_dir } => Ok(Db::Sqlite(open_sqlite(&data_dir)?)),
        Database::Postgres { url } => {
            let store = PgStore::new(&url).map_err(BranchError::Config)?;
            let mut db = Db::Postgres(store.connect()?);
            migrate::apply_postgres(&mut db)?;
            Ok(db)
        }
    }
}

/// What the server keeps open.
#[derive(Debug)]
pub(crate) enum Store {
    Sqlite {
        api: Mutex<Db>,
        /// Checks device tokens: reads, and writes a device's `last_seen_at` once a minute.
        /// Boxed: a connection is large, and the enum's other variant small.
        auth: Box<Mutex<Db>>,
        data_dir: PathBuf,
        /// Checkpoints the WAL off the API's commits (the API connection does none); held
        /// for its thread, which stops when the store is dropped.
        _checkpointer: Checkpointer,
    },
    Postgres(PgStore),
}

impl Store {
    pub(crate) fn open(database: &Database) -> Result<Store, BranchError> {
        match database {
            Database::Sqlite { data_dir } => {
                let api = open_sqlite(data_dir)?;
                api.pragma_update(None, "wal_autocheckpoint", 0)?;
                let auth = open_sqlite(data_dir)?;
                auth.pragma_update(None, "wal_autocheckpoint", 0)?;
                // It only reads, but for a device's last_seen_at once a minute, which may wait
                // this long for the pushes' writer and is otherwise left for a later request.
                auth.busy_timeout(AUTH_BUSY_TIMEOUT)?;
                Ok(Store::Sqlite {
                    api: Mutex::new(Db::Sqlite(api)),
                    auth: Box::new(Mutex::new(Db::Sqlite(auth))),
                    data_dir: data_dir.clone(),
                    _checkpointer: Checkpointer::start(&data_dir.join(DATABASE_FILE_NAME))?,
                })
            }
            Database::Postgres { url } => {
                let store = PgStore::new(url).map_err(BranchError::Config)?;
                migrate::apply_postgres(&mut Db::Postgres(store.connect()?))?;
                Ok(Store::Postgres(store))
            }
        }
    }

    /// Runs `work` on the API's connection (call from a blocking thread).
    pub(crate) fn with_api<T>(&self, work: impl FnOnce(&mut Db) -> T) -> Result<T, BranchError> {
        match self {
            Store::Sqlite { api, .. } => {
                // A panic while holding the lock leaves SQLite consistent (the transaction rolls
                // back when dropped), so a poisoned lock is safe to use.
                let mut db = api.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                Ok(work(&mut db))
            }
            Store::Postgres(store) => {
                crate::sql::on_a_blocking_thread(|| Ok(work(&mut Db::Postgres(store.connect()?))))
            }
        }
    }

    /// Runs `work` on the connection that checks device tokens (call from a blocking thread): on
    /// SQLite not the API's, which may be committing a push meanwhile.
    pub(crate) fn with_auth<T>(&self, work: impl FnOnce(&mut Db) -> T) -> Result<T, BranchError> {
        match self {
            Store::Sqlite { auth, .. } => {
                let mut db = auth.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                Ok(work(&mut db))
            }
            Store::Postgres(_) => self.with_api(work),
        }
    }

    /// Runs `work` on a connection of its own (the console's requests; call from a blocking
    /// thread).
    pub(crate) fn with_own<T>(&self, work: impl FnOnce(&mut Db) -> T) -> Result<T, BranchError> {
        match self {
            Store::Sqlite { data_dir, .. } => Ok(work(&mut Db::Sqlite(open_sqlite(data_dir)?))),
            Store::Postgres(store) => {
                crate::sql::on_a_blocking_thread(|| Ok(work(&mut Db::Postgres(store.connect()?))))
            }
        }
    }
}

fn open_sqlite(data_dir: &Path) -> Result<Connection, BranchError> {
    std::fs::create_dir_all(data_dir).map_err(|source| BranchError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    let path = data_dir.join(DATABASE_FILE_NAME);
    let open_error = |source| BranchError::Open {
        path: path.display().to_string(),
        source,
    };
    let mut conn = Connection::open(&path).map_err(open_error)?;
    configure(&conn).map_err(open_error)?;
    migrate::apply(&mut conn)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // The server and an admin command wait for each other's write instead of failing at once.
    conn.busy_timeout(Duration::from_secs(10))?;
    plkk_migrate::enter_wal(conn, Duration::from_secs(10))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A push runs some twenty statements, and its multi-row inserts up to eight sizes of each
    // (`sql::Insert`): rusqlite's default cache of 16 would prepare some again on every push.
    conn.set_prepared_statement_cache_capacity(128);
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
    Ok(())
}

/// A timestamp as stored: RFC 3339 UTC with fixed precision, so text order is time order.
pub(crate) fn time_text(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Reads a timestamp the branch itself wrote.
pub(crate) fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, BranchError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&chrono::Utc))
        .map_err(|error| BranchError::Stored(format!("time {text:?} is not RFC 3339: {error}")))
}

#[cfg(test)]
mod tests {
    use super::{open, Database};

    /// The server starting while an administrator's command opens the same new database: both
    /// switch its journal to WAL and migrate at the same moment, and neither may fail.
    #[test]
    fn connections_opening_a_new_database_at_the_same_moment_all_succeed() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let start = std::sync::Arc::new(std::sync::Barrier::new(4));
            let openers: Vec<_> = (0..4)
                .map(|_| {
                    let (dir, start) = (dir.path().to_owned(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        open(&dir).map(|_| ())
                    })
                })
                .collect();
            for opener in openers {
                opener.join().unwrap().expect("the database opens");
            }
        }
    }

    #[test]
    fn the_database_is_sqlite_unless_a_postgresql_url_is_given() {
        let dir = std::path::Path::new("/var/lib/plkk-branch");
        assert_eq!(
            Database::choose(dir, None).unwrap(),
            Database::Sqlite {
                data_dir: dir.to_owned()
            }
        );
        let pg = Database::choose(dir, Some("postgres://plkk:rahasia@db:5432/plkk")).unwrap();
        assert!(pg.is_postgres());
        assert_eq!(pg.describe(), "postgres://plkk@db:5432/plkk");
        assert!(Database::choose(dir, Some("sqlite:/tmp/x"))
            .unwrap_err()
            .is_bad_input());
    }
}
