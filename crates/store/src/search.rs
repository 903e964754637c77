//! Turning what a receptionist types into the search box into an FTS5 query: every word becomes a
//! prefix term, all must match. Punctuation splits words, as the index's tokenizer does.

/// The FTS5 MATCH expression for `typed`, or `None` when nothing searchable was typed.
pub(crate) fn match_expression(typed: &str) -> Option<String> {
    let terms: Vec<String> = typed
        .split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| format!("\"{word}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::match_expression;

    fn check(typed: &str, expected: Option<&str>) {
        assert_eq!(
            match_expression(typed).as_deref(),
            expected,
            "typed {typed:?}"
        );
    }

    #[test]
    fn words_become_prefix_terms() {
        check("siti", Some("\"siti\"*"));
        check("Siti Rah", Some("\"Siti\"* \"Rah\"*"));
        check("  3216 ", Some("\"3216\"*"));
        check("PT. Maju", Some("\"PT\"* \"Maju\"*"));
        check("Hélène", Some("\"Hélène\"*"));
    }

    #[test]
    fn fts_syntax_typed_by_a_user_is_not_interpreted() {
        check("\"siti\" OR *", Some("\"siti\"* \"OR\"*"));
        check("nik:3216", Some("\"nik\"* \"3216\"*"));
        check("  \"*() ", None);
        check("", None);
    }
}
