//! What an outbox entry carries, one type per kind: [`IntakePayload`], [`CorrectionPayload`],
//! [`NotePayload`], [`crate::BpuPayload`], and [`Payload`] which is one of them with its [`EntryKind`]. Records inside
//! travel as typed structs of scalar fields (text, or a number where the contract has a number),
//! with the record contract's field names; the domain's validation then reports each field's
//! rule (`nik_format`, `too_long`, ...). A value of the wrong JSON shape (a list or an object where
//! a text belongs, an unknown field) stops the parse at once, naming the field, so reading a
//! payload never holds more than the typed fields of the body it came in.

use std::fmt;

use chrono::{DateTime, FixedOffset};
use plkk_domain::limits;
use plkk_domain::{Intake, JsonObject, Note};
use serde::de::{DeserializeSeed, Deserializer, Error, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use uuid::Uuid;

/// What an outbox entry carries. `as_str` is its one spelling: on the wire, in both databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum EntryKind {
    /// `payload` is an [`IntakePayload`].
    Intake,
    /// `payload` is a [`CorrectionPayload`].
    IntakeCorrection,
    /// `payload` is a [`NotePayload`].
    Note,
    /// `payload` is a [`crate::BpuPayload`].
    BpuRegistration,
    /// `payload` is a [`crate::DocumentPayload`].
    Document,
    /// `payload` is a [`crate::DocumentRemovalPayload`].
    DocumentRemoval,
}

impl EntryKind {
    /// Every kind.
    pub const ALL: [EntryKind; 6] = [
        EntryKind::Intake,
        EntryKind::IntakeCorrection,
        EntryKind::Note,
        EntryKind::BpuRegistration,
        EntryKind::Document,
        EntryKind::DocumentRemoval,
    ];

    /// The kind's name: `intake`, `intake_correction`, `note`, `bpu_registration`, `document`,
    /// `document_removal`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Intake => "intake",
            EntryKind::IntakeCorrection => "intake_correction",
            EntryKind::Note => "note",
            EntryKind::BpuRegistration => "bpu_registration",
            EntryKind::Document => "document",
            EntryKind::DocumentRemoval => "document_removal",
        }
    }

    /// The kind named `text` (exactly).
    pub fn parse(text: &str) -> Option<EntryKind> {
        EntryKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    /// The waiting rule, stated once: an entry of this kind is about a case whose intake must
    /// reach the branch first (a note, a correction), so it waits for its intake. A desk never
    /// sends it before its intake is confirmed or placed earlier in the same request, and holds
    /// it back while its intake is in quarantine; the branch refuses it with `intake_id`
    /// `not_found` when it lacks the intake. An intake and a BPU registration start a record of
    /// their own (a registration's `intake_id` is its own id) and wait for nothing. A document's
    /// entry waits like a note (and its bytes wait for that entry).
    pub fn waits_for_intake(self) -> bool {
        match self {
            EntryKind::Intake | EntryKind::BpuRegistration => false,
            EntryKind::IntakeCorrection
            | EntryKind::Note
            | EntryKind::Document
            | EntryKind::DocumentRemoval => true,
        }
    }
}

macro_rules! text_record {
    ($(#[$meta:meta])* $name:ident { $($field:ident,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(
                #[doc = concat!("The record contract's `", stringify!($field), "`, as text.")]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<String>,
            )+
        }

        impl $name {
            /// The field names, in form order.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field),)+];

            /// The text fields of a record's flat form (absent or non-text values are left out).
            pub fn from_fields(fields: &JsonObject) -> $name {
                let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
                $name { $($field: text(stringify!($field)),)+ }
            }

            /// The present fields as a JSON object, the input of the domain's validation.
            pub fn to_object(&self) -> JsonObject {
                let mut object = JsonObject::new();
                $(
                    if let Some(value) = &self.$field {
                        object.insert(stringify!($field).to_owned(), Value::String(value.clone()));
                    }
                )+
                object
            }
        }
    };
}

text_record! {
    /// An intake as it travels: every field of the record contract as text (dates `YYYY-MM-DD`,
    /// instants RFC 3339 with offset), absent when empty. Limits: `plkk_domain::limits::INTAKE`.
    IntakeRecord {
        id, nik, identity_document, kpj, full_name, sex, birth_date, phone, address, occupation,
        segment, employer_name, employer_npp, accident_at, admitted_at, case_category, place_type,
        accident_location, chronology, injury, police_report_number, contact_name, contact_phone,
        consent,
    }
}

impl IntakeRecord {
    /// The record of an admitted intake.
    pub fn of(intake: &Intake) -> IntakeRecord {
        IntakeRecord::from_fields(&intake.to_fields())
    }
}

