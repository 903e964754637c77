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
mod sync_pull;
mod sync_push;
mod sync_settings;
mod views;

pub use db::Store;
pub use error::StoreError;
pub use intakes::{admit_intake, correct_intake, find_by_nik, list_cases, show_case, ListQuery};
pub use notes::add_note;
pub use outbox::SyncState;
pub use paths::{default_data_dir, os_user_name, DATABASE_FILE_NAME};
pub use settings::{language, set_language, Language};
pub use status::{status, Status};
pub use sync_pull::{apply_changes, list_conflicts, BranchStatus, ConflictView, PullTally};
pub use sync_push::{
    mark_sent, mark_unsent, push_candidates, quarantine, resend, state_for_outcome, store_receipts,
    sync_counts, OutboxEntry, QuarantinedEntry, ReceiptTally, SyncCounts,
};
pub use sync_settings::{
    enrolment, record_sync_attempt, record_sync_failure, record_sync_success, save_enrolment,
    sync_cursor, sync_log, Enrolment, SyncLog, SyncLogError,
};
pub use views::{CaseDetail, CaseListItem, NoteView, Revision, Saved};
