//! The outbox: the queue of entries the sync will deliver to the branch. Entries are only ever
//! added inside the transaction that writes their record.

use chrono::{DateTime, FixedOffset};
use plkk_protocol::Payload;
use rusqlite::{params, Connection, Transaction};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a record stands on its way to the branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SyncState {
    Pending,
    Sent,
    Confirmed,
    Rejected,
    Conflict,
}

impl SyncState {
    pub const ALL: [SyncState; 5] = [
        SyncState::Pending,
        SyncState::Sent,
        SyncState::Confirmed,
        SyncState::Rejected,
        SyncState::Conflict,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Pending => "pending",
            SyncState::Sent => "sent",
            SyncState::Confirmed => "confirmed",
            SyncState::Rejected => "rejected",
            SyncState::Conflict => "conflict",
        }
    }

    pub(crate) fn parse(text: &str) -> SyncState {
        SyncState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .unwrap_or(SyncState::Pending)
    }

    /// How much a state needs attention; a case shows its most urgent record's state.
    fn urgency(self) -> u8 {
        match self {
            SyncState::Confirmed => 0,
            SyncState::Sent => 1,
            SyncState::Pending => 2,
            SyncState::Rejected => 3,
            SyncState::Conflict => 4,
        }
    }
}

/// Adds the entry for a record written in `tx`; its kind is the payload's.
pub(crate) fn enqueue(
    tx: &Transaction,
    record_id: Uuid,
    intake_id: Uuid,
    payload: &Payload,
    now: DateTime<FixedOffset>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO outbox (id, kind, record_id, intake_id, payload, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        Uuid::now_v7().to_string(),
        payload.kind().as_str(),
        record_id.to_string(),
        intake_id.to_string(),
        payload.to_json(),
        now.to_rfc3339(),
    ])?;
    Ok(())
}

/// The state of one record's entry; a record without one was pulled from another desk of the
/// clinic through the branch, which has it: confirmed.
pub(crate) fn record_state(conn: &Connection, record_id: Uuid) -> rusqlite::Result<SyncState> {
    let mut statement =
        conn.prepare_cached("SELECT state FROM outbox WHERE record_id = ?1 ORDER BY seq DESC")?;
    let mut rows = statement.query([record_id.to_string()])?;
    match rows.next()? {
        Some(row) => Ok(SyncState::parse(&row.get::<_, String>(0)?)),
        None => Ok(SyncState::Confirmed),
    }
}

/// The most urgent state among all entries of a case. A case without entries was pulled from
/// another desk of the clinic (the branch has it): confirmed.
pub(crate) fn case_state(conn: &Connection, intake_id: Uuid) -> rusqlite::Result<SyncState> {
    let mut statement = conn.prepare_cached("SELECT state FROM outbox WHERE intake_id = ?1")?;
    let states = statement.query_map([intake_id.to_string()], |row| {
        Ok(SyncState::parse(&row.get::<_, String>(0)?))
    })?;
    let mut most_urgent = SyncState::Confirmed;
    for state in states {
        let state = state?;
        if state.urgency() > most_urgent.urgency() {
            most_urgent = state;
        }
    }
    Ok(most_urgent)
}

/// Number of entries in each state, every state listed.
pub(crate) fn counts_by_state(conn: &Connection) -> rusqlite::Result<Vec<(SyncState, u64)>> {
    let mut statement = conn.prepare("SELECT state, count(*) FROM outbox GROUP BY state")?;
    let found: Vec<(String, u64)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(SyncState::ALL
        .into_iter()
        .map(|state| {
            let count = found
                .iter()
                .find(|(name, _)| name == state.as_str())
                .map_or(0, |(_, count)| *count);
            (state, count)
        })
        .collect())
}
