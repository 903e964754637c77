//! Case search: what a receptionist types into the one search box, and how it is answered fast
//! over a million cases.
//!
//! Typed text goes through the same normal form as the index (`plkk_domain::normalise`). Groups of digits
//! (with letters, spaces, dashes or dots between them) are an identity number: a NIK or KPJ
//! prefix, answered from the B-tree indexes on `cases.nik` and `cases.kpj`. Anything else is words
//! of a name or employer: every word becomes an FTS5 prefix term on `case_search`, all must
//! match. Results are newest first (highest admission sequence).

use rusqlite::{params, Connection};

use plkk_domain::normalise;

/// How a typed search is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SearchPlan {
    /// Nothing searchable was typed.
    Everything,
    /// NIK or KPJ prefix, uppercased.
    IdentityPrefix(String),
    /// An FTS5 MATCH expression over names and employers.
    Words(String),
}

pub(crate) fn plan(typed: &str) -> SearchPlan {
    if let Some(identity) = normalise::identity_key(typed) {
        return SearchPlan::IdentityPrefix(identity);
    }
    // Normalised words hold only letters and digits: quoting them is enough to keep FTS5 syntax
    // a person typed from being interpreted.
    let terms: Vec<String> = normalise::words(typed)
        .into_iter()
        .map(|word| format!("\"{word}\"*"))
        .collect();
    if terms.is_empty() {
        SearchPlan::Everything
    } else {
        SearchPlan::Words(terms.join(" "))
    }
}

/// Above this many matches a prefix is common enough that walking the cases newest first and
/// keeping matches finds `limit` of them sooner than sorting every match.
const COMMON_PREFIX_MATCHES: i64 = 20_000;

/// Admission sequences of the newest cases whose NIK or KPJ starts with `prefix`.
pub(crate) fn identity_matches(
    conn: &Connection,
    prefix: &str,
    open_only: bool,
    limit: i64,
) -> rusqlite::Result<Vec<i64>> {
    let mut found = Vec::new();
    for (column, index) in [("nik", "cases_by_nik"), ("kpj", "cases_by_kpj")] {
        found.extend(prefix_matches(
            conn, column, index, prefix, open_only, limit,
        )?);
    }
    found.sort_unstable_by(|a, b| b.cmp(a));
    found.dedup();
    found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(found)
}

fn prefix_matches(
    conn: &Connection,
    column: &str,
    index: &str,
    prefix: &str,
    open_only: bool,
    limit: i64,
) -> rusqlite::Result<Vec<i64>> {
    let end = prefix_end(prefix);
    let range = format!("{column} >= ?1 AND {column} < ?2");
    let common: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM cases INDEXED BY {index} WHERE {range} LIMIT ?3)"
        ))?
        .query_row(params![prefix, end, COMMON_PREFIX_MATCHES], |row| {
            row.get(0)
        })?;
    let source = if common >= COMMON_PREFIX_MATCHES {
        "cases NOT INDEXED"
    } else {
        &format!("cases INDEXED BY {index}")
    };
    let mut statement = conn.prepare_cached(&format!(
        "SELECT intake_seq FROM {source} WHERE {range} AND (?3 = 0 OR closed = 0)
         ORDER BY intake_seq DESC LIMIT ?4"
    ))?;
    let rows = statement
        .query_map(params![prefix, end, open_only, limit], |row| row.get(0))?
        .collect();
    rows
}

/// The smallest text greater than every text starting with `prefix` (ASCII letters and digits).
fn prefix_end(prefix: &str) -> String {
    let mut end = prefix.to_owned();
    let last = end.pop().map_or(0, |character| character as u8);
    end.push(char::from(last + 1));
    end
}

/// Admission sequences of the newest cases whose name or employer matches every word.
pub(crate) fn word_matches(
    conn: &Connection,
    expression: &str,
    open_only: bool,
    limit: i64,
) -> rusqlite::Result<Vec<i64>> {
    let mut statement = conn.prepare_cached(
        "SELECT cases.intake_seq FROM case_search JOIN cases ON cases.intake_seq = case_search.rowid
         WHERE case_search MATCH ?1 AND (?2 = 0 OR cases.closed = 0)
         ORDER BY case_search.rowid DESC LIMIT ?3",
    )?;
    let rows = statement
        .query_map(params![expression, open_only, limit], |row| row.get(0))?
        .collect();
    rows
}

