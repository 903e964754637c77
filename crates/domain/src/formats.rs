//! The shapes of single intake values that are not free text: KPJ membership numbers,
//! Indonesian phone numbers, employer numbers (NPP), dates (`YYYY-MM-DD`) and instants
//! (RFC 3339 with a UTC offset). Each check reports into `Issues` and says whether the value
//! passed; rules that compare fields with each other live in `intake`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

use crate::issue::Issues;

/// `[0-9A-Z]{11}` (error `kpj_format`); letters warn `kpj_letters`. `kpj` is already upper case.
pub(crate) fn check_kpj(kpj: &str, issues: &mut Issues) -> bool {
    let length = kpj.chars().count();
    if length != 11 {
        issues.error(
            "kpj",
            "kpj_format",
            format_args!("must be 11 characters (got {length}: \"{kpj}\")"),
        );
        return false;
    }
    if !kpj
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        issues.error(
            "kpj",
            "kpj_format",
            format_args!("may contain only digits and letters A-Z (got \"{kpj}\")"),
        );
        return false;
    }
    if !kpj.chars().all(|c| c.is_ascii_digit()) {
        issues.warning(
            "kpj",
            "kpj_letters",
            format_args!("contains letters, as only older cards do; check it (got \"{kpj}\")"),
        );
    }
    true
}

/// `08…` or `+62…` with 9-15 digits in all; spaces and dashes are ignored (`phone_format`).
pub(crate) fn check_phone(field: &str, phone: &str, issues: &mut Issues) -> bool {
    let compact: String = phone.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    let problem = if !digits.chars().all(|c| c.is_ascii_digit()) {
        Some(format!(
            "may contain only digits, spaces, dashes and a leading + (got \"{phone}\")"
        ))
    } else if !(compact.starts_with("08") || compact.starts_with("+62")) {
        Some(format!("must start with 08 or +62 (got \"{phone}\")"))
    } else {
        let count = digits.len();
        (!(9..=15).contains(&count))
            .then(|| format!("must have 9 to 15 digits (got {count}: \"{phone}\")"))
    };
    match problem {
        Some(problem) => {
            issues.error(field, "phone_format", problem);
            false
        }
        None => true,
    }
}

/// Letters and digits only (error `npp_format`); a length other than 8 warns `npp_length`,
/// as no official format is public.
pub(crate) fn check_npp(npp: &str, issues: &mut Issues) -> bool {
    if !npp.chars().all(|c| c.is_ascii_alphanumeric()) {
        issues.error(
            "employer_npp",
            "npp_format",
            format_args!("may contain only letters and digits (got \"{npp}\")"),
        );
        return false;
    }
    let length = npp.chars().count();
    if length != 8 {
        issues.warning(
            "employer_npp",
            "npp_length",
            format_args!("has {length} characters where an NPP usually has 8; check it"),
        );
    }
    true
}

/// A calendar date written exactly `YYYY-MM-DD` (`date_format`).
pub(crate) fn parse_date(field: &str, text: &str, issues: &mut Issues) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    let date = shaped
        .then(|| {
            let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().ok();
            NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)
        })
        .flatten();
    if date.is_none() {
        let why = if shaped {
            "is not a real date"
        } else {
            "must be a date written YYYY-MM-DD"
        };
        issues.error(field, "date_format", format_args!("{why} (got \"{text}\")"));
    }
    date
}

