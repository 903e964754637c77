//! Opening the branch database: `branch.sqlite3` in the data directory, with the pragmas for
//! durability (WAL, `synchronous=FULL`, foreign keys) and the embedded migrations. The server keeps
//! one connection behind a lock; each admin call opens its own (WAL lets them work side by side).

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::{migrate, BranchError};

pub const DATABASE_FILE_NAME: &str = "branch.sqlite3";

/// Opens (creating if needed) the branch database in `data_dir` and applies pending migrations.
pub(crate) fn open(data_dir: &Path) -> Result<Connection, BranchError> {
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
    use super::open;

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
}
