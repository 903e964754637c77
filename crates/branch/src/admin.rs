//! The branch administrator's work: clinics, enrolment codes, devices, case status, reading
//! cases, and checking desks' audit chains. Each call opens its own connection on the data directory, so it works from the CLI
//! while the server runs (WAL; writers wait for each other).

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use plkk_domain::limits;
use plkk_protocol::{CaseStatus, ChangeBody};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

pub use crate::audit::{AuditChainReport, StoredAuditEntry, CHANGED_AFTER_SENT};
pub use crate::care::{
    backup, status, AuditBreakSeen, BackupMade, BranchHealth, Problem, SilentDevice,
    SILENT_DEVICE_HOURS,
};
use crate::db::{self, time_text};
use crate::secrets::{hash_secret, new_enrollment_code, normalize_enrollment_code};
use crate::{audit, changes, BranchError};

/// How long an enrolment code can be used after it is issued.
pub const ENROLLMENT_CODE_VALIDITY_HOURS: i64 = 24;
/// The exit code of `plkk-branch audit verify` when any device's audit chain has a break.
pub const EXIT_AUDIT_BROKEN: u8 = 5;
const MAX_CLINIC_CODE: usize = limits::CLINIC_CODE;

/// A device as the administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceRow {
    pub device_id: Uuid,
    pub clinic_code: String,
    pub name: String,
    pub enrolled_at: String,
    pub revoked_at: Option<String>,
}

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
pub fn add_clinic(data_dir: &Path, code: &str, name: &str) -> Result<(), BranchError> {
    let code = code.trim();
    let name = name.trim();
    let code_ok = !code.is_empty()
        && code.len() <= MAX_CLINIC_CODE
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !code_ok {
        return Err(BranchError::Invalid(format!(
            "clinic code must be 1-{MAX_CLINIC_CODE} letters, digits, '-', '_' or '.', got {code:?}"
        )));
    }
    if let Some(refusal) = limits::refusal(limits::CLINIC, "clinic_name", name) {
        return Err(BranchError::Invalid(format!(
            "clinic name: {}",
            refusal.message
        )));
    }
    let conn = db::open(data_dir)?;
    let inserted = conn.execute(
        "INSERT INTO clinics (code, name, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (code) DO NOTHING",
        params![code, name, time_text(Utc::now())],
    )?;
    if inserted == 0 {
        return Err(BranchError::Invalid(format!(
            "a clinic with code {code:?} already exists"
        )));
    }
    Ok(())
}

/// Issues a one-time enrolment code for the clinic, valid 24 hours from `now`. Only its hash is
/// stored: the returned text is the only copy.
pub fn issue_enrollment_code(
    data_dir: &Path,
    clinic_code: &str,
    now: DateTime<Utc>,
) -> Result<String, BranchError> {
    let conn = db::open(data_dir)?;
    let clinic_id = clinic_id(&conn, clinic_code)?;
    let code = new_enrollment_code();
    let normalized = normalize_enrollment_code(&code).expect("a new code is well formed");
    conn.execute(
        "INSERT INTO enrollment_codes (code_hash, clinic_id, issued_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            hash_secret(&normalized),
            clinic_id,
            time_text(now),
            time_text(now + Duration::hours(ENROLLMENT_CODE_VALIDITY_HOURS)),
        ],
    )?;
    Ok(code)
}

/// Every enrolled device, oldest first.
pub fn list_devices(data_dir: &Path) -> Result<Vec<DeviceRow>, BranchError> {
    let conn = db::open(data_dir)?;
    let mut statement = conn.prepare(
        "SELECT d.id, c.code, d.name, d.enrolled_at, d.revoked_at
         FROM devices d JOIN clinics c ON c.id = d.clinic_id ORDER BY d.enrolled_at, d.id",
    )?;
    let rows: Vec<(String, String, String, String, Option<String>)> = statement
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(id, clinic_code, name, enrolled_at, revoked_at)| {
            Ok(DeviceRow {
                device_id: Uuid::parse_str(&id)
                    .map_err(|_| BranchError::Stored(format!("device id {id:?}")))?,
                clinic_code,
                name,
                enrolled_at,
                revoked_at,
            })
        })
        .collect()
}

