//! A case's page (`/cases/{id}`): the branch's status with the form that sets it (inputs
//! `status`, `reason`, `reference`, a submit button; for verifiers and administrators only), who
//! set which status, the intake's current values with their warnings, the correction history,
//! the treatment notes, the case's documents with download links (`documents_page.rs`),
//! conflicts, and the desk it came from. Opening it is recorded in the
//! officers' audit log. Setting a status (`cases::set_status`) goes to the clinic's desks through
//! the changes feed; a refusal is shown beside its field with what was typed (422).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{html, Markup};
use plkk_domain::{Issue, INTAKE_FIELDS};
use plkk_protocol::CaseStatus;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::labels::{clock_offset, field_label, status_label};
use super::layout::{self, branch_time, desk_time, field_error, notice, page, Nav};
use super::words::Lang;
use super::{call, see_other, Failure, Problem, Signed};
use crate::cases::{self, CaseRecord, StatusChange};
use crate::http::AppState;
use crate::officers::ConsoleAction;
use crate::BranchError;

/// The statuses an officer sets (`received` is the branch's own, on arrival).
const SETTABLE: [CaseStatus; 5] = [
    CaseStatus::Eligible,
    CaseStatus::NotEligible,
    CaseStatus::GuaranteeIssued,
    CaseStatus::ConcludedWorkAccident,
    CaseStatus::ConcludedNotWorkAccident,
];

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Shown {
    saved: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct StatusForm {
    csrf: Option<String>,
    status: Option<String>,
    reason: Option<String>,
    reference: Option<String>,
}

fn case_id(signed: &Signed, text: &str) -> Result<Uuid, Failure> {
    Uuid::parse_str(text).map_err(|_| signed.failure(Problem::NotFound))
}

pub(crate) async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    shown: Result<Query<Shown>, QueryRejection>,
) -> Result<Response, Failure> {
    let id = case_id(&signed, &id)?;
    let saved = shown.is_ok_and(|Query(shown)| shown.saved.is_some());
    let body = render(&state, &signed, id, saved, None, &StatusForm::default()).await?;
    Ok(body.into_response())
}

