//! Applying a pushed intake: the entry's ids agree, the author and every field are within their
//! limits, the intake passes `plkk_domain::validate_intake` against its desk's clock (all
//! checked before the writer, [`check_intake`]); then the record, its case and the clinic's
//! changes wait in the push's [`super::writes::Writes`].

use crate::sql::{params, Db};
use plkk_domain::{Checked, Intake, Issue};
use plkk_protocol::{ChangeBody, IntakePayload, PushEntry, Receipt};

use super::prepare::refusal;
use super::{author_issues, mismatch, rejected, Clocks, KnownCase, Push, PushError};
use crate::changes;

/// An intake's checks: the record ready to store, or what it is refused for.
pub(super) type IntakeCheck = Result<Box<ReadyIntake>, Vec<Issue>>;

/// A valid intake, its record and warnings serialised as stored.
#[derive(Debug)]
pub(super) struct ReadyIntake {
    pub(super) checked: Checked<Intake>,
    record: String,
    warnings: String,
}

/// Checks an intake entry; reads nothing stored.
pub(super) fn check_intake(
    entry: &PushEntry,
    payload: &IntakePayload,
    clocks: Clocks,
) -> Result<IntakeCheck, PushError> {
    if entry.record_id != entry.intake_id {
        return Ok(Err(mismatch(
            "record_id",
            "an intake's record_id must be its intake_id",
        )));
    }
    if let Some(given) = &payload.intake.id {
        if *given != entry.record_id.to_string() {
            return Ok(Err(mismatch(
                "id",
                "the intake's id must be the entry's record_id",
            )));
        }
    }
    let envelope = author_issues(&payload.author);
    if !envelope.is_empty() {
        return Ok(Err(envelope));
    }
    let clock = clocks.for_record(payload.written_at);
    let fields = payload.intake.to_object();
    let checked = match plkk_domain::validate_intake(&fields, entry.record_id, clock) {
        Ok(checked) => checked,
        Err(rejection) => return Ok(Err(refusal(rejection))),
    };
    Ok(Ok(Box::new(ReadyIntake {
        record: serde_json::to_string(&checked.record)?,
        warnings: serde_json::to_string(&checked.warnings)?,
        checked,
    })))
}

/// Stores a checked intake (`check`, from [`check_intake`]; `json`, the entry as stored) or
/// answers its refusal.
pub(super) fn apply_intake(
    tx: &Db,
    entry: &PushEntry,
    payload: &IntakePayload,
    check: &IntakeCheck,
    json: &str,
    push: Push<'_>,
) -> Result<Receipt, PushError> {
    let (device, now) = (push.device, push.clocks.branch);
    let ready = match check {
        Ok(ready) => ready,
        Err(issues) => return Ok(rejected(entry, now, issues.clone())),
    };
    let (receipt, seq) = push.store(tx, entry, json, &ready.checked.warnings)?;
    let id = entry.record_id.to_string();
    push.writes.intake(
        params![
            id,
            device.clinic_id,
            seq,
            ready.record,
            ready.warnings,
            payload.author.trim(),
            payload.written_at.to_rfc3339(),
        ],
        params![
            id,
            device.clinic_id,
            ready.record,
            ready.warnings,
            "received",
            push.times.received_at,
        ],
        crate::inbox::name_row(tx.dialect(), &id, &ready.checked.record.full_name),
    );
    push.known.admitted(KnownCase::admitted(
        entry.record_id,
        device.clinic_id,
        ready.checked.record.case_category,
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
