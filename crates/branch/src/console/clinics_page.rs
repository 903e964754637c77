//! Klinik & perangkat (`/clinics`): every clinic with its desks — last sync, records still
//! waiting, clock offset, app version, audit chain as recorded — and a mark on clinics whose
//! desks have not synced for more than a day. Administrators add clinics, issue enrolment codes
//! (shown once, in the answer to the POST, with a copy button; never in a URL) and revoke desks
//! after a confirmation page. Anyone signed in may walk a desk's audit chain again.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{html, Markup};
use plkk_domain::Issue;
use serde::Deserialize;
use uuid::Uuid;

use super::labels::{clock_offset, with_n};
use super::layout::{self, branch_time, field_error, notice, page, Nav};
use super::{call, see_other, Failure, Problem, Signed};
use crate::clinics::{self, ClinicRow, DeviceRow, CLOCK_FLAG_SECONDS};
use crate::http::AppState;
use crate::officers::ConsoleAction;
use crate::BranchError;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Shown {
    done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ClinicForm {
    csrf: Option<String>,
    clinic_code: Option<String>,
    clinic_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: Option<String>,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    signed: Signed,
    shown: Result<Query<Shown>, QueryRejection>,
) -> Result<Response, Failure> {
    let done = shown.ok().and_then(|Query(shown)| shown.done);
    let words = signed.lang.words();
    let message = match done.as_deref() {
        Some("clinic") => Some(words.clinic_added),
        Some("revoked") => Some(words.device_revoked),
        _ => None,
    };
    render(
        &state,
        &signed,
        StatusCode::OK,
        message,
        None,
        &ClinicForm::default(),
    )
    .await
}

async fn render(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    message: Option<&str>,
    refusal: Option<&Issue>,
    typed: &ClinicForm,
) -> Result<Response, Failure> {
    let now = Utc::now();
    let clinics = call(state, move |conn| clinics::list_clinics(conn, now))
        .await
        .map_err(|error| Failure::of(signed.lang, error))?;
    let words = signed.lang.words();
    let body = html! {
        @if let Some(message) = message { (notice(message)) }
        @if clinics.is_empty() { p.empty { (words.no_clinics) } }
        @for clinic in &clinics { (clinic_section(signed, clinic)) }
        @if signed.may(ConsoleAction::Administer) { (add_form(signed, refusal, typed)) }
    };
    let html = page(signed, Nav::Clinics, words.clinics_title, "/clinics", body);
    Ok((status, html).into_response())
}

fn clinic_section(signed: &Signed, clinic: &ClinicRow) -> Markup {
    let words = signed.lang.words();
    html! {
        section.clinic data-clinic=(clinic.code) {
            h2 {
                (clinic.name) " " small { (clinic.code) }
                @if clinic.silent { " " span.badge.late data-testid="silent" { (words.silent) } }
            }
            @if clinic.devices.is_empty() {
                p.empty { (words.no_devices) }
            } @else {
                div.table-wrap { table.compact {
                    thead { tr {
                        th { (words.device_name) } th { (words.last_sync) } th { (words.waiting) }
                        th { (words.clock_offset) } th { (words.app_version) } th { (words.audit_chain) } th {}
                    } }
                    tbody { @for device in &clinic.devices { (device_row(signed, device)) } }
                } }
            }
            @if signed.may(ConsoleAction::Administer) {
                form method="post" action={ "/clinics/" (clinic.code) "/code" } {
                    input type="hidden" name="csrf" value=(signed.session.csrf_token);
                    button type="submit" data-testid="issue-code" { (words.issue_code) }
                }
            }
        }
    }
}

fn device_row(signed: &Signed, device: &DeviceRow) -> Markup {
    let words = signed.lang.words();
    let sync = device.last_sync.as_ref();
    html! {
        tr data-device=(device.device_id) {
            td {
                (device.name) br;
                @if device.revoked_at.is_some() { span.badge.late { (words.revoked) } } @else { span.badge.ok { (words.active) } }
            }
            td { @match sync { Some(sync) => (branch_time(&sync.at)), None => (words.never) } }
            td { @match sync.and_then(|sync| sync.waiting) { Some(count) => (count), None => (words.unknown) } }
            td {
                @match sync.and_then(|sync| sync.clock_offset_seconds) {
                    Some(offset) if offset.abs() > CLOCK_FLAG_SECONDS => { span.badge.warn { (clock_offset(signed.lang, offset)) } }
                    Some(offset) => { (clock_offset(signed.lang, offset)) }
                    None => { (words.unknown) }
                }
            }
            td { (sync.and_then(|sync| sync.app_version.as_deref()).unwrap_or(words.unknown)) }
            td {
                @if device.audit.breaks == 0 && device.audit.acked_seq == 0 {
                    (words.chain_empty)
                } @else if device.audit.breaks == 0 {
                    (with_n(words.chain_recorded_sound, device.audit.acked_seq))
                } @else {
                    span.badge.late { (with_n(words.chain_recorded_breaks, device.audit.breaks)) }
                }
                " " a href={ "/devices/" (device.device_id) "/audit" } { (words.check_chain) }
            }
            td {
                @if device.revoked_at.is_none() && signed.may(ConsoleAction::Administer) {
                    a.danger href={ "/devices/" (device.device_id) "/revoke" } data-testid="revoke" { (words.revoke) }
                }
            }
        }
    }
}

fn add_form(signed: &Signed, refusal: Option<&Issue>, typed: &ClinicForm) -> Markup {
    let lang = signed.lang;
    let words = lang.words();
    html! {
        section aria-labelledby="add-clinic" {
            h2 #add-clinic { (words.add_clinic) }
            form.inline method="post" action="/clinics" {
                input type="hidden" name="csrf" value=(signed.session.csrf_token);
                label for="clinic_code" { (words.clinic_code) }
                input #clinic_code type="text" name="clinic_code" required maxlength="40"
                    value=(typed.clinic_code.as_deref().unwrap_or_default())
                    aria-describedby=[layout::described_by(refusal, "clinic_code")];
                (field_error(lang, refusal, "clinic_code"))
                label for="clinic_name" { (words.clinic_name) }
                input #clinic_name type="text" name="clinic_name" required maxlength="200"
                    value=(typed.clinic_name.as_deref().unwrap_or_default())
                    aria-describedby=[layout::described_by(refusal, "clinic_name")];
                (field_error(lang, refusal, "clinic_name"))
                button type="submit" { (words.add) }
            }
        }
    }
}

pub(crate) async fn add_clinic(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<ClinicForm>,
) -> Result<Response, Failure> {
    signed.check_csrf(form.csrf.as_deref())?;
    signed
        .require(
            &state,
            ConsoleAction::Administer,
            form.clinic_code.as_deref().map(str::trim),
        )
        .await?;
    let code = form.clinic_code.clone().unwrap_or_default();
    let name = form.clinic_name.clone().unwrap_or_default();
    let actor = signed.session.username.clone();
    let now = Utc::now();
    let added = call(&state, move |conn| {
        clinics::add_clinic(conn, &code, &name, &actor, now)
    })
    .await;
    match added {
        Ok(()) => Ok(see_other("/clinics?done=clinic")),
        Err(BranchError::Refused(issue)) => {
            render(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&issue),
                &form,
            )
            .await
        }
        Err(error) => Err(Failure::of(signed.lang, error)),
    }
}

