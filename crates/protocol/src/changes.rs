//! The changes feed a desk pulls ([`Changes`], one [`Change`] per thing that happened to a case of
//! its clinic). On the wire a change is one flat object: `seq`, `intake_id`, `kind` and the fields
//! of that kind. It is read through one typed struct holding every kind's fields (their names
//! never clash), so the desk never holds a change in a generic JSON value whatever the key order.

use chrono::{DateTime, Utc};
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use crate::{CaseStatus, CorrectionPayload, FieldConflict, PushEntry, MAX_CHANGES_PER_PULL};

/// A change the desk pulls: something of its clinic that happened at the branch after its cursor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The branch's sequence number; the desk's next cursor is the last one it stored.
    pub seq: i64,
    /// The case the change is about.
    pub intake_id: Uuid,
    /// What changed.
    #[serde(flatten)]
    pub body: ChangeBody,
}

/// What a change is, by its `kind`.
// A page holds at most 1000 changes: their size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeBody {
    /// The branch's status for the case changed.
    CaseStatus {
        /// The new status.
        status: CaseStatus,
        /// Why, as the officer wrote it.
        reason: Option<String>,
        /// The officer's reference (e.g. a guarantee letter number).
        reference: Option<String>,
        /// When the officer set it.
        changed_at: DateTime<Utc>,
    },
    /// A record another desk of the clinic pushed (never the pulling desk's own).
    Record {
        /// The desk that pushed it.
        origin_device: Uuid,
        /// The entry as that desk pushed it.
        entry: PushEntry,
    },
    /// A correction that conflicted at the branch (including the pulling desk's own, so every
    /// desk of the clinic shows it until a person resolves it).
    Conflict {
        /// The desk that pushed the correction.
        origin_device: Uuid,
        /// The correction as pushed.
        correction: CorrectionPayload,
        /// The fields whose branch value differed from the correction's `from`.
        conflicts: Vec<FieldConflict>,
    },
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ChangeKind {
    CaseStatus,
    Record,
    Conflict,
}

/// Every field a change can have, each typed; what a kind lacks is refused when it is built.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeWire {
    seq: Option<i64>,
    intake_id: Option<Uuid>,
    kind: ChangeKind,
    status: Option<CaseStatus>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    reference: Option<String>,
    changed_at: Option<DateTime<Utc>>,
    origin_device: Option<Uuid>,
    entry: Option<PushEntry>,
    correction: Option<CorrectionPayload>,
    #[serde(default, deserialize_with = "conflicts")]
    conflicts: Option<Vec<FieldConflict>>,
}

fn conflicts<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<FieldConflict>>, D::Error> {
    crate::bounded::vec::<_, _, { plkk_domain::limits::CORRECTION_CHANGES }>(deserializer).map(Some)
}

fn required<T, E: Error>(value: Option<T>, name: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(name))
}

impl ChangeWire {
    fn body<E: Error>(self) -> Result<ChangeBody, E> {
        let other_kinds = match self.kind {
            ChangeKind::CaseStatus => [
                self.origin_device.is_some(),
                self.entry.is_some(),
                self.correction.is_some() || self.conflicts.is_some(),
            ],
            ChangeKind::Record => [
                self.status.is_some() || self.changed_at.is_some(),
                self.reason.is_some() || self.reference.is_some(),
                self.correction.is_some() || self.conflicts.is_some(),
            ],
            ChangeKind::Conflict => [
                self.status.is_some() || self.changed_at.is_some(),
                self.reason.is_some() || self.reference.is_some(),
                self.entry.is_some(),
            ],
        };
        if other_kinds.contains(&true) {
            return Err(E::custom("a change holds a field of another kind"));
        }
        Ok(match self.kind {
            ChangeKind::CaseStatus => ChangeBody::CaseStatus {
                status: required(self.status, "status")?,
                reason: self.reason,
                reference: self.reference,
                changed_at: required(self.changed_at, "changed_at")?,
            },
            ChangeKind::Record => ChangeBody::Record {
                origin_device: required(self.origin_device, "origin_device")?,
                entry: required(self.entry, "entry")?,
            },
            ChangeKind::Conflict => ChangeBody::Conflict {
                origin_device: required(self.origin_device, "origin_device")?,
                correction: required(self.correction, "correction")?,
                conflicts: required(self.conflicts, "conflicts")?,
            },
        })
    }
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Change, D::Error> {
        let mut wire = ChangeWire::deserialize(deserializer)?;
        let seq = required(wire.seq.take(), "seq")?;
        let intake_id = required(wire.intake_id.take(), "intake_id")?;
        Ok(Change {
            seq,
            intake_id,
            body: wire.body()?,
        })
    }
}

impl<'de> Deserialize<'de> for ChangeBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ChangeBody, D::Error> {
        let wire = ChangeWire::deserialize(deserializer)?;
        if wire.seq.is_some() || wire.intake_id.is_some() {
            return Err(D::Error::custom("a change body holds no seq or intake_id"));
        }
        wire.body()
    }
}

/// The answer to a pull (`GET /api/v1/changes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Changes {
    /// At most [`MAX_CHANGES_PER_PULL`].
    #[serde(deserialize_with = "crate::bounded::vec::<_, _, { MAX_CHANGES_PER_PULL as usize }>")]
    #[cfg_attr(feature = "utoipa", schema(max_items = 1000))]
    pub changes: Vec<Change>,
    /// Pass as `since` next time (the seq of the last change here, or the cursor given).
    pub next_cursor: i64,
    /// More changes are waiting: pull again at once.
    pub has_more: bool,
    /// The branch's clock when it answered.
    pub server_time: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_change() -> Change {
        Change {
            seq: 7,
            intake_id: Uuid::nil(),
            body: ChangeBody::CaseStatus {
                status: CaseStatus::GuaranteeIssued,
                reason: None,
                reference: Some("SJ-001".to_owned()),
                changed_at: DateTime::from_timestamp(0, 0).unwrap(),
            },
        }
    }

    #[test]
    fn changes_carry_their_kind_as_a_tag() {
        let change = status_change();
        let json = serde_json::to_value(&change).unwrap();
        assert_eq!(json["kind"], "case_status");
        assert_eq!(json["status"], "guarantee_issued");
        assert_eq!(serde_json::from_value::<Change>(json).unwrap(), change);
        let body = serde_json::to_string(&change.body).unwrap();
        assert_eq!(
            serde_json::from_str::<ChangeBody>(&body).unwrap(),
            change.body
        );
    }

    #[test]
    fn the_kind_may_come_last_and_foreign_fields_are_refused() {
        let late = r#"{"seq": 7, "intake_id": "00000000-0000-0000-0000-000000000000",
            "status": "eligible", "changed_at": "2026-11-24T03:00:00Z", "kind": "case_status"}"#;
        assert!(serde_json::from_str::<Change>(late).is_ok());
        let foreign = r#"{"seq": 7, "intake_id": "00000000-0000-0000-0000-000000000000",
            "kind": "case_status", "status": "eligible", "changed_at": "2026-11-24T03:00:00Z",
            "origin_device": "00000000-0000-0000-0000-000000000000"}"#;
        assert!(serde_json::from_str::<Change>(foreign).is_err());
        let nested = r#"{"seq": 7, "intake_id": "00000000-0000-0000-0000-000000000000",
            "kind": "case_status", "status": "eligible", "changed_at": "2026-11-24T03:00:00Z",
            "reason": [[[]]]}"#;
        assert!(serde_json::from_str::<Change>(nested).is_err());
    }
}
