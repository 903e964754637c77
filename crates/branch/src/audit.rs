//! Desks' audit logs at the branch: each device's hash chain, stored exactly once by (device, seq)
//! and checked link by link as entries arrive, whether they came in full (`POST /audit`) or
//! compactly with a push (`unpack` gives back the very entries the desk holds, then the same
//! checks). An entry sent again with the same hash is a no-op;
//! with another hash it is not stored and is flagged `changed_after_sent` (the branch keeps what it
//! got first). A new entry is checked with `plkk_domain::check_link` against its stored
//! predecessor and its stored successor, so every link is checked once, when the later of its two
//! entries arrives; a break is recorded (and answered) and the entry is still stored, so nothing
//! is lost. An entry that arrives without its predecessor is flagged `missing`: desks send their
//! chain consecutively, so a gap means the desk's log lacked the entry when it sent. The recorded
//! break stays even if the entry turns up later. `acked_seq` (all of 1..=seq held) is kept per
//! device in `audit_acked` and advanced as entries arrive, never recomputed by a scan.

use crate::sql::{params, Db, Insert, OptionalExtension, Row, TransactionBehavior};
use chrono::{DateTime, Utc};
use plkk_domain::limits;
use plkk_domain::{check_link, AuditEntry, ChainBreak};
use plkk_protocol::{
    AuditBatch, AuditBreak, AuditPushResponse, AuditRecord, FieldIssue, MAX_AUDIT_LINES_PER_PUSH,
    MAX_ENTRIES_PER_PUSH,
};
use serde::Serialize;
use uuid::Uuid;

use crate::db::time_text;
use crate::push::Device;
use crate::BranchError;

/// The break kind of an entry resent with other content than the branch stored first.
pub const CHANGED_AFTER_SENT: &str = "changed_after_sent";

#[derive(Debug, thiserror::Error)]
pub(crate) enum AuditError {
    /// The request breaks the wire contract; nothing was stored. The issues name the fields.
    #[error("{message}")]
    Invalid {
        message: String,
        issues: Vec<FieldIssue>,
    },
    #[error(transparent)]
    Branch(#[from] BranchError),
}

impl From<crate::sql::SqlError> for AuditError {
    fn from(error: crate::sql::SqlError) -> Self {
        AuditError::Branch(error.into())
    }
}

/// One stored audit entry, as the administrator lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredAuditEntry {
    pub seq: i64,
    /// The desk's clock, RFC 3339 with its offset.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
    /// When the branch stored it (RFC 3339 UTC).
    pub received_at: String,
}

/// The state of one device's audit chain at the branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditChainReport {
    pub device_id: Uuid,
    pub clinic_code: String,
    pub device_name: String,
    /// Entries held.
    pub entries: u64,
    /// The highest seq such that 1..=seq are all held.
    pub acked_seq: i64,
    /// Breaks recorded when entries arrived.
    pub breaks_recorded: u64,
    /// The break at the lowest seq, from the recorded breaks and a fresh walk of the stored chain.
    pub first_break: Option<AuditBreak>,
}

impl AuditChainReport {
    pub fn is_sound(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Where a push's audit entries are in the request, for the fields its refusals name:
/// `entries[3].actor` in `POST /audit`, `audit.lines[3].actor` in `POST /push`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    InFull,
    WithPush,
}

impl Sent {
    fn field(self, index: usize, name: &str) -> String {
        match self {
            Sent::InFull => format!("entries[{index}].{name}"),
            Sent::WithPush => format!("audit.lines[{index}].{name}"),
        }
    }

    fn list(self) -> &'static str {
        match self {
            Sent::InFull => "entries",
            Sent::WithPush => "audit.lines",
        }
    }

    /// The most entries one request may carry this way.
    fn most(self) -> usize {
        match self {
            Sent::InFull => MAX_ENTRIES_PER_PUSH,
            Sent::WithPush => MAX_AUDIT_LINES_PER_PUSH,
        }
    }
}

