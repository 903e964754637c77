-- Case documents (issue 13): the papers of a case (KTP, KPJ card, police report, 3 KK1, 3b KK3,
-- receipts), their bytes in this encrypted database, their removals, their upload to the branch,
-- and the outbox taking two more kinds of entry (a document's metadata, a removal).

-- The outbox's kind list is a CHECK constraint, which SQLite cannot alter: the table is rebuilt
-- with the same columns and rows (as 0030_bpu did), `document` and `document_removal` added.
CREATE TABLE outbox_new (
    seq          INTEGER PRIMARY KEY,       -- send order
    id           TEXT NOT NULL UNIQUE,      -- UUIDv7 of the entry (the branch applies each at most once)
    kind         TEXT NOT NULL
                 CHECK (kind IN ('intake', 'intake_correction', 'note', 'bpu_registration',
                                 'document', 'document_removal')),
    record_id    TEXT NOT NULL,             -- id of the intake, correction, note, registration, document or removal
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

-- Stored bytes, once per content: two documents with the same SHA-256 share one row.
CREATE TABLE document_blobs (
    sha256   TEXT PRIMARY KEY,              -- 64 lowercase hex digits of `content`
    content  BLOB NOT NULL                  -- at most 10,000,000 bytes (plkk_domain::MAX_STORED_BYTES)
);
CREATE TRIGGER document_blobs_append_only_update BEFORE UPDATE ON document_blobs
BEGIN SELECT RAISE(ABORT, 'document_blobs is append-only'); END;
CREATE TRIGGER document_blobs_append_only_delete BEFORE DELETE ON document_blobs
BEGIN SELECT RAISE(ABORT, 'document_blobs is append-only'); END;

-- A document as attached. Never updated nor deleted: a removal is a row in document_removals.
CREATE TABLE documents (
    seq             INTEGER PRIMARY KEY,    -- local order
    id              TEXT NOT NULL UNIQUE,   -- UUIDv7 made on the desk
    intake_id       TEXT NOT NULL,          -- the case
    kind            TEXT NOT NULL,          -- plkk_domain::DocumentKind
    media_type      TEXT NOT NULL,          -- image/jpeg, image/png, application/pdf
    sha256          TEXT NOT NULL REFERENCES document_blobs (sha256),
    bytes           INTEGER NOT NULL,       -- stored size
    original_bytes  INTEGER NOT NULL,       -- size of the file handed in, before downscaling
    file_name       TEXT,                   -- the file's name as chosen (none for dropped bytes)
    author          TEXT NOT NULL,
    written_at      TEXT NOT NULL           -- RFC 3339, the desk's clock
);
CREATE INDEX documents_by_intake ON documents (intake_id, seq);
CREATE TRIGGER documents_append_only_update BEFORE UPDATE ON documents
BEGIN SELECT RAISE(ABORT, 'documents is append-only'); END;
CREATE TRIGGER documents_append_only_delete BEFORE DELETE ON documents
BEGIN SELECT RAISE(ABORT, 'documents is append-only'); END;

-- A document taken off its case: who, when, why. The document stays.
CREATE TABLE document_removals (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,      -- UUIDv7
    document_id  TEXT NOT NULL UNIQUE REFERENCES documents (id),
    reason       TEXT NOT NULL,
    author       TEXT NOT NULL,
    written_at   TEXT NOT NULL
);
CREATE TRIGGER document_removals_append_only_update BEFORE UPDATE ON document_removals
BEGIN SELECT RAISE(ABORT, 'document_removals is append-only'); END;
CREATE TRIGGER document_removals_append_only_delete BEFORE DELETE ON document_removals
BEGIN SELECT RAISE(ABORT, 'document_removals is append-only'); END;

-- How far a document's bytes are at the branch (written by the sync only). No row: nothing sent.
CREATE TABLE document_uploads (
    document_id     TEXT PRIMARY KEY REFERENCES documents (id),
    received_bytes  INTEGER NOT NULL DEFAULT 0,  -- what the branch said it holds, last time it answered
    chunk_bytes     INTEGER NOT NULL,            -- the chunk size in use (smaller after a 413)
    confirmed_at    TEXT,                        -- the desk's clock when the branch confirmed the whole
    last_error      TEXT
);
