//! The OpenAPI document: generated from the handlers' annotations and the protocol's types, then
//! given every text field's length and every list's ceiling from `plkk_domain::limits` (the one
//! owner of the limits; utoipa's attributes take only literals). A test validates the server's
//! real answers and the desk's real requests against it.

use std::sync::OnceLock;

use plkk_domain::limits::{self, TextLimit};
use serde_json::{json, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::routes;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "PLKK Desk branch server", description = "Sync API v1 between PLKK desks and the BPJS Ketenagakerjaan branch. Text lengths are in characters."),
    paths(routes::health, routes::enroll, routes::restored, routes::push, routes::changes, routes::audit, super::documents::content_state, super::documents::put_chunk, routes::openapi_json),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as served (built once).
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut document =
            serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes");
        add_limits(&mut document);
        document
    })
}

/// The longest text a field that repeats an intake value holds (`from`, `to`, ...): the longest
/// intake field; each value is also held to the field it names.
fn longest_intake_field() -> usize {
    limits::INTAKE
        .iter()
        .map(|limit| limit.max)
        .max()
        .unwrap_or(4000)
}

fn add_limits(document: &mut Value) {
    let schemas = &mut document["components"]["schemas"];
    let answer = |field: &str| limits::find(limits::ANSWER, field).expect("an answer limit");
    let intake_value = TextLimit {
        field: "",
        min: 0,
        max: longest_intake_field(),
    };
    let texts: &[(&str, &[TextLimit])] = &[
        ("IntakeRecord", limits::INTAKE),
        ("IntakePayload", limits::RECORD_ENVELOPE),
        ("NotePayload", limits::NOTE),
        ("NotePayload", limits::RECORD_ENVELOPE),
        ("CorrectionPayload", limits::CORRECTION),
        ("FieldChange", limits::CORRECTION),
        ("FieldConflict", limits::CORRECTION),
        ("AuditRecord", limits::AUDIT_ENTRY),
        ("AuditLine", limits::AUDIT_ENTRY),
        ("AuditBatch", limits::AUDIT_ENTRY),
        ("EnrollRequest", limits::ENROLMENT),
        ("FieldIssue", limits::ANSWER),
        ("ErrorBody", limits::ANSWER),
        ("BpuRecord", limits::BPU_REGISTRATION),
        ("BpuPayload", limits::RECORD_ENVELOPE),
        ("OnBehalfOfRecord", limits::ON_BEHALF_OF),
        ("BpuDecision", limits::BPU_DECISION),
        ("BpuDecision", limits::BPU_REGISTRATION),
        ("BpuContribution", limits::BPU_CONTRIBUTION),
        ("ReferenceFile", limits::REFERENCE_FILE),
    ];
    for (schema, table) in texts {
        for limit in *table {
            set_length(&mut schemas[*schema], limit.field, *limit);
        }
    }
    for (schema, field) in [
        ("FieldChange", "from"),
        ("FieldChange", "to"),
        ("FieldConflict", "base"),
        ("FieldConflict", "branch"),
        ("FieldConflict", "desk"),
    ] {
        set_length(&mut schemas[schema], field, intake_value);
    }
    let clinic = |field: &str| limits::find(limits::CLINIC, field).expect("a clinic limit");
    set_length(
        &mut schemas["Enrollment"],
        "clinic_code",
        clinic("clinic_code"),
    );
    set_length(
        &mut schemas["Enrollment"],
        "clinic_name",
        clinic("clinic_name"),
    );
    let token = TextLimit {
        field: "token",
        min: 64,
        max: 64,
    };
    set_length(&mut schemas["Enrollment"], "token", token);
    set_length(&mut schemas["AuditBreak"], "message", answer("message"));
    set(
        &mut schemas["AuditBreak"],
        "kind",
        json!({"enum": ["altered", "missing", "broken_link", "changed_after_sent"]}),
    );
    set(
        &mut schemas["FieldIssue"],
        "severity",
        json!({"enum": ["error", "warning"]}),
    );
    // Case documents (issue 13): closed lists from plkk_domain, the content address, the limits.
    for schema in ["DocumentPayload", "DocumentRemovalPayload"] {
        for limit in limits::RECORD_ENVELOPE {
            set_length(&mut schemas[schema], limit.field, *limit);
        }
    }
    let kinds: Vec<&str> = plkk_domain::DocumentKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect();
    let media: Vec<&str> = plkk_domain::MediaType::ALL
        .iter()
        .map(|media| media.as_str())
        .collect();
    set(
        &mut schemas["DocumentPayload"],
        "kind",
        json!({"enum": kinds}),
    );
    set(
        &mut schemas["DocumentPayload"],
        "media_type",
        json!({"enum": media}),
    );
    set(
        &mut schemas["DocumentPayload"],
        "sha256",
        json!({"minLength": 64, "maxLength": 64, "pattern": "^[0-9a-f]{64}$"}),
    );
    set(
        &mut schemas["DocumentPayload"],
        "bytes",
        json!({"minimum": 1, "maximum": plkk_domain::MAX_STORED_BYTES}),
    );
    set(
        &mut schemas["DocumentRemovalPayload"],
        "reason",
        json!({"minLength": 1, "maxLength": plkk_domain::REMOVAL_REASON_MAX_CHARS}),
    );
    set(&mut schemas["Health"], "status", json!({"enum": ["ok"]}));
    set(
        &mut schemas["Health"],
        "version",
        json!({"maxLength": limits::CHOICE}),
    );
    set(&mut schemas["AuditRecord"], "seq", json!({"minimum": 1}));
    set(
        &mut schemas["AuditBatch"],
        "first_seq",
        json!({"minimum": 1}),
    );
    set(&mut schemas["AuditLine"], "seq", json!({"minimum": 1}));
    let actor = limits::find(limits::AUDIT_ENTRY, "actor").expect("an actor limit");
    set(
        &mut schemas["AuditBatch"],
        "actors",
        json!({"items": {"type": "string", "minLength": actor.min, "maxLength": actor.max}}),
    );
    for (schema, field, max) in [
        (
            "PushRequest",
            "entries",
            plkk_protocol::MAX_ENTRIES_PER_PUSH,
        ),
        (
            "PushResponse",
            "receipts",
            plkk_protocol::MAX_ENTRIES_PER_PUSH,
        ),
        (
            "AuditPushRequest",
            "entries",
            plkk_protocol::MAX_ENTRIES_PER_PUSH,
        ),
        (
            "AuditBatch",
            "actors",
            plkk_protocol::MAX_AUDIT_LINES_PER_PUSH,
        ),
        (
            "AuditBatch",
            "lines",
            plkk_protocol::MAX_AUDIT_LINES_PER_PUSH,
        ),
        ("CorrectionPayload", "changes", limits::CORRECTION_CHANGES),
    ] {
        set(&mut schemas[schema], field, json!({"maxItems": max}));
    }
    // Numbers of a note may come as text ("36,5"), and its codes as one text ("S52.5, W11").
    for field in [
        "systolic",
        "diastolic",
        "pulse",
        "resp_rate",
        "temperature_c",
        "spo2",
        "pain_score",
        "stmb_days",
    ] {
        let property = json!({
            "type": ["number", "string", "null"],
            "maxLength": limits::NUMBER_TEXT,
            "description": "A number, or a number written as text.",
        });
        schemas["NotePayload"]["properties"][field] = property;
    }
    schemas["NotePayload"]["properties"]["icd10"] = json!({
        "type": ["array", "string", "null"],
        "items": {"type": "string", "maxLength": limits::ICD10_CODE},
        "maxItems": limits::ICD10_CODES,
        "maxLength": limits::max_of(limits::NOTE, "icd10"),
        "description": "ICD-10 codes: a list, or one text of codes separated by commas or spaces.",
    });
}

