//! The officers' audit log: who did what at the branch and when — sign-ins and failed sign-ins,
//! sign-outs, cases opened, statuses set, clinics added, enrolment codes issued, devices revoked,
//! officer accounts added and removed, reports downloaded, and every act an officer's role
//! refused (`refused`, as the desk records its role refusals). Acts done with the `plkk-branch`
//! command line are recorded too, with the actor [`CLI_ACTOR`]. One table, `officer_audit`,
//! append-only (triggers) and hash-chained with `plkk_domain::AuditEntry` exactly like a desk's
//! log, so `check_link`/`verify_chain` find an altered, removed or reordered entry. An entry is
//! appended inside the transaction of the act it records, so an act and its entry commit together.
//! `plkk-branch audit officers [--json]` lists and verifies it.

use chrono::{DateTime, FixedOffset, Utc};
use plkk_domain::{limits, verify_chain, AuditEntry, ChainBreak};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::Value;

use crate::BranchError;

/// The actor of acts done with the `plkk-branch` command line (no officer is signed in there).
pub const CLI_ACTOR: &str = "(cli)";

/// What the officers' audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficerAction {
    SignIn,
    SignInFailed,
    SignOut,
    CaseOpened,
    StatusSet,
    ClinicAdded,
    CodeIssued,
    DeviceRevoked,
    OfficerAdded,
    OfficerRemoved,
    ReportDownloaded,
    /// A BPU registration approved (with its KPJ) or rejected (with the reason).
    BpuDecided,
    /// A reference file (BPU tariff) published to the desks.
    ReferencePublished,
    /// A case document's content downloaded (console or `plkk-branch document get`).
    DocumentDownloaded,
    /// The officer's role does not permit what was attempted (the console answered 403).
    Refused,
}

impl OfficerAction {
    pub fn as_str(self) -> &'static str {
        match self {
            OfficerAction::SignIn => "sign_in",
            OfficerAction::SignInFailed => "sign_in_failed",
            OfficerAction::SignOut => "sign_out",
            OfficerAction::CaseOpened => "case_opened",
            OfficerAction::StatusSet => "status_set",
            OfficerAction::ClinicAdded => "clinic_added",
            OfficerAction::CodeIssued => "code_issued",
            OfficerAction::DeviceRevoked => "device_revoked",
            OfficerAction::OfficerAdded => "officer_added",
            OfficerAction::OfficerRemoved => "officer_removed",
            OfficerAction::ReportDownloaded => "report_downloaded",
            OfficerAction::BpuDecided => "bpu_decided",
            OfficerAction::ReferencePublished => "reference_published",
            OfficerAction::DocumentDownloaded => "document_downloaded",
            OfficerAction::Refused => "refused",
        }
    }
}

/// One act as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfficerAuditEntry {
    pub seq: i64,
    /// When, RFC 3339 (UTC).
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    /// JSON text.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The log and whether its chain is sound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfficerAuditLog {
    pub sound: bool,
    /// The first bad entry, if any.
    pub first_break: Option<ChainBreak>,
    pub entries: Vec<OfficerAuditEntry>,
}

/// Appends one entry in the caller's transaction. `actor`, `subject` and `detail` are cut to the
/// audit entry's limits (a hostile username typed at a failed sign-in is kept short).
pub(crate) fn append(
    tx: &Transaction,
    now: DateTime<Utc>,
    actor: &str,
    action: OfficerAction,
    subject: Option<&str>,
    detail: Value,
) -> Result<i64, BranchError> {
    let max = |field| limits::max_of(limits::AUDIT_ENTRY, field);
    let actor = limits::clip(actor, max("actor"));
    let subject = subject.map(|subject| limits::clip(subject, max("subject")));
    let mut detail = detail.to_string();
    if detail.chars().count() > max("detail") {
        detail =
            serde_json::json!({ "clipped": limits::clip(&detail, max("detail") - 20) }).to_string();
    }
    let prev: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, hash FROM officer_audit ORDER BY seq DESC LIMIT 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let at: DateTime<FixedOffset> = now.fixed_offset();
    let entry = AuditEntry::next(
        prev.as_ref().map(|(seq, hash)| (*seq, hash.as_str())),
        at,
        &actor,
        action.as_str(),
        subject.as_deref(),
        &detail,
    );
    tx.prepare_cached(
        "INSERT INTO officer_audit (seq, at, actor, action, subject, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        entry.seq,
        entry.at.to_rfc3339(),
        entry.actor,
        entry.action,
        entry.subject,
        entry.detail,
        entry.prev_hash,
        entry.hash,
    ])?;
    Ok(entry.seq)
}

