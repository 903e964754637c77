//! The inbox (Kasus masuk): every case of the branch's clinics, newest first (in the order the
//! branch received them), [`PAGE_SIZE`] to a page, with filters and one search box. It reads the
//! `inbox` table, a projection of the cases kept by triggers (migration `0010_console`), whose
//! columns are the filters, each with an index, so a page is answered from an index at any size.
//!
//! - search `q`: with a digit in it, the start of a NIK or KPJ (spaces ignored, letters upper
//!   case); otherwise the starts of words of the patient's name (`siti nur` finds "Nur Aini
//!   Siti"), through the full-text index `inbox_names`;
//! - `clinic` (code), `status`, `segment`;
//! - `late`: received more than 2×24 h after the accident (the stage I deadline, DOMAIN.md);
//! - `overdue`: no decision yet and received more than [`CONCLUDE_WITHIN_DAYS`] days ago. A
//!   decision is `concluded_work_accident`, `concluded_not_work_accident` or `not_eligible`
//!   (the branch found the claim not covered): each stops the 30-day clock;
//! - `conflict`: a correction of the case is in conflict;
//! - `clock`: the desk's clock was more than 5 minutes off when the case arrived: the intake was
//!   written or admitted (by the desk's clock) more than 5 minutes after the branch received it,
//!   or the desk's last sync before it showed an offset over 5 minutes.

use chrono::{DateTime, Utc};
use plkk_domain::{limits, Segment};
use plkk_protocol::CaseStatus;
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use serde::Serialize;

use crate::BranchError;

/// Cases on one page.
pub const PAGE_SIZE: u32 = 50;
/// The highest page number asked for (a deeper page is refused).
pub const MAX_PAGE: u32 = 10_000;
/// The branch concludes a case within this many days of receiving it (DOMAIN.md, step 6).
pub const CONCLUDE_WITHIN_DAYS: i64 = 30;
const DAY: i64 = 86_400;

/// The yes/no filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxFilter {
    /// Received after the 2×24 h deadline.
    Late,
    /// Without a decision after 30 days.
    Overdue,
    /// Has a correction in conflict.
    Conflict,
    /// The desk's clock was flagged.
    Clock,
}

impl InboxFilter {
    pub const ALL: [InboxFilter; 4] = [
        InboxFilter::Late,
        InboxFilter::Overdue,
        InboxFilter::Conflict,
        InboxFilter::Clock,
    ];

    /// Its name in the console's query string and the CLI's flags.
    pub fn as_str(self) -> &'static str {
        match self {
            InboxFilter::Late => "late",
            InboxFilter::Overdue => "overdue",
            InboxFilter::Conflict => "conflict",
            InboxFilter::Clock => "clock",
        }
    }
}

/// What the officer asked the inbox for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxQuery {
    /// The search box: a name, or the start of a NIK or KPJ.
    pub q: Option<String>,
    /// A clinic's code.
    pub clinic: Option<String>,
    pub status: Option<CaseStatus>,
    pub segment: Option<Segment>,
    pub filters: Vec<InboxFilter>,
    /// 1 for the newest cases.
    pub page: u32,
}

/// One case as the inbox lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxRow {
    pub id: String,
    pub full_name: String,
    pub nik: Option<String>,
    pub kpj: Option<String>,
    pub clinic_code: String,
    pub clinic_name: String,
    pub segment: String,
    /// As the desk gave it (RFC 3339 with the clinic's offset).
    pub accident_at: String,
    /// The branch's clock (RFC 3339 UTC).
    pub received_at: String,
    /// Received within 2×24 h of the accident.
    pub within_deadline: bool,
    pub status: String,
    /// Days left to decide, rounded up (negative: days overdue); None once decided.
    pub days_left: Option<i64>,
    pub has_conflict: bool,
    pub clock_flagged: bool,
}

/// One page of the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxPage {
    pub page: u32,
    pub rows: Vec<InboxRow>,
    /// Whether an older page exists.
    pub has_more: bool,
}

