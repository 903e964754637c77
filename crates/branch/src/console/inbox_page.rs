//! Kasus masuk: the console's home page (`/`). Signed out, it is the sign-in page. Signed in, it
//! is the inbox (`inbox::page`): one search box `q`, the filters `clinic`, `branch_status`,
//! `segment`, `late`, `overdue`, `conflict`, `clock`, and `page`; each row links to its case
//! through the patient's full name. A refused filter is named beside its field (422).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{html, Markup};
use plkk_domain::{Issue, Segment};
use plkk_protocol::CaseStatus;
use serde::Deserialize;

use super::labels::{status_label, with_n};
use super::layout::{self, branch_time, desk_time, field_error, page, Nav};
use super::sign_in::sign_in_page;
use super::{call, Failure, Problem, Signed, Visit};
use crate::clinics::{self, ClinicRow};
use crate::http::AppState;
use crate::inbox::{self, InboxFilter, InboxPage, InboxQuery};
use crate::BranchError;

/// The inbox's query string: every value as typed, checked by [`InboxForm::query`].
#[derive(Debug, Default, Deserialize)]
pub(crate) struct InboxForm {
    q: Option<String>,
    clinic: Option<String>,
    branch_status: Option<String>,
    segment: Option<String>,
    late: Option<String>,
    overdue: Option<String>,
    conflict: Option<String>,
    clock: Option<String>,
    page: Option<String>,
}

fn present(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

impl InboxForm {
    fn query(&self) -> Result<InboxQuery, BranchError> {
        let choice = |field: &str, text: &str| {
            BranchError::refused(
                field,
                "choice",
                format!(
                    "{field}: {} is not one of the choices",
                    plkk_domain::limits::echo(text)
                ),
            )
        };
        let status = present(&self.branch_status)
            .map(|text| CaseStatus::parse(text).ok_or_else(|| choice("branch_status", text)))
            .transpose()?;
        let segment = present(&self.segment)
            .map(|text| Segment::parse(text).ok_or_else(|| choice("segment", text)))
            .transpose()?;
        let page = match present(&self.page) {
            None => 1,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|page| *page >= 1)
                .ok_or_else(|| {
                    BranchError::refused("page", "out_of_range", "page: a number from 1")
                })?,
        };
        let flags = [
            (InboxFilter::Late, &self.late),
            (InboxFilter::Overdue, &self.overdue),
            (InboxFilter::Conflict, &self.conflict),
            (InboxFilter::Clock, &self.clock),
        ];
        Ok(InboxQuery {
            q: present(&self.q).map(str::to_owned),
            clinic: present(&self.clinic).map(str::to_owned),
            status,
            segment,
            filters: flags
                .into_iter()
                .filter(|(_, value)| present(value).is_some())
                .map(|(filter, _)| filter)
                .collect(),
            page,
        })
    }

    /// This query string with another page number.
    fn with_page(&self, page: u32) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let fields = [
            ("q", &self.q),
            ("clinic", &self.clinic),
            ("branch_status", &self.branch_status),
            ("segment", &self.segment),
            ("late", &self.late),
            ("overdue", &self.overdue),
            ("conflict", &self.conflict),
            ("clock", &self.clock),
        ];
        for (name, value) in fields {
            if let Some(value) = present(value) {
                pairs.push((name, value.to_owned()));
            }
        }
        pairs.push(("page", page.to_string()));
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(name, value)| format!("{name}={}", encode(value)))
            .collect();
        format!("/?{}", encoded.join("&"))
    }
}

/// `text` percent-encoded for a query string.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

pub(crate) async fn home(
    State(state): State<AppState>,
    visit: Visit,
    signed: Result<Signed, Failure>,
    form: Result<Query<InboxForm>, QueryRejection>,
) -> Response {
    let signed = match signed {
        Ok(signed) => signed,
        Err(Failure {
            problem: Problem::SignedOut,
            ..
        }) => return sign_in_page(&state, &visit, StatusCode::OK, "", None, "/"),
        Err(failure) => return failure.into_response(),
    };
    let form = form.map(|Query(form)| form).unwrap_or_default();
    let now = Utc::now();
    let asked = form.query();
    let result = call(&state, move |conn| {
        let clinics = clinics::list_clinics(conn, now)?;
        let found = asked.and_then(|query| inbox::page(conn, &query, now));
        Ok((clinics, found))
    })
    .await;
    let (clinics, found) = match result {
        Ok(found) => found,
        Err(error) => return Failure::of(signed.lang, error).into_response(),
    };
    let (status, page_found, refusal) = match found {
        Ok(found) => (StatusCode::OK, Some(found), None),
        Err(BranchError::Refused(issue)) => (StatusCode::UNPROCESSABLE_ENTITY, None, Some(issue)),
        Err(error) => return Failure::of(signed.lang, error).into_response(),
    };
    let here = form.with_page(page_found.as_ref().map_or(1, |found| found.page));
    let body = html! {
        (filters(&signed, &form, &clinics, refusal.as_ref()))
        @if let Some(found) = &page_found {
            (table(&signed, found))
            (pager(&signed, &form, found))
        }
    };
    let words = signed.lang.words();
    (
        status,
        page(&signed, Nav::Inbox, words.nav_inbox, &here, body),
    )
        .into_response()
}

