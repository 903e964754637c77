-- A record change names the stored entry instead of carrying a copy of it (as SQLite's
-- 0050_changes_entry_once): for a row with `entry_seq`, the feed builds the `record` change from
-- the entry and `origin_device`, and `body` is empty.
ALTER TABLE changes ADD COLUMN entry_seq BIGINT REFERENCES entries(seq);
