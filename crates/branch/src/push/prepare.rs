//! The work of a push that reads nothing stored, done before the push takes the database's
//! writer (SQLite has one; on PostgreSQL the clinic's lock): the push's clocks as its rows keep
//! them, and for intakes and notes (nearly every entry) their JSON as `entries.entry` keeps it
//! and the checks that depend only on the entry and the desk's clock, with their records
//! serialised.
//! While one push holds the writer, the next is prepared on another thread.
//!
//! Nothing here decides what is stored: an entry stored before is still answered with its
//! earlier receipt, whatever its checks say, and a note is checked for its case's category. A
//! note's category is not known before its case is read, so it is checked for the category of
//! its case admitted in the same push or, failing that, a work accident (by far the most
//! common); when its case turns out to be of another category, it is checked again under the
//! writer (`note::apply_note`).

use std::collections::HashMap;

use plkk_domain::{CaseCategory, Issue};
use plkk_protocol::{Payload, PushEntry};
use uuid::Uuid;

use super::intake::{check_intake, IntakeCheck};
use super::note::{check_note, NoteCheck};
use super::{Clocks, PushError};
use crate::db::time_text;

/// A push's entries as prepared, in the order of the push, and the clocks they were prepared at.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(super) entries: Vec<Ready>,
    pub(super) clocks: Clocks,
    pub(super) times: EntryTimes,
}

/// One entry as prepared: an intake or a note with its checks done and its JSON as
/// `entries.entry` keeps it.
#[derive(Debug)]
pub(super) enum Ready {
    Intake {
        json: String,
        check: IntakeCheck,
    },
    Note {
        json: String,
        check: NoteCheck,
    },
    /// Every other kind reads the database for its checks, and is serialised when stored.
    UnderWriter,
}

/// The push's clocks as each stored entry's row keeps them.
#[derive(Debug, Clone)]
pub(super) struct EntryTimes {
    /// `received_at`: the branch's clock.
    pub(super) received_at: String,
    /// `desk_time`: the desk's clock, RFC 3339 with its offset.
    pub(super) desk_time: Option<String>,
    /// `desk_clock_offset_seconds`.
    pub(super) desk_offset_seconds: Option<i64>,
}

impl EntryTimes {
    pub(super) fn of(clocks: Clocks) -> EntryTimes {
        EntryTimes {
            received_at: time_text(clocks.branch),
            desk_time: clocks.desk.map(|desk| desk.to_rfc3339()),
            desk_offset_seconds: clocks.desk_offset_seconds(),
        }
    }
}

/// Prepares `entries`, pushed at `clocks`.
pub(crate) fn prepare(entries: &[PushEntry], clocks: Clocks) -> Result<Prepared, PushError> {
    // The categories of the cases this push admits, for its notes' checks.
    let mut admitted: HashMap<Uuid, CaseCategory> = HashMap::new();
    let mut ready = Vec::with_capacity(entries.len());
    for entry in entries {
        ready.push(match &entry.payload {
            Payload::Intake(payload) => {
                let check = check_intake(entry, payload, clocks)?;
                if let Ok(intake) = &check {
                    admitted.insert(entry.intake_id, intake.checked.record.case_category);
                }
                Ready::Intake {
                    json: serde_json::to_string(entry)?,
                    check,
                }
            }
            Payload::Note(payload) => {
                let category = admitted
                    .get(&entry.intake_id)
                    .copied()
                    .unwrap_or(CaseCategory::WorkAccident);
                Ready::Note {
                    json: serde_json::to_string(entry)?,
                    check: check_note(entry, payload, category)?,
                }
            }
            _ => Ready::UnderWriter,
        });
    }
    Ok(Prepared {
        entries: ready,
        clocks,
        times: EntryTimes::of(clocks),
    })
}

/// Issues an entry is refused for, errors first.
pub(super) fn refusal(rejection: plkk_domain::Rejected) -> Vec<Issue> {
    let mut issues = rejection.errors;
    issues.extend(rejection.warnings);
    issues
}
