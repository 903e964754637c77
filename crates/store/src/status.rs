//! A summary of the desk's data for `plkk status` and support staff.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{outbox, Store, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub database: Option<String>,
    pub intakes: u64,
    pub open_cases: u64,
    pub corrections: u64,
    pub notes: u64,
    /// Outbox entries by sync state; every state is listed, zeros included.
    pub outbox: BTreeMap<&'static str, u64>,
}

pub fn status(store: &Store) -> Result<Status, StoreError> {
    let count = |sql: &str| -> Result<u64, StoreError> {
        Ok(store.conn.query_row(sql, [], |row| row.get(0))?)
    };
    Ok(Status {
        database: store.path().map(|path| path.display().to_string()),
        intakes: count("SELECT count(*) FROM intakes")?,
        open_cases: count("SELECT count(*) FROM cases WHERE closed = 0")?,
        corrections: count("SELECT count(*) FROM intake_corrections")?,
        notes: count("SELECT count(*) FROM notes")?,
        outbox: outbox::counts_by_state(&store.conn)?
            .into_iter()
            .map(|(state, count)| (state.as_str(), count))
            .collect(),
    })
}
