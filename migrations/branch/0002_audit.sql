-- Desks' audit logs: every entry of each device's hash chain, kept once by (device, seq), the
-- breaks the branch found in them, and how far each device's chain is held without a gap.

-- An audit entry as the desk sent it (the same fields the desk hashed). Never updated.
CREATE TABLE audit_entries (
    device_id    TEXT NOT NULL REFERENCES devices(id),
    seq          INTEGER NOT NULL CHECK (seq >= 1),  -- 1, 2, 3 ... on the desk
    at           TEXT NOT NULL,             -- the desk's clock, RFC 3339 with its offset (as hashed)
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject      TEXT,
    detail       TEXT NOT NULL,             -- JSON text, as hashed
    prev_hash    TEXT NOT NULL,             -- SHA-256 hex of the entry before (64 zeros for the first)
    hash         TEXT NOT NULL,             -- SHA-256 hex the desk gave this entry
    received_at  TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;

-- A break found in a device's chain when entries arrived. Kept even if later entries mend the view
-- (an entry that arrives after a gap was missing when its desk sent it). Never updated.
CREATE TABLE audit_breaks (
    device_id    TEXT NOT NULL REFERENCES devices(id),
    seq          INTEGER NOT NULL,          -- the bad entry's seq
    kind         TEXT NOT NULL CHECK (kind IN ('altered', 'missing', 'broken_link', 'changed_after_sent')),
    message      TEXT NOT NULL,
    found_at     TEXT NOT NULL,
    UNIQUE (device_id, seq, kind)           -- found again (a resend): recorded once
);

-- Per device: the highest seq such that 1..=seq are all held (what a push answers as acked_seq).
-- A projection of audit_entries, advanced as entries arrive.
CREATE TABLE audit_acked (
    device_id    TEXT PRIMARY KEY REFERENCES devices(id),
    acked_seq    INTEGER NOT NULL
);

-- The audit trail is append-only like the clinical tables.
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_breaks_no_update BEFORE UPDATE ON audit_breaks BEGIN SELECT RAISE(ABORT, 'audit breaks are append-only'); END;
CREATE TRIGGER audit_breaks_no_delete BEFORE DELETE ON audit_breaks BEGIN SELECT RAISE(ABORT, 'audit breaks are append-only'); END;
