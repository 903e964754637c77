//! The desk's health, for `plkk status` and support staff: where its data is, how big, how much
//! disk is left, the oldest record the branch has not confirmed, the last backup, whether the
//! audit chain verifies, the clock's offset from the branch, and every problem that needs a
//! person's attention, each with a stable code:
//!
//! | code | when |
//! |---|---|
//! | `audit_chain_broken` | the audit log's hash chain does not verify |
//! | `unconfirmed_over_24h` | a record has waited more than 24 hours for the branch's receipt |
//! | `no_recent_backup` | the desk holds records and no backup was made in 7 days |
//! | `disk_almost_full` | less than 5 % of the data directory's disk is free |
//! | `clock_off` | the desk's clock is more than 5 minutes from the branch's |

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::audit::{chain_report, AuditReport};
use crate::backup::{RecordCounts, BACKUP_LIMIT_DAYS};
use crate::{Store, StoreError, DATABASE_FILE_NAME};

/// A record unconfirmed for longer than this is a problem.
pub const UNCONFIRMED_LIMIT_HOURS: i64 = 24;
/// Less free disk than this share (in percent) is a problem.
pub const DISK_FREE_MIN_PERCENT: u64 = 5;
/// A clock further than this from the branch's (in seconds) is a problem.
pub const CLOCK_OFFSET_LIMIT_SECONDS: i64 = 300;

/// Everything a support person asks first.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    pub app_version: String,
    pub data_dir: String,
    /// The database with its write-ahead log, in bytes.
    pub database_bytes: u64,
    /// Free and total bytes of the disk holding the data directory (None if it cannot be read).
    pub disk_free_bytes: Option<u64>,
    pub disk_total_bytes: Option<u64>,
    /// Intakes, corrections and notes held (this desk's and pulled ones).
    pub records: u64,
    /// How long the oldest unconfirmed record has waited, in seconds.
    pub oldest_unconfirmed_age_seconds: Option<i64>,
    pub last_backup_at: Option<DateTime<FixedOffset>>,
    pub audit_chain: AuditReport,
    /// The branch's clock minus the desk's at the last answer, in seconds.
    pub clock_offset_seconds: Option<i64>,
    /// Every problem found; empty when the desk is healthy.
    pub problems: Vec<Problem>,
}

/// One thing that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A stable code (see the module's table).
    pub code: &'static str,
    /// What is wrong and what to do, in English.
    pub message: String,
}

/// The desk's health as of `now`. Reads only; any signed-in person may ask.
pub fn health(
    store: &Store,
    data_dir: &Path,
    now: DateTime<FixedOffset>,
) -> Result<Health, StoreError> {
    let records = RecordCounts::of(&store.conn)?.total();
    let counts = crate::sync_counts(store)?;
    let log = crate::sync_log(store)?;
    let last_backup_at = crate::last_backup(store)?;
    let audit_chain = chain_report(&store.conn)?;
    let disk = fs4::statvfs(data_dir).ok();
    let health = Health {
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: data_dir.display().to_string(),
        database_bytes: database_bytes(data_dir),
        disk_free_bytes: disk.as_ref().map(|stats| stats.available_space()),
        disk_total_bytes: disk.as_ref().map(|stats| stats.total_space()),
        records,
        oldest_unconfirmed_age_seconds: counts
            .oldest_unconfirmed_at
            .map(|oldest| (now - oldest).num_seconds().max(0)),
        last_backup_at,
        audit_chain,
        clock_offset_seconds: log.clock_offset_seconds,
        problems: Vec::new(),
    };
    Ok(Health {
        problems: problems(&health, now),
        ..health
    })
}