/// Checks a push against the wire contract: at most [`MAX_ENTRIES_PER_PUSH`] entries in full
/// ([`MAX_AUDIT_LINES_PER_PUSH`] riding along with a push), each with
/// seq >= 1, an actor and an action, every text within its length (`limits::AUDIT_ENTRY`), and
/// hashes of 64 lowercase hex digits.
pub(crate) fn validate(entries: &[AuditRecord], sent: Sent) -> Result<(), AuditError> {
    let mut issues = Vec::new();
    let mut too_long = Vec::new();
    let mut issue = |field: String, rule: &str, why: &str| {
        issues.push(FieldIssue {
            message: format!("{field}: {why}"),
            field,
            rule: rule.to_owned(),
            severity: "error".to_owned(),
            params: Default::default(),
        });
    };
    if entries.len() > sent.most() {
        issue(
            sent.list().to_owned(),
            "too_many",
            &format!("at most {} per push, got {}", sent.most(), entries.len()),
        );
    } else {
        for (index, entry) in entries.iter().enumerate() {
            let field = |name: &str| sent.field(index, name);
            if entry.seq < 1 {
                issue(field("seq"), "seq_range", "must be 1 or more");
            }
            if entry.actor.trim().is_empty() {
                issue(field("actor"), "required", "is required");
            }
            if entry.action.trim().is_empty() {
                issue(field("action"), "required", "is required");
            }
            let texts = [
                ("actor", Some(&entry.actor)),
                ("action", Some(&entry.action)),
                ("subject", entry.subject.as_ref()),
                ("detail", Some(&entry.detail)),
            ];
            for (name, text) in texts {
                let (Some(text), Some(limit)) = (text, limits::find(limits::AUDIT_ENTRY, name))
                else {
                    continue;
                };
                let limit = limits::TextLimit { min: 0, ..limit };
                if let Some(refusal) = limits::refusal_of(&field(name), limit, text) {
                    too_long.push(FieldIssue::of(&refusal));
                }
            }
            for (name, value) in [("prev_hash", &entry.prev_hash), ("hash", &entry.hash)] {
                if !is_sha256_hex(value) {
                    issue(
                        field(name),
                        "hash_format",
                        "must be a SHA-256 as 64 lowercase hex digits",
                    );
                }
            }
        }
    }
    issues.extend(too_long);
    let Some(first) = issues.first() else {
        return Ok(());
    };
    let message = match issues.len() {
        1 => first.message.clone(),
        2 => format!("{} (and 1 more problem)", first.message),
        more => format!("{} (and {} more problems)", first.message, more - 1),
    };
    Err(AuditError::Invalid { message, issues })
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Stores a push of `device`'s audit entries in one transaction, in order, and answers how far
/// its chain is held and the breaks found. An invalid push stores nothing.
pub(crate) fn store_audit(
    conn: &mut Db,
    device: Device,
    entries: &[AuditRecord],
    now: DateTime<Utc>,
) -> Result<AuditPushResponse, AuditError> {
    validate(entries, Sent::InFull)?;
    Ok(store_valid(conn, device, entries, now)?)
}

/// The records a push's compact [`AuditBatch`] stands for, checked like entries sent in full
/// (nothing is stored here: the push stores them after its records, in the same transaction, with
/// [`store_valid_in`]).
pub(crate) fn unpack(batch: &AuditBatch) -> Result<Vec<AuditRecord>, AuditError> {
    let invalid = |field: String, rule: &str, message: String| AuditError::Invalid {
        issues: vec![FieldIssue {
            field,
            rule: rule.to_owned(),
            severity: "error".to_owned(),
            message: message.clone(),
            params: Default::default(),
        }],
        message,
    };
    if batch.lines.len() > MAX_AUDIT_LINES_PER_PUSH {
        return Err(invalid(
            "audit.lines".to_owned(),
            "too_many",
            format!(
                "audit.lines: at most {MAX_AUDIT_LINES_PER_PUSH} per push, got {}",
                batch.lines.len()
            ),
        ));
    }
    let records = batch
        .unpack(record_hash)
        .map_err(|error| invalid(error.field, "invalid_body", error.message))?;
    validate(&records, Sent::WithPush)?;
    Ok(records)
}

/// Stores entries already checked with [`validate`].
pub(crate) fn store_valid(
    conn: &mut Db,
    device: Device,
    entries: &[AuditRecord],
    now: DateTime<Utc>,
) -> Result<AuditPushResponse, BranchError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let answer = store_valid_in(&tx, device, entries, now)?;
    tx.commit()?;
    log_breaks(device, &answer);
    Ok(answer)
}

