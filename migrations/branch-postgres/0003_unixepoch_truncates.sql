-- plkk_unixepoch as SQLite's unixepoch(): the whole seconds, fractions dropped. 0001 cast the
-- epoch to BIGINT, which rounds: a case received at hh:mm:ss.5 or later was stored one second
-- later than on SQLite, and its days left (rounded up) read 31 instead of 30 for half of each
-- second. Rows the inbox stored before this keep their second; every one written after is
-- SQLite's.
CREATE OR REPLACE FUNCTION plkk_unixepoch(t TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
    SELECT floor(extract(epoch FROM t::timestamptz))::bigint
$$;
