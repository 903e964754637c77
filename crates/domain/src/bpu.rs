//! The BPU registration (pendaftaran peserta bukan penerima upah, issue 11): an informal worker
//! enrolled by the desk, sent to the branch, which answers `registered` with a KPJ or `rejected`
//! with a reason. `validate_bpu` turns an untyped input into a `BpuRegistration` by the same
//! input conventions and field rules as the intake (NIK, name, sex, birth date, phone); the
//! contribution is never typed: it is computed from a [`Tariff`] and travels beside the record.
//!
//! BPU age: no public source found confirms the ages BPJS Ketenagakerjaan accepts, so an age
//! outside 15-65 on the day cover starts is a warning (`bpu_age`), never a refusal.

use chrono::{NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::{HeirRelation, Occupation, Programme, Sex};
use crate::formats::{check_phone, parse_date};
use crate::input::{describe, Input, JsonObject, Range};
use crate::issue::{Checked, Issues, Rejected};
use crate::nik::{check_nik_against_record, check_nik_format};
use crate::tariff::{Contribution, Quote, Tariff};

/// Every field a desk types, in form order (`contribution` is the app's, not typed).
pub const BPU_FIELDS: &[&str] = &[
    "id",
    "nik",
    "full_name",
    "sex",
    "birth_date",
    "phone",
    "address",
    "occupation",
    "occupation_detail",
    "declared_income",
    "programmes",
    "period_months",
    "starts_on",
    "heir_name",
    "heir_relation",
    "heir_phone",
    "on_behalf_of",
    "consent",
];

/// The allowed coverage periods, in months.
pub const PERIODS: &[u32] = &[1, 3, 6, 12];
/// How far ahead cover may start.
pub const LATEST_START: TimeDelta = TimeDelta::days(30);
/// Ages outside this range warn `bpu_age` (uncertain: no public source confirmed it).
pub const BPU_AGE: std::ops::RangeInclusive<i32> = 15..=65;
/// The largest declared income taken, whole Rupiah a month (far above the top band).
pub const MAX_INCOME: u64 = 1_000_000_000_000;

/// Who brought the person in and pays (the employer of a domestic helper, say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OnBehalfOf {
    /// Their name, as typed.
    pub name: String,
    /// Their Indonesian phone number, as typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// One registration, valid by every rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BpuRegistration {
    /// UUIDv7 made on the desk.
    pub id: Uuid,
    /// The person's NIK (16 digits; the NIK rules of DOMAIN.md).
    pub nik: String,
    /// As on the KTP.
    pub full_name: String,
    /// As for an intake.
    pub sex: Sex,
    /// As for an intake; an age outside [`BPU_AGE`] warns.
    pub birth_date: NaiveDate,
    /// An Indonesian number the branch calls back.
    pub phone: String,
    /// Where the person lives.
    pub address: String,
    /// One of the reference list (`domestic_worker`, `farmer`, ...).
    pub occupation: Occupation,
    /// The occupation in words, required for `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupation_detail: Option<String>,
    /// Whole Rupiah a month.
    pub declared_income: u64,
    /// Always `jkk` and `jkm`, `jht` if chosen.
    pub programmes: Vec<Programme>,
    /// Months paid at once: one of [`PERIODS`].
    pub period_months: u32,
    /// First day of cover: not before the day it is saved, at most [`LATEST_START`] ahead.
    pub starts_on: NaiveDate,
    /// The JKM beneficiary's name.
    pub heir_name: String,
    /// The beneficiary's relation to the person.
    pub heir_relation: HeirRelation,
    /// The beneficiary's Indonesian phone number, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heir_phone: Option<String>,
    /// Who brought the person in and pays, if not the person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<OnBehalfOf>,
    /// The person agreed to be registered and to share the data with BPJS Ketenagakerjaan
    /// (always true in a valid registration).
    pub consent: bool,
}

impl BpuRegistration {
    /// What this registration is quoted as.
    pub fn quote(&self) -> Quote {
        Quote {
            income: self.declared_income,
            jht: self.programmes.contains(&Programme::Jht),
            months: self.period_months,
            occupation: Some(self.occupation),
            starts_on: self.starts_on,
        }
    }

    /// Its contribution under `tariff`.
    pub fn contribution(&self, tariff: &Tariff) -> Contribution {
        tariff.contribution(self.quote())
    }

    /// The record as the JSON object `validate_bpu` reads back into the same record.
    pub fn to_fields(&self) -> JsonObject {
        match serde_json::to_value(self) {
            Ok(Value::Object(object)) => object,
            _ => JsonObject::new(),
        }
    }
}

/// Checks an untyped registration against every rule; all errors at once. `today` is the
/// writing desk's local date (the start date's rule is judged against it).
pub fn validate_bpu(
    input: &JsonObject,
    new_id: Uuid,
    today: NaiveDate,
) -> Result<Checked<BpuRegistration>, Rejected> {
    let mut issues = Issues::default();
    let record = read_bpu(
        Input::new(input, crate::limits::BPU_REGISTRATION),
        new_id,
        today,
        &mut issues,
    );
    issues.finish(record)
}

