//! Applying a pushed batch of outbox entries: each entry at most once (by entry id, and by record
//! id), validated with `plkk-domain`, in one transaction for the whole batch. A bad entry is
//! answered `rejected` without touching the others; a correction whose `from` values no longer
//! match is kept as a `conflict` once it passes every rule a correction must pass; an entry of
//! another clinic's case refuses the whole batch. Every text an entry carries (record fields,
//! `author`, a correction's `reason` and values) is held to `plkk_domain::limits` before anything
//! is stored.
//!
//! Rules that depend on "now" are judged against the desk's own clock ([`Clocks`]), never the
//! branch's: a desk whose clock runs fast admits a patient "now" by its clock, and that admission
//! is valid. The desk's clock and its measured offset are kept with each stored entry.

use chrono::{DateTime, FixedOffset, Utc};
use plkk_domain::limits::{self, RECORD_ENVELOPE};
use plkk_domain::{Intake, Issue, Note, Severity};
use plkk_protocol::{
    ChangeBody, CorrectionPayload, FieldConflict, FieldIssue, IntakePayload, NotePayload, Outcome,
    Payload, PushEntry, Receipt,
};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use uuid::Uuid;

use crate::changes;
use crate::db::time_text;
use crate::BranchError;

/// The device a request comes from, as authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Device {
    pub(crate) id: Uuid,
    pub(crate) clinic_id: i64,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum PushError {
    /// An entry concerns a case (or names an entry) of another clinic; nothing was stored.
    #[error("entry {entry_id} concerns a case of another clinic")]
    Forbidden { entry_id: Uuid },
    #[error(transparent)]
    Branch(#[from] BranchError),
}

impl From<rusqlite::Error> for PushError {
    fn from(error: rusqlite::Error) -> Self {
        PushError::Branch(error.into())
    }
}

impl From<serde_json::Error> for PushError {
    fn from(error: serde_json::Error) -> Self {
        PushError::Branch(error.into())
    }
}

/// The two clocks of a push: the branch's when the request arrived, and the desk's when it sent
/// it (`PushRequest::desk_time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clocks {
    pub(crate) branch: DateTime<Utc>,
    pub(crate) desk: Option<DateTime<FixedOffset>>,
}

impl Clocks {
    /// "Now" for the rules of a record the desk wrote at `written_at` (its clock): the later of
    /// when it wrote the record and when it sent it, both by the desk's clock. The desk checked
    /// the same rules against `written_at` when it saved; a later clock never refuses more, so
    /// the branch refuses nothing the desk accepted for its time alone, also when the desk's
    /// clock was put right between saving and sending. Without the desk's clock (a desk from
    /// before `desk_time`), the branch's stands in for it.
    pub(crate) fn for_record(&self, written_at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        let sent = self.desk.unwrap_or_else(|| self.branch.fixed_offset());
        written_at.max(sent).with_timezone(written_at.offset())
    }

    /// The desk's clock minus the branch's, in whole seconds (positive: the desk runs fast).
    pub(crate) fn desk_offset_seconds(&self) -> Option<i64> {
        self.desk
            .map(|desk| (desk.with_timezone(&Utc) - self.branch).num_seconds())
    }
}

/// Applies `entries` from `device` in one transaction and answers one receipt per entry, in order.
pub(crate) fn apply_batch(
    conn: &mut Connection,
    device: Device,
    entries: &[PushEntry],
    clocks: Clocks,
) -> Result<Vec<Receipt>, PushError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut receipts = Vec::with_capacity(entries.len());
    for entry in entries {
        receipts.push(apply_entry(&tx, device, entry, clocks)?);
    }
    tx.commit()?;
    Ok(receipts)
}

fn apply_entry(
    tx: &Transaction,
    device: Device,
    entry: &PushEntry,
    clocks: Clocks,
) -> Result<Receipt, PushError> {
    if let Some(receipt) = earlier_receipt(tx, device, entry)? {
        return Ok(receipt);
    }
    if let Some(clinic_id) = case_clinic(tx, entry.intake_id)? {
        if clinic_id != device.clinic_id {
            return Err(PushError::Forbidden {
                entry_id: entry.entry_id,
            });
        }
    }
    match &entry.payload {
        Payload::Intake(payload) => apply_intake(tx, device, entry, payload, clocks),
        Payload::IntakeCorrection(payload) => apply_correction(tx, device, entry, payload, clocks),
        Payload::Note(payload) => apply_note(tx, device, entry, payload, clocks),
    }
}

