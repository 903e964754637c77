//! Petugas (`/officers`) and Log petugas (`/audit`), for administrators: the officer accounts
//! with their role, open sessions and failed sign-ins; adding one (username, full name, role,
//! password); removing one after a confirmation page (its open sessions end at once); and the
//! officers' audit log, newest first, with the state of its hash chain.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{html, Markup};
use plkk_domain::Issue;
use serde::Deserialize;

use super::labels::{role_label, with_n};
use super::layout::{self, branch_time, field_error, notice, page, Nav};
use super::{call, see_other, Failure, Signed};
use crate::http::AppState;
use crate::officer_audit;
use crate::officers::{self, ConsoleAction, NewOfficer, OfficerRole};
use crate::BranchError;

/// Entries the log page shows (the newest).
const LOG_PAGE: u32 = 500;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Shown {
    done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct OfficerForm {
    csrf: Option<String>,
    username: Option<String>,
    display_name: Option<String>,
    role: Option<String>,
    password: Option<String>,
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
    signed
        .require(&state, ConsoleAction::Administer, None)
        .await?;
    let words = signed.lang.words();
    let message = match shown.ok().and_then(|Query(shown)| shown.done).as_deref() {
        Some("added") => Some(words.officer_added),
        Some("removed") => Some(words.officer_removed),
        _ => None,
    };
    render(
        &state,
        &signed,
        StatusCode::OK,
        message,
        None,
        &OfficerForm::default(),
    )
    .await
}

async fn render(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    message: Option<&str>,
    refusal: Option<&Issue>,
    typed: &OfficerForm,
) -> Result<Response, Failure> {
    let now = Utc::now();
    let list = call(state, move |conn| officers::list(conn, now))
        .await
        .map_err(|error| Failure::of(signed.lang, error))?;
    let lang = signed.lang;
    let words = lang.words();
    let body = html! {
        @if let Some(message) = message { (notice(message)) }
        div.table-wrap { table.compact data-testid="officers" {
            thead { tr {
                th { (words.username) } th { (words.display_name) } th { (words.role) }
                th { (words.open_sessions) } th { (words.failures) } th {}
            } }
            tbody {
                @for officer in &list {
                    tr {
                        td { (officer.username) }
                        td { (officer.display_name) }
                        td { (role_label(lang, officer.role.as_str())) }
                        td.number { (officer.open_sessions) }
                        td.number { (officer.failures) }
                        td {
                            @if officer.username != signed.session.username {
                                a.danger href={ "/officers/" (officer.username) "/remove" } { (words.remove) }
                            }
                        }
                    }
                }
            }
        } }
        (add_form(signed, refusal, typed))
    };
    let html = page(
        signed,
        Nav::Officers,
        words.officers_title,
        "/officers",
        body,
    );
    Ok((status, html).into_response())
}

fn add_form(signed: &Signed, refusal: Option<&Issue>, typed: &OfficerForm) -> Markup {
    let lang = signed.lang;
    let words = lang.words();
    let chosen = typed.role.as_deref().unwrap_or("verifier");
    html! {
        section aria-labelledby="add-officer" {
            h2 #add-officer { (words.add_officer) }
            form.stacked method="post" action="/officers" autocomplete="off" {
                input type="hidden" name="csrf" value=(signed.session.csrf_token);
                label for="new-username" { (words.username) }
                input #new-username type="text" name="username" required maxlength="32"
                    value=(typed.username.as_deref().unwrap_or_default())
                    aria-describedby=[layout::described_by(refusal, "username")];
                (field_error(lang, refusal, "username"))
                label for="display_name" { (words.display_name) }
                input #display_name type="text" name="display_name" required maxlength="100"
                    value=(typed.display_name.as_deref().unwrap_or_default())
                    aria-describedby=[layout::described_by(refusal, "display_name")];
                (field_error(lang, refusal, "display_name"))
                label for="role" { (words.role) }
                select #role name="role" aria-describedby=[layout::described_by(refusal, "role")] {
                    @for role in OfficerRole::ALL {
                        option value=(role.as_str()) selected[chosen == role.as_str()] { (role_label(lang, role.as_str())) }
                    }
                }
                (field_error(lang, refusal, "role"))
                label for="new-password" { (words.password) }
                input #new-password type="password" name="password" required minlength="8" maxlength="256"
                    autocomplete="new-password" aria-describedby=[layout::described_by(refusal, "password")];
                (field_error(lang, refusal, "password"))
                button type="submit" { (words.add) }
            }
        }
    }
}

