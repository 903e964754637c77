//! The handlers of a case document's content (`documents.rs` holds the rules): where an upload
//! stands, and one chunk of raw bytes. A chunk over the body limit is 413 (the desk sends smaller
//! ones); one that does not start where the branch's copy ends is 409 `offset_mismatch`; a whole
//! whose SHA-256 differs from the entry's is 422 `sha256_mismatch`; a document over the branch's
//! per-document limit is 413 `document_too_large`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use http_body_util::BodyExt;
use plkk_protocol::{DocumentUpload, ErrorBody};
use serde::Deserialize;
use uuid::Uuid;

use super::{ApiError, AppState, AuthDevice};
use crate::documents::{self, DocumentError};

/// Query of `PUT /documents/{id}/content`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChunkQuery {
    /// Where the chunk starts in the document, in bytes: the `received_bytes` the branch said.
    #[param(minimum = 0)]
    offset: u64,
}

fn document_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text)
        .map_err(|_| ApiError::BadRequest(format!("id: not a document id (UUID): {text:?}")))
}

fn refusal(error: DocumentError) -> ApiError {
    let (status, code) = match &error {
        DocumentError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        DocumentError::OffsetMismatch { .. } => (StatusCode::CONFLICT, "offset_mismatch"),
        DocumentError::PastTheEnd { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "past_the_end"),
        DocumentError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "document_too_large"),
        DocumentError::Sha256Mismatch { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, "sha256_mismatch")
        }
        DocumentError::Branch(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    };
    if let DocumentError::Branch(error) = error {
        return ApiError::Internal(error);
    }
    ApiError::Other {
        status,
        code,
        message: error.to_string(),
    }
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/content", tag = "branch",
    params(("id" = Uuid, Path, description = "The document (its entry confirmed)")),
    security(("device_token" = [])),
    responses(
        (status = 200, description = "How many bytes the branch holds (send from received_bytes) and whether the whole is confirmed; a content already held (same SHA-256) is confirmed at once", body = DocumentUpload),
        (status = 400, description = "Not a document id", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 404, description = "No such document of this clinic: push its entry first", body = ErrorBody),
        (status = 413, description = "The document is over this branch's per-document limit (document_too_large)", body = ErrorBody)))]
pub(crate) async fn content_state(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    Path(id): Path<String>,
) -> Result<Json<DocumentUpload>, ApiError> {
    let id = document_id(&id)?;
    let uploads = state.uploads(Utc::now());
    let result = state
        .with_db(move |conn| documents::upload_state(conn, &uploads, device, id))
        .await?;
    result.map(Json).map_err(refusal)
}

#[utoipa::path(put, path = "/api/v1/documents/{id}/content", tag = "branch",
    params(("id" = Uuid, Path, description = "The document"), ChunkQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The document's bytes from `offset`, at most the body limit (GET /health)"),
    security(("device_token" = [])),
    responses(
        (status = 200, description = "The chunk is on the branch's disk; the whole is confirmed once its SHA-256 matched", body = DocumentUpload),
        (status = 400, description = "Not a document id", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
        (status = 404, description = "No such document of this clinic", body = ErrorBody),
        (status = 408, description = "The chunk did not arrive within the body timeout (body_timeout)", body = ErrorBody),
        (status = 409, description = "The chunk does not start where the branch's copy ends (offset_mismatch): ask again", body = ErrorBody),
        (status = 413, description = "The chunk is over the body limit (send smaller chunks), or the document over the per-document limit (document_too_large)", body = ErrorBody),
        (status = 422, description = "A bad query, a chunk past the document's end (past_the_end), or a whole whose SHA-256 is not the entry's (sha256_mismatch: the partial copy is dropped, send from 0)", body = ErrorBody)))]
pub(crate) async fn put_chunk(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    Path(id): Path<String>,
    query: Result<Query<ChunkQuery>, QueryRejection>,
    request: Request,
) -> Result<Json<DocumentUpload>, ApiError> {
    let id = document_id(&id)?;
    let Query(query) = query.map_err(|rejection| ApiError::InvalidBody {
        message: format!("query: {}", rejection.body_text()),
        issues: Vec::new(),
    })?;
    let limit = state.max_body_bytes;
    let timeout = state.body_timeout;
    let uploads = state.uploads(Utc::now());
    // Read and stored in a task of its own: a connection that breaks under the chunk still has
    // the bytes that arrived appended (the handler's future may be dropped with the connection),
    // so the desk resumes after them instead of sending them again.
    let work = tokio::spawn(async move {
        let mut body = request.into_body();
        let mut chunk = Vec::new();
        let read = tokio::time::timeout(timeout, async {
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|error| error.to_string())?;
                if let Ok(data) = frame.into_data() {
                    chunk.extend_from_slice(&data);
                }
            }
            Ok::<(), String>(())
        })
        .await;
        let complete = matches!(read, Ok(Ok(())));
        if chunk.len() > limit {
            return Err(ApiError::BodyTooLarge { limit });
        }
        if !complete && chunk.is_empty() {
            return Err(match read {
                Err(_) => ApiError::BodyTimeout { timeout },
                Ok(Err(error)) => ApiError::BadRequest(format!("cannot read the chunk ({error})")),
                Ok(Ok(())) => unreachable!("complete"),
            });
        }
        let offset = query.offset;
        let stored = state
            .with_db(move |conn| {
                documents::receive_chunk(conn, &uploads, device, id, offset, &chunk)
            })
            .await?;
        match read {
            Ok(Ok(())) => stored.map(Json).map_err(refusal),
            Err(_) => Err(ApiError::BodyTimeout { timeout }),
            Ok(Err(error)) => Err(ApiError::BadRequest(format!(
                "the chunk was cut short ({error}); the bytes that arrived are kept"
            ))),
        }
    });
    work.await
        .map_err(|error| ApiError::Internal(error.into()))?
}
