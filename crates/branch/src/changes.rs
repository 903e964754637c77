//! The changes feed: one branch-wide sequence of what happened to each clinic's cases (status set,
//! record pushed, correction in conflict). Desks pull their clinic's part with a cursor; a desk
//! never gets back the records it pushed itself, but does get every conflict, its own included.

use chrono::{DateTime, Utc};
use plkk_protocol::{Change, ChangeBody, Changes};
use rusqlite::{params, Connection, Transaction};
use uuid::Uuid;

use crate::db::time_text;
use crate::BranchError;

/// Changes per pull when the desk does not say.
pub(crate) const DEFAULT_LIMIT: u32 = 500;
/// Most changes per pull.
pub(crate) const MAX_LIMIT: u32 = 1000;

/// Appends a change for `clinic_id` in the caller's transaction.
pub(crate) fn emit(
    tx: &Transaction,
    clinic_id: i64,
    intake_id: Uuid,
    body: &ChangeBody,
    now: DateTime<Utc>,
) -> Result<i64, BranchError> {
    let (kind, origin_device) = match body {
        ChangeBody::CaseStatus { .. } => ("case_status", None),
        ChangeBody::Record { origin_device, .. } => ("record", Some(*origin_device)),
        ChangeBody::Conflict { origin_device, .. } => ("conflict", Some(*origin_device)),
    };
    tx.prepare_cached(
        "INSERT INTO changes (clinic_id, intake_id, kind, origin_device, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        clinic_id,
        intake_id.to_string(),
        kind,
        origin_device.map(|id| id.to_string()),
        serde_json::to_string(body)?,
        time_text(now),
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The clinic's changes after `since` that `device` should see, at most `limit` (clamped to
/// 1..=MAX_LIMIT). Read in one transaction, so the cursor and `has_more` agree with the rows.
pub(crate) fn read(
    conn: &mut Connection,
    clinic_id: i64,
    device: Uuid,
    since: i64,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<Changes, BranchError> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let tx = conn.transaction()?;
    let device_text = device.to_string();
    let rows: Vec<(i64, String, String)> = {
        let mut statement = tx.prepare_cached(
            "SELECT seq, intake_id, body FROM changes
             WHERE clinic_id = ?1 AND seq > ?2
               AND NOT (kind = 'record' AND origin_device = ?3)
             ORDER BY seq LIMIT ?4",
        )?;
        let rows = statement
            .query_map(
                params![clinic_id, since, device_text, i64::from(limit) + 1],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?
            .collect::<rusqlite::Result<_>>()?;
        rows
    };
    let has_more = rows.len() > limit as usize;
    let mut changes = Vec::with_capacity(rows.len().min(limit as usize));
    for (seq, intake_id, body) in rows.into_iter().take(limit as usize) {
        changes.push(Change {
            seq,
            intake_id: Uuid::parse_str(&intake_id).map_err(|_| {
                BranchError::Stored(format!("change {seq}: intake id {intake_id:?}"))
            })?,
            body: serde_json::from_str(&body)?,
        });
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
