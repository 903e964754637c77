//! What a push's checks ask of the database, read once at its start in a few statements (the
//! entries stored before under any of its entry ids or records, and the cases its entries
//! concern), then kept up to date as the push stores entries and admits cases. An entry's
//! checks then cost no statement of their own: on PostgreSQL, two round trips per entry fewer.
//!
//! The reads run inside the push's write transaction, after its clinic's lock, so nothing
//! another server commits can slip between them and the push's own writes. A case a correction
//! changes is read again when a later entry of the push asks for it.

use std::cell::RefCell;
use std::collections::HashMap;

use plkk_protocol::{EntryKind, Outcome, PushEntry, Receipt};
use uuid::Uuid;

use super::{Device, KnownCase, PushError};
use crate::sql::{chunk_size, Db, Dialect, OptionalExtension, Value};

/// An entry the branch holds: the receipt it first gave, and the clinic of the desk that sent it.
#[derive(Debug, Clone)]
struct Stored {
    receipt: Receipt,
    clinic_id: i64,
}

/// What a push knows of the stored entries and cases its entries concern.
#[derive(Debug)]
pub(super) struct Known {
    inner: RefCell<Held>,
}

#[derive(Debug, Default)]
struct Held {
    by_entry: HashMap<Uuid, Stored>,
    by_record: HashMap<(Uuid, EntryKind), Stored>,
    /// Every case asked about: `None` where the branch has none. A case not here is read.
    cases: HashMap<Uuid, Option<KnownCase>>,
    /// The case of each note the push stored.
    notes: HashMap<Uuid, Uuid>,
}

impl Known {
    /// Reads what the branch holds for `entries`.
    pub(super) fn read(tx: &Db, entries: &[PushEntry]) -> Result<Known, PushError> {
        let mut held = Held::default();
        let entry_ids: Vec<String> = entries.iter().map(|e| e.entry_id.to_string()).collect();
        let record_ids: Vec<String> = entries.iter().map(|e| e.record_id.to_string()).collect();
        let columns = "SELECT e.id, e.record_id, e.kind, e.receipt, d.clinic_id
                       FROM entries e JOIN devices d ON d.id = e.device_id";
        for (column, ids) in [("e.id", &entry_ids), ("e.record_id", &record_ids)] {
            for row in rows_where_in(tx, &format!("{columns} WHERE {column}"), ids)? {
                let (id, record_id, kind, receipt, clinic_id): (
                    String,
                    String,
                    String,
                    String,
                    i64,
                ) = (
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                );
                let stored = Stored {
                    receipt: serde_json::from_str(&receipt)?,
                    clinic_id,
                };
                let record_id = uuid(&record_id)?;
                if let Some(kind) = EntryKind::parse(&kind) {
                    held.by_record.insert((record_id, kind), stored.clone());
                }
                held.by_entry.insert(uuid(&id)?, stored);
            }
        }
        let mut intake_ids: Vec<Uuid> = entries.iter().map(|e| e.intake_id).collect();
        intake_ids.sort_unstable();
        intake_ids.dedup();
        held.cases = intake_ids.iter().map(|id| (*id, None)).collect();
        let texts: Vec<String> = intake_ids.iter().map(Uuid::to_string).collect();
        // The one JSON path read in SQL: each database names it in its own way.
        let select = match tx.dialect() {
            Dialect::Sqlite => {
                "SELECT intake_id, clinic_id, json_extract(record, '$.case_category') FROM cases
                 WHERE intake_id"
            }
            Dialect::Postgres => {
                "SELECT intake_id, clinic_id, record::jsonb ->> 'case_category' FROM cases
                 WHERE intake_id"
            }
        };
        for row in rows_where_in(tx, select, &texts)? {
            let intake_id = uuid(&row.get::<String>(0)?)?;
            let case = KnownCase {
                intake_id,
                clinic_id: row.get(1)?,
                category: row.get(2)?,
            };
            held.cases.insert(intake_id, Some(case));
        }
        Ok(Known {
            inner: RefCell::new(held),
        })
    }

