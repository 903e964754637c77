-- The outbox entry of a record, found by the record's id: the documents whose bytes still go to
-- the branch are found from the document (its entry confirmed), not by reading every confirmed
-- entry of the outbox at each sync (`documents_to_upload`).
CREATE INDEX outbox_by_record ON outbox (record_id);
