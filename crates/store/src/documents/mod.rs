//! Case documents on the desk (issue 13): attaching a file to a case (prepared by
//! `plkk_domain::prepare_document`: type read from content, photo upright and downscaled), its
//! bytes kept once per SHA-256 in `document_blobs` inside the encrypted database, its metadata
//! queued as a `document` outbox entry, and the attach audited — all in one transaction. Removal
//! is a new record with a reason (`document_removals`, a `document_removal` entry); the document
//! stays in the history. Everyone views (opening one is audited); receptionists and
//! administrators attach and remove any kind, nurses the doctor's certificate and `other`
//! (`DocumentKind::may_attach`). `upload.rs` is the sync's side: which documents' bytes go next,
//! their chunks, and what the branch said it holds.

mod upload;

use std::io::Read;
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use plkk_domain::{Action, AuditAction, DocumentKind, MediaType, Rejected};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::access::{require, Actor};
use crate::audit;
use crate::error::{intake_not_found, parse_id, refused};
use crate::projection::current_case;
use crate::rows::{immediate, parse_time, stored_id};
use crate::{outbox, payloads};
use crate::{Store, StoreError};

#[cfg(test)]
pub(crate) use upload::TO_UPLOAD;
pub use upload::{
    document_chunk, document_waiting, documents_to_upload, record_upload, DocumentToUpload,
    DocumentsWaiting,
};

/// Where a document stands on its way to the branch: `pending` (waiting: its case's records go
/// first), `uploading` (some of its bytes are at the branch; `uploaded_bytes` says how many),
/// `confirmed` (the branch holds the whole and checked its SHA-256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DocumentSyncState {
    Pending,
    Uploading,
    Confirmed,
}

/// Who removed a document, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DocumentRemoval {
    pub reason: String,
    pub author: String,
    pub written_at: DateTime<FixedOffset>,
}

/// One document of a case, as the window and `plkk document list --json` show it. Sizes in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DocumentView {
    pub id: Uuid,
    pub intake_id: Uuid,
    pub kind: DocumentKind,
    pub media_type: MediaType,
    /// SHA-256 of the stored bytes, 64 lowercase hex digits.
    pub sha256: String,
    /// Stored size (after downscaling).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// Size of the file as handed in.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub original_bytes: u64,
    /// The file's name as chosen; none for bytes dropped on the window.
    pub file_name: Option<String>,
    pub author: String,
    pub written_at: DateTime<FixedOffset>,
    pub sync_state: DocumentSyncState,
    /// How many of its bytes the branch holds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub uploaded_bytes: u64,
    /// Set once removed; a removed document stays listed.
    pub removed: Option<DocumentRemoval>,
}

/// A document with its stored bytes.
#[derive(Debug, Clone)]
pub struct DocumentContent {
    pub document: DocumentView,
    pub content: Vec<u8>,
}

/// A document with its content as a `data:` URL (`data:image/jpeg;base64,...`), for an `<img>`
/// thumbnail or the full view in the window.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DocumentData {
    pub document: DocumentView,
    pub data_url: String,
}

/// Attaches a file to a case: checks role and kind, prepares the bytes, stores blob, document,
/// outbox entry and audit entry in one transaction. A refused file names its rule on `file`
/// (`document_type_unsupported`, `document_type_mismatch`, `document_too_large`, ...), a refused
/// kind on `kind`, an unknown case on `intake_id`.
pub fn attach_document(
    store: &mut Store,
    actor: &Actor,
    intake_id: &str,
    kind: &str,
    file_name: Option<&str>,
    original: &[u8],
    now: DateTime<FixedOffset>,
) -> Result<DocumentView, StoreError> {
    require(actor, Action::AttachDocument)?;
    let kind = DocumentKind::parse(kind.trim()).map_err(one_issue)?;
    may_attach(actor, kind)?;
    let intake_id = parse_id("intake_id", intake_id)?;
    if current_case(&store.conn, intake_id)?.is_none() {
        return Err(intake_not_found("intake_id", intake_id));
    }
    let prepared = plkk_domain::prepare_document(file_name, original).map_err(one_issue)?;
    let id = Uuid::now_v7();
    let file_name = file_name.map(base_name);
    let tx = immediate(&store.conn)?;
    tx.prepare_cached("INSERT OR IGNORE INTO document_blobs (sha256, content) VALUES (?1, ?2)")?
        .execute(params![prepared.sha256, prepared.bytes])?;
    tx.prepare_cached(
        "INSERT INTO documents (id, intake_id, kind, media_type, sha256, bytes, original_bytes,
                                file_name, author, written_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        id.to_string(),
        intake_id.to_string(),
        kind.as_str(),
        prepared.media_type.as_str(),
        prepared.sha256,
        prepared.bytes.len() as i64,
        prepared.original_bytes as i64,
        file_name,
        actor.username,
        now.to_rfc3339(),
    ])?;
    let payload = payloads::document(id, intake_id, kind, &prepared, &actor.username, now);
    outbox::enqueue(&tx, id, intake_id, &payload, now)?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::AttachDocument,
        Some(&intake_id.to_string()),
        json!({"document": id, "kind": kind.as_str(), "sha256": prepared.sha256,
               "bytes": prepared.bytes.len(), "original_bytes": prepared.original_bytes}),
    )?;
    tx.commit()?;
    document(&store.conn, id)?.ok_or_else(|| StoreError::Corrupt("document just written".into()))
}

