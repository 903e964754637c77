//! The store's side of pulling: applying the branch's changes for the clinic (case statuses,
//! records from the clinic's other desks, conflicts) together with the new cursor, in one
//! transaction, so a crash never stores changes without the cursor or the cursor without them.
//! Also what the case views show of it: the branch's status and the conflicts of a case.

use chrono::{DateTime, FixedOffset};
use plkk_domain::limits;
use plkk_domain::{Intake, Issue, Note};
use plkk_protocol::{
    Change, ChangeBody, CorrectionPayload, EntryKind, FieldConflict, IntakePayload, Payload,
    PushEntry,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use uuid::Uuid;

use crate::intakes::{current_case, parse_time};
use crate::sync_settings::write_cursor;
use crate::{projection, Store, StoreError};

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
                tx.prepare_cached(
                    "INSERT INTO case_status (intake_id, status, reason, reference, changed_at, branch_seq)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (intake_id) DO UPDATE SET status = excluded.status,
                         reason = excluded.reason, reference = excluded.reference,
                         changed_at = excluded.changed_at, branch_seq = excluded.branch_seq
                     WHERE excluded.branch_seq > case_status.branch_seq",
                )?
                .execute(params![
                    change.intake_id.to_string(),
                    status.as_str(),
                    reason,
                    reference,
                    changed_at.to_rfc3339(),
                    change.seq,
                ])?;
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
                let this_desk = *origin_device == own_device || own_entry(&tx, correction.id)?;
                keep_conflict(&tx, correction, Some(*origin_device), this_desk, conflicts)?;
                tally.conflicts += 1;
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
    };
    conn.prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?
        .query_row([entry.record_id.to_string()], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

fn own_entry(conn: &Connection, record_id: Uuid) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM outbox WHERE record_id = ?1")?
        .query_row([record_id.to_string()], |_| Ok(()))
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
            // The branch applied it: its `to` values are the case's current values there.
            if let Some(corrected) = merge_changes(&current.intake, correction) {
                projection::write_case(conn, current.seq, &corrected, &current.warnings)?;
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

/// The intake with the correction's `to` values.
fn merge_changes(intake: &Intake, correction: &CorrectionPayload) -> Option<Intake> {
    let mut value = serde_json::to_value(intake).ok()?;
    let object = value.as_object_mut()?;
    for change in &correction.changes {
        if change.field == "id" {
            continue;
        }
        match &change.to {
            Some(to) => object.insert(change.field.clone(), serde_json::Value::String(to.clone())),
            None => object.remove(&change.field),
        };
    }
    serde_json::from_value(value).ok()
}

/// Keeps a correction the branch answered with a conflict (idempotent by correction id).
pub(crate) fn keep_conflict(
    conn: &Connection,
    correction: &CorrectionPayload,
    origin_device: Option<Uuid>,
    this_desk: bool,
    fields: &[FieldConflict],
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO conflicts (correction_id, intake_id, origin_device, this_desk, author,
                                written_at, reason, fields, correction)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (correction_id) DO UPDATE SET
             origin_device = coalesce(excluded.origin_device, origin_device),
             this_desk = max(this_desk, excluded.this_desk),
             fields = excluded.fields",
    )?
    .execute(params![
        correction.id.to_string(),
        correction.intake_id.to_string(),
        origin_device.map(|id| id.to_string()),
        this_desk,
        correction.author,
        correction.written_at.to_rfc3339(),
        correction.reason,
        serde_json::to_string(fields)?,
        serde_json::to_string(correction)?,
    ])?;
    Ok(())
}

/// The branch's answer for a case, as last pulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BranchStatus {
    pub status: String,
    pub reason: Option<String>,
    pub reference: Option<String>,
    pub changed_at: DateTime<FixedOffset>,
}

pub(crate) fn branch_status(
    conn: &Connection,
    intake_id: Uuid,
) -> Result<Option<BranchStatus>, StoreError> {
    let row: Option<(String, Option<String>, Option<String>, String)> = conn
        .prepare_cached(
            "SELECT status, reason, reference, changed_at FROM case_status WHERE intake_id = ?1",
        )?
        .query_row([intake_id.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()?;
    row.map(|(status, reason, reference, changed_at)| {
        Ok(BranchStatus {
            status,
            reason,
            reference,
            changed_at: parse_time(&changed_at)?,
        })
    })
    .transpose()
}

/// A correction kept as a conflict, shown on its case until a person resolves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictView {
    pub correction_id: Uuid,
    pub author: String,
    pub written_at: DateTime<FixedOffset>,
    pub reason: String,
    /// "this_desk" or "other_desk".
    #[cfg_attr(feature = "ts", ts(type = "\"this_desk\" | \"other_desk\""))]
    pub origin: &'static str,
    pub fields: Vec<FieldConflict>,
}

pub(crate) fn conflicts_of_case(
    conn: &Connection,
    intake_id: Uuid,
) -> Result<Vec<ConflictView>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT correction_id, author, written_at, reason, this_desk, fields FROM conflicts
         WHERE intake_id = ?1 ORDER BY written_at, correction_id",
    )?;
    let rows: Vec<(String, String, String, String, bool, String)> = statement
        .query_map([intake_id.to_string()], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(id, author, written_at, reason, this_desk, fields)| {
            Ok(ConflictView {
                correction_id: crate::sync_push::stored_id(&id)?,
                author,
                written_at: parse_time(&written_at)?,
                reason,
                origin: if this_desk { "this_desk" } else { "other_desk" },
                fields: serde_json::from_str(&fields)?,
            })
        })
        .collect()
}

/// Every conflict kept on this desk, newest first (for a "to resolve" list).
pub fn list_conflicts(store: &Store) -> Result<Vec<(Uuid, ConflictView)>, StoreError> {
    let ids: Vec<String> = store
        .conn
        .prepare("SELECT DISTINCT intake_id FROM conflicts")?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut all = Vec::new();
    for id in ids {
        let intake_id = crate::sync_push::stored_id(&id)?;
        for conflict in conflicts_of_case(&store.conn, intake_id)? {
            all.push((intake_id, conflict));
        }
    }
    all.sort_by_key(|(_, conflict)| std::cmp::Reverse(conflict.written_at));
    Ok(all)
}
