//! Applying a pushed intake: the entry's ids agree, the author and every field are within their
//! limits, the intake passes `plkk_domain::validate_intake` against its desk's clock; then the
//! record, its case and the clinic's change are stored.

use crate::sql::{params, Db};
use plkk_protocol::{ChangeBody, IntakePayload, PushEntry, Receipt};

use super::{
    applied, author_issues, emit_record, mismatch, rejected, store_entry, Clocks, Device,
    PushError, ReceiptNumbers,
};
use crate::changes;
use crate::db::time_text;

pub(super) fn apply_intake(
    tx: &Db,
    device: Device,
    entry: &PushEntry,
    payload: &IntakePayload,
    clocks: Clocks,
    numbers: &ReceiptNumbers,
) -> Result<Receipt, PushError> {
    let now = clocks.branch;
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
    let clock = clocks.for_record(payload.written_at);
    let fields = payload.intake.to_object();
    let checked = match plkk_domain::validate_intake(&fields, entry.record_id, clock) {
        Ok(checked) => checked,
        Err(rejection) => {
            let mut issues = rejection.errors;
            issues.extend(rejection.warnings);
            return Ok(rejected(entry, now, issues));
        }
    };
    let receipt = applied(entry, now, &checked.warnings, tx, numbers)?;
    let seq = store_entry(tx, device, entry, &receipt, clocks)?;
    let record = serde_json::to_string(&checked.record)?;
    let warnings = serde_json::to_string(&checked.warnings)?;
    tx.prepare_cached(
        "INSERT INTO intakes (id, clinic_id, entry_seq, record, warnings, author, written_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        entry.record_id.to_string(),
        device.clinic_id,
        seq,
        record,
        warnings,
        payload.author.trim(),
        payload.written_at.to_rfc3339(),
    ])?;
    tx.prepare_cached(
        "INSERT INTO cases (intake_id, clinic_id, record, warnings, status, status_changed_at)
         VALUES (?1, ?2, ?3, ?4, 'received', ?5)",
    )?
    .execute(params![
        entry.record_id.to_string(),
        device.clinic_id,
        record,
        warnings,
        time_text(now),
    ])?;
    crate::inbox::index_name(tx, &entry.record_id.to_string(), &checked.record.full_name)?;
    emit_record(tx, device, entry, seq, now)?;
    let received = ChangeBody::CaseStatus {
        status: plkk_protocol::CaseStatus::Received,
        reason: None,
        reference: None,
        changed_at: now,
    };
    changes::emit(tx, device.clinic_id, entry.intake_id, &received, now)?;
    Ok(receipt)
}
