//! The correction rules, table-driven: one `check` helper, many one-line cases.

use serde_json::json;

use super::*;
use crate::intake::tests::{now, summary, valid_sample};

/// Corrects the sample intake with `changes` and `reason`; prints the field changes as
/// "field: from -> to" ("-" for absent) and the warnings, or the issues when rejected.
fn check(changes: Value, reason: &str, expected: &str) {
    let current = valid_sample();
    let changes = changes.as_object().unwrap().clone();
    let actual = match correct_intake(&current, &changes, reason, now()) {
        Ok(checked) => {
            let (_, field_changes) = &checked.record;
            let mut lines: Vec<String> = field_changes
                .iter()
                .map(|change| {
                    format!(
                        "{}: {} -> {}",
                        change.field,
                        change.from.as_deref().unwrap_or("-"),
                        change.to.as_deref().unwrap_or("-")
                    )
                })
                .collect();
            if !checked.warnings.is_empty() {
                lines.push(summary(&[], &checked.warnings));
            }
            lines.join("; ")
        }
        Err(rejected) => format!(
            "rejected: {}",
            summary(&rejected.errors, &rejected.warnings)
        ),
    };
    assert_eq!(actual, expected);
}

const WHY: &str = "Salah ketik saat pendaftaran";

#[test]
fn one_field() {
    check(
        json!({"full_name": "Siti Rahmawati Putri"}),
        WHY,
        "full_name: Siti Rahmawati -> Siti Rahmawati Putri",
    );
}
#[test]
fn several_fields_in_form_order() {
    check(
        json!({"injury": "Patah tulang lengan kanan", "phone": "081311112222"}),
        WHY,
        "phone: 081234567890 -> 081311112222; injury: Patah tulang lengan kiri -> Patah tulang lengan kanan",
    );
}
#[test]
fn unchanged_fields_may_be_sent() {
    check(
        json!({"full_name": "Siti Rahmawati", "sex": "female", "address": "Jl. Melati 5"}),
        WHY,
        "address: - -> Jl. Melati 5",
    );
}
#[test]
fn clear_optional_with_empty_text() {
    check(json!({"phone": ""}), WHY, "phone: 081234567890 -> -");
}
#[test]
fn clear_optional_with_null() {
    check(
        json!({"employer_npp": null}),
        WHY,
        "employer_npp: 12345678 -> -",
    );
}
#[test]
fn clear_required_is_an_error() {
    check(
        json!({"full_name": ""}),
        WHY,
        "rejected: E full_name required",
    );
}
#[test]
fn clear_admitted_at_is_an_error() {
    check(
        json!({"admitted_at": null}),
        WHY,
        "rejected: E admitted_at required",
    );
}
#[test]
fn clear_employer_of_pu_revalidated() {
    check(
        json!({"employer_name": ""}),
        WHY,
        "rejected: E employer_name required_for_segment",
    );
}
#[test]
fn revalidates_whole_record() {
    check(
        json!({"accident_at": "2026-11-24T09:30:00+07:00"}),
        WHY,
        "rejected: E accident_at accident_after_admission",
    );
}
#[test]
fn warnings_of_whole_record_returned() {
    check(
        json!({"place_type": "traffic"}),
        WHY,
        "place_type: workplace -> traffic; W police_report_number police_report_missing",
    );
}
#[test]
fn warnings_kept_when_rejected() {
    check(
        json!({"sex": "male", "full_name": "X"}),
        WHY,
        "rejected: E full_name too_short; W nik nik_sex_mismatch",
    );
}
#[test]
fn normalized_value_equal_to_current_is_no_change() {
    check(
        json!({"kpj": " 12345678901 "}),
        WHY,
        "rejected: E changes no_changes",
    );
}
#[test]
fn no_changes_when_everything_equal() {
    check(
        json!({"full_name": "Siti Rahmawati"}),
        WHY,
        "rejected: E changes no_changes",
    );
}
#[test]
fn no_changes_when_empty() {
    check(json!({}), WHY, "rejected: E changes no_changes");
}
#[test]
fn id_not_correctable() {
    check(
        json!({"id": "019ab5d2-7c00-7000-8000-0000000000ff", "full_name": "Siti R"}),
        WHY,
        "rejected: E id not_correctable",
    );
}
#[test]
fn reason_required() {
    check(
        json!({"full_name": "Siti R"}),
        "  ",
        "rejected: E reason required",
    );
}
#[test]
fn unknown_field_and_wrong_type() {
    check(
        json!({"nama": "Siti", "nik": 5}),
        WHY,
        "rejected: E nama unknown_field; E nik not_text",
    );
}
#[test]
fn every_error_at_once() {
    check(
        json!({"id": "x", "chronology": "jatuh"}),
        "",
        "rejected: E reason required; E id not_correctable; E chronology too_short",
    );
}
#[test]
fn identity_can_move_to_kpj_only() {
    check(json!({"nik": ""}), WHY, "nik: 3216055708900003 -> -");
}
#[test]
fn identity_cannot_be_cleared_entirely() {
    check(
        json!({"nik": "", "kpj": null}),
        WHY,
        "rejected: E nik identity_required",
    );
}

