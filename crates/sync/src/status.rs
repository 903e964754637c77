//! What the status bar and `plkk status` show of the sync: enrolment, counts per state, the oldest
//! unconfirmed record, the last attempt, success and error, the watchdog, the clock offset.

use chrono::{DateTime, FixedOffset};
use plkk_store::{Store, SyncLogError};
use serde::Serialize;

use crate::cycle::{Enrolled, CLOCK_SKEW_WARNING_SECONDS};
use crate::plan::is_stalled;
use crate::SyncError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    pub enrolled: Option<Enrolled>,
    /// Whether the last attempt reached the branch (`None` before any).
    pub online: Option<bool>,
    pub pending: u64,
    pub sent: u64,
    pub confirmed: u64,
    pub rejected: u64,
    pub conflict: u64,
    /// pending + sent + rejected + conflict.
    pub unconfirmed: u64,
    /// Entries held back because their case's intake is in quarantine.
    pub waiting: u64,
    pub oldest_unconfirmed_at: Option<DateTime<FixedOffset>>,
    pub last_attempt_at: Option<DateTime<FixedOffset>>,
    pub last_success_at: Option<DateTime<FixedOffset>>,
    pub last_error: Option<SyncLogError>,
    /// Work is waiting and nothing was attempted for more than 10 minutes.
    pub stalled: bool,
    pub clock_offset_seconds: Option<i64>,
    /// The branch's clock is more than 5 minutes from the desk's.
    pub clock_skew: bool,
}

pub fn sync_status(store: &Store) -> Result<SyncStatus, SyncError> {
    sync_status_at(store, chrono::Local::now().fixed_offset())
}

/// The status as of `now`.
pub fn sync_status_at(store: &Store, now: DateTime<FixedOffset>) -> Result<SyncStatus, SyncError> {
    let enrolled = plkk_store::enrolment(store)?.as_ref().map(Enrolled::from);
    let counts = plkk_store::sync_counts(store)?;
    let log = plkk_store::sync_log(store)?;
    let online = match &log.last_error {
        Some(error) if matches!(error.code.as_str(), "branch_unreachable" | "tls") => Some(false),
        Some(error) if error.code == "not_enrolled" => None,
        _ if log.last_attempt_at.is_some() || log.last_success_at.is_some() => Some(true),
        _ => None,
    };
    let stalled = is_stalled(
        counts.pending + counts.sent,
        log.last_attempt_at,
        counts.oldest_unconfirmed_at,
        now,
    );
    Ok(SyncStatus {
        enrolled,
        online,
        pending: counts.pending,
        sent: counts.sent,
        confirmed: counts.confirmed,
        rejected: counts.rejected,
        conflict: counts.conflict,
        unconfirmed: counts.unconfirmed(),
        waiting: counts.waiting,
        oldest_unconfirmed_at: counts.oldest_unconfirmed_at,
        last_attempt_at: log.last_attempt_at,
        last_success_at: log.last_success_at,
        last_error: log.last_error,
        stalled,
        clock_offset_seconds: log.clock_offset_seconds,
        clock_skew: log
            .clock_offset_seconds
            .is_some_and(|offset| offset.abs() > CLOCK_SKEW_WARNING_SECONDS),
    })
}
