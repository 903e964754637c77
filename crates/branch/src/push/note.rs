//! Applying a pushed note: its author and ids, its case present here (else it waits for its
//! intake: `intake_id` `not_found`), the note valid by `plkk_domain::validate_note` for the
//! case's category, and a corrected note on the same case.

use crate::sql::{params, Db};
use plkk_domain::Note;
use plkk_protocol::{NotePayload, PushEntry, Receipt};

use super::{
    author_issues, error_issue, intake_missing, mismatch, rejected, KnownCase, Push, PushError,
};

pub(super) fn apply_note(
    tx: &Db,
    entry: &PushEntry,
    payload: &NotePayload,
    push: Push<'_>,
    case: Option<&KnownCase>,
) -> Result<Receipt, PushError> {
    let now = push.clocks.branch;
    let mut issues = author_issues(&payload.author);
    if payload.id != entry.record_id || payload.intake_id != entry.intake_id {
        issues.extend(mismatch(
            "id",
            "the note's id and intake_id must be the entry's record_id and intake_id",
        ));
    }
    if !issues.is_empty() {
        return Ok(rejected(entry, now, issues));
    }
    let Some(case) = case else {
        return Ok(rejected(entry, now, intake_missing(entry.intake_id)));
    };
    let case_category = case.category()?;
    let input = payload.to_input();
    let checked = match plkk_domain::validate_note(&input, entry.record_id, case_category) {
        Ok(checked) => checked,
        Err(rejection) => {
            let mut issues = rejection.errors;
            issues.extend(rejection.warnings);
            return Ok(rejected(entry, now, issues));
        }
    };
    let draft = checked.record;
    if let Some(corrected) = draft.fields.corrects {
        if push.known.note_case(tx, corrected)? != Some(entry.intake_id) {
            let message = format!("corrects: no note {corrected} on this case at the branch");
            return Ok(rejected(
                entry,
                now,
                vec![error_issue("corrects", "not_found", message)],
            ));
        }
    }
    let note = Note {
        id: entry.record_id,
        intake_id: entry.intake_id,
        written_at: payload.written_at,
        author: payload.author.trim().to_owned(),
        fields: draft.fields,
    };
    let (receipt, seq) = push.store(tx, entry, &checked.warnings)?;
    push.known.note(note.id, note.intake_id);
    push.writes.note(params![
        note.id.to_string(),
        note.intake_id.to_string(),
        seq,
        serde_json::to_string(&note)?,
        serde_json::to_string(&checked.warnings)?,
    ]);
    Ok(receipt)
}
