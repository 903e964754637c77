//! BPU registrations at the branch (issue 11), kept apart from the case tables: the officers'
//! queue, their decision (approve with a KPJ, reject with a reason: stored once, audited, sent to
//! the clinic's desks as a `bpu_decision` change), the registrations report, and publishing a
//! newer tariff to every clinic (a `reference` change). A pushed `bpu_registration` entry is
//! applied beside the other kinds, in `push/bpu.rs`.

use crate::sql::{params, Db, OptionalExtension, TransactionBehavior};
use chrono::{DateTime, Utc};
use plkk_domain::limits::{self, BPU_DECISION};
use plkk_domain::Tariff;
use plkk_protocol::{BpuDecision, BpuStatus, ChangeBody, ReferenceFile, BPU_TARIFF};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db::time_text;
use crate::officer_audit::{self, OfficerAction};
use crate::{changes, BranchError};

/// One registration as `plkk-branch bpu list --json` and the console show it.
#[derive(Debug, Clone, Serialize)]
pub struct BranchRegistration {
    pub id: Uuid,
    pub clinic: String,
    pub nik: String,
    pub full_name: String,
    pub occupation: String,
    pub status: BpuStatus,
    pub kpj: Option<String>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// The record's fields as validated.
    pub registration: Value,
    /// Whole Rupiah, as recomputed here.
    pub contribution: Value,
    pub author: String,
    pub received_at: String,
}

/// Registrations, oldest first, of one clinic or all, in one status or all.
pub(crate) fn list(
    conn: &Db,
    clinic_code: Option<&str>,
    status: Option<BpuStatus>,
) -> Result<Vec<BranchRegistration>, BranchError> {
    let clinic_id = clinic_code
        .map(|code| crate::clinics::clinic_id(conn, code))
        .transpose()?;
    let mut statement = conn.prepare_cached(
        "SELECT r.id, c.code, r.nik, r.full_name, r.occupation,
                coalesce(d.status, 'submitted'), d.kpj, d.reason, d.decided_by, d.decided_at,
                r.record, r.contribution, r.author, r.received_at
         FROM bpu_registrations r JOIN clinics c ON c.id = r.clinic_id
         LEFT JOIN bpu_decisions d ON d.registration_id = r.id
         WHERE (CAST(?1 AS BIGINT) IS NULL OR r.clinic_id = ?1)
           AND (CAST(?2 AS TEXT) IS NULL OR coalesce(d.status, 'submitted') = ?2)
         ORDER BY r.entry_seq",
    )?;
    let rows = statement.query_map(params![clinic_id, status.map(BpuStatus::as_str)], |row| {
        Ok((
            row.get::<String>(0)?,
            row.get::<String>(1)?,
            row.get::<String>(2)?,
            row.get::<String>(3)?,
            row.get::<String>(4)?,
            row.get::<String>(5)?,
            row.get::<Option<String>>(6)?,
            row.get::<Option<String>>(7)?,
            row.get::<Option<String>>(8)?,
            row.get::<Option<String>>(9)?,
            row.get::<String>(10)?,
            row.get::<String>(11)?,
            row.get::<String>(12)?,
            row.get::<String>(13)?,
        ))
    })?;
    let mut found = Vec::new();
    for row in rows {
        let (
            id,
            clinic,
            nik,
            full_name,
            occupation,
            status,
            kpj,
            reason,
            by,
            at,
            record,
            money,
            author,
            received_at,
        ) = row?;
        found.push(BranchRegistration {
            id: Uuid::parse_str(&id).map_err(|error| BranchError::Stored(error.to_string()))?,
            clinic,
            nik,
            full_name,
            occupation,
            status: BpuStatus::parse(&status)
                .ok_or_else(|| BranchError::Stored(format!("BPU status {status:?}")))?,
            kpj,
            decision_reason: reason,
            decided_by: by,
            decided_at: at,
            registration: serde_json::from_str(&record)?,
            contribution: serde_json::from_str(&money)?,
            author,
            received_at,
        });
    }
    Ok(found)
}

