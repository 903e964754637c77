//! The one owner of every length limit: the shortest and longest text each field of each record
//! and wire type may hold, in characters (Unicode scalar values, not bytes), and the most items a
//! list may hold. The desk's validation (window, CLI), the branch (every push entry kind, audit
//! entries, enrolment, administration), the branch's OpenAPI document and `docs/limits.md` all
//! read these tables; a test keeps the document in step with them.
//!
//! Fields whose shape is fixed (NIK, KPJ, dates, UUIDs, hashes) have the length of that shape as
//! their maximum; their format rule (`nik_format`, ...) reports the rest. A text over its maximum
//! is refused with rule `too_long{max}` before any other rule looks at it, so no message ever
//! repeats an oversized value.

use std::collections::BTreeMap;

use crate::issue::{Issue, Severity};

/// The allowed length of one text field, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimit {
    /// The field's name in JSON (and in forms and the CLI).
    pub field: &'static str,
    /// Shortest text once trimmed (a present value; whether it is required is a separate rule).
    pub min: usize,
    /// Longest text, in characters.
    pub max: usize,
}

const fn limit(field: &'static str, min: usize, max: usize) -> TextLimit {
    TextLimit { field, min, max }
}

/// A UUID written in its hyphenated form.
pub const UUID: usize = 36;
/// An instant in RFC 3339 with offset (`2026-11-24T08:30:00.123456789+07:00` is 35).
pub const INSTANT: usize = 40;
/// A value of a closed list (`female`, `work_accident`, ...): the longest is 33 characters.
pub const CHOICE: usize = 40;
/// Free text fields of the intake that DOMAIN.md gives no length for.
pub const SHORT_TEXT: usize = 200;
/// A number typed as text (`"36,5"`, `" 120 "`).
pub const NUMBER_TEXT: usize = 16;
/// A username: who wrote a record (`author`) or did an audited act (`actor`).
pub const USERNAME: usize = 32;
/// A SHA-256 in lowercase hex.
pub const SHA256_HEX: usize = 64;

/// The intake record (DOMAIN.md's intake table), in form order.
pub const INTAKE: &[TextLimit] = &[
    limit("id", 1, UUID),
    limit("nik", 1, 16),
    limit("identity_document", 1, SHORT_TEXT),
    limit("kpj", 1, 11),
    limit("full_name", 2, 100),
    limit("sex", 1, CHOICE),
    limit("birth_date", 1, 10),
    limit("phone", 1, 24),
    limit("address", 1, SHORT_TEXT),
    limit("occupation", 1, SHORT_TEXT),
    limit("segment", 1, CHOICE),
    limit("employer_name", 1, SHORT_TEXT),
    limit("employer_npp", 1, 20),
    limit("accident_at", 1, INSTANT),
    limit("admitted_at", 1, INSTANT),
    limit("case_category", 1, CHOICE),
    limit("place_type", 1, CHOICE),
    limit("accident_location", 1, SHORT_TEXT),
    limit("chronology", 20, 4000),
    limit("injury", 1, SHORT_TEXT),
    limit("police_report_number", 1, SHORT_TEXT),
    limit("contact_name", 1, SHORT_TEXT),
    limit("contact_phone", 1, 24),
    limit("consent", 1, CHOICE),
];

/// What travels with an intake or a note besides its fields: who wrote it and when.
pub const RECORD_ENVELOPE: &[TextLimit] = &[
    limit("author", 1, USERNAME),
    limit("written_at", 1, INSTANT),
];

/// The treatment note (DOMAIN.md's note table), as typed by a nurse. Numbers may arrive as text.
pub const NOTE: &[TextLimit] = &[
    limit("id", 1, UUID),
    limit("intake_id", 1, UUID),
    limit("text", 1, 4000),
    limit("systolic", 1, NUMBER_TEXT),
    limit("diastolic", 1, NUMBER_TEXT),
    limit("pulse", 1, NUMBER_TEXT),
    limit("resp_rate", 1, NUMBER_TEXT),
    limit("temperature_c", 1, NUMBER_TEXT),
    limit("spo2", 1, NUMBER_TEXT),
    limit("pain_score", 1, NUMBER_TEXT),
    // The codes typed as one text ("S52.5, W11"); each code is also at most ICD10_CODE.
    limit("icd10", 1, 200),
    limit("disposition", 1, CHOICE),
    limit("referred_to", 1, SHORT_TEXT),
    limit("stmb_days", 1, NUMBER_TEXT),
    limit("outcome", 1, CHOICE),
    limit("corrects", 1, UUID),
];

/// One ICD-10 code of a note (`S52.5` has 5 characters).
pub const ICD10_CODE: usize = 16;
/// Most ICD-10 codes on one note.
pub const ICD10_CODES: usize = 20;