/// Logs the breaks a committed push of audit entries found.
pub(crate) fn log_breaks(device: Device, answer: &AuditPushResponse) {
    for found in &answer.breaks {
        tracing::warn!(device = %device.id, seq = found.seq, kind = %found.kind, "audit chain break: {}", found.message);
    }
}

/// [`store_valid`] inside the caller's write transaction (a push stores its records and its audit
/// entries in one); the caller logs the breaks once it has committed.
pub(crate) fn store_valid_in(
    tx: &Db,
    device: Device,
    entries: &[AuditRecord],
    now: DateTime<Utc>,
) -> Result<AuditPushResponse, BranchError> {
    let device_id = device.id.to_string();
    // Two servers given the same device's entries check neighbours one after the other.
    tx.lock(&format!("audit {device_id}"))?;
    // The stored entries around this push, read once: every neighbour a check looks at (seq − 1
    // and seq + 1 of each entry) lies in this range, so the checks cost no further query.
    let mut near = Neighbourhood::read(tx, &device_id, entries)?;
    let mut breaks = Vec::new();
    let mut inserts = Insert::new(
        "INSERT INTO audit_entries (device_id, seq, at, actor, action, subject, detail, \
         prev_hash, hash, received_at)",
        10,
    );
    let received_at = time_text(now);
    for record in entries {
        let entry = to_entry(record);
        match near.get(entry.seq) {
            Some(stored) if stored.hash == entry.hash => continue,
            Some(stored) => {
                breaks.push(changed_after_sent(stored, &entry));
                continue;
            }
            None => {}
        }
        inserts.row(entry_row(&device_id, &entry, &received_at));
        if let Some(found) = check_predecessor(near.get(entry.seq - 1), &entry) {
            breaks.push(to_wire(found));
        }
        if let Some(next) = entry.seq.checked_add(1).and_then(|next| near.get(next)) {
            // The successor's own content was checked when it arrived; here only the link.
            if next.computed_hash() == next.hash {
                if let Err(found) = check_link(Some(&entry), next) {
                    breaks.push(to_wire(found));
                }
            }
        }
        near.stored(entry);
    }
    inserts.write(tx)?;
    for found in &breaks {
        record_break(tx, &device_id, found, now)?;
    }
    let acked_seq = advance_acked(tx, &device_id, &near)?;
    Ok(AuditPushResponse { acked_seq, breaks })
}

/// The stored entries of one device from just before a push's first seq to just after its last,
/// and the entries the push stores as it goes.
struct Neighbourhood {
    low: i64,
    high: i64,
    entries: std::collections::HashMap<i64, AuditEntry>,
}

impl Neighbourhood {
    fn read(tx: &Db, device_id: &str, records: &[AuditRecord]) -> Result<Self, BranchError> {
        let seqs = records.iter().map(|record| record.seq);
        let low = seqs.clone().min().unwrap_or(1).saturating_sub(1);
        let high = seqs.max().unwrap_or(0).saturating_add(1);
        let mut statement = tx.prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_entries
             WHERE device_id = ?1 AND seq BETWEEN ?2 AND ?3"
        ))?;
        let mut rows = statement.query(params![device_id, low, high])?;
        let mut entries = std::collections::HashMap::new();
        while let Some(row) = rows.next()? {
            let (entry, _) = read_entry(row)?;
            entries.insert(entry.seq, entry);
        }
        Ok(Neighbourhood { low, high, entries })
    }

    /// The stored entry at `seq`; only asked within the range read.
    fn get(&self, seq: i64) -> Option<&AuditEntry> {
        debug_assert!((self.low..=self.high).contains(&seq));
        self.entries.get(&seq)
    }

    fn stored(&mut self, entry: AuditEntry) {
        self.entries.insert(entry.seq, entry);
    }

    /// Whether `seq` is held: from memory within the range, else `None` (ask the database).
    fn holds(&self, seq: i64) -> Option<bool> {
        (self.low..=self.high)
            .contains(&seq)
            .then(|| self.entries.contains_key(&seq))
    }
}

