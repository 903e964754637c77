//! A case's letters as PDF (`pdf.rs` sets the words): the **Pemberitahuan dugaan kecelakaan
//! kerja** (the PLKK's notification of a suspected work accident to the branch and the employer,
//! with the minimum content of Permenaker 1/2025) and the **case summary** (intake with its
//! corrections, treatment notes, outcome and the branch's status). Each carries the clinic's name
//! and code and `Kode verifikasi:` with a code made from the case's records as this desk holds
//! them (`plkk_domain::letter_code`), which the branch recomputes from what it received
//! (`plkk-branch case verify-letter`). The code covers the intake, its corrections and the notes,
//! not the case's documents: a letter states the case's facts, and a photo still uploading must
//! not keep a letter from being confirmed. Receptionists, nurses and administrators may print
//! (`Action::Print`); each letter is audited (`print`, with its kind, code and file name).

mod pdf;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use plkk_domain::{Action, AuditAction, LetterCode, LetterRecord};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::access::{require, Actor};
use crate::audit;
use crate::case_status::BranchStatus;
use crate::error::{intake_not_found, parse_id};
use crate::intakes::revisions;
use crate::patient_report::{person, Person};
use crate::projection::current_case;
use crate::rows::immediate;
use crate::views::{NoteView, Revision};
use crate::{files, Language, Store, StoreError};

/// Which letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LetterKind {
    /// Pemberitahuan dugaan kecelakaan kerja (Permenaker 1/2025).
    Notification,
    /// The case summary: intake, corrections, notes, outcome.
    Summary,
}

impl LetterKind {
    /// `notification` or `summary` (the CLI's `--kind`); `None` for anything else.
    pub fn parse(text: &str) -> Option<LetterKind> {
        match text {
            "notification" => Some(LetterKind::Notification),
            "summary" => Some(LetterKind::Summary),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LetterKind::Notification => "notification",
            LetterKind::Summary => "summary",
        }
    }
}

/// What `letter` wrote.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LetterDone {
    pub path: PathBuf,
    pub kind: LetterKind,
    /// The verification code printed on it, `XXXX-XXXX-XXXX-XXXX`.
    pub code: String,
    /// The PDF's size in bytes.
    pub bytes: u64,
}

/// Everything a letter shows.
#[derive(Debug, Clone)]
pub(crate) struct Letter {
    pub(crate) kind: LetterKind,
    pub(crate) case_id: Uuid,
    /// The current values (contract field names, as text).
    pub(crate) fields: plkk_domain::JsonObject,
    pub(crate) revisions: Vec<Revision>,
    pub(crate) notes: Vec<NoteView>,
    pub(crate) outcome: Option<String>,
    pub(crate) branch_status: Option<BranchStatus>,
    /// The clinic's code and name from the enrolment (none before the desk is enrolled).
    pub(crate) clinic: Option<(String, String)>,
    pub(crate) made_at: DateTime<FixedOffset>,
    pub(crate) made_by: Person,
    pub(crate) code: LetterCode,
}

/// The file name the window gives a letter: `pemberitahuan-ID8-YYYYMMDD-HHMMSS.pdf` or
/// `ringkasan-kasus-ID8-...` (the case id's first 8 characters).
pub fn letter_file_name(kind: LetterKind, case_id: &str, now: DateTime<FixedOffset>) -> String {
    let stem = match kind {
        LetterKind::Notification => "pemberitahuan",
        LetterKind::Summary => "ringkasan-kasus",
    };
    let short: String = case_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(8)
        .collect();
    format!("{stem}-{short}-{}.pdf", now.format("%Y%m%d-%H%M%S"))
}

/// Writes the `kind` letter of case `case_id` to `output` (a new owner-only file) in `language`
/// and audits it. An unknown case, an existing file or a missing folder: refused, nothing written.
pub fn letter(
    store: &Store,
    actor: &Actor,
    case_id: &str,
    kind: LetterKind,
    output: &Path,
    language: Language,
    now: DateTime<FixedOffset>,
) -> Result<LetterDone, StoreError> {
    require(actor, Action::Print)?;
    let case_id = parse_id("case_id", case_id)?;
    let conn = &store.conn;
    let current =
        current_case(conn, case_id)?.ok_or_else(|| intake_not_found("case_id", case_id))?;
    let letter = Letter {
        kind,
        case_id,
        fields: current.intake.to_fields(),
        revisions: revisions(conn, case_id)?,
        notes: crate::notes::notes_of_case(conn, case_id)?,
        outcome: current.outcome,
        branch_status: crate::case_status::branch_status(conn, case_id)?,
        clinic: crate::sync_settings::enrolment(store)?
            .map(|enrolment| (enrolment.clinic_code, enrolment.clinic_name)),
        made_at: now,
        made_by: person(conn, &actor.username)?,
        code: case_code(conn, case_id)?,
    };
    let bytes = pdf::render(&letter, language);
    files::write_new_private(output, &bytes)?;
    let tx = immediate(conn)?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::Print,
        Some(&case_id.to_string()),
        json!({
            "letter": kind.as_str(),
            "code": letter.code.to_string(),
            "file": plkk_domain::limits::clip(
                &output.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default(),
                200,
            ),
        }),
    )?;
    tx.commit()?;
    Ok(LetterDone {
        path: output.to_owned(),
        kind,
        code: letter.code.to_string(),
        bytes: bytes.len() as u64,
    })
}

/// The verification code of case `case_id` over every record of it this desk holds: the intake
/// as admitted, each correction (author and reason), each note.
pub(crate) fn case_code(conn: &Connection, case_id: Uuid) -> Result<LetterCode, StoreError> {
    let id = case_id.to_string();
    let mut records = Vec::new();
    let intake: Option<String> = conn
        .query_row("SELECT record FROM intakes WHERE id = ?1", [&id], |row| {
            row.get(0)
        })
        .optional()?;
    let intake = intake.ok_or_else(|| intake_not_found("case_id", case_id))?;
    records.push(LetterRecord {
        id: case_id,
        digest: plkk_domain::content_digest(&serde_json::from_str::<Value>(&intake)?),
    });
    let mut corrections = conn
        .prepare_cached("SELECT id, author, reason FROM intake_corrections WHERE intake_id = ?1")?;
    let rows: Vec<(String, String, String)> = corrections
        .query_map([&id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (correction, author, reason) in rows {
        records.push(LetterRecord {
            id: parse_id("id", &correction)?,
            digest: plkk_domain::content_digest(&plkk_domain::correction_content(&author, &reason)),
        });
    }
    let mut notes = conn.prepare_cached("SELECT id, record FROM notes WHERE intake_id = ?1")?;
    let rows: Vec<(String, String)> = notes
        .query_map([&id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (note, record) in rows {
        records.push(LetterRecord {
            id: parse_id("id", &note)?,
            digest: plkk_domain::content_digest(&serde_json::from_str::<Value>(&record)?),
        });
    }
    Ok(plkk_domain::letter_code(case_id, &records))
}
