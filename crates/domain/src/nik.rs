//! The NIK (Nomor Induk Kependudukan, 16 digits): its structure, what it says about its holder
//! (`decode_nik`), the province codes in use, and the intake rules on the `nik` field. Layout:
//! digits 1-2 province, 3-4 regency, 5-6 district, 7-12 birth date DDMMYY with day + 40 for
//! women, 13-16 serial (never 0000). Old cards may carry codes outside today's list, so an
//! unknown province or a date that disagrees with the record is only a warning.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::enums::Sex;
use crate::issue::Issues;

/// What a 16-digit NIK says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NikFacts {
    /// Digits 1-2: the province code.
    pub province_code: String,
    /// Digits 3-4: the regency (kabupaten/kota) code within the province.
    pub regency_code: String,
    /// From the day of birth (digits 7-8), to which 40 is added for a woman.
    pub sex: Sex,
    /// None when digits 7-12 are not a real date.
    pub birth_date: Option<NaiveDate>,
    /// Digits 13-16: the serial number.
    pub serial: String,
    /// The province and regency names of digits 1-4, when the reference list knows them.
    pub province: Option<String>,
    /// The regency's name (see `province`).
    pub regency: Option<String>,
}

/// For a 16-digit NIK: what it says. Century: 20yy unless that is after `today`, then 19yy.
/// None when it is not 16 digits or breaks a NIK error rule (day, serial): such a NIK says
/// nothing reliable about its holder, so the form must not fill sex or birth date from it.
pub fn decode_nik(nik: &str, today: NaiveDate) -> Option<NikFacts> {
    let parts = NikParts::parse(nik.trim())?;
    if !parts.day_is_valid() || parts.serial == "0000" {
        return None;
    }
    let region = crate::reference::region_of_nik(nik.trim());
    Some(NikFacts {
        province: region.as_ref().and_then(|region| region.province.clone()),
        regency: region.and_then(|region| region.regency),
        province_code: parts.province_code.to_string(),
        regency_code: parts.regency_code.to_string(),
        sex: parts.sex(),
        birth_date: parts.birth_date(today),
        serial: parts.serial.to_string(),
    })
}

/// Province codes (NIK digits 1-2) in use: Sumatra and Riau Islands, Java, Bali and Nusa
/// Tenggara, Kalimantan, Sulawesi, Maluku, Papua (incl. the provinces split off in 2022).
const PROVINCE_CODE_RANGES: &[(u8, u8)] = &[
    (11, 19),
    (21, 21),
    (31, 36),
    (51, 53),
    (61, 65),
    (71, 76),
    (81, 82),
    (91, 96),
];

fn is_province_code(code: u8) -> bool {
    PROVINCE_CODE_RANGES
        .iter()
        .any(|&(first, last)| (first..=last).contains(&code))
}

/// A NIK cut into its parts; only built from 16 ASCII digits.
#[derive(Debug, Clone, Copy)]
struct NikParts<'a> {
    province_code: &'a str,
    regency_code: &'a str,
    /// Digits 7-8 as written: day of birth, + 40 for women.
    day_field: u32,
    month: u32,
    year_in_century: u32,
    serial: &'a str,
}

