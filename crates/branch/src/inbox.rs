//! The inbox (Kasus masuk): every case of the branch's clinics, newest first (in the order the
//! branch received them), [`PAGE_SIZE`] to a page, with filters and one search box. It reads the
//! `inbox` table, a projection of the cases kept by triggers (migration `0010_console`), whose
//! columns are the filters, each with an index, so a page is answered from an index at any size.
//!
//! - search `q`, read with the desk's search normal form (`plkk_domain::normalise`, the one
//!   normaliser of typed queries and indexes): groups of digits (with the spaces, dashes or dots
//!   people type between them) are the start of a NIK or KPJ (`3216-0557` finds
//!   `3216055708900014`); anything else is the starts of words of the patient's name
//!   (`siti nur` finds "Nur Aini Siti"; `marufah` finds "Siti Ma'rufah"; no case or accents),
//!   through the full-text index `inbox_names`, which holds the names in the same normal form
//!   (migration `0015_inbox_normal_form`, written through the SQL function `plkk_search_words`);
//! - `clinic` (code), `status`, `segment`;
//! - `late`: received more than 2×24 h after the accident (the stage I deadline, DOMAIN.md);
//! - `overdue`: no decision yet and received more than [`CONCLUDE_WITHIN_DAYS`] days ago. A
//!   decision is `concluded_work_accident`, `concluded_not_work_accident` or `not_eligible`
//!   (the branch found the claim not covered): each stops the 30-day clock;
//! - `conflict`: a correction of the case is in conflict;
//! - `clock`: the desk's clock was more than 5 minutes off when the case arrived: the push that
//!   carried it said so (its `desk_time` against the branch's clock), or the intake was written or
//!   admitted (by the desk's clock) more than 5 minutes after the branch received it, or the
//!   desk's last pull before it showed an offset over 5 minutes.

use chrono::{DateTime, Utc};
use plkk_domain::{limits, normalise, Segment};
use plkk_protocol::CaseStatus;
use rusqlite::functions::FunctionFlags;

use crate::sql::{Db, Dialect, Insert, Value as SqlValue};
use serde::Serialize;

use crate::BranchError;

/// Cases on one page.
pub const PAGE_SIZE: u32 = 50;
/// The highest page number asked for (a deeper page is refused).
pub const MAX_PAGE: u32 = 10_000;
/// The branch concludes a case within this many days of receiving it (DOMAIN.md, step 6).
pub const CONCLUDE_WITHIN_DAYS: i64 = 30;
const DAY: i64 = 86_400;
/// From this many NIK and KPJ matches on, a search prefix counts as common (see `page`).
const COMMON_PREFIX_MATCHES: i64 = 2_000;

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
    conn: &Db,
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
    let mut order = "x.seq";
    if let Some(search) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if let Some(refusal) = limits::refusal(limits::CONSOLE, "q", search) {
            return Err(BranchError::Refused(refusal));
        }
        match Search::of(search) {
            Search::Identity(prefix) => {
                let end = format!("{prefix}\u{FFFF}");
                // A short prefix matches most cases: then walking the newest first and testing
                // each is quicker than sorting every match; a long one matches a few, found
                // through the NIK and KPJ indexes. Counting (up to a bound) tells which.
                let common = prefix_matches(conn, &prefix, &end)? >= COMMON_PREFIX_MATCHES;
                // `+` keeps SQLite's planner off the index; PostgreSQL's plans by statistics.
                let plus = if common && conn.dialect() == Dialect::Sqlite {
                    "+"
                } else {
                    ""
                };
                conditions.push(format!(
                    "(({plus}x.nik >= ? AND {plus}x.nik < ?) OR ({plus}x.kpj >= ? AND {plus}x.kpj < ?))"
                ));
                values.extend([
                    SqlValue::Text(prefix.clone()),
                    SqlValue::Text(end.clone()),
                    SqlValue::Text(prefix),
                    SqlValue::Text(end),
                ]);
            }
            Search::Name(words) if conn.dialect() == Dialect::Postgres => {
                // PostgreSQL: every typed word starts a word of `inbox_names.name_words`
                // (walked newest first from the inbox's key; no FTS5 there).
                from = "inbox x JOIN inbox_names n ON n.intake_id = x.intake_id".to_owned();
                for word in words {
                    conditions.push("(' ' || n.name_words) LIKE ?".to_owned());
                    values.push(SqlValue::Text(format!("% {word}%")));
                }
            }
            Search::Name(words) => {
                // Normalised words hold only letters and digits: quoted, nothing typed is FTS5
                // syntax.
                let expression = words
                    .iter()
                    .map(|word| format!("\"{word}\"*"))
                    .collect::<Vec<_>>()
                    .join(" ");
                // The name index walks its matches newest first and stops at the page's end,
                // whatever other filter is set (CROSS JOIN keeps it the outer loop).
                from = "inbox_names CROSS JOIN inbox x ON x.seq = inbox_names.rowid".to_owned();
                order = "inbox_names.rowid";
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
    // The page's rows are found first (the subquery), then completed: CROSS JOIN keeps that
    // order, which the planner would otherwise turn around (the LIMIT is a parameter).
    // SQLite's CROSS JOIN is its planner's fixed order; PostgreSQL has no ON for it and plans
    // the join by statistics.
    let (accident_at, join) = match conn.dialect() {
        Dialect::Sqlite => ("json_extract(c.record, '$.accident_at')", "CROSS JOIN"),
        Dialect::Postgres => ("(c.record::jsonb ->> 'accident_at')", "JOIN"),
    };
    let sql = format!(
        "SELECT x.intake_id, x.full_name, x.nik, x.kpj, k.code, k.name, x.segment,
                {accident_at}, x.received_at, x.reported_late,
                x.status, x.decided_at, x.has_conflict, x.clock_flagged
         FROM (SELECT x.seq FROM {from} {filter} ORDER BY {order} DESC LIMIT ? OFFSET ?) p
         {join} inbox x ON x.seq = p.seq
         {join} clinics k ON k.id = x.clinic_id
         {join} cases c ON c.intake_id = x.intake_id
         ORDER BY x.seq DESC"
    );
    values.push(SqlValue::Integer(i64::from(PAGE_SIZE) + 1));
    values.push(SqlValue::Integer(
        i64::from(page - 1) * i64::from(PAGE_SIZE),
    ));
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement
        .query_map(crate::sql::params_from_iter(values), |row| {
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
                within_deadline: !row.get::<bool>(9)?,
                status: row.get(10)?,
                days_left: decided_at
                    .is_none()
                    .then(|| whole_days(deadline - now.timestamp())),
                has_conflict: row.get(12)?,
                clock_flagged: row.get(13)?,
            })
        })?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    let has_more = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    Ok(InboxPage {
        page,
        rows,
        has_more,
    })
}