/// The break between `entry` and `prev`, the entry stored before it (if any).
fn check_predecessor(prev: Option<&AuditEntry>, entry: &AuditEntry) -> Option<ChainBreak> {
    if entry.seq == 1 {
        return check_link(None, entry).err();
    }
    if let Some(prev) = prev {
        return check_link(Some(prev), entry).err();
    }
    if entry.computed_hash() != entry.hash {
        // check_link reports a modified entry first, whatever comes before it.
        return check_link(None, entry).err();
    }
    Some(ChainBreak {
        seq: entry.seq,
        kind: plkk_domain::BreakKind::Missing,
        message: format!(
            "audit entry {} arrived without entry {}: entries were removed before it",
            entry.seq,
            entry.seq - 1
        ),
    })
}

fn changed_after_sent(stored: &AuditEntry, resent: &AuditEntry) -> AuditBreak {
    AuditBreak {
        seq: resent.seq,
        kind: CHANGED_AFTER_SENT.to_owned(),
        message: format!(
            "audit entry {} ({} by {} at {}) was sent again with other content: the desk's log changed after it was sent; the branch keeps the first",
            stored.seq,
            stored.action,
            stored.actor,
            stored.at.to_rfc3339()
        ),
    }
}

fn to_wire(found: ChainBreak) -> AuditBreak {
    AuditBreak {
        seq: found.seq,
        kind: found.kind.as_str().to_owned(),
        message: found.message,
    }
}

/// The hash a record's content should have (the desk's chain rule, `plkk_domain`).
fn record_hash(record: &AuditRecord) -> String {
    to_entry(record).computed_hash()
}

fn to_entry(record: &AuditRecord) -> AuditEntry {
    AuditEntry {
        seq: record.seq,
        at: record.at,
        actor: record.actor.clone(),
        action: record.action.clone(),
        subject: record.subject.clone(),
        detail: record.detail.clone(),
        prev_hash: record.prev_hash.clone(),
        hash: record.hash.clone(),
    }
}

const ENTRY_COLUMNS: &str = "seq, at, actor, action, subject, detail, prev_hash, hash";

fn read_entry(row: &Row) -> crate::sql::Result<(AuditEntry, String)> {
    let at: String = row.get(1)?;
    let parsed = DateTime::parse_from_rfc3339(&at).map_err(|error| crate::sql::SqlError::Type {
        column: 1,
        message: format!("{at:?} is not RFC 3339: {error}"),
    })?;
    let entry = AuditEntry {
        seq: row.get(0)?,
        at: parsed,
        actor: row.get(2)?,
        action: row.get(3)?,
        subject: row.get(4)?,
        detail: row.get(5)?,
        prev_hash: row.get(6)?,
        hash: row.get(7)?,
    };
    Ok((entry, at))
}

/// The values of an `audit_entries` row for `entry`, received at `received_at`.
fn entry_row(device_id: &str, entry: &AuditEntry, received_at: &str) -> Vec<crate::sql::Value> {
    params![
        device_id,
        entry.seq,
        // The text the hash covers: parsing it back gives the same hash.
        entry.at.to_rfc3339(),
        entry.actor,
        entry.action,
        entry.subject,
        entry.detail,
        entry.prev_hash,
        entry.hash,
        received_at,
    ]
}

fn record_break(
    tx: &Db,
    device_id: &str,
    found: &AuditBreak,
    now: DateTime<Utc>,
) -> Result<(), BranchError> {
    tx.prepare_cached(
        "INSERT INTO audit_breaks (device_id, seq, kind, message, found_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (device_id, seq, kind) DO NOTHING",
    )?
    .execute(params![
        device_id,
        found.seq,
        found.kind,
        found.message,
        time_text(now)
    ])?;
    Ok(())
}

/// Moves the device's `acked_seq` past every entry now held without a gap, and returns it. Each
/// seq is passed once over the chain's life, so a push costs its own entries, not the chain's.
fn advance_acked(tx: &Db, device_id: &str, near: &Neighbourhood) -> Result<i64, BranchError> {
    let was = acked_seq(tx, device_id)?;
    let mut acked = was;
    let mut held = tx.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM audit_entries WHERE device_id = ?1 AND seq = ?2)",
    )?;
    loop {
        let next = acked + 1;
        let is_held = match near.holds(next) {
            Some(known) => known,
            None => held.query_row(params![device_id, next], |row| row.get::<bool>(0))?,
        };
        if !is_held {
            break;
        }
        acked = next;
    }
    if acked != was {
        tx.prepare_cached(
            "INSERT INTO audit_acked (device_id, acked_seq) VALUES (?1, ?2)
             ON CONFLICT (device_id) DO UPDATE SET acked_seq = excluded.acked_seq",
        )?
        .execute(params![device_id, acked])?;
    }
    Ok(acked)
}