/// The receipt given the first time, when this entry (or another entry with the same record) was
/// stored before. An entry stored for another clinic is forbidden.
fn earlier_receipt(
    tx: &Transaction,
    device: Device,
    entry: &PushEntry,
) -> Result<Option<Receipt>, PushError> {
    let stored: Option<(String, i64)> = tx
        .prepare_cached(
            "SELECT e.receipt, d.clinic_id FROM entries e JOIN devices d ON d.id = e.device_id
             WHERE e.id = ?1
             UNION ALL
             SELECT e.receipt, d.clinic_id FROM entries e JOIN devices d ON d.id = e.device_id
             WHERE e.record_id = ?2 AND e.kind = ?3
             LIMIT 1",
        )?
        .query_row(
            params![
                entry.entry_id.to_string(),
                entry.record_id.to_string(),
                entry.kind().as_str()
            ],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let Some((receipt, clinic_id)) = stored else {
        return Ok(None);
    };
    if clinic_id != device.clinic_id {
        return Err(PushError::Forbidden {
            entry_id: entry.entry_id,
        });
    }
    let mut receipt: Receipt = serde_json::from_str(&receipt)?;
    receipt.entry_id = entry.entry_id;
    if receipt.outcome == Outcome::Applied {
        receipt.outcome = Outcome::Duplicate;
        // Warnings were given with the first receipt; a repeat only confirms.
        receipt.issues.clear();
    }
    Ok(Some(receipt))
}

fn apply_intake(
    tx: &Transaction,
    device: Device,
    entry: &PushEntry,
    payload: &IntakePayload,
    clocks: Clocks,
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
    let receipt = applied(entry, now, &checked.warnings, tx)?;
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
    emit_record(tx, device, entry, now)?;
    let received = ChangeBody::CaseStatus {
        status: plkk_protocol::CaseStatus::Received,
        reason: None,
        reference: None,
        changed_at: now,
    };
    changes::emit(tx, device.clinic_id, entry.intake_id, &received, now)?;
    Ok(receipt)
}

fn apply_correction(
    tx: &Transaction,
    device: Device,
    entry: &PushEntry,
    payload: &CorrectionPayload,
    clocks: Clocks,
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
        return store_conflict(tx, device, entry, payload, conflicts, clocks);
    }
    let (corrected, applied_changes, warnings) = match applied_now {
        Some(checked) => {
            let (intake, field_changes) = checked.record;
            (Some(intake), field_changes, checked.warnings)
        }
        // Every field already holds the desk's value (the same change made elsewhere).
        None => (None, Vec::new(), Vec::new()),
    };
    let receipt = applied(entry, now, &warnings, tx)?;
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
    }
    emit_record(tx, device, entry, now)?;
    Ok(receipt)
}

