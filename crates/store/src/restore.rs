//! Restoring a desk from a backup (`backup.rs` writes them) into a data directory.
//!
//! The backup is unpacked into a private folder inside the data directory and checked before
//! anything of the desk is touched: every file's size and SHA-256 against the manifest, SQLite's
//! `quick_check`, the record counts and the audit chain's length and last hash against the
//! manifest, and the whole audit chain link by link. A backup failing any of these is refused as
//! damaged (`StoreError::BackupDamaged`).
//!
//! Who may restore: into a directory without a keyring (empty, missing, or only a database no
//! keyring can open any more) anyone holding the password of one of the BACKUP's accounts (the
//! copy is encrypted; its audit chain can only be checked inside). Over a set-up desk, one of
//! that desk's administrators (a desk whose database is damaged: any of its accounts, since its
//! roles cannot be read). A desk holding records the backup lacks is never overwritten
//! (`StoreError::RestoreRefused` names them); otherwise its files are kept aside in
//! `replaced-YYYYMMDD-HHMMSS/` in the data directory, never deleted.
//!
//! Refused while a window has the desk open (`files::hold_desk`): it would go on writing into the
//! replaced files.
//!
//! A restored desk that was enrolled asks the branch for a new device identity at its next sync
//! (`sync_settings::restored_device`): the branch already holds what the old identity sent after
//! the backup (records, the audit chain past the backup's end). Under the new identity those
//! records come back through the pull, its own queued records are recognised by their ids, and
//! its audit chain is sent again from the start, so nothing is lost and nothing is doubled.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Utc};
use plkk_domain::{Action, AuditAction};
use plkk_vault::{DataKey, Keyring};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::access::require;
use crate::audit;
use crate::backup::{
    AuditHead, Manifest, RecordCounts, Staging, BACKUP_FORMAT, KEYRING_NAME, LAST_BACKUP_KEY,
    MANIFEST_NAME,
};
use crate::rows::immediate;
use crate::session::{load_keyring, sign_in, SignedIn};
use crate::{files, StorageProblem, Store, StoreError, DATABASE_FILE_NAME};

/// The largest manifest read (it is a few hundred bytes).
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;
/// Records named one by one in a refusal, per kind; the rest are counted.
const NAMED_PER_KIND: usize = 10;

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreDone {
    pub manifest: Manifest,
    /// Where the desk's earlier files were kept (none when there were none).
    pub kept_aside: Option<PathBuf>,
    /// The desk was enrolled: its next sync asks the branch for a new device identity.
    pub replaces_device: bool,
}

/// Reads a backup's manifest without checking or unpacking the rest.
pub fn read_manifest(backup: &Path) -> Result<Manifest, StoreError> {
    let mut archive = tar::Archive::new(open_backup(backup)?);
    let entries = archive
        .entries()
        .map_err(|error| damaged(backup, format!("not a backup file ({error})")))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|error| damaged(backup, format!("not a backup file ({error})")))?;
        if entry_name(&entry).as_deref() == Some(MANIFEST_NAME) {
            return parse_manifest(backup, &mut entry);
        }
    }
    Err(damaged(backup, format!("it has no {MANIFEST_NAME}")))
}

/// Restores `backup` into `data_dir` (see the module's rules). `username` and `password` are
/// those of an administrator of the desk in `data_dir` when it is set up, else of an account of
/// the backup.
pub fn restore(
    data_dir: &Path,
    backup: &Path,
    username: &str,
    password: &str,
    now: DateTime<FixedOffset>,
) -> Result<RestoreDone, StoreError> {
    // Held until the restore ends: no window may have the desk open meanwhile.
    let _taken = files::take_desk(data_dir)?;
    let staging = Staging::new(data_dir, "restore")?;
    let manifest = unpack(backup, staging.path())?;
    let current = current_desk(data_dir, username, password, now)?;
    let restored = open_restored(&current, staging.path(), backup, username, password, now)?;
    verify(&restored, &manifest, backup)?;
    if let Current::Open(signed) = &current {
        refuse_if_losing(&signed.store, &restored)?;
    }
    let replaces_device = mark_restored(&restored, &manifest, username, now)?;
    drop(restored);
    drop(current);
    let kept_aside = swap(data_dir, staging.path(), now)?;
    Ok(RestoreDone {
        manifest,
        kept_aside,
        replaces_device,
    })
}

