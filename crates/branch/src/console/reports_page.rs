//! Laporan (`/reports?from=YYYY-MM&to=YYYY-MM`): per clinic and accident month, the cases, the
//! share that reached the branch within 2×24 h and the share decided within 30 days, as a table
//! and as a bar chart (inline SVG, no script), and the same as CSV (`/reports.csv`, recorded in
//! the officers' audit log). Without months it shows the last six, up to this month.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Local, Months, Utc};
use maud::{html, Markup};
use plkk_domain::Issue;
use serde::Deserialize;

use super::layout::{self, field_error, page, Nav};
use super::{call, Failure, Signed};
use crate::http::AppState;
use crate::reports::{self, MonthRange, ReportRow};
use crate::BranchError;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportForm {
    from: Option<String>,
    to: Option<String>,
}

impl ReportForm {
    /// The months asked for, or the last six up to this month (the branch's local calendar).
    fn months(&self) -> Result<MonthRange, BranchError> {
        let today = Local::now().date_naive();
        let this_month = format!("{:04}-{:02}", today.year(), today.month());
        let earlier = today.checked_sub_months(Months::new(5)).unwrap_or(today);
        let six_ago = format!("{:04}-{:02}", earlier.year(), earlier.month());
        let given = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        MonthRange::new(
            &given(&self.from).unwrap_or(six_ago),
            &given(&self.to).unwrap_or(this_month),
        )
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    signed: Signed,
    form: Result<Query<ReportForm>, QueryRejection>,
) -> Result<Response, Failure> {
    let form = form.map(|Query(form)| form).unwrap_or_default();
    let words = signed.lang.words();
    let (status, months, rows, refusal) = match form.months() {
        Ok(months) => {
            let asked = months.clone();
            let rows = call(&state, move |conn| reports::monthly(conn, &asked))
                .await
                .map_err(|error| Failure::of(signed.lang, error))?;
            (StatusCode::OK, Some(months), rows, None)
        }
        Err(BranchError::Refused(issue)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Vec::new(),
            Some(issue),
        ),
        Err(error) => return Err(Failure::of(signed.lang, error)),
    };
    let body = html! {
        (month_form(&signed, &form, months.as_ref(), refusal.as_ref()))
        @if let Some(months) = &months {
            @if rows.is_empty() {
                p.empty { (words.no_report_rows) }
            } @else {
                p { a.button href={ "/reports.csv?from=" (months.from) "&to=" (months.to) } data-testid="download-csv" { (words.download_csv) } }
                (chart(&signed, &rows))
                (table(&signed, &rows))
            }
        }
    };
    let here = months.as_ref().map_or("/reports".to_owned(), |months| {
        format!("/reports?from={}&to={}", months.from, months.to)
    });
    Ok((
        status,
        page(&signed, Nav::Reports, words.reports_title, &here, body),
    )
        .into_response())
}

pub(crate) async fn download(
    State(state): State<AppState>,
    signed: Signed,
    form: Result<Query<ReportForm>, QueryRejection>,
) -> Result<Response, Failure> {
    let form = form.map(|Query(form)| form).unwrap_or_default();
    let months = match form.months() {
        Ok(months) => months,
        Err(BranchError::Refused(issue)) => {
            let message = super::labels::refusal_message(
                signed.lang,
                &issue.field,
                &issue.rule,
                &issue.params,
            );
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, message).into_response());
        }
        Err(error) => return Err(Failure::of(signed.lang, error)),
    };
    let actor = signed.session.username.clone();
    let now = Utc::now();
    let asked = months.clone();
    let text = call(&state, move |conn| {
        reports::download(conn, &asked, &actor, now)
    })
    .await
    .map_err(|error| Failure::of(signed.lang, error))?;
    let file = format!(
        "attachment; filename=\"laporan-plkk-{}-{}.csv\"",
        months.from, months.to
    );
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&file) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

