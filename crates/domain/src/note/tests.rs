//! The note rules, table-driven: one `check` helper, many one-line cases.

use serde_json::json;

use super::*;
use crate::intake::tests::summary;

fn new_id() -> Uuid {
    Uuid::parse_str("019ab5d2-7c00-7000-8000-0000000000aa").unwrap()
}

/// Validates `{"text": "Luka dibersihkan"}` with `patch` over it for a work accident.
fn check(patch: Value, expected: &str) {
    check_for(CaseCategory::WorkAccident, patch, expected);
}

/// Prints "ok" plus warnings when valid, else the issues.
fn check_for(category: CaseCategory, patch: Value, expected: &str) {
    let mut input = json!({"text": "Luka dibersihkan"})
        .as_object()
        .unwrap()
        .clone();
    for (key, value) in patch.as_object().unwrap() {
        input.insert(key.clone(), value.clone());
    }
    let actual = match validate_note(&input, new_id(), category) {
        Ok(checked) => format!("ok {}", summary(&[], &checked.warnings))
            .trim_end()
            .to_string(),
        Err(rejected) => summary(&rejected.errors, &rejected.warnings),
    };
    assert_eq!(actual, expected, "for patch {patch}");
}

#[test]
fn text_only() {
    check(json!({}), "ok");
}
#[test]
fn text_missing() {
    check(json!({"text": "  "}), "E text required");
}
#[test]
fn text_1_char() {
    check(json!({"text": "x"}), "ok");
}
#[test]
fn text_4000_chars() {
    check(json!({"text": "x".repeat(4000)}), "ok");
}
#[test]
fn text_4001_chars() {
    check(json!({"text": "x".repeat(4001)}), "E text too_long");
}
#[test]
fn text_not_text() {
    check(json!({"text": 12}), "E text not_text");
}

#[test]
fn systolic_edges() {
    check(json!({"systolic": 50}), "ok");
    check(json!({"systolic": 49}), "E systolic out_of_range");
    check(json!({"systolic": 260}), "ok");
    check(json!({"systolic": 261}), "E systolic out_of_range");
}
#[test]
fn diastolic_edges() {
    check(json!({"diastolic": 30}), "ok");
    check(json!({"diastolic": 29}), "E diastolic out_of_range");
    check(json!({"diastolic": 160}), "ok");
    check(json!({"diastolic": 161}), "E diastolic out_of_range");
}
#[test]
fn pulse_edges() {
    check(json!({"pulse": 20}), "ok");
    check(json!({"pulse": 19}), "E pulse out_of_range");
    check(json!({"pulse": 250}), "ok");
    check(json!({"pulse": 251}), "E pulse out_of_range");
}
#[test]
fn resp_rate_edges() {
    check(json!({"resp_rate": 5}), "ok");
    check(json!({"resp_rate": 4}), "E resp_rate out_of_range");
    check(json!({"resp_rate": 60}), "ok");
    check(json!({"resp_rate": 61}), "E resp_rate out_of_range");
}
#[test]
fn temperature_edges() {
    check(json!({"temperature_c": 30.0}), "ok");
    check(
        json!({"temperature_c": 29.9}),
        "E temperature_c out_of_range",
    );
    check(json!({"temperature_c": 44}), "ok");
    check(
        json!({"temperature_c": 44.1}),
        "E temperature_c out_of_range",
    );
}
#[test]
fn temperature_decimal_allowed() {
    check(json!({"temperature_c": "36.7"}), "ok");
    check(json!({"temperature_c": "36,7"}), "ok");
}
#[test]
fn spo2_edges() {
    check(json!({"spo2": 50}), "ok");
    check(json!({"spo2": 49}), "E spo2 out_of_range");
    check(json!({"spo2": 100}), "ok");
    check(json!({"spo2": 101}), "E spo2 out_of_range");
}
#[test]
fn pain_score_edges() {
    check(json!({"pain_score": 0}), "ok");
    check(json!({"pain_score": -1}), "E pain_score out_of_range");
    check(json!({"pain_score": 10}), "ok");
    check(json!({"pain_score": 11}), "E pain_score out_of_range");
}
#[test]
fn icd10_decimal_comma() {
    check(json!({"icd10": "S61,0"}), "ok");
    check(json!({"icd10": "s61,0, W31"}), "ok");
    check(json!({"icd10": "S61,W31"}), "ok");
    check(json!({"icd10": "S61,12"}), "E icd10 icd10_format");
}
#[test]
fn icd10_decimal_comma_reads_as_one_code() {
    let read = |typed: &str| split_codes(typed).collect::<Vec<_>>();
    assert_eq!(read("S61,0"), ["S61.0"]);
    assert_eq!(read("S61,0,W31"), ["S61.0", "W31"]);
    assert_eq!(read("S61,0 W31;X59"), ["S61.0", "W31", "X59"]);
    assert_eq!(read("S61, 0"), ["S61", "0"]);
    assert_eq!(read("S61,W31"), ["S61", "W31"]);
    assert_eq!(read(" S52.5 ,,"), ["S52.5"]);
}
#[test]
fn stmb_while_working_warns() {
    check(
        json!({"disposition": "outpatient_working", "stmb_days": 3}),
        "ok W stmb_days stmb_while_working",
    );
    check(
        json!({"disposition": "outpatient_working", "stmb_days": 0}),
        "ok",
    );
    check(
        json!({"disposition": "outpatient_off_work", "stmb_days": 3}),
        "ok",
    );
}
#[test]
fn stmb_days_edges() {
    check(json!({"stmb_days": 0}), "ok");
    check(json!({"stmb_days": -1}), "E stmb_days out_of_range");
    check(json!({"stmb_days": 365}), "ok");
    check(json!({"stmb_days": 366}), "E stmb_days out_of_range");
}
#[test]
fn numeric_strings_accepted() {
    check(
        json!({"systolic": "120", "diastolic": " 80 ", "pulse": "88", "spo2": "98"}),
        "ok",
    );
}
#[test]
fn empty_numbers_are_absent() {
    check(json!({"systolic": "", "temperature_c": null}), "ok");
}
#[test]
fn non_numbers_rejected() {
    check(
        json!({"pulse": "cepat", "spo2": true}),
        "E pulse not_number; E spo2 not_number",
    );
}
#[test]
fn integers_required() {
    check(
        json!({"systolic": "120.5", "pain_score": 2.5, "stmb_days": "3.5", "spo2": 97.5}),
        "E systolic not_integer; E spo2 not_integer; E pain_score not_integer; E stmb_days not_integer",
    );
}
#[test]
fn whole_float_is_integer() {
    check(json!({"resp_rate": 18.0}), "ok");
}

