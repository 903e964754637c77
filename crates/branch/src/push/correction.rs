//! Applying a pushed correction: its shape (`plkk_domain::check_correction`), its case present
//! here (else it waits for its intake: `intake_id` `not_found`), then either applied over the
//! case's current values (`plkk_domain::apply_correction`) or, when fields changed meanwhile
//! (`plkk_domain::conflicting_fields`), kept as a conflict for a person to resolve.

use crate::sql::{params, Db};
use plkk_protocol::{ChangeBody, CorrectionPayload, FieldConflict, Outcome, PushEntry, Receipt};

use super::{
    applied, current_intake, emit_record, intake_missing, mismatch, rejected, store_entry, Clocks,
    Device, PushError, ReceiptNumbers,
};
use crate::changes;
use crate::db::time_text;

pub(super) fn apply_correction(
    tx: &Db,
    device: Device,
    entry: &PushEntry,
    payload: &CorrectionPayload,
    clocks: Clocks,
    numbers: &ReceiptNumbers,
) -> Result<Receipt, PushError> {
    let now = clocks.branch;
    if payload.id != entry.record_id || payload.intake_id != entry.intake_id {
        return Ok(rejected(
            entry,
            now,
            mismatch(
                "id",
                "the correction's id and intake_id must be the entry's record_id and intake_id",
            ),
        ));
    }
    let shape =
        plkk_domain::check_correction(&payload.domain_changes(), &payload.reason, &payload.author);
    if let Err(rejection) = shape {
        return Ok(rejected(entry, now, rejection.errors));
    }
    let Some(current) = current_intake(tx, entry.intake_id)? else {
        return Ok(rejected(entry, now, intake_missing(entry.intake_id)));
    };
    let changes = payload.domain_changes();
    let conflicts: Vec<FieldConflict> = plkk_domain::conflicting_fields(&current, &changes)
        .into_iter()
        .map(|conflict| FieldConflict {
            field: conflict.field,
            base: conflict.from,
            branch: conflict.current,
            desk: conflict.to,
        })
        .collect();
    let clock = clocks.for_record(payload.written_at);
    // With conflicts it is kept for a person to resolve only if it would pass as a correction of
    // the branch's current values: what is stored and sent to every desk is a valid correction.
    let applied_now =
        match plkk_domain::apply_correction(&current, &changes, &payload.reason, clock) {
            Ok(checked) => checked,
            Err(rejection) => {
                let mut issues = rejection.errors;
                issues.extend(rejection.warnings);
                return Ok(rejected(entry, now, issues));
            }
        };
    if !conflicts.is_empty() {
        return store_conflict(tx, device, entry, payload, conflicts, clocks, numbers);
    }
    let (corrected, applied_changes, warnings) = match applied_now {
        Some(checked) => {
            let (intake, field_changes) = checked.record;
            (Some(intake), field_changes, checked.warnings)
        }
        // Every field already holds the desk's value (the same change made elsewhere).
        None => (None, Vec::new(), Vec::new()),
    };
    let receipt = applied(entry, now, &warnings, tx, numbers)?;
    let seq = store_entry(tx, device, entry, &receipt, clocks)?;
    tx.prepare_cached(
        "INSERT INTO corrections (id, intake_id, entry_seq, changes, reason, author, written_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        payload.id.to_string(),
        payload.intake_id.to_string(),
        seq,
        serde_json::to_string(&applied_changes)?,
        payload.reason.trim(),
        payload.author.trim(),
        payload.written_at.to_rfc3339(),
    ])?;
    if let Some(intake) = corrected {
        tx.prepare_cached("UPDATE cases SET record = ?2, warnings = ?3 WHERE intake_id = ?1")?
            .execute(params![
                intake.id.to_string(),
                serde_json::to_string(&intake)?,
                serde_json::to_string(&warnings)?,
            ])?;
        crate::inbox::index_name(tx, &intake.id.to_string(), &intake.full_name)?;
    }
    emit_record(tx, device, entry, seq, now)?;
    Ok(receipt)
}

fn store_conflict(
    tx: &Db,
    device: Device,
    entry: &PushEntry,
    payload: &CorrectionPayload,
    conflicts: Vec<FieldConflict>,
    clocks: Clocks,
    numbers: &ReceiptNumbers,
) -> Result<Receipt, PushError> {
    let now = clocks.branch;
    let receipt = Receipt {
        entry_id: entry.entry_id,
        outcome: Outcome::Conflict,
        receipt: Some(numbers.next(tx)?),
        received_at: now,
        issues: Vec::new(),
        conflicts,
    };
    let seq = store_entry(tx, device, entry, &receipt, clocks)?;
    tx.prepare_cached(
        "INSERT INTO conflicts (correction_id, intake_id, entry_seq, device_id, correction, fields, detected_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        payload.id.to_string(),
        payload.intake_id.to_string(),
        seq,
        device.id.to_string(),
        serde_json::to_string(payload)?,
        serde_json::to_string(&receipt.conflicts)?,
        time_text(now),
    ])?;
    let body = ChangeBody::Conflict {
        origin_device: device.id,
        correction: payload.clone(),
        conflicts: receipt.conflicts.clone(),
    };
    changes::emit(tx, device.clinic_id, entry.intake_id, &body, now)?;
    Ok(receipt)
}
