//! Correcting an intake. An intake is never overwritten: a correction names the fields it
//! changes and why, and the store keeps every revision. This module owns what a correction may
//! do (any field but `id`; `""` or `null` clears an optional field), that the corrected record
//! still passes every intake rule, and the list of `FieldChange`s (old and new text per field)
//! that the history shows.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::input::JsonObject;
use crate::intake::{validate_intake, Intake, INTAKE_FIELDS};
use crate::issue::{Checked, Issue, Issues, Rejected};
use crate::limits;

/// One field changed by a correction, as text (`to_fields` form); None is "absent".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldChange {
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Merges `changes` over `current` and validates the whole with every intake rule. `""` or
/// `null` clears an optional field. Errors besides the intake rules: `reason` empty -> field
/// "reason" rule "required"; key "id" -> rule "not_correctable"; nothing differs -> field
/// "changes" rule "no_changes". `now` is the clock at the correction (for the rules on dates in
/// the future). An admission time the correction leaves alone is not judged again against it: it
/// was judged against the clock of the desk that admitted the patient (a clock may have run fast
/// then and been put right since, or the correction may be judged elsewhere). The changes come
/// back in form order.
pub fn correct_intake(
    current: &Intake,
    changes: &JsonObject,
    reason: &str,
    now: DateTime<FixedOffset>,
) -> Result<Checked<(Intake, Vec<FieldChange>)>, Rejected> {
    let mut issues = Issues::default();
    if reason.trim().is_empty() {
        issues.error(
            "reason",
            "required",
            "is required: say why the intake is corrected",
        );
    } else if let Some(refusal) = limits::refusal(limits::CORRECTION, "reason", reason.trim()) {
        issues.push(refusal);
    }
    let before = current.to_fields();
    let mut merged = before.clone();
    for (field, value) in changes {
        if field == "id" {
            issues.error(
                "id",
                "not_correctable",
                "cannot be corrected; the record id never changes",
            );
        } else if is_clearing(value) {
            merged.remove(field);
        } else {
            merged.insert(field.clone(), value.clone());
        }
    }
    if changes.contains_key("admitted_at") && !merged.contains_key("admitted_at") {
        // On admission an absent admitted_at means "now"; on a correction it would silently
        // move the admission, so it must be given.
        issues.error(
            "admitted_at",
            "required",
            "is required and cannot be cleared",
        );
    }

    let clock = if changes.contains_key("admitted_at") {
        now
    } else {
        now.max(current.admitted_at).with_timezone(now.offset())
    };
    let corrected = match validate_intake(&merged, current.id, clock) {
        Ok(checked) => Some(checked),
        Err(rejected) => {
            issues.absorb(rejected);
            None
        }
    };
    let field_changes = corrected
        .as_ref()
        .map(|checked| diff(&before, &checked.record.to_fields()));
    if changes.is_empty() || field_changes.as_ref().is_some_and(Vec::is_empty) {
        issues.error("changes", "no_changes", "the correction changes no field");
    }
    let record = corrected
        .zip(field_changes)
        .map(|(checked, field_changes)| {
            issues.absorb(Rejected {
                errors: Vec::new(),
                warnings: checked.warnings,
            });
            (checked.record, field_changes)
        });
    issues.finish(record)
}

/// Checks a correction as it travels between a desk and the branch, before it is applied or kept
/// as a conflict: `reason` and `author` within their lengths, 1 to
/// [`limits::CORRECTION_CHANGES`] changes, each naming a correctable intake field once, and
/// `from` and `to` no longer than that field allows. Issues name the place, e.g.
/// `changes[2].to` with `too_long{max}`, `changes[0].field` with `unknown_field`,
/// `not_correctable` or `duplicate_field`, `changes` with `no_changes` or `too_many{max}`.
pub fn check_correction(
    changes: &[FieldChange],
    reason: &str,
    author: &str,
) -> Result<(), Rejected> {
    let mut issues = Issues::default();
    let mut found = Vec::new();
    for (field, text) in [("reason", reason), ("author", author)] {
        if text.trim().is_empty() {
            issues.error(field, "required", "is required");
        } else {
            found.extend(limits::refusal(limits::CORRECTION, field, text.trim()));
        }
    }
    if changes.is_empty() {
        issues.error("changes", "no_changes", "the correction changes no field");
    } else if changes.len() > limits::CORRECTION_CHANGES {
        issues
            .error(
                "changes",
                "too_many",
                format_args!(
                    "at most {} fields per correction (got {})",
                    limits::CORRECTION_CHANGES,
                    changes.len()
                ),
            )
            .param("max", limits::CORRECTION_CHANGES);
    } else {
        for (index, change) in changes.iter().enumerate() {
            check_change(index, change, &changes[..index], &mut issues, &mut found);
        }
    }
    for issue in found {
        issues.push(issue);
    }
    issues.finish(Some(())).map(|_| ())
}

fn check_change(
    index: usize,
    change: &FieldChange,
    before: &[FieldChange],
    issues: &mut Issues,
    found: &mut Vec<Issue>,
) {
    let place = |name: &str| format!("changes[{index}].{name}");
    let field = change.field.as_str();
    if !INTAKE_FIELDS.contains(&field) {
        let shown = limits::echo(field);
        issues.error(
            &place("field"),
            "unknown_field",
            format_args!("{shown} is not a field of an intake"),
        );
        return;
    }
    if field == "id" {
        issues.error(
            &place("field"),
            "not_correctable",
            "cannot be corrected; the record id never changes",
        );
    }
    if before.iter().any(|earlier| earlier.field == field) {
        issues.error(
            &place("field"),
            "duplicate_field",
            format_args!("{field} is changed twice in one correction"),
        );
    }
    let limit =
        limits::find(limits::INTAKE, field).map(|limit| limits::TextLimit { min: 0, ..limit });
    for (name, value) in [("from", &change.from), ("to", &change.to)] {
        if let (Some(limit), Some(value)) = (limit, value) {
            found.extend(limits::refusal_of(&place(name), limit, value));
        }
    }
}

/// `null`, `""` and whitespace-only clear a field (as they mean "absent" on input).
fn is_clearing(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        _ => false,
    }
}

/// The fields whose text differs, in form order.
fn diff(before: &JsonObject, after: &JsonObject) -> Vec<FieldChange> {
    let text = |fields: &JsonObject, field: &str| {
        fields
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    INTAKE_FIELDS
        .iter()
        .filter_map(|field| {
            let (from, to) = (text(before, field), text(after, field));
            (from != to).then(|| FieldChange {
                field: field.to_string(),
                from,
                to,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
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
        let rejected =
            correct_intake(&current, moved.as_object().unwrap(), WHY, now()).unwrap_err();
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
}
