-- The kind CHECKs of `entries` and `changes` and the inbox triggers' status test compare with
-- `=` and `OR` instead of `IN (…)`: SQLite builds a temporary index for a constant list of more
-- than two values each time such a statement runs, and a push runs them once per entry (about a
-- tenth of the branch's time on the push path, measured with perf). Same rules, same results.
-- The CHECKs are rewritten in Rust after this SQL (`migrate.rs`, as 0030 and 0040 widened them).

DROP TRIGGER inbox_case_added;
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
           CASE WHEN NEW.status = 'not_eligible' OR NEW.status = 'concluded_work_accident'
                     OR NEW.status = 'concluded_not_work_accident'
                THEN unixepoch(NEW.status_changed_at) END,
           unixepoch(e.received_at) > unixepoch(json_extract(NEW.record, '$.accident_at')) + 172800,
           abs(coalesce(e.desk_clock_offset_seconds, 0)) > 300
             OR unixepoch(i.written_at) > unixepoch(e.received_at) + 300
             OR unixepoch(json_extract(NEW.record, '$.admitted_at')) > unixepoch(e.received_at) + 300
             OR coalesce((SELECT abs(s.clock_offset_seconds) FROM device_syncs s WHERE s.device_id = e.device_id), 0) > 300
    FROM intakes i JOIN entries e ON e.seq = i.entry_seq
    WHERE i.id = NEW.intake_id;
END;

DROP TRIGGER inbox_status_set;
CREATE TRIGGER inbox_status_set AFTER UPDATE OF status ON cases BEGIN
    UPDATE inbox SET
        status = NEW.status,
        decided_at = CASE
            WHEN NEW.status = 'not_eligible' OR NEW.status = 'concluded_work_accident'
                 OR NEW.status = 'concluded_not_work_accident'
            THEN coalesce(decided_at, unixepoch(NEW.status_changed_at))
        END
    WHERE intake_id = NEW.intake_id;
END;
