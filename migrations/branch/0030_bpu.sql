-- Daftar BPU (issue 11): registrations of informal workers pushed by the clinics' desks, the
-- officers' decisions on them, and reference data (BPU tariffs) the branch publishes. The kind
-- lists of `entries` (+ 'bpu_registration') and `changes` (+ 'bpu_decision', 'reference') are
-- CHECK constraints SQLite cannot alter and those tables cannot be rebuilt under the inbox's
-- triggers: `crate::migrate` widens the two lists right after this file, in its transaction.

-- A registration as the desk sent it, validated and with the contribution recomputed. Never
-- updated: the decision is in bpu_decisions.
CREATE TABLE bpu_registrations (
    id            TEXT PRIMARY KEY,          -- the desk's UUIDv7 (also the entry's record_id)
    clinic_id     INTEGER NOT NULL REFERENCES clinics(id),
    entry_seq     INTEGER NOT NULL REFERENCES entries(seq),
    nik           TEXT NOT NULL,
    full_name     TEXT NOT NULL,
    occupation    TEXT NOT NULL,
    record        TEXT NOT NULL,             -- the validated registration (JSON, contract field names)
    contribution  TEXT NOT NULL,             -- as recomputed here (JSON, whole Rupiah)
    warnings      TEXT NOT NULL,             -- JSON array of warnings
    author        TEXT NOT NULL,
    written_at    TEXT NOT NULL,             -- the desk's clock when saved
    received_at   TEXT NOT NULL,             -- the branch's clock (UTC, RFC 3339)
    received_on   TEXT NOT NULL              -- the branch's local date it arrived (YYYY-MM-DD), for reports
);
CREATE INDEX bpu_registrations_by_clinic ON bpu_registrations (clinic_id, received_on);
CREATE TRIGGER bpu_registrations_no_update BEFORE UPDATE ON bpu_registrations BEGIN SELECT RAISE(ABORT, 'BPU registrations are append-only'); END;
CREATE TRIGGER bpu_registrations_no_delete BEFORE DELETE ON bpu_registrations BEGIN SELECT RAISE(ABORT, 'BPU registrations are append-only'); END;

-- An officer's decision, once per registration (a registration without one is `submitted`).
CREATE TABLE bpu_decisions (
    registration_id TEXT PRIMARY KEY REFERENCES bpu_registrations(id),
    status          TEXT NOT NULL CHECK (status IN ('registered', 'rejected')),
    kpj             TEXT,                    -- assigned membership number (registered)
    reason          TEXT,                    -- why (rejected)
    decided_by      TEXT NOT NULL,           -- the officer's username, or `cli`
    decided_at      TEXT NOT NULL
);
CREATE TRIGGER bpu_decisions_no_update BEFORE UPDATE ON bpu_decisions BEGIN SELECT RAISE(ABORT, 'BPU decisions are final'); END;
CREATE TRIGGER bpu_decisions_no_delete BEFORE DELETE ON bpu_decisions BEGIN SELECT RAISE(ABORT, 'BPU decisions are final'); END;

-- Reference files the branch published to its desks (BPU tariffs), by version.
CREATE TABLE reference_files (
    name          TEXT NOT NULL,             -- bpu_tariff
    version       TEXT NOT NULL,
    text          TEXT NOT NULL,             -- the file as published
    published_at  TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