/// What an officer decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Registered with this KPJ (11 characters `[0-9A-Z]`).
    Approve { kpj: &'a str },
    /// Rejected for this reason (1-500 characters).
    Reject { reason: &'a str },
}

/// Decides on a submitted registration: checked (`kpj` / `required` or `kpj_format`, `reason` /
/// `required` or its length; `id` / `already_decided` for a second decision), stored, recorded in
/// the officers' audit log and sent to the clinic's desks, in one transaction.
pub(crate) fn decide(
    conn: &mut Db,
    id: Uuid,
    decision: Decision,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<BpuDecision, BranchError> {
    let (status, kpj, reason) = match decision {
        Decision::Approve { kpj } => {
            let kpj = kpj.trim().to_uppercase();
            if kpj.is_empty() {
                return Err(BranchError::refused(
                    "kpj",
                    "required",
                    "kpj: an approval needs the KPJ number issued, for the clinic and the person",
                ));
            }
            let well_formed = kpj.chars().count() == 11
                && kpj
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
            if !well_formed {
                return Err(BranchError::refused(
                    "kpj",
                    "kpj_format",
                    format!(
                        "kpj: 11 digits (older cards: letters A-Z too), got {}",
                        limits::echo(&kpj)
                    ),
                ));
            }
            (BpuStatus::Registered, Some(kpj), None)
        }
        Decision::Reject { reason } => {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(BranchError::refused(
                    "reason",
                    "required",
                    "reason: a rejection needs the reason, for the clinic and the person",
                ));
            }
            if let Some(refusal) = limits::refusal(BPU_DECISION, "reason", reason) {
                return Err(BranchError::Refused(refusal));
            }
            (BpuStatus::Rejected, None, Some(reason.to_owned()))
        }
    };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: Option<(i64, String, String, Option<String>)> = tx
        .query_row(
            "SELECT r.clinic_id, r.nik, r.full_name, d.status FROM bpu_registrations r
             LEFT JOIN bpu_decisions d ON d.registration_id = r.id WHERE r.id = ?1",
            [id.to_string()],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?;
    let Some((clinic_id, nik, full_name, earlier)) = found else {
        return Err(BranchError::NotFound {
            what: "BPU registration",
            name: id.to_string(),
        });
    };
    if let Some(earlier) = earlier {
        return Err(BranchError::refused(
            "id",
            "already_decided",
            format!("id: registration {id} was already decided: {earlier}"),
        ));
    }
    tx.execute(
        "INSERT INTO bpu_decisions (registration_id, status, kpj, reason, decided_by, decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            id.to_string(),
            status.as_str(),
            kpj,
            reason,
            actor,
            time_text(now)
        ],
    )?;
    officer_audit::append(
        &tx,
        now,
        actor,
        OfficerAction::BpuDecided,
        Some(&id.to_string()),
        json!({"status": status.as_str(), "kpj": kpj, "reason": reason}),
    )?;
    let decision = BpuDecision {
        registration_id: id,
        nik,
        full_name,
        status,
        kpj,
        reason,
        decided_at: now,
    };
    let body = ChangeBody::BpuDecision {
        decision: decision.clone(),
    };
    changes::emit(&tx, clinic_id, id, &body, now)?;
    tx.commit()?;
    Ok(decision)
}

/// One clinic's registrations received in a date range, by where they stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrationCount {
    pub clinic: String,
    pub submitted: u64,
    pub registered: u64,
    pub rejected: u64,
}

/// Per clinic (every clinic, by code), the registrations the branch received from `from` to `to`
/// (its local dates, both included) awaiting a decision, registered and rejected.
pub(crate) fn report(
    conn: &Db,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<RegistrationCount>, BranchError> {
    if from > to {
        return Err(BranchError::refused(
            "to",
            "date_order",
            format!("to: {to} is before {from}"),
        ));
    }
    let mut statement = conn.prepare_cached(
        "SELECT c.code,
                count(r.id) FILTER (WHERE d.status IS NULL),
                count(r.id) FILTER (WHERE d.status = 'registered'),
                count(r.id) FILTER (WHERE d.status = 'rejected')
         FROM clinics c
         LEFT JOIN bpu_registrations r
                ON r.clinic_id = c.id AND r.received_on BETWEEN ?1 AND ?2
         LEFT JOIN bpu_decisions d ON d.registration_id = r.id
         GROUP BY c.id ORDER BY c.code",
    )?;
    let rows = statement.query_map(params![from.to_string(), to.to_string()], |row| {
        Ok(RegistrationCount {
            clinic: row.get(0)?,
            submitted: row.get(1)?,
            registered: row.get(2)?,
            rejected: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<crate::sql::Result<_>>()?)
}

/// Publishes a BPU tariff file to every clinic's desks (a `reference` change each) and keeps it
/// for checking their registrations. A version published before is refused (`already_exists`).
pub(crate) fn publish_tariff(
    conn: &mut Db,
    text: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Tariff, BranchError> {
    if text.len() > 256 * 1024 {
        return Err(BranchError::refused(
            "file",
            "too_long",
            "file: a tariff file is at most 262144 bytes",
        ));
    }
    let tariff = Tariff::parse(text).map_err(|error| {
        BranchError::refused("file", "tariff_invalid", format!("file: {error}"))
    })?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let inserted = tx.execute(
        "INSERT INTO reference_files (name, version, text, published_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name, version) DO NOTHING",
        params![BPU_TARIFF, tariff.version, text, time_text(now)],
    )?;
    if inserted == 0 || tariff.version == Tariff::bundled().version {
        return Err(BranchError::refused(
            "file",
            "already_exists",
            format!("file: BPU tariff {} is known already", tariff.version),
        ));
    }
    let clinics: Vec<i64> = tx
        .prepare("SELECT id FROM clinics")?
        .query_map([], |row| row.get(0))?
        .collect::<crate::sql::Result<_>>()?;
    let body = ChangeBody::Reference {
        reference_file: ReferenceFile {
            name: BPU_TARIFF.to_owned(),
            version: tariff.version.clone(),
            text: text.to_owned(),
        },
    };
    for clinic_id in clinics {
        changes::emit(&tx, clinic_id, Uuid::nil(), &body, now)?;
    }
    officer_audit::append(
        &tx,
        now,
        actor,
        OfficerAction::ReferencePublished,
        Some(&tariff.version),
        json!({"name": BPU_TARIFF, "valid_from": tariff.valid_from}),
    )?;
    tx.commit()?;
    Ok(tariff)
}
