-- Case documents (issue 13): what each document is (pushed as a `document` entry), its removals
-- (`document_removal` entries), and the contents the branch holds. The bytes are files in the
-- data directory, named by their SHA-256 (`documents/ab/abcdef...`), not rows: see
-- ARCHITECTURE.md ("Documents at the branch"). The kind CHECK of `entries` is widened in Rust
-- (migrate.rs, as 0030_bpu did).

CREATE TABLE documents (
    id              TEXT PRIMARY KEY,       -- the desk's UUIDv7
    intake_id       TEXT NOT NULL REFERENCES intakes(id),
    entry_seq       INTEGER NOT NULL REFERENCES entries(seq),
    kind            TEXT NOT NULL,          -- plkk_domain::DocumentKind
    media_type      TEXT NOT NULL,          -- image/jpeg, image/png, application/pdf
    sha256          TEXT NOT NULL,          -- of the content, 64 lowercase hex digits
    bytes           INTEGER NOT NULL,       -- the content's size
    original_bytes  INTEGER NOT NULL,       -- the file's size at the desk before downscaling
    author          TEXT NOT NULL,
    written_at      TEXT NOT NULL,          -- the desk's clock
    confirmed_at    TEXT                    -- the branch's clock when the whole content was here and checked
);
CREATE INDEX documents_by_intake ON documents (intake_id, entry_seq);
CREATE INDEX documents_by_sha256 ON documents (sha256);

CREATE TABLE document_removals (
    id           TEXT PRIMARY KEY,
    document_id  TEXT NOT NULL UNIQUE REFERENCES documents(id),
    entry_seq    INTEGER NOT NULL REFERENCES entries(seq),
    reason       TEXT NOT NULL,
    author       TEXT NOT NULL,
    written_at   TEXT NOT NULL
);

-- A content the branch holds as a whole, checked: its file exists under documents/. One row per
-- SHA-256 however many documents (or desks) name it.
CREATE TABLE document_contents (
    sha256     TEXT PRIMARY KEY,
    bytes      INTEGER NOT NULL,
    stored_at  TEXT NOT NULL
);
