//! Applying a pushed intake: the entry's ids agree, the author and every field are within their
//! limits, the intake passes `plkk_domain::validate_intake` against its desk's clock; then the
//! record, its case and the clinic's changes wait in the push's [`Writes`].

use crate::sql::{params, Db};
use plkk_protocol::{ChangeBody, IntakePayload, PushEntry, Receipt};

use super::{author_issues, mismatch, rejected, KnownCase, Push, PushError};
use crate::changes;
use crate::db::time_text;

pub(super) fn apply_intake(
    tx: &Db,
    entry: &PushEntry,
    payload: &IntakePayload,
    push: Push<'_>,
) -> Result<Receipt, PushError> {
    let (device, now) = (push.device, push.clocks.branch);
    if entry.record_id != entry.intake_id {
        return Ok(rejected(
            entry,
            now,
            mismatch("record_id", "an intake's record_id must be its intake_id"),
        ));
    }
    if let Some(given) = &payload.intake.id {
        if *given != entry.record_id.to_string() {
            return Ok(rejected(
                entry,
                now,
                mismatch("id", "the intake's id must be the entry's record_id"),
            ));
        }
    }
    let envelope = author_issues(&payload.author);
    if !envelope.is_empty() {
        return Ok(rejected(entry, now, envelope));
    }
    let clock = push.clocks.for_record(payload.written_at);
    let fields = payload.intake.to_object();
    let checked = match plkk_domain::validate_intake(&fields, entry.record_id, clock) {
        Ok(checked) => checked,
        Err(rejection) => {
            let mut issues = rejection.errors;
            issues.extend(rejection.warnings);
            return Ok(rejected(entry, now, issues));
        }
    };
    let (receipt, seq) = push.store(tx, entry, &checked.warnings)?;
    let id = entry.record_id.to_string();
    let record = serde_json::to_string(&checked.record)?;
    let warnings = serde_json::to_string(&checked.warnings)?;
    push.writes.intake(
        params![
            id,
            device.clinic_id,
            seq,
            record,
            warnings,
            payload.author.trim(),
            payload.written_at.to_rfc3339(),
        ],
        params![
            id,
            device.clinic_id,
            record,
            warnings,
            "received",
            time_text(now),
        ],
        crate::inbox::name_row(tx.dialect(), &id, &checked.record.full_name),
    );
    push.known.admitted(KnownCase::admitted(
        entry.record_id,
        device.clinic_id,
        checked.record.case_category,
    ));
    let received = ChangeBody::CaseStatus {
        status: plkk_protocol::CaseStatus::Received,
        reason: None,
        reference: None,
        changed_at: now,
    };
    push.writes.change(changes::row(
        device.clinic_id,
        entry.intake_id,
        &received,
        now,
    )?);
    Ok(receipt)
}
