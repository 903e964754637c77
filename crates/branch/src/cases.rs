//! Cases as the branch holds them, for the administration (`plkk-branch case list|show|status`)
//! and the console's case page alike: the current intake values with the corrections that made
//! them, the notes, the conflicts, where the case came from, who set which status, and setting a
//! status (which goes to the clinic's desks through the changes feed and into the officers' audit
//! log in the same transaction). A case's JSON shape (`case_json`) is the one `case list --json`
//! has always printed: the intake fields, `id`, `notes`, `corrections`, `conflicts`, `status`,
//! `status_reason`, `status_reference`, `status_changed_at`, and `desk_clock` (the desk's clock
//! when it wrote the intake, `written_at`, and sent it, `sent_at`; the branch's when it arrived,
//! `received_at`; `offset_seconds`, desk minus branch, positive when the desk's clock ran fast).

use crate::sql::{params, Db, OptionalExtension, TransactionBehavior};
use chrono::{DateTime, Utc};
use plkk_domain::{limits, Intake};
use plkk_protocol::{CaseStatus, ChangeBody};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db::time_text;
use crate::officer_audit::{self, OfficerAction};
use crate::{changes, BranchError};

/// One case with everything recorded about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseRecord {
    pub id: Uuid,
    pub clinic_code: String,
    pub clinic_name: String,
    /// The current values (admission + applied corrections).
    pub intake: Intake,
    /// Rule warnings of the current values (`plkk_domain::Issue`s).
    pub warnings: Value,
    /// Treatment notes, in the order the branch received them.
    pub notes: Vec<Value>,
    /// Applied corrections: `id`, `changes` ([{field, from, to}]), `reason`, `author`, `written_at`.
    pub corrections: Vec<Value>,
    /// Corrections kept in conflict: `correction_id`, `origin_device`, `correction`, `fields`
    /// ([{field, base, branch, desk}]), `detected_at`.
    pub conflicts: Vec<Value>,
    pub status: String,
    pub status_reason: Option<String>,
    pub status_reference: Option<String>,
    pub status_changed_at: String,
    /// Where it came from: the desk that sent the intake and when the branch received it.
    pub origin: CaseOrigin,
}

/// The desk a case came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseOrigin {
    pub device_id: String,
    pub device_name: String,
    /// Who admitted the patient at the desk, and the desk's clock then.
    pub author: String,
    pub written_at: String,
    /// The desk's clock when it sent the intake (None: a desk that did not say).
    pub sent_at: Option<String>,
    /// The branch's clock when the intake arrived (RFC 3339 UTC).
    pub received_at: String,
    /// `sent_at` minus `received_at` in seconds: positive when the desk's clock ran fast.
    pub desk_clock_offset_seconds: Option<i64>,
}

/// One status an officer (or the command line) set, from the officers' audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub at: String,
    pub actor: String,
    pub status: String,
    pub reason: Option<String>,
    pub reference: Option<String>,
}

const CASE_COLUMNS: &str = "c.intake_id, k.code, k.name, c.record, c.warnings, c.status,
    c.status_reason, c.status_reference, c.status_changed_at,
    e.device_id, d.name, i.author, i.written_at, e.desk_time, e.received_at,
    e.desk_clock_offset_seconds";
const CASE_FROM: &str = "cases c JOIN clinics k ON k.id = c.clinic_id
    JOIN intakes i ON i.id = c.intake_id JOIN entries e ON e.seq = i.entry_seq
    JOIN devices d ON d.id = e.device_id";

/// The case `id`.
pub(crate) fn read(conn: &Db, id: Uuid) -> Result<CaseRecord, BranchError> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM {CASE_FROM} WHERE c.intake_id = ?1");
    let found = conn
        .prepare_cached(&sql)?
        .query_row([id.to_string()], row_of)
        .optional()?;
    let row = found.ok_or_else(|| BranchError::NotFound {
        what: "case",
        name: id.to_string(),
    })?;
    complete(conn, row)
}

/// The case `id` and its status history, as an officer opens it: the opening is recorded in the
/// officers' audit log (who looked at which patient's record, and when).
pub(crate) fn open(
    conn: &mut Db,
    id: Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(CaseRecord, Vec<StatusChange>), BranchError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let case = read(&tx, id)?;
    let history = status_history(&tx, id)?;
    officer_audit::append(
        &tx,
        now,
        actor,
        OfficerAction::CaseOpened,
        Some(&id.to_string()),
        json!({ "clinic": case.clinic_code }),
    )?;
    tx.commit()?;
    Ok((case, history))
}

/// A clinic's cases, oldest first.
pub(crate) fn list_of_clinic(conn: &Db, clinic_id: i64) -> Result<Vec<CaseRecord>, BranchError> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM {CASE_FROM} WHERE c.clinic_id = ?1 ORDER BY i.entry_seq"
    );
    let rows = conn
        .prepare(&sql)?
        .query_map([clinic_id], row_of)?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    rows.into_iter().map(|row| complete(conn, row)).collect()
}

/// The JSON `case list --json` prints for a case.
pub fn case_json(case: &CaseRecord) -> Value {
    let mut object = case.intake.to_fields();
    object.insert("id".to_owned(), json!(case.id));
    object.insert("notes".to_owned(), json!(case.notes));
    object.insert("corrections".to_owned(), json!(case.corrections));
    object.insert("conflicts".to_owned(), json!(case.conflicts));
    object.insert("status".to_owned(), json!(case.status));
    object.insert("status_reason".to_owned(), json!(case.status_reason));
    object.insert("status_reference".to_owned(), json!(case.status_reference));
    object.insert(
        "status_changed_at".to_owned(),
        json!(case.status_changed_at),
    );
    // How the desk's clock stood against the branch's when the intake arrived.
    let origin = &case.origin;
    object.insert(
        "desk_clock".to_owned(),
        json!({
            "written_at": origin.written_at,
            "sent_at": origin.sent_at,
            "received_at": origin.received_at,
            "offset_seconds": origin.desk_clock_offset_seconds,
        }),
    );
    Value::Object(object)
}

