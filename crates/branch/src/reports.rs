//! The branch's monthly report, per clinic and month of the accident (in the clinic's own time):
//! how many cases, how many reached the branch within 2×24 h of the accident (the stage I
//! deadline), and how many were decided within 30 days of arriving (DOMAIN.md, steps 5 and 6;
//! a decision is `concluded_work_accident`, `concluded_not_work_accident` or `not_eligible`).
//! Read from the inbox projection; the console shows it as a table and a chart and offers it as
//! CSV, `plkk-branch report` prints it. Each row also counts the clinic's BPU registrations received
//! that month and how many were registered (`bpu_received`, `bpu_registered`).

use crate::sql::Db;
use plkk_domain::limits;
use serde::Serialize;

use crate::inbox::CONCLUDE_WITHIN_DAYS;
use crate::BranchError;

/// Accident months from `from` to `to`, both `YYYY-MM` and included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthRange {
    pub from: String,
    pub to: String,
}

impl MonthRange {
    /// Checks both months (`YYYY-MM`) and their order; a refusal names `from` or `to`.
    pub fn new(from: &str, to: &str) -> Result<MonthRange, BranchError> {
        for (field, text) in [("from", from), ("to", to)] {
            if !is_month(text.trim()) {
                return Err(BranchError::refused(
                    field,
                    "month_format",
                    format!(
                        "{field}: a month is written YYYY-MM, e.g. 2026-11 (got {})",
                        limits::echo(text)
                    ),
                ));
            }
        }
        let (from, to) = (from.trim().to_owned(), to.trim().to_owned());
        if from > to {
            return Err(BranchError::refused(
                "to",
                "month_order",
                format!("to: {to} is before {from}"),
            ));
        }
        Ok(MonthRange { from, to })
    }
}

fn is_month(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 7
        && bytes[4] == b'-'
        && bytes[..4].iter().chain(&bytes[5..]).all(u8::is_ascii_digit)
        && matches!(text[5..].parse::<u8>(), Ok(1..=12))
}

/// One clinic in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    pub clinic_code: String,
    pub clinic_name: String,
    /// `YYYY-MM`, the accident's month.
    pub month: String,
    pub cases: u64,
    /// Received by the branch within 2×24 h of the accident.
    pub reported_within_2x24h: u64,
    /// Decided within 30 days of arriving.
    pub concluded_within_30_days: u64,
    /// Not decided yet.
    pub open: u64,
    /// BPU registrations the branch received from the clinic in this month (its local date).
    pub bpu_received: u64,
    /// Of those, registered (given a KPJ).
    pub bpu_registered: u64,
}

impl ReportRow {
    /// `part` of the cases in percent, one decimal (0 when there are none).
    pub fn percent(&self, part: u64) -> f64 {
        if self.cases == 0 {
            return 0.0;
        }
        (part as f64 * 1000.0 / self.cases as f64).round() / 10.0
    }
}

/// Every clinic and month with cases or BPU registrations in `months`, by month then clinic
/// code. A case counts in its accident's month, a registration in the month it arrived.
pub(crate) fn monthly(conn: &Db, months: &MonthRange) -> Result<Vec<ReportRow>, BranchError> {
    let mut statement = conn.prepare_cached(
        "WITH case_rows AS (
             SELECT x.clinic_id, x.accident_month AS month, count(*) AS cases,
                    count(*) FILTER (WHERE x.reported_late = 0) AS within,
                    count(*) FILTER (WHERE x.decided_at IS NOT NULL
                                       AND x.decided_at <= x.received_at + ?3) AS concluded,
                    count(*) FILTER (WHERE x.decided_at IS NULL) AS open
             FROM inbox x WHERE x.accident_month BETWEEN ?1 AND ?2
             GROUP BY x.clinic_id, x.accident_month),
         bpu_rows AS (
             SELECT r.clinic_id, substr(r.received_on, 1, 7) AS month, count(*) AS received,
                    count(d.registration_id) FILTER (WHERE d.status = 'registered') AS registered
             FROM bpu_registrations r LEFT JOIN bpu_decisions d ON d.registration_id = r.id
             WHERE substr(r.received_on, 1, 7) BETWEEN ?1 AND ?2
             GROUP BY r.clinic_id, substr(r.received_on, 1, 7)),
         keys AS (SELECT clinic_id, month FROM case_rows UNION SELECT clinic_id, month FROM bpu_rows)
         SELECT k.code, k.name, keys.month, coalesce(c.cases, 0), coalesce(c.within, 0),
                coalesce(c.concluded, 0), coalesce(c.open, 0), coalesce(b.received, 0),
                coalesce(b.registered, 0)
         FROM keys JOIN clinics k ON k.id = keys.clinic_id
         LEFT JOIN case_rows c ON c.clinic_id = keys.clinic_id AND c.month = keys.month
         LEFT JOIN bpu_rows b ON b.clinic_id = keys.clinic_id AND b.month = keys.month
         ORDER BY keys.month, k.code",
    )?;
    let rows = statement
        .query_map(
            crate::sql::params![months.from, months.to, CONCLUDE_WITHIN_DAYS * 86_400],
            |row| {
                Ok(ReportRow {
                    clinic_code: row.get(0)?,
                    clinic_name: row.get(1)?,
                    month: row.get(2)?,
                    cases: row.get(3)?,
                    reported_within_2x24h: row.get(4)?,
                    concluded_within_30_days: row.get(5)?,
                    open: row.get(6)?,
                    bpu_received: row.get(7)?,
                    bpu_registered: row.get(8)?,
                })
            },
        )?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The report as CSV for an officer, recorded in the officers' audit log as downloaded.