#[test]
fn an_admission_from_a_fast_clock_is_not_judged_again_by_a_slower_one() {
    // Admitted an hour "ahead" by a desk clock that ran fast, corrected after it was put right.
    let mut current = valid_sample();
    current.admitted_at = now() + chrono::TimeDelta::hours(1);
    let changes = json!({"injury": "Patah tulang lengan kanan"});
    let checked = correct_intake(&current, changes.as_object().unwrap(), WHY, now());
    assert!(checked.is_ok(), "{checked:?}");
    // Moving the admission is judged against the correction's clock.
    let moved = json!({"admitted_at": (now() + chrono::TimeDelta::hours(2)).to_rfc3339()});
    let rejected = correct_intake(&current, moved.as_object().unwrap(), WHY, now()).unwrap_err();
    assert_eq!(rejected.errors[0].rule, "admitted_in_future");
}

#[test]
fn corrected_record_keeps_id_and_applies_values() {
    let current = valid_sample();
    let changes = json!({"admitted_at": "2026-11-24T09:20:00+07:00", "kpj": "12ab5678901"});
    let checked = correct_intake(&current, changes.as_object().unwrap(), WHY, now()).unwrap();
    let (corrected, field_changes) = checked.record;
    assert_eq!(
        corrected.id, current.id,
        "a correction never changes the id"
    );
    assert_eq!(corrected.kpj.as_deref(), Some("12AB5678901"));
    assert_eq!(
        field_changes[0],
        FieldChange {
            field: "kpj".into(),
            from: Some("12345678901".into()),
            to: Some("12AB5678901".into())
        },
        "changes record normalized text"
    );
    assert_eq!(checked.warnings.len(), 1, "kpj_letters warning is returned");
}

/// Checks a travelling correction of `changes` ("field=from>to", "-" for absent) and prints
/// "ok" or each issue as "field rule".
fn check_shape(changes: &[(&str, Option<&str>, Option<&str>)], reason: &str, expected: &str) {
    let changes: Vec<FieldChange> = changes
        .iter()
        .map(|(field, from, to)| FieldChange {
            field: (*field).to_owned(),
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        })
        .collect();
    let actual = match check_correction(&changes, reason, "resepsionis") {
        Ok(()) => "ok".to_owned(),
        Err(rejected) => rejected
            .errors
            .iter()
            .map(|issue| format!("{} {}", issue.field, issue.rule))
            .collect::<Vec<_>>()
            .join("; "),
    };
    assert_eq!(actual, expected);
}