/// The newest case in the inbox (its seq, 0 when none) on SQLite, where a push indexes the names
/// of the cases it adds after it ([`index_names_after`]); 0 on PostgreSQL, where nothing reads it.
pub(crate) fn newest_case(tx: &Db) -> crate::sql::Result<i64> {
    if tx.dialect() == Dialect::Postgres {
        return Ok(0);
    }
    tx.prepare_cached("SELECT coalesce(max(seq), 0) FROM inbox")?
        .query_row([], |row| row.get(0))
}

/// Writes the SQLite name index of the cases after `after` (see [`newest_case`]) in one
/// statement at the end of a push: FTS5 writes the terms it holds to disk at the start of every
/// later statement of the transaction, so one insert per case wrote a small index segment per
/// case (migration 0051). On PostgreSQL [`index_name`] writes each case's words; nothing here.
pub(crate) fn index_names_after(tx: &Db, after: i64) -> crate::sql::Result<()> {
    if tx.dialect() == Dialect::Postgres {
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO inbox_names (rowid, name_words)
         SELECT seq, plkk_search_words(full_name) FROM inbox WHERE seq > ?1",
    )?
    .execute([after])?;
    Ok(())
}

/// Keeps the name index of PostgreSQL, where no SQL function can run the search normal form:
/// `inbox_names.name_words` of the case, written with the case's current record (its admission
/// and each applied correction, in their transaction). On SQLite a new case's words are written
/// by [`index_names_after`] and a correction's by the trigger `inbox_names_update`, both through
/// `plkk_search_words`, so this does nothing there.
pub(crate) fn index_name(tx: &Db, intake_id: &str, full_name: &str) -> crate::sql::Result<()> {
    if let Some(row) = name_row(tx.dialect(), intake_id, full_name) {
        let mut insert = name_insert();
        insert.row(row);
        insert.write(tx)?;
    }
    Ok(())
}

/// The statement that writes PostgreSQL's `inbox_names` rows (see [`index_name`]).
pub(crate) fn name_insert() -> Insert {
    Insert::with_tail(
        "INSERT INTO inbox_names (intake_id, name_words)",
        2,
        " ON CONFLICT (intake_id) DO UPDATE SET name_words = excluded.name_words",
    )
}

/// The `inbox_names` row of a case on PostgreSQL; none on SQLite (see [`index_name`]).
pub(crate) fn name_row(
    dialect: Dialect,
    intake_id: &str,
    full_name: &str,
) -> Option<Vec<SqlValue>> {
    (dialect == Dialect::Postgres)
        .then(|| crate::sql::params![intake_id, normalise::index_text(full_name)])
}

/// Registers `plkk_search_words(text)`, the words of a name in the search normal form joined by
/// spaces (`plkk_domain::normalise::index_text`; NULL stays NULL), which the triggers of
/// `inbox_names` write into the index. Every connection to the branch database needs it before
/// a case is written (`migrate::apply` registers it).
pub(crate) fn register_search_words(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "plkk_search_words",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |context| {
            let text: Option<String> = context.get(0)?;
            Ok(text.map(|text| normalise::index_text(&text)))
        },
    )
}