    /// The receipt given the first time, when this entry (or another entry with the same
    /// record and kind) was stored before, in an earlier push or earlier in this one. An entry
    /// stored for another clinic is forbidden.
    pub(super) fn earlier_receipt(
        &self,
        device: Device,
        entry: &PushEntry,
    ) -> Result<Option<Receipt>, PushError> {
        let held = self.inner.borrow();
        let stored = held
            .by_entry
            .get(&entry.entry_id)
            .or_else(|| held.by_record.get(&(entry.record_id, entry.kind())));
        let Some(stored) = stored else {
            return Ok(None);
        };
        if stored.clinic_id != device.clinic_id {
            return Err(PushError::Forbidden {
                entry_id: entry.entry_id,
            });
        }
        let mut receipt = stored.receipt.clone();
        receipt.entry_id = entry.entry_id;
        if receipt.outcome == Outcome::Applied {
            receipt.outcome = Outcome::Duplicate;
            // Warnings were given with the first receipt; a repeat only confirms.
            receipt.issues.clear();
        }
        Ok(Some(receipt))
    }

    /// The push stored `entry` (applied, or kept as a conflict) with `receipt`.
    pub(super) fn stored(&self, device: Device, entry: &PushEntry, receipt: &Receipt) {
        let stored = Stored {
            receipt: receipt.clone(),
            clinic_id: device.clinic_id,
        };
        let mut held = self.inner.borrow_mut();
        held.by_record
            .insert((entry.record_id, entry.kind()), stored.clone());
        held.by_entry.insert(entry.entry_id, stored);
    }

    /// The branch's case `intake_id`, if it has it.
    pub(super) fn case(&self, tx: &Db, intake_id: Uuid) -> Result<Option<KnownCase>, PushError> {
        if let Some(case) = self.inner.borrow().cases.get(&intake_id) {
            return Ok(case.clone());
        }
        let case = super::known_case(tx, intake_id)?;
        self.inner
            .borrow_mut()
            .cases
            .insert(intake_id, case.clone());
        Ok(case)
    }

    /// The push admitted this case.
    pub(super) fn admitted(&self, case: KnownCase) {
        self.inner
            .borrow_mut()
            .cases
            .insert(case.intake_id, Some(case));
    }

    /// The push changed the case `intake_id` in the database (a correction): read it again
    /// when asked.
    pub(super) fn case_changed(&self, intake_id: Uuid) {
        self.inner.borrow_mut().cases.remove(&intake_id);
    }

    /// The push stored note `note_id` of case `intake_id`.
    pub(super) fn note(&self, note_id: Uuid, intake_id: Uuid) {
        self.inner.borrow_mut().notes.insert(note_id, intake_id);
    }

    /// The case of note `note_id`, if the branch has the note.
    pub(super) fn note_case(&self, tx: &Db, note_id: Uuid) -> Result<Option<Uuid>, PushError> {
        if let Some(intake_id) = self.inner.borrow().notes.get(&note_id) {
            return Ok(Some(*intake_id));
        }
        let intake_id: Option<String> = tx
            .prepare_cached("SELECT intake_id FROM notes WHERE id = ?1")?
            .query_row([note_id.to_string()], |row| row.get(0))
            .optional()?;
        Ok(intake_id.and_then(|text| Uuid::parse_str(&text).ok()))
    }
}

/// The rows of `select` (ending in the column compared) `IN` `ids`, a chunk of ids per
/// statement; chunks are cut as [`crate::sql::Insert`] cuts rows (powers of two), so each
/// statement text is one of a few, prepared once.
fn rows_where_in(tx: &Db, select: &str, ids: &[String]) -> Result<Vec<crate::sql::Row>, PushError> {
    let mut rows = Vec::new();
    let mut left = ids;
    while !left.is_empty() {
        let size = chunk_size(left.len());
        let (chunk, rest) = left.split_at(size);
        let list = (1..=size)
            .map(|number| format!("?{number}"))
            .collect::<Vec<_>>()
            .join(", ");
        let params: Vec<Value> = chunk.iter().map(|id| Value::Text(id.clone())).collect();
        rows.extend(tx.rows(&format!("{select} IN ({list})"), params)?);
        left = rest;
    }
    Ok(rows)
}

fn uuid(text: &str) -> Result<Uuid, PushError> {
    Uuid::parse_str(text).map_err(|error| {
        PushError::Branch(crate::BranchError::Stored(format!(
            "an entry's id {text:?}: {error}"
        )))
    })
}