#[test]
fn icd10_21_codes() {
    let codes: Vec<String> = (10..31).map(|n| format!("S{n}")).collect();
    check(json!({"icd10": codes}), "E icd10 too_many");
}
#[test]
fn icd10_20_codes() {
    let codes: Vec<String> = (10..30).map(|n| format!("S{n}")).collect();
    check(json!({"icd10": codes}), "ok");
}
#[test]
fn icd10_one_huge_code() {
    check(json!({"icd10": ["S".repeat(100_000)]}), "E icd10 too_long");
}
#[test]
fn icd10_huge_text() {
    check(json!({"icd10": "S52 ".repeat(1000)}), "E icd10 too_long");
}
#[test]
fn referred_to_201_chars() {
    check(
        json!({"disposition": "referred", "referred_to": "x".repeat(201)}),
        "E referred_to too_long",
    );
}
#[test]
fn number_as_huge_text() {
    check(json!({"pulse": "8".repeat(10_000)}), "E pulse too_long");
}
#[test]
fn icd10_single() {
    check(json!({"icd10": "S52.5"}), "ok");
}
#[test]
fn icd10_array() {
    check(json!({"icd10": ["S52.5", "W11"]}), "ok");
}
#[test]
fn icd10_comma_separated() {
    check(json!({"icd10": "S52.5, W11"}), "ok");
}
#[test]
fn icd10_lower_case_accepted() {
    check(json!({"icd10": "s52.5 w11"}), "ok");
}
#[test]
fn icd10_two_decimals() {
    check(json!({"icd10": "S52.52"}), "E icd10 icd10_format");
}
#[test]
fn icd10_no_dot() {
    check(json!({"icd10": "S525"}), "E icd10 icd10_format");
}
#[test]
fn icd10_one_digit() {
    check(json!({"icd10": "S5"}), "E icd10 icd10_format");
}
#[test]
fn icd10_digit_first() {
    check(json!({"icd10": ["5S2"]}), "E icd10 icd10_format");
}
#[test]
fn icd10_each_bad_code_reported() {
    check(
        json!({"icd10": "S5, W1, T14"}),
        "E icd10 icd10_format; E icd10 icd10_format",
    );
}
#[test]
fn icd10_number_item() {
    check(json!({"icd10": ["S52.5", 52]}), "E icd10 not_text");
}
#[test]
fn icd10_object() {
    check(json!({"icd10": {"code": "S52"}}), "E icd10 not_text");
}
#[test]
fn icd10_other_chapter_warns_for_work_accident() {
    check(json!({"icd10": "J18.9"}), "ok W icd10 icd10_chapter");
}
#[test]
fn icd10_chapter_edges() {
    check(json!({"icd10": "S00 T98 V01 Y98 X59"}), "ok");
    check(json!({"icd10": "T99"}), "ok W icd10 icd10_chapter");
    check(json!({"icd10": "V00"}), "ok W icd10 icd10_chapter");
    check(json!({"icd10": "Y99"}), "ok W icd10 icd10_chapter");
    check(json!({"icd10": "R10"}), "ok W icd10 icd10_chapter");
}
#[test]
fn icd10_other_chapter_fine_for_disease() {
    check_for(
        CaseCategory::OccupationalDisease,
        json!({"icd10": "J62.8"}),
        "ok",
    );
}
#[test]
fn icd10_other_chapter_fine_for_commuting() {
    check_for(
        CaseCategory::CommutingAccident,
        json!({"icd10": "R51"}),
        "ok",
    );
}