/// Issues a code and shows it once, in this answer only.
pub(crate) async fn issue_code(
    State(state): State<AppState>,
    signed: Signed,
    Path(clinic): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Failure> {
    signed.check_csrf(form.csrf.as_deref())?;
    signed
        .require(&state, ConsoleAction::Administer, Some(&clinic))
        .await?;
    let actor = signed.session.username.clone();
    let now = Utc::now();
    let for_clinic = clinic.clone();
    let code = call(&state, move |conn| {
        clinics::issue_enrollment_code(conn, &for_clinic, &actor, now)
    })
    .await
    .map_err(|error| Failure::of(signed.lang, error))?;
    let words = signed.lang.words();
    let body = html! {
        p { (words.code_for) " " strong { (clinic) } }
        p.code-box {
            output #enrollment-code data-testid="enrollment-code" { (code) }
            " "
            button type="button" data-copy="#enrollment-code" data-copied=(words.copied) hidden { (words.copy) }
        }
        p.hint { (words.code_shown_once) }
        p { a href="/clinics" { (words.back_to_clinics) } }
    };
    Ok(page(&signed, Nav::Clinics, words.issue_code, "/clinics", body).into_response())
}

fn device_id(signed: &Signed, text: &str) -> Result<Uuid, Failure> {
    Uuid::parse_str(text).map_err(|_| signed.failure(Problem::NotFound))
}

/// The confirmation page before a revocation.
pub(crate) async fn confirm_revoke(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    signed
        .require(&state, ConsoleAction::Administer, Some(&id))
        .await?;
    let id = device_id(&signed, &id)?;
    let devices = call(&state, |conn| clinics::list_devices(conn))
        .await
        .map_err(|error| Failure::of(signed.lang, error))?;
    let device = devices
        .into_iter()
        .find(|device| device.device_id == id)
        .ok_or_else(|| signed.failure(Problem::NotFound))?;
    let words = signed.lang.words();
    let body = html! {
        p { strong { (device.name) } " · " (device.clinic_code) " · " small { (device.device_id) } }
        p { (words.revoke_text) }
        form.confirm method="post" action={ "/devices/" (id) "/revoke" } {
            input type="hidden" name="csrf" value=(signed.session.csrf_token);
            button.danger type="submit" data-testid="confirm-revoke" { (words.confirm_revoke) }
            " " a href="/clinics" { (words.cancel) }
        }
    };
    let here = format!("/devices/{id}/revoke");
    Ok(page(&signed, Nav::Clinics, words.revoke_title, &here, body).into_response())
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Failure> {
    signed.check_csrf(form.csrf.as_deref())?;
    signed
        .require(&state, ConsoleAction::Administer, Some(&id))
        .await?;
    let id = device_id(&signed, &id)?;
    let actor = signed.session.username.clone();
    let now = Utc::now();
    call(&state, move |conn| {
        clinics::revoke_device(conn, id, &actor, now)
    })
    .await
    .map_err(|error| Failure::of(signed.lang, error))?;
    Ok(see_other("/clinics?done=revoked"))
}

/// Walks one desk's audit chain again (`plkk-branch audit verify --device`).
pub(crate) async fn check_chain(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let id = device_id(&signed, &id)?;
    let reports = call(&state, move |conn| {
        crate::admin::verify_audit_in(conn, Some(id))
    })
    .await
    .map_err(|error| Failure::of(signed.lang, error))?;
    let report = reports
        .into_iter()
        .next()
        .ok_or_else(|| signed.failure(Problem::NotFound))?;
    let words = signed.lang.words();
    let body = html! {
        p { strong { (report.device_name) } " · " (report.clinic_code) " · " small { (report.device_id) } }
        dl.fields {
            dt { (words.entries_held) } dd { (report.entries) }
            dt { (words.audit_chain) } dd data-testid="chain-state" {
                @match &report.first_break {
                    None => { (words.chain_sound) }
                    Some(found) => { span.badge.late { (with_n(words.chain_broken, found.seq)) } " " (found.message) }
                }
            }
        }
        p { a href="/clinics" { (words.back_to_clinics) } }
    };
    let here = format!("/devices/{id}/audit");
    Ok(page(&signed, Nav::Clinics, words.chain_title, &here, body).into_response())
}
