//! Reading back what the store itself wrote, at the bottom of the store's layers: timestamps
//! (RFC 3339), ids, outbox kinds, and the write transaction on a shared connection. Every other
//! module may use these; this one uses only `error`.

use chrono::{DateTime, FixedOffset, Utc};
use plkk_protocol::EntryKind;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use uuid::Uuid;

use crate::StoreError;

/// Reads a timestamp the store itself wrote (RFC 3339).
pub(crate) fn parse_time(text: &str) -> Result<DateTime<FixedOffset>, StoreError> {
    Ok(serde_json::from_value(serde_json::Value::String(
        text.to_owned(),
    ))?)
}

/// Reads a timestamp the store itself wrote (RFC 3339), in UTC.
pub(crate) fn parse_utc(text: &str) -> Result<DateTime<Utc>, StoreError> {
    Ok(parse_time(text)?.with_timezone(&Utc))
}

/// Reads an id the store itself wrote.
pub(crate) fn stored_id(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| StoreError::Corrupt(format!("stored id {text:?}")))
}

/// Reads an outbox entry's kind as stored (`EntryKind::as_str`).
pub(crate) fn parse_kind(text: &str) -> Result<EntryKind, StoreError> {
    EntryKind::parse(text)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown outbox kind {text:?}")))
}

/// A write transaction on a shared connection (for acts that only append to the audit log).
pub(crate) fn immediate(conn: &Connection) -> rusqlite::Result<Transaction<'_>> {
    Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
}
