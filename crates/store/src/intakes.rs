//! Admitting, correcting, listing, searching and showing cases (intakes with their history and notes).

use chrono::{DateTime, FixedOffset};
use plkk_domain::{Action, AuditAction, FieldChange, Intake, Issue, JsonObject, Outcome};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::json;
use uuid::Uuid;

use crate::access::{require, Actor};
use crate::audit;
use crate::error::{intake_not_found, parse_id, refused};
use crate::outbox;
use crate::projection::current_case;
use crate::rows::immediate;
use crate::rows::parse_time;
use crate::search::{self, SearchPlan};
use crate::views::{CaseDetail, CaseListItem, Revision, Saved};
use crate::{notes, payloads, projection, Store, StoreError};

/// Validates and saves a new intake with its outbox entry, in one transaction.
pub fn admit_intake(
    store: &mut Store,
    actor: &Actor,
    input: &JsonObject,
    now: DateTime<FixedOffset>,
) -> Result<Saved, StoreError> {
    require(actor, Action::Admit)?;
    let author = actor.username.as_str();
    let mut checked = plkk_domain::validate_intake(input, Uuid::now_v7(), now)?;
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    if current_case(&tx, checked.record.id)?.is_some() {
        return Err(refused(
            "id",
            "already_exists",
            format!("id: an intake with id {} already exists", checked.record.id),
        ));
    }
    checked
        .warnings
        .extend(nik_seen_before(&tx, &checked.record)?);
    let intake = checked.record;
    tx.prepare_cached(
        "INSERT INTO intakes (id, record, warnings, author, written_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(
        params![
            intake.id.to_string(),
            serde_json::to_string(&intake)?,
            serde_json::to_string(&checked.warnings)?,
            author,
            now.to_rfc3339(),
        ],
    )?;
    let intake_seq = tx.last_insert_rowid();
    projection::write_case(&tx, intake_seq, &intake, &checked.warnings)?;
    let payload = payloads::intake(&intake, author, now);
    outbox::enqueue(&tx, intake.id, intake.id, &payload, now)?;
    let subject = intake.id.to_string();
    audit::append(
        &tx,
        now,
        author,
        AuditAction::Admit,
        Some(&subject),
        json!({}),
    )?;
    tx.commit()?;
    Ok(Saved {
        id: intake.id,
        warnings: checked.warnings,
    })
}

/// Records a correction of some fields of an intake as a new revision; the admission and earlier
/// revisions stay as they were. Returns the correction's id.
pub fn correct_intake(
    store: &mut Store,
    actor: &Actor,
    intake_id: &str,
    changes: &JsonObject,
    reason: &str,
    now: DateTime<FixedOffset>,
) -> Result<Saved, StoreError> {
    require(actor, Action::CorrectIntake)?;
    let author = actor.username.as_str();
    let intake_id = parse_id("id", intake_id)?;
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current = current_case(&tx, intake_id)?.ok_or_else(|| intake_not_found("id", intake_id))?;
    let mut checked = plkk_domain::correct_intake(&current.intake, changes, reason, now)?;
    if checked.record.1.iter().any(|change| change.field == "nik") {
        let warnings = nik_seen_before(&tx, &checked.record.0)?;
        checked.warnings.extend(warnings);
    }
    let (corrected, field_changes) = checked.record;
    let revision: u32 = tx.query_row(
        "SELECT coalesce(max(revision), 0) + 1 FROM intake_corrections WHERE intake_id = ?1",
        [intake_id.to_string()],
        |row| row.get(0),
    )?;
    let correction_id = Uuid::now_v7();
    tx.prepare_cached(
        "INSERT INTO intake_corrections (id, intake_id, revision, changes, reason, author, written_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(
        params![
            correction_id.to_string(),
            intake_id.to_string(),
            revision,
            serde_json::to_string(&field_changes)?,
            reason.trim(),
            author,
            now.to_rfc3339(),
        ],
    )?;
    projection::write_case(&tx, current.seq, &corrected, &checked.warnings)?;
    let payload = payloads::correction(
        correction_id,
        intake_id,
        revision,
        &field_changes,
        reason.trim(),
        author,
        now,
    );
    outbox::enqueue(&tx, correction_id, intake_id, &payload, now)?;
    let fields: Vec<&str> = field_changes
        .iter()
        .map(|change| change.field.as_str())
        .collect();
    audit::append(
        &tx,
        now,
        author,
        AuditAction::CorrectIntake,
        Some(&intake_id.to_string()),
        json!({ "correction": correction_id, "fields": fields }),
    )?;
    tx.commit()?;
    Ok(Saved {
        id: correction_id,
        warnings: checked.warnings,
    })
}

