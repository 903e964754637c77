//! Encrypting a desk database left by an earlier version (plain SQLite). SQLCipher copies it,
//! schema and rows, into a new encrypted file (`sqlcipher_export`); the copy is checked (the same
//! number of records) and then swapped in, and the plain file is removed. Nothing is lost: the
//! plain file is only removed once the keyring exists and the copy is complete.

use std::path::{Path, PathBuf};

use plkk_vault::DataKey;
use rusqlite::{Connection, OpenFlags};

use crate::{migrate, StoreError, DATABASE_FILE_NAME};

const ENCRYPTING_SUFFIX: &str = ".encrypting";

/// The number of records (intakes, corrections, notes) in a plain database at `path`, or None
/// when there is no file or it is not a plain SQLite database (already encrypted).
pub(crate) fn plain_database_records(path: &Path) -> Option<u64> {
    if !path.exists() {
        return None;
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
        .ok()?;
    Some(count_records(&conn).unwrap_or(0))
}

fn count_records(conn: &Connection) -> rusqlite::Result<u64> {
    let mut total = 0;
    for table in ["intakes", "intake_corrections", "notes"] {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
            [table],
            |row| row.get(0),
        )?;
        if exists {
            let count: u64 =
                conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                    row.get(0)
                })?;
            total += count;
        }
    }
    Ok(total)
}

fn encrypting_path(data_dir: &Path) -> PathBuf {
    data_dir.join(format!("{DATABASE_FILE_NAME}{ENCRYPTING_SUFFIX}"))
}

/// Writes an encrypted copy of the plain database in `data_dir` next to it (not yet swapped in)
/// and answers how many records it holds; None when there is no plain database.
pub(crate) fn encrypt_plain_database(
    data_dir: &Path,
    key: &DataKey,
) -> Result<Option<u64>, StoreError> {
    let plain_path = data_dir.join(DATABASE_FILE_NAME);
    if plain_database_records(&plain_path).is_none() {
        return Ok(None);
    }
    let copy = encrypting_path(data_dir);
    remove_if_present(&copy)?;
    let open_error = |source| StoreError::Open {
        path: plain_path.display().to_string(),
        source,
    };
    let mut plain = Connection::open(&plain_path).map_err(open_error)?;
    crate::db::configure(&plain).map_err(open_error)?;
    migrate::apply(&mut plain)?;
    let records = count_records(&plain)?;
    let version: i64 = plain.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    // The copy holds every record: owner-only from its first byte, like the database it replaces.
    crate::files::prepare_database_file(&copy).map_err(|source| StoreError::File {
        path: copy.display().to_string(),
        source,
    })?;
    plain.execute(
        &format!(
            "ATTACH DATABASE ?1 AS encrypted KEY \"{}\"",
            key.sqlcipher_key()
        ),
        [copy.display().to_string()],
    )?;
    plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    plain.execute_batch(&format!(
        "PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"
    ))?;
    drop(plain);

    let check = Connection::open(&copy)?;
    crate::db::apply_key(&check, key)?;
    let copied = count_records(&check)?;
    drop(check);
    if copied != records {
        remove_if_present(&copy)?;
        return Err(StoreError::Corrupt(format!(
            "the encrypted copy holds {copied} records, the original {records}: nothing was changed"
        )));
    }
    Ok(Some(records))
}

/// Swaps a finished encrypted copy in for the plain database (after the keyring exists).
pub(crate) fn finish_interrupted_encryption(data_dir: &Path) -> Result<(), StoreError> {
    let copy = encrypting_path(data_dir);
    if !copy.exists() {
        return Ok(());
    }
    let database = data_dir.join(DATABASE_FILE_NAME);
    for suffix in ["-wal", "-shm"] {
        remove_if_present(&data_dir.join(format!("{DATABASE_FILE_NAME}{suffix}")))?;
    }
    std::fs::rename(&copy, &database).map_err(|source| StoreError::File {
        path: database.display().to_string(),
        source,
    })
}

fn remove_if_present(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StoreError::File {
            path: path.display().to_string(),
            source,
        }),
    }
}
