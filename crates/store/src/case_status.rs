//! The `case_status` table: the branch's status of each case (accepted, needs documents, ...), as
//! last pulled; a later status from the feed replaces an earlier one, never the other way round.

use chrono::{DateTime, FixedOffset, Utc};
use plkk_protocol::CaseStatus;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use uuid::Uuid;

use crate::rows::parse_time;
use crate::StoreError;

/// Stores the branch's status of a case from the feed entry `branch_seq` (an older one is ignored).
pub(crate) fn write_status(
    conn: &Connection,
    intake_id: Uuid,
    branch_seq: i64,
    status: CaseStatus,
    reason: Option<&str>,
    reference: Option<&str>,
    changed_at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO case_status (intake_id, status, reason, reference, changed_at, branch_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (intake_id) DO UPDATE SET status = excluded.status,
             reason = excluded.reason, reference = excluded.reference,
             changed_at = excluded.changed_at, branch_seq = excluded.branch_seq
         WHERE excluded.branch_seq > case_status.branch_seq",
    )?
    .execute(params![
        intake_id.to_string(),
        status.as_str(),
        reason,
        reference,
        changed_at.to_rfc3339(),
        branch_seq,
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
