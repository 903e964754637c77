//! Pushing the outbox: which entries are candidates for the next batch, marking them sent before
//! the request, storing the branch's receipts after it (one transaction), and putting an entry the
//! desk cannot deliver in quarantine.
//!
//! Exactly once rests on the branch: an entry marked `sent` whose receipt never arrived (a crash, a
//! dropped connection) is simply a candidate again, and the branch answers a repeat `duplicate`
//! with the receipt it gave the first time.

use chrono::{DateTime, FixedOffset, Utc};
use plkk_protocol::{EntryKind, FieldConflict, FieldIssue, Outcome, Receipt};
use std::sync::LazyLock;

use rusqlite::{params, Connection, TransactionBehavior};
use serde::Serialize;
use uuid::Uuid;

use super::waits_for_rejected_intake;
use crate::rows::{parse_kind, stored_id};
use crate::{Store, StoreError, SyncState};

/// An outbox entry waiting for delivery (pending, or sent without a receipt).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub seq: i64,
    pub entry_id: Uuid,
    pub kind: EntryKind,
    pub record_id: Uuid,
    pub intake_id: Uuid,
    /// The payload JSON as stored (`outbox_payloads`).
    pub payload: String,
    pub state: SyncState,
    /// The state of the case's intake entry on this desk; `None` when the intake has no entry
    /// here (it was pulled from another desk: the branch has it).
    pub intake_state: Option<SyncState>,
}

/// The push's candidates in send order: it walks `outbox_unconfirmed` (the pending and sent
/// entries, by seq) and stops at the limit. Left to choose, SQLite took `outbox_by_state` and
/// sorted every pending entry for each request: quadratic over a backlog.
pub(crate) static CANDIDATES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT entry.seq, entry.id, entry.kind, entry.record_id, entry.intake_id,
                body.payload, entry.state, case_intake.state
         FROM outbox AS entry INDEXED BY outbox_unconfirmed
         JOIN outbox_payloads AS body ON body.seq = entry.seq
         LEFT JOIN outbox AS case_intake
             ON case_intake.intake_id = entry.intake_id AND case_intake.kind = '{intake}'
         WHERE entry.state IN ('pending', 'sent') AND entry.seq > ?1
           AND entry.folded_into IS NULL AND NOT {waits}
         ORDER BY entry.seq LIMIT ?2",
        intake = EntryKind::Intake.as_str(),
        waits = waits_for_rejected_intake("entry"),
    )
});

/// Up to `limit` undelivered entries with `seq > after_seq`, in send order. Entries of a case whose
/// intake is in quarantine are left out (they wait for it), as are corrections folded into a
/// resent intake.
pub fn push_candidates(
    store: &Store,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut statement = store.conn.prepare_cached(&CANDIDATES)?;
    let rows = statement.query_map(params![after_seq, limit], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, String>(5)?,
            row.get::<_, String>(6)?,
            row.get::<_, Option<String>>(7)?,
        ))
    })?;
    let mut entries = Vec::new();
    for row in rows {
        let (seq, id, kind, record_id, intake_id, payload, state, intake_state) = row?;
        entries.push(OutboxEntry {
            seq,
            entry_id: stored_id(&id)?,
            kind: parse_kind(&kind)?,
            record_id: stored_id(&record_id)?,
            intake_id: stored_id(&intake_id)?,
            payload,
            state: SyncState::parse(&state),
            intake_state: intake_state.as_deref().map(SyncState::parse),
        });
    }
    Ok(entries)
}

/// Marks entries as sent just before their push request (a crash after this only causes a resend,
/// which the branch answers as a duplicate). Returns the entries that were pending until now, for
/// [`mark_unsent`] when the request never left the desk.
pub fn mark_sent(
    store: &mut Store,
    entry_ids: &[Uuid],
    now: DateTime<FixedOffset>,
) -> Result<Vec<Uuid>, StoreError> {
    let tx = store.conn.transaction()?;
    let newly_sent = mark_sent_in(&tx, entry_ids, now)?;
    tx.commit()?;
    Ok(newly_sent)
}

