//! What a validation says about an input: `Issue` (one finding on one field, with a stable rule
//! code the UI translates), `Checked` (a valid record plus its warnings) and `Rejected` (every
//! error of an input at once, plus its warnings). `Issues` is the crate-internal collector the
//! validators push findings into; it decides at the end whether the input passed.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// An error blocks saving; a warning is shown and saved with the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Severity {
    /// Blocks saving.
    Error,
    /// Shown and saved with the record.
    Warning,
}

/// One finding on one field of an input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Issue {
    /// Contract field name ("nik", "accident_at", "systolic", "reason", ...).
    pub field: String,
    /// Stable snake_case rule code (CONTRACT.md section 2).
    pub rule: String,
    /// Error or warning.
    pub severity: Severity,
    /// English sentence starting with the field name, e.g.
    /// "nik: day of birth (digits 7-8) must be 01-31, or 41-71 for women (got 35)".
    pub message: String,
    /// Values the UI needs to translate the rule, e.g. {"min": "20"}.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl Issue {
    /// Adds one translation parameter; used while building an issue.
    pub(crate) fn param(&mut self, name: &str, value: impl ToString) -> &mut Issue {
        self.params.insert(name.to_string(), value.to_string());
        self
    }
}

impl fmt::Display for Issue {
    /// "{field}: {text} [{rule}]". The message already starts with "{field}: ", so it is not
    /// repeated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = format!("{}: ", self.field);
        if self.message.starts_with(&prefix) {
            write!(f, "{} [{}]", self.message, self.rule)
        } else {
            write!(f, "{}{} [{}]", prefix, self.message, self.rule)
        }
    }
}

/// A valid record and the warnings to show and save with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checked<T> {
    /// The valid record.
    pub record: T,
    /// Warnings to show and save with it.
    pub warnings: Vec<Issue>,
}

/// An input that cannot be saved: every error found, and the warnings found alongside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// Every error found.
    pub errors: Vec<Issue>,
    /// The warnings found alongside.
    pub warnings: Vec<Issue>,
}

impl fmt::Display for Rejected {
    /// One line per error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejected {}

/// Collects the errors and warnings of one input.
#[derive(Debug, Default)]
pub(crate) struct Issues {
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
}

impl Issues {
    pub(crate) fn error(&mut self, field: &str, rule: &str, text: impl fmt::Display) -> &mut Issue {
        push(&mut self.errors, Severity::Error, field, rule, text)
    }

    pub(crate) fn warning(
        &mut self,
        field: &str,
        rule: &str,
        text: impl fmt::Display,
    ) -> &mut Issue {
        push(&mut self.warnings, Severity::Warning, field, rule, text)
    }

    /// Adds an issue made elsewhere (by `limits`), by its severity.
    pub(crate) fn push(&mut self, issue: Issue) {
        match issue.severity {
            Severity::Error => self.errors.push(issue),
            Severity::Warning => self.warnings.push(issue),
        }
    }

    /// Whether `field` already has an error; later rules on the same field are then skipped
    /// so that one mistake is reported once.
    pub(crate) fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|issue| issue.field == field)
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Takes over the findings of a nested validation.
    pub(crate) fn absorb(&mut self, found: Rejected) {
        self.errors.extend(found.errors);
        self.warnings.extend(found.warnings);
    }

    pub(crate) fn into_rejected(self) -> Rejected {
        Rejected {
            errors: self.errors,
            warnings: self.warnings,
        }
    }

    /// `Checked` when there is no error. `record` is None only when some value could not be
    /// read, which always comes with an error.
    pub(crate) fn finish<T>(self, record: Option<T>) -> Result<Checked<T>, Rejected> {
        match record {
            Some(record) if !self.has_errors() => Ok(Checked {
                record,
                warnings: self.warnings,
            }),
            Some(_) => Err(self.into_rejected()),
            None => {
                let mut issues = self;
                if !issues.has_errors() {
                    // A validator read nothing yet reported nothing: refuse rather than panic.
                    issues.error("input", "required", "a required value is missing");
                }
                Err(issues.into_rejected())
            }
        }
    }
}

fn push<'a>(
    list: &'a mut Vec<Issue>,
    severity: Severity,
    field: &str,
    rule: &str,
    text: impl fmt::Display,
) -> &'a mut Issue {
    list.push(Issue {
        field: field.to_string(),
        rule: rule.to_string(),
        severity,
        message: format!("{field}: {text}"),
        params: BTreeMap::new(),
    });
    list.last_mut().expect("an issue was just pushed")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_display(issues: Issues, expected: &str) {
        let rejected = issues.into_rejected();
        assert_eq!(rejected.to_string(), expected);
    }

    #[test]
    fn display_prints_field_message_and_rule_once() {
        let mut issues = Issues::default();
        issues.error("nik", "nik_serial", "serial number must not be 0000");
        check_display(issues, "nik: serial number must not be 0000 [nik_serial]");
    }

    #[test]
    fn display_prints_one_line_per_error_and_no_warning() {
        let mut issues = Issues::default();
        issues.error("full_name", "required", "is required");
        issues.warning("kpj", "kpj_letters", "contains letters");
        issues.error("sex", "required", "is required");
        check_display(
            issues,
            "full_name: is required [required]\nsex: is required [required]",
        );
    }

    #[test]
    fn display_adds_field_when_message_lacks_it() {
        let issue = Issue {
            field: "nik".into(),
            rule: "not_found".into(),
            severity: Severity::Error,
            message: "no such case".into(),
            params: BTreeMap::new(),
        };
        assert_eq!(issue.to_string(), "nik: no such case [not_found]");
    }

    #[test]
    fn params_are_serialized_only_when_present() {
        let mut issues = Issues::default();
        issues
            .error("chronology", "too_short", "too short")
            .param("min", 20);
        issues.error("sex", "required", "is required");
        let json = serde_json::to_value(issues.into_rejected().errors).unwrap();
        assert_eq!(json[0]["params"]["min"], "20");
        assert_eq!(json[0]["severity"], "error");
        assert!(json[1].get("params").is_none(), "empty params are left out");
    }

    #[test]
    fn finish_keeps_warnings_in_both_outcomes() {
        let mut issues = Issues::default();
        issues.warning("kpj", "kpj_letters", "contains letters");
        let checked = issues.finish(Some(1)).unwrap();
        assert_eq!(checked.warnings.len(), 1);

        let mut issues = Issues::default();
        issues.warning("kpj", "kpj_letters", "contains letters");
        issues.error("sex", "required", "is required");
        let rejected = issues.finish(Some(1)).unwrap_err();
        assert_eq!((rejected.errors.len(), rejected.warnings.len()), (1, 1));
    }
}
