-- The branch console (issue 12): officer accounts and their sessions, the officers' audit log,
-- what each desk said about itself at its last sync, and the inbox: a projection of `cases` with
-- one column per filter the console offers, kept in step by triggers, with a name index.

-- A branch officer who signs in to the console. Not a device: officers never hold device tokens.
CREATE TABLE officers (
    username     TEXT PRIMARY KEY,          -- 2-32 of a-z, 0-9, '.', '_', '-'
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('viewer', 'verifier', 'admin')),
    password_hash TEXT NOT NULL,            -- argon2id PHC string (salt and cost inside)
    created_at   TEXT NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0, -- failed sign-ins in a row (reset by a success)
    last_failure_at TEXT                    -- RFC 3339 UTC; the lockout delay runs from here
);

-- A signed-in console session. Only the hash of the cookie's value is kept.
CREATE TABLE officer_sessions (
    token_hash   TEXT PRIMARY KEY,          -- SHA-256 hex of the session cookie's value
    username     TEXT NOT NULL REFERENCES officers(username) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,             -- required in every form that changes something
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL              -- idle expiry runs from here
);
CREATE INDEX officer_sessions_by_username ON officer_sessions (username);

-- Every officer act (sign-in, failed sign-in, status set, code issued, device revoked, report
-- downloaded, ...), hash-chained like the desks' audit logs (plkk_domain::AuditEntry). Never
-- updated or deleted.
CREATE TABLE officer_audit (
    seq          INTEGER PRIMARY KEY CHECK (seq >= 1), -- 1, 2, 3 ... without gaps
    at           TEXT NOT NULL,             -- RFC 3339 UTC, as hashed
    actor        TEXT NOT NULL,             -- the officer's username, or "(cli)" for the command line
    action       TEXT NOT NULL,
    subject      TEXT,                      -- a case id, a clinic code, a device id, a username
    detail       TEXT NOT NULL,             -- JSON text, as hashed
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
-- A case page lists the statuses set on it (subject = the case id).
CREATE INDEX officer_audit_by_subject ON officer_audit (subject, action);
CREATE TRIGGER officer_audit_no_update BEFORE UPDATE ON officer_audit BEGIN SELECT RAISE(ABORT, 'the officers'' audit log is append-only'); END;
CREATE TRIGGER officer_audit_no_delete BEFORE DELETE ON officer_audit BEGIN SELECT RAISE(ABORT, 'the officers'' audit log is append-only'); END;

-- What a desk said about itself when it last pulled (every sync cycle pulls).
CREATE TABLE device_syncs (
    device_id    TEXT PRIMARY KEY REFERENCES devices(id),
    last_sync_at TEXT NOT NULL,             -- RFC 3339 UTC, the branch's clock
    waiting      INTEGER,                   -- outbox entries the desk still had unconfirmed (Plkk-Outbox-Waiting)
    clock_offset_seconds INTEGER,           -- the desk's clock minus the branch's (its Date header); positive: desk fast
    app_version  TEXT                       -- from its User-Agent (plkk-desk/VERSION)
);

-- The inbox: one row per case, the columns the console filters and shows. A projection of
-- `cases`, `intakes`, `entries` and `conflicts`, written only by the triggers below.
CREATE TABLE inbox (
    seq          INTEGER PRIMARY KEY,       -- the intake's entry seq: branch order (newest = highest)
    intake_id    TEXT NOT NULL UNIQUE REFERENCES cases(intake_id),
    clinic_id    INTEGER NOT NULL REFERENCES clinics(id),
    device_id    TEXT NOT NULL,             -- the desk that sent the intake
    received_at  INTEGER NOT NULL,          -- unix seconds, the branch's clock
    accident_at  INTEGER NOT NULL,          -- unix seconds
    accident_month TEXT NOT NULL,           -- YYYY-MM in the clinic's own offset (reports)
    full_name    TEXT NOT NULL,
    nik          TEXT,
    kpj          TEXT,
    segment      TEXT NOT NULL,
    status       TEXT NOT NULL,
    decided_at   INTEGER,                   -- unix seconds a deciding status (not_eligible, concluded_*) was set; NULL while open
    reported_late INTEGER NOT NULL,         -- 1: received more than 2x24 h after the accident
    has_conflict INTEGER NOT NULL DEFAULT 0,
    clock_flagged INTEGER NOT NULL DEFAULT 0 -- 1: the desk's clock was more than 5 minutes off (see inbox.rs)
);
CREATE INDEX inbox_by_clinic ON inbox (clinic_id, seq);
CREATE INDEX inbox_by_status ON inbox (status, seq);
CREATE INDEX inbox_by_segment ON inbox (segment, seq);
CREATE INDEX inbox_by_nik ON inbox (nik) WHERE nik IS NOT NULL;
CREATE INDEX inbox_by_kpj ON inbox (kpj) WHERE kpj IS NOT NULL;
CREATE INDEX inbox_late ON inbox (seq) WHERE reported_late = 1;
CREATE INDEX inbox_open ON inbox (seq) WHERE decided_at IS NULL;
CREATE INDEX inbox_conflicted ON inbox (seq) WHERE has_conflict = 1;
CREATE INDEX inbox_clock_flagged ON inbox (seq) WHERE clock_flagged = 1;
-- Reports group by accident month and clinic.
CREATE INDEX inbox_by_month ON inbox (accident_month, clinic_id);

-- Words of the patient's name, for the search box (prefix queries).
CREATE VIRTUAL TABLE inbox_names USING fts5(
    full_name, content = 'inbox', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
CREATE TRIGGER inbox_names_insert AFTER INSERT ON inbox BEGIN
    INSERT INTO inbox_names (rowid, full_name) VALUES (NEW.seq, NEW.full_name);
END;
CREATE TRIGGER inbox_names_update AFTER UPDATE OF full_name ON inbox BEGIN
    INSERT INTO inbox_names (inbox_names, rowid, full_name) VALUES ('delete', OLD.seq, OLD.full_name);
    INSERT INTO inbox_names (rowid, full_name) VALUES (NEW.seq, NEW.full_name);
END;

-- A new case: its row, from the intake, the entry that carried it and the desk's last sync.
CREATE TRIGGER inbox_case_added AFTER INSERT ON cases BEGIN
    INSERT INTO inbox (seq, intake_id, clinic_id, device_id, received_at, accident_at,
                       accident_month, full_name, nik, kpj, segment, status, decided_at,
                       reported_late, clock_flagged)
    SELECT i.entry_seq, NEW.intake_id, NEW.clinic_id, e.device_id,
           unixepoch(e.received_at),
           unixepoch(json_extract(NEW.record, '$.accident_at')),
           substr(json_extract(NEW.record, '$.accident_at'), 1, 7),
           json_extract(NEW.record, '$.full_name'),
           json_extract(NEW.record, '$.nik'),
           json_extract(NEW.record, '$.kpj'),
           json_extract(NEW.record, '$.segment'),
           NEW.status,
           CASE WHEN NEW.status IN ('not_eligible', 'concluded_work_accident', 'concluded_not_work_accident')
                THEN unixepoch(NEW.status_changed_at) END,
           unixepoch(e.received_at) > unixepoch(json_extract(NEW.record, '$.accident_at')) + 172800,
           abs(coalesce(e.desk_clock_offset_seconds, 0)) > 300
             OR unixepoch(i.written_at) > unixepoch(e.received_at) + 300
             OR unixepoch(json_extract(NEW.record, '$.admitted_at')) > unixepoch(e.received_at) + 300
             OR coalesce((SELECT abs(s.clock_offset_seconds) FROM device_syncs s WHERE s.device_id = e.device_id), 0) > 300
    FROM intakes i JOIN entries e ON e.seq = i.entry_seq
    WHERE i.id = NEW.intake_id;
END;

-- A correction changed the case's current values.
CREATE TRIGGER inbox_case_corrected AFTER UPDATE OF record ON cases BEGIN
    UPDATE inbox SET
        full_name = json_extract(NEW.record, '$.full_name'),
        nik = json_extract(NEW.record, '$.nik'),
        kpj = json_extract(NEW.record, '$.kpj'),
        segment = json_extract(NEW.record, '$.segment'),
        accident_at = unixepoch(json_extract(NEW.record, '$.accident_at')),
        accident_month = substr(json_extract(NEW.record, '$.accident_at'), 1, 7),
        reported_late = received_at > unixepoch(json_extract(NEW.record, '$.accident_at')) + 172800
    WHERE intake_id = NEW.intake_id;
END;

-- An officer set the status. The 30-day clock stops at the first deciding status and runs again
-- if the case is set back to an open one.
CREATE TRIGGER inbox_status_set AFTER UPDATE OF status ON cases BEGIN
    UPDATE inbox SET
        status = NEW.status,
        decided_at = CASE
            WHEN NEW.status IN ('not_eligible', 'concluded_work_accident', 'concluded_not_work_accident')
            THEN coalesce(decided_at, unixepoch(NEW.status_changed_at))
        END
    WHERE intake_id = NEW.intake_id;
END;

CREATE TRIGGER inbox_conflict_added AFTER INSERT ON conflicts BEGIN
    UPDATE inbox SET has_conflict = 1 WHERE intake_id = NEW.intake_id;
END;

-- Cases the branch already holds.
INSERT INTO inbox (seq, intake_id, clinic_id, device_id, received_at, accident_at, accident_month,
                   full_name, nik, kpj, segment, status, decided_at, reported_late, has_conflict,
                   clock_flagged)
SELECT i.entry_seq, c.intake_id, c.clinic_id, e.device_id,
       unixepoch(e.received_at),
       unixepoch(json_extract(c.record, '$.accident_at')),
       substr(json_extract(c.record, '$.accident_at'), 1, 7),
       json_extract(c.record, '$.full_name'),
       json_extract(c.record, '$.nik'),
       json_extract(c.record, '$.kpj'),
       json_extract(c.record, '$.segment'),
       c.status,
       CASE WHEN c.status IN ('not_eligible', 'concluded_work_accident', 'concluded_not_work_accident')
            THEN unixepoch(c.status_changed_at) END,
       unixepoch(e.received_at) > unixepoch(json_extract(c.record, '$.accident_at')) + 172800,
       EXISTS (SELECT 1 FROM conflicts k WHERE k.intake_id = c.intake_id),
       abs(coalesce(e.desk_clock_offset_seconds, 0)) > 300
         OR unixepoch(i.written_at) > unixepoch(e.received_at) + 300
         OR unixepoch(json_extract(c.record, '$.admitted_at')) > unixepoch(e.received_at) + 300
FROM cases c JOIN intakes i ON i.id = c.intake_id JOIN entries e ON e.seq = i.entry_seq;
