//! The outbox: the queue of entries the sync will deliver to the branch, and the only module with
//! statements on the `outbox` table. Entries are only ever added inside the transaction that
//! writes their record. `push.rs` is the sync's side (candidates, sent, receipts),
//! `quarantine.rs` the rejected entries and their resend.

mod push;
mod quarantine;

use std::sync::LazyLock;

use plkk_protocol::EntryKind;

#[cfg(test)]
pub(crate) use push::CANDIDATES;
pub use push::{
    mark_sent, mark_unsent, push_candidates, quarantine_undeliverable, state_for_outcome,
    store_receipts, OutboxEntry, ReceiptTally,
};
pub(crate) use push::{mark_sent_in, store_receipts_in};
pub(crate) use quarantine::quarantined;
pub use quarantine::{quarantine, resend, QuarantinedEntry};

use chrono::{DateTime, FixedOffset};
use rusqlite::OptionalExtension;

use crate::rows::parse_time;
use crate::{Store, StoreError};
use plkk_protocol::Payload;
use rusqlite::{params, Connection, Transaction};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `EntryKind::waits_for_intake` in SQL, over the outbox row named `entry`: true when the entry
/// is of a kind that waits for its intake and that intake's entry here is in quarantine
/// (rejected). Every statement that holds back, counts or releases waiting entries uses it.
fn waits_for_rejected_intake(entry: &str) -> String {
    let waiting_kinds: Vec<String> = EntryKind::ALL
        .into_iter()
        .filter(|kind| kind.waits_for_intake())
        .map(|kind| format!("'{}'", kind.as_str()))
        .collect();
    format!(
        "({entry}.kind IN ({kinds}) AND EXISTS (SELECT 1 FROM outbox AS intake
             WHERE intake.kind = '{intake}' AND intake.intake_id = {entry}.intake_id
               AND intake.state = 'rejected'))",
        kinds = waiting_kinds.join(", "),
        intake = EntryKind::Intake.as_str(),
    )
}

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

/// Adds the entry for a record written in `tx`; its kind is the payload's. The payload goes to
/// `outbox_payloads` under the entry's seq (0061): delivering the entry never rewrites it.
pub(crate) fn enqueue(
    tx: &Transaction,
    record_id: Uuid,
    intake_id: Uuid,
    payload: &Payload,
    now: DateTime<FixedOffset>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO outbox (id, kind, record_id, intake_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        Uuid::now_v7().to_string(),
        payload.kind().as_str(),
        record_id.to_string(),
        intake_id.to_string(),
        now.to_rfc3339(),
    ])?;
    tx.prepare_cached("INSERT INTO outbox_payloads (seq, payload) VALUES (?1, ?2)")?
        .execute(params![tx.last_insert_rowid(), payload.to_json()])?;
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

/// Whether a record was written on this desk (it has an outbox entry here).
pub(crate) fn own_entry(conn: &Connection, record_id: Uuid) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM outbox WHERE record_id = ?1")?
        .query_row([record_id.to_string()], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// How many entries are in each state, and the oldest not yet confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncCounts {
    pub pending: u64,
    pub sent: u64,
    pub confirmed: u64,
    pub rejected: u64,
    pub conflict: u64,
    /// Entries held back because their case's intake is in quarantine (among `pending`/`sent`).
    pub waiting: u64,
    /// When the oldest entry not yet confirmed was written.
    pub oldest_unconfirmed_at: Option<DateTime<FixedOffset>>,
}

impl SyncCounts {
    /// Entries the branch has not confirmed.
    pub fn unconfirmed(&self) -> u64 {
        self.pending + self.sent + self.rejected + self.conflict
    }
}

pub fn sync_counts(store: &Store) -> Result<SyncCounts, StoreError> {
    let mut counts = SyncCounts::default();
    for (state, count) in counts_by_state(&store.conn)? {
        match state {
            SyncState::Pending => counts.pending = count,
            SyncState::Sent => counts.sent = count,
            SyncState::Confirmed => counts.confirmed = count,
            SyncState::Rejected => counts.rejected = count,
            SyncState::Conflict => counts.conflict = count,
        }
    }
    static WAITING: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT count(*) FROM outbox AS entry
             WHERE entry.state IN ('pending', 'sent') AND {}",
            waits_for_rejected_intake("entry")
        )
    });
    counts.waiting = store.conn.query_row(&WAITING, [], |row| row.get(0))?;
    let oldest: Option<String> = store
        .conn
        .query_row(
            "SELECT created_at FROM outbox
             WHERE seq = (SELECT min(seq) FROM outbox
                          WHERE state IN ('pending', 'sent', 'rejected', 'conflict'))",
            [],
            |row| row.get(0),
        )
        .optional()?;
    counts.oldest_unconfirmed_at = oldest.as_deref().map(parse_time).transpose()?;
    Ok(counts)
}
