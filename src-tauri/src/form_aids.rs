//! The commands that help a person fill the forms (issue 9), each one call into `plkk-domain` or
//! `plkk-store`: checking a form as its fields are left (the same rules as the save), what the
//! desk offers while typing (employers seen, a returning patient's fields, ICD-10 codes), drafts
//! kept across restarts, and the staff's names to show instead of usernames.

use plkk_domain::{CaseCategory, Icd10Entry, Issue, JsonObject, Rejected};
use plkk_store::{Draft, EmployerOffer, ReturningPatient};
use tauri::State;
use uuid::Uuid;

use crate::desk::{now, CommandError, Desk};

/// How many offers a field shows at most.
const OFFERS: usize = 6;

/// Every error and warning of a whole form, errors first (empty: it would save).
fn all_issues<T>(checked: Result<plkk_domain::Checked<T>, Rejected>) -> Vec<Issue> {
    match checked {
        Ok(checked) => checked.warnings,
        Err(rejected) => rejected
            .errors
            .into_iter()
            .chain(rejected.warnings)
            .collect(),
    }
}

/// The intake form's issues by the rules of the save, without saving (the window shows those of
/// the fields the person has left).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn intake_check(fields: JsonObject) -> Vec<Issue> {
    all_issues(plkk_domain::validate_intake(&fields, Uuid::nil(), now()))
}

/// The note form's issues for a case of `case_category`, without saving.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn note_check(fields: JsonObject, case_category: CaseCategory) -> Vec<Issue> {
    all_issues(plkk_domain::validate_note(
        &fields,
        Uuid::nil(),
        case_category,
    ))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn icd10_search(query: String) -> Vec<Icd10Entry> {
    plkk_domain::search_icd10(&query, OFFERS)
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn employer_offers(
    desk: State<'_, Desk>,
    typed: String,
) -> Result<Vec<EmployerOffer>, CommandError> {
    desk.with_session(|store, actor| plkk_store::employer_offers(store, actor, &typed, OFFERS))
}

/// The patient fields of the latest case with this NIK (the person chose to copy them).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn returning_patient(
    desk: State<'_, Desk>,
    nik: String,
) -> Result<Option<ReturningPatient>, CommandError> {
    desk.with_session(|store, actor| plkk_store::returning_patient(store, actor, &nik, now()))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn drafts_list(desk: State<'_, Desk>) -> Result<Vec<Draft>, CommandError> {
    desk.with_session(|store, actor| plkk_store::drafts_of(store, actor))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn draft_save(
    desk: State<'_, Desk>,
    form: String,
    values: JsonObject,
) -> Result<(), CommandError> {
    desk.with_session(|store, actor| plkk_store::save_draft(store, actor, &form, &values, now()))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn draft_clear(desk: State<'_, Desk>, form: String) -> Result<(), CommandError> {
    desk.with_session(|store, actor| plkk_store::clear_draft(store, actor, &form))
}

/// Username -> full name of every account.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn staff_names(desk: State<'_, Desk>) -> Result<Vec<(String, String)>, CommandError> {
    desk.with_session(|store, actor| plkk_store::staff_names(store, actor))
}
