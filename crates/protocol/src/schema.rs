//! OpenAPI schemas of the types whose JSON is not what a derive would describe: an entry (its
//! `payload` type follows its `kind`) and a change (one flat object per kind). Written as JSON
//! Schema, so the document says exactly what the parsers accept.

use std::borrow::Cow;

use serde_json::{json, Value};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::{
    BpuDecision, BpuPayload, CaseStatus, Change, CorrectionPayload, DocumentPayload,
    DocumentRemovalPayload, EntryKind, FieldConflict, IntakePayload, NotePayload, PushEntry,
    ReferenceFile,
};
use plkk_domain::limits;

fn schema(value: Value) -> RefOr<Schema> {
    serde_json::from_value(value).expect("a hand-written schema is valid")
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

impl PartialSchema for PushEntry {
    fn schema() -> RefOr<Schema> {
        let variant = |kind: &str, payload: &str| {
            json!({
                "type": "object",
                "required": ["entry_id", "device_seq", "kind", "record_id", "intake_id", "payload"],
                "additionalProperties": false,
                "properties": {
                    "entry_id": {"type": "string", "format": "uuid"},
                    "device_seq": {"type": "integer", "format": "int64",
                                   "description": "The desk's own counter (its outbox sequence)."},
                    "kind": {"type": "string", "enum": [kind]},
                    "record_id": {"type": "string", "format": "uuid"},
                    "intake_id": {"type": "string", "format": "uuid"},
                    "payload": reference(payload),
                }
            })
        };
        schema(json!({
            "description": "One outbox entry: `payload` is the record of `kind`. Applied at most once per entry_id.",
            "oneOf": EntryKind::ALL
                .into_iter()
                .map(|kind| variant(kind.as_str(), match kind {
                    EntryKind::Intake => "IntakePayload",
                    EntryKind::IntakeCorrection => "CorrectionPayload",
                    EntryKind::Note => "NotePayload",
                    EntryKind::BpuRegistration => "BpuPayload",
                    EntryKind::Document => "DocumentPayload",
                    EntryKind::DocumentRemoval => "DocumentRemovalPayload",
                }))
                .collect::<Vec<_>>(),
        }))
    }
}

impl ToSchema for PushEntry {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("PushEntry")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for (name, schema) in [
            (IntakePayload::name(), IntakePayload::schema()),
            (CorrectionPayload::name(), CorrectionPayload::schema()),
            (NotePayload::name(), NotePayload::schema()),
            (BpuPayload::name(), BpuPayload::schema()),
            (DocumentPayload::name(), DocumentPayload::schema()),
            (
                DocumentRemovalPayload::name(),
                DocumentRemovalPayload::schema(),
            ),
        ] {
            schemas.push((name.into_owned(), schema));
        }
        IntakePayload::schemas(schemas);
        CorrectionPayload::schemas(schemas);
        NotePayload::schemas(schemas);
        BpuPayload::schemas(schemas);
    }
}

impl PartialSchema for Change {
    fn schema() -> RefOr<Schema> {
        let text = |max: usize| json!({"type": ["string", "null"], "maxLength": max});
        let variant = |kind: &str, required: &[&str], properties: Value| {
            let mut all_required = vec!["seq", "intake_id", "kind"];
            all_required.extend_from_slice(required);
            let mut object = json!({
                "seq": {"type": "integer", "format": "int64", "minimum": 1},
                "intake_id": {"type": "string", "format": "uuid"},
                "kind": {"type": "string", "enum": [kind]},
            });
            for (name, property) in properties.as_object().expect("an object") {
                object[name] = property.clone();
            }
            json!({
                "type": "object",
                "required": all_required,
                "additionalProperties": false,
                "properties": object,
            })
        };
        let status_limit = |field: &str| limits::max_of(limits::CASE_STATUS, field);
        schema(json!({
            "description": "Something that happened to a case of the clinic at the branch; `kind` says what.",
            "oneOf": [
                variant("case_status", &["status", "changed_at"], json!({
                    "status": reference("CaseStatus"),
                    "reason": text(status_limit("reason")),
                    "reference": text(status_limit("reference")),
                    "changed_at": {"type": "string", "format": "date-time"},
                })),
                variant("record", &["origin_device", "entry"], json!({
                    "origin_device": {"type": "string", "format": "uuid"},
                    "entry": reference("PushEntry"),
                })),
                variant("conflict", &["origin_device", "correction", "conflicts"], json!({
                    "origin_device": {"type": "string", "format": "uuid"},
                    "correction": reference("CorrectionPayload"),
                    "conflicts": {"type": "array", "items": reference("FieldConflict"),
                                  "maxItems": limits::CORRECTION_CHANGES},
                })),
                variant("bpu_decision", &["decision"], json!({
                    "decision": reference("BpuDecision"),
                })),
                variant("reference", &["reference_file"], json!({
                    "reference_file": reference("ReferenceFile"),
                })),
            ],
        }))
    }
}

impl ToSchema for Change {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Change")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((CaseStatus::name().into_owned(), CaseStatus::schema()));
        schemas.push((FieldConflict::name().into_owned(), FieldConflict::schema()));
        schemas.push((PushEntry::name().into_owned(), PushEntry::schema()));
        schemas.push((
            CorrectionPayload::name().into_owned(),
            CorrectionPayload::schema(),
        ));
        schemas.push((BpuDecision::name().into_owned(), BpuDecision::schema()));
        schemas.push((ReferenceFile::name().into_owned(), ReferenceFile::schema()));
        BpuDecision::schemas(schemas);
        PushEntry::schemas(schemas);
    }
}