impl<'a> NikParts<'a> {
    fn parse(nik: &'a str) -> Option<NikParts<'a>> {
        if nik.len() != 16 || !nik.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        let number = |range: std::ops::Range<usize>| nik[range].parse::<u32>().ok();
        Some(NikParts {
            province_code: &nik[0..2],
            regency_code: &nik[2..4],
            day_field: number(6..8)?,
            month: number(8..10)?,
            year_in_century: number(10..12)?,
            serial: &nik[12..16],
        })
    }

    fn sex(&self) -> Sex {
        if self.day_field > 40 {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    /// The day of birth, with the + 40 for women taken off.
    fn day(&self) -> u32 {
        if self.day_field > 40 {
            self.day_field - 40
        } else {
            self.day_field
        }
    }

    fn day_is_valid(&self) -> bool {
        (1..=31).contains(&self.day_field) || (41..=71).contains(&self.day_field)
    }

    fn month_is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
    }

    fn birth_date(&self, today: NaiveDate) -> Option<NaiveDate> {
        let in_century = |century: i32| {
            NaiveDate::from_ymd_opt(
                century + self.year_in_century as i32,
                self.month,
                self.day(),
            )
        };
        match in_century(2000)? {
            date if date <= today => Some(date),
            _ => in_century(1900),
        }
    }
}

/// The rules on `nik` alone: errors `nik_format`, `nik_day`, `nik_serial`; warnings
/// `nik_month`, `nik_province_unknown`. True when it has no error.
pub(crate) fn check_nik_format(nik: &str, issues: &mut Issues) -> bool {
    let Some(parts) = NikParts::parse(nik) else {
        let length = nik.chars().count();
        if length != 16 {
            issues.error(
                "nik",
                "nik_format",
                format_args!("must be exactly 16 digits (got {length} characters: \"{nik}\")"),
            );
        } else {
            issues.error(
                "nik",
                "nik_format",
                format_args!("must contain only digits (got \"{nik}\")"),
            );
        }
        return false;
    };
    let mut valid = true;
    if !parts.day_is_valid() {
        issues.error(
            "nik",
            "nik_day",
            format_args!(
                "day of birth (digits 7-8) must be 01-31, or 41-71 for women (got {:02})",
                parts.day_field
            ),
        );
        valid = false;
    }
    if parts.serial == "0000" {
        issues.error(
            "nik",
            "nik_serial",
            "serial number (digits 13-16) must not be 0000",
        );
        valid = false;
    }
    if !parts.month_is_valid() {
        issues.warning(
            "nik",
            "nik_month",
            format_args!(
                "month of birth (digits 9-10) should be 01-12 (got {:02})",
                parts.month
            ),
        );
    }
    let province = parts.province_code.parse::<u8>().unwrap_or(0);
    if !is_province_code(province) {
        issues
            .warning(
                "nik",
                "nik_province_unknown",
                format_args!(
                    "province code {} (digits 1-2) is not one in use; check the card",
                    parts.province_code
                ),
            )
            .param("code", parts.province_code);
    }
    valid
}

/// The agreement of a NIK that passed `check_nik_format` with the record's `birth_date` and
/// `sex`, when those were read: warnings `nik_birth_date_mismatch`, `nik_sex_mismatch`.
pub(crate) fn check_nik_against_record(
    nik: &str,
    birth_date: Option<NaiveDate>,
    sex: Option<Sex>,
    issues: &mut Issues,
) {
    let Some(parts) = NikParts::parse(nik).filter(NikParts::day_is_valid) else {
        return;
    };
    if let Some(birth_date) = birth_date {
        check_birth_date(&parts, birth_date, issues);
    }
    if let Some(sex) = sex {
        if sex != parts.sex() {
            issues.warning(
                "nik",
                "nik_sex_mismatch",
                format_args!(
                    "the NIK is a {}'s (day of birth {:02}) but sex is {sex}",
                    if parts.sex() == Sex::Female {
                        "woman"
                    } else {
                        "man"
                    },
                    parts.day_field
                ),
            );
        }
    }
}

/// Compares DDMMYY only: the NIK does not say the century.
fn check_birth_date(parts: &NikParts, birth_date: NaiveDate, issues: &mut Issues) {
    if !parts.month_is_valid() {
        return; // already warned about; a mismatch warning would say the same again
    }
    let year_in_century = birth_date.year().rem_euclid(100) as u32;
    let same = parts.day() == birth_date.day()
        && parts.month == birth_date.month()
        && parts.year_in_century == year_in_century;
    if !same {
        issues.warning(
            "nik",
            "nik_birth_date_mismatch",
            format_args!(
                "the NIK says born {:02}-{:02}-{:02} (DD-MM-YY) but birth_date is {birth_date}",
                parts.day(),
                parts.month,
                parts.year_in_century
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// `decode_nik` as "province regency sex birth_date serial", or "None".
    fn check_decode(nik: &str, today: &str, expected: &str) {
        let actual = match decode_nik(nik, date(today)) {
            None => "None".to_string(),
            Some(facts) => format!(
                "{} {} {} {} {}",
                facts.province_code,
                facts.regency_code,
                facts.sex,
                facts
                    .birth_date
                    .map_or("-".to_string(), |date| date.to_string()),
                facts.serial
            ),
        };
        assert_eq!(actual, expected);
    }

    #[test]
    fn decode_female_day_plus_40() {
        check_decode(
            "3216055708900003",
            "2026-11-24",
            "32 16 female 1990-08-17 0003",
        );
    }
    #[test]
    fn decode_male() {
        check_decode(
            "3275011708900123",
            "2026-11-24",
            "32 75 male 1990-08-17 0123",
        );
    }
    #[test]
    fn decode_century_20yy_when_not_after_today() {
        check_decode(
            "3216051708050001",
            "2026-11-24",
            "32 16 male 2005-08-17 0001",
        );
    }
    #[test]
    fn decode_century_19yy_when_20yy_is_after_today() {
        check_decode(
            "3216051708270001",
            "2026-11-24",
            "32 16 male 1927-08-17 0001",
        );
    }
    #[test]
    fn decode_century_edge_today_is_20yy() {
        check_decode(
            "3216052411260001",
            "2026-11-24",
            "32 16 male 2026-11-24 0001",
        );
    }
    #[test]
    fn decode_century_edge_tomorrow_is_19yy() {
        check_decode(
            "3216052511260001",
            "2026-11-24",
            "32 16 male 1926-11-25 0001",
        );
    }
    #[test]
    fn decode_impossible_date_has_no_birth_date() {
        check_decode("3216053113900001", "2026-11-24", "32 16 male - 0001");
    }
    #[test]
    fn decode_trims() {
        check_decode(
            " 3216055708900003 ",
            "2026-11-24",
            "32 16 female 1990-08-17 0003",
        );
    }
    #[test]
    fn decode_too_short() {
        check_decode("321605570890000", "2026-11-24", "None");
    }
    #[test]
    fn decode_invalid_day_says_nothing() {
        check_decode("3216053508900003", "2026-11-24", "None");
        check_decode("3216057208900003", "2026-11-24", "None");
    }
    #[test]
    fn decode_serial_0000_says_nothing() {
        check_decode("3216055708900000", "2026-11-24", "None");
    }
    #[test]
    fn decode_letters() {
        check_decode("32160557089000A3", "2026-11-24", "None");
    }

    /// `check_nik` as "severity rule" pairs, "ok" when there is none.
    fn check(nik: &str, birth_date: &str, sex: Option<Sex>, expected: &str) {
        let birth_date = (!birth_date.is_empty()).then(|| date(birth_date));
        let mut issues = Issues::default();
        if check_nik_format(nik, &mut issues) {
            check_nik_against_record(nik, birth_date, sex, &mut issues);
        }
        let rejected = issues.into_rejected();
        let found: Vec<String> = rejected
            .errors
            .iter()
            .map(|issue| format!("error {}", issue.rule))
            .chain(
                rejected
                    .warnings
                    .iter()
                    .map(|issue| format!("warn {}", issue.rule)),
            )
            .collect();
        let actual = if found.is_empty() {
            "ok".to_string()
        } else {
            found.join(", ")
        };
        assert_eq!(actual, expected);
    }

    const F: Option<Sex> = Some(Sex::Female);
    const M: Option<Sex> = Some(Sex::Male);

    #[test]
    fn valid_female() {
        check("3216055708900003", "1990-08-17", F, "ok");
    }
    #[test]
    fn valid_male() {
        check("3216051708900003", "1990-08-17", M, "ok");
    }
    #[test]
    fn valid_without_record_facts() {
        check("3216055708900003", "", None, "ok");
    }
    #[test]
    fn length_15() {
        check("321605570890000", "", None, "error nik_format");
    }
    #[test]
    fn length_17() {
        check("32160557089000031", "", None, "error nik_format");
    }
    #[test]
    fn letters() {
        check("32160557089O0003", "", None, "error nik_format");
    }
    #[test]
    fn spaces_inside() {
        check("3216 0557 0890 0003", "", None, "error nik_format");
    }
    #[test]
    fn day_00() {
        check("3216050008900003", "", None, "error nik_day");
    }
    #[test]
    fn day_01() {
        check("3216050108900003", "", None, "ok");
    }
    #[test]
    fn day_31() {
        check("3216053108900003", "", None, "ok");
    }
    #[test]
    fn day_32() {
        check("3216053208900003", "", None, "error nik_day");
    }
    #[test]
    fn day_35() {
        check("3216053508900003", "1990-08-05", F, "error nik_day");
    }
    #[test]
    fn day_40() {
        check("3216054008900003", "", None, "error nik_day");
    }
    #[test]
    fn day_41() {
        check("3216054108900003", "", None, "ok");
    }
    #[test]
    fn day_45_female() {
        check("3216054508900003", "1990-08-05", F, "ok");
    }
    #[test]
    fn day_71() {
        check("3216057108900003", "", None, "ok");
    }
    #[test]
    fn day_72() {
        check("3216057208900003", "", None, "error nik_day");
    }
    #[test]
    fn serial_0000() {
        check("3216055708900000", "", None, "error nik_serial");
    }
    #[test]
    fn day_and_serial_errors_together() {
        check(
            "3216053508900000",
            "",
            None,
            "error nik_day, error nik_serial",
        );
    }
    #[test]
    fn month_00_warns() {
        check("3216055700900003", "1990-08-17", F, "warn nik_month");
    }
    #[test]
    fn month_13_warns() {
        check("3216055713900003", "", None, "warn nik_month");
    }
    #[test]
    fn province_99_warns() {
        check("9916055708900003", "", None, "warn nik_province_unknown");
    }
    #[test]
    fn province_20_warns() {
        check("2016055708900003", "", None, "warn nik_province_unknown");
    }
    #[test]
    fn province_edges_known() {
        for code in [
            "11", "19", "21", "31", "36", "51", "53", "61", "65", "71", "76", "81", "82", "91",
            "96",
        ] {
            check(&format!("{code}16055708900003"), "", None, "ok");
        }
    }
    #[test]
    fn province_edges_unknown() {
        for code in [
            "10", "22", "30", "37", "50", "54", "66", "77", "83", "97", "00",
        ] {
            check(
                &format!("{code}16055708900003"),
                "",
                None,
                "warn nik_province_unknown",
            );
        }
    }
    #[test]
    fn birth_day_mismatch() {
        check(
            "3216055708900003",
            "1990-08-18",
            F,
            "warn nik_birth_date_mismatch",
        );
    }
    #[test]
    fn birth_month_mismatch() {
        check(
            "3216055708900003",
            "1990-09-17",
            F,
            "warn nik_birth_date_mismatch",
        );
    }
    #[test]
    fn birth_year_mismatch() {
        check(
            "3216055708900003",
            "1991-08-17",
            F,
            "warn nik_birth_date_mismatch",
        );
    }
    #[test]
    fn birth_century_is_not_compared() {
        check("3216055708900003", "1890-08-17", F, "ok");
    }
    #[test]
    fn female_nik_male_record() {
        check("3216055708900003", "1990-08-17", M, "warn nik_sex_mismatch");
    }
    #[test]
    fn male_nik_female_record() {
        check("3216051708900003", "1990-08-17", F, "warn nik_sex_mismatch");
    }
    #[test]
    fn both_mismatches_warn() {
        check(
            "3216051708900003",
            "1990-08-18",
            F,
            "warn nik_birth_date_mismatch, warn nik_sex_mismatch",
        );
    }

    #[test]
    fn messages_name_field_and_value() {
        let mut issues = Issues::default();
        check_nik_format("3216053508900003", &mut issues);
        assert_eq!(
            issues.into_rejected().errors[0].to_string(),
            "nik: day of birth (digits 7-8) must be 01-31, or 41-71 for women (got 35) [nik_day]"
        );
        let mut issues = Issues::default();
        check_nik_against_record(
            "3216055708900003",
            Some(date("1991-08-17")),
            Some(Sex::Male),
            &mut issues,
        );
        let warnings = issues.into_rejected().warnings;
        assert_eq!(
            warnings[0].message,
            "nik: the NIK says born 17-08-90 (DD-MM-YY) but birth_date is 1991-08-17"
        );
        assert_eq!(
            warnings[1].message,
            "nik: the NIK is a woman's (day of birth 57) but sex is male"
        );
    }
}
