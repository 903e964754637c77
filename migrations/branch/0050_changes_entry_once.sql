-- A record change names the stored entry instead of carrying a copy of it (issue 15: the branch
-- kept each pushed record in `entries` and again in `changes.body`; the copy was a sixth of a
-- push's work). For a row with `entry_seq`, the feed builds the `record` change from the entry
-- and `origin_device`, and `body` is empty. Rows written before keep their body and are read as
-- before.
ALTER TABLE changes ADD COLUMN entry_seq INTEGER REFERENCES entries(seq);