fn acked_seq(conn: &Db, device_id: &str) -> Result<i64, BranchError> {
    Ok(conn
        .prepare_cached("SELECT acked_seq FROM audit_acked WHERE device_id = ?1")?
        .query_row([device_id], |row| row.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Walks the device's stored chain by seq with `plkk_domain::check_link` (as `verify_chain` does,
/// without holding the whole chain in memory): the number of entries, or the first bad one.
/// Entries refused as `changed_after_sent` are not stored, so only the recorded breaks show them.
pub(crate) fn verify_device_chain(
    conn: &Db,
    device_id: Uuid,
) -> Result<Result<usize, ChainBreak>, BranchError> {
    let mut statement = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_entries WHERE device_id = ?1 ORDER BY seq"
    ))?;
    let mut rows = statement.query([device_id.to_string()])?;
    let mut prev: Option<AuditEntry> = None;
    let mut count = 0;
    while let Some(row) = rows.next()? {
        let (entry, _) = read_entry(row)?;
        if let Err(found) = check_link(prev.as_ref(), &entry) {
            return Ok(Err(found));
        }
        prev = Some(entry);
        count += 1;
    }
    Ok(Ok(count))
}

/// The report of one device's chain: counts, `acked_seq`, and the first break, recorded or found
/// by a fresh walk (the lower seq; a recorded one on a tie).
pub(crate) fn chain_report(
    conn: &Db,
    device_id: Uuid,
    clinic_code: String,
    device_name: String,
) -> Result<AuditChainReport, BranchError> {
    let id = device_id.to_string();
    let entries: u64 = conn.query_row(
        "SELECT count(*) FROM audit_entries WHERE device_id = ?1",
        [&id],
        |row| row.get(0),
    )?;
    let breaks_recorded: u64 = conn.query_row(
        "SELECT count(*) FROM audit_breaks WHERE device_id = ?1",
        [&id],
        |row| row.get(0),
    )?;
    // The first recorded: SQLite's rowid, PostgreSQL's identity column, both in insert order.
    let first_break = match conn.dialect() {
        crate::sql::Dialect::Sqlite => {
            "SELECT seq, kind, message FROM audit_breaks WHERE device_id = ?1
             ORDER BY seq, rowid LIMIT 1"
        }
        crate::sql::Dialect::Postgres => {
            "SELECT seq, kind, message FROM audit_breaks WHERE device_id = ?1
             ORDER BY seq, id LIMIT 1"
        }
    };
    let recorded: Option<AuditBreak> = conn
        .query_row(first_break, [&id], |row| {
            Ok(AuditBreak {
                seq: row.get(0)?,
                kind: row.get(1)?,
                message: row.get(2)?,
            })
        })
        .optional()?;
    let walked = verify_device_chain(conn, device_id)?.err().map(to_wire);
    let first_break = match (recorded, walked) {
        (Some(recorded), Some(walked)) if walked.seq < recorded.seq => Some(walked),
        (Some(recorded), _) => Some(recorded),
        (None, walked) => walked,
    };
    Ok(AuditChainReport {
        device_id,
        clinic_code,
        device_name,
        entries,
        acked_seq: acked_seq(conn, &id)?,
        breaks_recorded,
        first_break,
    })
}

/// The device's stored entries, oldest first.
pub(crate) fn list_entries(
    conn: &Db,
    device_id: Uuid,
) -> Result<Vec<StoredAuditEntry>, BranchError> {
    let mut statement = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS}, received_at FROM audit_entries WHERE device_id = ?1 ORDER BY seq"
    ))?;
    let rows = statement
        .query_map([device_id.to_string()], |row| {
            let (entry, at) = read_entry(row)?;
            Ok(StoredAuditEntry {
                seq: entry.seq,
                at,
                actor: entry.actor,
                action: entry.action,
                subject: entry.subject,
                detail: entry.detail,
                prev_hash: entry.prev_hash,
                hash: entry.hash,
                received_at: row.get(8)?,
            })
        })?
        .collect::<crate::sql::Result<_>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use chrono::FixedOffset;
    use plkk_domain::GENESIS_HASH;

    use super::*;

    fn at() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-25T08:00:00.123+07:00").unwrap()
    }

    fn chain(length: usize) -> Vec<AuditRecord> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for index in 0..length {
            let prev = entries.last().map(|entry| (entry.seq, entry.hash.as_str()));
            let detail = format!("{{\"n\":{index}}}");
            entries.push(AuditEntry::next(
                prev,
                at(),
                "rina",
                "open_case",
                Some("case-1"),
                &detail,
            ));
        }
        entries.iter().map(to_record).collect()
    }

    fn to_record(entry: &AuditEntry) -> AuditRecord {
        AuditRecord {
            seq: entry.seq,
            at: entry.at,
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            subject: entry.subject.clone(),
            detail: entry.detail.clone(),
            prev_hash: entry.prev_hash.clone(),
            hash: entry.hash.clone(),
        }
    }

    /// A migrated in-memory branch with one clinic and one device.
    fn branch() -> (Db, Device) {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        crate::migrate::apply(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO clinics (id, code, name, created_at) VALUES (1, 'PLKK-01', 'Klinik', 'now')",
            [],
        )
        .unwrap();
        let device = Device {
            id: Uuid::now_v7(),
            clinic_id: 1,
        };
        conn.execute(
            "INSERT INTO devices (id, clinic_id, name, token_hash, enrolled_at) VALUES (?1, 1, 'Meja', 'x', 'now')",
            [device.id.to_string()],
        )
        .unwrap();
        (Db::Sqlite(conn), device)
    }

    fn push(conn: &mut Db, device: Device, entries: &[AuditRecord]) -> AuditPushResponse {
        store_audit(conn, device, entries, Utc::now()).unwrap()
    }

    fn kinds(response: &AuditPushResponse) -> Vec<(i64, &str)> {
        response
            .breaks
            .iter()
            .map(|found| (found.seq, found.kind.as_str()))
            .collect()
    }

    fn count(conn: &Db, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
    }

    fn report(conn: &Db, device: Device) -> AuditChainReport {
        chain_report(conn, device.id, "PLKK-01".into(), "Meja".into()).unwrap()
    }

    #[test]
    fn a_sound_chain_in_two_pushes_is_acked_whole_and_a_resend_changes_nothing() {
        let (mut conn, device) = branch();
        let entries = chain(5);
        assert_eq!(push(&mut conn, device, &entries[..2]).acked_seq, 2);
        let answer = push(&mut conn, device, &entries[2..]);
        assert_eq!((answer.acked_seq, answer.breaks.len()), (5, 0));
        let again = push(&mut conn, device, &entries);
        assert_eq!((again.acked_seq, again.breaks.len()), (5, 0));
        assert_eq!(count(&conn, "audit_entries"), 5);
        assert_eq!(verify_device_chain(&conn, device.id).unwrap(), Ok(5));
        let report = report(&conn, device);
        assert!(report.is_sound(), "{report:?}");
        assert_eq!((report.entries, report.acked_seq), (5, 5));
        // The stored text of `at` hashes as the desk hashed it.
        let listed = list_entries(&conn, device.id).unwrap();
        assert_eq!(listed[0].at, at().to_rfc3339());
    }

    #[test]
    fn an_entry_resent_with_other_content_is_not_stored_and_flagged() {
        let (mut conn, device) = branch();
        let entries = chain(3);
        push(&mut conn, device, &entries);
        let mut changed = entries[1].clone();
        changed.detail = "{\"n\":99}".into();
        changed.hash = to_entry(&changed).computed_hash();
        let answer = push(&mut conn, device, std::slice::from_ref(&changed));
        assert_eq!(kinds(&answer), vec![(2, CHANGED_AFTER_SENT)]);
        assert_eq!(answer.acked_seq, 3);
        assert_eq!(
            list_entries(&conn, device.id).unwrap()[1].hash,
            entries[1].hash
        );
        // Sent again: answered again, recorded once.
        push(&mut conn, device, std::slice::from_ref(&changed));
        assert_eq!(count(&conn, "audit_breaks"), 1);
        let first = report(&conn, device).first_break.unwrap();
        assert_eq!((first.seq, first.kind.as_str()), (2, CHANGED_AFTER_SENT));
    }

    #[test]
    fn an_altered_entry_is_stored_and_flagged_at_its_seq() {
        let (mut conn, device) = branch();
        let mut entries = chain(5);
        entries[2].actor = "someone".into();
        let answer = push(&mut conn, device, &entries);
        assert_eq!(kinds(&answer), vec![(3, "altered")]);
        assert_eq!(answer.acked_seq, 5, "nothing is lost");
        assert_eq!(
            verify_device_chain(&conn, device.id)
                .unwrap()
                .unwrap_err()
                .seq,
            3
        );
    }

    #[test]
    fn a_gap_is_missing_and_a_late_entry_is_checked_both_ways() {
        let (mut conn, device) = branch();
        let entries = chain(5);
        push(&mut conn, device, &entries[..2]);
        let answer = push(&mut conn, device, &entries[3..]);
        assert_eq!(kinds(&answer), vec![(4, "missing")]);
        assert_eq!(answer.acked_seq, 2);
        // A forged seq 3 that does not lead to the stored 4.
        let forged = AuditEntry::next(
            Some((2, entries[1].hash.as_str())),
            at(),
            "rina",
            "sign_in",
            None,
            "{}",
        );
        let answer = push(&mut conn, device, &[to_record(&forged)]);
        assert_eq!(kinds(&answer), vec![(4, "broken_link")]);
        assert_eq!(answer.acked_seq, 5);
        // The last seq there can be: stored, missing its predecessors, no overflow.
        let mut last = entries[4].clone();
        last.seq = i64::MAX;
        last.hash = to_entry(&last).computed_hash();
        let answer = push(&mut conn, device, &[last]);
        assert_eq!(kinds(&answer), vec![(i64::MAX, "missing")]);
    }

    #[test]
    fn a_first_entry_must_start_from_genesis() {
        let (mut conn, device) = branch();
        let mut first = chain(1).remove(0);
        first.prev_hash = "1".repeat(64);
        first.hash = to_entry(&first).computed_hash();
        let answer = push(&mut conn, device, &[first]);
        assert_eq!(kinds(&answer), vec![(1, "broken_link")]);
        assert_ne!(GENESIS_HASH, "1".repeat(64));
    }

    #[test]
    fn an_invalid_push_names_the_field_and_stores_nothing() {
        let (mut conn, device) = branch();
        let check = |entries: Vec<AuditRecord>, field: &str| {
            let (mut conn, device) = branch();
            match store_audit(&mut conn, device, &entries, Utc::now()) {
                Err(AuditError::Invalid { issues, message }) => {
                    assert_eq!(issues[0].field, field, "{message}");
                    assert!(message.starts_with(field), "{message}");
                }
                other => panic!("{field}: {other:?}"),
            }
            assert_eq!(count(&conn, "audit_entries"), 0);
        };
        check(chain(MAX_ENTRIES_PER_PUSH + 1), "entries");
        let mut entries = chain(3);
        entries[1].seq = 0;
        check(entries, "entries[1].seq");
        let mut entries = chain(3);
        entries[2].actor = " ".into();
        check(entries, "entries[2].actor");
        let mut entries = chain(3);
        entries[0].action = String::new();
        check(entries, "entries[0].action");
        let mut entries = chain(3);
        entries[2].hash = entries[2].hash.to_uppercase();
        check(entries, "entries[2].hash");
        let mut entries = chain(3);
        entries[1].prev_hash = "abc".into();
        check(entries, "entries[1].prev_hash");
        assert_eq!(
            push(&mut conn, device, &chain(MAX_ENTRIES_PER_PUSH)).acked_seq,
            MAX_ENTRIES_PER_PUSH as i64
        );
    }

    #[test]
    fn stored_audit_rows_cannot_be_changed() {
        let (mut conn, device) = branch();
        let mut entries = chain(2);
        entries[1].actor = "x".into();
        push(&mut conn, device, &entries);
        for sql in [
            "UPDATE audit_entries SET actor = 'y'",
            "DELETE FROM audit_entries",
            "UPDATE audit_breaks SET kind = 'missing'",
            "DELETE FROM audit_breaks",
        ] {
            assert!(conn.execute(sql, []).is_err(), "{sql}");
        }
    }
}