/// The problems in `health`, in the order of the module's table.
fn problems(health: &Health, now: DateTime<FixedOffset>) -> Vec<Problem> {
    let mut found = Vec::new();
    if let Some(broken) = &health.audit_chain.first_break {
        found.push(Problem {
            code: "audit_chain_broken",
            message: format!(
                "the audit log is broken at entry {} ({}): {}; keep this computer as it is and tell the branch",
                broken.seq,
                broken.kind.as_str(),
                broken.message
            ),
        });
    }
    if let Some(age) = health
        .oldest_unconfirmed_age_seconds
        .filter(|age| *age > UNCONFIRMED_LIMIT_HOURS * 3600)
    {
        found.push(Problem {
            code: "unconfirmed_over_24h",
            message: format!(
                "a record has waited {} hours for the branch's receipt (more than {UNCONFIRMED_LIMIT_HOURS}); check the connection, `plkk sync` and `plkk quarantine list`",
                age / 3600
            ),
        });
    }
    if crate::backup::backup_overdue(health.records, health.last_backup_at, now) {
        found.push(Problem {
            code: "no_recent_backup",
            message: match health.last_backup_at {
                None => "no backup of this desk was ever made: run `plkk backup --output FILE` (or Admin → Cadangan) to a USB stick".to_owned(),
                Some(at) => format!(
                    "the last backup was made {} days ago ({}); make one at least every {BACKUP_LIMIT_DAYS} days: `plkk backup --output FILE`",
                    (now - at).num_days(),
                    at.to_rfc3339()
                ),
            },
        });
    }
    if let (Some(free), Some(total)) = (health.disk_free_bytes, health.disk_total_bytes) {
        if total > 0 && free.saturating_mul(100) < total.saturating_mul(DISK_FREE_MIN_PERCENT) {
            found.push(Problem {
                code: "disk_almost_full",
                message: format!(
                    "only {} MiB of {} MiB ({:.1} %) are free on the disk of {}: free some space (old downloads, the recycle bin)",
                    free / (1024 * 1024),
                    total / (1024 * 1024),
                    free as f64 * 100.0 / total as f64,
                    health.data_dir
                ),
            });
        }
    }
    if let Some(offset) = health
        .clock_offset_seconds
        .filter(|offset| offset.abs() > CLOCK_OFFSET_LIMIT_SECONDS)
    {
        found.push(Problem {
            code: "clock_off",
            message: format!(
                "this computer's clock is {} minutes {} the branch's (more than {} minutes): set the date and time right",
                offset.abs() / 60,
                if offset > 0 { "behind" } else { "ahead of" },
                CLOCK_OFFSET_LIMIT_SECONDS / 60
            ),
        });
    }
    found
}

/// The database file with its `-wal`, in bytes.
fn database_bytes(data_dir: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|suffix| {
            std::fs::metadata(data_dir.join(format!("{DATABASE_FILE_NAME}{suffix}"))).ok()
        })
        .map(|metadata| metadata.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-25T08:00:00+07:00").unwrap()
    }

    /// A healthy desk: records backed up yesterday, everything confirmed, plenty of disk, the
    /// clock right.
    fn healthy() -> Health {
        Health {
            app_version: "0.1.0".into(),
            data_dir: "/data".into(),
            database_bytes: 1 << 20,
            disk_free_bytes: Some(50 << 30),
            disk_total_bytes: Some(100 << 30),
            records: 10,
            oldest_unconfirmed_age_seconds: None,
            last_backup_at: Some(now() - Duration::days(1)),
            audit_chain: AuditReport {
                entries: 5,
                first_break: None,
            },
            clock_offset_seconds: Some(2),
            problems: Vec::new(),
        }
    }

    fn check(change: impl FnOnce(&mut Health), expected: &[&str]) {
        let mut health = healthy();
        change(&mut health);
        let codes: Vec<&str> = problems(&health, now()).iter().map(|p| p.code).collect();
        assert_eq!(codes, expected);
    }

    #[test]
    fn each_problem_at_its_threshold() {
        check(|_| {}, &[]);
        check(|h| h.disk_free_bytes = Some(5 << 30), &[]);
        check(
            |h| h.disk_free_bytes = Some((5 << 30) - 1),
            &["disk_almost_full"],
        );
        check(|h| h.oldest_unconfirmed_age_seconds = Some(24 * 3600), &[]);
        check(
            |h| h.oldest_unconfirmed_age_seconds = Some(24 * 3600 + 1),
            &["unconfirmed_over_24h"],
        );
        check(|h| h.last_backup_at = Some(now() - Duration::days(7)), &[]);
        check(
            |h| h.last_backup_at = Some(now() - Duration::days(7) - Duration::seconds(1)),
            &["no_recent_backup"],
        );
        check(|h| h.last_backup_at = None, &["no_recent_backup"]);
        check(|h| (h.last_backup_at, h.records) = (None, 0), &[]);
        check(|h| h.clock_offset_seconds = Some(-300), &[]);
        check(|h| h.clock_offset_seconds = Some(301), &["clock_off"]);
        check(
            |h| {
                h.audit_chain.first_break = Some(plkk_domain::ChainBreak {
                    seq: 3,
                    kind: plkk_domain::BreakKind::Altered,
                    message: "changed".into(),
                })
            },
            &["audit_chain_broken"],
        );
    }
}
