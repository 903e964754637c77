//! A case's documents on its page (a list with kind, size and a download link) and the download
//! itself (`/documents/{id}`), recorded in the officers' audit log (`document_downloaded`).

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{html, Markup};
use uuid::Uuid;

use super::layout::desk_time;
use super::words::Lang;
use super::{call, Failure, Problem, Signed};
use crate::documents::{self, BranchDocument};
use crate::http::AppState;

/// The section of the case page.
pub(crate) fn section(lang: Lang, list: &[BranchDocument]) -> Markup {
    let words = lang.words();
    html! {
        section aria-labelledby="documents-title" data-testid="documents" {
            h2 #documents-title { (words.documents) }
            @if list.is_empty() { p.empty { (words.no_documents) } }
            ul.documents {
                @for document in list {
                    li data-testid="document" {
                        strong { (document.kind) } " · " (document.media_type) " · "
                        (document.bytes) " B · " (desk_time(&document.written_at)) " · " (document.author)
                        @if let Some(reason) = &document.removed {
                            " · " em { (words.document_removed) ": " (reason) }
                        }
                        " "
                        @if document.confirmed {
                            a href={ "/documents/" (document.id) } download { (words.document_download) }
                        } @else {
                            span.pending { (words.document_arriving) }
                        }
                    }
                }
            }
        }
    }
}

/// The documents of case `id` for its page.
pub(crate) async fn of_case(
    state: &AppState,
    signed: &Signed,
    id: Uuid,
) -> Result<Vec<BranchDocument>, Failure> {
    call(state, move |conn| documents::list_for_case(conn, id))
        .await
        .map_err(|error| Failure::of(signed.lang, error))
}

/// `GET /documents/{id}`: the content as a download, audited.
pub(crate) async fn download(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    let id = Uuid::parse_str(&id).map_err(|_| signed.failure(Problem::NotFound))?;
    let actor = signed.session.username.clone();
    let data_dir = state.console.data_dir.clone();
    let now = Utc::now();
    let (document, content) = call(&state, move |conn| {
        documents::download(conn, &data_dir, id, &actor, now)
    })
    .await
    .map_err(|error| Failure::of(signed.lang, error))?;
    let extension = plkk_domain::MediaType::parse(&document.media_type)
        .map_or("bin", plkk_domain::MediaType::extension);
    let mut response = content.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&document.media_type) {
        headers.insert(CONTENT_TYPE, value);
    }
    let file = format!(
        "attachment; filename=\"{}-{}.{extension}\"",
        document.kind, document.id
    );
    if let Ok(value) = HeaderValue::from_str(&file) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
