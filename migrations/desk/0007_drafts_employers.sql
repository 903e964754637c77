-- Half-typed forms kept per person across restarts (issue 9), and the employers this desk has seen,
-- offered when a receptionist starts typing an employer's name.

-- One draft per person and form: the new-admission form ("intake") or a case's note form
-- ("note:<case id>"). Not a record: replaced while typing, deleted when the form is saved. The
-- database is encrypted, so drafts are too; only their author reads them.
CREATE TABLE drafts (
    username    TEXT NOT NULL,             -- whose draft (accounts.username)
    form        TEXT NOT NULL,             -- "intake" or "note:<case id>"
    body        TEXT NOT NULL,             -- JSON object of the form's field values as typed
    updated_at  TEXT NOT NULL,             -- RFC 3339, the desk's clock
    PRIMARY KEY (username, form)
);

-- Projection: one row per employer name (compared without case and spaces), with what the
-- latest case naming it said. Rewritten with the case projection; rebuilt from `cases` here.
CREATE TABLE employers (
    name_key      TEXT PRIMARY KEY,        -- trimmed, ASCII lower case: how a typed name is matched
    name          TEXT NOT NULL,           -- as last written on a case
    npp           TEXT,                    -- the NPP / NPW / project number last given with it
    segment       TEXT NOT NULL,           -- PU, BPU, JAKON or PMI of the latest case
    location      TEXT,                    -- accident location of its latest workplace accident
    contact_name  TEXT,                    -- the contact (escort) of its latest case: often its HR or K3 officer
    contact_phone TEXT,
    uses          INTEGER NOT NULL,        -- times a case naming it was written (admitted, corrected): most used first
    last_seq      INTEGER NOT NULL         -- intakes.seq of the latest case naming it
);

INSERT INTO employers (name_key, name, npp, segment, location, contact_name, contact_phone, uses, last_seq)
SELECT lower(trim(json_extract(record, '$.employer_name'))),
       trim(json_extract(record, '$.employer_name')),
       json_extract(record, '$.employer_npp'),
       json_extract(record, '$.segment'),
       CASE WHEN json_extract(record, '$.place_type') = 'workplace'
            THEN json_extract(record, '$.accident_location') END,
       json_extract(record, '$.contact_name'),
       json_extract(record, '$.contact_phone'),
       1,
       intake_seq
FROM cases
WHERE json_extract(record, '$.employer_name') IS NOT NULL
ORDER BY intake_seq
ON CONFLICT (name_key) DO UPDATE SET
    name = excluded.name,
    npp = coalesce(excluded.npp, employers.npp),
    segment = excluded.segment,
    location = coalesce(excluded.location, employers.location),
    contact_name = excluded.contact_name,
    contact_phone = excluded.contact_phone,
    uses = employers.uses + 1,
    last_seq = excluded.last_seq;
