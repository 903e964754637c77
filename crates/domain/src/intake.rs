//! The intake record (penerimaan pasien): the typed `Intake`, its field list in form order
//! (`INTAKE_FIELDS`), `validate_intake` which turns an untyped input into an `Intake` applying
//! every rule of DOMAIN.md's intake table, and the two views derived from a record: the stage I
//! report deadline (`report_due_at`) and the flat text form (`to_fields`) that forms, the CLI and
//! corrections work with.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, SecondsFormat, TimeDelta};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::enums::{CaseCategory, Consent, PlaceType, Segment, Sex};
use crate::formats::{check_kpj, check_npp, check_phone, parse_date, parse_datetime};
use crate::input::{Input, JsonObject};
use crate::issue::{Checked, Issues, Rejected};
use crate::nik::{check_nik_against_record, check_nik_format};

/// One admitted case, valid by every intake rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Intake {
    /// The record id (UUID v7), chosen at admission; never changes.
    pub id: Uuid,
    /// The patient's 16-digit NIK (Nomor Induk Kependudukan), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nik: Option<String>,
    /// Another identity document, when there is no NIK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_document: Option<String>,
    /// The BPJS Ketenagakerjaan membership number (KPJ, 11 digits), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpj: Option<String>,
    /// The patient's full name.
    pub full_name: String,
    /// The patient's sex.
    pub sex: Sex,
    /// The patient's date of birth.
    pub birth_date: NaiveDate,
    /// The patient's phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The patient's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The patient's occupation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupation: Option<String>,
    /// The membership segment (PU, BPU, ...).
    pub segment: Segment,
    /// The employer's name (required for a wage earner, PU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer_name: Option<String>,
    /// The employer's registration number at BPJS Ketenagakerjaan (NPP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer_npp: Option<String>,
    /// When the accident happened, with its UTC offset.
    pub accident_at: DateTime<FixedOffset>,
    /// When the patient was admitted at the clinic, with its UTC offset.
    pub admitted_at: DateTime<FixedOffset>,
    /// Work accident or occupational disease.
    pub case_category: CaseCategory,
    /// Where the accident happened: workplace, on the way, ...
    pub place_type: PlaceType,
    /// The accident's place, as told.
    pub accident_location: String,
    /// How the accident happened, as told.
    pub chronology: String,
    /// The injury as found at admission.
    pub injury: String,
    /// The police report number (for a traffic accident).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub police_report_number: Option<String>,
    /// Whom to contact: a relative or the employer.
    pub contact_name: String,
    /// The contact's phone number.
    pub contact_phone: String,
    /// The patient's consent to share the data with BPJS Ketenagakerjaan.
    pub consent: Consent,
}

/// Every intake field name in form order: patient, employer, accident, contact, consent.
pub const INTAKE_FIELDS: &[&str] = &[
    "id",
    "nik",
    "identity_document",
    "kpj",
    "full_name",
    "sex",
    "birth_date",
    "phone",
    "address",
    "occupation",
    "segment",
    "employer_name",
    "employer_npp",
    "accident_at",
    "admitted_at",
    "case_category",
    "place_type",
    "accident_location",
    "chronology",
    "injury",
    "police_report_number",
    "contact_name",
    "contact_phone",
    "consent",
];

/// How far `admitted_at` may run ahead of the desk's clock (clocks drift).
const ADMISSION_CLOCK_SLACK: TimeDelta = TimeDelta::minutes(5);
/// The stage I report is due 2 × 24 hours after the accident.
const REPORT_DEADLINE: TimeDelta = TimeDelta::hours(48);
/// Ages at the accident outside this range are warned about.
const USUAL_AGE: std::ops::RangeInclusive<i32> = 15..=80;

impl Intake {
    /// When the stage I report is due: `accident_at` + 48 hours, in the accident's offset.
    pub fn report_due_at(&self) -> DateTime<FixedOffset> {
        self.accident_at + REPORT_DEADLINE
    }

