//! The store's side of pulling: applying the branch's changes for the clinic (case statuses,
//! records from the clinic's other desks, conflicts, decisions on BPU registrations, reference
//! data) together with the new cursor, in one
//! transaction, so a crash never stores changes without the cursor or the cursor without them.
//! The tables it writes besides the records are owned by `case_status.rs` and `conflicts.rs`.

use chrono::{DateTime, FixedOffset};
use plkk_domain::limits;
use plkk_domain::{Intake, Issue, Note};
use plkk_protocol::{Change, ChangeBody, EntryKind, IntakePayload, Payload, PushEntry};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use uuid::Uuid;

use crate::projection::current_case;
use crate::sync_settings::write_cursor;
use crate::{case_status, conflicts, outbox, projection, Store, StoreError};

/// What a pull stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PullTally {
    /// Records of other desks stored now (repeats are not counted).
    pub records: u64,
    pub statuses: u64,
    pub conflicts: u64,
    /// Records that could not be stored (their case or corrected note is missing here, or they
    /// are unreadable); the cursor still moves past them.
    pub skipped: u64,
}

/// Stores `changes` and the cursor `next_cursor` in one transaction. `own_device` is this desk's
/// device id: its own records are never stored twice.
pub fn apply_changes(
    store: &mut Store,
    changes: &[Change],
    next_cursor: i64,
    own_device: Uuid,
    now: DateTime<FixedOffset>,
) -> Result<PullTally, StoreError> {
    let data_dir = store.data_dir().map(std::path::Path::to_owned);
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut tally = PullTally::default();
    for change in changes {
        match &change.body {
            ChangeBody::CaseStatus {
                status,
                reason,
                reference,
                changed_at,
            } => {
                case_status::write_status(
                    &tx,
                    change.intake_id,
                    change.seq,
                    *status,
                    reason.as_deref(),
                    reference.as_deref(),
                    *changed_at,
                )?;
                tally.statuses += 1;
            }
            ChangeBody::Record {
                origin_device,
                entry,
            } => {
                if *origin_device == own_device || has_record(&tx, entry)? {
                    continue;
                }
                if store_pulled_record(&tx, entry, now)? {
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO pulled_records
                             (record_id, kind, intake_id, origin_device, branch_seq, pulled_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?
                    .execute(params![
                        entry.record_id.to_string(),
                        entry.kind().as_str(),
                        entry.intake_id.to_string(),
                        origin_device.to_string(),
                        change.seq,
                        now.to_rfc3339(),
                    ])?;
                    tally.records += 1;
                } else {
                    tally.skipped += 1;
                }
            }
            ChangeBody::Conflict {
                origin_device,
                correction,
                conflicts,
            } => {
                // Kept and shown only if it is a correction this desk would accept.
                let shape = plkk_domain::check_correction(
                    &correction.domain_changes(),
                    &correction.reason,
                    &correction.author,
                );
                if shape.is_err() {
                    tally.skipped += 1;
                    continue;
                }
                let this_desk =
                    *origin_device == own_device || outbox::own_entry(&tx, correction.id)?;
                conflicts::keep_conflict(
                    &tx,
                    correction,
                    Some(*origin_device),
                    this_desk,
                    conflicts,
                )?;
                tally.conflicts += 1;
            }
            ChangeBody::BpuDecision { decision } => {
                if crate::bpu::keep_decision(&tx, decision, change.seq)? {
                    tally.statuses += 1;
                } else {
                    tally.skipped += 1;
                }
            }
            ChangeBody::Reference { reference_file } => {
                // Kept beside the shipped tariff, before the cursor moves past it.
                let tariff = (reference_file.name == plkk_protocol::BPU_TARIFF)
                    .then(|| crate::reference::read_tariff(&reference_file.text).ok())
                    .flatten();
                match (tariff, &data_dir) {
                    (Some(tariff), Some(dir)) => {
                        crate::reference::keep_tariff(dir, &tariff, &reference_file.text)?;
                        tally.records += 1;
                    }
                    _ => tally.skipped += 1,
                }
            }
        }
    }
    write_cursor(&tx, next_cursor)?;
    tx.commit()?;
    Ok(tally)
}

fn has_record(conn: &Connection, entry: &PushEntry) -> rusqlite::Result<bool> {
    let table = match entry.kind() {
        EntryKind::Intake => "intakes",
        EntryKind::IntakeCorrection => "intake_corrections",
        EntryKind::Note => "notes",
        EntryKind::BpuRegistration => "bpu_registrations",
        EntryKind::Document => "documents",
        EntryKind::DocumentRemoval => "document_removals",
    };
    conn.prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?
        .query_row([entry.record_id.to_string()], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// Stores a record of another desk with its projections, checked with the record contract like a
/// record typed here. False when it cannot be stored here.
fn store_pulled_record(
    conn: &Connection,
    entry: &PushEntry,
    now: DateTime<FixedOffset>,
) -> Result<bool, StoreError> {
    match &entry.payload {
        Payload::Intake(payload) => {
            let Some((intake, warnings)) = pulled_intake(payload, now) else {
                return Ok(false);
            };
            conn.prepare_cached(
                "INSERT INTO intakes (id, record, warnings, author, written_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                intake.id.to_string(),
                serde_json::to_string(&intake)?,
                serde_json::to_string(&warnings)?,
                payload.author,
                payload.written_at.to_rfc3339(),
            ])?;
            let seq = conn.last_insert_rowid();
            projection::write_case(conn, seq, &intake, &warnings)?;
            Ok(true)
        }
        Payload::IntakeCorrection(correction) => {
            let checked = plkk_domain::check_correction(
                &correction.domain_changes(),
                &correction.reason,
                &correction.author,
            );
            if checked.is_err() {
                return Ok(false);
            }
            let Some(current) = current_case(conn, correction.intake_id)? else {
                return Ok(false);
            };
            // Revisions are numbered per desk; here the pulled one takes the next local number.
            let revision: u32 = conn.query_row(
                "SELECT coalesce(max(revision), 0) + 1 FROM intake_corrections WHERE intake_id = ?1",
                [correction.intake_id.to_string()],
                |row| row.get(0),
            )?;
            conn.prepare_cached(
                "INSERT INTO intake_corrections (id, intake_id, revision, changes, reason, author, written_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                correction.id.to_string(),
                correction.intake_id.to_string(),
                revision,
                serde_json::to_string(&correction.changes)?,
                correction.reason,
                correction.author,
                correction.written_at.to_rfc3339(),
            ])?;
            // The branch applied it: its `to` values are the case's current values there. Judged
            // as at the branch, against the later of its desk's clock and this one.
            let clock = correction
                .written_at
                .max(now)
                .with_timezone(correction.written_at.offset());
            if let Ok(Some(checked)) = plkk_domain::apply_correction(
                &current.intake,
                &correction.domain_changes(),
                &correction.reason,
                clock,
            ) {
                projection::write_case(conn, current.seq, &checked.record.0, &current.warnings)?;
            }
            Ok(true)
        }
        Payload::Note(payload) => {
            let Some(case) = current_case(conn, payload.intake_id)? else {
                return Ok(false);
            };
            let category = case.intake.case_category;
            if limits::refusal(limits::RECORD_ENVELOPE, "author", &payload.author).is_some() {
                return Ok(false);
            }
            let Ok(checked) = plkk_domain::validate_note(&payload.to_input(), payload.id, category)
            else {
                return Ok(false);
            };
            let note = Note {
                id: payload.id,
                intake_id: payload.intake_id,
                written_at: payload.written_at,
                author: payload.author.clone(),
                fields: checked.record.fields,
            };
            if let Some(corrected) = note.fields.corrects {
                let exists = conn
                    .query_row(
                        "SELECT 1 FROM notes WHERE id = ?1",
                        [corrected.to_string()],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some();
                if !exists {
                    return Ok(false);
                }
            }
            conn.prepare_cached(
                "INSERT INTO notes (id, intake_id, corrects, record, warnings, written_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                note.id.to_string(),
                note.intake_id.to_string(),
                note.fields.corrects.map(|id| id.to_string()),
                serde_json::to_string(&note)?,
                serde_json::to_string(&checked.warnings)?,
                note.written_at.to_rfc3339(),
            ])?;
            projection::refresh_outcome(conn, note.intake_id)?;
            Ok(true)
        }
        // Another desk's registration is not copied here: the branch's decision, which names
        // the NIK, is what this desk needs of it (`bpu_decisions`).
        Payload::BpuRegistration(_) => Ok(false),
        // The branch does not pass documents to the clinic's other desks (their bytes stay at
        // the branch, where officers open them).
        Payload::Document(_) | Payload::DocumentRemoval(_) => Ok(false),
    }
}

/// The intake of another desk, checked with the record contract, or as it is when the rules
/// changed since. "Now" for its rules is the other desk's clock when it wrote the intake
/// (`written_at`), as at the branch: this desk's own clock only where it is later, so a record
/// of a desk whose clock ran fast is not refused here for its time.
fn pulled_intake(
    payload: &IntakePayload,
    now: DateTime<FixedOffset>,
) -> Option<(Intake, Vec<Issue>)> {
    if limits::refusal(limits::RECORD_ENVELOPE, "author", &payload.author).is_some() {
        return None;
    }
    let id = payload
        .intake
        .id
        .as_deref()
        .and_then(|id| Uuid::parse_str(id).ok())?;
    let clock = payload
        .written_at
        .max(now)
        .with_timezone(payload.written_at.offset());
    let fields = payload.intake.to_object();
    match plkk_domain::validate_intake(&fields, id, clock) {
        Ok(checked) => Some((checked.record, checked.warnings)),
        Err(_) => serde_json::from_value(serde_json::Value::Object(fields))
            .ok()
            .map(|intake| (intake, Vec::new())),
    }
}
