-- Sync with the branch server: the desk's enrolment, receipts per outbox entry, the pull cursor,
-- the branch's status of each case, conflicts, and records pulled from the clinic's other desks.

-- What the branch answered for each entry, and how delivery went.
ALTER TABLE outbox ADD COLUMN receipt INTEGER;        -- the branch's receipt number (its sequence) once confirmed or in conflict
ALTER TABLE outbox ADD COLUMN received_at TEXT;       -- the branch's clock when it stored the entry (RFC 3339)
ALTER TABLE outbox ADD COLUMN issues TEXT;            -- JSON array of field issues: why rejected, or warnings kept
ALTER TABLE outbox ADD COLUMN conflicts TEXT;         -- JSON array of {field, base, branch, desk} for a conflict
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;  -- how many pushes carried it
ALTER TABLE outbox ADD COLUMN sent_at TEXT;           -- last time it was put in a push (the desk's clock)
ALTER TABLE outbox ADD COLUMN last_error TEXT;        -- the last delivery failure seen while it was in flight
-- A correction made while its intake waited in quarantine, folded into the intake's rebuilt payload
-- when the intake was resent: it is confirmed with the intake's receipt and never sent on its own.
ALTER TABLE outbox ADD COLUMN folded_into TEXT;
-- Confirming a resent intake confirms the corrections folded into it: found by this index, not a scan.
CREATE INDEX outbox_by_folded_into ON outbox (folded_into) WHERE folded_into IS NOT NULL;
CREATE INDEX outbox_unconfirmed ON outbox (seq) WHERE state IN ('pending', 'sent');

-- The desk's enrolment at a branch: one row once enrolled (the token is a bearer secret).
CREATE TABLE sync_settings (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    branch_url   TEXT NOT NULL,           -- e.g. https://cabang.example:8700 (plain http only on loopback)
    device_id    TEXT NOT NULL,
    token        TEXT NOT NULL,
    clinic_code  TEXT NOT NULL,
    clinic_name  TEXT NOT NULL,
    ca_cert_pem  TEXT,                    -- the branch's own CA, trusted besides the system's roots
    enrolled_at  TEXT NOT NULL
);

-- Where the pull stands: the branch sequence of the last change stored. Written in the same
-- transaction as the changes themselves.
CREATE TABLE sync_cursor (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    cursor       INTEGER NOT NULL
);

-- How syncing went lately (one row), for the status bar and `plkk status`.
CREATE TABLE sync_log (
    id                    INTEGER PRIMARY KEY CHECK (id = 1),
    last_attempt_at       TEXT,
    last_success_at       TEXT,
    last_error_code       TEXT,           -- a SyncError code (branch_unreachable, device_revoked, ...)
    last_error_message    TEXT,
    clock_offset_seconds  INTEGER         -- branch clock minus desk clock at the last answer
);

-- The branch's answer for each case (received, eligible, ...), as pulled.
CREATE TABLE case_status (
    intake_id    TEXT PRIMARY KEY,
    status       TEXT NOT NULL,
    reason       TEXT,
    reference    TEXT,                    -- e.g. the guarantee letter's number
    changed_at   TEXT NOT NULL,           -- the branch's clock
    branch_seq   INTEGER NOT NULL         -- the change's sequence: an older change never replaces a newer one
);

-- Corrections the branch kept as conflicts (this desk's own or another desk's): both versions are
-- kept, nothing is overwritten, and a person resolves them.
CREATE TABLE conflicts (
    correction_id TEXT PRIMARY KEY,
    intake_id     TEXT NOT NULL,
    origin_device TEXT,                   -- the desk that made the correction (NULL: this desk, before the pull told)
    this_desk     INTEGER NOT NULL,       -- 1 when this desk made the correction
    author        TEXT NOT NULL,
    written_at    TEXT NOT NULL,
    reason        TEXT NOT NULL,
    fields        TEXT NOT NULL,          -- JSON array of {field, base, branch, desk}
    correction    TEXT NOT NULL           -- the correction as the branch has it (JSON)
);
CREATE INDEX conflicts_by_intake ON conflicts (intake_id);

-- Records pulled from the clinic's other desks (stored in intakes / intake_corrections / notes
-- without an outbox entry: the branch already has them).
CREATE TABLE pulled_records (
    record_id     TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('intake', 'intake_correction', 'note')),
    intake_id     TEXT NOT NULL,
    origin_device TEXT NOT NULL,
    branch_seq    INTEGER NOT NULL,
    pulled_at     TEXT NOT NULL
);
