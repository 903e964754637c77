//! The compact form of a desk's audit entries inside a push ([`AuditBatch`]). Most of a desk's
//! upload used to be its audit log sent in full; here every actor is named once, consecutive
//! entries carry no seq, an empty `detail` is left out, and so is what the branch recomputes
//! exactly: an entry's `hash` when it is the hash of its content, and its `prev_hash` when it is the
//! previous line's hash. [`AuditBatch::unpack`] gives back exactly the [`AuditRecord`]s that
//! [`AuditBatch::pack`] was given (an altered entry keeps its stored hash, a reordered or replaced
//! one its stored `prev_hash`), so the branch checks the chain as it checks entries sent in full.
//! The hash function is passed in: it lives in `plkk-domain` (`AuditEntry::computed_hash`), and this
//! crate does no hashing.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::{AuditRecord, MAX_AUDIT_LINES_PER_PUSH};

/// Consecutive audit entries of one desk, oldest first, in compact form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AuditBatch {
    /// The seq of the first line.
    pub first_seq: i64,
    /// The first line's `prev_hash`: the hash of the entry before it on the desk (64 lowercase hex
    /// digits; the genesis hash of zeros for seq 1).
    pub prev_hash: String,
    /// Every actor (username) of the lines, once; a line names its actor by index (at most
    /// [`MAX_AUDIT_LINES_PER_PUSH`]).
    #[serde(deserialize_with = "crate::bounded::vec::<_, _, MAX_AUDIT_LINES_PER_PUSH>")]
    pub actors: Vec<String>,
    /// At most [`MAX_AUDIT_LINES_PER_PUSH`] lines.
    #[serde(deserialize_with = "crate::bounded::vec::<_, _, MAX_AUDIT_LINES_PER_PUSH>")]
    pub lines: Vec<AuditLine>,
}

/// One audit entry in an [`AuditBatch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AuditLine {
    /// Only when this entry does not follow the previous line (the desk's log skips a seq).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// When it happened, by the desk's clock.
    pub at: DateTime<FixedOffset>,
    /// Index into the batch's `actors`.
    pub actor: u32,
    /// The audit action (`AuditAction::as_str`).
    pub action: String,
    /// What it was about (a case id, a username), when anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// JSON text, hashed as written; absent for `{}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Only when the desk's stored hash is not the hash of this content (an altered entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Only when it is not the previous line's hash (a reordered or replaced entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_hash: Option<String>,
}

/// A batch that names what it does not hold. `field` is the path in the request, e.g.
/// `audit.lines[3].actor`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UnpackError {
    /// The path of what is missing or wrong.
    pub field: String,
    /// What is wrong, for people.
    pub message: String,
}

/// `detail` of an entry that says nothing more.
const EMPTY_DETAIL: &str = "{}";

impl AuditBatch {
    /// The compact form of `records` (consecutive entries of one desk, oldest first); `None` for
    /// none. `computed_hash` is the hash a record's content should have.
    pub fn pack(
        records: &[AuditRecord],
        computed_hash: impl Fn(&AuditRecord) -> String,
    ) -> Option<AuditBatch> {
        let first = records.first()?;
        let mut actors: Vec<String> = Vec::new();
        let mut lines = Vec::with_capacity(records.len());
        let mut previous: Option<&AuditRecord> = None;
        for record in records {
            let actor = match actors.iter().position(|known| *known == record.actor) {
                Some(index) => index,
                None => {
                    actors.push(record.actor.clone());
                    actors.len() - 1
                }
            };
            let follows =
                previous.is_some_and(|previous| previous.seq.checked_add(1) == Some(record.seq));
            let linked = match previous {
                Some(previous) => previous.hash == record.prev_hash,
                None => true,
            };
            lines.push(AuditLine {
                seq: (previous.is_some() && !follows).then_some(record.seq),
                at: record.at,
                actor: u32::try_from(actor).unwrap_or(u32::MAX),
                action: record.action.clone(),
                subject: record.subject.clone(),
                detail: (record.detail != EMPTY_DETAIL).then(|| record.detail.clone()),
                hash: (computed_hash(record) != record.hash).then(|| record.hash.clone()),
                prev_hash: (!linked).then(|| record.prev_hash.clone()),
            });
            previous = Some(record);
        }
        Some(AuditBatch {
            first_seq: first.seq,
            prev_hash: first.prev_hash.clone(),
            actors,
            lines,
        })
    }