/// Revokes a device: its token is refused (401 `device_revoked`) from now on. Revoking twice
/// keeps the first time.
pub fn revoke_device(
    data_dir: &Path,
    device_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), BranchError> {
    let conn = db::open(data_dir)?;
    let found = conn.execute(
        "UPDATE devices SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
        params![device_id.to_string(), time_text(now)],
    )?;
    if found == 0 {
        return Err(BranchError::NotFound {
            what: "device",
            name: device_id.to_string(),
        });
    }
    Ok(())
}

/// Sets the branch's status of a case; the clinic's desks pull it.
pub fn set_case_status(
    data_dir: &Path,
    case_id: Uuid,
    status: CaseStatus,
    reason: Option<&str>,
    reference: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), BranchError> {
    let clean = |text: Option<&str>| {
        text.map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    };
    let (reason, reference) = (clean(reason), clean(reference));
    for (field, text) in [("reason", &reason), ("reference", &reference)] {
        if let Some(refusal) = text
            .as_deref()
            .and_then(|text| limits::refusal(limits::CASE_STATUS, field, text))
        {
            return Err(BranchError::Invalid(refusal.message));
        }
    }
    let mut conn = db::open(data_dir)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let clinic_id: i64 = tx
        .query_row(
            "SELECT clinic_id FROM cases WHERE intake_id = ?1",
            [case_id.to_string()],
            |row| row.get(0),
        )
        .optional()?
        .ok_or_else(|| BranchError::NotFound {
            what: "case",
            name: case_id.to_string(),
        })?;
    tx.execute(
        "UPDATE cases SET status = ?2, status_reason = ?3, status_reference = ?4, status_changed_at = ?5
         WHERE intake_id = ?1",
        params![case_id.to_string(), status.as_str(), reason, reference, time_text(now)],
    )?;
    let body = ChangeBody::CaseStatus {
        status,
        reason,
        reference,
        changed_at: now,
    };
    changes::emit(&tx, clinic_id, case_id, &body, now)?;
    tx.commit()?;
    Ok(())
}

