//! What crosses HTTP between a desk and the branch server, API v1: JSON bodies (gzip allowed both
//! ways), bearer device tokens. These types are the contract; records inside them travel as JSON
//! objects with the record contract's field names and are validated with `plkk-domain` at the
//! edges (the branch on push, the desk on pull). No IO here.
//!
//! Routes (all under `/api/v1`):
//! - `GET  /health` (no auth) → [`Health`] (with the branch's body limit, so desks size their
//!   pushes to it)
//! - `POST /enroll` (no auth) [`EnrollRequest`] → [`Enrollment`]; 400/404/410 when the code is
//!   malformed, unknown, expired or already used
//! - `POST /push` [`PushRequest`] → [`PushResponse`] (one [`Receipt`] per entry, same order; the
//!   desk's audit entries may ride along as an [`AuditBatch`])
//! - `POST /audit` [`AuditPushRequest`] → [`AuditPushResponse`] (audit entries in full)
//! - `GET  /changes?since=CURSOR&limit=N` → [`Changes`]
//! - `GET  /openapi.json` (no auth) → the OpenAPI document, generated from the code
//!
//! Every error is a status code with an [`ErrorBody`]; 401 means the token is missing, unknown or
//! revoked (`error: "device_revoked"` for a revoked one), 403 a record of another clinic, 413 a
//! body over the limit, 422 a body that is JSON but not of the expected shape.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

mod audit_batch;

/// A record as a JSON object with the contract's field names.
pub type RecordObject = serde_json::Map<String, serde_json::Value>;

pub const API_PREFIX: &str = "/api/v1";
/// Largest request body the branch accepts, before decompression (and after).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Most entries a desk sends in one push.
pub const MAX_ENTRIES_PER_PUSH: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always "ok" when the server answers.
    pub status: String,
    pub server_time: DateTime<Utc>,
    pub version: String,
    /// The largest request body the branch accepts, in bytes, both as sent (gzip) and after
    /// decompression. Absent from branches older than this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The one-time enrolment code a branch administrator issued for the clinic.
    pub code: String,
    /// A name for the desk, shown to the branch administrator (e.g. "Meja depan 1").
    pub device_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Enrollment {
    pub device_id: Uuid,
    /// The bearer token for every later request; the branch keeps only its hash.
    pub token: String,
    pub clinic_code: String,
    pub clinic_name: String,
    pub server_time: DateTime<Utc>,
}

/// What an outbox entry carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// `payload` is an [`IntakePayload`].
    Intake,
    /// `payload` is a [`CorrectionPayload`].
    IntakeCorrection,
    /// `payload` is a [`NotePayload`].
    Note,
}

/// One outbox entry of a desk. The branch applies an `entry_id` at most once and answers a repeat
/// with the receipt it gave the first time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushEntry {
    pub entry_id: Uuid,
    /// The desk's own counter (its outbox sequence): order within one device.
    pub device_seq: i64,
    pub kind: EntryKind,
    /// The id of the intake, correction or note.
    pub record_id: Uuid,
    /// The case the record belongs to.
    pub intake_id: Uuid,
    #[cfg_attr(feature = "utoipa", schema(value_type = Object))]
    pub payload: serde_json::Value,
}

/// The payload of an `intake` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IntakePayload {
    /// The intake as admitted (every field, `id` included).
    #[cfg_attr(feature = "utoipa", schema(value_type = Object))]
    pub intake: RecordObject,
    pub author: String,
    pub written_at: DateTime<FixedOffset>,
}

/// One field of a correction: its value before (as the desk saw it) and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FieldChange {
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The payload of an `intake_correction` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CorrectionPayload {
    pub id: Uuid,
    pub intake_id: Uuid,
    /// The desk's own revision number of this correction (1, 2, ...).
    pub revision: u32,
    pub changes: Vec<FieldChange>,
    pub reason: String,
    pub author: String,
    pub written_at: DateTime<FixedOffset>,
}

/// The payload of a `note` entry: the note with `id`, `intake_id`, `written_at`, `author` and
/// the Note fields of the record contract.
pub type NotePayload = RecordObject;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub entries: Vec<PushEntry>,
    /// The desk's audit entries that ride along (stored after the entries, in their own
    /// transaction; an invalid batch refuses the whole request before anything is stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditBatch>,
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

