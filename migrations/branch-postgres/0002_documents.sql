-- Case documents (issue 13) on PostgreSQL: the same three tables as migrations/branch/
-- 0040_documents.sql, and the two document kinds added to `entries.kind` (SQLite rewrites the
-- CHECK text in Rust; PostgreSQL replaces the named constraint). The bytes are not rows here
-- either: they are files under `documents/` in the data directory, which every server of one
-- database must share (ARCHITECTURE.md, "Documents at the branch").

ALTER TABLE entries DROP CONSTRAINT entries_kind_check;
ALTER TABLE entries ADD CONSTRAINT entries_kind_check CHECK (kind IN (
    'intake', 'intake_correction', 'note', 'bpu_registration', 'document', 'document_removal'));

CREATE TABLE documents (
    id              TEXT PRIMARY KEY,       -- the desk's UUIDv7
    intake_id       TEXT NOT NULL REFERENCES intakes(id),
    entry_seq       BIGINT NOT NULL REFERENCES entries(seq),
    kind            TEXT NOT NULL,          -- plkk_domain::DocumentKind
    media_type      TEXT NOT NULL,          -- image/jpeg, image/png, application/pdf
    sha256          TEXT NOT NULL,          -- of the content, 64 lowercase hex digits
    bytes           BIGINT NOT NULL,        -- the content's size
    original_bytes  BIGINT NOT NULL,        -- the file's size at the desk before downscaling
    author          TEXT NOT NULL,
    written_at      TEXT NOT NULL,          -- the desk's clock
    confirmed_at    TEXT                    -- the branch's clock when the whole content was here and checked
);
CREATE INDEX documents_by_intake ON documents (intake_id, entry_seq);
CREATE INDEX documents_by_sha256 ON documents (sha256);

CREATE TABLE document_removals (
    id           TEXT PRIMARY KEY,
    document_id  TEXT NOT NULL UNIQUE REFERENCES documents(id),
    entry_seq    BIGINT NOT NULL REFERENCES entries(seq),
    reason       TEXT NOT NULL,
    author       TEXT NOT NULL,
    written_at   TEXT NOT NULL
);

-- A content the branch holds as a whole, checked: its file exists under documents/. One row per
-- SHA-256 however many documents (or desks) name it.
CREATE TABLE document_contents (
    sha256     TEXT PRIMARY KEY,
    bytes      BIGINT NOT NULL,
    stored_at  TEXT NOT NULL
);