/// Every status set on the case, oldest first, with who set it.
pub(crate) fn status_history(conn: &Db, id: Uuid) -> Result<Vec<StatusChange>, BranchError> {
    let rows = conn
        .prepare_cached(
            "SELECT at, actor, detail FROM officer_audit WHERE subject = ?1 AND action = ?2
             ORDER BY seq",
        )?
        .query_map(
            params![id.to_string(), OfficerAction::StatusSet.as_str()],
            |row| Ok((row.get(0)?, row.get(1)?, row.get::<String>(2)?)),
        )?
        .collect::<crate::sql::Result<Vec<(String, String, String)>>>()?;
    rows.into_iter()
        .map(|(at, actor, detail)| {
            let detail: Value = serde_json::from_str(&detail)?;
            let text = |key: &str| detail.get(key).and_then(Value::as_str).map(str::to_owned);
            Ok(StatusChange {
                at,
                actor,
                status: text("status").unwrap_or_default(),
                reason: text("reason"),
                reference: text("reference"),
            })
        })
        .collect()
}

/// Sets the branch's status of a case: checked (a reason for `not_eligible`, a reference for
/// `guarantee_issued` (issue 12, item 3), each refused as `required` naming its field; `reason`
/// and `reference` within their lengths), stored, sent to the clinic's desks through the changes
/// feed and recorded in the officers' audit log, all in one transaction.
pub(crate) fn set_status(
    conn: &mut Db,
    case_id: Uuid,
    status: CaseStatus,
    reason: Option<&str>,
    reference: Option<&str>,
    actor: &str,
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
            return Err(BranchError::Refused(refusal));
        }
    }
    if status == CaseStatus::NotEligible && reason.is_none() {
        return Err(BranchError::refused(
            "reason",
            "required",
            "reason: a case found not eligible needs the reason, for the clinic",
        ));
    }
    if status == CaseStatus::GuaranteeIssued && reference.is_none() {
        return Err(BranchError::refused(
            "reference",
            "required",
            "reference: an issued guarantee needs its reference (the guarantee letter's number), for the clinic",
        ));
    }
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
    officer_audit::append(
        &tx,
        now,
        actor,
        OfficerAction::StatusSet,
        Some(&case_id.to_string()),
        json!({ "status": status.as_str(), "reason": reason, "reference": reference }),
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

/// The columns of one case, before its notes, corrections and conflicts are read.
struct CaseRow {
    id: String,
    clinic_code: String,
    clinic_name: String,
    record: String,
    warnings: String,
    status: String,
    status_reason: Option<String>,
    status_reference: Option<String>,
    status_changed_at: String,
    origin: CaseOrigin,
}

fn row_of(row: &crate::sql::Row) -> crate::sql::Result<CaseRow> {
    Ok(CaseRow {
        id: row.get(0)?,
        clinic_code: row.get(1)?,
        clinic_name: row.get(2)?,
        record: row.get(3)?,
        warnings: row.get(4)?,
        status: row.get(5)?,
        status_reason: row.get(6)?,
        status_reference: row.get(7)?,
        status_changed_at: row.get(8)?,
        origin: CaseOrigin {
            device_id: row.get(9)?,
            device_name: row.get(10)?,
            author: row.get(11)?,
            written_at: row.get(12)?,
            sent_at: row.get(13)?,
            received_at: row.get(14)?,
            desk_clock_offset_seconds: row.get(15)?,
        },
    })
}

fn complete(conn: &Db, row: CaseRow) -> Result<CaseRecord, BranchError> {
    let id = Uuid::parse_str(&row.id)
        .map_err(|_| BranchError::Stored(format!("case id {:?}", row.id)))?;
    Ok(CaseRecord {
        id,
        clinic_code: row.clinic_code,
        clinic_name: row.clinic_name,
        intake: serde_json::from_str(&row.record)?,
        warnings: serde_json::from_str(&row.warnings)?,
        notes: notes_of(conn, &row.id)?,
        corrections: corrections_of(conn, &row.id)?,
        conflicts: conflicts_of(conn, &row.id)?,
        status: row.status,
        status_reason: row.status_reason,
        status_reference: row.status_reference,
        status_changed_at: row.status_changed_at,
        origin: row.origin,
    })
}

fn notes_of(conn: &Db, intake_id: &str) -> Result<Vec<Value>, BranchError> {
    let mut statement =
        conn.prepare_cached("SELECT record FROM notes WHERE intake_id = ?1 ORDER BY entry_seq")?;
    let rows = statement
        .query_map([intake_id], |row| row.get::<String>(0))?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    Ok(rows
        .iter()
        .map(|text| serde_json::from_str(text))
        .collect::<Result<_, _>>()?)
}

fn corrections_of(conn: &Db, intake_id: &str) -> Result<Vec<Value>, BranchError> {
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
        .collect::<crate::sql::Result<_>>()?;
    rows.into_iter()
        .map(|(id, changes, reason, author, written_at)| {
            let changes: Value = serde_json::from_str(&changes)?;
            Ok(json!({"id": id, "changes": changes, "reason": reason, "author": author, "written_at": written_at}))
        })
        .collect()
}

fn conflicts_of(conn: &Db, intake_id: &str) -> Result<Vec<Value>, BranchError> {
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
        .collect::<crate::sql::Result<_>>()?;
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
