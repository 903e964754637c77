//! The sync's side of documents: which documents' bytes go up next (those whose `document` entry
//! the branch confirmed, so their case's intake is there and every earlier record of the case is
//! ahead of them; oldest first), a chunk of a document's bytes read straight from its blob, and
//! what the branch last said it holds (`document_uploads`: received bytes, the chunk size in use,
//! confirmed). Only these statements touch `document_uploads`.

use chrono::{DateTime, FixedOffset};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use uuid::Uuid;

use super::DocumentSyncState;
use crate::rows::stored_id;
use crate::{Store, StoreError};

/// A document whose bytes the branch does not hold yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentToUpload {
    pub id: Uuid,
    pub sha256: String,
    /// Its size, in bytes.
    pub bytes: u64,
    /// What the branch said it holds, last time it answered.
    pub received_bytes: u64,
    /// The chunk size to use, in bytes (smaller after a 413); none before the first chunk.
    pub chunk_bytes: Option<usize>,
}

/// Documents and bytes not yet confirmed by the branch (`plkk status`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DocumentsWaiting {
    pub documents: u64,
    /// Bytes the branch does not hold yet.
    pub bytes: u64,
}

/// Documents in attach order whose bytes the branch lacks and whose entry it confirmed. It walks
/// `documents` in order and looks each entry up by its record (`outbox_by_record`), so it stops at
/// `limit`; joined the other way, it read every confirmed entry of the outbox at every sync.
pub(crate) const TO_UPLOAD: &str =
    "SELECT d.id, d.sha256, d.bytes, coalesce(u.received_bytes, 0), u.chunk_bytes
     FROM documents AS d
     LEFT JOIN document_uploads AS u ON u.document_id = d.id
     WHERE u.confirmed_at IS NULL
       AND EXISTS (SELECT 1 FROM outbox AS o
                   WHERE o.record_id = d.id AND o.kind = 'document' AND o.state = 'confirmed')
     ORDER BY d.seq LIMIT ?1";

/// Up to `limit` documents to upload, oldest first: their `document` entry is confirmed and the
/// branch has not confirmed their bytes.
pub fn documents_to_upload(
    store: &Store,
    limit: usize,
) -> Result<Vec<DocumentToUpload>, StoreError> {
    let mut statement = store.conn.prepare_cached(TO_UPLOAD)?;
    let rows = statement.query_map([limit as i64], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, i64>(3)?,
            row.get::<_, Option<i64>>(4)?,
        ))
    })?;
    let mut documents = Vec::new();
    for row in rows {
        let (id, sha256, bytes, received, chunk) = row?;
        documents.push(DocumentToUpload {
            id: stored_id(&id)?,
            sha256,
            bytes: bytes as u64,
            received_bytes: received as u64,
            chunk_bytes: chunk.map(|chunk| chunk as usize),
        });
    }
    Ok(documents)
}

/// `len` bytes of the content `sha256` from `offset` (fewer at its end), read from the blob
/// without loading the whole.
pub fn document_chunk(
    store: &Store,
    sha256: &str,
    offset: u64,
    len: usize,
) -> Result<Vec<u8>, StoreError> {
    let chunk: Option<Vec<u8>> = store
        .conn
        .prepare_cached("SELECT substr(content, ?2 + 1, ?3) FROM document_blobs WHERE sha256 = ?1")?
        .query_row(params![sha256, offset as i64, len as i64], |row| row.get(0))
        .optional()?;
    chunk.ok_or_else(|| StoreError::Corrupt(format!("no stored content {sha256}")))
}

/// Keeps what the branch answered about a document: how many bytes it holds, the chunk size in
/// use, whether it confirmed the whole, and the last failure (none on success).
pub fn record_upload(
    store: &Store,
    document_id: Uuid,
    received_bytes: u64,
    chunk_bytes: usize,
    confirmed: bool,
    last_error: Option<&str>,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    store
        .conn
        .prepare_cached(
            "INSERT INTO document_uploads (document_id, received_bytes, chunk_bytes, confirmed_at,
                                           last_error)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (document_id) DO UPDATE SET
                 received_bytes = excluded.received_bytes, chunk_bytes = excluded.chunk_bytes,
                 confirmed_at = coalesce(document_uploads.confirmed_at, excluded.confirmed_at),
                 last_error = excluded.last_error",
        )?
        .execute(params![
            document_id.to_string(),
            received_bytes as i64,
            chunk_bytes as i64,
            confirmed.then(|| now.to_rfc3339()),
            last_error,
        ])?;
    Ok(())
}

/// How many documents, and how many of their bytes, the branch has not confirmed.
pub fn document_waiting(store: &Store) -> Result<DocumentsWaiting, StoreError> {
    waiting(&store.conn)
}

pub(crate) fn waiting(conn: &Connection) -> Result<DocumentsWaiting, StoreError> {
    let (documents, bytes): (i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(d.bytes - coalesce(u.received_bytes, 0)), 0)
             FROM documents AS d LEFT JOIN document_uploads AS u ON u.document_id = d.id
             WHERE u.confirmed_at IS NULL",
        )?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(DocumentsWaiting {
        documents: documents as u64,
        bytes: bytes as u64,
    })
}

/// A document's state and the bytes the branch holds.
pub(super) fn state(
    conn: &Connection,
    id: Uuid,
    bytes: u64,
) -> Result<(DocumentSyncState, u64), StoreError> {
    let row: Option<(i64, Option<String>)> = conn
        .prepare_cached(
            "SELECT received_bytes, confirmed_at FROM document_uploads WHERE document_id = ?1",
        )?
        .query_row([id.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(match row {
        Some((_, Some(_))) => (DocumentSyncState::Confirmed, bytes),
        Some((received, None)) if received > 0 => (DocumentSyncState::Uploading, received as u64),
        _ => (DocumentSyncState::Pending, 0),
    })
}
