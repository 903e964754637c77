//! The handlers of API v1. Each parses, authenticates, runs one library call on the database in a
//! blocking thread and answers; the rules live in `push`, `enroll`, `changes` and `audit`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::{DATE, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue};
use axum::Json;
use chrono::Utc;
use plkk_protocol::{
    AuditPushRequest, AuditPushResponse, Changes, EnrollRequest, Enrollment, ErrorBody, FieldIssue,
    Health, PushRequest, PushResponse, RestoredRequest, DEFAULT_CHANGES_PER_PULL,
    MAX_CHANGES_PER_PULL,
};
use serde::Deserialize;

use super::{ApiError, ApiJson, AppState, AuthDevice};
use crate::audit::{self, AuditError};
use crate::changes;
use crate::clinics::{self, SyncReport};
use crate::enroll::{self, EnrollError};
use crate::push::{self, PushError};
use plkk_protocol::OUTBOX_WAITING_HEADER;

/// Query of `GET /changes`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangesQuery {
    /// The cursor: the `next_cursor` of the last pull (0 or absent the first time).
    #[param(minimum = 0)]
    since: Option<i64>,
    /// Most changes to answer (default 500). A page also closes before it passes 1 MiB of JSON.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/health", tag = "branch",
    responses((status = 200, description = "The server answers, with its body limit", body = Health)))]
pub(crate) async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        server_time: Utc::now(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        max_body_bytes: u64::try_from(state.max_body_bytes).ok(),
        max_audit_lines: u64::try_from(plkk_protocol::MAX_AUDIT_LINES_PER_PUSH).ok(),
    })
}

#[utoipa::path(post, path = "/api/v1/enroll", tag = "branch", request_body = EnrollRequest,
    responses(
        (status = 200, description = "The device is enrolled; keep the token", body = Enrollment),
        (status = 400, description = "Malformed JSON, or not an enrolment code", body = ErrorBody),
        (status = 404, description = "Unknown code (enrollment_code_unknown)", body = ErrorBody),
        (status = 408, description = "The body did not arrive within the body timeout (body_timeout)", body = ErrorBody),
        (status = 410, description = "Expired or used code", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
        (status = 415, description = "A Content-Encoding other than gzip", body = ErrorBody),
        (status = 422, description = "Body of the wrong shape, or a device name over 100 characters", body = ErrorBody)))]
pub(crate) async fn enroll(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<EnrollRequest>,
) -> Result<Json<Enrollment>, ApiError> {
    let now = Utc::now();
    let result = state
        .with_db(move |conn| enroll::enroll(conn, &request.code, &request.device_name, now))
        .await?;
    match result {
        Ok(enrollment) => Ok(Json(enrollment)),
        Err(error @ EnrollError::Malformed) => Err(ApiError::BadRequest(error.to_string())),
        Err(error @ EnrollError::BadName(_)) => Err(ApiError::InvalidBody {
            message: error.to_string(),
            issues: Vec::new(),
        }),
        Err(error @ EnrollError::Unknown) => {
            Err(ApiError::EnrollmentCodeUnknown(error.to_string()))
        }
        Err(error @ EnrollError::Expired) => {
            Err(ApiError::EnrollmentCodeExpired(error.to_string()))
        }
        Err(error @ EnrollError::Used) => Err(ApiError::EnrollmentCodeUsed(error.to_string())),
        Err(EnrollError::Branch(error)) => Err(ApiError::Internal(error)),
    }
}

#[utoipa::path(post, path = "/api/v1/restored", tag = "branch", request_body = RestoredRequest,
    security(("device_token" = [])),
    responses(
        (status = 200, description = "A new identity for the desk restored from a backup; the old token is revoked from now on", body = Enrollment),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 408, description = "The body did not arrive within the body timeout (body_timeout)", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
        (status = 415, description = "A Content-Encoding other than gzip", body = ErrorBody),
        (status = 422, description = "Body of the wrong shape", body = ErrorBody)))]
pub(crate) async fn restored(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    ApiJson(request): ApiJson<RestoredRequest>,
) -> Result<Json<Enrollment>, ApiError> {
    let now = Utc::now();
    let enrollment = state
        .with_db(move |conn| enroll::replace(conn, device, request.backup_made_at, now))
        .await??;
    Ok(Json(enrollment))
}

#[utoipa::path(post, path = "/api/v1/push", tag = "branch", request_body = PushRequest,
    security(("device_token" = [])),
    responses(
        (status = 200, description = "One receipt per entry, in order, and the audit answer when audit entries came along; the batch is durable", body = PushResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 403, description = "An entry concerns another clinic's case; nothing stored", body = ErrorBody),
        (status = 408, description = "The body did not arrive within the body timeout (body_timeout)", body = ErrorBody),
        (status = 413, description = "Body over the limit (GET /health says the limit)", body = ErrorBody),
        (status = 415, description = "A Content-Encoding other than gzip", body = ErrorBody),
        (status = 422, description = "Body of the wrong shape (a list or object where a text belongs, an unknown field, over 500 entries or 2,000 audit lines), or audit lines that break the audit rules; nothing stored. A record breaking a rule (a field over its length, say) is answered per entry with a rejected receipt", body = ErrorBody)))]