    /// Keeps the first `lines` lines, and only the actors they name: the batch `pack` gives for
    /// the first `lines` records it was packed from (actors are numbered in order of first
    /// appearance, so the lines kept name a prefix of them).
    pub fn truncate(&mut self, lines: usize) {
        self.lines.truncate(lines);
        let named = self.lines.iter().map(|line| line.actor).max();
        self.actors
            .truncate(named.map_or(0, |actor| actor as usize + 1));
    }

    /// The records this batch was packed from.
    pub fn unpack(
        &self,
        computed_hash: impl Fn(&AuditRecord) -> String,
    ) -> Result<Vec<AuditRecord>, UnpackError> {
        let mut records: Vec<AuditRecord> = Vec::with_capacity(self.lines.len());
        for (index, line) in self.lines.iter().enumerate() {
            let field = |name: &str| format!("audit.lines[{index}].{name}");
            let actor = usize::try_from(line.actor)
                .ok()
                .and_then(|actor| self.actors.get(actor))
                .ok_or_else(|| UnpackError {
                    field: field("actor"),
                    message: format!(
                        "{}: no actor {} (the batch lists {})",
                        field("actor"),
                        line.actor,
                        self.actors.len()
                    ),
                })?;
            let (seq, prev_hash) = match records.last() {
                None => (
                    line.seq.unwrap_or(self.first_seq),
                    line.prev_hash
                        .clone()
                        .unwrap_or_else(|| self.prev_hash.clone()),
                ),
                Some(previous) => {
                    let seq = match line.seq {
                        Some(seq) => seq,
                        None => previous.seq.checked_add(1).ok_or_else(|| UnpackError {
                            field: field("seq"),
                            message: format!("{}: follows the largest seq there is", field("seq")),
                        })?,
                    };
                    (
                        seq,
                        line.prev_hash
                            .clone()
                            .unwrap_or_else(|| previous.hash.clone()),
                    )
                }
            };
            let mut record = AuditRecord {
                seq,
                at: line.at,
                actor: actor.clone(),
                action: line.action.clone(),
                subject: line.subject.clone(),
                detail: line
                    .detail
                    .clone()
                    .unwrap_or_else(|| EMPTY_DETAIL.to_owned()),
                prev_hash,
                hash: String::new(),
            };
            record.hash = match &line.hash {
                Some(hash) => hash.clone(),
                None => computed_hash(&record),
            };
            records.push(record);
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{DefaultHasher, Hash, Hasher};

    /// A stand-in for the domain's SHA-256: any function of the content and `prev_hash` will do.
    fn content_hash(record: &AuditRecord) -> String {
        let mut hasher = DefaultHasher::new();
        (
            record.seq,
            record.at.to_rfc3339(),
            &record.actor,
            &record.action,
            &record.subject,
            &record.detail,
            &record.prev_hash,
        )
            .hash(&mut hasher);
        format!("{:064x}", u128::from(hasher.finish()))
    }

    fn chain(length: i64) -> Vec<AuditRecord> {
        let at = DateTime::parse_from_rfc3339("2026-11-25T08:00:00+07:00").unwrap();
        let mut records: Vec<AuditRecord> = Vec::new();
        for seq in 1..=length {
            let mut record = AuditRecord {
                seq,
                at: at + chrono::Duration::seconds(seq),
                actor: if seq % 3 == 0 { "sari" } else { "rina" }.to_owned(),
                action: "add_note".to_owned(),
                subject: Some("0193b0a2-0000-7000-8000-000000000001".to_owned()),
                detail: if seq % 2 == 0 {
                    "{}".to_owned()
                } else {
                    format!("{{\"n\":{seq}}}")
                },
                prev_hash: records
                    .last()
                    .map_or_else(|| "0".repeat(64), |last| last.hash.clone()),
                hash: String::new(),
            };
            record.hash = content_hash(&record);
            records.push(record);
        }
        records
    }

    /// Packs, checks what the lines leave out, unpacks, and expects the very same records.
    fn round_trip(records: &[AuditRecord]) -> AuditBatch {
        let batch = AuditBatch::pack(records, content_hash).expect("a batch");
        let json = serde_json::to_string(&batch).unwrap();
        let parsed: AuditBatch = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed.unpack(content_hash).unwrap(), records, "{json}");
        batch
    }

    #[test]
    fn a_sound_chain_sends_no_hashes_and_each_actor_once() {
        let batch = round_trip(&chain(6));
        assert_eq!(batch.actors, vec!["rina", "sari"]);
        assert!(batch
            .lines
            .iter()
            .all(|line| line.hash.is_none() && line.prev_hash.is_none() && line.seq.is_none()));
        assert_eq!(batch.lines[1].detail, None, "an empty detail is left out");
        assert_eq!(AuditBatch::pack(&[], content_hash), None);
    }

    #[test]
    fn a_truncated_batch_is_the_batch_of_the_first_records() {
        let mut records = chain(9);
        records[4].actor = "admin".into();
        let full = AuditBatch::pack(&records, content_hash).unwrap();
        for lines in 1..=records.len() {
            let mut truncated = full.clone();
            truncated.truncate(lines);
            assert_eq!(
                Some(truncated),
                AuditBatch::pack(&records[..lines], content_hash),
                "the first {lines} records"
            );
        }
    }

    #[test]
    fn an_altered_entry_keeps_its_stored_hash() {
        let mut records = chain(5);
        records[2].actor = "admin".into();
        let batch = round_trip(&records);
        assert_eq!(
            batch.lines[2].hash.as_deref(),
            Some(records[2].hash.as_str())
        );
    }

    #[test]
    fn a_replaced_or_reordered_entry_keeps_its_prev_hash() {
        let mut records = chain(5);
        records[2].detail = "{}".into();
        records[2].hash = content_hash(&records[2]);
        let batch = round_trip(&records);
        assert!(
            batch.lines[3].prev_hash.is_some(),
            "entry 4 does not follow the new 3"
        );
        let mut records = chain(5);
        records.swap(1, 2);
        let batch = round_trip(&records);
        assert_eq!(batch.lines[1].seq, Some(3));
        assert_eq!(batch.lines[2].seq, Some(2));
    }

    #[test]
    fn a_gap_keeps_the_seq_and_the_link_to_the_missing_entry() {
        let mut records = chain(5);
        records.remove(2);
        let batch = round_trip(&records);
        assert_eq!(batch.lines[2].seq, Some(4));
        assert!(batch.lines[2].prev_hash.is_some());
        let later = round_trip(&chain(9)[4..]);
        assert_eq!(later.first_seq, 5);
    }

    #[test]
    fn a_line_naming_an_actor_not_listed_is_refused_with_its_field() {
        let mut batch = AuditBatch::pack(&chain(3), content_hash).unwrap();
        batch.lines[1].actor = 7;
        let error = batch.unpack(content_hash).unwrap_err();
        assert_eq!(error.field, "audit.lines[1].actor");
        let mut batch = AuditBatch::pack(&chain(2), content_hash).unwrap();
        batch.lines[0].seq = Some(i64::MAX);
        assert_eq!(
            batch.unpack(content_hash).unwrap_err().field,
            "audit.lines[1].seq"
        );
    }
}
