//! Case documents at the branch (issue 13). A document's metadata arrives as a pushed `document`
//! entry (`push/document.rs`); its content follows in chunks, each appended to a partial file
//! `documents/partial/<document id>` in the data directory and flushed to disk (`fsync`) before
//! it is acknowledged, so the partial file's length is what the desk may resume from (a chunk cut
//! short by a broken connection has the bytes that arrived appended too: `http/documents.rs`). The chunk
//! that completes it has the whole hashed: a SHA-256 that matches the entry's moves the file to
//! `documents/<first two hex digits>/<sha256>` (a rename, after which the directory is flushed
//! too), where nothing but a whole, checked content ever appears; a mismatch drops the partial
//! file. Contents are addressed by SHA-256: a document whose content is here already (sent by any
//! desk) is confirmed at once and never stored twice (`document_contents`).
//!
//! Officers read them on the case page of the console and with `plkk-branch document list|get`;
//! each download from the console is recorded in the officers' audit log.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use plkk_domain::MAX_STORED_BYTES;
use plkk_protocol::DocumentUpload;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::time_text;
use crate::push::Device;
use crate::BranchError;

/// The folder of contents and partial uploads inside the data directory.
pub const DOCUMENTS_DIR: &str = "documents";

/// A document as the branch lists it (`plkk-branch document list --json`: `{id, kind, sha256,
/// bytes}` and more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BranchDocument {
    pub id: Uuid,
    pub intake_id: Uuid,
    pub kind: String,
    pub media_type: String,
    pub sha256: String,
    /// Its size, in bytes.
    pub bytes: u64,
    /// The file's size at the desk before downscaling, in bytes.
    pub original_bytes: u64,
    pub author: String,
    pub written_at: String,
    /// Whether its whole content is here, checked.
    pub confirmed: bool,
    /// The removal's reason, once removed at the desk.
    pub removed: Option<String>,
}

/// Why a chunk or a state request was refused.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// No such document at the branch (its entry is not confirmed yet), or of another clinic.
    #[error("the branch has no document {0} of this clinic (push its entry first)")]
    NotFound(Uuid),
    /// The chunk does not start where the branch's copy ends.
    #[error(
        "the chunk starts at byte {offset}, the branch holds {received}: send from {received}"
    )]
    OffsetMismatch { offset: u64, received: u64 },
    /// The chunk reaches past the document's size.
    #[error("the chunk ends at byte {end}, past the document's {bytes} bytes")]
    PastTheEnd { end: u64, bytes: u64 },
    /// The document is larger than this branch accepts.
    #[error("the document has {bytes} bytes; this branch accepts at most {limit}")]
    TooLarge { bytes: u64, limit: u64 },
    /// The whole's SHA-256 is not the entry's: the partial copy was dropped, send it again.
    #[error("the content's SHA-256 is {actual}, not {expected}: send it again from byte 0")]
    Sha256Mismatch { expected: String, actual: String },
    #[error(transparent)]
    Branch(#[from] BranchError),
}

impl From<rusqlite::Error> for DocumentError {
    fn from(error: rusqlite::Error) -> Self {
        DocumentError::Branch(error.into())
    }
}

impl From<std::io::Error> for DocumentError {
    fn from(error: std::io::Error) -> Self {
        DocumentError::Branch(error.into())
    }
}

/// Where the content `sha256` lives: `documents/ab/abcdef…`.
pub fn content_path(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir
        .join(DOCUMENTS_DIR)
        .join(&sha256[..2.min(sha256.len())])
        .join(sha256)
}

fn partial_path(data_dir: &Path, id: Uuid) -> PathBuf {
    data_dir
        .join(DOCUMENTS_DIR)
        .join("partial")
        .join(id.to_string())
}

/// Where uploads are kept, their limits and the branch's clock for one request.
#[derive(Debug, Clone)]
pub(crate) struct Uploads {
    pub(crate) data_dir: PathBuf,
    pub(crate) limits: UploadLimits,
    pub(crate) now: DateTime<Utc>,
}

/// What the branch holds of document `id` of `device`'s clinic. A document whose content is
/// here already (any document with its SHA-256) is confirmed now, without a byte sent.
pub(crate) fn upload_state(
    conn: &Connection,
    uploads: &Uploads,
    device: Device,
    id: Uuid,
) -> Result<DocumentUpload, DocumentError> {
    let (data_dir, limits, now) = (uploads.data_dir.as_path(), uploads.limits, uploads.now);
    let document = of_clinic(conn, device.clinic_id, id)?;
    if document.bytes > limits.max_document_bytes {
        return Err(DocumentError::TooLarge {
            bytes: document.bytes,
            limit: limits.max_document_bytes,
        });
    }
    if !document.confirmed && content_held(conn, &document.sha256)? {
        confirm(conn, id, now)?;
        let _ = fs::remove_file(partial_path(data_dir, id));
        return Ok(answer(&document, document.bytes, true, limits));
    }
    let received = if document.confirmed {
        document.bytes
    } else {
        partial_length(data_dir, id)?
    };
    Ok(answer(&document, received, document.confirmed, limits))
}

