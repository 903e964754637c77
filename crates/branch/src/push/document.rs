//! Applying a pushed document's metadata and a removal: the author and ids, the case present
//! here (else it waits for its intake: `intake_id` `not_found`), the kind and media type from
//! `plkk_domain`'s lists, a SHA-256 of 64 lowercase hex digits, a size of 1 to
//! `plkk_domain::MAX_STORED_BYTES` bytes. The bytes come later (`crate::documents`).

use crate::sql::{params, Db, OptionalExtension};
use plkk_domain::{DocumentKind, MediaType, MAX_STORED_BYTES};
use plkk_protocol::{DocumentPayload, DocumentRemovalPayload, PushEntry, Receipt};

use super::{
    applied, author_issues, current_intake, error_issue, intake_missing, mismatch, rejected,
    store_entry, Clocks, Device, PushError, ReceiptNumbers,
};

pub(super) fn apply_document(
    tx: &Db,
    device: Device,
    entry: &PushEntry,
    payload: &DocumentPayload,
    clocks: Clocks,
    numbers: &ReceiptNumbers,
) -> Result<Receipt, PushError> {
    let now = clocks.branch;
    let mut issues = author_issues(&payload.author);
    if payload.id != entry.record_id || payload.intake_id != entry.intake_id {
        issues.extend(mismatch(
            "id",
            "the document's id and intake_id must be the entry's record_id and intake_id",
        ));
    }
    if let Err(issue) = DocumentKind::parse(&payload.kind) {
        issues.push(issue);
    }
    if MediaType::parse(&payload.media_type).is_none() {
        issues.push(error_issue(
            "media_type",
            "document_type_unsupported",
            format!(
                "media_type: image/jpeg, image/png or application/pdf (got {:?})",
                plkk_domain::limits::clip(&payload.media_type, 60)
            ),
        ));
    }
    if !plkk_domain::is_sha256_hex(&payload.sha256) {
        issues.push(error_issue(
            "sha256",
            "sha256_format",
            "sha256: must be 64 lowercase hex digits".to_owned(),
        ));
    }
    if payload.bytes == 0 || payload.bytes > MAX_STORED_BYTES {
        issues.push(error_issue(
            "bytes",
            "document_too_large",
            format!(
                "bytes: a document holds 1 to {MAX_STORED_BYTES} bytes (got {})",
                payload.bytes
            ),
        ));
    }
    if !issues.is_empty() {
        return Ok(rejected(entry, now, issues));
    }
    if current_intake(tx, entry.intake_id)?.is_none() {
        return Ok(rejected(entry, now, intake_missing(entry.intake_id)));
    }
    let receipt = applied(entry, now, &[], tx, numbers)?;
    let seq = store_entry(tx, device, entry, &receipt, clocks)?;
    tx.prepare_cached(
        "INSERT INTO documents (id, intake_id, entry_seq, kind, media_type, sha256, bytes,
                                original_bytes, author, written_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        payload.id.to_string(),
        payload.intake_id.to_string(),
        seq,
        payload.kind,
        payload.media_type,
        payload.sha256,
        payload.bytes as i64,
        payload.original_bytes as i64,
        payload.author.trim(),
        payload.written_at.to_rfc3339(),
    ])?;
    Ok(receipt)
}

pub(super) fn apply_removal(
    tx: &Db,
    device: Device,
    entry: &PushEntry,
    payload: &DocumentRemovalPayload,
    clocks: Clocks,
    numbers: &ReceiptNumbers,
) -> Result<Receipt, PushError> {
    let now = clocks.branch;
    let mut issues = author_issues(&payload.author);
    if payload.id != entry.record_id || payload.intake_id != entry.intake_id {
        issues.extend(mismatch(
            "id",
            "the removal's id and intake_id must be the entry's record_id and intake_id",
        ));
    }
    if let Err(issue) = plkk_domain::removal_reason(&payload.reason) {
        issues.push(issue);
    }
    if !issues.is_empty() {
        return Ok(rejected(entry, now, issues));
    }
    let case: Option<String> = tx
        .prepare_cached("SELECT intake_id FROM documents WHERE id = ?1")?
        .query_row([payload.document_id.to_string()], |row| row.get(0))
        .optional()?;
    if case.as_deref() != Some(payload.intake_id.to_string().as_str()) {
        let message = format!(
            "document_id: the branch has no document {} on this case (it must be sent first)",
            payload.document_id
        );
        return Ok(rejected(
            entry,
            now,
            vec![error_issue("document_id", "not_found", message)],
        ));
    }
    let receipt = applied(entry, now, &[], tx, numbers)?;
    let seq = store_entry(tx, device, entry, &receipt, clocks)?;
    tx.prepare_cached(
        "INSERT INTO document_removals (id, document_id, entry_seq, reason, author, written_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        payload.id.to_string(),
        payload.document_id.to_string(),
        seq,
        payload.reason.trim(),
        payload.author.trim(),
        payload.written_at.to_rfc3339(),
    ])?;
    Ok(receipt)
}