pub(crate) fn download(
    conn: &mut crate::sql::Db,
    months: &MonthRange,
    actor: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, BranchError> {
    let tx = conn.transaction_with_behavior(crate::sql::TransactionBehavior::Immediate)?;
    let rows = monthly(&tx, months)?;
    let text = to_csv(&rows)?;
    crate::officer_audit::append(
        &tx,
        now,
        actor,
        crate::officer_audit::OfficerAction::ReportDownloaded,
        Some(&format!("{}..{}", months.from, months.to)),
        serde_json::json!({ "rows": rows.len() }),
    )?;
    tx.commit()?;
    Ok(text)
}

/// The report as CSV (comma-separated, a header row, UTF-8), as the console downloads it; every
/// cell neutralised against formulas (`plkk_domain::neutralise`: a clinic's name is typed by people).
pub fn to_csv(rows: &[ReportRow]) -> Result<String, BranchError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |error: csv::Error| BranchError::Stored(format!("writing the CSV: {error}"));
    writer
        .write_record([
            "clinic_code",
            "clinic_name",
            "month",
            "cases",
            "reported_within_2x24h",
            "reported_within_2x24h_percent",
            "concluded_within_30_days",
            "concluded_within_30_days_percent",
            "open",
            "bpu_received",
            "bpu_registered",
        ])
        .map_err(csv_error)?;
    for row in rows {
        writer
            .write_record(
                [
                    row.clinic_code.clone(),
                    row.clinic_name.clone(),
                    row.month.clone(),
                    row.cases.to_string(),
                    row.reported_within_2x24h.to_string(),
                    format!("{:.1}", row.percent(row.reported_within_2x24h)),
                    row.concluded_within_30_days.to_string(),
                    format!("{:.1}", row.percent(row.concluded_within_30_days)),
                    row.open.to_string(),
                    row.bpu_received.to_string(),
                    row.bpu_registered.to_string(),
                ]
                .map(plkk_domain::neutralise),
            )
            .map_err(csv_error)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| BranchError::Stored(format!("writing the CSV: {error}")))?;
    String::from_utf8(bytes).map_err(|error| BranchError::Stored(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of(from: &str, to: &str) -> Result<(), (String, String)> {
        MonthRange::new(from, to)
            .map(|_| ())
            .map_err(|error| match error {
                BranchError::Refused(issue) => (issue.field, issue.rule),
                other => panic!("{other}"),
            })
    }

    #[test]
    fn month_ranges() {
        assert_eq!(rule_of("2026-01", "2026-12"), Ok(()));
        assert_eq!(rule_of(" 2026-11 ", "2026-11"), Ok(()));
        let refused = |field: &str, rule: &str| Err((field.to_owned(), rule.to_owned()));
        assert_eq!(
            rule_of("2026-13", "2026-12"),
            refused("from", "month_format")
        );
        assert_eq!(
            rule_of("2026-1", "2026-12"),
            refused("from", "month_format")
        );
        assert_eq!(rule_of("2026-01", "26-12"), refused("to", "month_format"));
        assert_eq!(rule_of("2026-05", "2026-04"), refused("to", "month_order"));
    }

    #[test]
    fn csv_has_a_header_and_percentages() {
        let row = ReportRow {
            clinic_code: "PLKK-1".into(),
            clinic_name: "Klinik \"Sehat\", Bekasi".into(),
            month: "2026-11".into(),
            cases: 3,
            reported_within_2x24h: 2,
            concluded_within_30_days: 1,
            open: 1,
            bpu_received: 4,
            bpu_registered: 2,
        };
        let text = to_csv(&[row]).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("clinic_code,clinic_name,month,cases"));
        assert_eq!(
            lines[1],
            "PLKK-1,\"Klinik \"\"Sehat\"\", Bekasi\",2026-11,3,2,66.7,1,33.3,1,4,2"
        );
    }

    #[test]
    fn a_clinic_name_that_starts_a_formula_is_neutralised() {
        let row = ReportRow {
            clinic_code: "@K1".into(),
            clinic_name: "=HYPERLINK(\"http://x\",\"y\")".into(),
            month: "2026-11".into(),
            cases: 0,
            reported_within_2x24h: 0,
            concluded_within_30_days: 0,
            open: 0,
            bpu_received: 2,
            bpu_registered: 1,
        };
        let text = to_csv(&[row]).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[0], "'@K1");
        assert_eq!(&record[1], "'=HYPERLINK(\"http://x\",\"y\")");
        assert_eq!(&record[3], "0", "numbers are unchanged");
        assert_eq!((&record[9], &record[10]), ("2", "1"), "the BPU counts too");
    }
}