/// The warning that another case on this desk already has the intake's NIK (a returning patient,
/// or the same accident admitted twice): `nik` / `nik_seen_before`, naming the newest such case
/// (`params`: `case`, its `full_name` and `admitted_at`, and `count` of such cases). Checked here,
/// in the save every caller goes through (the window, `plkk`, anything else), not in one client.
fn nik_seen_before(conn: &Connection, intake: &Intake) -> Result<Vec<Issue>, StoreError> {
    let Some(nik) = intake.nik.as_deref() else {
        return Ok(Vec::new());
    };
    let found: Option<(String, String, i64)> = conn
        .prepare_cached(
            "SELECT intake_id, record, count(*) OVER () FROM cases
             WHERE nik = ?1 AND intake_id != ?2 ORDER BY intake_seq DESC LIMIT 1",
        )?
        .query_row(params![nik, intake.id.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    let Some((case_id, record, count)) = found else {
        return Ok(Vec::new());
    };
    let earlier: Intake = serde_json::from_str(&record)?;
    let admitted_at = earlier.admitted_at.to_rfc3339();
    let mut warning = Issue {
        field: "nik".to_owned(),
        rule: "nik_seen_before".to_owned(),
        severity: plkk_domain::Severity::Warning,
        message: format!(
            "nik: this desk already has a case with NIK {nik}: {case_id} ({}, admitted {admitted_at}); \
             check it is not the same accident admitted twice",
            earlier.full_name
        ),
        params: Default::default(),
    };
    for (name, value) in [
        ("case", case_id),
        ("full_name", earlier.full_name),
        ("admitted_at", admitted_at),
        ("count", count.to_string()),
    ] {
        warning.params.insert(name.to_owned(), value);
    }
    Ok(vec![warning])
}

/// What to list: open cases only, or everything matching a search.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Name word prefixes, NIK or KPJ prefix, employer words. Empty: no filter.
    pub search: String,
    /// Leave out closed cases (those whose treatment has an outcome).
    pub open_only: bool,
    /// At most this many rows, newest first.
    pub limit: usize,
}

/// Cases, newest first: by admission time without a search, by admission order on this desk with one.
pub fn list_cases(
    store: &Store,
    actor: &Actor,
    query: &ListQuery,
) -> Result<Vec<CaseListItem>, StoreError> {
    require(actor, Action::View)?;
    let limit = i64::try_from(query.limit.max(1)).unwrap_or(i64::MAX);
    let conn = &store.conn;
    let sequences = match search::plan(&query.search) {
        SearchPlan::Everything => {
            let mut statement = conn.prepare_cached(
                "SELECT intake_seq FROM cases WHERE (?1 = 0 OR closed = 0)
                 ORDER BY admitted_at_utc DESC, intake_seq DESC LIMIT ?2",
            )?;
            let rows = statement
                .query_map(params![query.open_only, limit], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            rows
        }
        SearchPlan::IdentityPrefix(prefix) => {
            search::identity_matches(conn, &prefix, query.open_only, limit)?
        }
        SearchPlan::Words(expression) => {
            search::word_matches(conn, &expression, query.open_only, limit)?
        }
    };
    let mut statement =
        conn.prepare_cached("SELECT record, warnings, closed FROM cases WHERE intake_seq = ?1")?;
    sequences
        .into_iter()
        .map(|seq| {
            let (record, warnings, closed) = statement.query_row([seq], case_row)?;
            list_item(conn, &record, &warnings, closed)
        })
        .collect()
}

/// Every case of the patient with this NIK, newest first (shown before a new intake is saved).
pub fn find_by_nik(
    store: &Store,
    actor: &Actor,
    nik: &str,
) -> Result<Vec<CaseListItem>, StoreError> {
    require(actor, Action::View)?;
    let mut statement = store.conn.prepare_cached(
        "SELECT record, warnings, closed FROM cases WHERE nik = ?1 ORDER BY intake_seq DESC",
    )?;
    let rows: Vec<(String, String, bool)> = statement
        .query_map(
            [plkk_domain::normalise::identity_key(nik).unwrap_or_default()],
            case_row,
        )?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(record, warnings, closed)| list_item(&store.conn, &record, &warnings, closed))
        .collect()
}

/// The whole case: current values, every revision and every note. Opening a case is recorded in
/// the audit log.
pub fn show_case(
    store: &Store,
    actor: &Actor,
    intake_id: &str,
    now: DateTime<FixedOffset>,
) -> Result<CaseDetail, StoreError> {
    require(actor, Action::View)?;
    let intake_id = parse_id("id", intake_id)?;
    let current =
        current_case(&store.conn, intake_id)?.ok_or_else(|| intake_not_found("id", intake_id))?;
    let tx = immediate(&store.conn)?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::OpenCase,
        Some(&intake_id.to_string()),
        json!({}),
    )?;
    tx.commit()?;
    let outcome: Option<Outcome> = current
        .outcome
        .as_deref()
        .map(|text| serde_json::from_value(json!(text)))
        .transpose()?;
    let notes = notes::notes_of_case(&store.conn, intake_id)?;
    // The outcome in force is the newest one no later note corrects (as `cases.outcome`).
    let stage_two_due_at = notes
        .iter()
        .rev()
        .filter(|view| view.corrected_by.is_empty())
        .find_map(|view| view.note.stage_two_due_at());
    Ok(CaseDetail {
        stage_two_due_at: stage_two_due_at.filter(|_| current.closed),
        fields: current.intake.to_fields(),
        report_due_at: current.intake.report_due_at(),
        sync_state: outbox::case_state(&store.conn, intake_id)?,
        closed: current.closed,
        outcome,
        revisions: revisions(&store.conn, intake_id)?,
        notes,
        branch_status: crate::case_status::branch_status(&store.conn, intake_id)?,
        conflicts: crate::conflicts::conflicts_of_case(&store.conn, intake_id)?,
        quarantine: crate::outbox::quarantined(&store.conn, Some(intake_id))?,
        warnings: current.warnings,
        intake: current.intake,
    })
}