/// The payload of an `intake` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IntakePayload {
    /// The intake as admitted (every field, `id` included).
    pub intake: IntakeRecord,
    /// The username of who admitted it.
    pub author: String,
    /// The desk's clock when it was saved.
    pub written_at: DateTime<FixedOffset>,
}

/// One field of a correction: its value before (as the desk saw it) and after, as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FieldChange {
    /// An intake field name.
    pub field: String,
    /// Its text as the desk saw it before (None: absent).
    pub from: Option<String>,
    /// Its text after (None: cleared).
    pub to: Option<String>,
}

impl FieldChange {
    /// The domain's form of this change.
    pub fn to_domain(&self) -> plkk_domain::FieldChange {
        plkk_domain::FieldChange {
            field: self.field.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }

    /// The wire form of a domain change.
    pub fn of(change: &plkk_domain::FieldChange) -> FieldChange {
        FieldChange {
            field: change.field.clone(),
            from: change.from.clone(),
            to: change.to.clone(),
        }
    }
}

/// The payload of an `intake_correction` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CorrectionPayload {
    /// The correction's id (UUID v7).
    pub id: Uuid,
    /// The case corrected.
    pub intake_id: Uuid,
    /// The desk's own revision number of this correction (1, 2, ...).
    pub revision: u32,
    /// At most `limits::CORRECTION_CHANGES` (23) fields.
    #[serde(deserialize_with = "crate::bounded::vec::<_, _, { limits::CORRECTION_CHANGES }>")]
    pub changes: Vec<FieldChange>,
    /// Why, as the person wrote it.
    pub reason: String,
    /// The username of who corrected it.
    pub author: String,
    /// The desk's clock when it was saved.
    pub written_at: DateTime<FixedOffset>,
}

impl CorrectionPayload {
    /// The changes in the domain's form.
    pub fn domain_changes(&self) -> Vec<plkk_domain::FieldChange> {
        self.changes.iter().map(FieldChange::to_domain).collect()
    }
}

/// A note field that holds a number: a JSON number, or a number written as text (`"36,5"`), as
/// forms send them. Never a list or an object.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    /// A JSON number.
    Number(serde_json::Number),
    /// A number written as text.
    Text(String),
}

impl Number {
    fn to_value(&self) -> Value {
        match self {
            Number::Number(number) => Value::Number(number.clone()),
            Number::Text(text) => Value::String(text.clone()),
        }
    }

    fn of_u16(number: Option<u16>) -> Option<Number> {
        number.map(|number| Number::Number(number.into()))
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Number::Number(number) => number.serialize(serializer),
            Number::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Number, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = Number;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a number, or a number written as text")
            }
            fn visit_u64<E: Error>(self, value: u64) -> Result<Number, E> {
                Ok(Number::Number(value.into()))
            }
            fn visit_i64<E: Error>(self, value: i64) -> Result<Number, E> {
                Ok(Number::Number(value.into()))
            }
            fn visit_f64<E: Error>(self, value: f64) -> Result<Number, E> {
                serde_json::Number::from_f64(value)
                    .map(Number::Number)
                    .ok_or_else(|| E::custom("a finite number"))
            }
            fn visit_str<E: Error>(self, value: &str) -> Result<Number, E> {
                Ok(Number::Text(value.to_owned()))
            }
        }
        deserializer.deserialize_any(NumberVisitor)
    }
}

/// A note's ICD-10 codes: a list of codes, or one text of codes separated by commas or spaces.
/// At most `limits::ICD10_CODES` (20) list items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codes {
    /// A list of codes.
    List(Vec<String>),
    /// Codes in one text, separated by commas or spaces.
    Text(String),
}

impl Codes {
    fn to_value(&self) -> Value {
        match self {
            Codes::List(codes) => Value::Array(codes.iter().cloned().map(Value::String).collect()),
            Codes::Text(text) => Value::String(text.clone()),
        }
    }
}

impl Serialize for Codes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Codes::List(codes) => codes.serialize(serializer),
            Codes::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for Codes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Codes, D::Error> {
        struct CodesVisitor;
        impl<'de> Visitor<'de> for CodesVisitor {
            type Value = Codes;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    formatter,
                    "a list of at most {} codes, or the codes as one text",
                    limits::ICD10_CODES
                )
            }
            fn visit_str<E: Error>(self, value: &str) -> Result<Codes, E> {
                Ok(Codes::Text(value.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Codes, A::Error> {
                let seed = BoundedSeed::<{ limits::ICD10_CODES }>;
                seed.visit(seq).map(Codes::List)
            }
        }
        deserializer.deserialize_any(CodesVisitor)
    }
}

/// Reads a sequence of texts with a ceiling (for `Codes`, whose visitor already holds the seq).
struct BoundedSeed<const MAX: usize>;

