//! Applying a pushed batch of outbox entries: each entry at most once (by entry id, and by record
//! id), validated with `plkk-domain`, in one transaction for the whole batch. A bad entry is
//! answered `rejected` without touching the others; a correction whose `from` values no longer
//! match is kept as a `conflict` once it passes every rule a correction must pass; an entry of
//! another clinic's case refuses the whole batch. Every text an entry carries (record fields,
//! `author`, a correction's `reason` and values) is held to `plkk_domain::limits` before anything
//! is stored.
//!
//! One module per kind it applies: `intake.rs`, `correction.rs`, `note.rs`, `bpu.rs` (a BPU
//! registration), `document.rs` (a case document's metadata and its removal); here the batch,
//! the repeat of an entry stored before, receipts, and the entry row and clinic change every kind
//! writes. Documents are not passed to the clinic's other desks (no `record` change).
//!
//! Several servers on one PostgreSQL database: a batch first locks its clinic's row (held to the
//! commit), so two servers given the same batch at once (a desk retrying through a load balancer)
//! apply it one after the other, and the second answers every entry from the receipts the first
//! committed (`earlier_receipt`), exactly once. Unique keys (entry id, record and kind) back this
//! up: a batch that still meets one taken by a concurrent commit, or a deadlock, is run again
//! from the start, and then finds the earlier receipts.
//!
//! Rules that depend on "now" are judged against the desk's own clock ([`Clocks`]), never the
//! branch's: a desk whose clock runs fast admits a patient "now" by its clock, and that admission
//! is valid. The desk's clock and its measured offset are kept with each stored entry.

use crate::sql::{params, Db, Dialect, Insert, OptionalExtension, TransactionBehavior, Value};
use chrono::{DateTime, FixedOffset, Utc};
use plkk_domain::limits::{self, RECORD_ENVELOPE};
use plkk_domain::{CaseCategory, Intake, Issue, Severity};
use plkk_protocol::{
    AuditPushResponse, AuditRecord, FieldIssue, Outcome, Payload, PushEntry, Receipt,
};
use uuid::Uuid;

use crate::changes;
use crate::db::time_text;
use crate::BranchError;

mod bpu;
mod correction;
mod document;
mod intake;
mod known;
mod note;
mod prepare;
mod writes;

use bpu::apply_registration;
use correction::apply_correction;
use document::{apply_document, apply_removal};
use intake::apply_intake;
use known::Known;
use note::apply_note;
pub(crate) use prepare::{prepare, Prepared};
use prepare::{EntryTimes, Ready};
use writes::Writes;

/// The device a request comes from, as authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Device {
    pub(crate) id: Uuid,
    pub(crate) clinic_id: i64,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum PushError {
    /// An entry concerns a case (or names an entry) of another clinic; nothing was stored.
    #[error("entry {entry_id} concerns a case of another clinic")]
    Forbidden { entry_id: Uuid },
    #[error(transparent)]
    Branch(#[from] BranchError),
}

impl From<crate::sql::SqlError> for PushError {
    fn from(error: crate::sql::SqlError) -> Self {
        PushError::Branch(error.into())
    }
}

impl From<serde_json::Error> for PushError {
    fn from(error: serde_json::Error) -> Self {
        PushError::Branch(error.into())
    }
}

/// The two clocks of a push: the branch's when the request arrived, and the desk's when it sent
/// it (`PushRequest::desk_time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clocks {
    pub(crate) branch: DateTime<Utc>,
    pub(crate) desk: Option<DateTime<FixedOffset>>,
}

impl Clocks {
    /// "Now" for the rules of a record the desk wrote at `written_at` (its clock): the later of
    /// when it wrote the record and when it sent it, both by the desk's clock. The desk checked
    /// the same rules against `written_at` when it saved; a later clock never refuses more, so
    /// the branch refuses nothing the desk accepted for its time alone, also when the desk's
    /// clock was put right between saving and sending. Without the desk's clock (a desk from
    /// before `desk_time`), the branch's stands in for it.
    pub(crate) fn for_record(&self, written_at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        let sent = self.desk.unwrap_or_else(|| self.branch.fixed_offset());
        written_at.max(sent).with_timezone(written_at.offset())
    }

