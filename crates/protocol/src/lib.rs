//! What crosses HTTP between a desk and the branch server, API v1: JSON bodies (gzip allowed both
//! ways), bearer device tokens. These types are the contract: every payload has its type
//! (`payload`), records inside travel as typed structs of scalar fields with the record
//! contract's field names and are validated with `plkk-domain` at the edges (the branch on push,
//! the desk on pull). Untrusted JSON is read straight into these types, never into a generic
//! JSON value: lists have ceilings (`bounded`), a list or object where a text belongs stops the
//! parse, so reading a body holds no more than its typed fields. Text lengths are
//! `plkk_domain::limits`. No IO here.
//!
//! Routes (all under `/api/v1`):
//! - `GET  /health` (no auth) → [`Health`] (with the branch's body limit, so desks size their
//!   pushes to it)
//! - `POST /enroll` (no auth) [`EnrollRequest`] → [`Enrollment`]; 400/404/410 when the code is
//!   malformed, unknown, expired or already used
//! - `POST /push` [`PushRequest`] → [`PushResponse`] (one [`Receipt`] per entry, same order; the
//!   desk's audit entries may ride along as an [`AuditBatch`])
//! - `GET  /changes?since=CURSOR&limit=N` → [`Changes`]: at most `limit` (1 to
//!   [`MAX_CHANGES_PER_PULL`]) changes and about [`MAX_CHANGES_PAGE_BYTES`] bytes of JSON
//! - `POST /audit` [`AuditPushRequest`] → [`AuditPushResponse`] (audit entries in full)
//! - `GET  /documents/{id}/content` → [`DocumentUpload`]; `PUT /documents/{id}/content?offset=N`
//!   with raw bytes → [`DocumentUpload`] (a case document's content in chunks, `document` module)
//! - `GET  /openapi.json` (no auth) → the OpenAPI document, generated from the code
//!
//! Every error is a status code with an [`ErrorBody`]; 401 means the token is missing, unknown or
//! revoked (`error: "device_revoked"` for a revoked one), 403 a record of another clinic, 408 a
//! body that did not arrive in time, 413 a body over the limit, 422 a body that is JSON but not
//! of the expected shape (the message and `issues` name the field).

#![deny(missing_docs)]

mod audit_batch;
mod bounded;
mod bpu;
mod changes;
mod document;
mod entry;
mod payload;
#[cfg(feature = "utoipa")]
mod schema;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

pub use audit_batch::{AuditBatch, AuditLine, UnpackError};
pub use bpu::{
    BpuContribution, BpuDecision, BpuPayload, BpuRecord, BpuStatus, OnBehalfOfRecord,
    ReferenceFile, BPU_TARIFF,
};
pub use changes::{Change, ChangeBody, Changes};
pub use document::{
    DocumentPayload, DocumentRemovalPayload, DocumentUpload, DOCUMENT_CHUNK_BYTES, MIN_CHUNK_BYTES,
};
pub use entry::PushEntry;
pub use payload::{
    Codes, CorrectionPayload, EntryKind, FieldChange, IntakePayload, IntakeRecord, NotePayload,
    Number, Payload,
};

/// The path every route of API v1 starts with.
pub const API_PREFIX: &str = "/api/v1";
/// Largest request body the branch accepts, before decompression (and after).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Most entries a desk sends in one push (and most audit entries in one audit push).
pub const MAX_ENTRIES_PER_PUSH: usize = 500;
/// Most audit lines riding along with one push (`PushRequest.audit.lines`, and the actors they
/// name). A desk's audit log grows by about one entry per record, and only one request in flight
/// may carry audit entries (the chain must arrive in order), so that request carries several
/// requests' worth. Branches before this constant took [`MAX_ENTRIES_PER_PUSH`]: a desk sends
/// more only to a branch whose [`Health::max_audit_lines`] says so.
pub const MAX_AUDIT_LINES_PER_PUSH: usize = 2_000;
/// Most changes one pull answers.
pub const MAX_CHANGES_PER_PULL: u32 = 1000;
/// Changes a pull answers when the desk does not say.
pub const DEFAULT_CHANGES_PER_PULL: u32 = 500;
/// About how many bytes of JSON one pull answers at most: the branch stops adding changes to a
/// page before it passes this (a page always holds at least one change, and one change of valid
/// records is far smaller).
pub const MAX_CHANGES_PAGE_BYTES: usize = 1024 * 1024;
/// The header in which a desk tells the branch, on every pull, how many of its outbox entries
/// are not yet confirmed (a count, 0 or more). With its `Date` (the desk's clock) and
/// `User-Agent` (`plkk-desk/VERSION`) the branch console shows it per desk.
pub const OUTBOX_WAITING_HEADER: &str = "plkk-outbox-waiting";

