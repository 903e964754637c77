//! The sync's reads stay proportional to what it sends, not to the desk's history: each query on
//! its path walks an index in the order it returns rows and stops at its limit. SQLite chooses
//! plans by rule here (the desk keeps no statistics), so the plan on an empty desk is the plan on
//! a desk with a million confirmed entries; these tests read it with `EXPLAIN QUERY PLAN`.

use rusqlite::Connection;

/// The plan's lines, e.g. `SEARCH entry USING INDEX outbox_unconfirmed (seq>?)`.
fn plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut statement = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap_or_else(|error| panic!("plan of {sql}: {error}"));
    let count = statement.parameter_count();
    let rows = statement
        .query_map(rusqlite::params_from_iter(vec![1; count]), |row| {
            row.get::<_, String>(3)
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// No sort of every matching row (`TEMP B-TREE`): rows come in the order of the walk, which
/// stops at the limit.
fn assert_no_sort(what: &str, sql: &str) -> Vec<String> {
    let conn = crate::Store::open_in_memory().unwrap().conn;
    let lines = plan(&conn, sql);
    assert!(
        !lines.iter().any(|line| line.contains("TEMP B-TREE")),
        "{what} sorts every row it matches: {lines:?}"
    );
    lines
}

/// No sort, and no walk of a whole table (`SCAN`): an index takes the walk to its first row.
fn assert_walks_an_index(what: &str, sql: &str) -> Vec<String> {
    let lines = assert_no_sort(what, sql);
    assert!(
        !lines.iter().any(|line| line.starts_with("SCAN")),
        "{what} walks a whole table: {lines:?}"
    );
    lines
}

#[test]
fn the_push_reads_its_candidates_in_send_order() {
    let lines = assert_walks_an_index("the push's candidates", &crate::outbox::CANDIDATES);
    assert!(
        lines[0].contains("outbox_unconfirmed"),
        "walks the undelivered entries only: {lines:?}"
    );
}

#[test]
fn the_audit_entries_to_send_are_read_from_the_last_acknowledged() {
    assert_walks_an_index("the audit entries to send", crate::audit::UNSENT);
}

#[test]
fn the_documents_to_upload_are_read_in_attach_order() {
    // It walks the documents from the first (one index lookup for each uploaded one, a few per
    // case), not the outbox's confirmed entries (several per case, all of them).
    let lines = assert_no_sort("the documents to upload", crate::documents::TO_UPLOAD);
    assert_eq!(
        lines[0], "SCAN d",
        "walks the documents in attach order: {lines:?}"
    );
    assert!(
        lines.iter().any(|line| line.contains("outbox_by_record")),
        "an entry is found by its record: {lines:?}"
    );
}
