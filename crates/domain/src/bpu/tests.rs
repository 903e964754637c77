//! The BPU registration's rules, data-driven: one `check`, one line per case.
use serde_json::json;

use super::*;
use crate::intake::tests::summary;

fn today() -> NaiveDate {
    "2026-11-24".parse().unwrap()
}

fn new_id() -> Uuid {
    Uuid::parse_str("019ab5d2-7c00-7000-8000-0000000000b1").unwrap()
}

pub(crate) fn sample() -> JsonObject {
    json!({
        "nik": "3216055708900003", "full_name": "Siti Rahmawati", "sex": "female",
        "birth_date": "1990-08-17", "phone": "081234567890",
        "address": "Kp. Rawa Bebek RT 02/05, Cikarang", "occupation": "street_vendor",
        "declared_income": 1500000, "programmes": ["jkk", "jkm"], "period_months": 1,
        "starts_on": "2026-11-24", "heir_name": "Budi", "heir_relation": "spouse",
        "consent": true
    })
    .as_object()
    .unwrap()
    .clone()
}

/// Validates the sample with `patch` laid over it (null removes the key) and compares the
/// issues ("E field rule; W field rule") with `expected`.
fn check(patch: Value, expected: &str) {
    let mut input = sample();
    for (key, value) in patch.as_object().unwrap() {
        if value.is_null() {
            input.remove(key);
        } else {
            input.insert(key.clone(), value.clone());
        }
    }
    let actual = match validate_bpu(&input, new_id(), today()) {
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
    check(json!({"nama": "x"}), "E nama unknown_field");
}
#[test]
fn contribution_is_not_typed() {
    check(
        json!({"contribution": {"jkk": 1}}),
        "E contribution unknown_field",
    );
}
#[test]
fn nik_required() {
    check(json!({"nik": null}), "E nik required");
}
#[test]
fn nik_format() {
    check(json!({"nik": "12345"}), "E nik nik_format");
}
#[test]
fn nik_against_birth_date() {
    check(
        json!({"birth_date": "1991-08-17"}),
        "W nik nik_birth_date_mismatch",
    );
}
#[test]
fn full_name_required_and_short() {
    check(json!({"full_name": null}), "E full_name required");
    check(json!({"full_name": "S"}), "E full_name too_short");
}
#[test]
fn sex_choice() {
    check(json!({"sex": "x"}), "E sex choice");
}
#[test]
fn birth_date_rules() {
    check(
        json!({"birth_date": "17-08-1990"}),
        "E birth_date date_format",
    );
    check(
        json!({"birth_date": "2026-12-01", "nik": null}),
        "E nik required; E birth_date date_in_future",
    );
}
#[test]
fn age_outside_15_to_65_warns() {
    check(
        json!({"birth_date": "1950-01-01", "nik": "3216054101500003"}),
        "W birth_date bpu_age",
    );
    check(
        json!({"birth_date": "2012-01-01", "nik": "3216054101120003"}),
        "W birth_date bpu_age",
    );
    check(
        json!({"birth_date": "1961-11-24", "nik": "3216056411610003"}),
        "",
    );
}
#[test]
fn phone_required_and_format() {
    check(json!({"phone": null}), "E phone required");
    check(json!({"phone": "12345"}), "E phone phone_format");
}
#[test]
fn address_required() {
    check(json!({"address": null}), "E address required");
}
#[test]
fn occupation_rules() {
    check(json!({"occupation": null}), "E occupation required");
    check(json!({"occupation": "pilot"}), "E occupation choice");
    check(
        json!({"occupation": "other"}),
        "E occupation_detail required",
    );
    check(
        json!({"occupation": "other", "occupation_detail": "Tukang pijat"}),
        "",
    );
}
#[test]
fn declared_income_rules() {
    check(
        json!({"declared_income": null}),
        "E declared_income required",
    );
    check(
        json!({"declared_income": 0}),
        "E declared_income out_of_range",
    );
    check(
        json!({"declared_income": -5}),
        "E declared_income out_of_range",
    );
    check(
        json!({"declared_income": 1500.5}),
        "E declared_income not_integer",
    );
    check(
        json!({"declared_income": "satu juta"}),
        "E declared_income not_number",
    );
    check(json!({"declared_income": "2000000"}), "");
}
#[test]
fn programmes_rules() {
    check(json!({"programmes": null}), "E programmes required");
    check(
        json!({"programmes": ["jkk"]}),
        "E programmes programmes_required",
    );
    check(
        json!({"programmes": ["jkm", "jht"]}),
        "E programmes programmes_required",
    );
    check(
        json!({"programmes": ["jkk", "jkm", "jp"]}),
        "E programmes choice",
    );
    check(
        json!({"programmes": "jkk"}),
        "E programmes programmes_required",
    );
    check(json!({"programmes": "jkk,jkm,jht"}), "");
    check(json!({"programmes": ["JKK", "jkm", "jkm"]}), "");
    check(json!({"programmes": 3}), "E programmes not_text");
}
#[test]
fn period_rules() {
    check(json!({"period_months": null}), "E period_months required");
    check(json!({"period_months": 2}), "E period_months period_choice");
    check(json!({"period_months": "12"}), "");
}
#[test]
fn starts_on_rules() {
    check(json!({"starts_on": null}), "E starts_on required");
    check(
        json!({"starts_on": "2026-11-23"}),
        "E starts_on starts_in_past",
    );
    check(json!({"starts_on": "2026-12-24"}), "");
    check(
        json!({"starts_on": "2026-12-25"}),
        "E starts_on starts_too_late",
    );
}
#[test]
fn heir_rules() {
    check(json!({"heir_name": null}), "E heir_name required");
    check(json!({"heir_relation": null}), "E heir_relation required");
    check(json!({"heir_relation": "friend"}), "E heir_relation choice");
    check(json!({"heir_phone": "0"}), "E heir_phone phone_format");
    check(json!({"heir_phone": "0812 3456 7890"}), "");
}
#[test]
fn on_behalf_of_rules() {
    check(
        json!({"on_behalf_of": {"name": "Bu Ani", "phone": "081311112222"}}),
        "",
    );
    check(
        json!({"on_behalf_of": {"phone": "081311112222"}}),
        "E on_behalf_of.name required",
    );
    check(
        json!({"on_behalf_of": {"name": "Bu Ani", "phone": "1"}}),
        "E on_behalf_of.phone phone_format",
    );
    check(
        json!({"on_behalf_of": "Bu Ani"}),
        "E on_behalf_of not_object",
    );
}
#[test]
fn consent_must_be_true() {
    check(json!({"consent": null}), "E consent consent_required");
    check(json!({"consent": false}), "E consent consent_required");
    check(json!({"consent": "true"}), "");
}
#[test]
fn every_error_at_once() {
    check(
        json!({"nik": null, "phone": null, "consent": false}),
        "E nik required; E phone required; E consent consent_required",
    );
}

#[test]
fn round_trip_through_fields() {
    let record = validate_bpu(&sample(), new_id(), today()).unwrap().record;
    let again = validate_bpu(&record.to_fields(), Uuid::nil(), today())
        .unwrap()
        .record;
    assert_eq!(again, record, "to_fields reads back into the same record");
}

#[test]
fn contribution_mismatch_names_both_values() {
    let record = validate_bpu(&sample(), new_id(), today()).unwrap().record;
    let tariff = Tariff::bundled();
    let mut claimed = record.contribution(&tariff);
    assert!(check_contribution(&record, &tariff, &claimed).is_ok());
    claimed.period_total = 1;
    let refused = check_contribution(&record, &tariff, &claimed).unwrap_err();
    let issue = &refused.errors[0];
    assert_eq!(
        (issue.field.as_str(), issue.rule.as_str()),
        ("contribution", "contribution_mismatch")
    );
    assert_eq!(issue.params["claimed"], "1");
    assert_eq!(
        issue.params["expected"],
        record.contribution(&tariff).period_total.to_string()
    );
}