    /// The desk's clock minus the branch's, in whole seconds (positive: the desk runs fast).
    pub(crate) fn desk_offset_seconds(&self) -> Option<i64> {
        self.desk
            .map(|desk| (desk.with_timezone(&Utc) - self.branch).num_seconds())
    }
}

/// How many times a batch is run again after losing a race to another server's commit.
const RACE_RETRIES: usize = 5;

/// Applies `entries` from `device` in one transaction and answers one receipt per entry, in order.
pub(crate) fn apply_batch(
    conn: &mut Db,
    device: Device,
    entries: &[PushEntry],
    clocks: Clocks,
) -> Result<Vec<Receipt>, PushError> {
    let prepared = prepare(entries, clocks)?;
    Ok(apply_push(conn, device, entries, &prepared, None)?.0)
}

/// Applies a push: its entries (`prepared` from them with [`prepare()`], at the push's clocks),
/// then the audit entries riding along (already checked with `audit::unpack`), in one
/// transaction, so the whole push costs one commit. Answers one receipt per entry, in order, and
/// the audit answer when audit entries came. A push that loses a race to another server's commit
/// (a unique key taken, a deadlock) is run again from the start, at most [`RACE_RETRIES`] times,
/// and then finds what the other commit stored.
pub(crate) fn apply_push(
    conn: &mut Db,
    device: Device,
    entries: &[PushEntry],
    prepared: &Prepared,
    audit: Option<&[AuditRecord]>,
) -> Result<(Vec<Receipt>, Option<AuditPushResponse>), PushError> {
    if entries.len() != prepared.entries.len() {
        return Err(BranchError::Stored(format!(
            "a push of {} entries prepared as {}",
            entries.len(),
            prepared.entries.len()
        ))
        .into());
    }
    let mut lost = 0;
    loop {
        match apply_push_once(conn, device, entries, prepared, audit) {
            Err(PushError::Branch(BranchError::Sql(error)))
                if lost < RACE_RETRIES && (error.is_unique_violation() || error.is_retryable()) =>
            {
                lost += 1;
                tracing::info!(%error, lost, "a push lost a race to another commit; running it again");
            }
            answer => return answer,
        }
    }
}

fn apply_push_once(
    conn: &mut Db,
    device: Device,
    entries: &[PushEntry],
    prepared: &Prepared,
    audit: Option<&[AuditRecord]>,
) -> Result<(Vec<Receipt>, Option<AuditPushResponse>), PushError> {
    let clocks = prepared.clocks;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.lock_clinic(device.clinic_id)?;
    let newest_case = crate::inbox::newest_case(&tx)?;
    let numbers = ReceiptNumbers::for_push(entries.len());
    let known = Known::read(&tx, entries)?;
    let writes = Writes::new();
    let mut receipts = Vec::with_capacity(entries.len());
    for (entry, ready) in entries.iter().zip(&prepared.entries) {
        let push = Push {
            device,
            clocks,
            times: &prepared.times,
            numbers: &numbers,
            known: &known,
            writes: &writes,
        };
        receipts.push(apply_entry(&tx, entry, ready, push)?);
    }
    writes.write(&tx)?;
    crate::inbox::index_names_after(&tx, newest_case)?;
    let audit = audit
        .map(|records| crate::audit::store_valid_in(&tx, device, records, clocks.branch))
        .transpose()?;
    tx.commit()?;
    if let Some(answer) = &audit {
        crate::audit::log_breaks(device, answer);
    }
    Ok((receipts, audit))
}

/// What every entry of a push is applied with.
#[derive(Clone, Copy)]
struct Push<'a> {
    device: Device,
    clocks: Clocks,
    times: &'a EntryTimes,
    numbers: &'a ReceiptNumbers,
    known: &'a Known,
    writes: &'a Writes,
}

