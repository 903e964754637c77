-- The inbox's name index in the desk's search normal form (issue 8 item 4's kind: one normaliser
-- for the typed query and the index, plkk_domain::normalise): lower case, no accents, apostrophes
-- dropped inside a word ("Siti Ma'rufah" is found by "marufah", "ma'rufah" and "MA’RUFAH"), other
-- punctuation splitting words. FTS5's own tokenizer split at the apostrophe. The index now holds
-- the normalised words, written by the triggers through plkk_search_words(), a function the
-- server registers on every connection (inbox.rs); it keeps its own copy of them (a few bytes a
-- case) instead of reading `inbox`, whose full_name is the name as written.
DROP TRIGGER inbox_names_insert;
DROP TRIGGER inbox_names_update;
DROP TABLE inbox_names;

CREATE VIRTUAL TABLE inbox_names USING fts5(
    name_words,                              -- plkk_search_words(inbox.full_name); rowid = inbox.seq
    tokenize = 'unicode61', prefix = '2 3'
);
CREATE TRIGGER inbox_names_insert AFTER INSERT ON inbox BEGIN
    INSERT INTO inbox_names (rowid, name_words) VALUES (NEW.seq, plkk_search_words(NEW.full_name));
END;
CREATE TRIGGER inbox_names_update AFTER UPDATE OF full_name ON inbox BEGIN
    UPDATE inbox_names SET name_words = plkk_search_words(NEW.full_name) WHERE rowid = NEW.seq;
END;
CREATE TRIGGER inbox_names_delete AFTER DELETE ON inbox BEGIN
    DELETE FROM inbox_names WHERE rowid = OLD.seq;
END;

-- The cases the branch already holds.
INSERT INTO inbox_names (rowid, name_words) SELECT seq, plkk_search_words(full_name) FROM inbox;
