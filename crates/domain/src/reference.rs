//! Reference lists the desk ships and looks things up in: the ICD-10 categories of injuries
//! (S00-T98) and external causes (V01-Y98) with their titles, for the treatment note's code
//! search (`search_icd10`), and the province and regency names of the NIK's first four digits
//! (`region_of_nik`). Both are plain text files in `crates/domain/data/` (each names its source
//! and licence at the top), compiled into the binary; no IO at run time.

use serde::Serialize;

const ICD10_INJURY_CATEGORIES: &str = include_str!("../data/icd10-injury-categories.tsv");
const REGENCIES: &str = include_str!("../data/regencies.tsv");

/// One ICD-10 code with its title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Icd10Entry {
    /// The ICD-10 code, e.g. `S52.5`.
    pub code: String,
    /// Its title.
    pub title: String,
}

/// The province and regency (kabupaten/kota) a NIK was issued in, when the list knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    /// Digits 1-2 of the NIK.
    pub province_code: String,
    /// The province's name, when the list knows it.
    pub province: Option<String>,
    /// Digits 1-4 of the NIK.
    pub regency_code: String,
    /// The regency's (kabupaten/kota) name, when the list knows it.
    pub regency: Option<String>,
}

/// The data lines (code, text) of a reference file: comments and blank lines skipped.
fn entries(file: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    file.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split_once('\t'))
}

/// The ICD-10 categories matching what was typed, best first, at most `limit`: a code or code
/// prefix ("s5", "S52", "S52.5" finds S52) or words of the title, each matched at the start of a
/// title word, case-insensitive ("fract forearm" finds S52 "Fracture of forearm"). A typed
/// decimal comma counts as a point ("S61,0"). Nothing for fewer than 2 characters.
pub fn search_icd10(typed: &str, limit: usize) -> Vec<Icd10Entry> {
    let query = typed.trim().to_lowercase().replace(',', ".");
    if query.chars().count() < 2 {
        return Vec::new();
    }
    let code_query: String = query
        .split('.')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let looks_like_code = code_query.len() <= 3
        && code_query
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && code_query.chars().skip(1).all(|c| c.is_ascii_digit());
    let words: Vec<&str> = query.split_whitespace().collect();
    let mut by_code = Vec::new();
    let mut by_title = Vec::new();
    for (code, title) in entries(ICD10_INJURY_CATEGORIES) {
        let entry = || Icd10Entry {
            code: code.to_owned(),
            title: title.to_owned(),
        };
        if looks_like_code && code.to_lowercase().starts_with(&code_query) {
            by_code.push(entry());
        } else if title_matches(title, &words) {
            by_title.push(entry());
        }
    }
    by_code.into_iter().chain(by_title).take(limit).collect()
}

/// Every typed word starts some word of the title.
fn title_matches(title: &str, words: &[&str]) -> bool {
    let title = title.to_lowercase();
    let title_words: Vec<&str> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    !words.is_empty()
        && words
            .iter()
            .all(|typed| title_words.iter().any(|word| word.starts_with(typed)))
}

/// The province and regency of a NIK's first four digits (only the digits are read, so a NIK
/// still being typed works once it has four). None when there are not four leading digits.
pub fn region_of_nik(nik: &str) -> Option<Region> {
    let digits = nik.trim().get(0..4)?;
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let name_of = |code: &str| {
        entries(REGENCIES)
            .find(|(listed, _)| *listed == code)
            .map(|(_, name)| name.to_owned())
    };
    Some(Region {
        province_code: digits[0..2].to_owned(),
        province: name_of(&digits[0..2]),
        regency_code: digits.to_owned(),
        regency: name_of(digits),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(typed: &str) -> Vec<String> {
        search_icd10(typed, 5)
            .into_iter()
            .map(|entry| entry.code)
            .collect()
    }

    #[test]
    fn a_code_prefix_finds_its_categories_in_order() {
        assert_eq!(codes("S5"), ["S50", "S51", "S52", "S53", "S54"]);
        assert_eq!(codes("s52"), ["S52"]);
        assert_eq!(codes("S52.5"), ["S52"]);
        assert_eq!(codes("S61,0"), ["S61"]);
        assert_eq!(codes("W11"), ["W11"]);
    }

    #[test]
    fn title_words_match_at_word_starts() {
        assert_eq!(codes("fracture forearm"), ["S52"]);
        assert_eq!(codes("fract forearm"), ["S52"]);
        assert!(codes("ladder").contains(&"W11".to_owned()));
        assert!(codes("orearm").is_empty(), "inside a word is not a match");
    }

    #[test]
    fn only_injury_and_external_cause_chapters_are_listed() {
        assert!(codes("A0").is_empty());
        assert_eq!(codes("T88"), ["T88"]);
        assert_eq!(codes("V01"), ["V01"]);
        assert!(entries(ICD10_INJURY_CATEGORIES)
            .all(|(code, _)| ("S00"..="T98").contains(&code) || ("V01"..="Y98").contains(&code)));
    }

    #[test]
    fn too_short_or_empty_finds_nothing() {
        assert!(codes("").is_empty());
        assert!(codes("s").is_empty());
        assert!(codes("  ").is_empty());
    }

    #[test]
    fn every_line_has_a_code_and_a_title() {
        let lines = ICD10_INJURY_CATEGORIES
            .lines()
            .filter(|line| !line.starts_with('#'))
            .count();
        assert_eq!(entries(ICD10_INJURY_CATEGORIES).count(), lines);
        assert!(lines > 400, "both chapters are there ({lines} categories)");
    }

    fn region(nik: &str) -> Option<(Option<String>, Option<String>)> {
        region_of_nik(nik).map(|region| (region.province, region.regency))
    }

    #[test]
    fn regions_of_niks() {
        let named = |province: &str, regency: &str| {
            Some((Some(province.to_owned()), Some(regency.to_owned())))
        };
        assert_eq!(
            region("3216055708900003"),
            named("Jawa Barat", "Kab. Bekasi")
        );
        assert_eq!(region("3275"), named("Jawa Barat", "Kota Bekasi"));
        assert_eq!(
            region("3171011203880007"),
            named("DKI Jakarta", "Kota Adm. Jakarta Pusat")
        );
        assert_eq!(region("3299"), Some((Some("Jawa Barat".to_owned()), None)));
        assert_eq!(region("9916"), Some((None, None)));
        assert_eq!(region("321"), None);
        assert_eq!(region("32a6055708900003"), None);
    }
}
