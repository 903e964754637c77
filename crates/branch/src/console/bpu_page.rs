//! The BPU registrations page (`/bpu`, issue 11): the queue of registrations the clinics' desks
//! sent, filtered by status (`submitted` first), each with the person, occupation, clinic and
//! monthly contribution; for verifiers and administrators, a form per waiting registration to
//! approve with a KPJ (`kpj`) or reject with a reason (`reason`). Each decision is one call of
//! `bpu::decide` (stored, in the officers' audit log, sent to the clinic's desks); a refusal is
//! shown beside its field in that registration's row, with what was typed (422).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{html, Markup};
use plkk_domain::Issue;
use plkk_protocol::BpuStatus;
use serde::Deserialize;
use uuid::Uuid;

use super::labels::{bpu_status_label, occupation_label};
use super::layout::{self, branch_time, field_error, notice, page, Nav};
use super::{call, see_other, Failure, Problem, Signed};
use crate::bpu::{self, BranchRegistration, Decision};
use crate::http::AppState;
use crate::officers::ConsoleAction;
use crate::BranchError;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Shown {
    status: Option<String>,
    saved: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DecisionForm {
    csrf: Option<String>,
    kpj: Option<String>,
    reason: Option<String>,
}

/// A refusal of one registration's form, with what was typed.
struct Refused<'a> {
    id: Uuid,
    issue: Issue,
    typed: &'a DecisionForm,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    signed: Signed,
    shown: Result<Query<Shown>, QueryRejection>,
) -> Result<Response, Failure> {
    let Query(shown) = shown.unwrap_or_default();
    let filter = match shown.status.as_deref() {
        None => Some(BpuStatus::Submitted),
        Some("all") => None,
        Some(text) => Some(BpuStatus::parse(text).unwrap_or(BpuStatus::Submitted)),
    };
    let saved = shown.saved.as_deref().map(|saved| saved == "approved");
    Ok(render(&state, &signed, filter, saved, None)
        .await?
        .into_response())
}