pub(crate) async fn push(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    ApiJson(request): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    // At most MAX_ENTRIES_PER_PUSH entries and MAX_AUDIT_LINES_PER_PUSH audit lines: the parse
    // stops at the one past either (422). The audit
    // lines are checked before anything is stored, so bad ones refuse the whole push. Both, and
    // what else needs nothing stored (`push::prepare`), are done before the push waits for the
    // database's writer, so one push is prepared while the one before it commits.
    let clocks = push::Clocks {
        branch: Utc::now(),
        desk: request.desk_time,
    };
    let (request, prepared, audit_records) = tokio::task::spawn_blocking(move || {
        let audit_records = match &request.audit {
            Some(batch) => Some(audit::unpack(batch).map_err(audit_refusal)?),
            None => None,
        };
        let prepared = push::prepare(&request.entries, clocks).map_err(push_failure)?;
        Ok::<_, ApiError>((request, prepared, audit_records))
    })
    .await
    .map_err(crate::BranchError::from)??;
    let result = state
        .with_db(move |conn| {
            push::apply_push(
                conn,
                device,
                &request.entries,
                &prepared,
                audit_records.as_deref(),
            )
        })
        .await?;
    match result {
        Ok((receipts, audit)) => Ok(Json(PushResponse {
            receipts,
            server_time: Utc::now(),
            audit,
        })),
        Err(error) => {
            if let PushError::Forbidden { entry_id } = &error {
                tracing::warn!(device = %device.id, %entry_id, "push refused: another clinic's case");
            }
            Err(push_failure(error))
        }
    }
}

fn push_failure(error: PushError) -> ApiError {
    match error {
        PushError::Forbidden { entry_id } => ApiError::Forbidden(format!(
            "entry {entry_id} concerns a case of another clinic; nothing was stored"
        )),
        PushError::Branch(error) => ApiError::Internal(error),
    }
}

#[utoipa::path(post, path = "/api/v1/audit", tag = "branch", request_body = AuditPushRequest,
    security(("device_token" = [])),
    responses(
        (status = 200, description = "How far the device's audit chain is held (acked_seq) and the breaks found; durable", body = AuditPushResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 408, description = "The body did not arrive within the body timeout (body_timeout)", body = ErrorBody),
        (status = 413, description = "Body over the limit", body = ErrorBody),
        (status = 415, description = "A Content-Encoding other than gzip", body = ErrorBody),
        (status = 422, description = "Body of the wrong shape, over 500 entries, seq below 1, empty actor or action, a text over its length, a hash not 64 lowercase hex digits; nothing stored", body = ErrorBody)))]
pub(crate) async fn audit(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    ApiJson(request): ApiJson<AuditPushRequest>,
) -> Result<Json<AuditPushResponse>, ApiError> {
    let now = Utc::now();
    let result = state
        .with_db(move |conn| audit::store_audit(conn, device, &request.entries, now))
        .await?;
    result.map(Json).map_err(audit_refusal)
}

fn audit_refusal(error: AuditError) -> ApiError {
    match error {
        AuditError::Invalid { message, issues } => ApiError::InvalidBody { message, issues },
        AuditError::Branch(error) => ApiError::Internal(error),
    }
}

#[utoipa::path(get, path = "/api/v1/changes", tag = "branch",
    params(
        ChangesQuery,
        ("plkk-outbox-waiting" = Option<u64>, Header, description = "The desk's outbox entries not yet confirmed, for the branch console"),
        ("date" = Option<String>, Header, description = "The desk's clock (HTTP date); the console shows the offset from the branch's"),
        ("user-agent" = Option<String>, Header, description = "plkk-desk/VERSION: the console shows the version")),
    security(("device_token" = [])),
    responses(
        (status = 200, description = "The clinic's changes after the cursor", body = Changes),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 422, description = "Bad query: an unknown parameter, since below 0, limit outside 1 to 1000", body = ErrorBody)))]
pub(crate) async fn changes(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    headers: HeaderMap,
    query: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Json<Changes>, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::InvalidBody {
        message: format!("query: {}", rejection.body_text()),
        issues: Vec::new(),
    })?;
    let since = query.since.unwrap_or(0);
    let limit = query.limit.unwrap_or(DEFAULT_CHANGES_PER_PULL);
    for (field, bad) in [
        ("since", since < 0),
        ("limit", !(1..=MAX_CHANGES_PER_PULL).contains(&limit)),
    ] {
        if bad {
            let message = format!(
                "{field}: since must be 0 or more and limit 1 to {MAX_CHANGES_PER_PULL} (got since={since}, limit={limit})"
            );
            return Err(ApiError::InvalidBody {
                issues: vec![FieldIssue {
                    field: field.to_owned(),
                    rule: "out_of_range".to_owned(),
                    severity: "error".to_owned(),
                    message: message.clone(),
                    params: Default::default(),
                }],
                message,
            });
        }
    }
    let header = |name| {
        headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    // What the desk says about itself: shown on the console's clinics page.
    let report = SyncReport::from_headers(
        header(DATE.as_str()),
        header(USER_AGENT.as_str()),
        header(OUTBOX_WAITING_HEADER),
    );
    let now = Utc::now();
    let changes = state
        .with_db(move |conn| {
            clinics::record_sync(conn, device.id, &report, now)?;
            changes::read(conn, device.clinic_id, device.id, since, limit, now)
        })
        .await??;
    Ok(Json(changes))
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "branch",
    responses((status = 200, description = "This document", body = Object)))]
pub(crate) async fn openapi_json() -> Json<&'static serde_json::Value> {
    Json(super::openapi::document())
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; the API is under /api/v1".to_owned())
}
