//! Reading one untyped JSON object (from a form, the CLI or sync) field by field. Owns the input
//! conventions every record shares: `null`, `""` and whitespace-only mean absent; strings are
//! trimmed; a value of the wrong JSON type is an error (`not_text`, `not_number`) and not a
//! missing value; keys outside the record's field list are `unknown_field`; numbers may arrive
//! as JSON numbers or as numeric strings (HTML forms send strings). Every text is held to its
//! field's length in the record's table of `limits` (characters, `too_short` / `too_long`)
//! before any other rule reads it.

use serde_json::Value;

use crate::enums::Choice;
use crate::issue::Issues;
use crate::limits::{self, TextLimit};

/// An untyped record as it arrives: field name to JSON value.
pub type JsonObject = serde_json::Map<String, Value>;

/// One input object being read; every finding goes into the caller's `Issues`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Input<'a> {
    object: &'a JsonObject,
    limits: &'static [TextLimit],
}

impl<'a> Input<'a> {
    /// Reads `object`, holding each text to its length in `limits`.
    pub(crate) fn new(object: &'a JsonObject, limits: &'static [TextLimit]) -> Input<'a> {
        Input { object, limits }
    }

    /// The length limit of `field` (a field the table does not name is still bounded).
    fn limit_of(&self, field: &str) -> TextLimit {
        limits::find(self.limits, field).unwrap_or(TextLimit {
            field: "",
            min: 1,
            max: limits::max_of(self.limits, field),
        })
    }

    /// Whether `text` (trimmed) fits `field`'s length; `too_short{min}` / `too_long{max}` if not.
    pub(crate) fn fits(&self, field: &str, text: &str, issues: &mut Issues) -> bool {
        let limit = self.limit_of(field);
        check_length(field, text, limit.min, limit.max, issues)
    }

    /// Reports every key not in `known` as `unknown_field`, in the object's key order.
    pub(crate) fn reject_unknown_keys(&self, known: &[&str], record: &str, issues: &mut Issues) {
        for key in self.object.keys() {
            if !known.contains(&key.as_str()) {
                issues.error(
                    key,
                    "unknown_field",
                    format_args!("is not a field of {record}"),
                );
            }
        }
    }

    /// Whether the key is present at all, even with an empty value.
    pub(crate) fn has_key(&self, field: &str) -> bool {
        self.object.contains_key(field)
    }

    /// The raw value of `field` unless it is absent (`null`, `""`, whitespace-only).
    pub(crate) fn raw(&self, field: &str) -> Option<&'a Value> {
        match self.object.get(field)? {
            Value::Null => None,
            Value::String(text) if text.trim().is_empty() => None,
            value => Some(value),
        }
    }

    /// Whether `field` holds something, valid or not.
    pub(crate) fn is_given(&self, field: &str) -> bool {
        self.raw(field).is_some()
    }

    /// The trimmed text of an optional field, held to its length; `not_text` when it is not a
    /// JSON string.
    pub(crate) fn text(&self, field: &str, issues: &mut Issues) -> Option<String> {
        match self.raw(field)? {
            Value::String(text) => {
                let text = text.trim();
                self.fits(field, text, issues).then(|| text.to_string())
            }
            other => {
                issues.error(
                    field,
                    "not_text",
                    format_args!("must be text (got {})", describe(other)),
                );
                None
            }
        }
    }

    /// Like `text`, and `required` when absent.
    pub(crate) fn required_text(&self, field: &str, issues: &mut Issues) -> Option<String> {
        let text = self.text(field, issues);
        if text.is_none() {
            require(field, issues);
        }
        text
    }

    /// An optional choice among `T::ALL` (case-insensitive); `choice{allowed}` otherwise.
    pub(crate) fn choice<T: Choice>(&self, field: &str, issues: &mut Issues) -> Option<T> {
        let text = self.text(field, issues)?;
        let found = T::all()
            .iter()
            .find(|item| item.text().eq_ignore_ascii_case(&text));
        if found.is_none() {
            let allowed = T::all()
                .iter()
                .map(Choice::text)
                .collect::<Vec<_>>()
                .join(", ");
            issues
                .error(
                    field,
                    "choice",
                    format_args!("must be one of {allowed} (got \"{text}\")"),
                )
                .param("allowed", allowed);
        }
        found.copied()
    }

    /// A required choice among `T::ALL`.
    pub(crate) fn required_choice<T: Choice>(&self, field: &str, issues: &mut Issues) -> Option<T> {
        let choice = self.choice(field, issues);
        if choice.is_none() {
            require(field, issues);
        }
        choice
    }

    /// An optional UUID (`uuid_format`).
    pub(crate) fn uuid(&self, field: &str, issues: &mut Issues) -> Option<uuid::Uuid> {
        let text = self.text(field, issues)?;
        match uuid::Uuid::try_parse(&text) {
            Ok(id) => Some(id),
            Err(_) => {
                issues.error(
                    field,
                    "uuid_format",
                    format_args!("must be a UUID (got \"{text}\")"),
                );
                None
            }
        }
    }

    /// An optional number in `min..=max`, from a JSON number or a numeric string (a decimal
    /// comma is read as a point). `not_number`, then `not_integer` when `whole` and it has a
    /// fraction, then `out_of_range{min,max}`.
    pub(crate) fn number(&self, field: &str, range: Range, issues: &mut Issues) -> Option<f64> {
        let raw = self.raw(field)?;
        let number = match raw {
            Value::Number(number) => number.as_f64(),
            Value::String(text) if !self.fits(field, text.trim(), issues) => return None,
            Value::String(text) => parse_number(text.trim()),
            _ => None,
        };
        let Some(number) = number else {
            issues.error(
                field,
                "not_number",
                format_args!("must be a number (got {})", describe(raw)),
            );
            return None;
        };
        if range.whole && number.fract() != 0.0 {
            issues.error(
                field,
                "not_integer",
                format_args!("must be a whole number (got {number})"),
            );
            return None;
        }
        if number < range.min || number > range.max {
            let (min, max) = (range.show(range.min), range.show(range.max));
            issues
                .error(
                    field,
                    "out_of_range",
                    format_args!(
                        "must be between {min} and {max} (got {})",
                        range.show(number)
                    ),
                )
                .param("min", min)
                .param("max", max);
            return None;
        }
        Some(number)
    }
}

