//! The one place that turns a stored record into the payload of its outbox entry (the types are
//! `plkk-protocol`'s): an admitted intake, a correction, a note, a BPU registration with its
//! contribution, a case document's metadata and its removal, and an intake resent with its
//! case's current values. What the desk queues is what the branch's parser reads.

use chrono::{DateTime, FixedOffset};
use plkk_domain::{BpuRegistration, Contribution, FieldChange, Intake, Note};
use plkk_protocol::{
    BpuContribution, BpuPayload, BpuRecord, CorrectionPayload, DocumentPayload,
    DocumentRemovalPayload, FieldChange as WireChange, IntakePayload, IntakeRecord, NotePayload,
    Payload,
};
use uuid::Uuid;

use crate::StoreError;

/// The payload of an intake admitted by `author` at `written_at`.
pub(crate) fn intake(intake: &Intake, author: &str, written_at: DateTime<FixedOffset>) -> Payload {
    Payload::Intake(IntakePayload {
        intake: IntakeRecord::of(intake),
        author: author.to_owned(),
        written_at,
    })
}

/// The payload of the correction `id` (revision `revision` of its case on this desk).
pub(crate) fn correction(
    id: Uuid,
    intake_id: Uuid,
    revision: u32,
    changes: &[FieldChange],
    reason: &str,
    author: &str,
    written_at: DateTime<FixedOffset>,
) -> Payload {
    Payload::IntakeCorrection(CorrectionPayload {
        id,
        intake_id,
        revision,
        changes: changes.iter().map(WireChange::of).collect(),
        reason: reason.to_owned(),
        author: author.to_owned(),
        written_at,
    })
}

/// The payload of a note.
pub(crate) fn note(note: &Note) -> Payload {
    Payload::Note(NotePayload::of(note))
}

/// The payload of a BPU registration saved by `author` at `written_at`, with the contribution
/// it was saved with (the branch recomputes it and refuses a different figure).
pub(crate) fn bpu_registration(
    registration: &BpuRegistration,
    contribution: &Contribution,
    author: &str,
    written_at: DateTime<FixedOffset>,
) -> Payload {
    Payload::BpuRegistration(BpuPayload {
        registration: BpuRecord::of(registration),
        contribution: BpuContribution::of(contribution),
        author: author.to_owned(),
        written_at,
    })
}

/// The payload of a document attached by `author` at `written_at`: what it is, not its bytes.
pub(crate) fn document(
    id: Uuid,
    intake_id: Uuid,
    kind: plkk_domain::DocumentKind,
    prepared: &plkk_domain::Prepared,
    author: &str,
    written_at: DateTime<FixedOffset>,
) -> Payload {
    Payload::Document(DocumentPayload {
        id,
        intake_id,
        kind: kind.as_str().to_owned(),
        media_type: prepared.media_type.as_str().to_owned(),
        sha256: prepared.sha256.clone(),
        bytes: prepared.bytes.len() as u64,
        original_bytes: prepared.original_bytes,
        author: author.to_owned(),
        written_at,
    })
}

/// The payload of a document's removal.
pub(crate) fn document_removal(
    id: Uuid,
    document_id: Uuid,
    intake_id: Uuid,
    reason: &str,
    author: &str,
    written_at: DateTime<FixedOffset>,
) -> Payload {
    Payload::DocumentRemoval(DocumentRemovalPayload {
        id,
        document_id,
        intake_id,
        reason: reason.to_owned(),
        author: author.to_owned(),
        written_at,
    })
}

/// The stored payload of a rejected intake entry with the case's current values instead of the
/// admitted ones (author and time stay the admission's), for its resend.
pub(crate) fn resent_intake(stored: &str, current: &Intake) -> Result<Payload, StoreError> {
    let mut payload: IntakePayload = serde_json::from_str(stored)?;
    payload.intake = IntakeRecord::of(current);
    Ok(Payload::Intake(payload))
}

/// The stored payload of a correction entry.
pub(crate) fn stored_correction(stored: &str) -> Result<CorrectionPayload, StoreError> {
    Ok(serde_json::from_str(stored)?)
}
