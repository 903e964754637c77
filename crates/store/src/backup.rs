//! Backups of the desk. A backup is one tar file (readable with any `tar`) holding:
//!
//! - `manifest.json`: when and by whom it was made, the app version, the record counts, the
//!   audit chain's length and last hash, and each file's size in bytes and SHA-256;
//! - `desk.sqlite3`: a copy of the database made with SQLite's online backup in one step, so it
//!   is consistent even while the app (or another `plkk`) writes; still encrypted with the desk's
//!   data key, never decrypted on the way;
//! - `keyring.json`: the keyring as it is, so the accounts' passwords (and the recovery key) open
//!   the copy.
//!
//! The copy is written to a private folder beside the database first (the same disk), then packed
//! into `FILE.partial` next to the target and renamed into place, so a half-written backup never
//! carries the final name. Restoring is `restore.rs`.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use plkk_domain::{Action, AuditAction};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::access::{require, Actor};
use crate::audit;
use crate::error::refused;
use crate::rows::immediate;
use crate::{files, Store, StoreError, DATABASE_FILE_NAME};

/// The manifest's name inside a backup.
pub const MANIFEST_NAME: &str = "manifest.json";
/// The format this version writes and reads.
pub const BACKUP_FORMAT: u32 = 1;
/// The keyring's name inside a backup (as in the data directory).
pub(crate) const KEYRING_NAME: &str = plkk_vault::KEYRING_FILE_NAME;

/// What a backup holds, written first in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Manifest {
    /// [`BACKUP_FORMAT`].
    pub format: u32,
    /// The version of PLKK Desk that wrote it.
    pub app_version: String,
    /// When the copy was taken (the desk's clock).
    pub created_at: DateTime<FixedOffset>,
    /// The username of who made it.
    pub created_by: String,
    /// The desk's device id at the branch, if it was enrolled.
    pub device_id: Option<Uuid>,
    pub records: RecordCounts,
    pub audit: AuditHead,
    /// Every other file of the backup with its size and checksum.
    pub files: Vec<ManifestFile>,
}

/// Records in a desk (its own and those pulled from the clinic's other desks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecordCounts {
    pub intakes: u64,
    pub corrections: u64,
    pub notes: u64,
}

impl RecordCounts {
    pub fn total(&self) -> u64 {
        self.intakes + self.corrections + self.notes
    }

    pub(crate) fn of(conn: &Connection) -> rusqlite::Result<RecordCounts> {
        let count = |table: &str| -> rusqlite::Result<u64> {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
        };
        Ok(RecordCounts {
            intakes: count("intakes")?,
            corrections: count("intake_corrections")?,
            notes: count("notes")?,
        })
    }
}

/// The audit log's length and its last entry's hash when the copy was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditHead {
    pub entries: u64,
    pub last_hash: Option<String>,
}

impl AuditHead {
    pub(crate) fn of(conn: &Connection) -> rusqlite::Result<AuditHead> {
        let entries = conn.query_row("SELECT count(*) FROM audit_log", [], |row| row.get(0))?;
        let last_hash = conn
            .query_row(
                "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        Ok(AuditHead { entries, last_hash })
    }
}

/// One file of a backup: its name inside the tar, size in bytes, SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ManifestFile {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What `backup` wrote.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BackupDone {
    pub path: PathBuf,
    /// Size of the backup file in bytes.
    pub bytes: u64,
    pub manifest: Manifest,
}

/// The file name the window gives a backup made at `now`: `plkk-backup-YYYYMMDD-HHMMSS.tar`.
pub fn backup_file_name(now: DateTime<FixedOffset>) -> String {
    format!("plkk-backup-{}.tar", now.format("%Y%m%d-%H%M%S"))
}