#[test]
fn a_travelling_correction_within_its_limits_passes() {
    check_shape(&[("phone", Some("0812"), Some("0813"))], WHY, "ok");
    check_shape(&[("phone", None, Some(&"1".repeat(24)))], WHY, "ok");
}
#[test]
fn values_are_held_to_their_fields_length() {
    let long = "x".repeat(1_000_000);
    check_shape(
        &[("employer_npp", Some(&long), Some(&long))],
        WHY,
        "changes[0].from too_long; changes[0].to too_long",
    );
    check_shape(
        &[("chronology", None, Some(&"x".repeat(4001)))],
        WHY,
        "changes[0].to too_long",
    );
}
#[test]
fn reason_and_author_are_held_to_their_length() {
    check_shape(
        &[("phone", None, Some("0813"))],
        &"x".repeat(501),
        "reason too_long",
    );
    check_shape(&[("phone", None, Some("0813"))], " ", "reason required");
}
#[test]
fn fields_must_be_correctable_intake_fields_named_once() {
    check_shape(
        &[("colour", None, Some("blue")), ("id", None, None), ("nik", None, None), ("nik", None, None)],
        WHY,
        "changes[0].field unknown_field; changes[1].field not_correctable; changes[3].field duplicate_field",
    );
    check_shape(&[], WHY, "changes no_changes");
    let many: Vec<_> = (0..24).map(|_| ("phone", None, None)).collect();
    check_shape(&many, WHY, "changes too_many");
}
#[test]
fn a_correction_reason_over_its_length_is_refused_at_the_desk() {
    check(
        json!({"full_name": "Siti R"}),
        &"x".repeat(501),
        "rejected: E reason too_long",
    );
}

fn change(field: &str, from: Option<&str>, to: Option<&str>) -> FieldChange {
    FieldChange {
        field: field.to_owned(),
        from: from.map(str::to_owned),
        to: to.map(str::to_owned),
    }
}

/// Applies `changes` (made elsewhere) to the sample: "conflicts: field=from/current/to" when
/// some conflict, else the applied changes as "field: from -> to", "nothing" or the issues.
fn check_elsewhere(changes: &[FieldChange], expected: &str) {
    let current = valid_sample();
    let conflicts = conflicting_fields(&current, changes);
    let actual = if !conflicts.is_empty() {
        let shown: Vec<String> = conflicts
            .iter()
            .map(|c| {
                let show = |text: &Option<String>| text.clone().unwrap_or("-".to_owned());
                format!(
                    "{}={}/{}/{}",
                    c.field,
                    show(&c.from),
                    show(&c.current),
                    show(&c.to)
                )
            })
            .collect();
        format!("conflicts: {}", shown.join(", "))
    } else {
        match apply_correction(&current, changes, WHY, now()) {
            Ok(None) => "nothing".to_owned(),
            Ok(Some(checked)) => checked
                .record
                .1
                .iter()
                .map(|c| format!("{}: {:?} -> {:?}", c.field, c.from, c.to))
                .collect::<Vec<_>>()
                .join("; "),
            Err(rejected) => format!(
                "rejected: {}",
                summary(&rejected.errors, &rejected.warnings)
            ),
        }
    };
    assert_eq!(actual, expected, "{changes:?}");
}

#[test]
fn a_correction_made_elsewhere_applies_conflicts_or_is_already_there() {
    let name = |from: &str, to: &str| change("full_name", Some(from), Some(to));
    check_elsewhere(
        &[name("Siti Rahmawati", "Siti Rahmawati Putri")],
        r#"full_name: Some("Siti Rahmawati") -> Some("Siti Rahmawati Putri")"#,
    );
    check_elsewhere(&[name("Siti Rahmawat", "Siti Rahmawati")], "nothing");
    check_elsewhere(
        &[name("Siti Rahmawat", "Siti R")],
        "conflicts: full_name=Siti Rahmawat/Siti Rahmawati/Siti R",
    );
    check_elsewhere(
        &[change("employer_npp", Some("12345678"), None)],
        r#"employer_npp: Some("12345678") -> None"#,
    );
    check_elsewhere(
        &[change("nik", Some("3216055708900003"), Some("123"))],
        "rejected: E nik nik_format",
    );
}
