//! Cetak's commands (issue 13): a case's letter (the notification of a suspected work accident,
//! or the case summary) as a PDF into a folder the person picks; one call into `plkk-store`.

use plkk_store::{LetterDone, LetterKind};
use tauri::State;

use crate::desk::{now, CommandError, Desk};

/// The `kind` letter of case `case_id` as a PDF in `folder`, named for the case and the time.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn letter_make(
    desk: State<'_, Desk>,
    case_id: String,
    kind: LetterKind,
    folder: String,
) -> Result<LetterDone, CommandError> {
    desk.step(|session| session.letter_into(&case_id, kind, folder.as_ref(), now()))
}
