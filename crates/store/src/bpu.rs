//! Daftar BPU on the desk (issue 11): registering a BPU participant (the record, its
//! contribution under the tariff in force and its outbox entry in one transaction, audited), the
//! duplicate-NIK warnings, the list and one registration with its sync state and the branch's
//! decision (pulled into `bpu_decisions`), the count of a month, and what a later intake learns
//! from a registered NIK.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use plkk_domain::{
    Action, AuditAction, BpuRegistration, Contribution, Issue, JsonObject, Severity,
};
use plkk_protocol::BpuStatus;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::access::{require, Actor};
use crate::audit;
use crate::error::{parse_id, refused};
use crate::outbox::{self, QuarantinedEntry};
use crate::rows::{immediate, parse_time};
use crate::{payloads, reference, Saved, Store, StoreError, SyncState};

/// One registration as the list and `plkk bpu show --json` give it: the record's fields, the
/// contribution, where it stands at the branch and on its way there.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BpuView {
    #[serde(flatten)]
    pub registration: BpuRegistration,
    pub contribution: Contribution,
    /// `submitted` until the branch decided.
    pub status: BpuStatus,
    /// The membership number, once `registered`.
    pub kpj: Option<String>,
    /// Why the branch refused, once `rejected`.
    pub decision_reason: Option<String>,
    pub decided_at: Option<DateTime<FixedOffset>>,
    pub sync_state: SyncState,
    pub warnings: Vec<Issue>,
    pub author: String,
    pub written_at: DateTime<FixedOffset>,
    /// The branch's refusal of the entry itself (a rule, a tampered contribution), if any.
    pub quarantine: Vec<QuarantinedEntry>,
}

/// What a desk knows of a NIK as a BPU participant, for the intake form: the KPJ and segment
/// BPU once a registration was confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KnownParticipant {
    pub registration_id: Uuid,
    pub full_name: String,
    pub kpj: String,
    /// Always `BPU`.
    #[cfg_attr(feature = "ts", ts(type = "\"BPU\""))]
    pub segment: &'static str,
}

/// A registration form as typed, by the save's rules: every issue (errors, warnings, a NIK
/// known before), and the contribution once every field is valid.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BpuCheck {
    pub issues: Vec<Issue>,
    pub contribution: Option<Contribution>,
}

/// Validates a registration, computes its contribution with the tariff in force on its start
/// date, and saves record, outbox entry and audit entry in one transaction. Warnings (a NIK seen
/// before, an age outside 15-65) are saved with it.
pub fn register_bpu(
    store: &mut Store,
    actor: &Actor,
    input: &JsonObject,
    now: DateTime<FixedOffset>,
) -> Result<Saved, StoreError> {
    require(actor, Action::RegisterBpu)?;
    let tariffs = reference::tariffs(store);
    let mut checked = plkk_domain::validate_bpu(input, Uuid::now_v7(), now.date_naive())?;
    let registration = checked.record;
    let contribution =
        registration.contribution(&reference::tariff_on(&tariffs, registration.starts_on));
    let author = actor.username.as_str();
    let tx = store
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let exists = tx
        .query_row(
            "SELECT 1 FROM bpu_registrations WHERE id = ?1",
            [registration.id.to_string()],
            |_| Ok(()),
        )
        .optional()?;
    if exists.is_some() {
        return Err(refused(
            "id",
            "already_exists",
            format!(
                "id: a registration with id {} already exists",
                registration.id
            ),
        ));
    }
    checked
        .warnings
        .extend(nik_known(&tx, &registration.nik, registration.id)?);
    tx.prepare_cached(
        "INSERT INTO bpu_registrations
             (id, nik, full_name, record, contribution, warnings, author, written_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        registration.id.to_string(),
        registration.nik,
        registration.full_name,
        serde_json::to_string(&registration)?,
        serde_json::to_string(&contribution)?,
        serde_json::to_string(&checked.warnings)?,
        author,
        now.to_rfc3339(),
    ])?;
    let payload = payloads::bpu_registration(&registration, &contribution, author, now);
    outbox::enqueue(&tx, registration.id, registration.id, &payload, now)?;
    audit::append(
        &tx,
        now,
        author,
        AuditAction::RegisterBpu,
        Some(&registration.id.to_string()),
        json!({"tariff_version": contribution.tariff_version, "period_total": contribution.period_total}),
    )?;
    tx.commit()?;
    Ok(Saved {
        id: registration.id,
        warnings: checked.warnings,
    })
}