/// Writes a backup of the desk to `output` (a new file; an existing one is never overwritten)
/// and records it: the audit log (`backup`) and the time of the last backup (`last_backup`).
/// Administrators only. The desk may go on writing meanwhile: the copy is the database as it was
/// at one moment.
pub fn backup(
    store: &Store,
    actor: &Actor,
    output: &Path,
    now: DateTime<FixedOffset>,
) -> Result<BackupDone, StoreError> {
    require(actor, Action::Backup)?;
    crate::files::check_output_folder(output)?;
    if output.exists() {
        return Err(refused(
            "output",
            "exists",
            format!(
                "output: {} exists already; a backup never overwrites a file",
                output.display()
            ),
        ));
    }
    let database = store
        .path()
        .ok_or_else(|| StoreError::Corrupt("an in-memory desk has no file to back up".into()))?;
    let data_dir = database.parent().unwrap_or(Path::new("."));
    let staging = Staging::new(data_dir, "backup")?;
    let copy = staging.path().join(DATABASE_FILE_NAME);
    let (records, audit_head, device_id) = copy_database(store, &copy)?;
    let keyring = data_dir.join(KEYRING_NAME);
    let files = vec![
        describe(&copy, DATABASE_FILE_NAME)?,
        describe(&keyring, KEYRING_NAME)?,
    ];
    let manifest = Manifest {
        format: BACKUP_FORMAT,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: now,
        created_by: actor.username.clone(),
        device_id,
        records,
        audit: audit_head,
        files,
    };
    let bytes = write_archive(output, &manifest, &[&copy, &keyring])?;
    drop(staging);
    let tx = immediate(&store.conn)?;
    crate::settings::write_setting(&tx, LAST_BACKUP_KEY, &now.to_rfc3339())?;
    let name = output
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::Backup,
        None,
        json!({ "file": plkk_domain::limits::clip(&name, 200), "bytes": bytes, "records": records }),
    )?;
    tx.commit()?;
    Ok(BackupDone {
        path: output.to_owned(),
        bytes,
        manifest,
    })
}

/// A desk holding records with no backup for longer than this (in days) is due one: the home
/// screen reminds an administrator and `plkk status` names it as a problem.
pub const BACKUP_LIMIT_DAYS: i64 = 7;

/// The settings key of the last backup's time (RFC 3339).
pub(crate) const LAST_BACKUP_KEY: &str = "last_backup_at";

/// Whether a desk holding `records` records, last backed up at `last_backup_at`, is due a
/// backup at `now`: it holds records and none was made in [`BACKUP_LIMIT_DAYS`] days.
pub fn backup_overdue(
    records: u64,
    last_backup_at: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
) -> bool {
    let due = now - chrono::Duration::days(BACKUP_LIMIT_DAYS);
    records > 0 && last_backup_at.is_none_or(|at| at < due)
}

/// What the home screen needs to remind an administrator of backups.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BackupState {
    pub last_backup_at: Option<DateTime<FixedOffset>>,
    /// Intakes, corrections and notes held.
    pub records: u64,
    /// See [`backup_overdue`].
    pub overdue: bool,
}

/// The desk's backup state as of `now` (anyone signed in may see it).
pub fn backup_state(store: &Store, now: DateTime<FixedOffset>) -> Result<BackupState, StoreError> {
    let records = RecordCounts::of(&store.conn)?.total();
    let last_backup_at = last_backup(store)?;
    Ok(BackupState {
        last_backup_at,
        records,
        overdue: backup_overdue(records, last_backup_at, now),
    })
}

/// When the last backup of this desk was made (by `backup`, or the backup it was restored from).
pub fn last_backup(store: &Store) -> Result<Option<DateTime<FixedOffset>>, StoreError> {
    crate::settings::read_setting(&store.conn, LAST_BACKUP_KEY)?
        .map(|text| crate::rows::parse_time(&text))
        .transpose()
}

