-- The branch server's first schema: clinics, enrolment codes, devices, the entries desks pushed,
-- the clinical records they carried, conflicts, and the per-clinic changes feed desks pull.

-- A PLKK the branch works with. Devices and cases belong to exactly one clinic.
CREATE TABLE clinics (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,      -- short code the administrator chose (e.g. "PLKK-BKS-01")
    name         TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

-- A one-time enrolment code. Only its hash is kept; it expires and can be used once.
CREATE TABLE enrollment_codes (
    code_hash    TEXT PRIMARY KEY,          -- SHA-256 hex of the normalised code (no dashes, upper case)
    clinic_id    INTEGER NOT NULL REFERENCES clinics(id),
    issued_at    TEXT NOT NULL,
    expires_at   TEXT NOT NULL,             -- RFC 3339 UTC; issued_at + 24 h
    used_at      TEXT,                      -- set when a device traded it for a token
    device_id    TEXT                       -- the device that used it
);

-- An enrolled desk. Only the hash of its bearer token is kept.
CREATE TABLE devices (
    id           TEXT PRIMARY KEY,          -- UUID given at enrolment
    clinic_id    INTEGER NOT NULL REFERENCES clinics(id),
    name         TEXT NOT NULL,             -- what the desk called itself ("Meja depan 1")
    token_hash   TEXT NOT NULL UNIQUE,      -- SHA-256 hex of the bearer token
    enrolled_at  TEXT NOT NULL,
    revoked_at   TEXT                       -- set by `device revoke`; the token then answers 401 device_revoked
);

-- Every outbox entry the branch stored (applied or conflict), once. Rejected entries are not stored.
CREATE TABLE entries (
    seq          INTEGER PRIMARY KEY,       -- the receipt number given to the desk
    id           TEXT NOT NULL UNIQUE,      -- the desk's entry id: a repeat is answered from this row
    device_id    TEXT NOT NULL REFERENCES devices(id),
    device_seq   INTEGER NOT NULL,          -- the desk's outbox sequence
    kind         TEXT NOT NULL CHECK (kind IN ('intake', 'intake_correction', 'note')),
    record_id    TEXT NOT NULL,
    intake_id    TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('applied', 'conflict')),
    entry        TEXT NOT NULL,             -- the PushEntry as received (JSON)
    receipt      TEXT NOT NULL,             -- the Receipt first given (JSON), replayed on a repeat
    received_at  TEXT NOT NULL
);
CREATE INDEX entries_by_record ON entries (record_id);

-- A case as first admitted at its desk. Never updated.
CREATE TABLE intakes (
    id           TEXT PRIMARY KEY,          -- the desk's UUIDv7
    clinic_id    INTEGER NOT NULL REFERENCES clinics(id),
    entry_seq    INTEGER NOT NULL REFERENCES entries(seq),
    record       TEXT NOT NULL,             -- the validated intake (JSON, contract field names)
    warnings     TEXT NOT NULL,             -- JSON array of rule warnings
    author       TEXT NOT NULL,
    written_at   TEXT NOT NULL              -- the desk's clock when saved
);

-- An applied correction of an intake. Never updated.
CREATE TABLE corrections (
    id           TEXT PRIMARY KEY,
    intake_id    TEXT NOT NULL REFERENCES intakes(id),
    entry_seq    INTEGER NOT NULL REFERENCES entries(seq),
    changes      TEXT NOT NULL,             -- JSON array of {field, from, to} as applied
    reason       TEXT NOT NULL,
    author       TEXT NOT NULL,
    written_at   TEXT NOT NULL
);
CREATE INDEX corrections_by_intake ON corrections (intake_id, entry_seq);

-- A treatment note. Never updated.
CREATE TABLE notes (
    id           TEXT PRIMARY KEY,
    intake_id    TEXT NOT NULL REFERENCES intakes(id),
    entry_seq    INTEGER NOT NULL REFERENCES entries(seq),
    record       TEXT NOT NULL,             -- the note with id, intake_id, written_at, author (JSON)
    warnings     TEXT NOT NULL
);
CREATE INDEX notes_by_intake ON notes (intake_id, entry_seq);

-- A correction that conflicted: kept with both versions until a person resolves it.
CREATE TABLE conflicts (
    correction_id TEXT PRIMARY KEY,
    intake_id    TEXT NOT NULL REFERENCES intakes(id),
    entry_seq    INTEGER NOT NULL REFERENCES entries(seq),
    device_id    TEXT NOT NULL,
    correction   TEXT NOT NULL,             -- the CorrectionPayload (JSON)
    fields       TEXT NOT NULL,             -- JSON array of {field, base, branch, desk}
    detected_at  TEXT NOT NULL
);
CREATE INDEX conflicts_by_intake ON conflicts (intake_id);

-- Projection: current values of each case and the branch's status for it.
CREATE TABLE cases (
    intake_id    TEXT PRIMARY KEY REFERENCES intakes(id),
    clinic_id    INTEGER NOT NULL REFERENCES clinics(id),
    record       TEXT NOT NULL,             -- current intake JSON (admission + applied corrections)
    warnings     TEXT NOT NULL,
    status       TEXT NOT NULL,             -- a CaseStatus name
    status_reason TEXT,
    status_reference TEXT,                  -- e.g. the guarantee letter number
    status_changed_at TEXT NOT NULL
);
CREATE INDEX cases_by_clinic ON cases (clinic_id);

-- The changes feed: what a clinic's desks pull, in branch order.
CREATE TABLE changes (
    seq          INTEGER PRIMARY KEY,       -- the cursor
    clinic_id    INTEGER NOT NULL REFERENCES clinics(id),
    intake_id    TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('case_status', 'record', 'conflict')),
    origin_device TEXT,                     -- for records: the pushing device (never sent back to it)
    body         TEXT NOT NULL,             -- the ChangeBody (JSON, with its kind tag)
    created_at   TEXT NOT NULL
);
CREATE INDEX changes_by_clinic ON changes (clinic_id, seq);

-- Clinical tables are append-only (Permenkes 24/2022: no hard deletes).
CREATE TRIGGER intakes_no_update BEFORE UPDATE ON intakes BEGIN SELECT RAISE(ABORT, 'intakes are append-only'); END;
CREATE TRIGGER intakes_no_delete BEFORE DELETE ON intakes BEGIN SELECT RAISE(ABORT, 'intakes are append-only'); END;
CREATE TRIGGER corrections_no_update BEFORE UPDATE ON corrections BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
CREATE TRIGGER corrections_no_delete BEFORE DELETE ON corrections BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
CREATE TRIGGER notes_no_update BEFORE UPDATE ON notes BEGIN SELECT RAISE(ABORT, 'notes are append-only'); END;
CREATE TRIGGER notes_no_delete BEFORE DELETE ON notes BEGIN SELECT RAISE(ABORT, 'notes are append-only'); END;
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
