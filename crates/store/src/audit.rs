//! The desk's audit log: who signed in, opened, admitted, corrected, noted, exported or printed
//! what, and who failed to sign in. Entries are appended inside the same transaction as the act
//! they record, chained by hash (`plkk_domain::AuditEntry`), never updated or deleted (triggers),
//! and delivered to the branch by the sync (`unsent_audit` / `mark_audit_acked`).

use chrono::{DateTime, FixedOffset};
use plkk_domain::limits;
use plkk_domain::{Action, AuditAction, AuditEntry, ChainBreak};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::access::{require, Actor};
use crate::rows::immediate;
use crate::{Store, StoreError};

/// Appends one entry after the last one. Call inside a write transaction. `actor` and `subject`
/// are cut to their lengths in `limits::AUDIT_ENTRY` (a name typed at a failed sign-in can be
/// anything), so the branch never refuses the desk's log for them.
pub(crate) fn append(
    conn: &Connection,
    at: DateTime<FixedOffset>,
    actor: &str,
    action: AuditAction,
    subject: Option<&str>,
    detail: serde_json::Value,
) -> Result<AuditEntry, StoreError> {
    let last: Option<(i64, String)> = conn
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let actor = limits::clip(actor, limits::max_of(limits::AUDIT_ENTRY, "actor"));
    let subject =
        subject.map(|text| limits::clip(text, limits::max_of(limits::AUDIT_ENTRY, "subject")));
    let entry = AuditEntry::next(
        last.as_ref().map(|(seq, hash)| (*seq, hash.as_str())),
        at,
        &actor,
        action.as_str(),
        subject.as_deref(),
        &detail.to_string(),
    );
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        entry.seq,
        entry.at.to_rfc3339(),
        entry.actor,
        entry.action,
        entry.subject,
        entry.detail,
        entry.prev_hash,
        entry.hash,
    ])?;
    Ok(entry)
}

/// Records an act that writes nothing else (a lock, a print) in its own transaction.
pub fn record_event(
    store: &Store,
    actor: &Actor,
    action: AuditAction,
    subject: Option<&str>,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let tx = immediate(&store.conn)?;
    append(
        &tx,
        now,
        &actor.username,
        action,
        subject,
        serde_json::json!({}),
    )?;
    tx.commit()?;
    Ok(())
}

/// A print of a case: anyone who may view it may print it; the print is recorded.
pub fn record_print(
    store: &Store,
    actor: &Actor,
    intake_id: &str,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    require(actor, Action::Print)?;
    let id = crate::error::parse_id("id", intake_id)?;
    record_event(store, actor, AuditAction::Print, Some(&id.to_string()), now)
}

/// Records a role refusal (`refused`, subject the action, detail the action and role) that a host
/// is about to show: the window and `plkk` call it with the error they met, so every refusal of
/// every host is in the log. Any other error records nothing.
pub fn record_refusal(
    store: &Store,
    actor: &Actor,
    error: &StoreError,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let StoreError::Forbidden { role, action } = error else {
        return Ok(());
    };
    let tx = immediate(&store.conn)?;
    append(
        &tx,
        now,
        &actor.username,
        AuditAction::Refused,
        Some(action.as_str()),
        serde_json::json!({ "action": action.as_str(), "role": role.as_str() }),
    )?;
    tx.commit()?;
    Ok(())
}

/// The newest `limit` entries, newest first (administrators only).
pub fn audit_list(
    store: &Store,
    actor: &Actor,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    require(actor, Action::ReadAudit)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut statement = store
        .conn
        .prepare("SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?1")?;
    let entries = statement
        .query_map([limit], entry_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(entries)
}

/// What `plkk audit verify` answers: how many entries were checked and the first bad one.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditReport {
    pub entries: usize,
    pub first_break: Option<ChainBreak>,
}

/// Walks the whole chain in stored order (administrators only).
pub fn audit_verify(store: &Store, actor: &Actor) -> Result<AuditReport, StoreError> {
    require(actor, Action::ReadAudit)?;
    chain_report(&store.conn)
}

/// Walks the whole chain in stored order (for `audit_verify`, the health check and restores).
pub(crate) fn chain_report(conn: &Connection) -> Result<AuditReport, StoreError> {
    let mut statement = conn.prepare("SELECT * FROM audit_log ORDER BY seq")?;
    let mut rows = statement.query([])?;
    let mut previous: Option<AuditEntry> = None;
    let mut entries = 0;
    while let Some(row) = rows.next()? {
        let entry = entry_row(row)?;
        if let Err(broken) = plkk_domain::check_link(previous.as_ref(), &entry) {
            return Ok(AuditReport {
                entries,
                first_break: Some(broken),
            });
        }
        entries += 1;
        previous = Some(entry);
    }
    Ok(AuditReport {
        entries,
        first_break: None,
    })
}

/// The entries after the last one the branch acknowledged, by seq (the table's key).
pub(crate) const UNSENT: &str = "SELECT * FROM audit_log
     WHERE seq > max(coalesce((SELECT acked_seq FROM audit_sync WHERE id = 1), 0), ?2)
     ORDER BY seq LIMIT ?1";

/// Entries the branch does not hold yet, oldest first (for the sync).
pub fn unsent_audit(store: &Store, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
    unsent_audit_after(store, 0, limit)
}

/// [`unsent_audit`] after `after_seq`: the entries after those in a request still in flight.
pub fn unsent_audit_after(
    store: &Store,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut statement = store.conn.prepare_cached(UNSENT)?;
    let entries = statement
        .query_map([limit, after_seq], entry_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(entries)
}

/// Remembers how far the branch holds the chain (never moves backwards).
pub fn mark_audit_acked(store: &Store, acked_seq: i64) -> Result<(), StoreError> {
    mark_audit_acked_in(&store.conn, acked_seq)
}

/// [`mark_audit_acked`] inside the caller's transaction.
pub(crate) fn mark_audit_acked_in(conn: &Connection, acked_seq: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO audit_sync (id, acked_seq) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET acked_seq = max(acked_seq, excluded.acked_seq)",
    )?
    .execute([acked_seq])?;
    Ok(())
}

pub(crate) fn entry_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let at: String = row.get("at")?;
    Ok(AuditEntry {
        seq: row.get("seq")?,
        at: DateTime::parse_from_rfc3339(&at).map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                Box::new(error),
            )
        })?,
        actor: row.get("actor")?,
        action: row.get("action")?,
        subject: row.get("subject")?,
        detail: row.get("detail")?,
        prev_hash: row.get("prev_hash")?,
        hash: row.get("hash")?,
    })
}
