//! The derived tables: `cases` (current values of each intake, open or closed, with its NIK and
//! KPJ indexed for prefix search), `case_search` (the full-text index of names and employers,
//! in the normal form of `plkk_domain::normalise`) and `employers` (those offered while typing,
//! `suggest.rs`, keyed by the same normal form).
//! They are rewritten from the append-only records inside the same transaction that writes a
//! record, so they never disagree with them.

use plkk_domain::{normalise, Intake, Issue};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use crate::StoreError;

/// Writes the current values of the case `intake_seq` and re-indexes it for search.
pub(crate) fn write_case(
    conn: &Connection,
    intake_seq: i64,
    intake: &Intake,
    warnings: &[Issue],
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO cases
             (intake_seq, intake_id, record, warnings, nik, kpj, admitted_at, admitted_at_utc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (intake_seq) DO UPDATE SET
             record = excluded.record, warnings = excluded.warnings, nik = excluded.nik,
             kpj = excluded.kpj, admitted_at = excluded.admitted_at,
             admitted_at_utc = excluded.admitted_at_utc",
    )?
    .execute(params![
        intake_seq,
        intake.id.to_string(),
        serde_json::to_string(intake)?,
        serde_json::to_string(warnings)?,
        intake.nik,
        intake.kpj,
        intake.admitted_at.to_rfc3339(),
        intake
            .admitted_at
            .naive_utc()
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string(),
    ])?;
    conn.prepare_cached("DELETE FROM case_search WHERE rowid = ?1")?
        .execute([intake_seq])?;
    index_names(
        conn,
        intake_seq,
        &intake.full_name,
        intake.employer_name.as_deref(),
    )?;
    crate::suggest::remember_employer(conn, intake_seq, intake)?;
    Ok(())
}

/// Adds the case `intake_seq` to the full-text index.
fn index_names(
    conn: &Connection,
    intake_seq: i64,
    full_name: &str,
    employer_name: Option<&str>,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO case_search (rowid, full_name, employer_name) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![
        intake_seq,
        normalise::index_text(full_name),
        employer_name.map(normalise::index_text),
    ])?;
    Ok(())
}

/// Rebuilds the whole full-text index from `cases` (after the normal form changed).
pub(crate) fn reindex_search(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM case_search", [])?;
    let mut statement = conn.prepare(
        "SELECT intake_seq, json_extract(record, '$.full_name'),
                json_extract(record, '$.employer_name') FROM cases",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, Option<String>>(2)?,
        ))
    })?;
    for row in rows {
        let (seq, full_name, employer_name) = row?;
        index_names(conn, seq, &full_name, employer_name.as_deref())?;
    }
    Ok(())
}

/// Recomputes whether a case is closed: it is when a note that no later note corrects carries an
/// outcome (the newest such note wins).
pub(crate) fn refresh_outcome(conn: &Connection, intake_id: Uuid) -> Result<(), StoreError> {
    let outcome: Option<String> = conn
        .query_row(
            "SELECT json_extract(note.record, '$.outcome') FROM notes AS note
             WHERE note.intake_id = ?1
               AND json_extract(note.record, '$.outcome') IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM notes AS later WHERE later.corrects = note.id)
             ORDER BY note.seq DESC LIMIT 1",
            [intake_id.to_string()],
            |row| row.get(0),
        )
        .optional()?;
    conn.prepare_cached("UPDATE cases SET outcome = ?2, closed = ?3 WHERE intake_id = ?1")?
        .execute(params![intake_id.to_string(), outcome, outcome.is_some()])?;
    Ok(())
}