impl<const MAX: usize> BoundedSeed<MAX> {
    fn visit<'de, A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<String>()? {
            if items.len() == MAX {
                return Err(A::Error::custom(format_args!(
                    "a list of at most {MAX} items, got more"
                )));
            }
            items.push(item);
        }
        Ok(items)
    }
}

/// The payload of a `note` entry: the note as written (the record contract's note fields) with
/// what the app set: `id`, `intake_id`, `written_at`, `author`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NotePayload {
    /// The note's id (UUID v7).
    pub id: Uuid,
    /// The case it belongs to.
    pub intake_id: Uuid,
    /// The desk's clock when it was saved.
    pub written_at: DateTime<FixedOffset>,
    /// The username of who wrote it.
    pub author: String,
    /// What was found and done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Systolic blood pressure (mmHg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<f64>))]
    pub systolic: Option<Number>,
    /// Diastolic blood pressure (mmHg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<f64>))]
    pub diastolic: Option<Number>,
    /// Pulse (beats per minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<f64>))]
    pub pulse: Option<Number>,
    /// Respiratory rate (breaths per minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<f64>))]
    pub resp_rate: Option<Number>,
    /// Body temperature (degrees Celsius).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<f64>))]
    pub temperature_c: Option<Number>,
    /// Oxygen saturation (percent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<f64>))]
    pub spo2: Option<Number>,
    /// Pain score (0-10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<f64>))]
    pub pain_score: Option<Number>,
    /// ICD-10 codes of the diagnosis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<Vec<String>>))]
    pub icd10: Option<Codes>,
    /// What happens to the patient next (`plkk_domain::Disposition`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
    /// Where the patient was referred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referred_to: Option<String>,
    /// Days unfit to work (STMB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<f64>))]
    pub stmb_days: Option<Number>,
    /// The case's outcome, which closes it (`plkk_domain::Outcome`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The id of the note this one corrects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
}

impl NotePayload {
    /// The payload of a stored note.
    pub fn of(note: &Note) -> NotePayload {
        let fields = &note.fields;
        NotePayload {
            id: note.id,
            intake_id: note.intake_id,
            written_at: note.written_at,
            author: note.author.clone(),
            text: Some(fields.text.clone()),
            systolic: Number::of_u16(fields.systolic),
            diastolic: Number::of_u16(fields.diastolic),
            pulse: Number::of_u16(fields.pulse),
            resp_rate: Number::of_u16(fields.resp_rate),
            temperature_c: fields
                .temperature_c
                .and_then(serde_json::Number::from_f64)
                .map(Number::Number),
            spo2: Number::of_u16(fields.spo2.map(u16::from)),
            pain_score: Number::of_u16(fields.pain_score.map(u16::from)),
            icd10: (!fields.icd10.is_empty()).then(|| Codes::List(fields.icd10.clone())),
            disposition: fields.disposition.map(|value| value.as_str().to_owned()),
            referred_to: fields.referred_to.clone(),
            stmb_days: Number::of_u16(fields.stmb_days),
            outcome: fields.outcome.map(|value| value.as_str().to_owned()),
            corrects: fields.corrects.map(|id| id.to_string()),
        }
    }

    /// The note's input for `plkk_domain::validate_note`: `id`, `intake_id` and the note fields
    /// given (not `written_at` and `author`, which the app sets).
    pub fn to_input(&self) -> JsonObject {
        let mut object = JsonObject::new();
        object.insert("id".to_owned(), Value::String(self.id.to_string()));
        object.insert(
            "intake_id".to_owned(),
            Value::String(self.intake_id.to_string()),
        );
        let text = |value: &Option<String>| value.clone().map(Value::String);
        let number = |value: &Option<Number>| value.as_ref().map(Number::to_value);
        let fields = [
            ("text", text(&self.text)),
            ("systolic", number(&self.systolic)),
            ("diastolic", number(&self.diastolic)),
            ("pulse", number(&self.pulse)),
            ("resp_rate", number(&self.resp_rate)),
            ("temperature_c", number(&self.temperature_c)),
            ("spo2", number(&self.spo2)),
            ("pain_score", number(&self.pain_score)),
            ("icd10", self.icd10.as_ref().map(Codes::to_value)),
            ("disposition", text(&self.disposition)),
            ("referred_to", text(&self.referred_to)),
            ("stmb_days", number(&self.stmb_days)),
            ("outcome", text(&self.outcome)),
            ("corrects", text(&self.corrects)),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                object.insert(name.to_owned(), value);
            }
        }
        object
    }
}

/// An entry's payload, one type per kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// An `intake` entry's.
    Intake(IntakePayload),
    /// An `intake_correction` entry's.
    IntakeCorrection(CorrectionPayload),
    /// A `note` entry's.
    Note(NotePayload),
    /// A `bpu_registration` entry's.
    BpuRegistration(crate::BpuPayload),
    /// A `document` entry's.
    Document(crate::DocumentPayload),
    /// A `document_removal` entry's.
    DocumentRemoval(crate::DocumentRemovalPayload),
}