/// Reads a file to attach, refusing one over `plkk_domain::MAX_INPUT_BYTES` (`file`
/// `document_too_large`) before reading it and a missing or unreadable one (`file` `unreadable`),
/// so a wrong path never reads gigabytes into memory.
pub fn read_document_file(path: &Path) -> Result<Vec<u8>, StoreError> {
    let unreadable = |error: std::io::Error| {
        refused(
            "file",
            "unreadable",
            format!("file: cannot read {}: {error}", path.display()),
        )
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let limit = plkk_domain::MAX_INPUT_BYTES;
    let mut content = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut content)
        .map_err(unreadable)?;
    if content.len() as u64 > limit {
        return Err(refused(
            "file",
            "document_too_large",
            format!("file: at most {limit} bytes before downscaling (got more)"),
        ));
    }
    Ok(content)
}

/// Every document of a case, oldest first, removed ones included (marked).
pub fn list_documents(
    store: &Store,
    actor: &Actor,
    intake_id: &str,
) -> Result<Vec<DocumentView>, StoreError> {
    require(actor, Action::View)?;
    let intake_id = parse_id("intake_id", intake_id)?;
    if current_case(&store.conn, intake_id)?.is_none() {
        return Err(intake_not_found("intake_id", intake_id));
    }
    let ids: Vec<String> = store
        .conn
        .prepare_cached("SELECT id FROM documents WHERE intake_id = ?1 ORDER BY seq")?
        .query_map([intake_id.to_string()], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    ids.iter()
        .map(|id| {
            document(&store.conn, stored_id(id)?)?
                .ok_or_else(|| StoreError::Corrupt(format!("document {id} vanished")))
        })
        .collect()
}

/// A document with its bytes, for showing or saving to a file; audited as opened.
pub fn open_document(
    store: &Store,
    actor: &Actor,
    document_id: &str,
    now: DateTime<FixedOffset>,
) -> Result<DocumentContent, StoreError> {
    require(actor, Action::View)?;
    let id = parse_id("id", document_id)?;
    let document = document(&store.conn, id)?.ok_or_else(|| not_found(id))?;
    let content: Vec<u8> = store
        .conn
        .prepare_cached("SELECT content FROM document_blobs WHERE sha256 = ?1")?
        .query_row([&document.sha256], |row| row.get(0))?;
    let tx = immediate(&store.conn)?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::OpenDocument,
        Some(&document.intake_id.to_string()),
        json!({"document": id, "kind": document.kind.as_str()}),
    )?;
    tx.commit()?;
    Ok(DocumentContent { document, content })
}

/// [`open_document`] with the content as a `data:` URL; audited as opened.
pub fn document_data_url(
    store: &Store,
    actor: &Actor,
    document_id: &str,
    now: DateTime<FixedOffset>,
) -> Result<DocumentData, StoreError> {
    use base64::Engine;
    let opened = open_document(store, actor, document_id, now)?;
    let data_url = format!(
        "data:{};base64,{}",
        opened.document.media_type.as_str(),
        base64::engine::general_purpose::STANDARD.encode(&opened.content)
    );
    Ok(DocumentData {
        document: opened.document,
        data_url,
    })
}

