-- The desk's clock with every entry it pushed. A desk judges "now" by its own clock (a PC's clock
-- may run minutes or hours fast); the branch judges the desk's times against that same clock, not
-- its own, and keeps what it measured so an officer can see a desk whose clock was off.

-- The desk's clock when it sent the push that carried the entry (RFC 3339 with the desk's
-- offset); NULL for entries from desks that did not send it.
ALTER TABLE entries ADD COLUMN desk_time TEXT;
-- desk_time minus the branch's clock when the push arrived, in seconds (positive: the desk's clock
-- ran fast; it also includes the seconds the request took to arrive).
ALTER TABLE entries ADD COLUMN desk_clock_offset_seconds INTEGER;
