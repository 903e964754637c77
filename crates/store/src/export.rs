//! Export for the clinic's administrator: the cases admitted in a date range (the clinic's local
//! date of admission) and their notes, as two CSV files. Administrators only; every export is
//! recorded in the audit log with its range and counts.
//!
//! Every cell is written so that a spreadsheet shows it and never runs it: a cell that would start
//! a formula gets a leading apostrophe (`plkk_domain::neutralise`, the one rule for every CSV the
//! project writes; phone numbers stay readable). The files are owner-only on Unix (see
//! `files.rs`).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use plkk_domain::{neutralise, Action, AuditAction, Intake, Note, INTAKE_FIELDS};
use serde::Serialize;
use serde_json::{json, Value};

use crate::access::{require, Actor};
use crate::audit;
use crate::error::refused;
use crate::rows::immediate;
use crate::{Store, StoreError};

/// Columns of the notes file after the note's own id, case, time and author.
const NOTE_COLUMNS: &[&str] = &[
    "text",
    "systolic",
    "diastolic",
    "pulse",
    "resp_rate",
    "temperature_c",
    "spo2",
    "pain_score",
    "icd10",
    "disposition",
    "referred_to",
    "stmb_days",
    "outcome",
    "corrects",
];

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExportDone {
    pub cases_path: PathBuf,
    pub notes_path: PathBuf,
    pub cases: usize,
    pub notes: usize,
}

/// Writes `cases-FROM-TO.csv` and `notes-FROM-TO.csv` into `out_dir` for cases admitted from
/// `from` to `to` (inclusive, the admission's local date).
pub fn export_csv(
    store: &Store,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
    out_dir: &Path,
    now: DateTime<FixedOffset>,
) -> Result<ExportDone, StoreError> {
    require(actor, Action::Export)?;
    if to < from {
        return Err(refused(
            "to",
            "before_from",
            format!("to: {to} is before from ({from})"),
        ));
    }
    let intakes = intakes_admitted(store, from, to)?;
    std::fs::create_dir_all(out_dir).map_err(|source| file_error(out_dir, source))?;
    let cases_path = out_dir.join(format!("cases-{from}-{to}.csv"));
    let notes_path = out_dir.join(format!("notes-{from}-{to}.csv"));

    let mut cases = csv_writer(&cases_path)?;
    let mut header: Vec<&str> = INTAKE_FIELDS.to_vec();
    header.push("report_due_at");
    write_row(
        &mut cases,
        &cases_path,
        header.iter().map(|name| name.to_string()),
    )?;
    for intake in &intakes {
        let fields = intake.to_fields();
        let mut row: Vec<String> = INTAKE_FIELDS
            .iter()
            .map(|field| cell(fields.get(*field)))
            .collect();
        row.push(intake.report_due_at().to_rfc3339());
        write_row(&mut cases, &cases_path, row)?;
    }
    cases
        .flush()
        .map_err(|source| file_error(&cases_path, source))?;

    let mut notes_file = csv_writer(&notes_path)?;
    let mut header = vec!["id", "intake_id", "written_at", "author"];
    header.extend_from_slice(NOTE_COLUMNS);
    write_row(
        &mut notes_file,
        &notes_path,
        header.iter().map(|name| name.to_string()),
    )?;
    let mut notes = 0;
    for intake in &intakes {
        for note in notes_of(store, intake)? {
            let value = serde_json::to_value(&note)?;
            let mut row = vec![
                note.id.to_string(),
                note.intake_id.to_string(),
                note.written_at.to_rfc3339(),
                note.author.clone(),
            ];
            row.extend(NOTE_COLUMNS.iter().map(|column| cell(value.get(*column))));
            write_row(&mut notes_file, &notes_path, row)?;
            notes += 1;
        }
    }
    notes_file
        .flush()
        .map_err(|source| file_error(&notes_path, source))?;

    let tx = immediate(&store.conn)?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::Export,
        Some(&format!("{from}..{to}")),
        json!({ "cases": intakes.len(), "notes": notes, "cases_file": cases_path, "notes_file": notes_path }),
    )?;
    tx.commit()?;
    Ok(ExportDone {
        cases_path,
        notes_path,
        cases: intakes.len(),
        notes,
    })
}

/// Current values of the cases admitted in the range, oldest first. Admission times are stored
/// with the offset they were given in; a day more on each side in UTC covers every offset, and the
/// local date decides.
fn intakes_admitted(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Intake>, StoreError> {
    let low = (from - Duration::days(1)).to_string();
    let high = (to + Duration::days(2)).to_string();
    let mut statement = store.conn.prepare(
        "SELECT record FROM cases WHERE admitted_at_utc >= ?1 AND admitted_at_utc < ?2
         ORDER BY admitted_at_utc, intake_seq",
    )?;
    let records = statement
        .query_map([low, high], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut intakes = Vec::new();
    for record in records {
        let intake: Intake = serde_json::from_str(&record)?;
        let day = intake.admitted_at.date_naive();
        if (from..=to).contains(&day) {
            intakes.push(intake);
        }
    }
    Ok(intakes)
}

fn notes_of(store: &Store, intake: &Intake) -> Result<Vec<Note>, StoreError> {
    Ok(crate::notes::notes_of_case(&store.conn, intake.id)?
        .into_iter()
        .map(|view| view.note)
        .collect())
}

/// A JSON value as a CSV cell: text as is, lists joined with "; ", absent as empty.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| cell(Some(item)))
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
    }
}

/// Writes one row, every cell neutralised.
fn write_row(
    writer: &mut csv::Writer<std::fs::File>,
    path: &Path,
    cells: impl IntoIterator<Item = String>,
) -> Result<(), StoreError> {
    writer
        .write_record(cells.into_iter().map(neutralise))
        .map_err(|error| csv_error(path, error))
}

fn csv_writer(path: &Path) -> Result<csv::Writer<std::fs::File>, StoreError> {
    let file = crate::files::create_private(path).map_err(|source| file_error(path, source))?;
    Ok(csv::Writer::from_writer(file))
}

fn csv_error(path: &Path, error: csv::Error) -> StoreError {
    file_error(path, std::io::Error::other(error))
}

fn file_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::File {
        path: path.display().to_string(),
        source,
    }
}
