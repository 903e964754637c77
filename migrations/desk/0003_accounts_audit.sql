-- Staff accounts, the hash-chained audit log and its delivery to the branch, the idle-lock setting.
-- Passwords are not here: an account's password unwraps the database key in keyring.json (see
-- crates/vault); only the optional quick-unlock PIN's argon2id hash is kept.

CREATE TABLE accounts (
    username      TEXT PRIMARY KEY,       -- 2-32 of a-z 0-9 . _ -
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('receptionist', 'nurse', 'admin')),
    pin_hash      TEXT,                   -- argon2id PHC string of the 6-digit PIN, if one is set
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    removed_at    TEXT,                   -- accounts are deactivated, never deleted: records name them
    removed_by    TEXT
);

-- Who did what on this desk. Each entry holds the hash of the one before (plkk_domain::AuditEntry).
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,       -- 1, 2, 3 ... without gaps
    at         TEXT NOT NULL,             -- the desk's clock, RFC 3339
    actor      TEXT NOT NULL,             -- username (or the name tried, for a failed sign-in)
    action     TEXT NOT NULL,             -- sign_in, open_case, admit, export, ...
    subject    TEXT,                      -- a case id, a username, a date range
    detail     TEXT NOT NULL,             -- JSON text, hashed as written
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- How far the branch holds this desk's audit chain (its acked_seq).
CREATE TABLE audit_sync (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    acked_seq  INTEGER NOT NULL
);