/// The allowed values of a number field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Range {
    pub(crate) min: f64,
    pub(crate) max: f64,
    /// Whether only whole numbers are allowed.
    pub(crate) whole: bool,
}

impl Range {
    pub(crate) const fn whole(min: u16, max: u16) -> Range {
        Range {
            min: min as f64,
            max: max as f64,
            whole: true,
        }
    }

    pub(crate) const fn decimal(min: f64, max: f64) -> Range {
        Range {
            min,
            max,
            whole: false,
        }
    }

    /// "50" for whole ranges, "30.0" for decimal ones (as the contract writes them).
    fn show(&self, number: f64) -> String {
        if self.whole || number.fract() != 0.0 {
            number.to_string()
        } else {
            format!("{number:.1}")
        }
    }
}

/// Adds `required` unless the field already has an error (a wrong type, say).
pub(crate) fn require(field: &str, issues: &mut Issues) {
    if !issues.has_error(field) {
        issues.error(field, "required", "is required");
    }
}

/// `too_short{min}` / `too_long{max}`; true when the length is fine.
pub(crate) fn check_length(
    field: &str,
    text: &str,
    min: usize,
    max: usize,
    issues: &mut Issues,
) -> bool {
    let length = text.chars().count();
    if length < min {
        issues
            .error(
                field,
                "too_short",
                format_args!("must be at least {min} characters (got {length})"),
            )
            .param("min", min);
        false
    } else if length > max {
        issues
            .error(
                field,
                "too_long",
                format_args!("must be at most {max} characters (got {length})"),
            )
            .param("max", max);
        false
    } else {
        true
    }
}