impl Push<'_> {
    /// Stores an applied intake or note (`json` as `entries.entry` keeps it): its receipt
    /// numbered, its entry row and the clinic's `record` change left in `writes`. Answers the
    /// receipt and its number (the entry's seq).
    fn store(
        &self,
        tx: &Db,
        entry: &PushEntry,
        json: &str,
        warnings: &[Issue],
    ) -> Result<(Receipt, i64), PushError> {
        let receipt = applied(entry, self.clocks.branch, warnings, tx, self.numbers)?;
        let seq = self
            .writes
            .entry(self.device, entry, json, &receipt, self.times)?;
        self.writes.change(record_change(
            self.device,
            entry,
            seq,
            &self.times.received_at,
        ));
        Ok((receipt, seq))
    }
}

/// Applies one entry of a push. Intakes and notes leave their rows in `writes`; an entry of any
/// other kind first has them written, as it reads and writes the database itself.
fn apply_entry(
    tx: &Db,
    entry: &PushEntry,
    ready: &Ready,
    push: Push<'_>,
) -> Result<Receipt, PushError> {
    let Push {
        device,
        clocks,
        numbers,
        known,
        writes,
        ..
    } = push;
    if let Some(receipt) = known.earlier_receipt(device, entry)? {
        return Ok(receipt);
    }
    let case = known.case(tx, entry.intake_id)?;
    if case
        .as_ref()
        .is_some_and(|case| case.clinic_id != device.clinic_id)
    {
        return Err(PushError::Forbidden {
            entry_id: entry.entry_id,
        });
    }
    let batched = matches!(entry.payload, Payload::Intake(_) | Payload::Note(_));
    if !batched {
        writes.write(tx)?;
    }
    let receipt = match (&entry.payload, ready) {
        (Payload::Intake(payload), Ready::Intake { json, check }) => {
            apply_intake(tx, entry, payload, check, json, push)?
        }
        (Payload::Note(payload), Ready::Note { json, check }) => {
            apply_note(tx, entry, payload, check, json, push, case.as_ref())?
        }
        (Payload::Intake(_) | Payload::Note(_), _) => {
            return Err(BranchError::Stored(format!(
                "entry {}: prepared as another kind",
                entry.entry_id
            ))
            .into())
        }
        (Payload::IntakeCorrection(payload), _) => {
            let receipt = apply_correction(tx, device, entry, payload, clocks, numbers)?;
            known.case_changed(entry.intake_id);
            receipt
        }
        (Payload::BpuRegistration(payload), _) => {
            apply_registration(tx, device, entry, payload, clocks, numbers)?
        }
        (Payload::Document(payload), _) => {
            apply_document(tx, device, entry, payload, clocks, numbers)?
        }
        (Payload::DocumentRemoval(payload), _) => {
            apply_removal(tx, device, entry, payload, clocks, numbers)?
        }
    };
    if matches!(receipt.outcome, Outcome::Applied | Outcome::Conflict) {
        known.stored(device, entry, &receipt);
    }
    Ok(receipt)
}

/// `author` is required and at most `limits::USERNAME` characters.
pub(super) fn author_issues(author: &str) -> Vec<Issue> {
    let author = author.trim();
    if author.is_empty() {
        return vec![error_issue(
            "author",
            "required",
            "author: is required".to_owned(),
        )];
    }
    limits::refusal(RECORD_ENVELOPE, "author", author)
        .into_iter()
        .collect()
}

pub(super) fn applied(
    entry: &PushEntry,
    now: DateTime<Utc>,
    warnings: &[Issue],
    tx: &Db,
    numbers: &ReceiptNumbers,
) -> Result<Receipt, PushError> {
    Ok(Receipt {
        entry_id: entry.entry_id,
        outcome: Outcome::Applied,
        receipt: Some(numbers.next(tx)?),
        received_at: now,
        issues: warnings.iter().map(FieldIssue::of).collect(),
        conflicts: Vec::new(),
    })
}

pub(super) fn rejected(entry: &PushEntry, now: DateTime<Utc>, issues: Vec<Issue>) -> Receipt {
    Receipt {
        entry_id: entry.entry_id,
        outcome: Outcome::Rejected,
        receipt: None,
        received_at: now,
        issues: issues.iter().map(FieldIssue::of).collect(),
        conflicts: Vec::new(),
    }
}

