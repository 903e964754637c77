//! The desk's local database. Every record (intake, intake correction, treatment note, BPU
//! registration) is written in
//! one SQLite transaction together with its outbox entry, so a record never exists without the
//! queue entry that will deliver it to the branch, and vice versa. Records are append-only; the
//! current view of a case and the search index are projections rebuilt from them.
//!
//! The database is encrypted (SQLCipher); the key comes from signing in (`session`, with the
//! keyring of `plkk-vault`). Every call that reads or writes records takes the signed-in `Actor`
//! and refuses by role before touching anything; acts are recorded in the hash-chained audit log in
//! the same transaction.
//!
//! Callers pass the clock (`now`) and the actor in; the store makes ids (UUIDv7).
//!
//! Case documents (`documents`): files attached to a case, their bytes in the encrypted database,
//! delivered after the case's records in chunks by the sync.
//!
//! Looking after a desk: `backup` writes one file a desk can be restored from (`restore`),
//! `health` says what needs attention, and `patient_report` writes everything held about one
//! person as a PDF (UU 27/2022).

mod access;
mod accounts;
mod audit;
mod backup;
mod bpu;
mod case_status;
mod conflicts;
mod db;
mod desk_session;
mod documents;
mod drafts;
mod encrypt;
mod error;
mod export;
mod files;
mod health;
mod intakes;
mod letters;
mod migrate;
mod notes;
mod outbox;
mod passwords;
mod paths;
mod patient_report;
mod payloads;
mod projection;
#[cfg(test)]
mod query_plans;
mod record_words;
mod reference;
mod restore;
mod rows;
mod search;
mod session;
mod settings;
mod status;
mod suggest;
mod sync_pull;
mod sync_settings;
mod views;

pub use access::{require, Actor};
pub use accounts::{
    account, add_account, list_accounts, remove_account, set_pin, staff_names, Account, NewAccount,
};
pub use audit::{
    audit_list, audit_verify, mark_audit_acked, record_event, record_print, record_refusal,
    unsent_audit, unsent_audit_after, AuditReport,
};
pub use backup::{
    backup, backup_file_name, backup_overdue, backup_state, last_backup, AuditHead, BackupDone,
    BackupState, Manifest, ManifestFile, RecordCounts, BACKUP_FORMAT, BACKUP_LIMIT_DAYS,
    MANIFEST_NAME,
};
pub use bpu::{
    bpu_check, bpu_count_in_month, known_participant, list_bpu, register_bpu, show_bpu, BpuCheck,
    BpuView, KnownParticipant, BPU_LIST_LIMIT,
};
pub use case_status::BranchStatus;
pub use conflicts::{list_conflicts, ConflictView};
pub use db::{DeskAccess, Store};
pub use desk_session::{DeskSession, SessionInfo, SetUp};
pub use documents::{
    attach_document, document_chunk, document_data_url, document_waiting, documents_to_upload,
    list_documents, open_document, read_document_file, record_upload, remove_document,
    DocumentContent, DocumentData, DocumentRemoval, DocumentSyncState, DocumentToUpload,
    DocumentView, DocumentsWaiting,
};
pub use drafts::{clear_draft, drafts_of, save_draft, Draft};
pub use error::{ErrorKind, StorageProblem, StoreError};
pub use export::{export_csv, ExportDone};
pub use files::{hold_desk, DeskInUse};
pub use health::{
    health, Health, Problem, CLOCK_OFFSET_LIMIT_SECONDS, DISK_FREE_MIN_PERCENT,
    UNCONFIRMED_LIMIT_HOURS,
};
pub use intakes::{admit_intake, correct_intake, find_by_nik, list_cases, show_case, ListQuery};
pub use letters::{letter, letter_file_name, LetterDone, LetterKind};
pub use notes::add_note;
pub use outbox::{
    mark_sent, mark_unsent, push_candidates, quarantine, quarantine_undeliverable, resend,
    state_for_outcome, store_receipts, sync_counts, OutboxEntry, QuarantinedEntry, ReceiptTally,
    SyncCounts, SyncState,
};
pub use passwords::{change_password, recover, PasswordChange};
pub use paths::{
    create_log_dir, default_data_dir, download_dir, log_dir, DATABASE_FILE_NAME, LOG_DIR_NAME,
};
pub use patient_report::{
    gather as gather_patient_report, patient_report, patient_report_file_name, Access,
    PatientReport, PatientReportDone, Person, ReportCase,
};
pub use reference::{import_reference, quote, tariffs_in, MAX_TARIFF_BYTES};
pub use restore::{read_manifest, restore, RestoreDone};
pub use session::{
    desk_phase, record_failures, setup, setup_obstacle, sign_in, sign_in_open, unencrypted_records,
    unlock_with_pin, DeskPhase, SetupDone, SignedIn,
};
pub use settings::{
    idle_lock_minutes, language, set_idle_lock_minutes, set_language, Language,
    DEFAULT_IDLE_LOCK_MINUTES,
};
pub use status::{status, Status};
pub use suggest::{
    employer_offers, returning_patient, EmployerOffer, ReturningPatient, PATIENT_FIELDS,
};
pub use sync_pull::{apply_changes, PullTally};
pub use sync_settings::{
    enrolment, record_sync_attempt, record_sync_failure, record_sync_success, replace_enrolment,
    restored_device, save_enrolment, save_sync_link, store_push_answer, sync_cursor, sync_link,
    sync_log, Enrolment, SyncLink, SyncLog, SyncLogError,
};
pub use views::{CaseDetail, CaseListItem, NoteView, Revision, Saved};