/// How many NIKs and KPJs start with the prefix (counted up to the bound in each index).
fn prefix_matches(conn: &Db, prefix: &str, end: &str) -> Result<i64, BranchError> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM (SELECT 1 FROM inbox WHERE nik >= ?1 AND nik < ?2 LIMIT ?3) a)
                  + (SELECT count(*) FROM (SELECT 1 FROM inbox WHERE kpj >= ?1 AND kpj < ?2 LIMIT ?3) b)",
        )?
        .query_row(crate::sql::params![prefix, end, COMMON_PREFIX_MATCHES], |row| row.get(0))?)
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
    /// Every word typed (normalised), each the start of a word of the name.
    Name(Vec<String>),
    Nothing,
}

impl Search {
    fn of(typed: &str) -> Search {
        if let Some(prefix) = normalise::identity_key(typed) {
            return Search::Identity(prefix);
        }
        let words: Vec<String> = normalise::words(typed).into_iter().take(8).collect();
        if words.is_empty() {
            Search::Nothing
        } else {
            Search::Name(words)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An inbox of `count` rows written straight into the projection, beside bare case rows
    /// (foreign keys off: no intakes or entries behind them), NIKs `3216…` and `3275…`
    /// alternating.
    fn inbox_of(count: i64) -> Db {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::migrate::apply(&mut conn).unwrap();
        conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
        conn.execute(
            "INSERT INTO clinics (id, code, name, created_at) VALUES (1, 'K', 'Klinik', 'x')",
            [],
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        for seq in 1..=count {
            let nik = format!("{}{seq:012}", if seq % 2 == 0 { "3216" } else { "3275" });
            tx.execute(
                "INSERT INTO cases (intake_id, clinic_id, record, warnings, status, status_changed_at)
                 VALUES (?1, 1, '{\"accident_at\":\"2027-01-15T10:00:00+07:00\"}', '[]', 'received', 'x')",
                [format!("case-{seq}")],
            )
            .unwrap();
            tx.execute(
                "INSERT INTO inbox (seq, intake_id, clinic_id, device_id, received_at, accident_at,
                    accident_month, full_name, nik, kpj, segment, status, reported_late)
                 VALUES (?1, ?2, 1, 'd', 1800000000, 1799990000, '2027-01', 'Siti Aminah', ?3,
                    NULL, 'PU', 'received', 0)",
                rusqlite::params![seq, format!("case-{seq}"), nik],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        let db = Db::Sqlite(conn);
        index_names_after(&db, 0).unwrap();
        db
    }

    fn found(conn: &Db, q: &str, page: u32) -> Vec<String> {
        let query = InboxQuery {
            q: Some(q.to_owned()),
            page,
            ..Default::default()
        };
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        super::page(conn, &query, now)
            .unwrap()
            .rows
            .into_iter()
            .map(|row| row.id)
            .collect()
    }

    #[test]
    fn common_and_rare_prefixes_find_the_same_cases_newest_first() {
        let conn = inbox_of(5_000);
        assert!(prefix_matches(&conn, "3216", "3216\u{FFFF}").unwrap() >= COMMON_PREFIX_MATCHES);
        let common = found(&conn, "3216", 1);
        let expected: Vec<String> = (0..50).map(|n| format!("case-{}", 5_000 - 2 * n)).collect();
        assert_eq!(common, expected, "every second case, newest first");
        assert_eq!(found(&conn, "3216", 3)[0], "case-4800");
        let rare = found(&conn, "321600000000049", 1);
        assert!(prefix_matches(&conn, "321600000000049", "321600000000049\u{FFFF}").unwrap() < 100);
        let expected: Vec<String> = (0..5)
            .rev()
            .map(|n| format!("case-{}", 490 + 2 * n))
            .collect();
        assert_eq!(rare, expected);
        assert_eq!(
            found(&conn, "siti", 2).len(),
            50,
            "names: the second page is full"
        );
        assert_eq!(found(&conn, "siti", 1)[0], "case-5000");
    }

    fn check(typed: &str, expected: Search) {
        assert_eq!(Search::of(typed), expected, "typed {typed:?}");
    }

    #[test]
    fn the_search_box_reads_identities_and_names() {
        check("3216", Search::Identity("3216".into()));
        check(" 3216 05 ", Search::Identity("321605".into()));
        check("12ab", Search::Identity("12AB".into()));
        check(
            "3216 0557-0890.0014",
            Search::Identity("3216055708900014".into()),
        );
        check("siti", Search::Name(vec!["siti".into()]));
        check("Siti  Nur", Search::Name(vec!["siti".into(), "nur".into()]));
        check("o'neil", Search::Name(vec!["oneil".into()]));
        check("MA’RUFAH", Search::Name(vec!["marufah".into()]));
        check("Hélène", Search::Name(vec!["helene".into()]));
        check(
            "siti 3216",
            Search::Name(vec!["siti".into(), "3216".into()]),
        );
        check("\"*", Search::Nothing);
        check("   ", Search::Nothing);
    }
}