/// Largest answer a desk reads from the branch (after gzip decompression); anything larger is an
/// unexpected answer.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// The answer of `GET /api/v1/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always "ok" when the server answers.
    pub status: String,
    /// The branch's clock.
    pub server_time: DateTime<Utc>,
    /// The branch's version.
    pub version: String,
    /// The largest request body the branch accepts, in bytes, both as sent (gzip) and after
    /// decompression. Absent from branches older than this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<u64>,
    /// The most audit lines one push may carry ([`MAX_AUDIT_LINES_PER_PUSH`]). Absent from
    /// branches older than this field, which take [`MAX_ENTRIES_PER_PUSH`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_audit_lines: Option<u64>,
}

/// The body of `POST /api/v1/enroll`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The one-time enrolment code a branch administrator issued for the clinic.
    pub code: String,
    /// A name for the desk, shown to the branch administrator (e.g. "Meja depan 1").
    pub device_name: String,
}

/// `POST /restored`: a desk restored from a backup asks for a new identity in its clinic (its
/// token is the one the backup held). The branch answers an [`Enrollment`] and revokes the old
/// identity, which stays in its records as the sender of what it sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RestoredRequest {
    /// When the backup the desk was restored from was made (the desk's clock).
    pub backup_made_at: DateTime<FixedOffset>,
}

/// The answer to an enrolment: who the desk now is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Enrollment {
    /// The desk's id at the branch.
    pub device_id: Uuid,
    /// The bearer token for every later request; the branch keeps only its hash.
    pub token: String,
    /// The clinic's code at the branch.
    pub clinic_code: String,
    /// The clinic's name.
    pub clinic_name: String,
    /// The branch's clock.
    pub server_time: DateTime<Utc>,
}

/// The body of `POST /api/v1/push`: outbox entries, and audit entries riding along.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// At most [`MAX_ENTRIES_PER_PUSH`].
    #[serde(deserialize_with = "bounded::vec::<_, _, MAX_ENTRIES_PER_PUSH>")]
    pub entries: Vec<PushEntry>,
    /// The desk's audit entries that ride along (stored after the entries, in the same
    /// transaction; an invalid batch refuses the whole request before anything is stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditBatch>,
    /// The desk's clock when it sent the request, with its UTC offset. The branch judges the
    /// rules that depend on "now" (an admission not in the future, a birth date not after today)
    /// against the desk's own clock, never its own, and keeps the difference between the two
    /// (`desk_time` minus the branch's clock on arrival) so an officer can see a desk whose clock
    /// was off. Absent from desks before this field existed: the branch then uses its own clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk_time: Option<DateTime<FixedOffset>>,
}

/// What the branch did with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stored now; `receipt` is its proof.
    Applied,
    /// Stored before (a resend); the receipt is the one first given.
    Duplicate,
    /// Refused; `issues` say which fields and why. Nothing was stored.
    Rejected,
    /// A correction whose `from` values no longer match the branch's current values (another
    /// desk changed the same field first). Kept at the branch and shown to the clinic's desks; the
    /// current values are unchanged until a person resolves it.
    Conflict,
}

/// A field-level reason, as `plkk-domain` reports it (its `Issue`, every part kept: the desk
/// translates `rule` with `params`, and shows `message` only for a rule it does not know).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldIssue {
    /// The field, or a path such as `changes[2].to`.
    pub field: String,
    /// The stable rule code (the desk translates it).
    pub rule: String,
    /// "error" or "warning".
    #[cfg_attr(feature = "ts", ts(type = "\"error\" | \"warning\""))]
    pub severity: String,
    /// English text, starting with the field name.
    pub message: String,
    /// Values the desk needs to say the rule in its own words, e.g. {"max": "500"}.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl FieldIssue {
    /// The wire form of a domain finding; the message is cut to `limits::MESSAGE` characters.
    pub fn of(issue: &plkk_domain::Issue) -> FieldIssue {
        FieldIssue {
            field: plkk_domain::limits::clip(&issue.field, 120),
            rule: issue.rule.clone(),
            severity: match issue.severity {
                plkk_domain::Severity::Error => "error",
                plkk_domain::Severity::Warning => "warning",
            }
            .to_owned(),
            message: plkk_domain::limits::clip(&issue.message, plkk_domain::limits::MESSAGE),
            params: issue.params.clone(),
        }
    }
}

/// The branch's answer to one entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// The entry answered.
    pub entry_id: Uuid,
    /// What the branch did with it.
    pub outcome: Outcome,
    /// The branch's receipt number: its sequence number for the entry (also for conflicts).
    /// Absent for a rejected entry.
    pub receipt: Option<i64>,
    /// When the branch answered, by its clock.
    pub received_at: DateTime<Utc>,
    /// Why it was rejected (errors), or warnings kept with an applied record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<FieldIssue>,
    /// For a conflict: each field whose branch value differs from the desk's `from`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<FieldConflict>,
}

