//! The derived tables: `cases` (current values of each intake, open or closed, with its NIK and
//! KPJ indexed for prefix search), `case_search` (the full-text index of names and employers,
//! in the normal form of `plkk_domain::normalise`) and `employers` (those offered while typing,
//! `suggest.rs`, keyed by the same normal form).
//! They are rewritten from the append-only records inside the same transaction that writes a
//! record, so they never disagree with them. `current_case` is the one read of a case's current
//! values (and whether it is closed) for every module that acts on a case.

use plkk_domain::{normalise, Intake, Issue, PlaceType};
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
    remember_employer(conn, intake_seq, intake)?;
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

/// The current state of one case, from the `cases` projection.
pub(crate) struct CurrentCase {
    pub(crate) seq: i64,
    pub(crate) intake: Intake,
    pub(crate) warnings: Vec<Issue>,
    pub(crate) closed: bool,
    pub(crate) outcome: Option<String>,
}

pub(crate) fn current_case(
    conn: &Connection,
    intake_id: Uuid,
) -> Result<Option<CurrentCase>, StoreError> {
    let row: Option<(i64, String, String, bool, Option<String>)> = conn
        .query_row(
            "SELECT intake_seq, record, warnings, closed, outcome FROM cases WHERE intake_id = ?1",
            [intake_id.to_string()],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )
        .optional()?;
    row.map(|(seq, record, warnings, closed, outcome)| {
        Ok(CurrentCase {
            seq,
            intake: serde_json::from_str(&record)?,
            warnings: serde_json::from_str(&warnings)?,
            closed,
            outcome,
        })
    })
    .transpose()
}

/// How a typed employer name is matched: its words in the search normal form
/// (`plkk_domain::normalise`: no case, accents or apostrophes; other punctuation splits words),
/// so `jaya` finds "PT. Maju-Jaya" as the case search does.
pub(crate) fn name_key(name: &str) -> String {
    normalise::index_text(name)
}

/// Adds one case's (or one older row's) employer to the offers: the latest case's values win,
/// an NPP or workplace location given earlier is kept, uses add up.
const UPSERT_EMPLOYER: &str = "INSERT INTO employers
         (name_key, name, npp, segment, location, contact_name, contact_phone, uses, last_seq)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
     ON CONFLICT (name_key) DO UPDATE SET
         name = excluded.name,
         npp = coalesce(excluded.npp, employers.npp),
         segment = excluded.segment,
         location = coalesce(excluded.location, employers.location),
         contact_name = excluded.contact_name,
         contact_phone = excluded.contact_phone,
         uses = employers.uses + excluded.uses,
         last_seq = max(employers.last_seq, excluded.last_seq)";

/// Keeps the employer of a case written just now (admission, correction, pulled record) among
/// those offered. Called inside the transaction that writes the case projection.
pub(crate) fn remember_employer(
    conn: &Connection,
    intake_seq: i64,
    intake: &Intake,
) -> Result<(), StoreError> {
    let Some(name) = intake.employer_name.as_deref() else {
        return Ok(());
    };
    let location =
        (intake.place_type == PlaceType::Workplace).then_some(intake.accident_location.as_str());
    conn.prepare_cached(UPSERT_EMPLOYER)?.execute(params![
        name_key(name),
        name.trim(),
        intake.employer_npp,
        intake.segment.to_string(),
        location,
        intake.contact_name,
        intake.contact_phone,
        1,
        intake_seq,
    ])?;
    Ok(())
}

/// Keys the employers already offered anew after the key's normal form changed (migration
/// `0015_employers_normal_form`): rows whose names now share a key ("PT Maju Jaya" and
/// "PT. Maju-Jaya") become one, the latest one's values first, their uses added up.
pub(crate) fn rekey_employers(conn: &Connection) -> Result<(), StoreError> {
    type Row = (
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
        i64,
    );
    let rows: Vec<Row> = conn
        .prepare(
            "SELECT name, npp, segment, location, contact_name, contact_phone, uses, last_seq
             FROM employers ORDER BY last_seq",
        )?
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    conn.execute("DELETE FROM employers", [])?;
    let mut upsert = conn.prepare(UPSERT_EMPLOYER)?;
    for (name, npp, segment, location, contact_name, contact_phone, uses, last_seq) in rows {
        upsert.execute(params![
            name_key(&name),
            name,
            npp,
            segment,
            location,
            contact_name,
            contact_phone,
            uses,
            last_seq,
        ])?;
    }
    Ok(())
}
