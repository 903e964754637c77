//! Treatment notes: appended to a case, never edited. A correction is a new note naming the one it
//! corrects; both stay. A note with an outcome closes its case.

use chrono::{DateTime, FixedOffset};
use plkk_domain::{Action, AuditAction, Issue, JsonObject, Note};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::json;
use uuid::Uuid;

use crate::access::{require, Actor};
use crate::audit;
use crate::error::intake_not_found;
use crate::error::{parse_id, refused};
use crate::outbox;
use crate::projection::current_case;
use crate::views::{NoteView, Saved};
use crate::{payloads, projection, Store, StoreError};

/// Validates and appends a note to the case `intake_id`, with its outbox entry, in one transaction.
pub fn add_note(
    store: &mut Store,
    actor: &Actor,
    intake_id: &str,
    input: &JsonObject,
    now: DateTime<FixedOffset>,
) -> Result<Saved, StoreError> {
    require(actor, Action::AddNote)?;
    let author = actor.username.as_str();
    let intake_id = parse_id("intake_id", intake_id)?;
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let case =
        current_case(&tx, intake_id)?.ok_or_else(|| intake_not_found("intake_id", intake_id))?;
    let checked = plkk_domain::validate_note(input, Uuid::now_v7(), case.intake.case_category)?;
    let draft = checked.record;
    if draft.intake_id.is_some_and(|given| given != intake_id) {
        return Err(refused(
            "intake_id",
            "intake_mismatch",
            format!("intake_id: the note names another case than {intake_id}"),
        ));
    }
    if note_exists(&tx, draft.id)? {
        return Err(refused(
            "id",
            "already_exists",
            format!("id: a note with id {} already exists", draft.id),
        ));
    }
    if let Some(corrected) = draft.fields.corrects {
        if note_case(&tx, corrected)? != Some(intake_id) {
            return Err(refused(
                "corrects",
                "not_found",
                format!("corrects: no note {corrected} on this case"),
            ));
        }
    }
    let note = Note {
        id: draft.id,
        intake_id,
        written_at: now,
        author: author.to_owned(),
        fields: draft.fields,
    };
    tx.prepare_cached(
        "INSERT INTO notes (id, intake_id, corrects, record, warnings, written_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        note.id.to_string(),
        intake_id.to_string(),
        note.fields.corrects.map(|id| id.to_string()),
        serde_json::to_string(&note)?,
        serde_json::to_string(&checked.warnings)?,
        now.to_rfc3339(),
    ])?;
    projection::refresh_outcome(&tx, intake_id)?;
    let payload = payloads::note(&note);
    outbox::enqueue(&tx, note.id, intake_id, &payload, now)?;
    audit::append(
        &tx,
        now,
        author,
        AuditAction::AddNote,
        Some(&intake_id.to_string()),
        json!({ "note": note.id, "corrects": note.fields.corrects }),
    )?;
    tx.commit()?;
    Ok(Saved {
        id: note.id,
        warnings: checked.warnings,
    })
}

/// Every note of a case, oldest first, each with the ids of the notes that correct it.
pub(crate) fn notes_of_case(
    conn: &Connection,
    intake_id: Uuid,
) -> Result<Vec<NoteView>, StoreError> {
    let mut statement = conn
        .prepare_cached("SELECT record, warnings FROM notes WHERE intake_id = ?1 ORDER BY seq")?;
    let rows: Vec<(String, String)> = statement
        .query_map([intake_id.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut views = Vec::with_capacity(rows.len());
    for (record, warnings) in rows {
        let note: Note = serde_json::from_str(&record)?;
        let warnings: Vec<Issue> = serde_json::from_str(&warnings)?;
        views.push(NoteView {
            sync_state: outbox::record_state(conn, note.id)?,
            corrected_by: Vec::new(),
            warnings,
            note,
        });
    }
    let corrections: Vec<(Uuid, Uuid)> = views
        .iter()
        .filter_map(|view| Some((view.note.fields.corrects?, view.note.id)))
        .collect();
    for (corrected, correcting) in corrections {
        if let Some(view) = views.iter_mut().find(|view| view.note.id == corrected) {
            view.corrected_by.push(correcting);
        }
    }
    Ok(views)
}

fn note_exists(conn: &Connection, note_id: Uuid) -> rusqlite::Result<bool> {
    Ok(note_case(conn, note_id)?.is_some())
}

/// The case a note belongs to, if the note exists.
fn note_case(conn: &Connection, note_id: Uuid) -> rusqlite::Result<Option<Uuid>> {
    let intake_id: Option<String> = conn
        .query_row(
            "SELECT intake_id FROM notes WHERE id = ?1",
            [note_id.to_string()],
            |row| row.get(0),
        )
        .optional()?;
    Ok(intake_id.and_then(|text| Uuid::parse_str(&text).ok()))
}
