//! Case documents on the wire (issue 13). A document's metadata travels as an outbox entry like
//! any record ([`DocumentPayload`] in a `document` entry, [`DocumentRemovalPayload`] in a
//! `document_removal` entry); its bytes follow separately, once that entry is confirmed, in chunks:
//!
//! - `GET /api/v1/documents/{id}/content` → [`DocumentUpload`]: how many bytes of the document the
//!   branch holds (`received_bytes`, the offset of the first byte it lacks) and whether it is
//!   `confirmed` (whole, its SHA-256 checked). A document whose content the branch already holds
//!   (the same SHA-256 from any desk) is confirmed at once: nothing is sent twice.
//! - `PUT /api/v1/documents/{id}/content?offset=N` with the raw bytes (`application/octet-stream`,
//!   at most the branch's `max_chunk_bytes`, 413 past it) → [`DocumentUpload`]. The chunk must
//!   start at `received_bytes` (409 `offset_mismatch` otherwise: ask again). A chunk cut short by
//!   a broken connection has the bytes that arrived kept, so the next one starts after them. The chunk that
//!   completes the document has the whole checked against its SHA-256 (422 `sha256_mismatch`
//!   and the partial bytes dropped when it differs).

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The chunk a desk sends first, in bytes (256 KiB); halved after a 413, down to
/// [`MIN_CHUNK_BYTES`].
pub const DOCUMENT_CHUNK_BYTES: usize = 256 * 1024;
/// The smallest chunk a desk sends, in bytes (a 413 for this size is a refusal of the document).
pub const MIN_CHUNK_BYTES: usize = 4 * 1024;

/// The payload of a `document` entry: what the document is and who attached it. The bytes are
/// not in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DocumentPayload {
    /// The document's id (UUID v7).
    pub id: Uuid,
    /// The case it belongs to.
    pub intake_id: Uuid,
    /// `plkk_domain::DocumentKind`: `ktp`, `kpj_card`, `police_report`, `employer_report_3kk1`,
    /// `doctor_certificate_3bkk3`, `receipt`, `other`.
    pub kind: String,
    /// `image/jpeg`, `image/png` or `application/pdf`.
    pub media_type: String,
    /// SHA-256 of the stored bytes, 64 lowercase hex digits.
    pub sha256: String,
    /// Size of the stored bytes (at most 10,000,000).
    pub bytes: u64,
    /// Size of the file before the desk downscaled it, in bytes.
    pub original_bytes: u64,
    /// The username of who attached it.
    pub author: String,
    /// The desk's clock when it was attached.
    pub written_at: DateTime<FixedOffset>,
}

/// The payload of a `document_removal` entry: a document taken off its case, with the reason. The
/// document stays in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DocumentRemovalPayload {
    /// The removal's id (UUID v7).
    pub id: Uuid,
    /// The document removed.
    pub document_id: Uuid,
    /// The case it belongs to.
    pub intake_id: Uuid,
    /// Why, as the person wrote it (at most 500 characters).
    pub reason: String,
    /// The username of who removed it.
    pub author: String,
    /// The desk's clock when it was removed.
    pub written_at: DateTime<FixedOffset>,
}

/// Where a document's content stands at the branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct DocumentUpload {
    /// The document.
    pub document_id: Uuid,
    /// Its size, in bytes (from its entry).
    pub bytes: u64,
    /// How many bytes the branch holds: the offset of the next chunk to send.
    pub received_bytes: u64,
    /// The whole is at the branch and its SHA-256 matched.
    pub confirmed: bool,
    /// The largest chunk the branch accepts, in bytes.
    pub max_chunk_bytes: u64,
}