/// The clinic's cases, oldest first: `id`, the current intake fields, `notes`, `corrections`,
/// `conflicts`, the branch's `status`, `status_reason`, `status_reference`, and `desk_clock`:
/// the desk's clock when it wrote the intake (`written_at`) and sent it (`sent_at`), the branch's
/// when it arrived (`received_at`), and the difference (`offset_seconds`, desk minus branch;
/// positive when the desk's clock ran fast).
pub fn list_cases(data_dir: &Path, clinic_code: &str) -> Result<Vec<Value>, BranchError> {
    let conn = db::open(data_dir)?;
    let clinic_id = clinic_id(&conn, clinic_code)?;
    let mut statement = conn.prepare(
        "SELECT c.intake_id, c.record, c.status, c.status_reason, c.status_reference, c.status_changed_at,
                i.written_at, e.desk_time, e.received_at, e.desk_clock_offset_seconds
         FROM cases c JOIN intakes i ON i.id = c.intake_id JOIN entries e ON e.seq = i.entry_seq
         WHERE c.clinic_id = ?1 ORDER BY i.entry_seq",
    )?;
    type CaseRow = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        Value,
    );
    let rows: Vec<CaseRow> = statement
        .query_map([clinic_id], |row| {
            // How the desk's clock stood against the branch's when the intake arrived.
            let desk_clock = json!({
                "written_at": row.get::<_, String>(6)?,
                "sent_at": row.get::<_, Option<String>>(7)?,
                "received_at": row.get::<_, String>(8)?,
                "offset_seconds": row.get::<_, Option<i64>>(9)?,
            });
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                desk_clock,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut cases = Vec::with_capacity(rows.len());
    for (
        intake_id,
        record,
        status,
        status_reason,
        status_reference,
        status_changed_at,
        desk_clock,
    ) in rows
    {
        let intake: plkk_domain::Intake = serde_json::from_str(&record)?;
        let mut case = intake.to_fields();
        case.insert("id".to_owned(), json!(intake_id));
        case.insert("notes".to_owned(), json!(notes_of(&conn, &intake_id)?));
        case.insert(
            "corrections".to_owned(),
            json!(corrections_of(&conn, &intake_id)?),
        );
        case.insert(
            "conflicts".to_owned(),
            json!(conflicts_of(&conn, &intake_id)?),
        );
        case.insert("status".to_owned(), json!(status));
        case.insert("status_reason".to_owned(), json!(status_reason));
        case.insert("status_reference".to_owned(), json!(status_reference));
        case.insert("status_changed_at".to_owned(), json!(status_changed_at));
        case.insert("desk_clock".to_owned(), desk_clock);
        cases.push(Value::Object(case));
    }
    Ok(cases)
}

/// Rows in each table of records.
pub fn count_records(data_dir: &Path) -> Result<RecordCounts, BranchError> {
    let conn = db::open(data_dir)?;
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
    data_dir: &Path,
    device: Option<Uuid>,
) -> Result<Vec<AuditChainReport>, BranchError> {
    let conn = db::open(data_dir)?;
    if let Some(device) = device {
        device_exists(&conn, device)?;
    }
    let mut statement = conn.prepare(
        "SELECT d.id, c.code, d.name FROM devices d JOIN clinics c ON c.id = d.clinic_id
         WHERE ?1 IS NULL OR d.id = ?1 ORDER BY d.enrolled_at, d.id",
    )?;
    let rows: Vec<(String, String, String)> = statement
        .query_map([device.map(|id| id.to_string())], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(id, clinic_code, name)| {
            let id = Uuid::parse_str(&id)
                .map_err(|_| BranchError::Stored(format!("device id {id:?}")))?;
            audit::chain_report(&conn, id, clinic_code, name)
        })
        .collect()
}

/// The audit entries the branch holds for `device`, oldest first.
pub fn list_audit(data_dir: &Path, device: Uuid) -> Result<Vec<StoredAuditEntry>, BranchError> {
    let conn = db::open(data_dir)?;
    device_exists(&conn, device)?;
    audit::list_entries(&conn, device)
}

fn device_exists(conn: &Connection, device: Uuid) -> Result<(), BranchError> {
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

fn clinic_id(conn: &Connection, clinic_code: &str) -> Result<i64, BranchError> {
    conn.query_row(
        "SELECT id FROM clinics WHERE code = ?1",
        [clinic_code.trim()],
        |row| row.get(0),
    )
    .optional()?
    .ok_or_else(|| BranchError::NotFound {
        what: "clinic",
        name: clinic_code.trim().to_owned(),
    })
}

fn notes_of(conn: &Connection, intake_id: &str) -> Result<Vec<Value>, BranchError> {
    let mut statement =
        conn.prepare_cached("SELECT record FROM notes WHERE intake_id = ?1 ORDER BY entry_seq")?;
    let rows = statement
        .query_map([intake_id], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .iter()
        .map(|text| serde_json::from_str(text))
        .collect::<Result<_, _>>()?)
}

fn corrections_of(conn: &Connection, intake_id: &str) -> Result<Vec<Value>, BranchError> {
    let mut statement = conn.prepare_cached(
        "SELECT id, changes, reason, author, written_at FROM corrections
         WHERE intake_id = ?1 ORDER BY entry_seq",
    )?;
    let rows: Vec<(String, String, String, String, String)> = statement
        .query_map([intake_id], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(id, changes, reason, author, written_at)| {
            let changes: Value = serde_json::from_str(&changes)?;
            Ok(json!({"id": id, "changes": changes, "reason": reason, "author": author, "written_at": written_at}))
        })
        .collect()
}

fn conflicts_of(conn: &Connection, intake_id: &str) -> Result<Vec<Value>, BranchError> {
    let mut statement = conn.prepare_cached(
        "SELECT correction_id, device_id, correction, fields, detected_at FROM conflicts
         WHERE intake_id = ?1 ORDER BY entry_seq",
    )?;
    let rows: Vec<(String, String, String, String, String)> = statement
        .query_map([intake_id], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(
            |(correction_id, device_id, correction, fields, detected_at)| {
                let correction: Value = serde_json::from_str(&correction)?;
                let fields: Value = serde_json::from_str(&fields)?;
                Ok(json!({
                    "correction_id": correction_id, "origin_device": device_id,
                    "correction": correction, "fields": fields, "detected_at": detected_at,
                }))
            },
        )
        .collect()
}