fn month_form(
    signed: &Signed,
    typed: &ReportForm,
    months: Option<&MonthRange>,
    refusal: Option<&Issue>,
) -> Markup {
    let lang = signed.lang;
    let words = lang.words();
    let value = |typed: &Option<String>, default: Option<&String>| {
        typed
            .clone()
            .or_else(|| default.cloned())
            .unwrap_or_default()
    };
    html! {
        form.inline method="get" action="/reports" {
            label for="from" { (words.month_from) }
            input #from type="month" name="from" value=(value(&typed.from, months.map(|m| &m.from)))
                aria-describedby=[layout::described_by(refusal, "from")];
            (field_error(lang, refusal, "from"))
            label for="to" { (words.month_to) }
            input #to type="month" name="to" value=(value(&typed.to, months.map(|m| &m.to)))
                aria-describedby=[layout::described_by(refusal, "to")];
            (field_error(lang, refusal, "to"))
            button type="submit" { (words.show) }
        }
    }
}

/// Two bars per clinic and month: reported within 2×24 h, decided within 30 days (percent).
fn chart(signed: &Signed, rows: &[ReportRow]) -> Markup {
    let words = signed.lang.words();
    let shown: Vec<&ReportRow> = rows.iter().take(40).collect();
    let row_height = 34;
    let label_width = 210.0;
    let bar_room = 420.0;
    let height = shown.len() * row_height + 30;
    html! {
        figure.chart {
            figcaption { (words.chart_title) }
            svg role="img" aria-label=(words.chart_title) viewBox={ "0 0 700 " (height) }
                width="700" height=(height) xmlns="http://www.w3.org/2000/svg" {
                @for (index, row) in shown.iter().enumerate() {
                    @let y = index * row_height + 8;
                    @let within = row.percent(row.reported_within_2x24h);
                    @let decided = row.percent(row.concluded_within_30_days);
                    text x="0" y=(y + 14) class="label" { (row.month) " " (row.clinic_code) }
                    rect x=(label_width) y=(y) width=(bar_room * within / 100.0) height="12" class="bar-within" {}
                    text x=(label_width + bar_room * within / 100.0 + 6.0) y=(y + 11) class="value" { (format!("{within:.1}")) " %" }
                    rect x=(label_width) y=(y + 14) width=(bar_room * decided / 100.0) height="10" class="bar-decided" {}
                    text x=(label_width + bar_room * decided / 100.0 + 6.0) y=(y + 24) class="value small" { (format!("{decided:.1}")) " %" }
                }
                g transform={ "translate(" (label_width) "," (height - 12) ")" } {
                    rect x="0" y="-9" width="10" height="10" class="bar-within" {}
                    text x="14" y="0" class="value" { (words.col_within) }
                    rect x="210" y="-9" width="10" height="10" class="bar-decided" {}
                    text x="224" y="0" class="value" { (words.col_concluded) }
                }
            }
        }
    }
}

fn table(signed: &Signed, rows: &[ReportRow]) -> Markup {
    let words = signed.lang.words();
    html! {
        div.table-wrap {
            table.compact data-testid="report" {
                thead { tr {
                    th scope="col" { (words.col_month) } th scope="col" { (words.col_clinic) }
                    th scope="col" { (words.col_cases) } th scope="col" { (words.col_within) }
                    th scope="col" { (words.col_concluded) } th scope="col" { (words.col_open) }
                } }
                tbody {
                    @for row in rows {
                        tr {
                            td { (row.month) }
                            td { (row.clinic_name) " " small { (row.clinic_code) } }
                            td.number { (row.cases) }
                            td.number { (row.reported_within_2x24h) " (" (format!("{:.1}", row.percent(row.reported_within_2x24h))) " %)" }
                            td.number { (row.concluded_within_30_days) " (" (format!("{:.1}", row.percent(row.concluded_within_30_days))) " %)" }
                            td.number { (row.open) }
                        }
                    }
                }
            }
        }
    }
}
