//! The rows a push's intakes and notes write, held until the push has applied them all (or
//! until an entry of another kind needs the database to see them) and then written a table at a
//! time as multi-row statements ([`Insert`]): on PostgreSQL a push of 500 records costs a few
//! round trips per table instead of one per row. While rows wait, the checks of later entries
//! in the same push learn what the push stored from [`super::known::Known`].
//!
//! Written in the order foreign keys need: entries, then intakes and cases, then notes and the
//! clinic's changes (in the order the entries made them, so the feed's order is the push's).

use std::cell::RefCell;

use plkk_protocol::{PushEntry, Receipt};

use super::{entry_row, Device, EntryTimes, PushError};
use crate::sql::{Db, Insert, Value};

/// A push's waiting rows.
#[derive(Debug)]
pub(super) struct Writes {
    inner: RefCell<Waiting>,
}

#[derive(Debug)]
struct Waiting {
    entries: Insert,
    intakes: Insert,
    cases: Insert,
    names: Insert,
    notes: Insert,
    changes: Insert,
}

impl Writes {
    pub(super) fn new() -> Writes {
        Writes {
            inner: RefCell::new(Waiting {
                entries: Insert::new(super::ENTRY_INSERT, super::ENTRY_COLUMNS),
                intakes: Insert::new(
                    "INSERT INTO intakes (id, clinic_id, entry_seq, record, warnings, author, \
                     written_at)",
                    7,
                ),
                cases: Insert::new(
                    "INSERT INTO cases (intake_id, clinic_id, record, warnings, status, \
                     status_changed_at)",
                    6,
                ),
                names: crate::inbox::name_insert(),
                notes: Insert::new(
                    "INSERT INTO notes (id, intake_id, entry_seq, record, warnings)",
                    5,
                ),
                changes: Insert::new(crate::changes::INSERT, crate::changes::COLUMNS),
            }),
        }
    }

    /// Stores an applied entry (`json` as `entries.entry` keeps it; its row waits); answers its
    /// seq, the receipt number.
    pub(super) fn entry(
        &self,
        device: Device,
        entry: &PushEntry,
        json: &str,
        receipt: &Receipt,
        times: &EntryTimes,
    ) -> Result<i64, PushError> {
        let (seq, row) = entry_row(device, entry, json, receipt, times)?;
        self.inner.borrow_mut().entries.row(row);
        Ok(seq)
    }

    /// An admitted intake: its `intakes` and `cases` rows and the words of its name.
    pub(super) fn intake(&self, intake: Vec<Value>, case: Vec<Value>, name: Option<Vec<Value>>) {
        let mut waiting = self.inner.borrow_mut();
        waiting.intakes.row(intake);
        waiting.cases.row(case);
        if let Some(name) = name {
            waiting.names.row(name);
        }
    }

    /// A stored note's `notes` row.
    pub(super) fn note(&self, row: Vec<Value>) {
        self.inner.borrow_mut().notes.row(row);
    }

    /// A change for the clinic's feed.
    pub(super) fn change(&self, row: Vec<Value>) {
        self.inner.borrow_mut().changes.row(row);
    }

    /// Writes every waiting row, in the order foreign keys need (the push holds its clinic's
    /// lock from its start, as the feed's changes need).
    pub(super) fn write(&self, tx: &Db) -> Result<(), PushError> {
        let mut waiting = self.inner.borrow_mut();
        let mut statements = waiting.entries.take_statements();
        statements.extend(waiting.intakes.take_statements());
        statements.extend(waiting.cases.take_statements());
        statements.extend(waiting.names.take_statements());
        statements.extend(waiting.notes.take_statements());
        statements.extend(waiting.changes.take_statements());
        tx.execute_all(statements)?;
        Ok(())
    }
}