pub(crate) async fn add(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<OfficerForm>,
) -> Result<Response, Failure> {
    signed.check_csrf(form.csrf.as_deref())?;
    signed
        .require(
            &state,
            ConsoleAction::Administer,
            form.username.as_deref().map(str::trim),
        )
        .await?;
    let Some(role) = form.role.as_deref().and_then(OfficerRole::parse) else {
        let issue = refused_issue("role", "choice", "role: choose viewer, verifier or admin");
        return render(
            &state,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(&issue),
            &form,
        )
        .await;
    };
    let (username, display_name, password) = (
        form.username.clone().unwrap_or_default(),
        form.display_name.clone().unwrap_or_default(),
        form.password.clone().unwrap_or_default(),
    );
    let actor = signed.session.username.clone();
    let now = Utc::now();
    let added = call(&state, move |conn| {
        let new = NewOfficer {
            username: &username,
            display_name: &display_name,
            role,
            password: &password,
        };
        officers::add(conn, new, &actor, now)
    })
    .await;
    match added {
        Ok(_) => Ok(see_other("/officers?done=added")),
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

fn refused_issue(field: &str, rule: &str, message: &str) -> Issue {
    Issue {
        field: field.to_owned(),
        rule: rule.to_owned(),
        severity: plkk_domain::Severity::Error,
        message: message.to_owned(),
        params: Default::default(),
    }
}

pub(crate) async fn confirm_remove(
    State(state): State<AppState>,
    signed: Signed,
    Path(username): Path<String>,
) -> Result<Response, Failure> {
    signed
        .require(&state, ConsoleAction::Administer, Some(&username))
        .await?;
    let max = plkk_domain::limits::max_of(plkk_domain::limits::OFFICER, "username");
    if username.chars().count() > max {
        return Err(signed.failure(super::Problem::NotFound));
    }
    let words = signed.lang.words();
    let body = html! {
        p { strong { (username) } }
        p { (words.remove_text) }
        form.confirm method="post" action={ "/officers/" (username) "/remove" } {
            input type="hidden" name="csrf" value=(signed.session.csrf_token);
            button.danger type="submit" { (words.confirm_remove) }
            " " a href="/officers" { (words.cancel) }
        }
    };
    let here = format!("/officers/{username}/remove");
    Ok(page(&signed, Nav::Officers, words.remove_title, &here, body).into_response())
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    signed: Signed,
    Path(username): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Failure> {
    signed.check_csrf(form.csrf.as_deref())?;
    signed
        .require(&state, ConsoleAction::Administer, Some(&username))
        .await?;
    let actor = signed.session.username.clone();
    let now = Utc::now();
    call(&state, move |conn| {
        officers::remove(conn, &username, &actor, now)
    })
    .await
    .map_err(|error| Failure::of(signed.lang, error))?;
    Ok(see_other("/officers?done=removed"))
}

pub(crate) async fn audit_log(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Response, Failure> {
    signed
        .require(&state, ConsoleAction::Administer, None)
        .await?;
    let log = call(&state, |conn| officer_audit::read(conn, Some(LOG_PAGE)))
        .await
        .map_err(|error| Failure::of(signed.lang, error))?;
    let words = signed.lang.words();
    let body = html! {
        @match &log.first_break {
            None => p.notice data-testid="log-state" { (words.log_sound) },
            Some(found) => p.message role="alert" data-testid="log-state" { (with_n(words.log_broken, found.seq)) " " (found.message) },
        }
        div.table-wrap { table.compact data-testid="officer-log" {
            thead { tr { th { "#" } th { (words.at) } th { (words.col_actor) } th { (words.col_action) } th { (words.col_subject) } th {} } }
            tbody {
                @for entry in log.entries.iter().rev() {
                    tr {
                        td.number { (entry.seq) }
                        td { (branch_time(&entry.at)) }
                        td { (entry.actor) }
                        td { code { (entry.action) } }
                        td { (entry.subject.as_deref().unwrap_or("")) }
                        td { small { (entry.detail) } }
                    }
                }
            }
        } }
    };
    Ok(page(&signed, Nav::Audit, words.audit_title, "/audit", body).into_response())
}