/// Sets `minLength`/`maxLength` of the text property `field` of `schema`.
fn set_length(schema: &mut Value, field: &str, limit: TextLimit) {
    let Some(property) = schema["properties"].get_mut(field) else {
        return;
    };
    if limit.min > 0 {
        property["minLength"] = json!(limit.min);
    }
    property["maxLength"] = json!(limit.max);
}

/// Adds `keywords` to the property `field` of `schema`.
fn set(schema: &mut Value, field: &str, keywords: Value) {
    let Some(property) = schema["properties"].get_mut(field) else {
        return;
    };
    for (keyword, value) in keywords.as_object().expect("keywords are an object") {
        property[keyword] = value.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text property of every schema says how long it may be, or is a UUID, an instant, a
    /// date or a closed list.
    #[test]
    fn every_text_field_has_a_length() {
        let mut unbounded = Vec::new();
        for (name, schema) in document()["components"]["schemas"].as_object().unwrap() {
            let Some(properties) = schema["properties"].as_object() else {
                continue;
            };
            for (field, property) in properties {
                let types = &property["type"];
                let is_text = types == "string"
                    || types
                        .as_array()
                        .is_some_and(|all| all.iter().any(|t| t == "string"));
                let bounded = property.get("maxLength").is_some()
                    || property.get("format").is_some()
                    || property.get("enum").is_some();
                if is_text && !bounded {
                    unbounded.push(format!("{name}.{field}"));
                }
            }
        }
        assert!(unbounded.is_empty(), "text without a length: {unbounded:?}");
    }
}
