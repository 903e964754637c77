//! The branch administrator's work from the command line: clinics, enrolment codes, devices,
//! case status, reading cases, officer accounts, the inbox and reports, and checking audit
//! chains. Each call opens its own connection to the branch database (`Database`: SQLite in a
//! data directory or PostgreSQL), so it works while the server runs (WAL on SQLite; writers wait
//! for each other), and calls the same functions the console calls
//! (`clinics`, `cases`, `officers`, `inbox`, `reports`): one query for both. Acts done here are
//! written to the officers' audit log with the actor `(cli)`.

use crate::db::Database;
use crate::sql::{Db, OptionalExtension};
use chrono::{DateTime, Utc};
use plkk_protocol::CaseStatus;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

pub use crate::audit::{AuditChainReport, StoredAuditEntry, CHANGED_AFTER_SENT};
pub use crate::care::{
    backup, status, AuditBreakSeen, BackupMade, BranchHealth, Problem, SilentDevice,
    DISK_FREE_MIN_PERCENT, SILENT_DEVICE_HOURS,
};
pub use crate::cases::{case_json, CaseOrigin, CaseRecord, StatusChange};
pub use crate::clinics::{
    AuditState, ClinicRow, DeviceRow, DeviceSync, ENROLLMENT_CODE_VALIDITY_HOURS,
};
pub use crate::inbox::{InboxFilter, InboxPage, InboxQuery, InboxRow};
pub use crate::migrate_store::{migrate_store, CopiedTable, Migrated};
pub use crate::officer_audit::{OfficerAuditEntry, OfficerAuditLog, CLI_ACTOR};
pub use crate::officers::{NewOfficer, Officer, OfficerRole};
pub use crate::reports::{MonthRange, ReportRow};
use crate::{audit, cases, clinics, db, inbox, officer_audit, officers, reports, BranchError};

/// The exit code of `plkk-branch audit verify` (and `audit officers`) when a chain has a break.
pub const EXIT_AUDIT_BROKEN: u8 = 5;

/// How many rows each table holds (tests check exactly-once with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RecordCounts {
    pub intakes: u64,
    pub corrections: u64,
    pub notes: u64,
    pub conflicts: u64,
    pub entries: u64,
}

/// Adds a clinic. Its code is what `enroll-code --clinic` and `case list --clinic` name.
pub fn add_clinic(
    database: impl Into<Database>,
    code: &str,
    name: &str,
) -> Result<(), BranchError> {
    clinics::add_clinic(&mut db::open(database)?, code, name, CLI_ACTOR, Utc::now())
}

/// Issues a one-time enrolment code for the clinic, valid 24 hours from `now`. Only its hash is
/// stored: the returned text is the only copy.
pub fn issue_enrollment_code(
    database: impl Into<Database>,
    clinic_code: &str,
    now: DateTime<Utc>,
) -> Result<String, BranchError> {
    clinics::issue_enrollment_code(&mut db::open(database)?, clinic_code, CLI_ACTOR, now)
}

/// Every enrolled device, oldest first, with its last sync and audit chain state.
pub fn list_devices(database: impl Into<Database>) -> Result<Vec<DeviceRow>, BranchError> {
    clinics::list_devices(&db::open(database)?)
}

/// Every clinic with its devices; `silent` where no active desk synced within a day of `now`.
pub fn list_clinics(
    database: impl Into<Database>,
    now: DateTime<Utc>,
) -> Result<Vec<ClinicRow>, BranchError> {
    clinics::list_clinics(&db::open(database)?, now)
}

/// Revokes a device: its token is refused (401 `device_revoked`) from now on. Revoking twice
/// keeps the first time.
pub fn revoke_device(
    database: impl Into<Database>,
    device_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), BranchError> {
    clinics::revoke_device(&mut db::open(database)?, device_id, CLI_ACTOR, now)
}

/// Sets the branch's status of a case; the clinic's desks pull it. `not_eligible` needs a reason.
pub fn set_case_status(
    database: impl Into<Database>,
    case_id: Uuid,
    status: CaseStatus,
    reason: Option<&str>,
    reference: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), BranchError> {
    let mut conn = db::open(database)?;
    cases::set_status(
        &mut conn, case_id, status, reason, reference, CLI_ACTOR, now,
    )
}