    /// Every present field as a JSON string (dates as `YYYY-MM-DD`, instants as RFC 3339 with
    /// their offset). `validate_intake` reads this back into the same record.
    pub fn to_fields(&self) -> JsonObject {
        let instant = |at: &DateTime<FixedOffset>| at.to_rfc3339_opts(SecondsFormat::AutoSi, false);
        let entries: [(&str, Option<String>); 24] = [
            ("id", Some(self.id.to_string())),
            ("nik", self.nik.clone()),
            ("identity_document", self.identity_document.clone()),
            ("kpj", self.kpj.clone()),
            ("full_name", Some(self.full_name.clone())),
            ("sex", Some(self.sex.to_string())),
            ("birth_date", Some(self.birth_date.to_string())),
            ("phone", self.phone.clone()),
            ("address", self.address.clone()),
            ("occupation", self.occupation.clone()),
            ("segment", Some(self.segment.to_string())),
            ("employer_name", self.employer_name.clone()),
            ("employer_npp", self.employer_npp.clone()),
            ("accident_at", Some(instant(&self.accident_at))),
            ("admitted_at", Some(instant(&self.admitted_at))),
            ("case_category", Some(self.case_category.to_string())),
            ("place_type", Some(self.place_type.to_string())),
            ("accident_location", Some(self.accident_location.clone())),
            ("chronology", Some(self.chronology.clone())),
            ("injury", Some(self.injury.clone())),
            ("police_report_number", self.police_report_number.clone()),
            ("contact_name", Some(self.contact_name.clone())),
            ("contact_phone", Some(self.contact_phone.clone())),
            ("consent", Some(self.consent.to_string())),
        ];
        entries
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_string(), Value::String(value?))))
            .collect()
    }
}

/// Checks an untyped intake against every intake rule and builds the record; all errors are
/// reported at once. `now` is the desk's clock with its local offset; `admitted_at` defaults to
/// it. `new_id` is used when the input has no "id" (an "id" given must be a UUID).
pub fn validate_intake(
    input: &JsonObject,
    new_id: Uuid,
    now: DateTime<FixedOffset>,
) -> Result<Checked<Intake>, Rejected> {
    let mut issues = Issues::default();
    let intake = read_intake(
        Input::new(input, crate::limits::INTAKE),
        new_id,
        now,
        &mut issues,
    );
    issues.finish(intake)
}

/// Reads every field, reporting into `issues`; the record when every required value was read.
fn read_intake(
    input: Input,
    new_id: Uuid,
    now: DateTime<FixedOffset>,
    issues: &mut Issues,
) -> Option<Intake> {
    input.reject_unknown_keys(INTAKE_FIELDS, "an intake", issues);
    let id = input.uuid("id", issues).unwrap_or(new_id);
    // Patient.
    let nik = input
        .text("nik", issues)
        .filter(|nik| check_nik_format(nik, issues));
    let identity_document = input.text("identity_document", issues);
    let kpj = input.text("kpj", issues).map(|kpj| kpj.to_uppercase());
    let kpj = kpj.filter(|kpj| check_kpj(kpj, issues));
    if ["nik", "kpj", "identity_document"]
        .iter()
        .all(|field| !input.is_given(field))
    {
        issues.error(
            "nik",
            "identity_required",
            "at least one of nik, kpj or identity_document is required",
        );
    }
    let full_name = input.required_text("full_name", issues);
    let sex = input.required_choice::<Sex>("sex", issues);
    let birth_date = input.required_text("birth_date", issues);
    let birth_date = birth_date.and_then(|text| parse_date("birth_date", &text, issues));
    let phone = input
        .text("phone", issues)
        .filter(|phone| check_phone("phone", phone, issues));
    let address = input.text("address", issues);
    let occupation = input.text("occupation", issues);
    // Employer.
    let segment = input.required_choice::<Segment>("segment", issues);
    let employer_name = input.text("employer_name", issues);
    let employer_npp = input
        .text("employer_npp", issues)
        .filter(|npp| check_npp(npp, issues));
    // Accident.
    let accident_at = input.required_text("accident_at", issues);
    let accident_at = accident_at.and_then(|text| parse_datetime("accident_at", &text, issues));
    let admitted_at = match input.text("admitted_at", issues) {
        Some(text) => parse_datetime("admitted_at", &text, issues),
        None if input.is_given("admitted_at") => None, // not text: already reported
        None => Some(now),
    };
    let case_category = input.required_choice::<CaseCategory>("case_category", issues);
    let place_type = input.required_choice::<PlaceType>("place_type", issues);
    let accident_location = input.required_text("accident_location", issues);
    let chronology = input.required_text("chronology", issues);
    let injury = input.required_text("injury", issues);
    let police_report_number = input.text("police_report_number", issues);
    // Contact and consent.
    let contact_name = input.required_text("contact_name", issues);
    let contact_phone = input.required_text("contact_phone", issues);
    let contact_phone = contact_phone.filter(|phone| check_phone("contact_phone", phone, issues));
    let consent = input.required_choice::<Consent>("consent", issues);

    // Rules across fields.
    if let Some(nik) = &nik {
        check_nik_against_record(nik, birth_date, sex, issues);
    }
    if let Some(birth_date) = birth_date {
        let accident_day = accident_at.map_or(now.date_naive(), |at| at.date_naive());
        check_birth_date(birth_date, now.date_naive(), accident_day, issues);
    }
    if let (Some(accident_at), Some(admitted_at)) = (accident_at, admitted_at) {
        check_times(accident_at, admitted_at, now, issues);
    }
    if let Some(segment @ (Segment::Pu | Segment::Jakon)) = segment {
        if !input.is_given("employer_name") {
            issues
                .error(
                    "employer_name",
                    "required_for_segment",
                    format_args!("is required for segment {segment}"),
                )
                .param("segment", segment);
        }
    }
    if case_category == Some(CaseCategory::OccupationalDisease) && !input.is_given("occupation") {
        issues
            .error(
                "occupation",
                "required_for_category",
                "is required for case category occupational_disease",
            )
            .param("category", CaseCategory::OccupationalDisease);
    }
    if place_type == Some(PlaceType::Traffic) && !input.is_given("police_report_number") {
        issues.warning(
            "police_report_number",
            "police_report_missing",
            "is missing for a traffic accident; the claim needs it, so ask for it later",
        );
    }

    Some(Intake {
        id,
        nik,
        identity_document,
        kpj,
        full_name: full_name?,
        sex: sex?,
        birth_date: birth_date?,
        phone,
        address,
        occupation,
        segment: segment?,
        employer_name,
        employer_npp,
        accident_at: accident_at?,
        admitted_at: admitted_at?,
        case_category: case_category?,
        place_type: place_type?,
        accident_location: accident_location?,
        chronology: chronology?,
        injury: injury?,
        police_report_number,
        contact_name: contact_name?,
        contact_phone: contact_phone?,
        consent: consent?,
    })
}