/// The rules and duplicate warnings of a registration as typed, without saving (the window
/// checks while typing with the save's own rules), and the contribution when it can be computed.
pub fn bpu_check(
    store: &Store,
    actor: &Actor,
    input: &JsonObject,
    now: DateTime<FixedOffset>,
) -> Result<BpuCheck, StoreError> {
    require(actor, Action::RegisterBpu)?;
    match plkk_domain::validate_bpu(input, Uuid::nil(), now.date_naive()) {
        Ok(checked) => {
            let registration = checked.record;
            let tariffs = reference::tariffs(store);
            let contribution =
                registration.contribution(&reference::tariff_on(&tariffs, registration.starts_on));
            let mut issues = checked.warnings;
            issues.extend(nik_known(&store.conn, &registration.nik, registration.id)?);
            Ok(BpuCheck {
                issues,
                contribution: Some(contribution),
            })
        }
        Err(rejected) => {
            let mut issues: Vec<Issue> = rejected
                .errors
                .into_iter()
                .chain(rejected.warnings)
                .collect();
            // The duplicate warning shows as soon as the NIK is complete, not once all is valid.
            let nik = input
                .get("nik")
                .and_then(serde_json::Value::as_str)
                .map(str::trim);
            let complete = |nik: &&str| nik.len() == 16 && nik.bytes().all(|b| b.is_ascii_digit());
            if let Some(nik) = nik.filter(complete) {
                issues.extend(nik_known(&store.conn, nik, Uuid::nil())?);
            }
            Ok(BpuCheck {
                issues,
                contribution: None,
            })
        }
    }
}

