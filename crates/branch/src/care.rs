//! Looking after the branch: `plkk-branch status` (the database's size, free disk, devices not
//! heard from for more than a day, breaks in desks' audit chains, the last backup) and
//! `plkk-branch backup` (a consistent copy of the database with SQLite's online backup while the
//! server runs, recorded so `status` can tell when the last one was made). Problem codes:
//!
//! | code | when |
//! |---|---|
//! | `device_silent` | an active device has not been heard from for more than 24 hours |
//! | `audit_chain_broken` | a device's audit chain at the branch has a break |
//! | `disk_almost_full` | less than 5 % of the data directory's disk is free |

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::admin::verify_audit;
use crate::db::{self, parse_time, time_text, Database};
use crate::sql::{Db, OptionalExtension};
use crate::{BranchError, DATABASE_FILE_NAME};

/// A device not heard from for this many hours is a problem: the console's limit for a silent
/// clinic (`clinics::SILENT_AFTER`), one owner for both.
pub const SILENT_DEVICE_HOURS: i64 = crate::clinics::SILENT_AFTER.num_hours();
/// Less free disk than this share (in percent) is a problem.
pub const DISK_FREE_MIN_PERCENT: u64 = 5;

/// What `plkk-branch status` reports.
#[derive(Debug, Clone, Serialize)]
pub struct BranchHealth {
    pub version: String,
    pub data_dir: String,
    /// The database with its write-ahead log, in bytes.
    pub database_bytes: u64,
    pub disk_free_bytes: Option<u64>,
    pub disk_total_bytes: Option<u64>,
    pub clinics: u64,
    /// Devices not revoked.
    pub active_devices: u64,
    /// Active devices not heard from for more than a day, longest silent first.
    pub silent_devices: Vec<SilentDevice>,
    /// Devices whose audit chain has a break, with the first one.
    pub audit_breaks: Vec<AuditBreakSeen>,
    /// The last backup made with `plkk-branch backup` (copies made otherwise are not known).
    pub last_backup: Option<BackupMade>,
    /// Every problem found; empty when healthy.
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SilentDevice {
    pub device_id: Uuid,
    pub clinic_code: String,
    pub name: String,
    /// When it was last heard from (RFC 3339 UTC): its last request, or its enrolment.
    pub last_contact_at: String,
    pub silent_hours: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditBreakSeen {
    pub device_id: Uuid,
    pub clinic_code: String,
    pub seq: i64,
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupMade {
    /// RFC 3339 UTC.
    pub made_at: String,
    pub file: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
}

/// The branch's health as of `now`.
pub fn status(
    database: impl Into<Database>,
    now: DateTime<Utc>,
) -> Result<BranchHealth, BranchError> {
    let database = database.into();
    let conn = db::open(&database)?;
    let count =
        |sql: &str| -> Result<u64, BranchError> { Ok(conn.query_row(sql, [], |row| row.get(0))?) };
    let clinics = count("SELECT count(*) FROM clinics")?;
    let active_devices = count("SELECT count(*) FROM devices WHERE revoked_at IS NULL")?;
    let mut statement = conn.prepare(
        "SELECT d.id, c.code, d.name,
                coalesce(d.last_seen_at,
                         (SELECT max(e.received_at) FROM entries e WHERE e.device_id = d.id),
                         d.enrolled_at)
         FROM devices d JOIN clinics c ON c.id = d.clinic_id
         WHERE d.revoked_at IS NULL",
    )?;
    let rows: Vec<(String, String, String, String)> = statement
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<crate::sql::Result<_>>()?;
    let mut silent_devices = Vec::new();
    for (id, clinic_code, name, last_contact_at) in rows {
        let silent_hours = (now - parse_time(&last_contact_at)?).num_hours();
        if silent_hours >= SILENT_DEVICE_HOURS {
            silent_devices.push(SilentDevice {
                device_id: parse_device(&id)?,
                clinic_code,
                name,
                last_contact_at,
                silent_hours,
            });
        }
    }
    silent_devices.sort_by_key(|device| std::cmp::Reverse(device.silent_hours));
    let audit_breaks = verify_audit(&database, None)?
        .into_iter()
        .filter_map(|report| {
            report.first_break.map(|found| AuditBreakSeen {
                device_id: report.device_id,
                clinic_code: report.clinic_code,
                seq: found.seq,
                kind: found.kind,
                message: found.message,
            })
        })
        .collect();
    let last_backup = conn
        .query_row(
            "SELECT made_at, file, bytes FROM backups ORDER BY id DESC LIMIT 1",
            [],
            |row| {
                Ok(BackupMade {
                    made_at: row.get(0)?,
                    file: row.get(1)?,
                    bytes: row.get(2)?,
                })
            },
        )
        .optional()?;
    // The disk is the database server's on PostgreSQL, watched by its operators.
    let (disk, database_bytes) = match &database {
        Database::Sqlite { data_dir } => (fs4::statvfs(data_dir).ok(), database_bytes(data_dir)),
        Database::Postgres { .. } => (
            None,
            conn.query_row("SELECT pg_database_size(current_database())", [], |row| {
                row.get(0)
            })?,
        ),
    };
    let mut health = BranchHealth {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: match &database {
            Database::Sqlite { data_dir } => data_dir.display().to_string(),
            Database::Postgres { .. } => database.describe(),
        },
        database_bytes,
        disk_free_bytes: disk.as_ref().map(|stats| stats.available_space()),
        disk_total_bytes: disk.as_ref().map(|stats| stats.total_space()),
        clinics,
        active_devices,
        silent_devices,
        audit_breaks,
        last_backup,
        problems: Vec::new(),
    };
    health.problems = problems(&health);
    Ok(health)
}

fn problems(health: &BranchHealth) -> Vec<Problem> {
    let mut found = Vec::new();
    for device in &health.silent_devices {
        found.push(Problem {
            code: "device_silent",
            message: format!(
                "device {} ({}, clinic {}) has not been heard from for {} hours (since {}): call the clinic",
                device.device_id, device.name, device.clinic_code, device.silent_hours, device.last_contact_at
            ),
        });
    }
    for seen in &health.audit_breaks {
        found.push(Problem {
            code: "audit_chain_broken",
            message: format!(
                "the audit chain of device {} (clinic {}) is broken at entry {} ({}): {}",
                seen.device_id, seen.clinic_code, seen.seq, seen.kind, seen.message
            ),
        });
    }
    if let (Some(free), Some(total)) = (health.disk_free_bytes, health.disk_total_bytes) {
        if total > 0 && free.saturating_mul(100) < total.saturating_mul(DISK_FREE_MIN_PERCENT) {
            found.push(Problem {
                code: "disk_almost_full",
                message: format!(
                    "only {} MiB of {} MiB are free on the disk of {}",
                    free / (1024 * 1024),
                    total / (1024 * 1024),
                    health.data_dir
                ),
            });
        }
    }
    found
}

/// Copies the branch database to `output` (a new file, owner-only on Unix) with SQLite's online
/// backup, in one step (a consistent snapshot; the server keeps serving), and records it.
pub fn backup(
    database: impl Into<Database>,
    output: &Path,
    now: DateTime<Utc>,
) -> Result<BackupMade, BranchError> {
    let database = database.into();
    if database.is_postgres() {
        return Err(BranchError::Invalid(
            "`plkk-branch backup` copies a SQLite branch database; a PostgreSQL one is backed \
             up with PostgreSQL's own tools (pg_dump, or pg_basebackup with WAL archiving; see \
             the README)"
                .to_owned(),
        ));
    }
    if output.exists() {
        return Err(BranchError::Invalid(format!(
            "{} exists already; a backup never overwrites a file",
            output.display()
        )));
    }
    let Db::Sqlite(conn) = db::open(&database)? else {
        unreachable!("a SQLite database was asked for");
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    drop(options.open(output)?);
    let copied = (|| -> Result<u64, BranchError> {
        let mut target = rusqlite::Connection::open(output)?;
        {
            let backup = rusqlite::backup::Backup::new(&conn, &mut target)?;
            backup.run_to_completion(i32::MAX, std::time::Duration::from_millis(50), None)?;
        }
        target.pragma_update(None, "journal_mode", "DELETE")?;
        drop(target);
        Ok(std::fs::metadata(output)?.len())
    })();
    let bytes = match copied {
        Ok(bytes) => bytes,
        Err(error) => {
            let _ = std::fs::remove_file(output);
            return Err(error);
        }
    };
    let file = absolute(output).display().to_string();
    conn.execute(
        "INSERT INTO backups (made_at, file, bytes) VALUES (?1, ?2, ?3)",
        rusqlite::params![time_text(now), file, bytes],
    )?;
    Ok(BackupMade {
        made_at: time_text(now),
        file,
        bytes,
    })
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

fn database_bytes(data_dir: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|suffix| {
            std::fs::metadata(data_dir.join(format!("{DATABASE_FILE_NAME}{suffix}"))).ok()
        })
        .map(|metadata| metadata.len())
        .sum()
}

fn parse_device(id: &str) -> Result<Uuid, BranchError> {
    Uuid::parse_str(id).map_err(|_| BranchError::Stored(format!("device id {id:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_heard_from_recently_is_not_silent_and_one_silent_for_a_day_is() {
        let dir = tempfile::tempdir().unwrap();
        crate::admin::add_clinic(dir.path(), "PLKK-1", "Klinik Satu").unwrap();
        let code = crate::admin::issue_enrollment_code(dir.path(), "PLKK-1", Utc::now()).unwrap();
        let mut conn = db::open(dir.path()).unwrap();
        let enrolled_at = Utc::now() - chrono::Duration::hours(30);
        let enrollment = crate::enroll::enroll(&mut conn, &code, "Meja", enrolled_at).unwrap();
        let silent = status(dir.path(), Utc::now()).unwrap();
        assert_eq!(silent.silent_devices.len(), 1);
        assert_eq!(silent.silent_devices[0].device_id, enrollment.device_id);
        assert!(silent.silent_devices[0].silent_hours >= 30);
        assert_eq!(silent.problems[0].code, "device_silent");
        crate::enroll::authenticate(&conn, &enrollment.token, Utc::now()).unwrap();
        let heard = status(dir.path(), Utc::now()).unwrap();
        assert!(heard.silent_devices.is_empty(), "{heard:?}");
        // Only the device is at stake here, not how full this machine's disk happens to be.
        let device_problems: Vec<_> = heard
            .problems
            .iter()
            .filter(|problem| problem.code != "disk_almost_full")
            .collect();
        assert!(device_problems.is_empty(), "{:?}", heard.problems);
    }
}
