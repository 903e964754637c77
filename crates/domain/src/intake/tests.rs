//! The intake rules, table-driven: one `check` helper, many one-line cases.

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
