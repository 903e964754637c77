-- plkk_unixepoch declared STABLE, as its body is (a text to timestamptz cast reads the session's
-- TimeZone for a time without an offset): PostgreSQL inlines a SQL function only when the body
-- is no more volatile than the declaration, so the IMMUTABLE one was run as a function call,
-- its body parsed and planned again, seven times for each new case in the inbox trigger (perf:
-- base_yyparse and plan building among the server's top costs on a push). Same body, same
-- values; nothing indexes on it.
CREATE OR REPLACE FUNCTION plkk_unixepoch(t TEXT) RETURNS BIGINT LANGUAGE sql STABLE AS $$
    SELECT floor(extract(epoch FROM t::timestamptz))::bigint
$$;
