//! Case documents' commands (issue 13), each one call into `plkk-store`: attach a file by its
//! path (the file picker, or a file dropped on the window: Tauri's drop event gives paths) or by
//! its bytes (a drop or paste that only has bytes: the raw IPC body, with the case, kind and file
//! name in headers), list a case's documents, open one (its bytes raw, or as a `data:` URL for an
//! `<img>` thumbnail), and remove one with a reason.

use std::path::PathBuf;

use plkk_store::{DocumentData, DocumentView};
use tauri::ipc::{InvokeBody, Request, Response};
use tauri::State;

use crate::desk::{now, CommandError, Desk};

/// The header naming the case of `document_attach_bytes`.
const INTAKE_HEADER: &str = "plkk-intake-id";
/// The header naming the kind of `document_attach_bytes`.
const KIND_HEADER: &str = "plkk-kind";
/// The header with the file's name (percent-encoded UTF-8), when the drop had one.
const FILE_NAME_HEADER: &str = "plkk-file-name";

/// Attaches the file at `path` to the case `intake_id` as a document of `kind`.
#[tauri::command(async)]
pub fn document_attach(
    desk: State<'_, Desk>,
    intake_id: String,
    kind: String,
    path: PathBuf,
) -> Result<DocumentView, CommandError> {
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned());
    let view = desk.with_session(|store, actor| {
        let content = plkk_store::read_document_file(&path)?;
        plkk_store::attach_document(
            store,
            actor,
            &intake_id,
            &kind,
            file_name.as_deref(),
            &content,
            now(),
        )
    })?;
    desk.wake_sync();
    Ok(view)
}

/// Attaches bytes sent as the raw body of the call (`invoke('document_attach_bytes', bytes,
/// {headers: {'plkk-intake-id': ..., 'plkk-kind': ..., 'plkk-file-name': encodeURIComponent(name)}})`).
#[tauri::command(async)]
pub fn document_attach_bytes(
    desk: State<'_, Desk>,
    request: Request<'_>,
) -> Result<DocumentView, CommandError> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let intake_id = header(INTAKE_HEADER).unwrap_or_default();
    let kind = header(KIND_HEADER).unwrap_or_default();
    let file_name = header(FILE_NAME_HEADER).map(|name| {
        percent_encoding::percent_decode_str(&name)
            .decode_utf8_lossy()
            .into_owned()
    });
    let InvokeBody::Raw(content) = request.body() else {
        return Err(CommandError::plain(
            "invalid",
            "file: send the file's bytes as the raw body of the call",
        ));
    };
    let view = desk.with_session(|store, actor| {
        plkk_store::attach_document(
            store,
            actor,
            &intake_id,
            &kind,
            file_name.as_deref(),
            content,
            now(),
        )
    })?;
    desk.wake_sync();
    Ok(view)
}

/// The documents of a case, oldest first, removed ones included (marked).
#[tauri::command(async)]
pub fn document_list(
    desk: State<'_, Desk>,
    intake_id: String,
) -> Result<Vec<DocumentView>, CommandError> {
    desk.with_session(|store, actor| plkk_store::list_documents(store, actor, &intake_id))
}

/// A document's bytes, raw (an `ArrayBuffer` in the window); audited as opened.
#[tauri::command(async)]
pub fn document_bytes(desk: State<'_, Desk>, id: String) -> Result<Response, CommandError> {
    let content =
        desk.with_session(|store, actor| plkk_store::open_document(store, actor, &id, now()))?;
    Ok(Response::new(content.content))
}

/// A document with its content as a `data:` URL, for a thumbnail or the full view; audited as
/// opened.
#[tauri::command(async)]
pub fn document_data_url(desk: State<'_, Desk>, id: String) -> Result<DocumentData, CommandError> {
    desk.with_session(|store, actor| plkk_store::document_data_url(store, actor, &id, now()))
}

/// Takes a document off its case with a reason; it stays in the history.
#[tauri::command(async)]
pub fn document_remove(
    desk: State<'_, Desk>,
    id: String,
    reason: String,
) -> Result<DocumentView, CommandError> {
    let view = desk.with_session(|store, actor| {
        plkk_store::remove_document(store, actor, &id, &reason, now())
    })?;
    desk.wake_sync();
    Ok(view)
}
