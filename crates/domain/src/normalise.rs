//! The one normal form of searched text, used both for what a search box sends and for what an
//! index holds, so the two can never disagree: the desk's case search and employer offers
//! (`plkk-store`) and the branch console's inbox search (`plkk-branch`) all read text through it.
//!
//! - Identity numbers (NIK, KPJ): spaces, dashes, dots and slashes people type inside them are
//!   dropped and letters are upper case (`3216-0557-0890-0014` → `3216055708900014`).
//! - Names and employers: accents are dropped (`Hélène` → `helene`), letters are lower case,
//!   apostrophes are dropped without splitting the word (Indonesian names are written with and
//!   without them: `Ma'ruf` and `Maruf` are both `maruf`), and every other punctuation splits
//!   words (`PT. Maju-Jaya` → `pt maju jaya`).
//!
//! A change of this normal form changes what the indexes must hold: it comes with migrations that
//! rebuild them (the desk's `case_search` and `employers`, the branch's `inbox_names`).

use icu_normalizer::DecomposingNormalizerBorrowed;
use icu_properties::props::{GeneralCategory, GeneralCategoryGroup};
use icu_properties::CodePointMapData;

/// Characters typed between the groups of an identity number.
const IDENTITY_SEPARATORS: &[char] = &[' ', '-', '.', '/', '\u{2010}', '\u{2011}', '\u{2013}'];

/// Apostrophes and the marks people type for one: removed inside a word, never splitting it.
const APOSTROPHES: &[char] = &[
    '\'', '\u{2019}', '\u{2018}', '\u{02BC}', '\u{02BB}', '`', '\u{00B4}',
];

/// The identity number in `text` in its stored form (NIK and KPJ columns are written with it),
/// or `None` when `text` is not one: after dropping separators it must be ASCII letters and
/// digits, and every group the person typed must hold a digit (so "Siti 3216" is words).
pub fn identity_key(text: &str) -> Option<String> {
    let text = text.trim();
    let groups_have_digits = text
        .split(IDENTITY_SEPARATORS)
        .filter(|group| !group.is_empty())
        .all(|group| group.chars().any(|c| c.is_ascii_digit()));
    let compact: String = text
        .chars()
        .filter(|c| !IDENTITY_SEPARATORS.contains(c))
        .collect();
    let is_identity = !compact.is_empty()
        && groups_have_digits
        && compact.chars().all(|c| c.is_ascii_alphanumeric());
    is_identity.then(|| compact.to_ascii_uppercase())
}

/// The words of a name or employer in their normal form, in order.
pub fn words(text: &str) -> Vec<String> {
    let marks = CodePointMapData::<GeneralCategory>::new();
    let decomposed = DecomposingNormalizerBorrowed::new_nfd().normalize(text);
    let folded: String = decomposed
        .chars()
        .filter(|&c| !GeneralCategoryGroup::Mark.contains(marks.get(c)))
        .filter(|c| !APOSTROPHES.contains(c))
        .flat_map(char::to_lowercase)
        .collect();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What the full-text index holds for a name or employer: its words joined by spaces.
pub fn index_text(text: &str) -> String {
    words(text).join(" ")
}

#[cfg(test)]
mod tests {
    use super::{identity_key, index_text};

    fn check_identity(typed: &str, expected: Option<&str>) {
        assert_eq!(
            identity_key(typed).as_deref(),
            expected,
            "identity key of {typed:?}"
        );
    }

    fn check_words(typed: &str, expected: &str) {
        assert_eq!(index_text(typed), expected, "words of {typed:?}");
    }

    #[test]
    fn identity_numbers_lose_what_people_type_between_groups() {
        check_identity("3216055708900014", Some("3216055708900014"));
        check_identity("3216 0557 0890 0014", Some("3216055708900014"));
        check_identity("3216-0557-0890-0014", Some("3216055708900014"));
        check_identity("3216.0557.0890.0014", Some("3216055708900014"));
        check_identity(" 3216 ", Some("3216"));
        check_identity("ab12", Some("AB12"));
        check_identity("12ab 34", Some("12AB34"));
        check_identity("Siti 3216", None);
        check_identity("siti", None);
        check_identity("3216/", Some("3216"));
        check_identity("32*16", None);
        check_identity("", None);
        check_identity(" - ", None);
    }

    #[test]
    fn names_lose_case_accents_and_apostrophes() {
        check_words("Ma'ruf Amin", "maruf amin");
        check_words("Ma’ruf", "maruf");
        check_words("Maruf", "maruf");
        check_words("Nu`man", "numan");
        check_words("SITI RAHAYU", "siti rahayu");
        check_words("Hélène Müller", "helene muller");
        check_words("PT. Maju-Jaya", "pt maju jaya");
        check_words("  Moh.Ali  ", "moh ali");
        check_words("\"siti\" OR *", "siti or");
        check_words("*()", "");
        check_words("MA’RUFAH", "marufah");
        check_words("Siti Ma'rufah", "siti marufah");
        check_words("O'Neil", "oneil");
        check_words("Café Ñusa", "cafe nusa");
    }
}