/// The clinic's cases, oldest first: `id`, the current intake fields, `notes`, `corrections`,
/// `conflicts`, the branch's `status`, `status_reason`, `status_reference`, and `desk_clock`:
/// the desk's clock when it wrote the intake (`written_at`) and sent it (`sent_at`), the branch's
/// when it arrived (`received_at`), and the difference (`offset_seconds`, desk minus branch;
/// positive when the desk's clock ran fast).
pub fn list_cases(
    database: impl Into<Database>,
    clinic_code: &str,
) -> Result<Vec<Value>, BranchError> {
    let conn = db::open(database)?;
    let clinic_id = clinics::clinic_id(&conn, clinic_code)?;
    Ok(cases::list_of_clinic(&conn, clinic_id)?
        .iter()
        .map(cases::case_json)
        .collect())
}

/// One case with everything recorded about it, and the statuses set on it.
pub fn show_case(
    database: impl Into<Database>,
    case_id: Uuid,
) -> Result<(CaseRecord, Vec<StatusChange>), BranchError> {
    let conn = db::open(database)?;
    Ok((
        cases::read(&conn, case_id)?,
        cases::status_history(&conn, case_id)?,
    ))
}

/// Checks a letter's verification code against the records received (`case verify-letter`).
pub fn verify_letter(
    database: impl Into<Database>,
    code: &str,
) -> Result<crate::letters::VerifiedLetter, BranchError> {
    let conn = db::open(database)?;
    crate::letters::verify_letter(&conn, code)
}

/// The inbox page `query` asks for at `now` (what the console's Kasus masuk shows).
pub fn inbox(
    database: impl Into<Database>,
    query: &InboxQuery,
    now: DateTime<Utc>,
) -> Result<InboxPage, BranchError> {
    inbox::page(&db::open(database)?, query, now)
}

/// Per clinic and accident month from `from` to `to` (`YYYY-MM`, both included).
pub fn report(
    database: impl Into<Database>,
    months: &MonthRange,
) -> Result<Vec<ReportRow>, BranchError> {
    reports::monthly(&db::open(database)?, months)
}

/// Adds an officer account (the password is hashed with argon2id).
pub fn add_officer(database: impl Into<Database>, new: NewOfficer) -> Result<Officer, BranchError> {
    officers::add(&mut db::open(database)?, new, CLI_ACTOR, Utc::now())
}

/// Every officer account.
pub fn list_officers(
    database: impl Into<Database>,
    now: DateTime<Utc>,
) -> Result<Vec<Officer>, BranchError> {
    officers::list(&db::open(database)?, now)
}

/// Removes an officer account and ends its open sessions.
pub fn remove_officer(database: impl Into<Database>, username: &str) -> Result<(), BranchError> {
    officers::remove(&mut db::open(database)?, username, CLI_ACTOR, Utc::now())
}

/// The officers' audit log (the newest `limit` entries, or all) and whether its chain is sound.
pub fn officer_audit(
    database: impl Into<Database>,
    limit: Option<u32>,
) -> Result<OfficerAuditLog, BranchError> {
    officer_audit::read(&db::open(database)?, limit)
}