/// A correction of an intake: why and by whom. Each change's `from` and `to` are limited like the
/// intake field it names (see [`max_of`]).
pub const CORRECTION: &[TextLimit] = &[
    limit("reason", 1, 500),
    limit("author", 1, USERNAME),
    limit("field", 1, CHOICE),
];

/// Most fields one correction changes (every intake field but `id`).
pub const CORRECTION_CHANGES: usize = 23;

/// An entry of the audit log (desk and branch).
pub const AUDIT_ENTRY: &[TextLimit] = &[
    limit("actor", 1, 64),
    limit("action", 1, CHOICE),
    limit("subject", 1, SHORT_TEXT),
    limit("detail", 2, 4000),
    limit("prev_hash", SHA256_HEX, SHA256_HEX),
    limit("hash", SHA256_HEX, SHA256_HEX),
];

/// Enrolment of a desk at the branch.
pub const ENROLMENT: &[TextLimit] = &[
    // 12 letters and digits, written with dashes or spaces as the administrator read it out.
    limit("code", 1, 32),
    limit("device_name", 1, 100),
];

/// A clinic's code (`PLKK-BKS-01`): letters, digits, '-', '_' and '.'.
pub const CLINIC_CODE: usize = 40;

/// A clinic as the branch administrator registers it.
pub const CLINIC: &[TextLimit] = &[
    limit("clinic_code", 1, CLINIC_CODE),
    limit("clinic_name", 1, 200),
];

/// The branch's status of a case (set by a branch officer, pulled by desks).
pub const CASE_STATUS: &[TextLimit] = &[limit("reason", 1, 500), limit("reference", 1, 100)];

/// A staff account on a desk.
pub const ACCOUNT: &[TextLimit] = &[
    limit("username", 2, USERNAME),
    limit("display_name", 1, 100),
    limit("password", 8, 256),
    limit("pin", 6, 6),
];

/// A branch officer's account (`plkk-branch officer add`, the console's officers page).
pub const OFFICER: &[TextLimit] = &[
    limit("username", 2, USERNAME),
    limit("display_name", 1, 100),
    limit("password", 8, 256),
];

/// What an officer types into the branch console besides records: the inbox's search box.
pub const CONSOLE: &[TextLimit] = &[limit("q", 1, 100)];

/// What the branch says back: error codes, rule codes, field paths and messages. The branch
/// keeps its own messages within these (a value it repeats is cut short).
pub const ANSWER: &[TextLimit] = &[
    limit("error", 1, CHOICE),
    limit("rule", 1, CHOICE),
    limit("field", 1, 120),
    limit("message", 1, MESSAGE),
];

/// Longest message the branch sends (an error, a refusal reason, an audit break).
pub const MESSAGE: usize = 1000;
/// How much of a refused value a message repeats.
pub const ECHO: usize = 60;

/// Every table with the name `docs/limits.md` gives it, in the order it lists them.
pub const TABLES: &[(&str, &[TextLimit])] = &[
    ("intake", INTAKE),
    ("record envelope (intake and note)", RECORD_ENVELOPE),
    ("note", NOTE),
    ("correction", CORRECTION),
    ("audit entry", AUDIT_ENTRY),
    ("enrolment", ENROLMENT),
    ("clinic", CLINIC),
    ("case status", CASE_STATUS),
    ("account", ACCOUNT),
    ("officer", OFFICER),
    ("console", CONSOLE),
    ("branch answers", ANSWER),
];

/// The limit of `field` in `table`.
pub fn find(table: &[TextLimit], field: &str) -> Option<TextLimit> {
    table.iter().copied().find(|limit| limit.field == field)
}

/// The maximum of `field` in `table`; [`SHORT_TEXT`]'s big brother (4000) for a field the table
/// does not name, so an unknown field is still bounded.
pub fn max_of(table: &[TextLimit], field: &str) -> usize {
    find(table, field).map_or(4000, |limit| limit.max)
}

/// Whether `text` is within the limit: `Err(("too_short", min))` or `Err(("too_long", max))`.
pub fn check(limit: TextLimit, text: &str) -> Result<(), (&'static str, usize)> {
    let length = text.chars().count();
    if length > limit.max {
        Err(("too_long", limit.max))
    } else if length < limit.min {
        Err(("too_short", limit.min))
    } else {
        Ok(())
    }
}

/// The refusal of `text` as the value of `field` of `table` (`too_short{min}` or
/// `too_long{max}`), or None when it fits. For checks outside a record's validation: a record's
/// envelope, audit entries, enrolment, accounts, administration.
pub fn refusal(table: &[TextLimit], field: &str, text: &str) -> Option<Issue> {
    let limit = find(table, field).unwrap_or(TextLimit {
        field: "",
        min: 0,
        max: max_of(table, field),
    });
    refusal_of(field, limit, text)
}

