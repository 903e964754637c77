-- What the sync has learned of the line to the branch (one row), kept between runs so that a desk
-- on a bad line starts where it left off instead of from a batch the line cannot carry.
CREATE TABLE sync_link (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    batch_bytes       INTEGER NOT NULL,   -- JSON bytes the next push may carry (records and audit entries)
    bytes_per_second  REAL,               -- JSON bytes per second that recent pushes achieved (smoothed)
    branch_max_body   INTEGER,            -- the branch's largest accepted request body in bytes, as it said (GET /health)
    updated_at        TEXT NOT NULL       -- the desk's clock (RFC 3339)
);
