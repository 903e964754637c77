//! The HTTP API v1: routes, the middleware stack (gzip both ways, body limits, panics caught,
//! request tracing) and the state the handlers share (the branch's store, `db::Store`: on SQLite
//! one API connection behind a lock and one that checks device tokens, or a PostgreSQL pool, used
//! from blocking threads). The same router serves the officers' console (module `console`) at
//! every path outside `/api/v1`.

mod documents;
mod error;
mod extract;
mod openapi;
mod routes;

use std::sync::Arc;
use std::time::Duration;

use crate::db::{Database, Store};
use crate::sql::Db;
use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub(crate) use error::ErrorChain;
pub use extract::{ApiJson, AuthDevice};
pub use openapi::{document as openapi_document, ApiDoc};

use crate::console::{self, ConsoleSettings};
use crate::BranchError;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) store: Arc<Store>,
    /// The data directory: the documents' content files (`crate::documents`), on either
    /// database (servers of one PostgreSQL database share it).
    data_dir: std::path::PathBuf,
    max_body_bytes: usize,
    /// The largest case document accepted, in bytes.
    max_document_bytes: u64,
    /// How long a request body may take to arrive in full.
    body_timeout: Duration,
    /// The console's settings (its requests take connections of their own from `store`).
    pub(crate) console: Arc<ConsoleSettings>,
}

impl AppState {
    /// Opens (and migrates) the branch database; documents' contents go to `data_dir`. `tls`:
    /// served over TLS (the console's cookies are then `Secure`).
    pub fn open(
        database: &Database,
        data_dir: &std::path::Path,
        max_body_bytes: usize,
        body_timeout: Duration,
        tls: bool,
    ) -> Result<AppState, BranchError> {
        Ok(AppState {
            store: Arc::new(Store::open(database)?),
            data_dir: data_dir.to_owned(),
            max_body_bytes,
            max_document_bytes: plkk_domain::MAX_STORED_BYTES,
            body_timeout,
            console: Arc::new(ConsoleSettings {
                secure_cookies: tls,
            }),
        })
    }

    /// Lowers the largest case document accepted (bytes; never above the contract's
    /// `plkk_domain::MAX_STORED_BYTES`).
    pub fn with_max_document_bytes(mut self, max: u64) -> AppState {
        self.max_document_bytes = max.min(plkk_domain::MAX_STORED_BYTES);
        self
    }

    /// Where document uploads go and their limits, at `now`.
    pub(crate) fn uploads(&self, now: chrono::DateTime<chrono::Utc>) -> crate::documents::Uploads {
        crate::documents::Uploads {
            data_dir: self.data_dir.clone(),
            limits: crate::documents::UploadLimits {
                max_document_bytes: self.max_document_bytes,
                max_chunk_bytes: self.max_body_bytes as u64,
            },
            now,
        }
    }

    /// The data directory (where documents' contents are).
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Runs `work` on the connection that checks device tokens, in a blocking thread.
    pub(crate) async fn with_auth<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Db) -> T + Send + 'static,
        T: Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let result = tokio::task::spawn_blocking(move || store.with_auth(work))
            .await
            .map_err(BranchError::from)??;
        Ok(result)
    }

    /// Runs `work` on the connection in a blocking thread.
    pub(crate) async fn with_db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Db) -> T + Send + 'static,
        T: Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let result = tokio::task::spawn_blocking(move || store.with_api(work))
            .await
            .map_err(BranchError::from)??;
        Ok(result)
    }
}

/// The API and the console with their middleware.
pub fn router(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    let api = Router::new()
        .route("/health", get(routes::health))
        .route("/enroll", post(routes::enroll))
        .route("/push", post(routes::push))
        .route("/changes", get(routes::changes))
        .route("/audit", post(routes::audit))
        .route("/restored", post(routes::restored))
        .route(
            "/documents/{id}/content",
            get(documents::content_state).put(documents::put_chunk),
        )
        .route("/openapi.json", get(routes::openapi_json))
        .fallback(routes::not_found);
    Router::new()
        .nest(plkk_protocol::API_PREFIX, api)
        .merge(console::routes())
        .with_state(state)
        // Innermost first: the limit on the decompressed body (read by the extractor), the
        // decompression, the limit on the body as sent, JSON for bare errors, gzip answers.
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestDecompressionLayer::new().gzip(true))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(middleware::from_fn_with_state(limit, api_json_errors))
        .layer(CompressionLayer::new().gzip(true))
        .layer(CatchPanicLayer::custom(panic_answer))
        .layer(TraceLayer::new_for_http())
}

/// [`json_errors`] for the API's paths; the console answers its errors with pages.
async fn api_json_errors(
    axum::extract::State(limit): axum::extract::State<usize>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let is_api = request.uri().path().starts_with(plkk_protocol::API_PREFIX);
    let response = next.run(request).await;
    if is_api {
        json_errors(limit, response)
    } else {
        response
    }
}

/// Gives every bare error answer of the HTTP stack (413 from the body limit, 405, 415 for an
/// unknown Content-Encoding) an `ErrorBody` JSON like the handlers' own.
fn json_errors(limit: usize, response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge { limit },
        StatusCode::METHOD_NOT_ALLOWED => ApiError::Other {
            status,
            code: "method_not_allowed",
            message: "this route does not take that method".to_owned(),
        },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::Other {
            status,
            code: "unsupported_encoding",
            message: "only gzip request bodies are accepted (Content-Encoding: gzip)".to_owned(),
        },
        _ => ApiError::Other {
            status,
            code: if status.is_server_error() {
                "internal"
            } else {
                "bad_request"
            },
            message: status.canonical_reason().unwrap_or("error").to_owned(),
        },
    };
    error.into_response()
}

fn panic_answer(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned());
    ApiError::Panic(message).into_response()
}
