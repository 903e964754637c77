//! The desk's local database. Every record (intake, intake correction, treatment note) is written in
//! one SQLite transaction together with its outbox entry, so a record never exists without the
//! queue entry that will deliver it to the branch, and vice versa. Records are append-only; the
//! current view of a case and the search index are projections rebuilt from them.
//!
//! Callers pass the clock (`now`) and the author in; the store makes ids (UUIDv7).

mod db;
mod error;
mod intakes;
mod migrate;
mod notes;
mod outbox;
mod paths;
mod projection;
mod search;
mod settings;
mod status;
mod views;

pub use db::Store;
pub use error::StoreError;
pub use intakes::{admit_intake, correct_intake, find_by_nik, list_cases, show_case, ListQuery};
pub use notes::add_note;
pub use outbox::SyncState;
pub use paths::{default_data_dir, os_user_name, DATABASE_FILE_NAME};
pub use settings::{language, set_language, Language};
pub use status::{status, Status};
pub use views::{CaseDetail, CaseListItem, NoteView, Revision, Saved};
