-- The employers offered while typing (issue 9) are keyed by the search normal form
-- (plkk_domain::normalise, issue 8 item 4's kind: one normaliser for every typed query and every
-- index) instead of trimmed ASCII lower case, so "jaya" finds "PT. Maju-Jaya" and an apostrophe
-- or accent does not matter. SQL cannot compute that form: the rows are keyed anew in Rust right
-- after this file (suggest::rekey_employers), rows whose names now share a key merged into one.
SELECT 1;