/// Like [`refusal`], with the limit given and `field` as the name to report (a path such as
/// `entries[3].actor`).
pub fn refusal_of(field: &str, limit: TextLimit, text: &str) -> Option<Issue> {
    let (rule, bound) = check(limit, text).err()?;
    let length = text.chars().count();
    let (param, message) = if rule == "too_long" {
        (
            "max",
            format!("{field}: must be at most {bound} characters (got {length})"),
        )
    } else {
        (
            "min",
            format!("{field}: must be at least {bound} characters (got {length})"),
        )
    };
    Some(Issue {
        field: field.to_owned(),
        rule: rule.to_owned(),
        severity: Severity::Error,
        message,
        params: BTreeMap::from([(param.to_owned(), bound.to_string())]),
    })
}

/// `text` cut to at most `max` characters, ending in "…" when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

/// A refused value as a message repeats it: quoted, at most [`ECHO`] characters.
pub fn echo(text: &str) -> String {
    format!("\"{}\"", clip(text, ECHO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_appears_once_per_table_with_min_not_above_max() {
        for (name, table) in TABLES {
            for (index, entry) in table.iter().enumerate() {
                assert!(entry.min <= entry.max, "{name}.{}", entry.field);
                assert!(entry.max > 0, "{name}.{}", entry.field);
                assert!(
                    !table[..index]
                        .iter()
                        .any(|other| other.field == entry.field),
                    "{name}.{} twice",
                    entry.field
                );
            }
        }
    }

    #[test]
    fn the_intake_table_names_every_intake_field() {
        let fields: Vec<&str> = INTAKE.iter().map(|limit| limit.field).collect();
        assert_eq!(fields, crate::INTAKE_FIELDS);
        assert_eq!(CORRECTION_CHANGES, crate::INTAKE_FIELDS.len() - 1);
    }

    #[test]
    fn check_counts_characters_not_bytes() {
        let full_name = find(INTAKE, "full_name").unwrap();
        assert_eq!(check(full_name, &"é".repeat(100)), Ok(()));
        assert_eq!(check(full_name, &"é".repeat(101)), Err(("too_long", 100)));
        assert_eq!(check(full_name, "S"), Err(("too_short", 2)));
    }

    #[test]
    fn clip_and_echo_keep_short_text_and_cut_long_text() {
        assert_eq!(clip("Siti", 10), "Siti");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abcdef", 4).chars().count(), 4);
        assert_eq!(echo(&"x".repeat(1_000_000)).chars().count(), ECHO + 2);
    }

    #[test]
    fn refusals_name_the_field_the_rule_and_the_bound() {
        let issue = refusal(CORRECTION, "reason", &"x".repeat(501)).unwrap();
        assert_eq!(
            issue.to_string(),
            "reason: must be at most 500 characters (got 501) [too_long]"
        );
        assert_eq!(issue.params["max"], "500");
        assert_eq!(refusal(CORRECTION, "reason", "salah ketik"), None);
        let issue =
            refusal_of("entries[2].hash", find(AUDIT_ENTRY, "hash").unwrap(), "ab").unwrap();
        assert_eq!(
            (issue.field.as_str(), issue.rule.as_str()),
            ("entries[2].hash", "too_short")
        );
    }

    /// `docs/limits.md` lists every table, row for row, and the list ceilings.
    #[test]
    fn the_limits_page_says_what_the_tables_say() {
        let page = include_str!("../../../docs/limits.md");
        for (name, table) in TABLES {
            let heading = format!("## {name}\n");
            let start = page
                .find(&heading)
                .unwrap_or_else(|| panic!("docs/limits.md has {heading}"));
            let section = &page[start + heading.len()..];
            let section = &section[..section.find("\n## ").unwrap_or(section.len())];
            let rows: Vec<&str> = section
                .lines()
                .filter(|line| line.starts_with("| `"))
                .collect();
            let expected: Vec<String> = table
                .iter()
                .map(|limit| format!("| `{}` | {} | {} |", limit.field, limit.min, limit.max))
                .collect();
            assert_eq!(rows, expected, "docs/limits.md, {name}");
        }
        for row in [
            format!("| changes in one correction | {CORRECTION_CHANGES} |"),
            format!("| ICD-10 codes on one note | {ICD10_CODES} |"),
        ] {
            assert!(page.contains(&row), "docs/limits.md has {row}");
        }
    }

    #[test]
    fn unknown_fields_are_still_bounded() {
        assert_eq!(max_of(INTAKE, "nik"), 16);
        assert_eq!(max_of(INTAKE, "colour"), 4000);
    }
}