/// The warnings that this NIK is known already: `nik_registered_before` (an earlier
/// registration on this desk or pulled from the branch; params `registration`, `full_name`,
/// `written_at` or `status`) and `nik_known_participant` (a KPJ on one of the desk's cases;
/// params `case`, `full_name`, `kpj`). Warnings only: the save goes through.
fn nik_known(conn: &Connection, nik: &str, own_id: Uuid) -> Result<Vec<Issue>, StoreError> {
    let mut warnings = Vec::new();
    let earlier: Option<(String, String, String)> = conn
        .prepare_cached(
            "SELECT id, full_name, written_at FROM bpu_registrations
             WHERE nik = ?1 AND id != ?2 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row(params![nik, own_id.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    let pulled: Option<(String, String, String)> = conn
        .prepare_cached(
            "SELECT registration_id, full_name, status FROM bpu_decisions
             WHERE nik = ?1 AND registration_id != ?2 AND status = 'registered'
               AND registration_id NOT IN (SELECT id FROM bpu_registrations)
             ORDER BY branch_seq DESC LIMIT 1",
        )?
        .query_row(params![nik, own_id.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    if let Some((id, full_name, written_at)) = earlier {
        warnings.push(warning(
            "nik_registered_before",
            format!("nik: this desk registered NIK {nik} before: {id} ({full_name}, {written_at})"),
            &[
                ("registration", id),
                ("full_name", full_name),
                ("written_at", written_at),
            ],
        ));
    } else if let Some((id, full_name, status)) = pulled {
        warnings.push(warning(
            "nik_registered_before",
            format!("nik: the branch already registered NIK {nik}: {id} ({full_name}, {status})"),
            &[
                ("registration", id),
                ("full_name", full_name),
                ("status", status),
            ],
        ));
    }
    let case: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT intake_id, record FROM cases
             WHERE nik = ?1 AND json_extract(record, '$.kpj') IS NOT NULL
             ORDER BY intake_seq DESC LIMIT 1",
        )?
        .query_row(
            [plkk_domain::normalise::identity_key(nik).unwrap_or_default()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    if let Some((case_id, record)) = case {
        let intake: plkk_domain::Intake = serde_json::from_str(&record)?;
        let kpj = intake.kpj.unwrap_or_default();
        warnings.push(warning(
            "nik_known_participant",
            format!(
                "nik: NIK {nik} is already a participant, KPJ {kpj} on case {case_id} ({})",
                intake.full_name
            ),
            &[
                ("case", case_id),
                ("full_name", intake.full_name),
                ("kpj", kpj),
            ],
        ));
    }
    Ok(warnings)
}

fn warning(rule: &str, message: String, params: &[(&str, String)]) -> Issue {
    Issue {
        field: "nik".to_owned(),
        rule: rule.to_owned(),
        severity: Severity::Warning,
        message,
        params: params
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect(),
    }
}

/// The most registrations `list_bpu` returns (the CLI says when a list reached it).
pub const BPU_LIST_LIMIT: i64 = 1000;

/// Registrations, newest first (at most [`BPU_LIST_LIMIT`]); `search` matches a NIK prefix or words of the name
/// (case-insensitive). Anyone who may view.
pub fn list_bpu(store: &Store, actor: &Actor, search: &str) -> Result<Vec<BpuView>, StoreError> {
    require(actor, Action::View)?;
    let search = search.trim().to_lowercase();
    let mut statement = store.conn.prepare_cached(
        "SELECT id FROM bpu_registrations
         WHERE ?1 = '' OR nik LIKE ?1 || '%' OR lower(full_name) LIKE '%' || ?1 || '%'
         ORDER BY seq DESC LIMIT ?2",
    )?;
    let ids: Vec<String> = statement
        .query_map(rusqlite::params![&search, BPU_LIST_LIMIT], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    ids.iter()
        .map(|id| view(&store.conn, &parse_id("id", id)?))
        .collect()
}

/// One registration; opening it is audited. An unknown id is refused naming `id` (`not_found`).
pub fn show_bpu(
    store: &Store,
    actor: &Actor,
    id: &str,
    now: DateTime<FixedOffset>,
) -> Result<BpuView, StoreError> {
    require(actor, Action::View)?;
    let id = parse_id("id", id)?;
    let found = view(&store.conn, &id)?;
    let tx = immediate(&store.conn)?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::OpenRegistration,
        Some(&id.to_string()),
        json!({}),
    )?;
    tx.commit()?;
    Ok(found)
}

/// Every registration of `nik` (a NIK in its stored form), oldest first: the patient report's
/// part. Not audited here (the report is).
pub(crate) fn registrations_of_nik(
    conn: &Connection,
    nik: &str,
) -> Result<Vec<BpuView>, StoreError> {
    let ids: Vec<String> = conn
        .prepare_cached("SELECT id FROM bpu_registrations WHERE nik = ?1 ORDER BY seq")?
        .query_map([nik], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    ids.iter()
        .map(|id| view(conn, &parse_id("id", id)?))
        .collect()
}

fn view(conn: &Connection, id: &Uuid) -> Result<BpuView, StoreError> {
    let row: Option<(String, String, String, String, String)> = conn
        .prepare_cached(
            "SELECT record, contribution, warnings, author, written_at
             FROM bpu_registrations WHERE id = ?1",
        )?
        .query_row([id.to_string()], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })
        .optional()?;
    let Some((record, contribution, warnings, author, written_at)) = row else {
        return Err(refused(
            "id",
            "not_found",
            format!("id: no BPU registration with id {id} on this desk"),
        ));
    };
    let decision: Option<(String, Option<String>, Option<String>, String)> = conn
        .prepare_cached(
            "SELECT status, kpj, reason, decided_at FROM bpu_decisions WHERE registration_id = ?1",
        )?
        .query_row([id.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()?;
    let (status, kpj, decision_reason, decided_at) = match decision {
        Some((status, kpj, reason, at)) => (
            BpuStatus::parse(&status).unwrap_or(BpuStatus::Submitted),
            kpj,
            reason,
            Some(parse_time(&at)?),
        ),
        None => (BpuStatus::Submitted, None, None, None),
    };
    Ok(BpuView {
        registration: serde_json::from_str(&record)?,
        contribution: serde_json::from_str(&contribution)?,
        status,
        kpj,
        decision_reason,
        decided_at,
        sync_state: outbox::record_state(conn, *id)?,
        warnings: serde_json::from_str(&warnings)?,
        author,
        written_at: parse_time(&written_at)?,
        quarantine: outbox::quarantined(conn, Some(*id))?,
    })
}

/// How many people this desk registered in the month of `day` (by the desk's local date of
/// saving), for the home screen.
pub fn bpu_count_in_month(store: &Store, actor: &Actor, day: NaiveDate) -> Result<u64, StoreError> {
    require(actor, Action::View)?;
    let month = format!("{:04}-{:02}", day.year(), day.month());
    Ok(store.conn.query_row(
        "SELECT count(*) FROM bpu_registrations WHERE substr(written_at, 1, 7) = ?1",
        [month],
        |row| row.get(0),
    )?)
}

/// The confirmed participant with this NIK, if the branch registered one (this desk's
/// registration or another desk's of the clinic): what a later intake fills in.
pub fn known_participant(
    store: &Store,
    actor: &Actor,
    nik: &str,
) -> Result<Option<KnownParticipant>, StoreError> {
    require(actor, Action::View)?;
    let found: Option<(String, String, String)> = store
        .conn
        .prepare_cached(
            "SELECT registration_id, full_name, kpj FROM bpu_decisions
             WHERE nik = ?1 AND status = 'registered' AND kpj IS NOT NULL
             ORDER BY branch_seq DESC LIMIT 1",
        )?
        .query_row([nik.trim()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    found
        .map(|(id, full_name, kpj)| {
            Ok(KnownParticipant {
                registration_id: parse_id("registration_id", &id)?,
                full_name,
                kpj,
                segment: "BPU",
            })
        })
        .transpose()
}

/// Stores an officer's decision pulled from the branch, unless a later change already did
/// (`branch_seq`). False when it does not hold to the limits (it is skipped, the cursor moves on).
pub(crate) fn keep_decision(
    conn: &Connection,
    decision: &plkk_protocol::BpuDecision,
    branch_seq: i64,
) -> Result<bool, StoreError> {
    use plkk_domain::limits::{self, BPU_DECISION, BPU_REGISTRATION};
    let texts = [
        (BPU_REGISTRATION, "nik", Some(decision.nik.as_str())),
        (
            BPU_REGISTRATION,
            "full_name",
            Some(decision.full_name.as_str()),
        ),
        (BPU_DECISION, "kpj", decision.kpj.as_deref()),
        (BPU_DECISION, "reason", decision.reason.as_deref()),
    ];
    let too_long = texts.iter().any(|(table, field, text)| {
        text.is_some_and(|text| limits::refusal(table, field, text).is_some())
    });
    if too_long {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT INTO bpu_decisions
             (registration_id, nik, full_name, status, kpj, reason, decided_at, branch_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (registration_id) DO UPDATE SET nik = excluded.nik,
             full_name = excluded.full_name, status = excluded.status, kpj = excluded.kpj,
             reason = excluded.reason, decided_at = excluded.decided_at,
             branch_seq = excluded.branch_seq
         WHERE excluded.branch_seq > bpu_decisions.branch_seq",
    )?
    .execute(params![
        decision.registration_id.to_string(),
        decision.nik,
        decision.full_name,
        decision.status.as_str(),
        decision.kpj,
        decision.reason,
        decision.decided_at.to_rfc3339(),
        branch_seq,
    ])?;
    Ok(true)
}