/// The refusal of a contribution that differs from what `tariff` makes of `record`:
/// `contribution_mismatch` on `contribution`, naming both totals.
pub fn check_contribution(
    record: &BpuRegistration,
    tariff: &Tariff,
    claimed: &Contribution,
) -> Result<Contribution, Rejected> {
    let expected = record.contribution(tariff);
    if expected.period_total == claimed.period_total
        && expected.monthly_total == claimed.monthly_total
        && expected.tariff_version == claimed.tariff_version
    {
        return Ok(expected);
    }
    let mut issues = Issues::default();
    issues
        .error(
            "contribution",
            "contribution_mismatch",
            format_args!(
                "the desk computed {} a month and {} for the period; tariff {} gives {} and {}",
                claimed.monthly_total,
                claimed.period_total,
                expected.tariff_version,
                expected.monthly_total,
                expected.period_total
            ),
        )
        .param("claimed", claimed.period_total)
        .param("expected", expected.period_total);
    Err(issues.into_rejected())
}

fn read_bpu(
    input: Input,
    new_id: Uuid,
    today: NaiveDate,
    issues: &mut Issues,
) -> Option<BpuRegistration> {
    input.reject_unknown_keys(BPU_FIELDS, "a BPU registration", issues);
    let id = input.uuid("id", issues).unwrap_or(new_id);
    let nik = input
        .required_text("nik", issues)
        .filter(|nik| check_nik_format(nik, issues));
    let full_name = input.required_text("full_name", issues);
    let sex = input.required_choice::<Sex>("sex", issues);
    let birth_date = input
        .required_text("birth_date", issues)
        .and_then(|text| parse_date("birth_date", &text, issues));
    let phone = input
        .required_text("phone", issues)
        .filter(|phone| check_phone("phone", phone, issues));
    let address = input.required_text("address", issues);
    let occupation = input.required_choice::<Occupation>("occupation", issues);
    let occupation_detail = input.text("occupation_detail", issues);
    if occupation == Some(Occupation::Other) && occupation_detail.is_none() {
        crate::input::require("occupation_detail", issues);
    }
    let income_range = Range {
        min: 1.0,
        max: MAX_INCOME as f64,
        whole: true,
    };
    let declared_income = input.number("declared_income", income_range, issues);
    if declared_income.is_none() {
        crate::input::require("declared_income", issues);
    }
    let programmes = read_programmes(&input, issues);
    let period_months = read_period(&input, issues);
    let starts_on = input
        .required_text("starts_on", issues)
        .and_then(|text| parse_date("starts_on", &text, issues))
        .filter(|day| check_start(*day, today, issues));
    let heir_name = input.required_text("heir_name", issues);
    let heir_relation = input.required_choice::<HeirRelation>("heir_relation", issues);
    let heir_phone = input
        .text("heir_phone", issues)
        .filter(|phone| check_phone("heir_phone", phone, issues));
    let on_behalf_of = read_on_behalf_of(&input, issues);
    let consent = read_consent(&input, issues);

    if let Some(nik) = &nik {
        check_nik_against_record(nik, birth_date, sex, issues);
    }
    if let Some(birth_date) = birth_date {
        check_age(birth_date, starts_on.unwrap_or(today), today, issues);
    }

    Some(BpuRegistration {
        id,
        nik: nik?,
        full_name: full_name?,
        sex: sex?,
        birth_date: birth_date?,
        phone: phone?,
        address: address?,
        occupation: occupation?,
        occupation_detail,
        declared_income: declared_income? as u64,
        programmes: programmes?,
        period_months: period_months?,
        starts_on: starts_on?,
        heir_name: heir_name?,
        heir_relation: heir_relation?,
        heir_phone,
        on_behalf_of: on_behalf_of?,
        consent: consent?,
    })
}