/// [`mark_sent`] inside the caller's write transaction.
pub(crate) fn mark_sent_in(
    tx: &rusqlite::Connection,
    entry_ids: &[Uuid],
    now: DateTime<FixedOffset>,
) -> Result<Vec<Uuid>, StoreError> {
    let mut newly_sent = Vec::new();
    let mut from_pending = tx.prepare_cached(
        "UPDATE outbox SET state = 'sent', sent_at = ?2, attempts = attempts + 1
         WHERE id = ?1 AND state = 'pending'",
    )?;
    let mut again = tx.prepare_cached(
        "UPDATE outbox SET sent_at = ?2, attempts = attempts + 1
         WHERE id = ?1 AND state = 'sent'",
    )?;
    let sent_at = now.to_rfc3339();
    for id in entry_ids {
        let id_text = id.to_string();
        if from_pending.execute(params![id_text, sent_at])? == 1 {
            newly_sent.push(*id);
        } else {
            again.execute(params![id_text, sent_at])?;
        }
    }
    Ok(newly_sent)
}

/// Puts entries back to pending when their push request never reached the branch (no connection,
/// failed TLS handshake): nothing left the desk, so the desk must not say "sent".
pub fn mark_unsent(store: &mut Store, entry_ids: &[Uuid]) -> Result<(), StoreError> {
    let tx = store.conn.transaction()?;
    {
        let mut update = tx.prepare_cached(
            "UPDATE outbox SET state = 'pending' WHERE id = ?1 AND state = 'sent'",
        )?;
        for id in entry_ids {
            update.execute([id.to_string()])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Puts an entry in quarantine that the desk cannot deliver (larger than the branch accepts in
/// one request), without sending it; `issues` say why. Like an entry the branch rejected, it
/// holds back only its own case, and `resend` queues it again. Returns whether it was waiting.
pub fn quarantine_undeliverable(
    store: &mut Store,
    entry_id: Uuid,
    issues: &[FieldIssue],
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = store
        .conn
        .prepare_cached(
            "UPDATE outbox SET state = 'rejected', issues = ?2, received_at = ?3, receipt = NULL
             WHERE id = ?1 AND state IN ('pending', 'sent') AND folded_into IS NULL",
        )?
        .execute(params![
            entry_id.to_string(),
            serde_json::to_string(issues)?,
            now.to_rfc3339()
        ])?;
    Ok(changed == 1)
}

/// The sync state an entry takes for the branch's answer.
pub fn state_for_outcome(outcome: Outcome) -> SyncState {
    match outcome {
        Outcome::Applied | Outcome::Duplicate => SyncState::Confirmed,
        Outcome::Rejected => SyncState::Rejected,
        Outcome::Conflict => SyncState::Conflict,
    }
}

/// What a set of receipts did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReceiptTally {
    pub confirmed: u64,
    pub rejected: u64,
    pub conflicts: u64,
    /// Receipts naming an entry this desk does not have (ignored).
    pub unknown: u64,
}

/// Stores the branch's receipts in one transaction. Entries without a receipt stay `sent`.
pub fn store_receipts(store: &mut Store, receipts: &[Receipt]) -> Result<ReceiptTally, StoreError> {
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let tally = store_receipts_in(&tx, receipts)?;
    tx.commit()?;
    Ok(tally)
}

/// [`store_receipts`] inside the caller's write transaction (`sync_settings::store_push_answer`
/// stores a push's whole answer in one).
pub(crate) fn store_receipts_in(
    tx: &Connection,
    receipts: &[Receipt],
) -> Result<ReceiptTally, StoreError> {
    let mut tally = ReceiptTally::default();
    for receipt in receipts {
        let state = state_for_outcome(receipt.outcome);
        let issues = (!receipt.issues.is_empty())
            .then(|| serde_json::to_string(&receipt.issues))
            .transpose()?;
        let conflicts = (!receipt.conflicts.is_empty())
            .then(|| serde_json::to_string(&receipt.conflicts))
            .transpose()?;
        let changed = tx
            .prepare_cached(
                "UPDATE outbox SET state = ?2, receipt = ?3, received_at = ?4, issues = ?5,
                     conflicts = ?6, last_error = NULL
                 WHERE id = ?1 AND folded_into IS NULL",
            )?
            .execute(params![
                receipt.entry_id.to_string(),
                state.as_str(),
                receipt.receipt,
                receipt.received_at.to_rfc3339(),
                issues,
                conflicts,
            ])?;
        if changed == 0 {
            tally.unknown += 1;
            continue;
        }
        match state {
            SyncState::Confirmed => {
                tally.confirmed += 1;
                tx.prepare_cached(
                    "UPDATE outbox SET state = 'confirmed', receipt = ?2, received_at = ?3
                     WHERE folded_into = ?1",
                )?
                .execute(params![
                    receipt.entry_id.to_string(),
                    receipt.receipt,
                    receipt.received_at.to_rfc3339(),
                ])?;
            }
            SyncState::Rejected => tally.rejected += 1,
            SyncState::Conflict => {
                tally.conflicts += 1;
                keep_own_conflict(tx, receipt.entry_id, &receipt.conflicts)?;
            }
            SyncState::Pending | SyncState::Sent => {}
        }
    }
    let back_to_waiting = wait_for_refused_intakes(tx)?;
    tally.rejected = tally.rejected.saturating_sub(back_to_waiting);
    Ok(tally)
}

/// A note or correction sent in the same batch as its intake is refused with `intake_id
/// not_found` when the branch refused that intake. Nothing is wrong with the entry itself: it goes
/// back to waiting for its intake instead of into quarantine, and follows it once the intake is
/// corrected and resent. Returns how many entries went back.
fn wait_for_refused_intakes(conn: &Connection) -> Result<u64, StoreError> {
    static BACK_TO_WAITING: LazyLock<String> = LazyLock::new(|| {
        format!(
            "UPDATE outbox AS waiting
             SET state = 'pending', issues = NULL, receipt = NULL, received_at = NULL
             WHERE waiting.state = 'rejected'
               AND json_array_length(waiting.issues) = 1
               AND json_extract(waiting.issues, '$[0].field') = 'intake_id'
               AND json_extract(waiting.issues, '$[0].rule') = 'not_found'
               AND {}",
            waits_for_rejected_intake("waiting")
        )
    });
    let moved = conn.prepare_cached(&BACK_TO_WAITING)?.execute([])?;
    Ok(moved as u64)
}

/// Keeps this desk's correction that the branch answered with a conflict, for the case view.
fn keep_own_conflict(
    conn: &Connection,
    entry_id: Uuid,
    fields: &[FieldConflict],
) -> Result<(), StoreError> {
    let payload: String = conn.query_row(
        "SELECT body.payload FROM outbox AS entry
         JOIN outbox_payloads AS body ON body.seq = entry.seq WHERE entry.id = ?1",
        [entry_id.to_string()],
        |row| row.get(0),
    )?;
    let correction = crate::payloads::stored_correction(&payload)?;
    crate::conflicts::keep_conflict(conn, &correction, None, true, fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(outcome: Outcome, expected: SyncState) {
        assert_eq!(state_for_outcome(outcome), expected, "{outcome:?}");
    }

    #[test]
    fn receipts_map_to_states() {
        check(Outcome::Applied, SyncState::Confirmed);
        check(Outcome::Duplicate, SyncState::Confirmed);
        check(Outcome::Rejected, SyncState::Rejected);
        check(Outcome::Conflict, SyncState::Conflict);
    }
}
