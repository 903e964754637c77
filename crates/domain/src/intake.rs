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
    pub id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nik: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_document: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpj: Option<String>,
    pub full_name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupation: Option<String>,
    pub segment: Segment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer_npp: Option<String>,
    pub accident_at: DateTime<FixedOffset>,
    pub admitted_at: DateTime<FixedOffset>,
    pub case_category: CaseCategory,
    pub place_type: PlaceType,
    pub accident_location: String,
    pub chronology: String,
    pub injury: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub police_report_number: Option<String>,
    pub contact_name: String,
    pub contact_phone: String,
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
pub(crate) mod tests {
    use serde_json::json;

    use super::*;

    pub(crate) fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-24T10:00:00+07:00").unwrap()
    }

    pub(crate) fn new_id() -> Uuid {
        Uuid::parse_str("019ab5d2-7c00-7000-8000-000000000001").unwrap()
    }

    pub(crate) fn sample() -> JsonObject {
        let value = json!({
            "nik": "3216055708900003", "kpj": "12345678901", "full_name": "Siti Rahmawati",
            "sex": "female", "birth_date": "1990-08-17", "phone": "081234567890", "segment": "PU",
            "employer_name": "PT Maju Jaya", "employer_npp": "12345678",
            "accident_at": "2026-11-24T08:30:00+07:00", "admitted_at": "2026-11-24T09:10:00+07:00",
            "case_category": "work_accident", "place_type": "workplace",
            "accident_location": "Gudang PT Maju Jaya, Cikarang",
            "chronology": "Terjatuh dari tangga saat memindahkan barang di gudang",
            "injury": "Patah tulang lengan kiri", "contact_name": "Budi",
            "contact_phone": "081298765432", "consent": "patient"
        });
        value.as_object().unwrap().clone()
    }

    pub(crate) fn valid_sample() -> Intake {
        validate_intake(&sample(), new_id(), now()).unwrap().record
    }

    /// Prints issues as "E field rule" / "W field rule", separated by "; ".
    pub(crate) fn summary(errors: &[crate::Issue], warnings: &[crate::Issue]) -> String {
        errors
            .iter()
            .map(|issue| format!("E {} {}", issue.field, issue.rule))
            .chain(
                warnings
                    .iter()
                    .map(|issue| format!("W {} {}", issue.field, issue.rule)),
            )
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Validates the sample with `patch` laid over it (a null value removes the key) and
    /// compares the issues with `expected` ("" when none).
    fn check(patch: Value, expected: &str) {
        let mut input = sample();
        for (key, value) in patch.as_object().unwrap() {
            input.insert(key.clone(), value.clone());
        }
        let actual = match validate_intake(&input, new_id(), now()) {
            Ok(checked) => summary(&[], &checked.warnings),
            Err(rejected) => summary(&rejected.errors, &rejected.warnings),
        };
        assert_eq!(actual, expected, "for patch {patch}");
    }

    #[test]
    fn sample_is_valid() {
        check(json!({}), "");
    }
    #[test]
    fn unknown_field() {
        check(json!({"nama": "Siti"}), "E nama unknown_field");
    }
    #[test]
    fn id_given() {
        check(json!({"id": "019ab5d2-7c00-7000-8000-0000000000ff"}), "");
    }
    #[test]
    fn id_not_uuid() {
        check(json!({"id": "case-1"}), "E id uuid_format");
    }
    #[test]
    fn wrong_json_type() {
        check(json!({"nik": 3216055708900003_u64}), "E nik not_text");
    }
    #[test]
    fn wrong_json_type_for_required() {
        check(json!({"full_name": ["Siti"]}), "E full_name not_text");
    }

    #[test]
    fn every_text_field_is_held_to_its_length() {
        for limit in crate::limits::INTAKE {
            let too_long = "1".repeat(limit.max + 1);
            check(
                json!({ limit.field: too_long }),
                &format!("E {} too_long", limit.field),
            );
        }
    }
    #[test]
    fn employer_npp_of_a_megabyte() {
        check(
            json!({"employer_npp": "9".repeat(1 << 20)}),
            "E employer_npp too_long",
        );
    }
    #[test]
    fn phone_padded_with_spaces() {
        check(
            json!({"phone": format!("0812{}34567890", " ".repeat(30))}),
            "E phone too_long",
        );
    }
    #[test]
    fn nik_15_digits() {
        check(json!({"nik": "321605570890000"}), "E nik nik_format");
    }
    #[test]
    fn nik_letter() {
        check(json!({"nik": "32160557089000O3"}), "E nik nik_format");
    }
    #[test]
    fn nik_day_35() {
        check(json!({"nik": "3216053508900003"}), "E nik nik_day");
    }
    #[test]
    fn nik_day_45_female() {
        check(
            json!({"nik": "3216054508900003", "birth_date": "1990-08-05"}),
            "",
        );
    }
    #[test]
    fn nik_serial_0000() {
        check(json!({"nik": "3216055708900000"}), "E nik nik_serial");
    }
    #[test]
    fn nik_month_13() {
        check(json!({"nik": "3216055713900003"}), "W nik nik_month");
    }
    #[test]
    fn nik_unknown_province() {
        check(
            json!({"nik": "9916055708900003"}),
            "W nik nik_province_unknown",
        );
    }
    #[test]
    fn nik_birth_date_mismatch() {
        check(
            json!({"birth_date": "1990-08-18"}),
            "W nik nik_birth_date_mismatch",
        );
    }
    #[test]
    fn nik_sex_mismatch() {
        check(json!({"sex": "male"}), "W nik nik_sex_mismatch");
    }
    #[test]
    fn nik_absent_but_kpj() {
        check(json!({"nik": null}), "");
    }

    #[test]
    fn kpj_uppercased_and_letters_warn() {
        check(json!({"kpj": "12ab5678901"}), "W kpj kpj_letters");
    }
    #[test]
    fn kpj_short() {
        check(json!({"kpj": "1234567890"}), "E kpj kpj_format");
    }
    #[test]
    fn kpj_absent_but_nik() {
        check(json!({"kpj": ""}), "");
    }
    #[test]
    fn identity_required() {
        check(json!({"nik": null, "kpj": " "}), "E nik identity_required");
    }
    #[test]
    fn identity_document_alone() {
        check(
            json!({"nik": null, "kpj": null, "identity_document": "C1234567"}),
            "",
        );
    }
    #[test]
    fn identity_invalid_nik_is_not_also_missing() {
        check(json!({"nik": "123", "kpj": null}), "E nik nik_format");
    }
    #[test]
    fn identity_document_too_long() {
        check(
            json!({"identity_document": "X".repeat(201)}),
            "E identity_document too_long",
        );
    }

    #[test]
    fn full_name_missing() {
        check(json!({"full_name": null}), "E full_name required");
    }
    #[test]
    fn full_name_1_char() {
        check(json!({"full_name": "S"}), "E full_name too_short");
    }
    #[test]
    fn full_name_2_chars() {
        check(json!({"full_name": "Si"}), "");
    }
    #[test]
    fn full_name_100_chars() {
        check(json!({"full_name": "a".repeat(100)}), "");
    }
    #[test]
    fn full_name_101_chars() {
        check(
            json!({"full_name": "a".repeat(101)}),
            "E full_name too_long",
        );
    }
    #[test]
    fn sex_missing() {
        check(json!({"sex": null}), "E sex required");
    }
    #[test]
    fn sex_other_value() {
        check(json!({"sex": "perempuan"}), "E sex choice");
    }
    #[test]
    fn segment_lower_case_accepted() {
        check(json!({"segment": "bpu", "employer_name": null}), "");
    }
    #[test]
    fn segment_unknown() {
        check(json!({"segment": "ASN"}), "E segment choice");
    }
    #[test]
    fn segment_missing() {
        check(json!({"segment": ""}), "E segment required");
    }
    #[test]
    fn case_category_unknown() {
        check(
            json!({"case_category": "accident"}),
            "E case_category choice",
        );
    }
    #[test]
    fn place_type_missing() {
        check(json!({"place_type": null}), "E place_type required");
    }
    #[test]
    fn consent_each_choice() {
        check(json!({"consent": "family"}), "");
        check(json!({"consent": "pending"}), "");
    }
    #[test]
    fn consent_unknown() {
        check(json!({"consent": "yes"}), "E consent choice");
    }
    #[test]
    fn consent_missing() {
        check(json!({"consent": null}), "E consent required");
    }

    #[test]
    fn birth_date_missing() {
        check(json!({"birth_date": null}), "E birth_date required");
    }
    #[test]
    fn birth_date_format() {
        check(
            json!({"birth_date": "17-08-1990"}),
            "E birth_date date_format",
        );
    }
    #[test]
    fn birth_date_today_is_not_future() {
        check(
            json!({"nik": null, "birth_date": "2026-11-24"}),
            "W birth_date age_unusual",
        );
    }
    #[test]
    fn birth_date_tomorrow() {
        check(
            json!({"nik": null, "birth_date": "2026-11-25"}),
            "E birth_date date_in_future",
        );
    }
    #[test]
    fn age_15_ok() {
        check(json!({"nik": null, "birth_date": "2011-11-24"}), "");
    }
    #[test]
    fn age_14_warns() {
        check(
            json!({"nik": null, "birth_date": "2011-11-25"}),
            "W birth_date age_unusual",
        );
    }
    #[test]
    fn age_80_ok() {
        check(json!({"nik": null, "birth_date": "1945-11-25"}), "");
    }
    #[test]
    fn age_81_warns() {
        check(
            json!({"nik": null, "birth_date": "1945-11-24"}),
            "W birth_date age_unusual",
        );
    }

    #[test]
    fn phone_absent() {
        check(json!({"phone": null}), "");
    }
    #[test]
    fn phone_international() {
        check(json!({"phone": "+62 812-3456-7890"}), "");
    }
    #[test]
    fn phone_too_short() {
        check(json!({"phone": "0812345"}), "E phone phone_format");
    }
    #[test]
    fn phone_too_long() {
        check(json!({"phone": "0812345678901234"}), "E phone phone_format");
    }
    #[test]
    fn phone_other_prefix() {
        check(json!({"phone": "021-5551234"}), "E phone phone_format");
    }
    #[test]
    fn address_long() {
        check(json!({"address": "a".repeat(201)}), "E address too_long");
    }

    #[test]
    fn employer_required_for_pu() {
        check(
            json!({"employer_name": null}),
            "E employer_name required_for_segment",
        );
    }
    #[test]
    fn employer_required_for_jakon() {
        check(
            json!({"segment": "JAKON", "employer_name": ""}),
            "E employer_name required_for_segment",
        );
    }
    #[test]
    fn employer_optional_for_bpu() {
        check(
            json!({"segment": "BPU", "employer_name": null, "employer_npp": null}),
            "",
        );
    }
    #[test]
    fn employer_optional_for_pmi() {
        check(json!({"segment": "PMI", "employer_name": null}), "");
    }
    #[test]
    fn npp_dash() {
        check(
            json!({"employer_npp": "1234-5678"}),
            "E employer_npp npp_format",
        );
    }
    #[test]
    fn npp_length_warns() {
        check(
            json!({"employer_npp": "NPW123"}),
            "W employer_npp npp_length",
        );
    }

    #[test]
    fn accident_missing() {
        check(json!({"accident_at": null}), "E accident_at required");
    }
    #[test]
    fn accident_without_offset() {
        check(
            json!({"accident_at": "2026-11-24T08:30:00"}),
            "E accident_at datetime_format",
        );
    }
    #[test]
    fn accident_equal_to_admission() {
        check(json!({"accident_at": "2026-11-24T09:10:00+07:00"}), "");
    }
    #[test]
    fn accident_after_admission() {
        check(
            json!({"accident_at": "2026-11-24T09:11:00+07:00"}),
            "E accident_at accident_after_admission",
        );
    }
    #[test]
    fn accident_compared_across_offsets() {
        // 10:00 WITA is 09:00 WIB, before the 09:10 WIB admission.
        check(json!({"accident_at": "2026-11-24T10:00:00+08:00"}), "");
    }
    #[test]
    fn admitted_without_offset() {
        check(
            json!({"admitted_at": "2026-11-24T09:10"}),
            "E admitted_at datetime_format",
        );
    }
    #[test]
    fn admitted_5_minutes_ahead_ok() {
        check(json!({"admitted_at": "2026-11-24T10:05:00+07:00"}), "");
    }
    #[test]
    fn admitted_more_than_5_minutes_ahead() {
        check(
            json!({"admitted_at": "2026-11-24T10:05:01+07:00"}),
            "E admitted_at admitted_in_future",
        );
    }
    #[test]
    fn admitted_defaults_to_now() {
        let mut input = sample();
        input.remove("admitted_at");
        let intake = validate_intake(&input, new_id(), now()).unwrap().record;
        assert_eq!(
            intake.admitted_at,
            now(),
            "admitted_at defaults to the desk clock"
        );
    }
    #[test]
    fn accident_after_default_admission() {
        check(
            json!({"admitted_at": null, "accident_at": "2026-11-24T10:30:00+07:00"}),
            "E accident_at accident_after_admission",
        );
    }
    #[test]
    fn admitted_not_text() {
        check(json!({"admitted_at": 5}), "E admitted_at not_text");
    }

    #[test]
    fn occupation_required_for_disease() {
        check(
            json!({"case_category": "occupational_disease"}),
            "E occupation required_for_category",
        );
    }
    #[test]
    fn occupation_given_for_disease() {
        check(
            json!({"case_category": "occupational_disease", "occupation": "Operator mesin"}),
            "",
        );
    }
    #[test]
    fn traffic_without_police_report() {
        check(
            json!({"place_type": "traffic"}),
            "W police_report_number police_report_missing",
        );
    }
    #[test]
    fn traffic_with_police_report() {
        check(
            json!({"place_type": "traffic", "police_report_number": "LP/123/XI/2026"}),
            "",
        );
    }
    #[test]
    fn location_missing() {
        check(
            json!({"accident_location": " "}),
            "E accident_location required",
        );
    }
    #[test]
    fn chronology_19_chars() {
        check(
            json!({"chronology": "a".repeat(19)}),
            "E chronology too_short",
        );
    }
    #[test]
    fn chronology_20_chars() {
        check(json!({"chronology": "a".repeat(20)}), "");
    }
    #[test]
    fn chronology_4001_chars() {
        check(
            json!({"chronology": "a".repeat(4001)}),
            "E chronology too_long",
        );
    }
    #[test]
    fn injury_missing() {
        check(json!({"injury": null}), "E injury required");
    }
    #[test]
    fn contact_name_missing() {
        check(json!({"contact_name": null}), "E contact_name required");
    }
    #[test]
    fn contact_phone_missing() {
        check(json!({"contact_phone": ""}), "E contact_phone required");
    }
    #[test]
    fn contact_phone_format() {
        check(
            json!({"contact_phone": "12345"}),
            "E contact_phone phone_format",
        );
    }

    #[test]
    fn all_errors_at_once_with_warnings() {
        check(
            json!({"nik": "9916053508900000", "full_name": "S", "sex": null, "phone": "1",
                   "segment": "JAKON", "employer_name": null, "place_type": "traffic",
                   "chronology": "jatuh", "consent": "ya"}),
            "E nik nik_day; E nik nik_serial; E full_name too_short; E sex required; \
             E phone phone_format; E chronology too_short; E consent choice; \
             E employer_name required_for_segment; \
             W nik nik_province_unknown; W police_report_number police_report_missing",
        );
    }
    #[test]
    fn empty_input_names_every_required_field() {
        let rejected = validate_intake(&JsonObject::new(), new_id(), now()).unwrap_err();
        assert_eq!(
            summary(&rejected.errors, &rejected.warnings),
            "E nik identity_required; E full_name required; E sex required; \
             E birth_date required; E segment required; E accident_at required; \
             E case_category required; E place_type required; E accident_location required; \
             E chronology required; E injury required; E contact_name required; \
             E contact_phone required; E consent required"
        );
    }

    #[test]
    fn record_values_are_normalized() {
        let mut input = sample();
        input.insert("kpj".into(), json!(" 12ab5678901 "));
        input.insert("full_name".into(), json!("  Siti Rahmawati "));
        input.insert("phone".into(), json!(" 0812-3456-7890 "));
        let checked = validate_intake(&input, new_id(), now()).unwrap();
        let intake = checked.record;
        assert_eq!(intake.id, new_id(), "new_id is used when there is no id");
        assert_eq!(intake.kpj.as_deref(), Some("12AB5678901"));
        assert_eq!(intake.full_name, "Siti Rahmawati");
        assert_eq!(
            intake.phone.as_deref(),
            Some("0812-3456-7890"),
            "phone keeps what was typed"
        );
        assert_eq!(intake.sex, Sex::Female);
        assert_eq!(intake.accident_at.offset().local_minus_utc(), 7 * 3600);
    }

    #[test]
    fn messages_name_field_and_value() {
        let mut input = sample();
        input.insert("admitted_at".into(), json!("2026-11-24T08:00:00+07:00"));
        let rejected = validate_intake(&input, new_id(), now()).unwrap_err();
        assert_eq!(
            rejected.to_string(),
            "accident_at: must not be after admitted_at 2026-11-24T08:00:00+07:00 \
             (got 2026-11-24T08:30:00+07:00) [accident_after_admission]"
        );
    }

    #[test]
    fn params_for_translation() {
        let mut input = sample();
        input.insert("chronology".into(), json!("jatuh"));
        input.insert("segment".into(), json!("JAKON"));
        input.remove("employer_name");
        let rejected = validate_intake(&input, new_id(), now()).unwrap_err();
        let params: Vec<_> = rejected
            .errors
            .iter()
            .map(|issue| format!("{:?}", issue.params))
            .collect();
        assert_eq!(params, ["{\"min\": \"20\"}", "{\"segment\": \"JAKON\"}"]);
    }

    #[test]
    fn report_due_48_hours_later_keeping_offset() {
        let mut intake = valid_sample();
        assert_eq!(
            intake.report_due_at().to_rfc3339(),
            "2026-11-26T08:30:00+07:00"
        );
        intake.accident_at = DateTime::parse_from_rfc3339("2026-12-31T23:00:00+09:00").unwrap();
        assert_eq!(
            intake.report_due_at().to_rfc3339(),
            "2027-01-02T23:00:00+09:00"
        );
    }

    #[test]
    fn to_fields_reads_back_to_the_same_record() {
        let intake = valid_sample();
        let fields = intake.to_fields();
        assert_eq!(fields["birth_date"], "1990-08-17");
        assert_eq!(fields["accident_at"], "2026-11-24T08:30:00+07:00");
        assert_eq!(fields["segment"], "PU");
        assert_eq!(fields["id"], new_id().to_string());
        assert!(
            !fields.contains_key("address"),
            "absent fields are left out"
        );
        assert!(fields
            .keys()
            .all(|key| INTAKE_FIELDS.contains(&key.as_str())));
        let other_id = Uuid::nil();
        let again = validate_intake(&fields, other_id, now()).unwrap().record;
        assert_eq!(again, intake);
    }

    #[test]
    fn serde_skips_absent_options_and_round_trips() {
        let intake = valid_sample();
        let json = serde_json::to_value(&intake).unwrap();
        assert!(json.get("address").is_none());
        assert_eq!(json["accident_at"], "2026-11-24T08:30:00+07:00");
        let back: Intake = serde_json::from_value(json).unwrap();
        assert_eq!(back, intake);
    }

    #[test]
    fn intake_fields_match_struct() {
        let intake = Intake {
            address: Some("a".into()),
            occupation: Some("o".into()),
            identity_document: Some("i".into()),
            police_report_number: Some("p".into()),
            ..valid_sample()
        };
        let fields = intake.to_fields();
        let names: Vec<_> = fields.keys().map(String::as_str).collect();
        let mut expected = INTAKE_FIELDS.to_vec();
        expected.sort_unstable();
        assert_eq!(names, expected, "to_fields covers every INTAKE_FIELDS name");
    }
}
