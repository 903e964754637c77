//! The patient's right of access (UU 27/2022): everything the desk holds about one person, found
//! by NIK, written as a PDF (`pdf.rs` lays it out) so the clinic can answer an
//! access request within 3×24 hours. The report holds each case with the NIK (now, when
//! admitted, or in a correction): its current values, every correction, every treatment note,
//! the branch's status, the documents held (this version holds none, and says so), every BPU
//! registration with the NIK (Daftar BPU) with its contribution and the branch's decision, and who
//! viewed, printed or exported them according to the audit log (username and name). Administrators only; the report itself is audited (`patient_report`).

mod pdf;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};
use plkk_domain::{Action, AuditAction, AuditEntry, JsonObject};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::access::{require, Actor};
use crate::audit;
use crate::bpu::{registrations_of_nik, BpuView};
use crate::case_status::BranchStatus;
use crate::error::refused;
use crate::intakes::revisions;
use crate::projection::current_case;
use crate::rows::immediate;
use crate::views::{NoteView, Revision};
use crate::{files, Language, Store, StoreError};

/// What the desk holds about one person.
#[derive(Debug, Clone, Serialize)]
pub struct PatientReport {
    pub nik: String,
    pub made_at: DateTime<FixedOffset>,
    /// Who asked for the report: username and name.
    pub made_by: Person,
    /// Oldest first.
    pub cases: Vec<ReportCase>,
    /// BPU registrations with the NIK, oldest first.
    pub registrations: Vec<BpuView>,
    /// Who opened, printed, exported or corrected the cases and registrations, oldest first.
    pub access: Vec<Access>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub username: String,
    /// The account's name ("" for a username this desk has no account for).
    pub name: String,
}

/// One case of the person.
#[derive(Debug, Clone, Serialize)]
pub struct ReportCase {
    pub id: Uuid,
    /// The current values, each as text (contract field names).
    pub fields: JsonObject,
    /// Admission (revision 0), then each correction with who, when, why and what.
    pub revisions: Vec<Revision>,
    pub notes: Vec<NoteView>,
    pub branch_status: Option<BranchStatus>,
}

/// One entry of the audit log about the person's cases.
#[derive(Debug, Clone, Serialize)]
pub struct Access {
    pub at: DateTime<FixedOffset>,
    pub who: Person,
    /// The audit action (`open_case`, `print`, `export`, `correct_intake`, ...).
    pub action: String,
    /// The case or BPU registration it concerned (none for an export of a date range holding
    /// it).
    pub case_id: Option<Uuid>,
    /// For an export: the range of admission dates, `FROM..TO`.
    pub range: Option<String>,
}

/// What `patient_report` wrote.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PatientReportDone {
    pub path: PathBuf,
    pub cases: usize,
    pub bytes: u64,
}

/// The file name the window gives a report: `laporan-pasien-NIK4-YYYYMMDD-HHMMSS.pdf` (only the
/// NIK's last four digits, so a folder listing does not show the whole number).
pub fn patient_report_file_name(nik: &str, now: DateTime<FixedOffset>) -> String {
    let digits: String = nik.chars().filter(char::is_ascii_digit).collect();
    let last4 = &digits[digits.len().saturating_sub(4)..];
    format!("laporan-pasien-{last4}-{}.pdf", now.format("%Y%m%d-%H%M%S"))
}

/// Gathers the report of `nik` and writes it to `output` as a PDF in `language` (a new file,
/// owner-only). Unknown NIK: refused (`not_found`), nothing written.
pub fn patient_report(
    store: &Store,
    actor: &Actor,
    nik: &str,
    output: &Path,
    language: Language,
    now: DateTime<FixedOffset>,
) -> Result<PatientReportDone, StoreError> {
    require(actor, Action::Export)?;
    let report = gather(store, actor, nik, now)?;
    let bytes = pdf::render(&report, language);
    files::write_new_private(output, &bytes)?;
    let case_ids: Vec<String> = report
        .cases
        .iter()
        .map(|case| case.id.to_string())
        .collect();
    let tx = immediate(&store.conn)?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::PatientReport,
        None,
        json!({
            "cases": case_ids.iter().take(40).collect::<Vec<_>>(),
            "case_count": case_ids.len(),
            "registration_count": report.registrations.len(),
            "file": plkk_domain::limits::clip(
                &output.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default(),
                200,
            ),
        }),
    )?;
    tx.commit()?;
    Ok(PatientReportDone {
        path: output.to_owned(),
        cases: report.cases.len(),
        bytes: bytes.len() as u64,
    })
}