fn store_conflict(
    tx: &Transaction,
    device: Device,
    entry: &PushEntry,
    payload: &CorrectionPayload,
    conflicts: Vec<FieldConflict>,
    clocks: Clocks,
) -> Result<Receipt, PushError> {
    let now = clocks.branch;
    let receipt = Receipt {
        entry_id: entry.entry_id,
        outcome: Outcome::Conflict,
        receipt: Some(next_entry_seq(tx)?),
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

fn apply_note(
    tx: &Transaction,
    device: Device,
    entry: &PushEntry,
    payload: &NotePayload,
    clocks: Clocks,
) -> Result<Receipt, PushError> {
    let now = clocks.branch;
    let mut issues = author_issues(&payload.author);
    if payload.id != entry.record_id || payload.intake_id != entry.intake_id {
        issues.extend(mismatch(
            "id",
            "the note's id and intake_id must be the entry's record_id and intake_id",
        ));
    }
    if !issues.is_empty() {
        return Ok(rejected(entry, now, issues));
    }
    let Some(current) = current_intake(tx, entry.intake_id)? else {
        return Ok(rejected(entry, now, intake_missing(entry.intake_id)));
    };
    let input = payload.to_input();
    let checked = match plkk_domain::validate_note(&input, entry.record_id, current.case_category) {
        Ok(checked) => checked,
        Err(rejection) => {
            let mut issues = rejection.errors;
            issues.extend(rejection.warnings);
            return Ok(rejected(entry, now, issues));
        }
    };
    let draft = checked.record;
    if let Some(corrected) = draft.fields.corrects {
        if note_case(tx, corrected)? != Some(entry.intake_id) {
            let message = format!("corrects: no note {corrected} on this case at the branch");
            return Ok(rejected(
                entry,
                now,
                vec![error_issue("corrects", "not_found", message)],
            ));
        }
    }
    let note = Note {
        id: entry.record_id,
        intake_id: entry.intake_id,
        written_at: payload.written_at,
        author: payload.author.trim().to_owned(),
        fields: draft.fields,
    };
    let receipt = applied(entry, now, &checked.warnings, tx)?;
    let seq = store_entry(tx, device, entry, &receipt, clocks)?;
    tx.prepare_cached(
        "INSERT INTO notes (id, intake_id, entry_seq, record, warnings) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        note.id.to_string(),
        note.intake_id.to_string(),
        seq,
        serde_json::to_string(&note)?,
        serde_json::to_string(&checked.warnings)?,
    ])?;
    emit_record(tx, device, entry, now)?;
    Ok(receipt)
}

/// `author` is required and at most `limits::USERNAME` characters.
fn author_issues(author: &str) -> Vec<Issue> {
    let author = author.trim();
    if author.is_empty() {
        return vec![error_issue(
            "author",
            "required",
            "author: is required".to_owned(),
        )];
    }
    limits::refusal(RECORD_ENVELOPE, "author", author)
        .into_iter()
        .collect()
}

fn applied(
    entry: &PushEntry,
    now: DateTime<Utc>,
    warnings: &[Issue],
    tx: &Transaction,
) -> Result<Receipt, PushError> {
    Ok(Receipt {
        entry_id: entry.entry_id,
        outcome: Outcome::Applied,
        receipt: Some(next_entry_seq(tx)?),
        received_at: now,
        issues: warnings.iter().map(FieldIssue::of).collect(),
        conflicts: Vec::new(),
    })
}

fn rejected(entry: &PushEntry, now: DateTime<Utc>, issues: Vec<Issue>) -> Receipt {
    Receipt {
        entry_id: entry.entry_id,
        outcome: Outcome::Rejected,
        receipt: None,
        received_at: now,
        issues: issues.iter().map(FieldIssue::of).collect(),
        conflicts: Vec::new(),
    }
}

/// The receipt number the next stored entry gets (inside the batch's write transaction).
fn next_entry_seq(tx: &Transaction) -> rusqlite::Result<i64> {
    tx.query_row("SELECT coalesce(max(seq), 0) + 1 FROM entries", [], |row| {
        row.get(0)
    })
}

fn store_entry(
    tx: &Transaction,
    device: Device,
    entry: &PushEntry,
    receipt: &Receipt,
    clocks: Clocks,
) -> Result<i64, PushError> {
    let outcome = match receipt.outcome {
        Outcome::Conflict => "conflict",
        _ => "applied",
    };
    tx.prepare_cached(
        "INSERT INTO entries (seq, id, device_id, device_seq, kind, record_id, intake_id, outcome,
                              entry, receipt, received_at, desk_time, desk_clock_offset_seconds)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        receipt.receipt,
        entry.entry_id.to_string(),
        device.id.to_string(),
        entry.device_seq,
        entry.kind().as_str(),
        entry.record_id.to_string(),
        entry.intake_id.to_string(),
        outcome,
        serde_json::to_string(entry)?,
        serde_json::to_string(receipt)?,
        time_text(clocks.branch),
        clocks.desk.map(|desk| desk.to_rfc3339()),
        clocks.desk_offset_seconds(),
    ])?;
    Ok(tx.last_insert_rowid())
}

fn emit_record(
    tx: &Transaction,
    device: Device,
    entry: &PushEntry,
    now: DateTime<Utc>,
) -> Result<(), PushError> {
    let body = ChangeBody::Record {
        origin_device: device.id,
        entry: entry.clone(),
    };
    changes::emit(tx, device.clinic_id, entry.intake_id, &body, now)?;
    Ok(())
}

/// The clinic a case belongs to, if the branch has the case.
fn case_clinic(conn: &Connection, intake_id: Uuid) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT clinic_id FROM cases WHERE intake_id = ?1")?
        .query_row([intake_id.to_string()], |row| row.get(0))
        .optional()
}

/// The current values of a case (admission + applied corrections).
pub(crate) fn current_intake(
    conn: &Connection,
    intake_id: Uuid,
) -> Result<Option<Intake>, BranchError> {
    let record: Option<String> = conn
        .prepare_cached("SELECT record FROM cases WHERE intake_id = ?1")?
        .query_row([intake_id.to_string()], |row| row.get(0))
        .optional()?;
    Ok(record.map(|text| serde_json::from_str(&text)).transpose()?)
}

fn note_case(conn: &Connection, note_id: Uuid) -> rusqlite::Result<Option<Uuid>> {
    let intake_id: Option<String> = conn
        .prepare_cached("SELECT intake_id FROM notes WHERE id = ?1")?
        .query_row([note_id.to_string()], |row| row.get(0))
        .optional()?;
    Ok(intake_id.and_then(|text| Uuid::parse_str(&text).ok()))
}

fn error_issue(field: &str, rule: &str, message: String) -> Issue {
    Issue {
        field: field.to_owned(),
        rule: rule.to_owned(),
        severity: Severity::Error,
        message,
        params: Default::default(),
    }
}

fn mismatch(field: &str, why: &str) -> Vec<Issue> {
    vec![error_issue(
        field,
        "intake_mismatch",
        format!("{field}: {why}"),
    )]
}

fn intake_missing(intake_id: Uuid) -> Vec<Issue> {
    vec![error_issue(
        "intake_id",
        "not_found",
        format!("intake_id: the branch has no case {intake_id} (its intake must be sent first)"),
    )]
}
