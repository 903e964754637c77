-- Each outbox entry's payload moves to a table of its own, keyed by the entry's seq. An entry's
-- row changes twice as it is delivered (marked sent, then its receipt stored) and SQLite rewrites
-- the whole row each time; with the payload (the record's JSON, most of the row) in it, that was
-- most of the pages the desk encrypted and wrote while it synced (mark_sent alone: a fifth of the
-- desk's CPU over a backlog, measured with plkk-bench --sync). The payload is written once, when
-- the entry is queued, and read when it is sent; resending a corrected intake replaces it.
CREATE TABLE outbox_payloads (
    seq      INTEGER PRIMARY KEY,           -- outbox.seq of the entry
    payload  TEXT NOT NULL                  -- the JSON sent to the branch
);
INSERT INTO outbox_payloads (seq, payload) SELECT seq, payload FROM outbox;
ALTER TABLE outbox DROP COLUMN payload;