/// Takes a document off its case with a reason: a removal record, its outbox entry and an audit
/// entry in one transaction. The document and its bytes stay. Refused twice (`already_removed`).
pub fn remove_document(
    store: &mut Store,
    actor: &Actor,
    document_id: &str,
    reason: &str,
    now: DateTime<FixedOffset>,
) -> Result<DocumentView, StoreError> {
    require(actor, Action::AttachDocument)?;
    let id = parse_id("id", document_id)?;
    let document = document(&store.conn, id)?.ok_or_else(|| not_found(id))?;
    may_attach(actor, document.kind)?;
    let reason = plkk_domain::removal_reason(reason).map_err(one_issue)?;
    if document.removed.is_some() {
        return Err(refused(
            "id",
            "already_removed",
            format!("id: document {id} was removed already"),
        ));
    }
    let removal_id = Uuid::now_v7();
    let tx = immediate(&store.conn)?;
    tx.prepare_cached(
        "INSERT INTO document_removals (id, document_id, reason, author, written_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        removal_id.to_string(),
        id.to_string(),
        reason,
        actor.username,
        now.to_rfc3339()
    ])?;
    let payload = payloads::document_removal(
        removal_id,
        id,
        document.intake_id,
        &reason,
        &actor.username,
        now,
    );
    outbox::enqueue(&tx, removal_id, document.intake_id, &payload, now)?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::RemoveDocument,
        Some(&document.intake_id.to_string()),
        json!({"document": id, "reason": reason}),
    )?;
    tx.commit()?;
    self::document(&store.conn, id)?.ok_or_else(|| not_found(id))
}

fn may_attach(actor: &Actor, kind: DocumentKind) -> Result<(), StoreError> {
    if kind.may_attach(actor.role) {
        Ok(())
    } else {
        Err(StoreError::Forbidden {
            role: actor.role,
            action: Action::AttachDocument,
        })
    }
}

fn one_issue(issue: plkk_domain::Issue) -> StoreError {
    StoreError::Invalid(Rejected {
        errors: vec![issue],
        warnings: Vec::new(),
    })
}

fn not_found(id: Uuid) -> StoreError {
    refused(
        "id",
        "not_found",
        format!("id: no document with id {id} on this desk"),
    )
}

/// The last part of a path as typed (either separator), so a name never carries folders.
fn base_name(file_name: &str) -> String {
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    plkk_domain::limits::clip(name, 255)
}

/// One document as stored, with its removal and upload state.
pub(crate) fn document(conn: &Connection, id: Uuid) -> Result<Option<DocumentView>, StoreError> {
    type Row = (
        String,
        String,
        String,
        String,
        i64,
        i64,
        Option<String>,
        String,
        String,
    );
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT intake_id, kind, media_type, sha256, bytes, original_bytes, file_name, author,
                    written_at
             FROM documents WHERE id = ?1",
        )?
        .query_row([id.to_string()], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
                row.get(8)?,
            ))
        })
        .optional()?;
    let Some((intake_id, kind, media, sha256, bytes, original_bytes, file_name, author, written)) =
        row
    else {
        return Ok(None);
    };
    let removed = conn
        .prepare_cached(
            "SELECT reason, author, written_at FROM document_removals WHERE document_id = ?1",
        )?
        .query_row([id.to_string()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .optional()?
        .map(|(reason, author, at)| {
            Ok::<_, StoreError>(DocumentRemoval {
                reason,
                author,
                written_at: parse_time(&at)?,
            })
        })
        .transpose()?;
    let bytes = bytes as u64;
    let (sync_state, uploaded_bytes) = upload::state(conn, id, bytes)?;
    Ok(Some(DocumentView {
        id,
        intake_id: stored_id(&intake_id)?,
        kind: DocumentKind::parse(&kind)
            .map_err(|_| StoreError::Corrupt(format!("document kind {kind:?}")))?,
        media_type: MediaType::parse(&media)
            .ok_or_else(|| StoreError::Corrupt(format!("media type {media:?}")))?,
        sha256,
        bytes,
        original_bytes: original_bytes as u64,
        file_name,
        author,
        written_at: parse_time(&written)?,
        sync_state,
        uploaded_bytes,
        removed,
    }))
}
