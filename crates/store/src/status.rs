//! A summary of the desk's data for `plkk status` and support staff.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::{outbox, Store, StoreError, SyncState};

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub database: Option<String>,
    /// The folder of the desktop app's log files (`logs` in the data directory).
    pub log_dir: Option<String>,
    pub intakes: u64,
    pub open_cases: u64,
    pub corrections: u64,
    pub notes: u64,
    /// Outbox entries by sync state; every state is listed, zeros included.
    pub outbox: BTreeMap<&'static str, u64>,
    pub pending: u64,
    pub sent: u64,
    pub confirmed: u64,
    pub rejected: u64,
    pub conflict: u64,
    /// When the last sync cycle succeeded.
    pub last_sync_at: Option<DateTime<FixedOffset>>,
    /// Case documents whose bytes the branch has not confirmed yet.
    pub documents_waiting: u64,
    /// Their bytes the branch does not hold yet.
    pub document_bytes_waiting: u64,
}

pub fn status(store: &Store) -> Result<Status, StoreError> {
    let count = |sql: &str| -> Result<u64, StoreError> {
        Ok(store.conn.query_row(sql, [], |row| row.get(0))?)
    };
    let by_state = outbox::counts_by_state(&store.conn)?;
    let of = |wanted: SyncState| {
        by_state
            .iter()
            .find(|(state, _)| *state == wanted)
            .map_or(0, |(_, count)| *count)
    };
    let documents = crate::documents::document_waiting(store)?;
    Ok(Status {
        database: store.path().map(|path| path.display().to_string()),
        log_dir: store
            .path()
            .and_then(|path| path.parent())
            .map(|dir| crate::log_dir(dir).display().to_string()),
        intakes: count("SELECT count(*) FROM intakes")?,
        open_cases: count("SELECT count(*) FROM cases WHERE closed = 0")?,
        corrections: count("SELECT count(*) FROM intake_corrections")?,
        notes: count("SELECT count(*) FROM notes")?,
        outbox: by_state
            .iter()
            .map(|(state, count)| (state.as_str(), *count))
            .collect(),
        pending: of(SyncState::Pending),
        sent: of(SyncState::Sent),
        confirmed: of(SyncState::Confirmed),
        rejected: of(SyncState::Rejected),
        conflict: of(SyncState::Conflict),
        last_sync_at: crate::sync_settings::sync_log(store)?.last_success_at,
        documents_waiting: documents.documents,
        document_bytes_waiting: documents.bytes,
    })
}
