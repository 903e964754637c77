//! Treatment notes (catatan perawatan): the typed fields a nurse or doctor writes
//! (`NoteFields`), a note as stored with what the app adds (`Note`: id, case, clock, author),
//! a validated note not yet stored (`NoteDraft`), and `validate_note` with every rule of
//! DOMAIN.md's note table: text length, plausible vitals, ICD-10 code shape and chapter, and
//! the referral requirement. Notes are append-only; a correction is a new note with `corrects`.

use chrono::{DateTime, FixedOffset, TimeDelta};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::{CaseCategory, Disposition, Outcome};
use crate::input::{describe, Input, JsonObject, Range};
use crate::issue::{Checked, Issues, Rejected};
use crate::limits;

/// What the writer of a note gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoteFields {
    /// What was found and done, as written.
    pub text: String,
    /// Systolic blood pressure (mmHg).
    pub systolic: Option<u16>,
    /// Diastolic blood pressure (mmHg).
    pub diastolic: Option<u16>,
    /// Pulse (beats per minute).
    pub pulse: Option<u16>,
    /// Respiratory rate (breaths per minute).
    pub resp_rate: Option<u16>,
    /// Body temperature (degrees Celsius).
    pub temperature_c: Option<f64>,
    /// Oxygen saturation (percent).
    pub spo2: Option<u8>,
    /// Pain score (0-10).
    pub pain_score: Option<u8>,
    /// Upper case, e.g. ["S52.5", "W11"].
    #[serde(default)]
    pub icd10: Vec<String>,
    /// What happens to the patient next (outpatient, inpatient, referred, ...).
    pub disposition: Option<Disposition>,
    /// Where the patient was referred, for a referral.
    pub referred_to: Option<String>,
    /// Days unfit to work (STMB, sementara tidak mampu bekerja).
    pub stmb_days: Option<u16>,
    /// A case with an outcome is closed.
    pub outcome: Option<Outcome>,
    /// The note this one corrects.
    pub corrects: Option<Uuid>,
}

/// A stored note: the fields plus what the app sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Note {
    /// The note's id (UUID v7).
    pub id: Uuid,
    /// The case (intake) it belongs to.
    pub intake_id: Uuid,
    /// The writer's clock when it was saved, with its UTC offset.
    pub written_at: DateTime<FixedOffset>,
    /// The writer's username.
    pub author: String,
    /// What the writer gave.
    #[serde(flatten)]
    pub fields: NoteFields,
}

/// A valid note before the store attaches it to its case, clock and author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteDraft {
    /// The note's id.
    pub id: Uuid,
    /// The case named in the input, if any; the store checks it matches.
    pub intake_id: Option<Uuid>,
    /// What the writer gave, checked.
    pub fields: NoteFields,
}

