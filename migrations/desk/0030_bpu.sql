-- Daftar BPU (issue 11): registrations of informal workers as BPU participants, the branch's
-- decisions on them, and the outbox taking a fourth kind of entry.

-- The outbox's kind list is a CHECK constraint, which SQLite cannot alter: the table is rebuilt
-- with the same columns and rows, `bpu_registration` added to the kinds.
CREATE TABLE outbox_new (
    seq          INTEGER PRIMARY KEY,       -- send order
    id           TEXT NOT NULL UNIQUE,      -- UUIDv7 of the entry (the branch applies each at most once)
    kind         TEXT NOT NULL
                 CHECK (kind IN ('intake', 'intake_correction', 'note', 'bpu_registration')),
    record_id    TEXT NOT NULL,             -- id of the intake, correction, note or registration
    intake_id    TEXT NOT NULL,             -- the case it belongs to (a registration: its own id)
    payload      TEXT NOT NULL,             -- the JSON sent to the branch
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'sent', 'confirmed', 'rejected', 'conflict')),
    created_at   TEXT NOT NULL,
    receipt      INTEGER,                   -- the branch's receipt number once confirmed or in conflict
    received_at  TEXT,                      -- the branch's clock when it stored the entry
    issues       TEXT,                      -- JSON array of field issues: why rejected, or warnings kept
    conflicts    TEXT,                      -- JSON array of {field, base, branch, desk} for a conflict
    attempts     INTEGER NOT NULL DEFAULT 0,
    sent_at      TEXT,
    last_error   TEXT,
    folded_into  TEXT                       -- see 0002_sync.sql
);
INSERT INTO outbox_new (seq, id, kind, record_id, intake_id, payload, state, created_at, receipt,
                        received_at, issues, conflicts, attempts, sent_at, last_error, folded_into)
SELECT seq, id, kind, record_id, intake_id, payload, state, created_at, receipt, received_at,
       issues, conflicts, attempts, sent_at, last_error, folded_into
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_by_state ON outbox (state, seq);
CREATE INDEX outbox_by_intake ON outbox (intake_id);
CREATE INDEX outbox_by_folded_into ON outbox (folded_into) WHERE folded_into IS NOT NULL;
CREATE INDEX outbox_unconfirmed ON outbox (seq) WHERE state IN ('pending', 'sent');

-- A registration exactly as saved. Never updated: the branch's answer is in bpu_decisions.
CREATE TABLE bpu_registrations (
    seq           INTEGER PRIMARY KEY,      -- local order
    id            TEXT NOT NULL UNIQUE,     -- UUIDv7 made on the desk
    nik           TEXT NOT NULL,
    full_name     TEXT NOT NULL,
    record        TEXT NOT NULL,            -- the registration: JSON with the contract's field names
    contribution  TEXT NOT NULL,            -- JSON {jkk, jkm, jht, monthly_total, period_total, tariff_version, ...}, Rupiah
    warnings      TEXT NOT NULL,            -- JSON array of the warnings saved with it
    author        TEXT NOT NULL,
    written_at    TEXT NOT NULL             -- RFC 3339, the desk's clock when saved
);
CREATE INDEX bpu_registrations_by_nik ON bpu_registrations (nik);
CREATE TRIGGER bpu_registrations_append_only_update BEFORE UPDATE ON bpu_registrations
BEGIN SELECT RAISE(ABORT, 'bpu_registrations is append-only'); END;
CREATE TRIGGER bpu_registrations_append_only_delete BEFORE DELETE ON bpu_registrations
BEGIN SELECT RAISE(ABORT, 'bpu_registrations is append-only'); END;

-- The branch's decision on a registration of the clinic (this desk's or another desk's), as
-- pulled from the changes feed. A registration without a row here is `submitted`.
CREATE TABLE bpu_decisions (
    registration_id TEXT PRIMARY KEY,
    nik             TEXT NOT NULL,
    full_name       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('submitted', 'registered', 'rejected')),
    kpj             TEXT,                   -- the membership number the branch assigned (registered)
    reason          TEXT,                   -- why it was rejected
    decided_at      TEXT NOT NULL,          -- the branch's clock
    branch_seq      INTEGER NOT NULL        -- an older change never replaces a newer one
);
CREATE INDEX bpu_decisions_by_nik ON bpu_decisions (nik);