pub(crate) async fn set_status(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, Failure> {
    signed.check_csrf(form.csrf.as_deref())?;
    signed
        .require(&state, ConsoleAction::SetStatus, Some(&id))
        .await?;
    let id = case_id(&signed, &id)?;
    let status = form.status.as_deref().map(str::trim).unwrap_or_default();
    let refusal = match CaseStatus::parse(status).filter(|status| SETTABLE.contains(status)) {
        None => BranchError::refused(
            "status",
            if status.is_empty() {
                "required"
            } else {
                "choice"
            },
            "status: choose one of the statuses",
        ),
        Some(parsed) => {
            let (reason, reference) = (form.reason.clone(), form.reference.clone());
            let actor = signed.session.username.clone();
            let now = Utc::now();
            let result = call(&state, move |conn| {
                cases::set_status(
                    conn,
                    id,
                    parsed,
                    reason.as_deref(),
                    reference.as_deref(),
                    &actor,
                    now,
                )
            })
            .await;
            match result {
                Ok(()) => return Ok(see_other(&format!("/cases/{id}?saved=status"))),
                Err(error) => error,
            }
        }
    };
    let BranchError::Refused(issue) = refusal else {
        return Err(Failure::of(signed.lang, refusal));
    };
    let body = render(&state, &signed, id, false, Some(&issue), &form).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
}

async fn render(
    state: &AppState,
    signed: &Signed,
    id: Uuid,
    saved: bool,
    refusal: Option<&Issue>,
    typed: &StatusForm,
) -> Result<Markup, Failure> {
    let actor = signed.session.username.clone();
    let now = Utc::now();
    let (case, history) = call(state, move |conn| cases::open(conn, id, &actor, now))
        .await
        .map_err(|error| Failure::of(signed.lang, error))?;
    let documents = super::documents_page::of_case(state, signed, id).await?;
    let words = signed.lang.words();
    let body = html! {
        @if saved { (notice(words.status_saved)) }
        @if refusal.is_some() { p.message role="alert" { (words.fix_fields) } }
        (summary(signed.lang, &case))
        (status_section(signed, &case, &history, refusal, typed))
        (intake_section(signed.lang, &case))
        (corrections_section(signed.lang, &case))
        (notes_section(signed.lang, &case))
        (super::documents_page::section(signed.lang, &documents))
        @if !case.conflicts.is_empty() { (conflicts_section(signed.lang, &case)) }
        (origin_section(signed.lang, &case))
    };
    Ok(page(
        signed,
        Nav::Inbox,
        &case.intake.full_name,
        &format!("/cases/{id}"),
        body,
    ))
}

fn summary(lang: Lang, case: &CaseRecord) -> Markup {
    html! {
        p.summary {
            @if let Some(nik) = &case.intake.nik { "NIK " strong { (nik) } " · " }
            @if let Some(kpj) = &case.intake.kpj { "KPJ " strong { (kpj) } " · " }
            (case.intake.segment.as_str()) " · " (case.clinic_name) " (" (case.clinic_code) ") · "
            span data-testid="case-status" { (status_label(lang, &case.status)) }
        }
    }
}

fn status_section(
    signed: &Signed,
    case: &CaseRecord,
    history: &[StatusChange],
    refusal: Option<&Issue>,
    typed: &StatusForm,
) -> Markup {
    let lang = signed.lang;
    let words = lang.words();
    let chosen = typed.status.as_deref().unwrap_or(&case.status);
    let reason = typed.reason.as_deref().or(case.status_reason.as_deref());
    let reference = typed
        .reference
        .as_deref()
        .or(case.status_reference.as_deref());
    html! {
        section aria-labelledby="status-title" {
            h2 #status-title { (words.status_title) }
            @if signed.may(ConsoleAction::SetStatus) {
                form.status method="post" action={ "/cases/" (case.id) "/status" } data-testid="status-form" {
                    input type="hidden" name="csrf" value=(signed.session.csrf_token);
                    label for="status" { (words.status_title) }
                    select #status name="status" aria-describedby=[layout::described_by(refusal, "status")] {
                        @for status in SETTABLE {
                            option value=(status.as_str()) selected[chosen == status.as_str()] {
                                (status_label(lang, status.as_str()))
                            }
                        }
                    }
                    (field_error(lang, refusal, "status"))
                    label for="reason" { (words.reason) " " small { (words.reason_hint) } }
                    textarea #reason name="reason" rows="2" maxlength="500"
                        aria-describedby=[layout::described_by(refusal, "reason")] { (reason.unwrap_or_default()) }
                    (field_error(lang, refusal, "reason"))
                    label for="reference" { (words.reference) " " small { (words.reference_hint) } }
                    input #reference type="text" name="reference" value=(reference.unwrap_or_default())
                        maxlength="100" aria-describedby=[layout::described_by(refusal, "reference")];
                    (field_error(lang, refusal, "reference"))
                    button type="submit" { (words.set_status) }
                }
            } @else {
                p { (status_label(lang, &case.status))
                    @if let Some(reason) = &case.status_reason { " — " (reason) }
                    @if let Some(reference) = &case.status_reference { " — " (reference) } }
                p.hint { (words.viewer_cannot_change) }
            }
            @if !history.is_empty() {
                h3 { (words.status_history) }
                table.compact {
                    thead { tr { th { (words.at) } th { (words.by) } th { (words.col_status) } th { (words.reason) } th { (words.reference) } } }
                    tbody {
                        @for change in history {
                            tr {
                                td { (branch_time(&change.at)) }
                                td { (change.actor) }
                                td { (status_label(lang, &change.status)) }
                                td { (change.reason.as_deref().unwrap_or("")) }
                                td { (change.reference.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn text_of(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| text_of(Some(item)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

fn intake_section(lang: Lang, case: &CaseRecord) -> Markup {
    let words = lang.words();
    let fields = case.intake.to_fields();
    let warnings: Vec<String> = case
        .warnings
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.get("message").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    html! {
        section aria-labelledby="intake-title" {
            h2 #intake-title { (words.intake) }
            dl.fields {
                @for field in INTAKE_FIELDS.iter().filter(|field| **field != "id") {
                    @if let Some(value) = fields.get(*field).filter(|value| !value.is_null()) {
                        dt { (field_label(lang, field)) }
                        dd data-field=(field) {
                            @if *field == "accident_at" || *field == "admitted_at" {
                                (desk_time(&text_of(Some(value))))
                            } @else {
                                (text_of(Some(value)))
                            }
                        }
                    }
                }
            }
            @if !warnings.is_empty() {
                h3 { (words.warnings) }
                ul.warnings { @for warning in &warnings { li { (warning) } } }
            }
        }
    }
}

fn corrections_section(lang: Lang, case: &CaseRecord) -> Markup {
    let words = lang.words();
    html! {
        section aria-labelledby="corrections-title" {
            h2 #corrections-title { (words.corrections) }
            @if case.corrections.is_empty() { p.empty { (words.no_corrections) } }
            @for correction in &case.corrections {
                article.correction {
                    p {
                        strong { (desk_time(&text_of(correction.get("written_at")))) }
                        " · " (text_of(correction.get("author")))
                        " · " (words.correction_reason) ": " (text_of(correction.get("reason")))
                    }
                    ul {
                        @for change in correction.get("changes").and_then(Value::as_array).into_iter().flatten() {
                            li {
                                (field_label(lang, &text_of(change.get("field")))) ": "
                                del { (text_of(change.get("from"))) } " → " ins { (text_of(change.get("to"))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn notes_section(lang: Lang, case: &CaseRecord) -> Markup {
    let words = lang.words();
    let details = [
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
    html! {
        section aria-labelledby="notes-title" {
            h2 #notes-title { (words.notes) }
            @if case.notes.is_empty() { p.empty { (words.no_notes) } }
            ol.timeline {
                @for note in &case.notes {
                    li {
                        p.meta { strong { (desk_time(&text_of(note.get("written_at")))) } " · " (text_of(note.get("author"))) }
                        p.note-text { (text_of(note.get("text"))) }
                        p.vitals {
                            @for key in details {
                                @let value = text_of(note.get(key));
                                @if !value.is_empty() {
                                    span { (field_label(lang, key)) " " strong { (value) } } " "
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn conflicts_section(lang: Lang, case: &CaseRecord) -> Markup {
    let words = lang.words();
    html! {
        section aria-labelledby="conflicts-title" {
            h2 #conflicts-title { (words.conflicts) }
            @for conflict in &case.conflicts {
                table.compact {
                    caption { (branch_time(&text_of(conflict.get("detected_at")))) }
                    thead { tr { th { (words.conflict_field) } th { (words.conflict_base) } th { (words.conflict_branch) } th { (words.conflict_desk) } } }
                    tbody {
                        @for field in conflict.get("fields").and_then(Value::as_array).into_iter().flatten() {
                            tr {
                                td { (field_label(lang, &text_of(field.get("field")))) }
                                td { (text_of(field.get("base"))) }
                                td { (text_of(field.get("branch"))) }
                                td { (text_of(field.get("desk"))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn origin_section(lang: Lang, case: &CaseRecord) -> Markup {
    let words = lang.words();
    let origin = &case.origin;
    html! {
        section aria-labelledby="origin-title" {
            h2 #origin-title { (words.origin) }
            dl.fields {
                dt { (words.col_clinic) } dd { (case.clinic_name) " (" (case.clinic_code) ")" }
                dt { (words.origin_device) } dd { (origin.device_name) " " small { (origin.device_id) } }
                dt { (words.origin_author) } dd { (origin.author) }
                dt { (words.origin_written) } dd { (desk_time(&origin.written_at)) }
                dt { (words.col_received) } dd { (branch_time(&origin.received_at)) }
                @if let Some(offset) = origin.desk_clock_offset_seconds {
                    dt { (words.clock_offset) } dd { (clock_offset(lang, offset)) }
                }
            }
        }
    }
}
