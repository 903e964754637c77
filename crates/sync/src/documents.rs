//! Uploading case documents' bytes (issue 13), after the push in each cycle: only documents whose
//! `document` entry the branch confirmed (so their case's intake and earlier records are there),
//! oldest first, and only while no case record waits to be pushed — a slow photo never delays a
//! 2×24 h report; a record saved meanwhile goes in the next cycle, before the rest of the photo.
//!
//! Each document starts by asking the branch how many of its bytes it holds, then sends chunks
//! of [`DOCUMENT_CHUNK_BYTES`] from there (never more than the branch's `max_chunk_bytes`), each
//! answered with what the branch now holds, which the desk keeps. A cut or a killed process
//! resumes at the first byte the branch lacks; nothing it has is sent again. A 413 for a chunk
//! halves the chunk (down to [`MIN_CHUNK_BYTES`]; below that the document is left with its error
//! and the queue moves on), so does a connection broken under a chunk (down to 32 KiB; the cycle
//! ends and the next one resumes), a 409 asks again where to resume, a SHA-256 mismatch at the branch
//! (the whole did not match) is recorded and the document tried again next cycle from byte 0.

use plkk_protocol::{DocumentUpload, DOCUMENT_CHUNK_BYTES, MIN_CHUNK_BYTES};
use plkk_store::DocumentToUpload;

use crate::client::BranchClient;
use crate::cycle::{now, SyncSummary};
use crate::desk_db::DeskDb;
use crate::plan::Link;
use crate::SyncError;

/// Most documents looked at in one cycle.
const DOCUMENTS_PER_CYCLE: usize = 200;
/// The smallest chunk a broken connection makes the desk send: a line that breaks during a chunk
/// gets the next one halved, down to this (smaller chunks would spend more on HTTP and TLS framing
/// than a break wastes).
const BREAK_FLOOR_BYTES: usize = 32 * 1024;

/// Uploads what it can of every waiting document; stops early (Ok) when case records wait.
pub(crate) async fn upload_documents(
    db: &DeskDb,
    client: &BranchClient,
    link: &Link,
    summary: &mut SyncSummary,
) -> Result<(), SyncError> {
    let waiting = db
        .call(|store| plkk_store::documents_to_upload(store, DOCUMENTS_PER_CYCLE))
        .await?;
    for document in waiting {
        if records_waiting(db).await? {
            return Ok(());
        }
        upload(db, client, link, document, summary).await?;
    }
    Ok(())
}

async fn records_waiting(db: &DeskDb) -> Result<bool, SyncError> {
    Ok(!db
        .call(|store| plkk_store::push_candidates(store, 0, 1))
        .await?
        .is_empty())
}

/// Sends one document's missing bytes, chunk by chunk, until the branch confirms it or a case
/// record waits. A transport failure ends the cycle (its chunks so far are kept at the branch).
async fn upload(
    db: &DeskDb,
    client: &BranchClient,
    link: &Link,
    document: DocumentToUpload,
    summary: &mut SyncSummary,
) -> Result<(), SyncError> {
    let id = document.id;
    let mut chunk_bytes = document.chunk_bytes.unwrap_or(DOCUMENT_CHUNK_BYTES);
    let mut state = client.document_state(id, link.timeout_for(0)).await?;
    keep(db, &state, chunk_bytes, None).await?;
    while !state.confirmed {
        if records_waiting(db).await? {
            return Ok(());
        }
        let offset = state.received_bytes;
        let size = chunk_bytes
            .min(usize::try_from(state.max_chunk_bytes).unwrap_or(usize::MAX))
            .min(usize::try_from(state.bytes - offset).unwrap_or(usize::MAX))
            .max(1);
        let sha256 = document.sha256.clone();
        let chunk = db
            .call(move |store| plkk_store::document_chunk(store, &sha256, offset, size))
            .await?;
        let sent = chunk.len() as u64;
        match client
            .document_chunk(id, offset, chunk, link.timeout_for(size))
            .await
        {
            Ok(answer) => {
                summary.document_bytes_sent += sent;
                summary.document_chunks_sent += 1;
                state = answer;
                keep(db, &state, chunk_bytes, None).await?;
            }
            Err(SyncError::Refused {
                status: 413,
                code,
                message,
            }) if code != "document_too_large" => {
                summary.document_bytes_sent += sent;
                if chunk_bytes / 2 < MIN_CHUNK_BYTES {
                    tracing::warn!(%id, %message, "a document's smallest chunk was refused as too large");
                    return keep(db, &state, chunk_bytes, Some(&message)).await;
                }
                chunk_bytes = (size / 2).max(MIN_CHUNK_BYTES);
                tracing::info!(%id, chunk_bytes, "chunk refused as too large: sending smaller chunks");
                keep(db, &state, chunk_bytes, None).await?;
            }
            Err(SyncError::Refused { status: 409, .. }) => {
                state = client.document_state(id, link.timeout_for(0)).await?;
                keep(db, &state, chunk_bytes, None).await?;
            }
            Err(SyncError::Refused { code, message, .. }) => {
                // Refused for the document itself (too large for this branch, its SHA-256 did
                // not match): kept with the reason, tried again next cycle; the queue moves on.
                tracing::warn!(%id, %code, %message, "a document's upload was refused");
                let reason = format!("{code}: {message}");
                return keep(db, &state, chunk_bytes, Some(&reason)).await;
            }
            Err(error @ SyncError::BranchUnreachable { .. }) => {
                // The line broke under the chunk: the next cycle resumes where the branch's copy
                // ends, with a smaller chunk so a line that breaks often still moves forward.
                let smaller = (size / 2).max(BREAK_FLOOR_BYTES).min(chunk_bytes);
                keep(db, &state, smaller, Some(&error.to_string())).await?;
                return Err(error);
            }
            Err(other) => return Err(other),
        }
    }
    summary.documents_confirmed += 1;
    Ok(())
}

/// Keeps what the branch last said about a document.
async fn keep(
    db: &DeskDb,
    state: &DocumentUpload,
    chunk_bytes: usize,
    error: Option<&str>,
) -> Result<(), SyncError> {
    let (id, received, confirmed) = (state.document_id, state.received_bytes, state.confirmed);
    let error = error.map(str::to_owned);
    db.call(move |store| {
        plkk_store::record_upload(
            store,
            id,
            received,
            chunk_bytes,
            confirmed,
            error.as_deref(),
            now(),
        )
    })
    .await?;
    Ok(())
}