/// Every key a note input may carry.
const NOTE_INPUT_FIELDS: &[&str] = &[
    "id",
    "intake_id",
    "text",
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

/// Stage II (3a KK2) is due 2 x 24 hours after the doctor's certificate (3b KK3) of the outcome.
pub const STAGE_TWO_DEADLINE: TimeDelta = TimeDelta::hours(48);

impl Note {
    /// When the stage II report (3a KK2) is due: 2 x 24 hours after this note, when it records
    /// the outcome (the doctor's certificate). None for a note without an outcome.
    pub fn stage_two_due_at(&self) -> Option<DateTime<FixedOffset>> {
        self.fields
            .outcome
            .map(|_| self.written_at + STAGE_TWO_DEADLINE)
    }
}

/// Keys the app fills in itself.
const SET_BY_APP: &[&str] = &["written_at", "author"];

const SYSTOLIC: Range = Range::whole(50, 260);
const DIASTOLIC: Range = Range::whole(30, 160);
const PULSE: Range = Range::whole(20, 250);
const RESP_RATE: Range = Range::whole(5, 60);
const TEMPERATURE_C: Range = Range::decimal(30.0, 44.0);
const SPO2: Range = Range::whole(50, 100);
const PAIN_SCORE: Range = Range::whole(0, 10);
const STMB_DAYS: Range = Range::whole(0, 365);

/// Checks an untyped note against every note rule; all errors at once. Input keys: the
/// `NoteFields` keys, optional "id" (else `new_id`) and optional "intake_id". Numbers may be
/// JSON numbers or numeric strings; `icd10` a JSON array of strings or one string separated by
/// commas or spaces. `case_category` is the case's, for the ICD-10 chapter warning.
pub fn validate_note(
    input: &JsonObject,
    new_id: Uuid,
    case_category: CaseCategory,
) -> Result<Checked<NoteDraft>, Rejected> {
    let mut issues = Issues::default();
    let draft = read_note(
        Input::new(input, crate::limits::NOTE),
        new_id,
        case_category,
        &mut issues,
    );
    issues.finish(draft)
}

fn read_note(
    input: Input,
    new_id: Uuid,
    case_category: CaseCategory,
    issues: &mut Issues,
) -> Option<NoteDraft> {
    for field in SET_BY_APP {
        if input.has_key(field) {
            issues.error(
                field,
                "set_by_app",
                "is set by the app and must not be given",
            );
        }
    }
    let known: Vec<&str> = NOTE_INPUT_FIELDS
        .iter()
        .chain(SET_BY_APP)
        .copied()
        .collect();
    input.reject_unknown_keys(&known, "a treatment note", issues);

    let id = input.uuid("id", issues).unwrap_or(new_id);
    let intake_id = input.uuid("intake_id", issues);
    let text = input.required_text("text", issues);
    let whole = |field: &str, range: Range, issues: &mut Issues| {
        input
            .number(field, range, issues)
            .map(|number| number as u16)
    };
    let systolic = whole("systolic", SYSTOLIC, issues);
    let diastolic = whole("diastolic", DIASTOLIC, issues);
    let pulse = whole("pulse", PULSE, issues);
    let resp_rate = whole("resp_rate", RESP_RATE, issues);
    let temperature_c = input.number("temperature_c", TEMPERATURE_C, issues);
    let spo2 = input
        .number("spo2", SPO2, issues)
        .map(|number| number as u8);
    let pain_score = input
        .number("pain_score", PAIN_SCORE, issues)
        .map(|number| number as u8);
    let icd10 = read_icd10(&input, case_category, issues);
    let disposition = input.choice::<Disposition>("disposition", issues);
    let referred_to = input.text("referred_to", issues);
    if disposition == Some(Disposition::Referred) && !input.is_given("referred_to") {
        issues.error(
            "referred_to",
            "required_when_referred",
            "is required when disposition is referred: name the facility",
        );
    }
    let stmb_days = whole("stmb_days", STMB_DAYS, issues);
    if disposition == Some(Disposition::OutpatientWorking) && stmb_days.is_some_and(|days| days > 0)
    {
        issues.warning(
            "stmb_days",
            "stmb_while_working",
            "days unable to work given while the disposition says the patient goes on working; \
             check the disposition or the days",
        );
    }
    let outcome = input.choice::<Outcome>("outcome", issues);
    let corrects = input.uuid("corrects", issues);

    Some(NoteDraft {
        id,
        intake_id,
        fields: NoteFields {
            text: text?,
            systolic,
            diastolic,
            pulse,
            resp_rate,
            temperature_c,
            spo2,
            pain_score,
            icd10,
            disposition,
            referred_to,
            stmb_days,
            outcome,
            corrects,
        },
    })
}

/// The codes of `icd10` in order, upper case, without repeats. Each must look like `S52` or
/// `S52.5` (`icd10_format{code}`); for a `work_accident` a code outside injuries (S00-T98) and
/// external causes (V01-Y98) warns `icd10_chapter{code}`.
fn read_icd10(input: &Input, case_category: CaseCategory, issues: &mut Issues) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    match input.raw("icd10") {
        None => {}
        Some(Value::String(text)) if input.fits("icd10", text.trim(), issues) => {
            words.extend(split_codes(text));
        }
        Some(Value::String(_)) => {}
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(text) if text.chars().count() > limits::ICD10_CODE => {
                        issues
                            .error(
                                "icd10",
                                "too_long",
                                format_args!(
                                    "each code must be at most {} characters",
                                    limits::ICD10_CODE
                                ),
                            )
                            .param("max", limits::ICD10_CODE);
                        return Vec::new();
                    }
                    Value::String(text) => words.extend(split_codes(text)),
                    Value::Null => {}
                    other => {
                        issues.error(
                            "icd10",
                            "not_text",
                            format_args!("each code must be text (got {})", describe(other)),
                        );
                    }
                }
            }
        }
        Some(other) => {
            issues.error(
                "icd10",
                "not_text",
                format_args!("must be text or a list of texts (got {})", describe(other)),
            );
        }
    }
    if words.len() > limits::ICD10_CODES {
        issues
            .error(
                "icd10",
                "too_many",
                format_args!(
                    "must hold at most {} codes (got {})",
                    limits::ICD10_CODES,
                    words.len()
                ),
            )
            .param("max", limits::ICD10_CODES);
        return Vec::new();
    }
    let mut codes: Vec<String> = Vec::new();
    for code in words.into_iter().map(|word| word.to_uppercase()) {
        if codes.contains(&code) {
            continue;
        }
        if !is_icd10_code(&code) {
            issues
                .error(
                    "icd10",
                    "icd10_format",
                    format_args!("code \"{code}\" must be a letter, two digits and an optional .digit, e.g. S52.5"),
                )
                .param("code", &code);
        } else if case_category == CaseCategory::WorkAccident && !is_injury_or_external_cause(&code)
        {
            issues
                .warning(
                    "icd10",
                    "icd10_chapter",
                    format_args!(
                        "code {code} is neither an injury (S00-T98) nor an external cause \
                         (V01-Y98), unusual for a work accident; check it"
                    ),
                )
                .param("code", &code);
        }
        codes.push(code);
    }
    codes
}