/// The receipt numbers of one push's stored entries, inside its write transaction. On SQLite
/// (one writer) the next after the highest, read once and counted on from there: gap-free. On
/// PostgreSQL (several servers at once) a sequence's values, as many as the push has entries,
/// taken in one statement when the first is needed: a rejected or repeated entry, or a
/// rolled-back batch, leaves its number unused (a gap; numbers are unique and increasing, never
/// reused).
pub(super) struct ReceiptNumbers {
    wanted: usize,
    /// The numbers still to give, in the order they are given.
    left: std::cell::RefCell<std::collections::VecDeque<i64>>,
    /// SQLite: the number the next stored entry gets, once read.
    next: std::cell::Cell<Option<i64>>,
}

impl ReceiptNumbers {
    pub(super) fn for_push(entries: usize) -> ReceiptNumbers {
        ReceiptNumbers {
            wanted: entries.max(1),
            left: Default::default(),
            next: Default::default(),
        }
    }

    /// The number of the entry about to be stored.
    pub(super) fn next(&self, tx: &Db) -> crate::sql::Result<i64> {
        match tx.dialect() {
            Dialect::Sqlite => {
                let next = match self.next.get() {
                    Some(next) => next,
                    None => tx
                        .prepare_cached("SELECT coalesce(max(seq), 0) + 1 FROM entries")?
                        .query_row([], |row| row.get(0))?,
                };
                self.next.set(Some(next + 1));
                Ok(next)
            }
            Dialect::Postgres => {
                if self.left.borrow().is_empty() {
                    let wanted = i64::try_from(self.wanted).unwrap_or(i64::MAX);
                    let mut taken: Vec<i64> = tx
                        .prepare_cached(
                            "SELECT nextval('receipt_numbers')
                             FROM generate_series(1::bigint, ?1::bigint)",
                        )?
                        .query_map([wanted], |row| row.get(0))?
                        .collect::<crate::sql::Result<_>>()?;
                    taken.sort_unstable();
                    self.left.borrow_mut().extend(taken);
                }
                self.left
                    .borrow_mut()
                    .pop_front()
                    .ok_or(crate::sql::SqlError::NoRows)
            }
        }
    }
}

/// The statement an entry row is written with, and the values each row has.
const ENTRY_INSERT: &str = "INSERT INTO entries (seq, id, device_id, device_seq, kind, record_id, \
                            intake_id, outcome, entry, receipt, received_at, desk_time, \
                            desk_clock_offset_seconds)";
const ENTRY_COLUMNS: usize = 13;

/// Stores an applied (or conflicting) entry under its receipt number, which it returns. The
/// number is the receipt's, taken with [`ReceiptNumbers`]; no `RETURNING` (on SQLite that builds
/// a temporary table per row).
pub(super) fn store_entry(
    tx: &Db,
    device: Device,
    entry: &PushEntry,
    receipt: &Receipt,
    clocks: Clocks,
) -> Result<i64, PushError> {
    let json = serde_json::to_string(entry)?;
    let (seq, row) = entry_row(device, entry, &json, receipt, &EntryTimes::of(clocks))?;
    let mut insert = Insert::new(ENTRY_INSERT, ENTRY_COLUMNS);
    insert.row(row);
    insert.write(tx)?;
    Ok(seq)
}

/// The receipt number and [`ENTRY_INSERT`] values of an applied (or conflicting) entry (`json`
/// as `entries.entry` keeps it).
fn entry_row(
    device: Device,
    entry: &PushEntry,
    json: &str,
    receipt: &Receipt,
    times: &EntryTimes,
) -> Result<(i64, Vec<Value>), PushError> {
    let outcome = match receipt.outcome {
        Outcome::Conflict => "conflict",
        _ => "applied",
    };
    let seq = receipt.receipt.ok_or_else(|| {
        BranchError::Stored(format!(
            "entry {}: stored without a receipt number",
            entry.entry_id
        ))
    })?;
    let row = params![
        seq,
        entry.entry_id.to_string(),
        device.id.to_string(),
        entry.device_seq,
        entry.kind().as_str(),
        entry.record_id.to_string(),
        entry.intake_id.to_string(),
        outcome,
        json,
        serde_json::to_string(receipt)?,
        times.received_at,
        times.desk_time,
        times.desk_offset_seconds,
    ];
    Ok((seq, row))
}