/// The limits of content uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// The largest document accepted, in bytes (at most `plkk_domain::MAX_STORED_BYTES`).
    pub max_document_bytes: u64,
    /// The largest chunk accepted, in bytes (the request body limit).
    pub max_chunk_bytes: u64,
}

/// Appends `chunk` at `offset` to document `id`'s partial copy, flushed to disk before answering;
/// the chunk that completes it has the whole checked and stored under its SHA-256.
pub(crate) fn receive_chunk(
    conn: &Connection,
    uploads: &Uploads,
    device: Device,
    id: Uuid,
    offset: u64,
    chunk: &[u8],
) -> Result<DocumentUpload, DocumentError> {
    let (data_dir, limits, now) = (uploads.data_dir.as_path(), uploads.limits, uploads.now);
    let state = upload_state(conn, uploads, device, id)?;
    if state.confirmed {
        // A repeat of the last chunk after its answer was lost: nothing more to store.
        return Ok(state);
    }
    if offset != state.received_bytes {
        return Err(DocumentError::OffsetMismatch {
            offset,
            received: state.received_bytes,
        });
    }
    let end = offset + chunk.len() as u64;
    if end > state.bytes {
        return Err(DocumentError::PastTheEnd {
            end,
            bytes: state.bytes,
        });
    }
    let partial = partial_path(data_dir, id);
    fs::create_dir_all(partial.parent().expect("a folder"))?;
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&partial)?;
    file.write_all(chunk)?;
    file.sync_data()?;
    drop(file);
    let document = of_clinic(conn, device.clinic_id, id)?;
    if end < document.bytes {
        return Ok(answer(&document, end, false, limits));
    }
    let actual = sha256_of_file(&partial)?;
    if actual != document.sha256 {
        fs::remove_file(&partial)?;
        return Err(DocumentError::Sha256Mismatch {
            expected: document.sha256,
            actual,
        });
    }
    store_content(conn, data_dir, &partial, &document, now)?;
    confirm(conn, id, now)?;
    Ok(answer(&document, document.bytes, true, limits))
}

/// Moves a checked partial copy to its content address (or drops it when the content is there
/// already) and records the content.
fn store_content(
    conn: &Connection,
    data_dir: &Path,
    partial: &Path,
    document: &BranchDocument,
    now: DateTime<Utc>,
) -> Result<(), DocumentError> {
    let target = content_path(data_dir, &document.sha256);
    if target.exists() {
        fs::remove_file(partial)?;
    } else {
        let folder = target.parent().expect("a folder");
        fs::create_dir_all(folder)?;
        fs::rename(partial, &target)?;
        sync_dir(folder);
    }
    conn.prepare_cached(
        "INSERT OR IGNORE INTO document_contents (sha256, bytes, stored_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![
        document.sha256,
        document.bytes as i64,
        time_text(now)
    ])?;
    Ok(())
}

/// Flushes a directory's entries (the rename) to disk; only Unix can open a directory for it.
fn sync_dir(folder: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = folder;
}

fn confirm(conn: &Connection, id: Uuid, now: DateTime<Utc>) -> Result<(), DocumentError> {
    conn.prepare_cached(
        "UPDATE documents SET confirmed_at = ?2 WHERE id = ?1 AND confirmed_at IS NULL",
    )?
    .execute(params![id.to_string(), time_text(now)])?;
    Ok(())
}

fn content_held(conn: &Connection, sha256: &str) -> Result<bool, DocumentError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM document_contents WHERE sha256 = ?1")?
        .query_row([sha256], |_| Ok(()))
        .optional()?
        .is_some())
}

