//! The `conflicts` table: corrections the branch answered with a conflict (this desk's own, from
//! a receipt, or another desk's, from the changes feed), kept and shown on their case until a
//! person resolves them.

use chrono::{DateTime, FixedOffset};
use plkk_protocol::{CorrectionPayload, FieldConflict};
use rusqlite::{params, Connection};
use serde::Serialize;
use uuid::Uuid;

use crate::rows::{parse_time, stored_id};
use crate::{Store, StoreError};

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
                correction_id: stored_id(&id)?,
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
        let intake_id = stored_id(&id)?;
        for conflict in conflicts_of_case(&store.conn, intake_id)? {
            all.push((intake_id, conflict));
        }
    }
    all.sort_by_key(|(_, conflict)| std::cmp::Reverse(conflict.written_at));
    Ok(all)
}