/// A field-level reason, as `plkk-domain` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct FieldIssue {
    pub field: String,
    pub rule: String,
    /// "error" or "warning".
    pub severity: String,
    pub message: String,
}

/// The branch's answer to one entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Receipt {
    pub entry_id: Uuid,
    pub outcome: Outcome,
    /// The branch's receipt number: its sequence number for the entry (also for conflicts).
    /// Absent for a rejected entry.
    pub receipt: Option<i64>,
    pub received_at: DateTime<Utc>,
    /// Why it was rejected (errors), or warnings kept with an applied record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<FieldIssue>,
    /// For a conflict: each field whose branch value differs from the desk's `from`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<FieldConflict>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct FieldConflict {
    pub field: String,
    /// What the desk thought the value was (its `from`).
    pub base: Option<String>,
    /// The branch's current value.
    pub branch: Option<String>,
    /// What the desk wanted (its `to`).
    pub desk: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub receipts: Vec<Receipt>,
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
    Received,
    Eligible,
    NotEligible,
    GuaranteeIssued,
    ConcludedWorkAccident,
    ConcludedNotWorkAccident,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 6] = [
        CaseStatus::Received,
        CaseStatus::Eligible,
        CaseStatus::NotEligible,
        CaseStatus::GuaranteeIssued,
        CaseStatus::ConcludedWorkAccident,
        CaseStatus::ConcludedNotWorkAccident,
    ];

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

    pub fn parse(text: &str) -> Option<CaseStatus> {
        CaseStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// A change the desk pulls: something of its clinic that happened at the branch after its cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Change {
    /// The branch's sequence number; the desk's next cursor is the last one it stored.
    pub seq: i64,
    pub intake_id: Uuid,
    #[serde(flatten)]
    pub body: ChangeBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeBody {
    /// The branch's status for the case changed.
    CaseStatus {
        status: CaseStatus,
        reason: Option<String>,
        reference: Option<String>,
        changed_at: DateTime<Utc>,
    },
    /// A record another desk of the clinic pushed (never the pulling desk's own).
    Record {
        origin_device: Uuid,
        entry: PushEntry,
    },
    /// A correction that conflicted at the branch (including the pulling desk's own, so every
    /// desk of the clinic shows it until a person resolves it).
    Conflict {
        origin_device: Uuid,
        correction: CorrectionPayload,
        conflicts: Vec<FieldConflict>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Changes {
    pub changes: Vec<Change>,
    /// Pass as `since` next time (the seq of the last change here, or the cursor given).
    pub next_cursor: i64,
    /// More changes are waiting: pull again at once.
    pub has_more: bool,
    pub server_time: DateTime<Utc>,
}

/// One entry of a desk's audit log (see `plkk_domain::AuditEntry`: the same fields, hashed the
/// same way). Sent in order, with `POST /api/v1/audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    /// JSON text, hashed as written.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AuditPushRequest {
    /// Consecutive entries, oldest first (at most [`MAX_ENTRIES_PER_PUSH`]).
    pub entries: Vec<AuditRecord>,
}

/// A break the branch found in a device's audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct AuditBreak {
    pub seq: i64,
    /// "altered", "missing", "broken_link", or "changed_after_sent" (an entry resent with other
    /// content than the branch stored first).
    pub kind: String,
    pub message: String,
}

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

pub use audit_batch::{AuditBatch, AuditLine, UnpackError};

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A stable code: "malformed_json", "invalid_body", "body_too_large", "unauthorized",
    /// "device_revoked", "forbidden", "not_found", "enrollment_code_unknown",
    /// "enrollment_code_expired", "enrollment_code_used", "internal".
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<FieldIssue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_carry_their_kind_as_a_tag() {
        let change = Change {
            seq: 7,
            intake_id: Uuid::nil(),
            body: ChangeBody::CaseStatus {
                status: CaseStatus::GuaranteeIssued,
                reason: None,
                reference: Some("SJ-001".to_owned()),
                changed_at: DateTime::from_timestamp(0, 0).unwrap(),
            },
        };
        let json = serde_json::to_value(&change).unwrap();
        assert_eq!(json["kind"], "case_status");
        assert_eq!(json["status"], "guarantee_issued");
        assert_eq!(serde_json::from_value::<Change>(json).unwrap(), change);
    }

    #[test]
    fn case_statuses_round_trip_through_their_names() {
        for status in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(CaseStatus::parse("approved"), None);
    }
}
