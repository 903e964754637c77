//! One outbox entry on the wire ([`PushEntry`]): `entry_id`, `device_seq`, `kind`, `record_id`,
//! `intake_id` and the `payload` of that kind. Read straight into the typed payload once `kind` is
//! known; a body that puts `payload` before `kind` has the payload's text kept as it came (never
//! more bytes than the body) and read when `kind` arrives.

use std::fmt;

use serde::de::{Error, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::payload::{EntryKind, Payload, PayloadSeed};

/// One outbox entry of a desk. The branch applies an `entry_id` at most once and answers a repeat
/// with the receipt it gave the first time.
#[derive(Debug, Clone, PartialEq)]
pub struct PushEntry {
    /// The entry's own id (UUID v7): the branch applies it at most once.
    pub entry_id: Uuid,
    /// The desk's own counter (its outbox sequence): order within one device.
    pub device_seq: i64,
    /// The id of the intake, correction or note.
    pub record_id: Uuid,
    /// The case the record belongs to.
    pub intake_id: Uuid,
    /// The record; its kind is the entry's `kind` on the wire.
    pub payload: Payload,
}

impl PushEntry {
    /// The entry's kind, from its payload.
    pub fn kind(&self) -> EntryKind {
        self.payload.kind()
    }
}

impl Serialize for PushEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entry = serializer.serialize_struct("PushEntry", 6)?;
        entry.serialize_field("entry_id", &self.entry_id)?;
        entry.serialize_field("device_seq", &self.device_seq)?;
        entry.serialize_field("kind", &self.kind())?;
        entry.serialize_field("record_id", &self.record_id)?;
        entry.serialize_field("intake_id", &self.intake_id)?;
        entry.serialize_field("payload", &self.payload)?;
        entry.end()
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    EntryId,
    DeviceSeq,
    Kind,
    RecordId,
    IntakeId,
    Payload,
}

const FIELDS: &[&str] = &[
    "entry_id",
    "device_seq",
    "kind",
    "record_id",
    "intake_id",
    "payload",
];

/// A payload read before its kind was known (one at a time, on the stack of the parse).
#[allow(clippy::large_enum_variant)]
enum Read {
    Typed(Payload),
    Raw(Box<RawValue>),
}

impl<'de> Deserialize<'de> for PushEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PushEntry, D::Error> {
        deserializer.deserialize_struct("PushEntry", FIELDS, EntryVisitor)
    }
}

struct EntryVisitor;

fn once<T, E: Error>(slot: &mut Option<T>, name: &'static str, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = PushEntry;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an outbox entry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PushEntry, A::Error> {
        let (mut entry_id, mut device_seq, mut kind) = (None, None, None);
        let (mut record_id, mut intake_id, mut payload) = (None, None, None);
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::EntryId => once(&mut entry_id, "entry_id", map.next_value::<Uuid>()?)?,
                Field::DeviceSeq => once(&mut device_seq, "device_seq", map.next_value::<i64>()?)?,
                Field::Kind => once(&mut kind, "kind", map.next_value::<EntryKind>()?)?,
                Field::RecordId => once(&mut record_id, "record_id", map.next_value::<Uuid>()?)?,
                Field::IntakeId => once(&mut intake_id, "intake_id", map.next_value::<Uuid>()?)?,
                Field::Payload => {
                    let read = match kind {
                        Some(kind) => Read::Typed(map.next_value_seed(PayloadSeed(kind))?),
                        None => Read::Raw(map.next_value::<Box<RawValue>>()?),
                    };
                    once(&mut payload, "payload", read)?;
                }
            }
        }
        let kind: EntryKind = kind.ok_or_else(|| A::Error::missing_field("kind"))?;
        let payload = match payload.ok_or_else(|| A::Error::missing_field("payload"))? {
            Read::Typed(payload) => payload,
            Read::Raw(raw) => Payload::from_json(kind, raw.get())
                .map_err(|error| A::Error::custom(format_args!("payload: {error}")))?,
        };
        Ok(PushEntry {
            entry_id: entry_id.ok_or_else(|| A::Error::missing_field("entry_id"))?,
            device_seq: device_seq.ok_or_else(|| A::Error::missing_field("device_seq"))?,
            record_id: record_id.ok_or_else(|| A::Error::missing_field("record_id"))?,
            intake_id: intake_id.ok_or_else(|| A::Error::missing_field("intake_id"))?,
            payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "019ab5d2-7c00-7000-8000-000000000001";

    fn correction(id: &str) -> String {
        format!(
            r#"{{"id": "{id}", "intake_id": "{id}", "revision": 1,
                "changes": [{{"field": "phone", "from": null, "to": "081311112222"}}],
                "reason": "salah ketik", "author": "resepsionis", "written_at": "2026-11-24T10:00:00+07:00"}}"#
        )
    }

    #[test]
    fn reads_the_payload_of_its_kind_in_either_key_order() {
        let kind_first = format!(
            r#"{{"entry_id": "{ID}", "device_seq": 3, "kind": "intake_correction", "record_id": "{ID}",
                 "intake_id": "{ID}", "payload": {}}}"#,
            correction(ID)
        );
        let payload_first = format!(
            r#"{{"payload": {}, "entry_id": "{ID}", "device_seq": 3, "record_id": "{ID}",
                 "intake_id": "{ID}", "kind": "intake_correction"}}"#,
            correction(ID)
        );
        let first: PushEntry = serde_json::from_str(&kind_first).unwrap();
        let second: PushEntry = serde_json::from_str(&payload_first).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.kind(), EntryKind::IntakeCorrection);
        let written = serde_json::to_string(&first).unwrap();
        assert_eq!(serde_json::from_str::<PushEntry>(&written).unwrap(), first);
        assert!(written.starts_with(&format!(
            r#"{{"entry_id":"{ID}","device_seq":3,"kind":"intake_correction""#
        )));
    }

    #[test]
    fn a_payload_of_another_kind_unknown_fields_and_repeats_are_refused() {
        let wrong_kind = format!(
            r#"{{"entry_id": "{ID}", "device_seq": 3, "kind": "note", "record_id": "{ID}",
                 "intake_id": "{ID}", "payload": {}}}"#,
            correction(ID)
        );
        assert!(serde_json::from_str::<PushEntry>(&wrong_kind).is_err());
        let unknown = format!(
            r#"{{"entry_id": "{ID}", "device_seq": 3, "kind": "intake_correction", "colour": "blue",
                 "record_id": "{ID}", "intake_id": "{ID}", "payload": {}}}"#,
            correction(ID)
        );
        let error = serde_json::from_str::<PushEntry>(&unknown).unwrap_err();
        assert!(error.to_string().contains("colour"), "{error}");
        let twice = format!(
            r#"{{"entry_id": "{ID}", "entry_id": "{ID}", "device_seq": 3, "kind": "intake_correction",
                 "record_id": "{ID}", "intake_id": "{ID}", "payload": {}}}"#,
            correction(ID)
        );
        assert!(serde_json::from_str::<PushEntry>(&twice).is_err());
    }
}
