//! One sync cycle: push every deliverable outbox entry with the audit log's new entries riding
//! along (`push`: requests sized to the line, marked `sent` before each request, receipts stored in
//! one transaction after it), then pull the clinic's changes page by page (each page stored with its
//! cursor in one transaction), then upload case documents' bytes (`documents`). Also enrolment.

use chrono::{DateTime, FixedOffset, Utc};
use plkk_domain::limits;
use plkk_domain::{Action, AuditAction};
use plkk_protocol::{EnrollRequest, RestoredRequest};
use plkk_store::{Actor, DeskAccess, Enrolment};
use serde::Serialize;
use uuid::Uuid;

use crate::address::BranchAddress;
use crate::client::BranchClient;
use crate::desk_db::DeskDb;
use crate::plan::Link;
use crate::SyncError;

/// A branch clock further off than this is reported (`clock_skew`).
pub const CLOCK_SKEW_WARNING_SECONDS: i64 = 300;

/// What enrolment gives: the clinic the desk now belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Enrolled {
    pub clinic_code: String,
    pub clinic_name: String,
    pub device_id: Uuid,
    pub branch_url: String,
}

impl From<&Enrolment> for Enrolled {
    fn from(enrolment: &Enrolment) -> Self {
        Enrolled {
            clinic_code: enrolment.clinic_code.clone(),
            clinic_name: enrolment.clinic_name.clone(),
            device_id: enrolment.device_id,
            branch_url: enrolment.branch_url.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollOptions {
    pub branch_url: String,
    pub code: String,
    pub device_name: String,
    /// The branch's own CA certificate (PEM), trusted besides the system's roots.
    pub ca_cert_pem: Option<String>,
}

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncSummary {
    /// Entries put in a push (a resend counts again).
    pub sent: u64,
    /// Receipts `applied` or `duplicate`.
    pub confirmed: u64,
    pub rejected: u64,
    pub conflicts: u64,
    /// Changes pulled and stored (records of other desks, case statuses, conflicts).
    pub pulled: u64,
    /// Entries still pending or sent after the cycle.
    pub pending: u64,
    /// Entries in quarantine after the cycle (rejected, all time).
    pub quarantined: u64,
    /// Entries in conflict after the cycle (all time).
    pub in_conflict: u64,
    /// Request bytes of the pushes on the wire (after gzip).
    pub bytes_pushed: u64,
    /// Push requests sent (including those that failed).
    pub push_requests: u64,
    /// JSON bytes of the records in the pushes the branch answered, before gzip.
    pub record_json_bytes: u64,
    /// JSON bytes of the audit entries in those pushes, before gzip.
    pub audit_json_bytes: u64,
    /// Audit entries delivered with the pushes.
    pub audit_sent: u64,
    /// The branch's clock minus the desk's.
    pub clock_offset_seconds: Option<i64>,
    /// Breaks the branch reported in this desk's audit chain during the cycle.
    pub audit_breaks: u64,
    /// Case documents the branch confirmed whole in this cycle.
    pub documents_confirmed: u64,
    /// Chunks of case documents the branch accepted in this cycle.
    pub document_chunks_sent: u64,
    /// Bytes of case documents sent in chunks (as raw bytes, before HTTP's own framing).
    pub document_bytes_sent: u64,
}

/// Trades a one-time enrolment code for a device token and stores the enrolment (administrators
/// only; recorded in the audit log).
pub async fn enroll(
    access: &DeskAccess,
    actor: &Actor,
    options: EnrollOptions,
) -> Result<Enrolled, SyncError> {
    plkk_store::require(actor, Action::Enroll)?;
    let device_name = options.device_name.trim();
    if let Some(refusal) = limits::refusal(limits::ENROLMENT, "device_name", device_name) {
        return Err(SyncError::Store(plkk_store::StoreError::Invalid(
            plkk_domain::Rejected {
                errors: vec![refusal],
                warnings: Vec::new(),
            },
        )));
    }
    let address = BranchAddress::parse(&options.branch_url)?;
    let client = BranchClient::new(address.clone(), options.ca_cert_pem.as_deref(), None)?;
    let enrollment = client
        .enroll(&EnrollRequest {
            code: options.code.trim().to_owned(),
            device_name: options.device_name.trim().to_owned(),
        })
        .await?;
    let enrolment = Enrolment {
        branch_url: address.as_str().to_owned(),
        device_id: enrollment.device_id,
        token: enrollment.token,
        clinic_code: enrollment.clinic_code,
        clinic_name: enrollment.clinic_name,
        ca_cert_pem: options.ca_cert_pem,
        enrolled_at: enrollment.server_time,
    };
    let enrolled = Enrolled::from(&enrolment);
    let db = DeskDb::open(access).await?;
    let actor = actor.clone();
    db.call(move |store| {
        plkk_store::save_enrolment(store, &enrolment)?;
        let clinic = enrolment.clinic_code.clone();
        plkk_store::record_event(store, &actor, AuditAction::Enroll, Some(&clinic), now())
    })
    .await?;
    tracing::info!(clinic = %enrolled.clinic_code, device = %enrolled.device_id, "enrolled");
    Ok(enrolled)
}

/// One full cycle on the desk: push everything deliverable, pull everything new, deliver the
/// audit log.
pub async fn sync_once(access: &DeskAccess) -> Result<SyncSummary, SyncError> {
    let db = DeskDb::open(access).await?;
    run_cycle(&db).await
}

/// A cycle on an open desk, recorded in the sync log (attempt, success or the error's code).
pub(crate) async fn run_cycle(db: &DeskDb) -> Result<SyncSummary, SyncError> {
    let started = now();
    let result = match db.call(|store| plkk_store::enrolment(store)).await? {
        None => Err(SyncError::NotEnrolled),
        Some(enrolment) => {
            db.call(move |store| plkk_store::record_sync_attempt(store, started))
                .await?;
            push_and_pull(db, &enrolment).await
        }
    };
    match &result {
        Ok(summary) => {
            let offset = summary.clock_offset_seconds;
            db.call(move |store| plkk_store::record_sync_success(store, now(), offset))
                .await?;
            tracing::info!(?summary, "sync cycle done");
        }
        Err(error) => {
            let (code, message) = (error.code(), error.to_string());
            tracing::warn!(code, %message, "sync cycle failed");
            db.call(move |store| plkk_store::record_sync_failure(store, now(), code, &message))
                .await?;
        }
    }
    result
}

async fn push_and_pull(db: &DeskDb, enrolment: &Enrolment) -> Result<SyncSummary, SyncError> {
    let enrolment = &take_new_identity(db, enrolment).await?;
    let address = BranchAddress::parse(&enrolment.branch_url)?;
    let client = BranchClient::new(
        address,
        enrolment.ca_cert_pem.as_deref(),
        Some(enrolment.token.clone()),
    )?;
    let mut summary = SyncSummary::default();
    let mut link = db
        .call(|store| plkk_store::sync_link(store))
        .await?
        .map(Link::from)
        .unwrap_or_default();
    let audit_refused = crate::push::push_all(db, &client, &mut link, &mut summary).await?;
    pull(db, &client, &link, enrolment.device_id, &mut summary).await?;
    // Documents' bytes go after every case record (pushed above) and the pull.
    crate::documents::upload_documents(db, &client, &link, &mut summary).await?;
    if let Some(refusal) = audit_refused {
        return Err(refusal);
    }
    let counts = db.call(|store| plkk_store::sync_counts(store)).await?;
    summary.pending = counts.pending + counts.sent;
    summary.quarantined = counts.rejected;
    summary.in_conflict = counts.conflict;
    if let Some(offset) = summary.clock_offset_seconds {
        if offset.abs() > CLOCK_SKEW_WARNING_SECONDS {
            tracing::warn!(offset, "the desk's clock is far from the branch's");
        }
    }
    Ok(summary)
}

/// A desk restored from a backup first asks the branch for a new identity (the old one sent
/// what came after the backup; see `plkk_store::replace_enrolment`). Otherwise the enrolment
/// as it is.
async fn take_new_identity(db: &DeskDb, enrolment: &Enrolment) -> Result<Enrolment, SyncError> {
    let Some(backup_made_at) = db.call(|store| plkk_store::restored_device(store)).await? else {
        return Ok(enrolment.clone());
    };
    let address = BranchAddress::parse(&enrolment.branch_url)?;
    let client = BranchClient::new(
        address,
        enrolment.ca_cert_pem.as_deref(),
        Some(enrolment.token.clone()),
    )?;
    let answer = client.restored(&RestoredRequest { backup_made_at }).await?;
    let replacement = Enrolment {
        device_id: answer.device_id,
        token: answer.token,
        enrolled_at: answer.server_time,
        ..enrolment.clone()
    };
    let stored = replacement.clone();
    db.call(move |store| plkk_store::replace_enrolment(store, &stored))
        .await?;
    tracing::info!(old = %enrolment.device_id, new = %replacement.device_id, "restored desk has a new identity at the branch");
    Ok(replacement)
}

async fn pull(
    db: &DeskDb,
    client: &BranchClient,
    link: &Link,
    device_id: Uuid,
    summary: &mut SyncSummary,
) -> Result<(), SyncError> {
    let mut cursor = db.call(|store| plkk_store::sync_cursor(store)).await?;
    // What is still unconfirmed after the push: the branch console shows it per desk.
    let waiting = db
        .call(|store| plkk_store::sync_counts(store))
        .await?
        .unconfirmed();
    let rows = link.pull_rows();
    let timeout = link.timeout_for(rows as usize * 1024);
    loop {
        let page = client.changes(cursor, rows, waiting, timeout).await?;
        summary.clock_offset_seconds = Some(offset_from(page.server_time));
        let next_cursor = page.next_cursor.max(cursor);
        let changes = page.changes;
        let stored = now();
        let tally = db
            .call(move |store| {
                plkk_store::apply_changes(store, &changes, next_cursor, device_id, stored)
            })
            .await?;
        summary.pulled += tally.records + tally.statuses + tally.conflicts;
        if tally.skipped > 0 {
            tracing::warn!(
                skipped = tally.skipped,
                "pulled records that could not be stored"
            );
        }
        if !page.has_more || next_cursor == cursor {
            return Ok(());
        }
        cursor = next_cursor;
    }
}

pub(crate) fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

pub(crate) fn offset_from(server_time: DateTime<Utc>) -> i64 {
    (server_time - Utc::now()).num_seconds()
}