/// The desk a restore would replace.
enum Current {
    /// No keyring: nothing anyone can open.
    Empty,
    /// Set up, but its database cannot be read; the data key the password unwrapped.
    Unreadable(DataKey),
    /// Set up and signed in as one of its administrators.
    Open(Box<SignedIn>),
}

fn current_desk(
    data_dir: &Path,
    username: &str,
    password: &str,
    now: DateTime<FixedOffset>,
) -> Result<Current, StoreError> {
    if !Keyring::exists(data_dir) {
        return Ok(Current::Empty);
    }
    match sign_in(data_dir, username, password, "restore", now) {
        Ok(signed) => {
            if let Err(refusal) = require(&signed.actor, Action::Backup) {
                crate::audit::record_refusal(&signed.store, &signed.actor, &refusal, now)?;
                return Err(refusal);
            }
            Ok(Current::Open(Box::new(signed)))
        }
        Err(error) if error.storage_problem() == Some(StorageProblem::Damaged) => {
            let key =
                load_keyring(data_dir)?.unlock(username, password, now.with_timezone(&Utc))?;
            Ok(Current::Unreadable(key))
        }
        Err(error) => Err(error),
    }
}

/// Opens the unpacked copy: with the replaced desk's key when it is the same desk, else with the
/// backup's own keyring and the password given.
fn open_restored(
    current: &Current,
    staging: &Path,
    backup: &Path,
    username: &str,
    password: &str,
    now: DateTime<FixedOffset>,
) -> Result<Store, StoreError> {
    let path = staging.join(DATABASE_FILE_NAME);
    let same_desk_key = match current {
        Current::Empty => None,
        Current::Unreadable(key) => Some(key.clone()),
        Current::Open(signed) => Some(signed.access.key.clone()),
    };
    if let Some(key) = same_desk_key {
        match Store::open(&path, &key) {
            Ok(store) => return Ok(store),
            Err(error) if error.storage_problem() == Some(StorageProblem::Damaged) => {}
            Err(error) => return Err(error),
        }
    }
    let key = Keyring::load(staging)
        .map_err(|error| damaged(backup, format!("its keyring cannot be read ({error})")))?
        .unlock(username, password, now.with_timezone(&Utc))?;
    Store::open(&path, &key).map_err(|error| match error.storage_problem() {
        Some(StorageProblem::Damaged) => damaged(
            backup,
            format!("its database does not open with its own keyring ({error})"),
        ),
        _ => error,
    })
}

/// Checks the opened copy against its manifest and its own audit chain.
fn verify(store: &Store, manifest: &Manifest, backup: &Path) -> Result<(), StoreError> {
    let check: String = store
        .conn
        .query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if check != "ok" {
        return Err(damaged(
            backup,
            format!("its database fails SQLite's check: {check}"),
        ));
    }
    let counts = RecordCounts::of(&store.conn)?;
    if counts != manifest.records {
        return Err(damaged(
            backup,
            format!(
                "its database holds {} intakes, {} corrections and {} notes, its manifest says {}, {} and {}",
                counts.intakes,
                counts.corrections,
                counts.notes,
                manifest.records.intakes,
                manifest.records.corrections,
                manifest.records.notes
            ),
        ));
    }
    let chain = audit::chain_report(&store.conn)?;
    if let Some(broken) = chain.first_break {
        return Err(damaged(
            backup,
            format!(
                "its audit log is broken at entry {} ({}): {}",
                broken.seq,
                broken.kind.as_str(),
                broken.message
            ),
        ));
    }
    if AuditHead::of(&store.conn)? != manifest.audit {
        return Err(damaged(
            backup,
            "its audit log does not end where its manifest says".to_owned(),
        ));
    }
    Ok(())
}

