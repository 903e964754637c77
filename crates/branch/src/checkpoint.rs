//! The server's WAL checkpoints on a thread of their own (SQLite only). SQLite's automatic
//! checkpoint runs inside the commit of whichever write passes 1,000 pages of WAL: it copies
//! those pages into `branch.sqlite3` and syncs both files while the desk that pushed waits for
//! its receipts (issue 15's profile: 4.5 % of the branch's work, and the fsyncs, on the push's
//! path). The server's API connection turns that off (`wal_autocheckpoint = 0`) and a
//! [`Checkpointer`] runs a PASSIVE checkpoint every [`CHECKPOINT_EVERY`] on a connection of its
//! own: PASSIVE never blocks a writer or a reader, and copies what no reader still needs; the
//! next write after a complete one starts the WAL from its beginning, so the WAL stays about
//! one interval's writes long. Administration commands keep SQLite's automatic checkpoint.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::BranchError;

/// How often the checkpointer copies the WAL into the database file.
pub(crate) const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// The checkpointing thread; it stops (and is joined) when this is dropped.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the WAL of the database file at `path` (already open in WAL mode).
    pub(crate) fn start(path: &Path) -> Result<Checkpointer, BranchError> {
        let conn = Connection::open(path).map_err(|source| BranchError::Open {
            path: path.display().to_string(),
            source,
        })?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("plkk-checkpoint".to_owned())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
                    if let Err(error) =
                        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(%error, "the WAL checkpoint failed; trying again");
                    }
                }
            })?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::db::{Database, Store, DATABASE_FILE_NAME};

    /// The server's API connection never checkpoints (its commits do not wait for one), and its
    /// writes still reach the database file: the checkpointer copies them within an interval or
    /// two.
    #[test]
    fn the_servers_writes_reach_the_database_file_from_the_checkpointer() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Database::Sqlite {
            data_dir: dir.path().to_owned(),
        })
        .unwrap();
        let file = dir.path().join(DATABASE_FILE_NAME);
        let before = std::fs::metadata(&file).unwrap().len();
        let autocheckpoint: i64 = store
            .with_api(|db| {
                let crate::sql::Db::Sqlite(conn) = db else {
                    unreachable!("a SQLite store")
                };
                conn.execute_batch(
                    "CREATE TABLE filler (x BLOB);
                     INSERT INTO filler
                     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
                     SELECT zeroblob(4096) FROM n;",
                )?;
                conn.pragma_query_value(None, "wal_autocheckpoint", |row| row.get(0))
            })
            .unwrap()
            .unwrap();
        assert_eq!(
            autocheckpoint, 0,
            "the API connection leaves checkpoints to the thread"
        );
        let started = Instant::now();
        while std::fs::metadata(&file).unwrap().len() < before + 1500 * 4096 {
            assert!(
                started.elapsed() < super::CHECKPOINT_EVERY * 10,
                "the checkpointer did not copy the WAL into the database file"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}