/// What `POST /api/v1/push` does for the enrolled, unrevoked device `device_id`, with the
/// branch's clock at `now` and the desk's at `desk_time` (the request's `desk_time`): for
/// replaying desks' records and for the benchmarks, which need cases received over months. One
/// receipt per entry, as the API answers.
pub fn push_as_device(
    database: impl Into<Database>,
    device_id: Uuid,
    entries: &[plkk_protocol::PushEntry],
    now: DateTime<Utc>,
    desk_time: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> Result<Vec<plkk_protocol::Receipt>, BranchError> {
    let mut conn = db::open(database)?;
    let found: Option<(i64, Option<String>)> = conn
        .query_row(
            "SELECT clinic_id, revoked_at FROM devices WHERE id = ?1",
            [device_id.to_string()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let clinic_id = match found {
        Some((clinic_id, None)) => clinic_id,
        Some((_, Some(_))) => {
            return Err(BranchError::Invalid(format!(
                "device {device_id} is revoked"
            )))
        }
        None => {
            return Err(BranchError::NotFound {
                what: "device",
                name: device_id.to_string(),
            })
        }
    };
    let device = crate::push::Device {
        id: device_id,
        clinic_id,
    };
    let clocks = crate::push::Clocks {
        branch: now,
        desk: desk_time,
    };
    crate::push::apply_batch(&mut conn, device, entries, clocks).map_err(|error| match error {
        crate::push::PushError::Branch(error) => error,
        forbidden => BranchError::Invalid(forbidden.to_string()),
    })
}

/// Rows in each table of records.
pub fn count_records(database: impl Into<Database>) -> Result<RecordCounts, BranchError> {
    let conn = db::open(database)?;
    let count = |table: &str| -> Result<u64, BranchError> {
        Ok(
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })?,
        )
    };
    Ok(RecordCounts {
        intakes: count("intakes")?,
        corrections: count("corrections")?,
        notes: count("notes")?,
        conflicts: count("conflicts")?,
        entries: count("entries")?,
    })
}

/// The audit chain of every enrolled device (or of `device` alone), oldest device first: entries
/// held, `acked_seq`, and the first break, recorded when entries arrived or found by walking the
/// stored chain again.
pub fn verify_audit(
    database: impl Into<Database>,
    device: Option<Uuid>,
) -> Result<Vec<AuditChainReport>, BranchError> {
    verify_audit_in(&db::open(database)?, device)
}

/// [`verify_audit`] on an open connection (the console's desk chain check).
pub(crate) fn verify_audit_in(
    conn: &Db,
    device: Option<Uuid>,
) -> Result<Vec<AuditChainReport>, BranchError> {
    if let Some(device) = device {
        device_exists(conn, device)?;
    }
    let mut statement = conn.prepare(
        "SELECT d.id, c.code, d.name FROM devices d JOIN clinics c ON c.id = d.clinic_id
         WHERE CAST(?1 AS TEXT) IS NULL OR d.id = ?1 ORDER BY d.enrolled_at, d.id",
    )?;
    let rows: Vec<(String, String, String)> = statement
        .query_map([device.map(|id| id.to_string())], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<crate::sql::Result<_>>()?;
    rows.into_iter()
        .map(|(id, clinic_code, name)| {
            let id = Uuid::parse_str(&id)
                .map_err(|_| BranchError::Stored(format!("device id {id:?}")))?;
            audit::chain_report(conn, id, clinic_code, name)
        })
        .collect()
}

/// The audit entries the branch holds for `device`, oldest first.
pub fn list_audit(
    database: impl Into<Database>,
    device: Uuid,
) -> Result<Vec<StoredAuditEntry>, BranchError> {
    let conn = db::open(database)?;
    device_exists(&conn, device)?;
    audit::list_entries(&conn, device)
}

fn device_exists(conn: &Db, device: Uuid) -> Result<(), BranchError> {
    conn.query_row(
        "SELECT 1 FROM devices WHERE id = ?1",
        [device.to_string()],
        |_| Ok(()),
    )
    .optional()?
    .ok_or_else(|| BranchError::NotFound {
        what: "device",
        name: device.to_string(),
    })
}

/// BPU registrations, oldest first, of one clinic (by code) or all, in one status or all.
pub fn bpu_list(
    database: impl Into<Database>,
    clinic_code: Option<&str>,
    status: Option<plkk_protocol::BpuStatus>,
) -> Result<Vec<crate::bpu::BranchRegistration>, BranchError> {
    crate::bpu::list(&db::open(database)?, clinic_code, status)
}

/// An officer's decision on a BPU registration from the command line (audited as `cli`).
pub fn bpu_decide(
    database: impl Into<Database>,
    id: Uuid,
    decision: crate::bpu::Decision,
    now: DateTime<Utc>,
) -> Result<plkk_protocol::BpuDecision, BranchError> {
    crate::bpu::decide(&mut db::open(database)?, id, decision, CLI_ACTOR, now)
}

/// Per clinic: BPU registrations received from `from` to `to` (local dates) by status.
pub fn bpu_report(
    database: impl Into<Database>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<crate::bpu::RegistrationCount>, BranchError> {
    crate::bpu::report(&db::open(database)?, from, to)
}

/// Publishes a BPU tariff file's text to every clinic's desks.
pub fn publish_tariff(
    database: impl Into<Database>,
    text: &str,
    now: DateTime<Utc>,
) -> Result<plkk_domain::Tariff, BranchError> {
    crate::bpu::publish_tariff(&mut db::open(database)?, text, CLI_ACTOR, now)
}

/// A case's documents, in the order they arrived (`plkk-branch document list --case`).
pub fn list_documents(
    database: impl Into<Database>,
    case_id: Uuid,
) -> Result<Vec<crate::documents::BranchDocument>, BranchError> {
    crate::documents::list_for_case(&db::open(database)?, case_id)
}

/// A document's content (`plkk-branch document get`), audited as downloaded by `(cli)`. The
/// contents are files in `data_dir` whichever the database (on PostgreSQL, the directory the
/// servers share).
pub fn download_document(
    database: impl Into<Database>,
    data_dir: &std::path::Path,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(crate::documents::BranchDocument, Vec<u8>), BranchError> {
    crate::documents::download(
        &mut db::open(database)?,
        data_dir,
        id,
        crate::officer_audit::CLI_ACTOR,
        now,
    )
}