fn partial_length(data_dir: &Path, id: Uuid) -> Result<u64, DocumentError> {
    match fs::metadata(partial_path(data_dir, id)) {
        Ok(metadata) => Ok(metadata.len()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(error) => Err(error.into()),
    }
}

fn sha256_of_file(path: &Path) -> Result<String, DocumentError> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

fn answer(
    document: &BranchDocument,
    received: u64,
    confirmed: bool,
    limits: UploadLimits,
) -> DocumentUpload {
    DocumentUpload {
        document_id: document.id,
        bytes: document.bytes,
        received_bytes: received,
        confirmed,
        max_chunk_bytes: limits.max_chunk_bytes,
    }
}

/// Document `id` if it belongs to `clinic_id`.
fn of_clinic(conn: &Connection, clinic_id: i64, id: Uuid) -> Result<BranchDocument, DocumentError> {
    let document = find(conn, id)?.ok_or(DocumentError::NotFound(id))?;
    let clinic: Option<i64> = conn
        .prepare_cached("SELECT clinic_id FROM cases WHERE intake_id = ?1")?
        .query_row([document.intake_id.to_string()], |row| row.get(0))
        .optional()?;
    if clinic != Some(clinic_id) {
        return Err(DocumentError::NotFound(id));
    }
    Ok(document)
}

const COLUMNS: &str =
    "d.id, d.intake_id, d.kind, d.media_type, d.sha256, d.bytes, d.original_bytes,
     d.author, d.written_at, d.confirmed_at IS NOT NULL, r.reason";

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(BranchDocumentRow, Option<String>)> {
    Ok((
        BranchDocumentRow {
            id: row.get(0)?,
            intake_id: row.get(1)?,
            kind: row.get(2)?,
            media_type: row.get(3)?,
            sha256: row.get(4)?,
            bytes: row.get(5)?,
            original_bytes: row.get(6)?,
            author: row.get(7)?,
            written_at: row.get(8)?,
            confirmed: row.get(9)?,
        },
        row.get(10)?,
    ))
}

struct BranchDocumentRow {
    id: String,
    intake_id: String,
    kind: String,
    media_type: String,
    sha256: String,
    bytes: i64,
    original_bytes: i64,
    author: String,
    written_at: String,
    confirmed: bool,
}

fn document_of(
    (stored, removed): (BranchDocumentRow, Option<String>),
) -> Result<BranchDocument, BranchError> {
    let id = |text: &str| {
        Uuid::parse_str(text).map_err(|_| BranchError::Stored(format!("document id {text:?}")))
    };
    Ok(BranchDocument {
        id: id(&stored.id)?,
        intake_id: id(&stored.intake_id)?,
        kind: stored.kind,
        media_type: stored.media_type,
        sha256: stored.sha256,
        bytes: stored.bytes as u64,
        original_bytes: stored.original_bytes as u64,
        author: stored.author,
        written_at: stored.written_at,
        confirmed: stored.confirmed,
        removed,
    })
}

/// Document `id`, whatever its clinic.
pub fn find(conn: &Connection, id: Uuid) -> Result<Option<BranchDocument>, BranchError> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM documents d LEFT JOIN document_removals r ON r.document_id = d.id
         WHERE d.id = ?1"
    ))?
    .query_row([id.to_string()], read_row)
    .optional()?
    .map(document_of)
    .transpose()
}

/// A case's documents, in the order they arrived, removed ones included.
pub fn list_for_case(
    conn: &Connection,
    intake_id: Uuid,
) -> Result<Vec<BranchDocument>, BranchError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM documents d LEFT JOIN document_removals r ON r.document_id = d.id
         WHERE d.intake_id = ?1 ORDER BY d.entry_seq"
    ))?;
    let rows = statement.query_map([intake_id.to_string()], read_row)?;
    rows.map(|found| document_of(found?)).collect()
}

/// Document `id` with its content, once confirmed (a document whose content has not arrived yet
/// is refused with `document_id` `not_confirmed`).
pub fn read(
    conn: &Connection,
    data_dir: &Path,
    id: Uuid,
) -> Result<(BranchDocument, Vec<u8>), BranchError> {
    let document = find(conn, id)?.ok_or_else(|| BranchError::NotFound {
        what: "document",
        name: id.to_string(),
    })?;
    if !document.confirmed {
        return Err(BranchError::refused(
            "document_id",
            "not_confirmed",
            format!("document_id: the content of {id} has not arrived whole yet"),
        ));
    }
    let path = content_path(data_dir, &document.sha256);
    let mut content = Vec::new();
    File::open(&path)?
        .take(MAX_STORED_BYTES + 1)
        .read_to_end(&mut content)?;
    Ok((document, content))
}

/// Document `id` with its content for `actor` (an officer, or `(cli)`), recorded in the officers'
/// audit log as downloaded.
pub fn download(
    conn: &mut Connection,
    data_dir: &Path,
    id: Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(BranchDocument, Vec<u8>), BranchError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let (document, content) = read(&tx, data_dir, id)?;
    crate::officer_audit::append(
        &tx,
        now,
        actor,
        crate::officer_audit::OfficerAction::DocumentDownloaded,
        Some(&id.to_string()),
        serde_json::json!({"case": document.intake_id, "kind": document.kind, "sha256": document.sha256}),
    )?;
    tx.commit()?;
    Ok((document, content))
}
