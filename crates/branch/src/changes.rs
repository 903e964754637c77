//! The changes feed: one branch-wide sequence of what happened to each clinic's cases (status set,
//! record pushed, correction in conflict). Desks pull their clinic's part with a cursor; a desk
//! never gets back the records it pushed itself, but does get every conflict, its own included.
//! A page is bounded in rows (`limit`, 1 to 1000) and in bytes (`MAX_CHANGES_PAGE_BYTES` of
//! JSON): rows are read one at a time and the page closes before the next would pass the bound.
//!
//! A pushed record is kept once, in `entries`: its change names the entry (`entry_seq`,
//! [`entry_row`]) and the page builds the `record` change from it. Other changes carry their
//! body as JSON ([`emit`]).

use crate::sql::{params, Db, Insert, TransactionBehavior, Value};
use chrono::{DateTime, Utc};
use plkk_protocol::{Change, ChangeBody, Changes, MAX_CHANGES_PAGE_BYTES, MAX_CHANGES_PER_PULL};
use uuid::Uuid;

use crate::db::time_text;
use crate::BranchError;

/// What a change adds to a page besides its stored body: `{"seq":…,"intake_id":"…",` and a comma.
const CHANGE_FRAME_BYTES: usize = 80;
/// What a `record` change adds around its entry: `{"kind":"record","origin_device":"…","entry":`
/// and `}`.
const RECORD_FRAME_BYTES: usize = 80;

/// The statement a change row is written with (a `record` change of a pushed entry names it in
/// `entry_seq` and stores no body; any other change has its body and no `entry_seq`).
pub(crate) const INSERT: &str =
    "INSERT INTO changes (clinic_id, intake_id, kind, origin_device, body, created_at, entry_seq)";
/// The values each row of [`INSERT`] has.
pub(crate) const COLUMNS: usize = 7;

/// Appends a change for `clinic_id` in the caller's transaction.
pub(crate) fn emit(
    tx: &Db,
    clinic_id: i64,
    intake_id: Uuid,
    body: &ChangeBody,
    now: DateTime<Utc>,
) -> Result<(), BranchError> {
    tx.lock_clinic(clinic_id)?;
    let mut insert = Insert::new(INSERT, COLUMNS);
    insert.row(row(clinic_id, intake_id, body, now)?);
    insert.write(tx)?;
    Ok(())
}

/// The [`INSERT`] values of a change for `clinic_id` with its body (the caller holds the
/// clinic's lock: [`Db::lock_clinic`]).
pub(crate) fn row(
    clinic_id: i64,
    intake_id: Uuid,
    body: &ChangeBody,
    now: DateTime<Utc>,
) -> Result<Vec<Value>, BranchError> {
    let (kind, origin_device) = match body {
        ChangeBody::CaseStatus { .. } => ("case_status", None),
        ChangeBody::Record { origin_device, .. } => ("record", Some(*origin_device)),
        ChangeBody::Conflict { origin_device, .. } => ("conflict", Some(*origin_device)),
        ChangeBody::BpuDecision { .. } => ("bpu_decision", None),
        ChangeBody::Reference { .. } => ("reference", None),
    };
    Ok(params![
        clinic_id,
        intake_id.to_string(),
        kind,
        origin_device.map(|id| id.to_string()),
        serde_json::to_string(body)?,
        time_text(now),
        Value::Null,
    ])
}

/// The [`INSERT`] values of the `record` change of the entry stored as `entry_seq` (pushed by
/// `origin_device`), made at `created_at` (as [`time_text`] writes it): the change names the
/// entry rather than copying it.
pub(crate) fn entry_row(
    clinic_id: i64,
    intake_id: Uuid,
    origin_device: Uuid,
    entry_seq: i64,
    created_at: &str,
) -> Vec<Value> {
    params![
        clinic_id,
        intake_id.to_string(),
        "record",
        origin_device.to_string(),
        "",
        created_at,
        entry_seq,
    ]
}

/// The body of a change as stored: its JSON, or for a record change that names its entry, the
/// entry's JSON and the device that pushed it.
fn body_of(
    seq: i64,
    body: &str,
    origin_device: Option<&str>,
    entry: Option<&str>,
) -> Result<ChangeBody, BranchError> {
    let Some(entry) = entry else {
        return Ok(serde_json::from_str(body)?);
    };
    let origin_device = origin_device
        .and_then(|text| Uuid::parse_str(text).ok())
        .ok_or_else(|| {
            BranchError::Stored(format!("change {seq}: origin device {origin_device:?}"))
        })?;
    Ok(ChangeBody::Record {
        origin_device,
        entry: serde_json::from_str(entry)?,
    })
}

/// The clinic's changes after `since` that `device` should see: at most `limit` (1 to
/// `MAX_CHANGES_PER_PULL`, checked by the caller) and no more than `MAX_CHANGES_PAGE_BYTES` of
/// JSON beyond the first change. Read in one transaction, so the cursor and `has_more` agree with
/// the rows.
pub(crate) fn read(
    conn: &mut Db,
    clinic_id: i64,
    device: Uuid,
    since: i64,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<Changes, BranchError> {
    let limit = limit.clamp(1, MAX_CHANGES_PER_PULL) as usize;
    // One snapshot for the rows and the cursor: on PostgreSQL a change committed between two
    // statements would otherwise move the cursor past a row this page never read.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Snapshot)?;
    let device_text = device.to_string();
    let mut changes = Vec::new();
    let mut has_more = false;
    {
        let mut statement = tx.prepare_cached(
            "SELECT c.seq, c.intake_id, c.body, c.origin_device, e.entry
             FROM changes c LEFT JOIN entries e ON e.seq = c.entry_seq
             WHERE c.clinic_id = ?1 AND c.seq > ?2
               AND NOT (c.kind = 'record' AND c.origin_device = ?3)
             ORDER BY c.seq LIMIT ?4",
        )?;
        let mut rows = statement.query(params![clinic_id, since, device_text, limit + 1])?;
        let mut bytes = 0;
        while let Some(row) = rows.next()? {
            let (seq, intake_id, body, origin_device, entry): (
                i64,
                String,
                String,
                Option<String>,
                Option<String>,
            ) = (
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            );
            bytes += body.len()
                + entry
                    .as_ref()
                    .map_or(0, |entry| entry.len() + RECORD_FRAME_BYTES)
                + CHANGE_FRAME_BYTES;
            if changes.len() == limit || (!changes.is_empty() && bytes > MAX_CHANGES_PAGE_BYTES) {
                has_more = true;
                break;
            }
            changes.push(Change {
                seq,
                intake_id: Uuid::parse_str(&intake_id).map_err(|_| {
                    BranchError::Stored(format!("change {seq}: intake id {intake_id:?}"))
                })?,
                body: body_of(seq, &body, origin_device.as_deref(), entry.as_deref())?,
            });
        }
    }
    let next_cursor = if has_more {
        changes.last().map_or(since, |change| change.seq)
    } else {
        // Past the desk's own records too, so they are not scanned again on every pull.
        let newest: Option<i64> = tx.query_row(
            "SELECT max(seq) FROM changes WHERE clinic_id = ?1",
            [clinic_id],
            |row| row.get(0),
        )?;
        newest.unwrap_or(since).max(since)
    };
    tx.commit()?;
    Ok(Changes {
        changes,
        next_cursor,
        has_more,
        server_time: now,
    })
}