/// Not after today (`date_in_future`); age at the accident outside 15-80 warns `age_unusual`.
fn check_birth_date(
    birth_date: NaiveDate,
    today: NaiveDate,
    accident_day: NaiveDate,
    issues: &mut Issues,
) {
    if birth_date > today {
        issues.error(
            "birth_date",
            "date_in_future",
            format_args!("must not be after today {today} (got {birth_date})"),
        );
        return;
    }
    let age = age_on(birth_date, accident_day);
    if !USUAL_AGE.contains(&age) {
        issues
            .warning(
                "birth_date",
                "age_unusual",
                format_args!(
                    "gives an age of {age} at the accident, outside the usual {}-{}; check it",
                    USUAL_AGE.start(),
                    USUAL_AGE.end()
                ),
            )
            .param("age", age);
    }
}

/// Whole years from `birth_date` to `day`.
fn age_on(birth_date: NaiveDate, day: NaiveDate) -> i32 {
    let had_birthday = (day.month(), day.day()) >= (birth_date.month(), birth_date.day());
    day.year() - birth_date.year() - if had_birthday { 0 } else { 1 }
}

/// `accident_at` <= `admitted_at` (`accident_after_admission`, on accident_at) and
/// `admitted_at` <= now + 5 minutes (`admitted_in_future`).
fn check_times(
    accident_at: DateTime<FixedOffset>,
    admitted_at: DateTime<FixedOffset>,
    now: DateTime<FixedOffset>,
    issues: &mut Issues,
) {
    if accident_at > admitted_at {
        issues.error(
            "accident_at",
            "accident_after_admission",
            format_args!(
                "must not be after admitted_at {} (got {})",
                admitted_at.to_rfc3339(),
                accident_at.to_rfc3339()
            ),
        );
    }
    if admitted_at > now + ADMISSION_CLOCK_SLACK {
        issues.error(
            "admitted_at",
            "admitted_in_future",
            format_args!(
                "must not be more than 5 minutes after now {} (got {})",
                now.to_rfc3339(),
                admitted_at.to_rfc3339()
            ),
        );
    }
}

#[cfg(test)]
pub(crate) mod tests;