#[test]
fn disposition_each_value() {
    for disposition in Disposition::ALL
        .iter()
        .filter(|d| **d != Disposition::Referred)
    {
        check(json!({"disposition": disposition.as_str()}), "ok");
    }
}
#[test]
fn disposition_unknown() {
    check(json!({"disposition": "home"}), "E disposition choice");
}
#[test]
fn referred_without_facility() {
    check(
        json!({"disposition": "referred"}),
        "E referred_to required_when_referred",
    );
}
#[test]
fn referred_with_facility() {
    check(
        json!({"disposition": "referred", "referred_to": "RSUD Cibitung"}),
        "ok",
    );
}
#[test]
fn outcome_value() {
    check(json!({"outcome": "partial_functional_disability"}), "ok");
}
#[test]
fn outcome_unknown() {
    check(json!({"outcome": "sembuh"}), "E outcome choice");
}
#[test]
fn corrects_uuid() {
    check(
        json!({"corrects": "019ab5d2-7c00-7000-8000-0000000000bb"}),
        "ok",
    );
}
#[test]
fn corrects_not_uuid() {
    check(json!({"corrects": "note-1"}), "E corrects uuid_format");
}
#[test]
fn ids_not_uuid() {
    check(
        json!({"id": "1", "intake_id": "2"}),
        "E id uuid_format; E intake_id uuid_format",
    );
}
#[test]
fn set_by_app() {
    check(
        json!({"written_at": "2026-11-24T10:00:00+07:00", "author": "ns.ani"}),
        "E written_at set_by_app; E author set_by_app",
    );
}
#[test]
fn set_by_app_even_when_empty() {
    check(json!({"author": ""}), "E author set_by_app");
}
#[test]
fn unknown_field() {
    check(json!({"bp": "120/80"}), "E bp unknown_field");
}
#[test]
fn all_errors_at_once() {
    check(
        json!({"text": "", "systolic": 300, "disposition": "referred", "icd10": "J18.9, X"}),
        "E text required; E systolic out_of_range; E icd10 icd10_format; \
         E referred_to required_when_referred; W icd10 icd10_chapter",
    );
}

#[test]
fn draft_values() {
    let input = json!({
        "id": "019ab5d2-7c00-7000-8000-0000000000cc",
        "intake_id": "019ab5d2-7c00-7000-8000-0000000000dd",
        "text": " Luka dijahit 5 jahitan ", "systolic": "120", "temperature_c": "36,8",
        "icd10": "s52.5, W11, S52.5", "stmb_days": 14
    });
    let draft = validate_note(
        input.as_object().unwrap(),
        new_id(),
        CaseCategory::WorkAccident,
    )
    .unwrap()
    .record;
    assert_eq!(draft.id.to_string(), "019ab5d2-7c00-7000-8000-0000000000cc");
    assert_eq!(
        draft.intake_id.map(|id| id.to_string()).as_deref(),
        Some("019ab5d2-7c00-7000-8000-0000000000dd")
    );
    assert_eq!(draft.fields.text, "Luka dijahit 5 jahitan");
    assert_eq!(draft.fields.systolic, Some(120));
    assert_eq!(draft.fields.temperature_c, Some(36.8));
    assert_eq!(
        draft.fields.icd10,
        ["S52.5", "W11"],
        "upper case, repeats dropped"
    );
    assert_eq!(draft.fields.stmb_days, Some(14));
}
#[test]
fn draft_uses_new_id() {
    let input = json!({"text": "Kontrol"});
    let draft = validate_note(
        input.as_object().unwrap(),
        new_id(),
        CaseCategory::WorkAccident,
    )
    .unwrap()
    .record;
    assert_eq!((draft.id, draft.intake_id), (new_id(), None));
}

#[test]
fn note_serializes_flat() {
    let note = Note {
        id: new_id(),
        intake_id: new_id(),
        written_at: DateTime::parse_from_rfc3339("2026-11-24T10:00:00+07:00").unwrap(),
        author: "ns.ani".into(),
        fields: NoteFields {
            text: "Kontrol".into(),
            systolic: Some(120),
            diastolic: None,
            pulse: None,
            resp_rate: None,
            temperature_c: Some(36.5),
            spo2: None,
            pain_score: None,
            icd10: vec!["S52.5".into()],
            disposition: Some(Disposition::OutpatientOffWork),
            referred_to: None,
            stmb_days: Some(3),
            outcome: None,
            corrects: None,
        },
    };
    let json = serde_json::to_value(&note).unwrap();
    assert_eq!(
        json["text"], "Kontrol",
        "fields are flattened into the note"
    );
    assert_eq!(json["disposition"], "outpatient_off_work");
    assert_eq!(json["written_at"], "2026-11-24T10:00:00+07:00");
    let back: Note = serde_json::from_value(json).unwrap();
    assert_eq!(back, note);
}