/// Everything held about `nik` (see the module).
pub fn gather(
    store: &Store,
    actor: &Actor,
    nik: &str,
    now: DateTime<FixedOffset>,
) -> Result<PatientReport, StoreError> {
    require(actor, Action::Export)?;
    let nik = plkk_domain::normalise::identity_key(nik)
        .filter(|key| key.len() == 16 && key.chars().all(|c| c.is_ascii_digit()))
        .ok_or_else(|| {
            refused(
                "nik",
                "nik_format",
                format!("nik: a NIK is 16 digits, got {nik:?}"),
            )
        })?;
    let conn = &store.conn;
    let mut cases = Vec::new();
    for id in case_ids(conn, &nik)? {
        let Some(current) = current_case(conn, id)? else {
            continue;
        };
        cases.push(ReportCase {
            id,
            fields: current.intake.to_fields(),
            revisions: revisions(conn, id)?,
            notes: crate::notes::notes_of_case(conn, id)?,
            branch_status: crate::case_status::branch_status(conn, id)?,
        });
    }
    let registrations = registrations_of_nik(conn, &nik)?;
    if cases.is_empty() && registrations.is_empty() {
        return Err(StoreError::NotFound {
            what: "a person with NIK",
            id: nik,
        });
    }
    let access = access_log(conn, &cases, &registrations)?;
    Ok(PatientReport {
        nik,
        made_at: now,
        made_by: person(conn, &actor.username)?,
        cases,
        registrations,
        access,
    })
}

/// Cases whose NIK is `nik` now, was when admitted, or was before or after a correction; in
/// admission order.
fn case_ids(conn: &Connection, nik: &str) -> Result<Vec<Uuid>, StoreError> {
    let mut statement = conn.prepare(
        "SELECT c.intake_id FROM cases c WHERE c.nik = ?1
         UNION
         SELECT i.id FROM intakes i WHERE json_extract(i.record, '$.nik') = ?1
         UNION
         SELECT k.intake_id FROM intake_corrections k, json_each(k.changes) change
         WHERE json_extract(change.value, '$.field') = 'nik'
           AND ?1 IN (json_extract(change.value, '$.from'), json_extract(change.value, '$.to'))",
    )?;
    let mut ids: Vec<(i64, Uuid)> = Vec::new();
    for id in statement.query_map([nik], |row| row.get::<_, String>(0))? {
        let id = id?;
        let parsed = Uuid::parse_str(&id)
            .map_err(|_| StoreError::Corrupt(format!("case id {id:?} is not a UUID")))?;
        let seq: Option<i64> = conn
            .query_row("SELECT seq FROM intakes WHERE id = ?1", [&id], |row| {
                row.get(0)
            })
            .optional()?;
        ids.push((seq.unwrap_or(i64::MAX), parsed));
    }
    ids.sort();
    Ok(ids.into_iter().map(|(_, id)| id).collect())
}

/// The audit entries naming one of `cases` or `registrations`, and the exports whose date range
/// held a case.
fn access_log(
    conn: &Connection,
    cases: &[ReportCase],
    registrations: &[BpuView],
) -> Result<Vec<Access>, StoreError> {
    let mut found = Vec::new();
    let mut statement = conn.prepare("SELECT * FROM audit_log WHERE subject = ?1 ORDER BY seq")?;
    let subjects = cases
        .iter()
        .map(|case| case.id)
        .chain(registrations.iter().map(|held| held.registration.id));
    for subject in subjects {
        let entries = statement
            .query_map([subject.to_string()], audit::entry_row)?
            .collect::<rusqlite::Result<Vec<AuditEntry>>>()?;
        for entry in entries {
            found.push((entry.seq, access(conn, &entry, Some(subject), None)?));
        }
    }
    let admitted: Vec<NaiveDate> = cases
        .iter()
        .filter_map(|case| {
            case.fields
                .get("admitted_at")
                .and_then(|value| value.as_str())
        })
        .filter_map(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|at| at.date_naive())
        .collect();
    let mut exports =
        conn.prepare("SELECT * FROM audit_log WHERE action = 'export' ORDER BY seq")?;
    let entries = exports
        .query_map([], audit::entry_row)?
        .collect::<rusqlite::Result<Vec<AuditEntry>>>()?;
    for entry in entries {
        let Some((from, to)) = entry.subject.as_deref().and_then(export_range) else {
            continue;
        };
        if admitted.iter().any(|day| (from..=to).contains(day)) {
            let range = entry.subject.clone();
            found.push((entry.seq, access(conn, &entry, None, range)?));
        }
    }
    found.sort_by_key(|(seq, _)| *seq);
    Ok(found.into_iter().map(|(_, access)| access).collect())
}

fn access(
    conn: &Connection,
    entry: &AuditEntry,
    case_id: Option<Uuid>,
    range: Option<String>,
) -> Result<Access, StoreError> {
    Ok(Access {
        at: entry.at,
        who: person(conn, &entry.actor)?,
        action: entry.action.clone(),
        case_id,
        range,
    })
}

/// An export's subject `FROM..TO` as dates.
fn export_range(subject: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (from, to) = subject.split_once("..")?;
    Some((from.parse().ok()?, to.parse().ok()?))
}

pub(crate) fn person(conn: &Connection, username: &str) -> Result<Person, StoreError> {
    let name: Option<String> = conn
        .query_row(
            "SELECT display_name FROM accounts WHERE username = ?1",
            [username],
            |row| row.get(0),
        )
        .optional()?;
    Ok(Person {
        username: username.to_owned(),
        name: name.unwrap_or_default(),
    })
}