/// "36.5", "36,5", "120", "1e2"; never NaN or infinite.
fn parse_number(text: &str) -> Option<f64> {
    let normalized = if text.matches(',').count() == 1 && !text.contains('.') {
        text.replace(',', ".")
    } else {
        text.to_string()
    };
    let starts_like_a_number = normalized
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_digit() || matches!(first, '-' | '+' | '.'));
    let number: f64 = normalized.parse().ok()?;
    (starts_like_a_number && number.is_finite()).then_some(number)
}

/// How a value looks, for messages: `"abc"`, `12`, `true`, `an array`, `an object`.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => limits::echo(text.trim()),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::enums::Sex;

    /// Field "f" holds 2 to 6 characters.
    const LIMITS: &[TextLimit] = &[TextLimit {
        field: "f",
        min: 2,
        max: 6,
    }];

    /// Reads field "f" of `{"f": value}` with `read` and prints the result and the issues.
    fn check<T: std::fmt::Debug>(
        value: Value,
        read: impl Fn(&Input, &mut Issues) -> Option<T>,
        expected: &str,
    ) {
        let mut object = JsonObject::new();
        object.insert("f".into(), value);
        let mut issues = Issues::default();
        let result = read(&Input::new(&object, LIMITS), &mut issues);
        let rejected = issues.into_rejected();
        let mut actual = format!("{result:?}");
        for issue in rejected.errors.iter().chain(&rejected.warnings) {
            actual.push_str(&format!(" | {issue}"));
        }
        assert_eq!(actual, expected);
    }

    fn text(input: &Input, issues: &mut Issues) -> Option<String> {
        input.text("f", issues)
    }
    fn required(input: &Input, issues: &mut Issues) -> Option<String> {
        input.required_text("f", issues)
    }
    fn sex(input: &Input, issues: &mut Issues) -> Option<Sex> {
        input.required_choice("f", issues)
    }
    fn whole(input: &Input, issues: &mut Issues) -> Option<f64> {
        input.number("f", Range::whole(50, 260), issues)
    }
    fn decimal(input: &Input, issues: &mut Issues) -> Option<f64> {
        input.number("f", Range::decimal(30.0, 44.0), issues)
    }

    #[test]
    fn text_trimmed() {
        check(json!("  Siti  "), text, "Some(\"Siti\")");
    }
    #[test]
    fn text_null_is_absent() {
        check(json!(null), text, "None");
    }
    #[test]
    fn text_empty_is_absent() {
        check(json!(""), text, "None");
    }
    #[test]
    fn text_whitespace_is_absent() {
        check(json!(" \t\n"), text, "None");
    }
    #[test]
    fn text_number_is_not_text() {
        check(
            json!(12),
            text,
            "None | f: must be text (got 12) [not_text]",
        );
    }
    #[test]
    fn text_bool_is_not_text() {
        check(
            json!(true),
            text,
            "None | f: must be text (got true) [not_text]",
        );
    }
    #[test]
    fn text_array_is_not_text() {
        check(
            json!(["a"]),
            text,
            "None | f: must be text (got an array) [not_text]",
        );
    }
    #[test]
    fn required_missing() {
        check(json!(null), required, "None | f: is required [required]");
    }
    #[test]
    fn required_wrong_type_is_not_also_missing() {
        check(
            json!({}),
            required,
            "None | f: must be text (got an object) [not_text]",
        );
    }
    #[test]
    fn length_min() {
        check(json!("ab"), required, "Some(\"ab\")");
    }
    #[test]
    fn length_below_min() {
        check(
            json!(" a "),
            required,
            "None | f: must be at least 2 characters (got 1) [too_short]",
        );
    }
    #[test]
    fn length_max_counts_characters_not_bytes() {
        check(json!("ééééé"), required, "Some(\"ééééé\")");
    }
    #[test]
    fn length_above_max() {
        check(
            json!("abcdefg"),
            required,
            "None | f: must be at most 6 characters (got 7) [too_long]",
        );
    }
    #[test]
    fn length_is_checked_before_the_value_is_read_further() {
        check(
            json!("abcdefgh"),
            sex,
            "None | f: must be at most 6 characters (got 8) [too_long]",
        );
    }
    #[test]
    fn numeric_text_is_held_to_its_length() {
        check(
            json!("1200000"),
            whole,
            "None | f: must be at most 6 characters (got 7) [too_long]",
        );
    }
    #[test]
    fn messages_repeat_at_most_a_short_excerpt_of_a_value() {
        let long = Value::String("x".repeat(100_000));
        assert!(describe(&long).chars().count() <= crate::limits::ECHO + 2);
    }
    #[test]
    fn choice_exact() {
        check(json!("female"), sex, "Some(Female)");
    }
    #[test]
    fn choice_ignores_case() {
        check(json!("Male"), sex, "Some(Male)");
    }
    #[test]
    fn choice_unknown() {
        check(
            json!("ww"),
            sex,
            "None | f: must be one of male, female (got \"ww\") [choice]",
        );
    }
    #[test]
    fn choice_missing() {
        check(json!(""), sex, "None | f: is required [required]");
    }
    #[test]
    fn number_json() {
        check(json!(120), whole, "Some(120.0)");
    }
    #[test]
    fn number_string() {
        check(json!(" 120 "), whole, "Some(120.0)");
    }
    #[test]
    fn number_whole_float_json() {
        check(json!(120.0), whole, "Some(120.0)");
    }
    #[test]
    fn number_not_a_number() {
        check(
            json!("abc"),
            whole,
            "None | f: must be a number (got \"abc\") [not_number]",
        );
    }
    #[test]
    fn number_nan_rejected() {
        check(
            json!("NaN"),
            whole,
            "None | f: must be a number (got \"NaN\") [not_number]",
        );
    }
    #[test]
    fn number_infinity_rejected() {
        check(
            json!("inf"),
            decimal,
            "None | f: must be a number (got \"inf\") [not_number]",
        );
    }
    #[test]
    fn number_bool_rejected() {
        check(
            json!(false),
            whole,
            "None | f: must be a number (got false) [not_number]",
        );
    }
    #[test]
    fn number_fraction_where_whole() {
        check(
            json!("120.5"),
            whole,
            "None | f: must be a whole number (got 120.5) [not_integer]",
        );
    }
    #[test]
    fn number_out_of_range() {
        check(
            json!(261),
            whole,
            "None | f: must be between 50 and 260 (got 261) [out_of_range]",
        );
    }
    #[test]
    fn number_decimal() {
        check(json!("36.5"), decimal, "Some(36.5)");
    }
    #[test]
    fn number_decimal_comma() {
        check(json!("36,5"), decimal, "Some(36.5)");
    }
    #[test]
    fn number_decimal_out_of_range_shows_one_decimal() {
        check(
            json!(44.1),
            decimal,
            "None | f: must be between 30.0 and 44.0 (got 44.1) [out_of_range]",
        );
    }
    #[test]
    fn number_empty_string_is_absent() {
        check(json!(""), whole, "None");
    }

    #[test]
    fn unknown_keys_reported_each() {
        let object = json!({"nik": "1", "nama": "x", "umur": 3});
        let mut issues = Issues::default();
        Input::new(object.as_object().unwrap(), LIMITS).reject_unknown_keys(
            &["nik"],
            "an intake",
            &mut issues,
        );
        let rejected = issues.into_rejected();
        let fields: Vec<_> = rejected
            .errors
            .iter()
            .map(|issue| issue.to_string())
            .collect();
        assert_eq!(
            fields,
            [
                "nama: is not a field of an intake [unknown_field]",
                "umur: is not a field of an intake [unknown_field]"
            ]
        );
    }
}