/// A list of programmes holding `jkk` and `jkm` (`programmes_required`), each once, from
/// `jkk`/`jkm`/`jht` (`choice`). A form may send them comma-separated.
fn read_programmes(input: &Input, issues: &mut Issues) -> Option<Vec<Programme>> {
    let texts: Vec<String> = match input.raw("programmes") {
        None => {
            crate::input::require("programmes", issues);
            return None;
        }
        Some(Value::Array(items)) if items.len() <= Programme::ALL.len() * 2 => {
            let mut texts = Vec::new();
            for item in items {
                match item {
                    Value::String(text) if text.len() <= 10 => {
                        texts.push(text.trim().to_lowercase())
                    }
                    other => {
                        issues.error(
                            "programmes",
                            "not_text",
                            format_args!("must hold programme names (got {})", describe(other)),
                        );
                        return None;
                    }
                }
            }
            texts
        }
        Some(Value::String(text)) if input.fits("programmes", text, issues) => text
            .split(',')
            .map(|part| part.trim().to_lowercase())
            .filter(|part| !part.is_empty())
            .collect(),
        Some(Value::String(_)) => return None,
        Some(other) => {
            issues.error(
                "programmes",
                "not_text",
                format_args!("must be a list of programmes (got {})", describe(other)),
            );
            return None;
        }
    };
    let mut programmes = Vec::new();
    for text in &texts {
        match Programme::parse(text) {
            Some(programme) if !programmes.contains(&programme) => programmes.push(programme),
            Some(_) => {}
            None => {
                issues
                    .error(
                        "programmes",
                        "choice",
                        format_args!(
                            "must be among jkk, jkm, jht (got \"{}\")",
                            crate::limits::echo(text)
                        ),
                    )
                    .param("allowed", "jkk, jkm, jht");
                return None;
            }
        }
    }
    if !(programmes.contains(&Programme::Jkk) && programmes.contains(&Programme::Jkm)) {
        issues.error(
            "programmes",
            "programmes_required",
            "must contain jkk and jkm (jht is optional)",
        );
        return None;
    }
    programmes.sort();
    Some(programmes)
}

/// 1, 3, 6 or 12 (`period_choice{allowed}`).
fn read_period(input: &Input, issues: &mut Issues) -> Option<u32> {
    let months = input.number("period_months", Range::whole(0, 1000), issues);
    let Some(months) = months else {
        crate::input::require("period_months", issues);
        return None;
    };
    let months = months as u32;
    if !PERIODS.contains(&months) {
        issues
            .error(
                "period_months",
                "period_choice",
                format_args!("must be 1, 3, 6 or 12 months (got {months})"),
            )
            .param("allowed", "1, 3, 6, 12");
        return None;
    }
    Some(months)
}

/// Not before today (`starts_in_past`), not more than 30 days ahead (`starts_too_late`).
fn check_start(day: NaiveDate, today: NaiveDate, issues: &mut Issues) -> bool {
    if day < today {
        issues
            .error(
                "starts_on",
                "starts_in_past",
                format_args!("must not be before today {today} (got {day})"),
            )
            .param("today", today);
        return false;
    }
    let latest = today + LATEST_START;
    if day > latest {
        issues
            .error(
                "starts_on",
                "starts_too_late",
                format_args!("must be at most 30 days ahead, by {latest} (got {day})"),
            )
            .param("latest", latest);
        return false;
    }
    true
}

/// Not after today (`date_in_future`); an age outside 15-65 when cover starts warns `bpu_age`.
fn check_age(birth_date: NaiveDate, starts_on: NaiveDate, today: NaiveDate, issues: &mut Issues) {
    if birth_date > today {
        issues.error(
            "birth_date",
            "date_in_future",
            format_args!("must not be after today {today} (got {birth_date})"),
        );
        return;
    }
    let age = crate::intake::age_on(birth_date, starts_on);
    if !BPU_AGE.contains(&age) {
        issues
            .warning(
                "birth_date",
                "bpu_age",
                format_args!(
                    "gives an age of {age} when cover starts, outside {}-{}; BPJS Ketenagakerjaan may refuse it",
                    BPU_AGE.start(),
                    BPU_AGE.end()
                ),
            )
            .param("age", age);
    }
}

/// An optional `{name, phone}`; the name is required when the object is given.
fn read_on_behalf_of(input: &Input, issues: &mut Issues) -> Option<Option<OnBehalfOf>> {
    let Some(raw) = input.raw("on_behalf_of") else {
        return Some(None);
    };
    let Value::Object(object) = raw else {
        issues.error(
            "on_behalf_of",
            "not_object",
            format_args!(
                "must be an object with name and phone (got {})",
                describe(raw)
            ),
        );
        return None;
    };
    let mut inner = Issues::default();
    let nested = Input::new(object, crate::limits::ON_BEHALF_OF);
    nested.reject_unknown_keys(&["name", "phone"], "on_behalf_of", &mut inner);
    let name = nested.required_text("name", &mut inner);
    let phone = nested
        .text("phone", &mut inner)
        .filter(|phone| check_phone("phone", phone, &mut inner));
    let found = inner.into_rejected();
    let failed = !found.errors.is_empty();
    for mut issue in found.errors.into_iter().chain(found.warnings) {
        issue.field = format!("on_behalf_of.{}", issue.field);
        issues.push(issue);
    }
    if failed {
        return None;
    }
    Some(Some(OnBehalfOf { name: name?, phone }))
}

/// Must be `true` (`consent_required`); a form's `"true"` counts.
fn read_consent(input: &Input, issues: &mut Issues) -> Option<bool> {
    match input.raw("consent") {
        Some(Value::Bool(true)) => Some(true),
        Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("true") => Some(true),
        _ => {
            issues.error(
                "consent",
                "consent_required",
                "must be true: the person agreed to be registered and to share the data with BPJS Ketenagakerjaan",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests;
