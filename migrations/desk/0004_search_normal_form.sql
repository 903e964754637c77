-- Search: the typed query and the index now share one normal form (crates/store/src/normalise.rs):
-- names and employers are indexed lower case, without accents, with apostrophes dropped inside a
-- word ("Ma'ruf" and "Maruf" are both "maruf") and other punctuation splitting words. The index
-- written before holds the old form: it is emptied here and rebuilt from `cases` by the store in
-- the same transaction (migrate.rs runs the rebuild after this file).
DELETE FROM case_search;