impl Payload {
    /// The kind of entry that carries it.
    pub fn kind(&self) -> EntryKind {
        match self {
            Payload::Intake(_) => EntryKind::Intake,
            Payload::IntakeCorrection(_) => EntryKind::IntakeCorrection,
            Payload::Note(_) => EntryKind::Note,
            Payload::BpuRegistration(_) => EntryKind::BpuRegistration,
            Payload::Document(_) => EntryKind::Document,
            Payload::DocumentRemoval(_) => EntryKind::DocumentRemoval,
        }
    }

    /// Reads the JSON text of a payload of `kind` (as the desk's outbox keeps it).
    pub fn from_json(kind: EntryKind, json: &str) -> Result<Payload, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let payload = PayloadSeed(kind).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(payload)
    }

    /// The payload as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("payloads serialize")
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Payload::Intake(payload) => payload.serialize(serializer),
            Payload::IntakeCorrection(payload) => payload.serialize(serializer),
            Payload::Note(payload) => payload.serialize(serializer),
            Payload::BpuRegistration(payload) => payload.serialize(serializer),
            Payload::Document(payload) => payload.serialize(serializer),
            Payload::DocumentRemoval(payload) => payload.serialize(serializer),
        }
    }
}

/// Reads a payload whose kind is known.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PayloadSeed(pub(crate) EntryKind);

impl<'de> DeserializeSeed<'de> for PayloadSeed {
    type Value = Payload;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Payload, D::Error> {
        Ok(match self.0 {
            EntryKind::Intake => Payload::Intake(IntakePayload::deserialize(deserializer)?),
            EntryKind::IntakeCorrection => {
                Payload::IntakeCorrection(CorrectionPayload::deserialize(deserializer)?)
            }
            EntryKind::Note => Payload::Note(NotePayload::deserialize(deserializer)?),
            EntryKind::BpuRegistration => {
                Payload::BpuRegistration(crate::BpuPayload::deserialize(deserializer)?)
            }
            EntryKind::Document => {
                Payload::Document(crate::DocumentPayload::deserialize(deserializer)?)
            }
            EntryKind::DocumentRemoval => {
                Payload::DocumentRemoval(crate::DocumentRemovalPayload::deserialize(deserializer)?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_kinds_round_trip_through_their_one_spelling() {
        for kind in EntryKind::ALL {
            assert_eq!(EntryKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(EntryKind::parse("Intake"), None);
    }

    #[test]
    fn the_intake_record_has_the_contracts_fields() {
        assert_eq!(IntakeRecord::FIELDS, plkk_domain::INTAKE_FIELDS);
    }

    #[test]
    fn lists_and_objects_where_text_belongs_stop_the_parse() {
        let nested = r#"{"intake": {"nik": [[], [], []]}, "author": "a", "written_at": "2026-11-24T09:00:00+07:00"}"#;
        let error = Payload::from_json(EntryKind::Intake, nested).unwrap_err();
        assert!(error.to_string().contains("expected a string"), "{error}");
        let note = r#"{"id": "019ab5d2-7c00-7000-8000-000000000001", "intake_id": "019ab5d2-7c00-7000-8000-000000000002",
            "written_at": "2026-11-24T09:00:00+07:00", "author": "a", "pulse": {"a": 1}}"#;
        assert!(Payload::from_json(EntryKind::Note, note).is_err());
    }

    #[test]
    fn numbers_and_codes_arrive_as_numbers_or_text() {
        let note = r#"{"id": "019ab5d2-7c00-7000-8000-000000000001", "intake_id": "019ab5d2-7c00-7000-8000-000000000002",
            "written_at": "2026-11-24T09:00:00+07:00", "author": "a", "text": "Luka", "pulse": "88",
            "temperature_c": 36.5, "icd10": "S52.5, W11", "systolic": null}"#;
        let Payload::Note(note) = Payload::from_json(EntryKind::Note, note).unwrap() else {
            panic!("a note")
        };
        let input = note.to_input();
        assert_eq!(input["pulse"], "88");
        assert_eq!(input["temperature_c"], 36.5);
        assert_eq!(input["icd10"], "S52.5, W11");
        assert!(!input.contains_key("systolic"));
        let too_many = format!(
            r#"{{"id": "019ab5d2-7c00-7000-8000-000000000001", "intake_id": "019ab5d2-7c00-7000-8000-000000000002",
            "written_at": "2026-11-24T09:00:00+07:00", "author": "a", "icd10": [{}]}}"#,
            vec!["\"S52\""; 21].join(",")
        );
        assert!(Payload::from_json(EntryKind::Note, &too_many).is_err());
    }
}
