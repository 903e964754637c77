-- The desk's first schema: intakes, their corrections, treatment notes, the outbox, and the
-- projections used for listing and searching cases.

-- An admitted case, exactly as first saved. Never updated: corrections are rows of intake_corrections.
CREATE TABLE intakes (
    seq          INTEGER PRIMARY KEY,       -- local admission order; also the rowid of case_search
    id           TEXT NOT NULL UNIQUE,      -- UUIDv7 made on the desk
    record       TEXT NOT NULL,             -- the intake as admitted: JSON with the contract's field names
    warnings     TEXT NOT NULL,             -- JSON array of the rule warnings saved with it
    author       TEXT NOT NULL,
    written_at   TEXT NOT NULL              -- RFC 3339, the desk's clock when saved
);

-- A correction of an intake: which fields changed (from, to), why, who and when.
CREATE TABLE intake_corrections (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,      -- UUIDv7 of the correction event
    intake_id    TEXT NOT NULL REFERENCES intakes(id),
    revision     INTEGER NOT NULL,          -- 1 for the first correction of a case, then 2, ...
    changes      TEXT NOT NULL,             -- JSON array of {field, from, to}
    reason       TEXT NOT NULL,
    author       TEXT NOT NULL,
    written_at   TEXT NOT NULL,
    UNIQUE (intake_id, revision)
);

-- A treatment note. Never edited: a correction is a new note whose `corrects` names the old one.
CREATE TABLE notes (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    intake_id    TEXT NOT NULL REFERENCES intakes(id),
    corrects     TEXT REFERENCES notes(id),
    record       TEXT NOT NULL,             -- the note: JSON with the contract's field names
    warnings     TEXT NOT NULL,
    written_at   TEXT NOT NULL
);
CREATE INDEX notes_by_intake ON notes (intake_id, seq);
CREATE INDEX notes_by_corrects ON notes (corrects) WHERE corrects IS NOT NULL;

-- The queue for the branch server: one entry per record written, in the same transaction.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY,       -- send order
    id           TEXT NOT NULL UNIQUE,      -- UUIDv7 of the entry (the branch applies each at most once)
    kind         TEXT NOT NULL CHECK (kind IN ('intake', 'intake_correction', 'note')),
    record_id    TEXT NOT NULL,             -- id of the intake, correction or note
    intake_id    TEXT NOT NULL,             -- the case it belongs to (notes are never sent before it)
    payload      TEXT NOT NULL,             -- the JSON sent to the branch
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'sent', 'confirmed', 'rejected', 'conflict')),
    created_at   TEXT NOT NULL
);
CREATE INDEX outbox_by_state ON outbox (state, seq);
CREATE INDEX outbox_by_intake ON outbox (intake_id);

-- Projection: the current values of each case (admission + corrections) and whether it is closed.
-- Rebuilt from the append-only tables whenever one of its cases changes.
CREATE TABLE cases (
    intake_seq     INTEGER PRIMARY KEY REFERENCES intakes(seq),
    intake_id      TEXT NOT NULL UNIQUE,
    record         TEXT NOT NULL,           -- current intake JSON
    warnings       TEXT NOT NULL,           -- warnings of the current values
    nik            TEXT,
    kpj            TEXT,
    admitted_at    TEXT NOT NULL,
    admitted_at_utc TEXT NOT NULL,          -- for ordering across time zones
    outcome        TEXT,                    -- from the latest uncorrected note with an outcome
    closed         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cases_open ON cases (closed, admitted_at_utc);
-- Identity numbers are searched by prefix on these indexes, not in case_search: every NIK and KPJ is
-- a distinct token, and a short prefix would make the full-text index merge one list per patient.
CREATE INDEX cases_by_nik ON cases (nik);
CREATE INDEX cases_by_kpj ON cases (kpj);

-- Projection: full-text index of names and employers, rowid = intakes.seq. Case- and accent-insensitive.
CREATE VIRTUAL TABLE case_search USING fts5 (
    full_name, employer_name,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);

-- Desk preferences (language, ...).
CREATE TABLE settings (
    key          TEXT PRIMARY KEY,
    value        TEXT NOT NULL
);

CREATE TRIGGER intakes_append_only_update BEFORE UPDATE ON intakes
BEGIN SELECT RAISE(ABORT, 'intakes are append-only'); END;
CREATE TRIGGER intakes_append_only_delete BEFORE DELETE ON intakes
BEGIN SELECT RAISE(ABORT, 'intakes are append-only'); END;
CREATE TRIGGER corrections_append_only_update BEFORE UPDATE ON intake_corrections
BEGIN SELECT RAISE(ABORT, 'intake corrections are append-only'); END;
CREATE TRIGGER corrections_append_only_delete BEFORE DELETE ON intake_corrections
BEGIN SELECT RAISE(ABORT, 'intake corrections are append-only'); END;
CREATE TRIGGER notes_append_only_update BEFORE UPDATE ON notes
BEGIN SELECT RAISE(ABORT, 'notes are append-only'); END;
CREATE TRIGGER notes_append_only_delete BEFORE DELETE ON notes
BEGIN SELECT RAISE(ABORT, 'notes are append-only'); END;