/// Refuses when the desk being replaced holds records the backup lacks, naming them.
fn refuse_if_losing(current: &Store, restored: &Store) -> Result<(), StoreError> {
    let kinds = [
        ("intake", "intakes", "intakes"),
        ("correction", "corrections", "intake_corrections"),
        ("note", "notes", "notes"),
        ("document", "documents", "documents"),
    ];
    let mut parts = Vec::new();
    let mut total = 0;
    for (one, many, table) in kinds {
        let in_backup: HashSet<String> = ids(&restored.conn, table)?.into_iter().collect();
        let missing: Vec<String> = ids(&current.conn, table)?
            .into_iter()
            .filter(|id| !in_backup.contains(id))
            .collect();
        if missing.is_empty() {
            continue;
        }
        total += missing.len();
        let mut named: Vec<String> = missing
            .iter()
            .take(NAMED_PER_KIND)
            .map(|id| describe_record(&current.conn, table, id))
            .collect::<Result<_, _>>()?;
        if missing.len() > NAMED_PER_KIND {
            named.push(format!("and {} more", missing.len() - NAMED_PER_KIND));
        }
        parts.push(format!(
            "{} {} ({})",
            missing.len(),
            if missing.len() == 1 { one } else { many },
            named.join(", ")
        ));
    }
    if parts.is_empty() {
        return Ok(());
    }
    Err(StoreError::RestoreRefused(format!(
        "this desk holds {total} record(s) the backup does not: {}; restoring would lose them, so \
         nothing was changed (make a new backup of this desk instead, or restore into an empty \
         data directory)",
        parts.join("; ")
    )))
}

fn ids(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare(&format!("SELECT id FROM {table} ORDER BY seq"))?;
    let ids = statement
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(ids)
}

/// A record as a refusal names it: an intake with its patient's name and admission date, a
/// correction or note with its case.
fn describe_record(conn: &Connection, table: &str, id: &str) -> Result<String, StoreError> {
    if table == "intakes" {
        let record: String =
            conn.query_row("SELECT record FROM intakes WHERE id = ?1", [id], |row| {
                row.get(0)
            })?;
        let record: serde_json::Value = serde_json::from_str(&record)?;
        let text = |field: &str| {
            record
                .get(field)
                .and_then(|value| value.as_str())
                .unwrap_or("")
        };
        let admitted: String = text("admitted_at").chars().take(10).collect();
        return Ok(format!("{id} {}, admitted {admitted}", text("full_name")));
    }
    let case: String = conn.query_row(
        &format!("SELECT intake_id FROM {table} WHERE id = ?1"),
        [id],
        |row| row.get(0),
    )?;
    Ok(format!("{id} of case {case}"))
}

/// Records the restore in the copy's audit log, takes the backup's time as the last backup, and
/// marks an enrolled copy to ask the branch for a new identity. True when it was enrolled.
fn mark_restored(
    store: &Store,
    manifest: &Manifest,
    username: &str,
    now: DateTime<FixedOffset>,
) -> Result<bool, StoreError> {
    let tx = immediate(&store.conn)?;
    audit::append(
        &tx,
        now,
        username,
        AuditAction::Restore,
        None,
        json!({
            "backup_created_at": manifest.created_at.to_rfc3339(),
            "backup_created_by": manifest.created_by,
            "backup_app_version": manifest.app_version,
            "records": manifest.records,
        }),
    )?;
    crate::settings::write_setting(&tx, LAST_BACKUP_KEY, &manifest.created_at.to_rfc3339())?;
    let enrolled = crate::enrolment(store)?.is_some();
    if enrolled {
        crate::sync_settings::mark_restored(&tx, manifest.created_at)?;
    }
    tx.commit()?;
    Ok(enrolled)
}

/// Moves the desk's files (if any) into `replaced-…/` and the checked copy into their place. The
/// keyring goes first and comes back last: in between the folder holds no desk, so a crash
/// leaves either the old desk, or nothing set up (restore again), never a mix.
fn swap(
    data_dir: &Path,
    staging: &Path,
    now: DateTime<FixedOffset>,
) -> Result<Option<PathBuf>, StoreError> {
    let move_file = |from: &Path, to: &Path| {
        std::fs::rename(from, to).map_err(|source| StoreError::File {
            path: to.display().to_string(),
            source,
        })
    };
    let database_files = |dir: &Path| -> Vec<PathBuf> {
        ["", "-wal", "-shm"]
            .iter()
            .map(|suffix| dir.join(format!("{DATABASE_FILE_NAME}{suffix}")))
            .collect()
    };
    let mut present: Vec<PathBuf> = vec![data_dir.join(KEYRING_NAME)];
    present.extend(database_files(data_dir));
    present.retain(|path| path.exists());
    let kept_aside = if present.is_empty() {
        None
    } else {
        let mut aside = data_dir.join(format!("replaced-{}", now.format("%Y%m%d-%H%M%S")));
        if aside.exists() {
            aside = data_dir.join(format!(
                "replaced-{}-{}",
                now.format("%Y%m%d-%H%M%S"),
                uuid::Uuid::now_v7()
            ));
        }
        files::create_private_dir(&aside).map_err(|source| StoreError::DataDir {
            path: aside.display().to_string(),
            source,
        })?;
        for path in &present {
            if let Some(name) = path.file_name() {
                move_file(path, &aside.join(name))?;
            }
        }
        Some(aside)
    };
    for path in database_files(staging) {
        if let Some(name) = path.file_name().filter(|_| path.exists()) {
            move_file(&path, &data_dir.join(name))?;
        }
    }
    move_file(&staging.join(KEYRING_NAME), &data_dir.join(KEYRING_NAME))?;
    Ok(kept_aside)
}