/// The codes of a typed list: separated by commas, semicolons or spaces, where a comma between
/// a three-character code and one digit is a decimal comma ("S61,0" is S61.0, as Indonesian
/// keyboards and habits write it; "S61,W31" stays two codes).
fn split_codes(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut codes: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| !is_code_separator(c)) {
        let from_start = &rest[start..];
        let end = from_start
            .find(is_code_separator)
            .unwrap_or(from_start.len());
        let word = &from_start[..end];
        let after = &from_start[end..];
        let decimal = after.strip_prefix(',').and_then(|tail| {
            let digit = tail.chars().next().filter(char::is_ascii_digit)?;
            let next = tail[1..].chars().next();
            (word.len() == 3 && next.is_none_or(is_code_separator)).then_some(digit)
        });
        match decimal {
            Some(digit) => {
                codes.push(format!("{word}.{digit}"));
                rest = &after[2..];
            }
            None => {
                codes.push(word.to_owned());
                rest = after;
            }
        }
    }
    codes.into_iter()
}

fn is_code_separator(c: char) -> bool {
    c == ',' || c == ';' || c.is_whitespace()
}

/// `^[A-Z][0-9]{2}(\.[0-9])?$`.
fn is_icd10_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    let head = bytes.len() >= 3
        && bytes[0].is_ascii_uppercase()
        && bytes[1].is_ascii_digit()
        && bytes[2].is_ascii_digit();
    head && match bytes.len() {
        3 => true,
        5 => bytes[3] == b'.' && bytes[4].is_ascii_digit(),
        _ => false,
    }
}

/// S00-T98 (injury, poisoning) or V01-Y98 (external causes); `code` passed `is_icd10_code`.
fn is_injury_or_external_cause(code: &str) -> bool {
    let letter = code.as_bytes()[0];
    let number: u8 = code[1..3].parse().unwrap_or(0);
    match letter {
        b'S' | b'W' | b'X' => true,
        b'T' => number <= 98,
        b'V' => number >= 1,
        b'Y' => number <= 98,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
