-- Looking after desks and the branch itself: when each device was last heard from (for
-- `plkk-branch status`: devices silent for more than a day), which device took over from one
-- restored from a backup, and the backups `plkk-branch backup` made.

-- The branch's clock at the device's last authenticated request (RFC 3339 UTC; written at most
-- once a minute per device). NULL: not heard from since this column was added.
ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
-- Set when a desk restored from a backup asked for a new identity (POST /restored): the device
-- that took over. The old device is revoked at the same moment; its records stay its own.
ALTER TABLE devices ADD COLUMN replaced_by TEXT REFERENCES devices(id);

-- A backup of the branch database made by `plkk-branch backup`. Never updated.
CREATE TABLE backups (
    id           INTEGER PRIMARY KEY,
    made_at      TEXT NOT NULL,             -- RFC 3339 UTC
    file         TEXT NOT NULL,             -- where it was written
    bytes        INTEGER NOT NULL
);