/// A field a correction changes that changed at the branch meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldConflict {
    /// The intake field.
    pub field: String,
    /// What the desk thought the value was (its `from`).
    pub base: Option<String>,
    /// The branch's current value.
    pub branch: Option<String>,
    /// What the desk wanted (its `to`).
    pub desk: Option<String>,
}

/// The answer to a push: one receipt per entry, in the request's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// One per entry, in order.
    #[serde(deserialize_with = "bounded::vec::<_, _, MAX_ENTRIES_PER_PUSH>")]
    pub receipts: Vec<Receipt>,
    /// The branch's clock.
    pub server_time: DateTime<Utc>,
    /// The answer to the request's `audit`, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditPushResponse>,
}

/// The branch's status for a case (DOMAIN.md, "Case status from the branch").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Received by the branch, not yet judged.
    Received,
    /// Eligible for the work-accident programme (JKK).
    Eligible,
    /// Not eligible.
    NotEligible,
    /// A guarantee letter was issued to the clinic.
    GuaranteeIssued,
    /// Concluded: a work accident.
    ConcludedWorkAccident,
    /// Concluded: not a work accident.
    ConcludedNotWorkAccident,
}

impl CaseStatus {
    /// Every status.
    pub const ALL: [CaseStatus; 6] = [
        CaseStatus::Received,
        CaseStatus::Eligible,
        CaseStatus::NotEligible,
        CaseStatus::GuaranteeIssued,
        CaseStatus::ConcludedWorkAccident,
        CaseStatus::ConcludedNotWorkAccident,
    ];

    /// The status's name on the wire and in the desk's database.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Received => "received",
            CaseStatus::Eligible => "eligible",
            CaseStatus::NotEligible => "not_eligible",
            CaseStatus::GuaranteeIssued => "guarantee_issued",
            CaseStatus::ConcludedWorkAccident => "concluded_work_accident",
            CaseStatus::ConcludedNotWorkAccident => "concluded_not_work_accident",
        }
    }

    /// The status named `text` (exactly).
    pub fn parse(text: &str) -> Option<CaseStatus> {
        CaseStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// One entry of a desk's audit log (see `plkk_domain::AuditEntry`: the same fields, hashed the
/// same way). Sent in order, with `POST /api/v1/audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// The entry's number in the desk's log (1, 2, ...).
    pub seq: i64,
    /// When it happened, by the desk's clock.
    pub at: DateTime<FixedOffset>,
    /// Who acted (a username, or the name typed at a failed sign-in).
    pub actor: String,
    /// The audit action (`AuditAction::as_str`).
    pub action: String,
    /// What it was about (a case id, a username), when anything.
    pub subject: Option<String>,
    /// JSON text, hashed as written.
    pub detail: String,
    /// The previous entry's hash (hex SHA-256).
    pub prev_hash: String,
    /// This entry's hash (hex SHA-256).
    pub hash: String,
}

/// The body of `POST /api/v1/audit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AuditPushRequest {
    /// Consecutive entries, oldest first (at most [`MAX_ENTRIES_PER_PUSH`]).
    #[serde(deserialize_with = "bounded::vec::<_, _, MAX_ENTRIES_PER_PUSH>")]
    pub entries: Vec<AuditRecord>,
}

/// A break the branch found in a device's audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct AuditBreak {
    /// The seq of the entry where the chain breaks.
    pub seq: i64,
    /// "altered", "missing", "broken_link", or "changed_after_sent" (an entry resent with other
    /// content than the branch stored first).
    pub kind: String,
    /// What is wrong, for people.
    pub message: String,
}

/// The answer to an audit push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct AuditPushResponse {
    /// The highest seq the branch holds for this device with every entry before it: the desk
    /// sends from `acked_seq + 1` next time.
    pub acked_seq: i64,
    /// Breaks found while storing this push (also kept at the branch for its administrator).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<AuditBreak>,
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A stable code: "malformed_json", "invalid_body", "body_too_large", "body_timeout", "unauthorized",
    /// "device_revoked", "forbidden", "not_found", "enrollment_code_unknown",
    /// "enrollment_code_expired", "enrollment_code_used", "internal".
    pub error: String,
    /// What went wrong, in English, for people.
    pub message: String,
    /// Field-level reasons, when the body was refused for its fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<FieldIssue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_statuses_round_trip_through_their_names() {
        for status in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(CaseStatus::parse("approved"), None);
    }
}