/// Copies the database into `copy` with the online backup API in a single step (one read
/// transaction: a consistent snapshot; writers in WAL mode are not held up), keyed like the
/// original, as one self-contained file. Answers the copy's counts, audit head and device.
fn copy_database(
    store: &Store,
    copy: &Path,
) -> Result<(RecordCounts, AuditHead, Option<Uuid>), StoreError> {
    let file_error = |source| StoreError::File {
        path: copy.display().to_string(),
        source,
    };
    drop(files::create_private(copy).map_err(file_error)?);
    let mut target = Connection::open(copy)?;
    if let Some(key) = &store.key {
        crate::db::apply_key(&target, key)?;
    }
    {
        let backup = rusqlite::backup::Backup::new(&store.conn, &mut target)?;
        // -1: every page in one step, under one read transaction of the source.
        let mut waits = 0;
        loop {
            match backup.step(-1)? {
                rusqlite::backup::StepResult::Done => break,
                // Another connection holds a lock for a moment (a checkpoint): wait, then again,
                // for up to 30 seconds (1,200 waits of 25 ms). A desk writing without pause on a
                // busy machine held the copy off for more than the 5 seconds once allowed.
                _ if waits < 1_200 => {
                    waits += 1;
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                _ => {
                    return Err(StoreError::Storage {
                        problem: crate::StorageProblem::Locked,
                        path: copy.display().to_string(),
                        source: rusqlite::Error::SqliteFailure(
                            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                            None,
                        ),
                    })
                }
            }
        }
    }
    // The copy carries the original's WAL flag; one file is what goes into the archive.
    target.pragma_update(None, "journal_mode", "DELETE")?;
    let records = RecordCounts::of(&target)?;
    let head = AuditHead::of(&target)?;
    let device: Option<String> = target
        .query_row(
            "SELECT device_id FROM sync_settings WHERE id = 1",
            [],
            |row| row.get(0),
        )
        .optional()?;
    target
        .close()
        .map_err(|(_, error)| StoreError::Sqlite(error))?;
    Ok((
        records,
        head,
        device.and_then(|id| Uuid::parse_str(&id).ok()),
    ))
}

/// Size and SHA-256 of `path`, read in chunks (a database can be large).
pub(crate) fn describe(path: &Path, name: &str) -> Result<ManifestFile, StoreError> {
    let read_error = |source| StoreError::File {
        path: path.display().to_string(),
        source,
    };
    let mut file = File::open(path).map_err(read_error)?;
    let mut hasher = Sha256::new();
    let bytes = io::copy(&mut file, &mut hasher).map_err(read_error)?;
    Ok(ManifestFile {
        name: name.to_owned(),
        bytes,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Packs the manifest and `files` (named as in the manifest) into `output` through a
/// `.partial` file, synced before it takes the final name. Answers the size written.
fn write_archive(output: &Path, manifest: &Manifest, paths: &[&Path]) -> Result<u64, StoreError> {
    let mut partial = output.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let written = (|| -> io::Result<u64> {
        let file = files::create_private(&partial)?;
        let mut archive = tar::Builder::new(file);
        let manifest_json = serde_json::to_vec_pretty(manifest).map_err(io::Error::other)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(manifest_json.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(manifest.created_at.timestamp().max(0) as u64);
        header.set_cksum();
        archive.append_data(&mut header, MANIFEST_NAME, manifest_json.as_slice())?;
        for (path, described) in paths.iter().zip(&manifest.files) {
            let mut source = File::open(path)?;
            let mut header = tar::Header::new_gnu();
            header.set_size(described.bytes);
            header.set_mode(0o600);
            header.set_mtime(manifest.created_at.timestamp().max(0) as u64);
            header.set_cksum();
            archive.append_data(
                &mut header,
                &described.name,
                (&mut source).take(described.bytes),
            )?;
        }
        let mut file = archive.into_inner()?;
        file.flush()?;
        file.sync_all()?;
        let bytes = file.metadata()?.len();
        std::fs::rename(&partial, output)?;
        Ok(bytes)
    })();
    written.map_err(|source| {
        let _ = std::fs::remove_file(&partial);
        StoreError::File {
            path: output.display().to_string(),
            source,
        }
    })
}

/// A private working folder inside the data directory, removed when dropped.
#[derive(Debug)]
pub(crate) struct Staging {
    path: PathBuf,
}

impl Staging {
    pub(crate) fn new(data_dir: &Path, purpose: &str) -> Result<Staging, StoreError> {
        let path = data_dir.join(format!(".{purpose}-{}", Uuid::now_v7()));
        files::create_private_dir(&path).map_err(|source| StoreError::DataDir {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Staging { path })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