/// Unpacks the database and keyring into `into`, checking each against the manifest's size and
/// SHA-256 while writing. Any other file, a missing one, or a mismatch: damaged.
fn unpack(backup: &Path, into: &Path) -> Result<Manifest, StoreError> {
    let unreadable = |error: io::Error| {
        damaged(
            backup,
            format!("it is not a readable desk backup ({error})"),
        )
    };
    let mut archive = tar::Archive::new(open_backup(backup)?);
    let mut manifest = None;
    let mut unpacked: Vec<(String, u64, String)> = Vec::new();
    for entry in archive.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let name = entry_name(&entry).unwrap_or_default();
        match name.as_str() {
            MANIFEST_NAME => manifest = Some(parse_manifest(backup, &mut entry)?),
            DATABASE_FILE_NAME | KEYRING_NAME => {
                if unpacked.iter().any(|(seen, _, _)| *seen == name) {
                    return Err(damaged(backup, format!("it holds {name} twice")));
                }
                let (bytes, sha256) =
                    copy_hashed(&mut entry, &into.join(&name)).map_err(unreadable)?;
                unpacked.push((name, bytes, sha256));
            }
            other => {
                return Err(damaged(
                    backup,
                    format!("it holds {other:?}, which no desk backup has"),
                ))
            }
        }
    }
    let manifest = manifest.ok_or_else(|| damaged(backup, format!("it has no {MANIFEST_NAME}")))?;
    for wanted in [DATABASE_FILE_NAME, KEYRING_NAME] {
        let listed = manifest.files.iter().find(|file| file.name == wanted);
        let found = unpacked.iter().find(|(name, _, _)| name == wanted);
        match (listed, found) {
            (Some(listed), Some((_, bytes, sha256)))
                if listed.bytes == *bytes && listed.sha256 == *sha256 => {}
            (Some(_), Some(_)) => {
                return Err(damaged(
                    backup,
                    format!("{wanted} does not match its checksum in the manifest (the file was changed or cut short)"),
                ))
            }
            _ => return Err(damaged(backup, format!("{wanted} is missing"))),
        }
    }
    Ok(manifest)
}

fn parse_manifest(backup: &Path, entry: &mut impl Read) -> Result<Manifest, StoreError> {
    let mut text = Vec::new();
    entry
        .take(MAX_MANIFEST_BYTES)
        .read_to_end(&mut text)
        .map_err(|error| damaged(backup, format!("its manifest cannot be read ({error})")))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|error| damaged(backup, format!("its manifest is not valid ({error})")))?;
    if manifest.format != BACKUP_FORMAT {
        return Err(damaged(
            backup,
            format!(
                "it is of format {} (made by PLKK Desk {}); this version reads format {BACKUP_FORMAT}",
                manifest.format, manifest.app_version
            ),
        ));
    }
    Ok(manifest)
}

/// Writes `from` into a new owner-only file `to`, synced; answers its size and SHA-256.
fn copy_hashed(from: &mut impl Read, to: &Path) -> io::Result<(u64, String)> {
    let mut file = files::create_private(to)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        let read = from.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        file.write_all(&buffer[..read])?;
        bytes += read as u64;
    }
    file.sync_all()?;
    Ok((bytes, hex::encode(hasher.finalize())))
}

fn entry_name<R: Read>(entry: &tar::Entry<'_, R>) -> Option<String> {
    entry
        .path()
        .ok()
        .map(|path| path.to_string_lossy().into_owned())
}

fn open_backup(backup: &Path) -> Result<File, StoreError> {
    File::open(backup).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => StoreError::NotFound {
            what: "backup file",
            id: backup.display().to_string(),
        },
        _ => StoreError::File {
            path: backup.display().to_string(),
            source: error,
        },
    })
}

fn damaged(backup: &Path, reason: String) -> StoreError {
    StoreError::BackupDamaged {
        path: backup.display().to_string(),
        reason,
    }
}