#[cfg(test)]
mod tests {
    use super::{identity_matches, plan, prefix_end, SearchPlan, COMMON_PREFIX_MATCHES};
    use crate::Store;

    fn check(typed: &str, expected: SearchPlan) {
        assert_eq!(plan(typed), expected, "typed {typed:?}");
    }

    fn words(expression: &str) -> SearchPlan {
        SearchPlan::Words(expression.to_owned())
    }

    fn identity(prefix: &str) -> SearchPlan {
        SearchPlan::IdentityPrefix(prefix.to_owned())
    }

    #[test]
    fn words_become_prefix_terms() {
        check("siti", words("\"siti\"*"));
        check("Siti Rah", words("\"siti\"* \"rah\"*"));
        check("PT. Maju", words("\"pt\"* \"maju\"*"));
        check("Hélène", words("\"helene\"*"));
        check("Ma'ruf", words("\"maruf\"*"));
    }

    #[test]
    fn one_word_with_a_digit_is_an_identity_number() {
        check("  3216 ", identity("3216"));
        check("3216055708900003", identity("3216055708900003"));
        check("ab12", identity("AB12"));
        check("3216 0557", identity("32160557"));
        check("3216-0557-0890-0014", identity("3216055708900014"));
        check("Siti 3216", words("\"siti\"* \"3216\"*"));
    }

    #[test]
    fn fts_syntax_typed_by_a_user_is_not_interpreted() {
        check("\"siti\" OR *", words("\"siti\"* \"or\"*"));
        check("nik:3216", words("\"nik\"* \"3216\"*"));
        check("  \"*() ", SearchPlan::Everything);
        check("", SearchPlan::Everything);
    }

    #[test]
    fn a_prefix_ends_just_after_its_last_character() {
        assert_eq!(prefix_end("3216"), "3217");
        assert_eq!(prefix_end("3219"), "321:");
        assert_eq!(prefix_end("AZ"), "A[");
    }

    /// Cases with NIK 3216000000NNNNNN for seq 1..=count, plus one rare NIK 3275... at the end.
    fn store_with_niks(count: i64) -> Store {
        let mut store = Store::open_in_memory().unwrap();
        // Only the projection is under test here, not the records it is derived from.
        store
            .conn
            .pragma_update(None, "foreign_keys", "OFF")
            .unwrap();
        let tx = store.conn.transaction().unwrap();
        let insert = |seq: i64, nik: &str, closed: bool| {
            tx.execute(
                "INSERT INTO cases (intake_seq, intake_id, record, warnings, nik, kpj,
                                    admitted_at, admitted_at_utc, closed)
                 VALUES (?1, ?1, '{}', '[]', ?2, NULL, '', '', ?3)",
                rusqlite::params![seq, nik, closed],
            )
            .unwrap();
        };
        for seq in 1..=count {
            insert(seq, &format!("3216{seq:012}"), seq % 2 == 0);
        }
        insert(count + 1, "3275000000000001", false);
        tx.commit().unwrap();
        store
    }

    #[test]
    fn common_and_rare_prefixes_both_answer_newest_first() {
        let count = COMMON_PREFIX_MATCHES + 10;
        let store = store_with_niks(count);
        let common = identity_matches(&store.conn, "3216", false, 3).unwrap();
        assert_eq!(
            common,
            vec![count, count - 1, count - 2],
            "a prefix shared by all"
        );
        let open = identity_matches(&store.conn, "3216", true, 2).unwrap();
        assert_eq!(open, vec![count - 1, count - 3], "closed cases left out");
        let rare = identity_matches(&store.conn, "32160000000001", false, 200).unwrap();
        assert_eq!(rare.len(), 100, "NIKs 3216000000000100..=199");
        assert_eq!((rare[0], rare[99]), (199, 100));
        let other = identity_matches(&store.conn, "3275", false, 200).unwrap();
        assert_eq!(other, vec![count + 1]);
        assert!(identity_matches(&store.conn, "9", false, 200)
            .unwrap()
            .is_empty());
    }
}