pub(crate) async fn approve(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, Failure> {
    let kpj = form.kpj.clone().unwrap_or_default();
    decide(state, signed, id, form, move |id, conn, actor| {
        bpu::decide(conn, id, Decision::Approve { kpj: &kpj }, actor, Utc::now())
    })
    .await
}

pub(crate) async fn reject(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, Failure> {
    let reason = form.reason.clone().unwrap_or_default();
    decide(state, signed, id, form, move |id, conn, actor| {
        bpu::decide(
            conn,
            id,
            Decision::Reject { reason: &reason },
            actor,
            Utc::now(),
        )
    })
    .await
}

async fn decide<F>(
    state: AppState,
    signed: Signed,
    id: String,
    form: DecisionForm,
    act: F,
) -> Result<Response, Failure>
where
    F: FnOnce(Uuid, &mut crate::sql::Db, &str) -> Result<plkk_protocol::BpuDecision, BranchError>
        + Send
        + 'static,
{
    signed.check_csrf(form.csrf.as_deref())?;
    signed
        .require(&state, ConsoleAction::SetStatus, Some(&id))
        .await?;
    let id = Uuid::parse_str(&id).map_err(|_| signed.failure(Problem::NotFound))?;
    let actor = signed.session.username.clone();
    let result = call(&state, move |conn| act(id, conn, &actor)).await;
    match result {
        Ok(decision) => {
            let saved = match decision.status {
                BpuStatus::Registered => "approved",
                _ => "rejected",
            };
            Ok(see_other(&format!("/bpu?saved={saved}")))
        }
        Err(BranchError::Refused(issue)) => {
            let refused = Refused {
                id,
                issue,
                typed: &form,
            };
            let body = render(
                &state,
                &signed,
                Some(BpuStatus::Submitted),
                None,
                Some(&refused),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(error) => Err(Failure::of(signed.lang, error)),
    }
}

async fn render(
    state: &AppState,
    signed: &Signed,
    filter: Option<BpuStatus>,
    saved: Option<bool>,
    refused: Option<&Refused<'_>>,
) -> Result<Markup, Failure> {
    let registrations = call(state, move |conn| bpu::list(conn, None, filter))
        .await
        .map_err(|error| Failure::of(signed.lang, error))?;
    let lang = signed.lang;
    let words = lang.words();
    let current = filter.map_or("all", BpuStatus::as_str);
    let choices = [
        ("submitted", bpu_status_label(lang, "submitted")),
        ("registered", bpu_status_label(lang, "registered")),
        ("rejected", bpu_status_label(lang, "rejected")),
        ("all", words.bpu_all),
    ];
    let body = html! {
        @match saved {
            Some(true) => (notice(words.bpu_approved)),
            Some(false) => (notice(words.bpu_rejected)),
            None => {},
        }
        @if refused.is_some() { p.message role="alert" { (words.fix_fields) } }
        p { (words.bpu_intro) }
        form.filters method="get" action="/bpu" {
            label for="status" { (words.bpu_filter) }
            select #status name="status" {
                @for (value, label) in choices {
                    option value=(value) selected[value == current] { (label) }
                }
            }
            button type="submit" { (words.show) }
        }
        @if registrations.is_empty() {
            p data-testid="bpu-empty" { (words.no_bpu) }
        } @else {
            div.table-wrap {
                table.compact data-testid="bpu-queue" {
                    thead { tr {
                        th scope="col" { (words.col_name) } th scope="col" { "NIK" }
                        th scope="col" { (words.col_occupation) } th scope="col" { (words.col_clinic) }
                        th scope="col" { (words.col_contribution) } th scope="col" { (words.col_decision) }
                    } }
                    tbody {
                        @for registration in &registrations {
                            (row(signed, registration, refused.filter(|refused| refused.id == registration.id)))
                        }
                    }
                }
            }
        }
    };
    Ok(page(signed, Nav::Bpu, words.bpu_title, "/bpu", body))
}

fn row(signed: &Signed, registration: &BranchRegistration, refused: Option<&Refused>) -> Markup {
    let lang = signed.lang;
    let words = lang.words();
    let status = registration.status.as_str();
    let monthly = registration.contribution["monthly_total"]
        .as_u64()
        .unwrap_or(0);
    let issue = refused.map(|refused| &refused.issue);
    let typed_kpj = refused.and_then(|refused| refused.typed.kpj.as_deref());
    let typed_reason = refused.and_then(|refused| refused.typed.reason.as_deref());
    let id = registration.id;
    html! {
        tr data-testid="bpu-row" data-id=(id) {
            td { (registration.full_name) br; small { (branch_time(&registration.received_at)) } }
            td { (registration.nik) }
            td { (occupation_label(lang, &registration.occupation)) }
            td { (registration.clinic) }
            td.number { (plkk_domain::rupiah(monthly)) }
            td {
                span data-testid="bpu-status" { (bpu_status_label(lang, status)) }
                @if let Some(kpj) = &registration.kpj { " · KPJ " strong { (kpj) } }
                @if let Some(reason) = &registration.decision_reason { br; small { (reason) } }
                @if registration.status == BpuStatus::Submitted && signed.may(ConsoleAction::SetStatus) {
                    form.decide method="post" action={ "/bpu/" (id) "/approve" } data-testid="bpu-approve" {
                        input type="hidden" name="csrf" value=(signed.session.csrf_token);
                        label for={ "kpj-" (id) } { (words.kpj) }
                        input id={ "kpj-" (id) } type="text" name="kpj" inputmode="numeric"
                            maxlength="11" value=(typed_kpj.unwrap_or_default())
                            aria-describedby=[layout::described_by(issue, "kpj")];
                        (field_error(lang, issue, "kpj"))
                        button type="submit" { (words.approve) }
                    }
                    form.decide method="post" action={ "/bpu/" (id) "/reject" } data-testid="bpu-reject" {
                        input type="hidden" name="csrf" value=(signed.session.csrf_token);
                        label for={ "reason-" (id) } { (words.reason) }
                        input id={ "reason-" (id) } type="text" name="reason" maxlength="500"
                            value=(typed_reason.unwrap_or_default())
                            aria-describedby=[layout::described_by(issue, "reason")];
                        (field_error(lang, issue, "reason"))
                        (field_error(lang, issue, "id"))
                        button type="submit" { (words.reject) }
                    }
                }
            }
        }
    }
}
