//! The desk's sync with the branch server: enrolment (a one-time code for a device token), push of
//! the outbox in bounded batches with a receipt stored per record, pull of the clinic's changes
//! with the cursor stored in the same transaction, and a background engine that keeps trying
//! (on start, after local writes, on a timer with capped exponential backoff and jitter, on
//! demand). The promises it keeps are in DESIGN.md, "Promises of the sync".
//!
//! Map: `plan` holds the pure decisions (batch selection, the line's push size and timeouts, retry
//! schedule, watchdog), `cycle` does one push-and-pull, `push` the push with the audit log riding
//! along, `documents` the upload of case documents' bytes after it, `client` speaks HTTP, `address` refuses plain http off loopback, `engine` runs cycles in
//! the background, `status` summarises for the status bar.

mod address;
mod client;
mod cycle;
mod desk_db;
mod documents;
mod engine;
mod error;
pub mod plan;
mod push;
mod status;

pub use address::BranchAddress;
pub use cycle::{
    enroll, sync_once, EnrollOptions, Enrolled, SyncSummary, CLOCK_SKEW_WARNING_SECONDS,
};
pub use engine::{Engine, EngineHandle};
pub use error::SyncError;
pub use push::TOO_LARGE_RULE;
pub use status::{sync_status, sync_status_at, SyncStatus};
