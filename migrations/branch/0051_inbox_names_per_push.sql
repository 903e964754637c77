-- The name index of new cases is written once per push (inbox.rs: `index_names_after`), not by a
-- trigger on each new inbox row: FTS5 writes the terms it holds to disk at the start of every
-- later statement in the transaction, so a push of many intakes wrote one small index segment
-- per case and then merged them (issue 15's profile: 4.5 % of a push). Corrections still update
-- the index by trigger (inbox_names_update).
DROP TRIGGER inbox_names_insert;