/// Records a role refusal in a transaction of its own: `refused`, the subject acted on (a case
/// id, clinic code, device id or username; None for a page), and in the detail the attempted
/// action, the officer's role and the request (`POST /cases/…/status`).
pub(crate) fn record_refusal(
    conn: &mut Connection,
    now: DateTime<Utc>,
    actor: &str,
    refused: Refusal<'_>,
) -> Result<(), BranchError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    append(
        &tx,
        now,
        actor,
        OfficerAction::Refused,
        refused.subject,
        serde_json::json!({
            "action": refused.action,
            "role": refused.role,
            "request": refused.request,
        }),
    )?;
    tx.commit()?;
    Ok(())
}

/// What an officer attempted that the role refused.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refusal<'a> {
    /// The console action (`set_status`, `administer`).
    pub(crate) action: &'a str,
    pub(crate) role: &'a str,
    /// Method and path of the refused request.
    pub(crate) request: &'a str,
    pub(crate) subject: Option<&'a str>,
}

/// The newest `limit` entries (all when None), oldest first, and the state of the whole chain.
pub(crate) fn read(conn: &Connection, limit: Option<u32>) -> Result<OfficerAuditLog, BranchError> {
    let mut statement = conn.prepare(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM officer_audit
         ORDER BY seq",
    )?;
    let rows = statement
        .query_map([], |row| {
            Ok(OfficerAuditEntry {
                seq: row.get(0)?,
                at: row.get(1)?,
                actor: row.get(2)?,
                action: row.get(3)?,
                subject: row.get(4)?,
                detail: row.get(5)?,
                prev_hash: row.get(6)?,
                hash: row.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let chain = rows.iter().map(to_domain).collect::<Result<Vec<_>, _>>()?;
    let first_break = verify_chain(&chain).err();
    let skip = limit.map_or(0, |limit| rows.len().saturating_sub(limit as usize));
    Ok(OfficerAuditLog {
        sound: first_break.is_none(),
        first_break,
        entries: rows.into_iter().skip(skip).collect(),
    })
}

fn to_domain(entry: &OfficerAuditEntry) -> Result<AuditEntry, BranchError> {
    let at = DateTime::parse_from_rfc3339(&entry.at).map_err(|error| {
        BranchError::Stored(format!(
            "officer audit entry {}: time {:?}: {error}",
            entry.seq, entry.at
        ))
    })?;
    Ok(AuditEntry {
        seq: entry.seq,
        at,
        actor: entry.actor.clone(),
        action: entry.action.clone(),
        subject: entry.subject.clone(),
        detail: entry.detail.clone(),
        prev_hash: entry.prev_hash.clone(),
        hash: entry.hash.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn database() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::migrate::apply(&mut conn).unwrap();
        conn
    }

    fn at(minute: u32) -> DateTime<Utc> {
        format!("2026-11-30T08:{minute:02}:00Z").parse().unwrap()
    }

    #[test]
    fn entries_chain_verify_and_cannot_be_changed() {
        let mut conn = database();
        let tx = conn.transaction().unwrap();
        append(&tx, at(1), "rina", OfficerAction::SignIn, None, json!({})).unwrap();
        append(
            &tx,
            at(2),
            "rina",
            OfficerAction::StatusSet,
            Some("case-1"),
            json!({"status": "eligible"}),
        )
        .unwrap();
        tx.commit().unwrap();
        let log = read(&conn, None).unwrap();
        assert!(log.sound, "{:?}", log.first_break);
        assert_eq!(log.entries.len(), 2);
        assert_eq!(log.entries[1].prev_hash, log.entries[0].hash);
        assert_eq!(read(&conn, Some(1)).unwrap().entries[0].seq, 2);
        for sql in [
            "UPDATE officer_audit SET actor = 'x'",
            "DELETE FROM officer_audit WHERE seq = 1",
        ] {
            let refused = conn.execute(sql, []).unwrap_err().to_string();
            assert!(refused.contains("append-only"), "{sql}: {refused}");
        }
    }

    #[test]
    fn an_entry_altered_behind_the_triggers_breaks_the_chain_at_its_seq() {
        let mut conn = database();
        let tx = conn.transaction().unwrap();
        for minute in 1..=3 {
            append(
                &tx,
                at(minute),
                "rina",
                OfficerAction::CaseOpened,
                Some("c"),
                json!({}),
            )
            .unwrap();
        }
        tx.commit().unwrap();
        conn.execute_batch(
            "DROP TRIGGER officer_audit_no_update;
             UPDATE officer_audit SET actor = 'someone' WHERE seq = 2;",
        )
        .unwrap();
        let log = read(&conn, None).unwrap();
        assert!(!log.sound);
        assert_eq!(log.first_break.unwrap().seq, 2);
    }

    #[test]
    fn a_huge_actor_is_kept_short() {
        let mut conn = database();
        let tx = conn.transaction().unwrap();
        let huge = "x".repeat(10_000);
        append(
            &tx,
            at(1),
            &huge,
            OfficerAction::SignInFailed,
            None,
            json!({}),
        )
        .unwrap();
        tx.commit().unwrap();
        let log = read(&conn, None).unwrap();
        assert_eq!(log.entries[0].actor.chars().count(), 64);
        assert!(log.sound);
    }
}