fn case_row(row: &rusqlite::Row) -> rusqlite::Result<(String, String, bool)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn list_item(
    conn: &Connection,
    record: &str,
    warnings: &str,
    closed: bool,
) -> Result<CaseListItem, StoreError> {
    let intake: Intake = serde_json::from_str(record)?;
    let warnings: Vec<Issue> = serde_json::from_str(warnings)?;
    Ok(CaseListItem {
        report_due_at: intake.report_due_at(),
        sync_state: outbox::case_state(conn, intake.id)?,
        closed,
        warning_count: warnings.len(),
        branch_status: crate::case_status::branch_status(conn, intake.id)?,
        intake,
    })
}

pub(crate) fn revisions(conn: &Connection, intake_id: Uuid) -> Result<Vec<Revision>, StoreError> {
    let admission = conn.query_row(
        "SELECT author, written_at FROM intakes WHERE id = ?1",
        [intake_id.to_string()],
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
    )?;
    let mut revisions = vec![Revision {
        revision: 0,
        written_at: parse_time(&admission.1)?,
        author: admission.0,
        reason: None,
        changes: Vec::new(),
    }];
    let mut statement = conn.prepare_cached(
        "SELECT revision, written_at, author, reason, changes FROM intake_corrections
         WHERE intake_id = ?1 ORDER BY revision",
    )?;
    let rows: Vec<(u32, String, String, String, String)> = statement
        .query_map([intake_id.to_string()], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (revision, written_at, author, reason, changes) in rows {
        let changes: Vec<FieldChange> = serde_json::from_str(&changes)?;
        revisions.push(Revision {
            revision,
            written_at: parse_time(&written_at)?,
            author,
            reason: Some(reason),
            changes,
        });
    }
    Ok(revisions)
}