/// The clinic's `record` change for the entry stored as `entry_seq`, written now (the feed
/// reads the entry from `entries`).
pub(super) fn emit_record(
    tx: &Db,
    device: Device,
    entry: &PushEntry,
    entry_seq: i64,
    now: DateTime<Utc>,
) -> Result<(), PushError> {
    tx.lock_clinic(device.clinic_id)?;
    let mut insert = Insert::new(changes::INSERT, changes::COLUMNS);
    insert.row(record_change(device, entry, entry_seq, &time_text(now)));
    insert.write(tx)?;
    Ok(())
}

/// The values of the clinic's `record` change for the entry stored as `entry_seq`, made at
/// `created_at` (as stored).
fn record_change(
    device: Device,
    entry: &PushEntry,
    entry_seq: i64,
    created_at: &str,
) -> Vec<Value> {
    changes::entry_row(
        device.clinic_id,
        entry.intake_id,
        device.id,
        entry_seq,
        created_at,
    )
}

/// What an entry is checked against in the branch's copy of its case: the clinic it belongs to
/// and its category (a note's rules depend on it), read in one statement.
#[derive(Debug, Clone)]
pub(super) struct KnownCase {
    intake_id: Uuid,
    pub(super) clinic_id: i64,
    category: Option<String>,
}

impl KnownCase {
    /// A case admitted in this push.
    pub(super) fn admitted(intake_id: Uuid, clinic_id: i64, category: CaseCategory) -> KnownCase {
        KnownCase {
            intake_id,
            clinic_id,
            category: Some(category.as_str().to_owned()),
        }
    }

    pub(super) fn category(&self) -> Result<CaseCategory, BranchError> {
        self.category
            .as_deref()
            .and_then(CaseCategory::parse)
            .ok_or_else(|| {
                BranchError::Stored(format!(
                    "case {}: case_category {:?}",
                    self.intake_id, self.category
                ))
            })
    }
}

/// The branch's case `intake_id`, if it has it (read by [`Known::case`] when it was not read
/// with the push's others).
fn known_case(conn: &Db, intake_id: Uuid) -> crate::sql::Result<Option<KnownCase>> {
    // The one JSON path read in SQL: each database names it in its own way.
    let sql = match conn.dialect() {
        Dialect::Sqlite => {
            "SELECT clinic_id, json_extract(record, '$.case_category') FROM cases
             WHERE intake_id = ?1"
        }
        Dialect::Postgres => {
            "SELECT clinic_id, record::jsonb ->> 'case_category' FROM cases WHERE intake_id = ?1"
        }
    };
    conn.prepare_cached(sql)?
        .query_row([intake_id.to_string()], |row| {
            Ok(KnownCase {
                intake_id,
                clinic_id: row.get(0)?,
                category: row.get(1)?,
            })
        })
        .optional()
}

/// The current values of a case (admission + applied corrections).
pub(crate) fn current_intake(conn: &Db, intake_id: Uuid) -> Result<Option<Intake>, BranchError> {
    let record: Option<String> = conn
        .prepare_cached("SELECT record FROM cases WHERE intake_id = ?1")?
        .query_row([intake_id.to_string()], |row| row.get(0))
        .optional()?;
    Ok(record.map(|text| serde_json::from_str(&text)).transpose()?)
}

pub(super) fn error_issue(field: &str, rule: &str, message: String) -> Issue {
    Issue {
        field: field.to_owned(),
        rule: rule.to_owned(),
        severity: Severity::Error,
        message,
        params: Default::default(),
    }
}

pub(super) fn mismatch(field: &str, why: &str) -> Vec<Issue> {
    vec![error_issue(
        field,
        "intake_mismatch",
        format!("{field}: {why}"),
    )]
}

pub(super) fn intake_missing(intake_id: Uuid) -> Vec<Issue> {
    vec![error_issue(
        "intake_id",
        "not_found",
        format!("intake_id: the branch has no case {intake_id} (its intake must be sent first)"),
    )]
}
