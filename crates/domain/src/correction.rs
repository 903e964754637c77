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

/// A corrected intake with the changes that made it, as `correct_intake` returns it.
pub type Corrected = Checked<(Intake, Vec<FieldChange>)>;

/// One field changed by a correction, as text (`to_fields` form); None is "absent".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldChange {
    /// The intake field.
    pub field: String,
    /// Its text before (None: absent).
    pub from: Option<String>,
    /// Its text after (None: cleared).
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

/// A field that a correction made elsewhere changes and that changed meanwhile: its current
/// value is neither the one the correction saw (`from`) nor the one it wants (`to`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictingField {
    /// The intake field.
    pub field: String,
    /// What the correction saw (its `from`).
    pub from: Option<String>,
    /// The field's current value.
    pub current: Option<String>,
    /// What the correction wants (its `to`).
    pub to: Option<String>,
}

/// The changes of a correction made elsewhere (another desk, or this desk before a pull) that
/// conflict with `current`, in the correction's order. None: the correction can be applied with
/// [`apply_correction`]. The branch keeps a correction with conflicts for a person to resolve.
pub fn conflicting_fields(current: &Intake, changes: &[FieldChange]) -> Vec<ConflictingField> {
    let fields = current.to_fields();
    changes
        .iter()
        .filter_map(|change| {
            let now = text_of(&fields, &change.field);
            (now != change.from && now != change.to).then(|| ConflictingField {
                field: change.field.clone(),
                from: change.from.clone(),
                current: now,
                to: change.to.clone(),
            })
        })
        .collect()
}

/// Applies a correction made elsewhere (its `to` values) over `current` by the rules of
/// [`correct_intake`]: the corrected intake passes every intake rule, judged at `now`. Changes
/// whose field already holds its `to` value (the same change made here too) are left out;
/// `Ok(None)` when none is left. Used by the branch when a push brings a correction and by a
/// desk when a pull brings another desk's, so both hold the same values.
pub fn apply_correction(
    current: &Intake,
    changes: &[FieldChange],
    reason: &str,
    now: DateTime<FixedOffset>,
) -> Result<Option<Corrected>, Rejected> {
    let fields = current.to_fields();
    let remaining: JsonObject = changes
        .iter()
        .filter(|change| text_of(&fields, &change.field) != change.to)
        .map(|change| {
            let to = change.to.clone().map_or(Value::Null, Value::String);
            (change.field.clone(), to)
        })
        .collect();
    if remaining.is_empty() {
        return Ok(None);
    }
    correct_intake(current, &remaining, reason, now).map(Some)
}

fn text_of(fields: &JsonObject, field: &str) -> Option<String> {
    fields.get(field).and_then(Value::as_str).map(str::to_owned)
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
mod tests;
