//! Applying a pushed note: its author and ids, the note valid by `plkk_domain::validate_note`
//! for its case's category (checked before the writer, [`check_note`], and again under it when
//! the case is of another category than the one assumed), its case present here (else it waits
//! for its intake: `intake_id` `not_found`), and a corrected note on the same case.

use crate::sql::{params, Db};
use plkk_domain::{CaseCategory, Issue, Note};
use plkk_protocol::{NotePayload, PushEntry, Receipt};
use uuid::Uuid;

use super::prepare::refusal;
use super::{
    author_issues, error_issue, intake_missing, mismatch, rejected, KnownCase, Push, PushError,
};

/// A note's checks before the writer.
#[derive(Debug)]
pub(super) enum NoteCheck {
    /// Refused whatever its case: its author or ids.
    Refused(Vec<Issue>),
    /// Checked as a note on a case of `category`: ready to store, or refused.
    Checked {
        category: CaseCategory,
        outcome: Result<ReadyNote, Vec<Issue>>,
    },
}

/// A valid note, serialised as stored.
#[derive(Debug)]
pub(super) struct ReadyNote {
    /// The note it corrects, which must be on the same case.
    corrects: Option<Uuid>,
    record: String,
    warnings: Vec<Issue>,
    warnings_json: String,
}

/// Checks a note entry as a note on a case of `category`; reads nothing stored.
pub(super) fn check_note(
    entry: &PushEntry,
    payload: &NotePayload,
    category: CaseCategory,
) -> Result<NoteCheck, PushError> {
    let mut issues = author_issues(&payload.author);
    if payload.id != entry.record_id || payload.intake_id != entry.intake_id {
        issues.extend(mismatch(
            "id",
            "the note's id and intake_id must be the entry's record_id and intake_id",
        ));
    }
    if !issues.is_empty() {
        return Ok(NoteCheck::Refused(issues));
    }
    Ok(NoteCheck::Checked {
        category,
        outcome: validate(entry, payload, category)?,
    })
}

fn validate(
    entry: &PushEntry,
    payload: &NotePayload,
    category: CaseCategory,
) -> Result<Result<ReadyNote, Vec<Issue>>, PushError> {
    let input = payload.to_input();
    let checked = match plkk_domain::validate_note(&input, entry.record_id, category) {
        Ok(checked) => checked,
        Err(rejection) => return Ok(Err(refusal(rejection))),
    };
    let fields = checked.record.fields;
    let corrects = fields.corrects;
    let note = Note {
        id: entry.record_id,
        intake_id: entry.intake_id,
        written_at: payload.written_at,
        author: payload.author.trim().to_owned(),
        fields,
    };
    Ok(Ok(ReadyNote {
        corrects,
        record: serde_json::to_string(&note)?,
        warnings_json: serde_json::to_string(&checked.warnings)?,
        warnings: checked.warnings,
    }))
}

/// Stores a checked note (`check`, from [`check_note`]; `json`, the entry as stored) on `case`,
/// or answers its refusal.
pub(super) fn apply_note(
    tx: &Db,
    entry: &PushEntry,
    payload: &NotePayload,
    check: &NoteCheck,
    json: &str,
    push: Push<'_>,
    case: Option<&KnownCase>,
) -> Result<Receipt, PushError> {
    let now = push.clocks.branch;
    let (assumed, outcome) = match check {
        NoteCheck::Refused(issues) => return Ok(rejected(entry, now, issues.clone())),
        NoteCheck::Checked { category, outcome } => (*category, outcome),
    };
    let Some(case) = case else {
        return Ok(rejected(entry, now, intake_missing(entry.intake_id)));
    };
    let category = case.category()?;
    let checked_again;
    let outcome = if category == assumed {
        outcome
    } else {
        checked_again = validate(entry, payload, category)?;
        &checked_again
    };
    let ready = match outcome {
        Ok(ready) => ready,
        Err(issues) => return Ok(rejected(entry, now, issues.clone())),
    };
    if let Some(corrected) = ready.corrects {
        if push.known.note_case(tx, corrected)? != Some(entry.intake_id) {
            let message = format!("corrects: no note {corrected} on this case at the branch");
            return Ok(rejected(
                entry,
                now,
                vec![error_issue("corrects", "not_found", message)],
            ));
        }
    }
    let (receipt, seq) = push.store(tx, entry, json, &ready.warnings)?;
    push.known.note(entry.record_id, entry.intake_id);
    push.writes.note(params![
        entry.record_id.to_string(),
        entry.intake_id.to_string(),
        seq,
        ready.record,
        ready.warnings_json,
    ]);
    Ok(receipt)
}