fn filters(
    signed: &Signed,
    form: &InboxForm,
    clinics: &[ClinicRow],
    refusal: Option<&Issue>,
) -> Markup {
    let lang = signed.lang;
    let words = lang.words();
    let selected = |value: &Option<String>, option: &str| present(value) == Some(option);
    let checked = |value: &Option<String>| present(value).is_some();
    html! {
        form.filters method="get" action="/" role="search" {
            div.search {
                label for="q" { (words.search_label) }
                input #q type="search" name="q" value=[present(&form.q)] maxlength="100"
                    autocomplete="off" aria-describedby=[layout::described_by(refusal, "q")];
                button type="submit" { (words.search_button) }
                (field_error(lang, refusal, "q"))
            }
            div.filter-row {
                label { (words.filter_clinic) " "
                    select name="clinic" {
                        option value="" { (words.all) }
                        @for clinic in clinics {
                            option value=(clinic.code) selected[selected(&form.clinic, &clinic.code)] {
                                (clinic.name) " (" (clinic.code) ")"
                            }
                        }
                    }
                }
                label { (words.filter_status) " "
                    select name="branch_status" aria-describedby=[layout::described_by(refusal, "branch_status")] {
                        option value="" { (words.all) }
                        @for status in CaseStatus::ALL {
                            option value=(status.as_str()) selected[selected(&form.branch_status, status.as_str())] {
                                (status_label(lang, status.as_str()))
                            }
                        }
                    }
                }
                label { (words.filter_segment) " "
                    select name="segment" {
                        option value="" { (words.all) }
                        @for segment in Segment::ALL {
                            option value=(segment.as_str()) selected[selected(&form.segment, segment.as_str())] {
                                (segment.as_str())
                            }
                        }
                    }
                }
            }
            (field_error(lang, refusal, "branch_status"))
            (field_error(lang, refusal, "segment"))
            (field_error(lang, refusal, "page"))
            div.filter-row {
                label.check { input type="checkbox" name="late" value="1" checked[checked(&form.late)]; " " (words.filter_late) }
                label.check { input type="checkbox" name="overdue" value="1" checked[checked(&form.overdue)]; " " (words.filter_overdue) }
                label.check { input type="checkbox" name="conflict" value="1" checked[checked(&form.conflict)]; " " (words.filter_conflict) }
                label.check { input type="checkbox" name="clock" value="1" checked[checked(&form.clock)]; " " (words.filter_clock) }
                button type="submit" { (words.apply) }
                a href="/" { (words.reset) }
            }
        }
    }
}

fn table(signed: &Signed, found: &InboxPage) -> Markup {
    let lang = signed.lang;
    let words = lang.words();
    if found.rows.is_empty() {
        return html! { p.empty data-testid="no-cases" { (words.no_cases) } };
    }
    html! {
        div.table-wrap {
            table.inbox data-testid="inbox" {
                thead {
                    tr {
                        th scope="col" { (words.col_patient) }
                        th scope="col" { (words.col_clinic) }
                        th scope="col" { (words.col_accident) }
                        th scope="col" { (words.col_received) }
                        th scope="col" { (words.col_status) }
                        th scope="col" { (words.col_days_left) }
                    }
                }
                tbody {
                    @for row in &found.rows {
                        tr data-case=(row.id) {
                            td {
                                a href={ "/cases/" (row.id) } { (row.full_name) }
                                br;
                                small.ids {
                                    @if let Some(nik) = &row.nik { "NIK " (nik) " " }
                                    @if let Some(kpj) = &row.kpj { "KPJ " (kpj) " " }
                                    (row.segment)
                                }
                                @if row.has_conflict { " " span.badge.warn { (words.conflict_badge) } }
                                @if row.clock_flagged { " " span.badge.warn { (words.clock_badge) } }
                            }
                            td { (row.clinic_name) }
                            td.when { (desk_time(&row.accident_at)) }
                            td.when {
                                (branch_time(&row.received_at)) br;
                                @if row.within_deadline {
                                    span.badge.ok { (words.within_deadline) }
                                } @else {
                                    span.badge.late { (words.past_deadline) }
                                }
                            }
                            td { (status_label(lang, &row.status)) }
                            td {
                                @match row.days_left {
                                    None => { (words.decided) }
                                    Some(days) if days >= 0 => { (with_n(words.days_left, days)) }
                                    Some(days) => { span.badge.late { (with_n(words.days_overdue, -days)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn pager(signed: &Signed, form: &InboxForm, found: &InboxPage) -> Markup {
    let words = signed.lang.words();
    html! {
        nav.pager aria-label=(words.page) {
            @if found.page > 1 {
                a rel="prev" href=(form.with_page(found.page - 1)) { (words.newer) }
            }
            span { (words.page) " " (found.page) }
            @if found.has_more {
                a rel="next" href=(form.with_page(found.page + 1)) { (words.older) }
            }
        }
    }
}
