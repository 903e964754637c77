//! The quarantine: entries the branch rejected (or the desk could not deliver), listed with the
//! reasons, and their resend by a person.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, Utc};
use plkk_domain::{Action, AuditAction};
use plkk_protocol::{EntryKind, FieldIssue};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::waits_for_rejected_intake;
use crate::access::{require, Actor};
use crate::audit;
use crate::error::{parse_id, refused};
use crate::projection::current_case;
use crate::rows::{parse_kind, parse_utc, stored_id};
use crate::{payloads, Store, StoreError};

/// A rejected entry in quarantine, with the branch's reasons.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuarantinedEntry {
    pub entry_id: Uuid,
    pub kind: EntryKind,
    pub record_id: Uuid,
    pub intake_id: Uuid,
    /// The patient's name on the case (the person's, for a BPU registration), to find it.
    pub full_name: Option<String>,
    pub issues: Vec<FieldIssue>,
    pub rejected_at: Option<DateTime<Utc>>,
    /// Other entries of the case held back until this one is confirmed (for a rejected intake).
    pub waiting_entries: u64,
}

/// Every rejected entry, oldest first (anyone who may view cases).
pub fn quarantine(store: &Store, actor: &Actor) -> Result<Vec<QuarantinedEntry>, StoreError> {
    require(actor, Action::View)?;
    quarantined(&store.conn, None)
}

/// The rejected entries of one case (all cases with `None`), oldest first.
pub(crate) fn quarantined(
    conn: &Connection,
    intake_id: Option<Uuid>,
) -> Result<Vec<QuarantinedEntry>, StoreError> {
    // A rejected intake holds back the entries of its case that wait for it.
    static QUARANTINED: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT entry.id, entry.kind, entry.record_id, entry.intake_id, entry.issues,
                    entry.received_at,
                    coalesce(json_extract(cases.record, '$.full_name'),
                             (SELECT full_name FROM bpu_registrations
                              WHERE id = entry.intake_id)),
                    (SELECT count(*) FROM outbox AS other
                     WHERE entry.kind = '{intake}' AND other.intake_id = entry.intake_id
                       AND other.state IN ('pending', 'sent') AND {waits})
             FROM outbox AS entry LEFT JOIN cases ON cases.intake_id = entry.intake_id
             WHERE entry.state = 'rejected' AND (?1 IS NULL OR entry.intake_id = ?1)
             ORDER BY entry.seq",
            intake = EntryKind::Intake.as_str(),
            waits = waits_for_rejected_intake("other"),
        )
    });
    let mut statement = conn.prepare_cached(&QUARANTINED)?;
    let rows = statement.query_map([intake_id.map(|id| id.to_string())], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, Option<String>>(4)?,
            row.get::<_, Option<String>>(5)?,
            row.get::<_, Option<String>>(6)?,
            row.get::<_, u64>(7)?,
        ))
    })?;
    let mut entries = Vec::new();
    for row in rows {
        let (id, kind, record_id, intake_id, issues, received_at, full_name, waiting) = row?;
        entries.push(QuarantinedEntry {
            entry_id: stored_id(&id)?,
            kind: parse_kind(&kind)?,
            record_id: stored_id(&record_id)?,
            intake_id: stored_id(&intake_id)?,
            full_name,
            issues: issues
                .as_deref()
                .map(serde_json::from_str)
                .transpose()?
                .unwrap_or_default(),
            rejected_at: received_at.as_deref().map(parse_utc).transpose()?,
            waiting_entries: waiting,
        });
    }
    Ok(entries)
}

/// Puts a rejected entry back in the queue (anyone who may send records to the branch; recorded
/// in the audit log). A rejected intake is resent with the case's current values, so a
/// correction made meanwhile fixes it: such corrections are folded into it (confirmed with its
/// receipt, never sent on their own), and the case's rejected notes are queued again.
pub fn resend(
    store: &mut Store,
    actor: &Actor,
    entry_id: &str,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    require(actor, Action::SyncNow)?;
    let entry_id = parse_id("entry_id", entry_id)?;
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let entry: Option<(i64, String, String, String, String)> = tx
        .query_row(
            "SELECT entry.seq, entry.kind, entry.intake_id, entry.state, body.payload
             FROM outbox AS entry JOIN outbox_payloads AS body ON body.seq = entry.seq
             WHERE entry.id = ?1",
            [entry_id.to_string()],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )
        .optional()?;
    let Some((seq, kind, intake_id, state, payload)) = entry else {
        return Err(refused(
            "entry_id",
            "not_found",
            format!("entry_id: no outbox entry {entry_id} on this desk"),
        ));
    };
    if state != "rejected" {
        return Err(refused(
            "entry_id",
            "not_rejected",
            format!("entry_id: entry {entry_id} is {state}, not rejected"),
        ));
    }
    let mut new_payload = payload;
    let kind = parse_kind(&kind)?;
    if kind == EntryKind::Intake {
        let intake_uuid = stored_id(&intake_id)?;
        let current = current_case(&tx, intake_uuid)?.ok_or_else(|| {
            StoreError::Corrupt(format!("outbox entry {entry_id} names a missing case"))
        })?;
        new_payload = payloads::resent_intake(&new_payload, &current.intake)?.to_json();
        tx.execute(
            "UPDATE outbox SET folded_into = ?1, state = 'pending'
             WHERE intake_id = ?2 AND kind = ?3
               AND state IN ('pending', 'sent', 'rejected')",
            params![
                entry_id.to_string(),
                intake_id,
                EntryKind::IntakeCorrection.as_str()
            ],
        )?;
        tx.execute(
            "UPDATE outbox SET state = 'pending', issues = NULL
             WHERE intake_id = ?1 AND kind = ?2 AND state = 'rejected'",
            [intake_id.as_str(), EntryKind::Note.as_str()],
        )?;
    }
    tx.execute(
        "UPDATE outbox SET state = 'pending', issues = NULL, received_at = NULL WHERE seq = ?1",
        [seq],
    )?;
    tx.execute(
        "UPDATE outbox_payloads SET payload = ?2 WHERE seq = ?1",
        params![seq, new_payload],
    )?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::Resend,
        Some(&intake_id),
        json!({ "entry": entry_id, "kind": kind.as_str() }),
    )?;
    tx.commit()?;
    Ok(())
}