/// The page `query` asks for, at `now`.
pub(crate) fn page(
    conn: &Connection,
    query: &InboxQuery,
    now: DateTime<Utc>,
) -> Result<InboxPage, BranchError> {
    let page = query.page.max(1);
    if page > MAX_PAGE {
        return Err(BranchError::refused(
            "page",
            "out_of_range",
            format!("page: at most {MAX_PAGE}; narrow the search with a filter"),
        ));
    }
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<SqlValue> = Vec::new();
    let mut from = "inbox x".to_owned();
    if let Some(search) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if let Some(refusal) = limits::refusal(limits::CONSOLE, "q", search) {
            return Err(BranchError::Refused(refusal));
        }
        match Search::of(search) {
            Search::Identity(prefix) => {
                conditions
                    .push("((x.nik >= ? AND x.nik < ?) OR (x.kpj >= ? AND x.kpj < ?))".to_owned());
                let end = format!("{prefix}\u{FFFF}");
                values.extend([
                    SqlValue::Text(prefix.clone()),
                    SqlValue::Text(end.clone()),
                    SqlValue::Text(prefix),
                    SqlValue::Text(end),
                ]);
            }
            Search::Name(expression) => {
                from = "inbox_names JOIN inbox x ON x.seq = inbox_names.rowid".to_owned();
                conditions.push("inbox_names MATCH ?".to_owned());
                values.push(SqlValue::Text(expression));
            }
            Search::Nothing => {}
        }
    }
    if let Some(clinic) = &query.clinic {
        conditions.push("x.clinic_id = (SELECT id FROM clinics WHERE code = ?)".to_owned());
        values.push(SqlValue::Text(clinic.trim().to_owned()));
    }
    if let Some(status) = query.status {
        conditions.push("x.status = ?".to_owned());
        values.push(SqlValue::Text(status.as_str().to_owned()));
    }
    if let Some(segment) = query.segment {
        conditions.push("x.segment = ?".to_owned());
        values.push(SqlValue::Text(segment.as_str().to_owned()));
    }
    for filter in &query.filters {
        match filter {
            InboxFilter::Late => conditions.push("x.reported_late = 1".to_owned()),
            InboxFilter::Conflict => conditions.push("x.has_conflict = 1".to_owned()),
            InboxFilter::Clock => conditions.push("x.clock_flagged = 1".to_owned()),
            InboxFilter::Overdue => {
                conditions.push("x.decided_at IS NULL AND x.received_at < ?".to_owned());
                values.push(SqlValue::Integer(
                    now.timestamp() - CONCLUDE_WITHIN_DAYS * DAY,
                ));
            }
        }
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT x.intake_id, x.full_name, x.nik, x.kpj, k.code, k.name, x.segment,
                json_extract(c.record, '$.accident_at'), x.received_at, x.reported_late,
                x.status, x.decided_at, x.has_conflict, x.clock_flagged
         FROM (SELECT x.seq FROM {from} {filter} ORDER BY x.seq DESC LIMIT ? OFFSET ?) p
         JOIN inbox x ON x.seq = p.seq
         JOIN clinics k ON k.id = x.clinic_id
         JOIN cases c ON c.intake_id = x.intake_id
         ORDER BY x.seq DESC"
    );
    values.push(SqlValue::Integer(i64::from(PAGE_SIZE) + 1));
    values.push(SqlValue::Integer(
        i64::from(page - 1) * i64::from(PAGE_SIZE),
    ));
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement
        .query_map(rusqlite::params_from_iter(values), |row| {
            let received_at: i64 = row.get(8)?;
            let decided_at: Option<i64> = row.get(11)?;
            let deadline = received_at + CONCLUDE_WITHIN_DAYS * DAY;
            Ok(InboxRow {
                id: row.get(0)?,
                full_name: row.get(1)?,
                nik: row.get(2)?,
                kpj: row.get(3)?,
                clinic_code: row.get(4)?,
                clinic_name: row.get(5)?,
                segment: row.get(6)?,
                accident_at: row.get(7)?,
                received_at: DateTime::from_timestamp(received_at, 0)
                    .unwrap_or_default()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                within_deadline: !row.get::<_, bool>(9)?,
                status: row.get(10)?,
                days_left: decided_at
                    .is_none()
                    .then(|| whole_days(deadline - now.timestamp())),
                has_conflict: row.get(12)?,
                clock_flagged: row.get(13)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let has_more = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    Ok(InboxPage {
        page,
        rows,
        has_more,
    })
}

/// Seconds as days, rounded away from zero: a case received a moment ago has 30 days left, one
/// a second past its deadline is 1 day overdue.
fn whole_days(seconds: i64) -> i64 {
    if seconds >= 0 {
        (seconds + DAY - 1) / DAY
    } else {
        -((-seconds + DAY - 1) / DAY)
    }
}

/// What the search box asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Search {
    /// The start of a NIK or KPJ, as stored (digits, upper-case letters).
    Identity(String),
    /// An FTS5 expression: every word typed, as the start of a word of the name.
    Name(String),
    Nothing,
}

impl Search {
    fn of(typed: &str) -> Search {
        if typed.chars().any(|c| c.is_ascii_digit()) {
            let prefix: String = typed
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_uppercase())
                .collect();
            return if prefix.is_empty() {
                Search::Nothing
            } else {
                Search::Identity(prefix)
            };
        }
        let words: Vec<String> = typed
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .take(8)
            .map(|word| format!("\"{}\"*", word.replace('"', "")))
            .collect();
        if words.is_empty() {
            Search::Nothing
        } else {
            Search::Name(words.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(typed: &str, expected: Search) {
        assert_eq!(Search::of(typed), expected, "typed {typed:?}");
    }

    #[test]
    fn the_search_box_reads_identities_and_names() {
        check("3216", Search::Identity("3216".into()));
        check(" 3216 05 ", Search::Identity("321605".into()));
        check("12ab", Search::Identity("12AB".into()));
        check("siti", Search::Name("\"siti\"*".into()));
        check("Siti  Nur", Search::Name("\"Siti\"* \"Nur\"*".into()));
        check("o'neil", Search::Name("\"o\"* \"neil\"*".into()));
        check("\"*", Search::Nothing);
        check("   ", Search::Nothing);
    }
}