/// An instant in RFC 3339 with its UTC offset, e.g. `2026-11-24T08:30:00+07:00`; seconds may be
/// left out (`datetime_format`). Without an offset the local time is ambiguous across WIB,
/// WITA and WIT, so it is refused with a message saying so.
pub(crate) fn parse_datetime(
    field: &str,
    text: &str,
    issues: &mut Issues,
) -> Option<DateTime<FixedOffset>> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Some(instant);
    }
    if let Ok(instant) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M%:z") {
        return Some(instant);
    }
    let lacks_offset = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .any(|format| NaiveDateTime::parse_from_str(text, format).is_ok());
    let why = if lacks_offset {
        "has no UTC offset; add one such as +07:00 (WIB), +08:00 (WITA) or +09:00 (WIT)"
    } else {
        "must be a date and time with offset, e.g. 2026-11-24T08:30:00+07:00"
    };
    issues.error(
        field,
        "datetime_format",
        format_args!("{why} (got \"{text}\")"),
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `check` on `value` and prints "ok"/"rejected" plus every issue's rule.
    fn check(value: &str, run: fn(&str, &mut Issues) -> bool, expected: &str) {
        let mut issues = Issues::default();
        let passed = run(value, &mut issues);
        let rejected = issues.into_rejected();
        let mut actual = if passed {
            "ok".to_string()
        } else {
            "rejected".to_string()
        };
        for issue in rejected.errors.iter().chain(&rejected.warnings) {
            actual.push_str(&format!(" {:?}:{}", issue.severity, issue.rule));
        }
        assert_eq!(actual, expected, "for {value:?}");
    }

    fn kpj(value: &str, issues: &mut Issues) -> bool {
        check_kpj(value, issues)
    }
    fn phone(value: &str, issues: &mut Issues) -> bool {
        check_phone("phone", value, issues)
    }
    fn npp(value: &str, issues: &mut Issues) -> bool {
        check_npp(value, issues)
    }
    fn date(value: &str, issues: &mut Issues) -> bool {
        parse_date("birth_date", value, issues).is_some()
    }
    fn instant(value: &str, issues: &mut Issues) -> bool {
        parse_datetime("accident_at", value, issues).is_some()
    }

    #[test]
    fn kpj_digits() {
        check("12345678901", kpj, "ok");
    }
    #[test]
    fn kpj_leading_zero() {
        check("00345678901", kpj, "ok");
    }
    #[test]
    fn kpj_letters_warn() {
        check("12AB5678901", kpj, "ok Warning:kpj_letters");
    }
    #[test]
    fn kpj_10_chars() {
        check("1234567890", kpj, "rejected Error:kpj_format");
    }
    #[test]
    fn kpj_12_chars() {
        check("123456789012", kpj, "rejected Error:kpj_format");
    }
    #[test]
    fn kpj_punctuation() {
        check("12345-78901", kpj, "rejected Error:kpj_format");
    }
    #[test]
    fn kpj_non_ascii_letter() {
        check("1234567890É", kpj, "rejected Error:kpj_format");
    }

    #[test]
    fn phone_mobile() {
        check("081234567890", phone, "ok");
    }
    #[test]
    fn phone_international() {
        check("+6281234567890", phone, "ok");
    }
    #[test]
    fn phone_spaces_and_dashes() {
        check("+62 812-3456-7890", phone, "ok");
    }
    #[test]
    fn phone_9_digits() {
        check("081234567", phone, "ok");
    }
    #[test]
    fn phone_8_digits() {
        check("08123456", phone, "rejected Error:phone_format");
    }
    #[test]
    fn phone_15_digits() {
        check("081234567890123", phone, "ok");
    }
    #[test]
    fn phone_16_digits() {
        check("0812345678901234", phone, "rejected Error:phone_format");
    }
    #[test]
    fn phone_landline_prefix() {
        check("0211234567", phone, "rejected Error:phone_format");
    }
    #[test]
    fn phone_62_without_plus() {
        check("6281234567890", phone, "rejected Error:phone_format");
    }
    #[test]
    fn phone_other_country() {
        check("+6591234567", phone, "rejected Error:phone_format");
    }
    #[test]
    fn phone_letters() {
        check("0812345678a", phone, "rejected Error:phone_format");
    }
    #[test]
    fn phone_parentheses() {
        check("(0812) 3456789", phone, "rejected Error:phone_format");
    }
    #[test]
    fn phone_plus_inside() {
        check("08+1234567890", phone, "rejected Error:phone_format");
    }

    #[test]
    fn npp_8_digits() {
        check("12345678", npp, "ok");
    }
    #[test]
    fn npp_letters() {
        check("AB345678", npp, "ok");
    }
    #[test]
    fn npp_short_warns() {
        check("123456", npp, "ok Warning:npp_length");
    }
    #[test]
    fn npp_long_warns() {
        check("NPW1234567", npp, "ok Warning:npp_length");
    }
    #[test]
    fn npp_dash() {
        check("1234-5678", npp, "rejected Error:npp_format");
    }

    #[test]
    fn date_valid() {
        check("1990-08-17", date, "ok");
    }
    #[test]
    fn date_leap_day() {
        check("2000-02-29", date, "ok");
    }
    #[test]
    fn date_not_leap() {
        check("1900-02-29", date, "rejected Error:date_format");
    }
    #[test]
    fn date_month_13() {
        check("1990-13-01", date, "rejected Error:date_format");
    }
    #[test]
    fn date_unpadded() {
        check("1990-8-17", date, "rejected Error:date_format");
    }
    #[test]
    fn date_local_style() {
        check("17/08/1990", date, "rejected Error:date_format");
    }
    #[test]
    fn date_with_time() {
        check("1990-08-17T00:00:00", date, "rejected Error:date_format");
    }

    #[test]
    fn instant_wib() {
        check("2026-11-24T08:30:00+07:00", instant, "ok");
    }
    #[test]
    fn instant_wit() {
        check("2026-11-24T10:30:00+09:00", instant, "ok");
    }
    #[test]
    fn instant_utc_z() {
        check("2026-11-24T01:30:00Z", instant, "ok");
    }
    #[test]
    fn instant_fraction() {
        check("2026-11-24T08:30:00.250+07:00", instant, "ok");
    }
    #[test]
    fn instant_without_seconds() {
        check("2026-11-24T08:30+07:00", instant, "ok");
    }
    #[test]
    fn instant_without_offset() {
        check(
            "2026-11-24T08:30:00",
            instant,
            "rejected Error:datetime_format",
        );
    }
    #[test]
    fn instant_form_datetime_local() {
        check(
            "2026-11-24T08:30",
            instant,
            "rejected Error:datetime_format",
        );
    }
    #[test]
    fn instant_date_only() {
        check("2026-11-24", instant, "rejected Error:datetime_format");
    }
    #[test]
    fn instant_hour_25() {
        check(
            "2026-11-24T25:30:00+07:00",
            instant,
            "rejected Error:datetime_format",
        );
    }

    #[test]
    fn missing_offset_is_explained() {
        let mut issues = Issues::default();
        parse_datetime("accident_at", "2026-11-24T08:30", &mut issues);
        assert_eq!(
            issues.into_rejected().errors[0].message,
            "accident_at: has no UTC offset; add one such as +07:00 (WIB), +08:00 (WITA) or \
             +09:00 (WIT) (got \"2026-11-24T08:30\")"
        );
    }
}
