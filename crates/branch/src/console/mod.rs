//! The branch console: a web application for branch officers, served by `plkk-branch` itself at
//! `/` of its address (the device API stays under `/api/v1/`). Pages are rendered on the server
//! (maud templates compiled into the binary) and work without JavaScript; one small embedded
//! script adds copy-to-clipboard and the `/` shortcut to the search box. Indonesian by default,
//! English through the `plkk_lang` cookie.
//!
//! Security: an officer signs in with a username and password (`officers`); the session cookie
//! `plkk_session` is `HttpOnly`, `SameSite=Strict`, `Secure` when served over TLS, and its value
//! is new at every sign-in (`sessions`). Every request that changes something carries the
//! session's CSRF token in the form field `csrf` (before sign-in: the `plkk_signin` cookie's value)
//! and is refused 403 without it, before anything is read or written. Every route but the sign-in
//! page answers 401 without a live session (a device token is not one). Every answer carries a
//! Content-Security-Policy without inline scripts or styles, `frame-ancestors 'none'`,
//! `Referrer-Policy: no-referrer` and `Cache-Control: no-store`. No secret travels in a URL.
//!
//! Each handler is an adapter: it reads the form, checks the role and the CSRF token, and calls
//! one library function (`cases`, `clinics`, `inbox`, `reports`, `officers`, `bpu`) on its own database
//! connection in a blocking thread. BPU registrations (issue 11) have theirs in `bpu_page`: the
//! queue, approve with a KPJ, reject with a reason, routed under `/bpu` and linked from the
//! navigation in `layout`.

mod bpu_page;
mod case_page;
mod clinics_page;
mod documents_page;
mod inbox_page;
mod labels;
mod layout;
mod officers_page;
mod reports_page;
mod sign_in;
mod words;

use std::path::PathBuf;

use axum::extract::FromRequestParts;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use cookie::{Cookie, SameSite};
use rusqlite::Connection;

use crate::http::AppState;
use crate::officer_audit;
use crate::officers::ConsoleAction;
use crate::sessions::{self, Session};
use crate::BranchError;
pub(crate) use words::Lang;

const SESSION_COOKIE: &str = "plkk_session";
const SIGN_IN_COOKIE: &str = "plkk_signin";
const LANG_COOKIE: &str = "plkk_lang";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What the console needs besides the API's state.
#[derive(Debug, Clone)]
pub(crate) struct ConsoleSettings {
    pub(crate) data_dir: PathBuf,
    /// Served over TLS: cookies get `Secure`.
    pub(crate) secure_cookies: bool,
}

/// The console's routes, with its security headers.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(inbox_page::home))
        .route("/sign-in", post(sign_in::sign_in))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/language", post(sign_in::language))
        .route("/bpu", get(bpu_page::show))
        .route("/bpu/{id}/approve", post(bpu_page::approve))
        .route("/bpu/{id}/reject", post(bpu_page::reject))
        .route("/cases/{id}", get(case_page::show))
        .route("/cases/{id}/status", post(case_page::set_status))
        .route("/documents/{id}", get(documents_page::download))
        .route(
            "/clinics",
            get(clinics_page::show).post(clinics_page::add_clinic),
        )
        .route("/clinics/{code}/code", post(clinics_page::issue_code))
        .route(
            "/devices/{id}/revoke",
            get(clinics_page::confirm_revoke).post(clinics_page::revoke),
        )
        .route("/devices/{id}/audit", get(clinics_page::check_chain))
        .route("/reports", get(reports_page::show))
        .route("/reports.csv", get(reports_page::download))
        .route(
            "/officers",
            get(officers_page::show).post(officers_page::add),
        )
        .route(
            "/officers/{username}/remove",
            get(officers_page::confirm_remove).post(officers_page::remove),
        )
        .route("/audit", get(officers_page::audit_log))
        .route("/assets/console.css", get(stylesheet))
        .route("/assets/console.js", get(script))
        .fallback(not_found)
        .layer(middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("referrer-policy", "no-referrer"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

async fn stylesheet() -> Response {
    asset(include_str!("console.css"), "text/css; charset=utf-8")
}

async fn script() -> Response {
    asset(include_str!("console.js"), "text/javascript; charset=utf-8")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

async fn not_found(visit: Visit) -> Failure {
    visit.failure(Problem::NotFound)
}

/// The cookies of a console request.
#[derive(Debug, Clone)]
pub(crate) struct Visit {
    pub(crate) lang: Lang,
    session_token: Option<String>,
    sign_in_token: Option<String>,
}

impl Visit {
    pub(crate) fn failure(&self, problem: Problem) -> Failure {
        Failure {
            lang: self.lang,
            problem,
            clear_session: false,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let cookie = |name: &str| cookie_value(&parts.headers, name);
        Ok(Visit {
            lang: Lang::from_cookie(cookie(LANG_COOKIE).as_deref()),
            session_token: cookie(SESSION_COOKIE),
            sign_in_token: cookie(SIGN_IN_COOKIE),
        })
    }
}

/// The value of cookie `name` in the request's Cookie headers (at most 64 characters).
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| !value.is_empty() && value.len() <= 64)
}

/// A signed-in officer: the request had a live session cookie.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub(crate) lang: Lang,
    pub(crate) session: Session,
    /// The session cookie's value.
    token: String,
    /// Method and path of the request (`POST /cases/…/status`), for a refusal's audit entry.
    request: String,
}

impl Signed {
    pub(crate) fn failure(&self, problem: Problem) -> Failure {
        Failure {
            lang: self.lang,
            problem,
            clear_session: false,
        }
    }

    /// Refuses (403) unless the officer's role permits `action`; a refusal is recorded in the
    /// officers' audit log (`refused`, with `subject`: the case, clinic, device or officer acted
    /// on) before the 403 is sent.
    pub(crate) async fn require(
        &self,
        state: &AppState,
        action: ConsoleAction,
        subject: Option<&str>,
    ) -> Result<(), Failure> {
        if self.session.role.permits(action) {
            return Ok(());
        }
        let actor = self.session.username.clone();
        let role = self.session.role.as_str();
        let request = self.request.clone();
        let subject = subject.map(str::to_owned);
        let now = chrono::Utc::now();
        let recorded = call(state, move |conn| {
            let refused = officer_audit::Refusal {
                action: action.as_str(),
                role,
                request: &request,
                subject: subject.as_deref(),
            };
            officer_audit::record_refusal(conn, now, &actor, refused)
        })
        .await;
        if let Err(error) = recorded {
            // The refusal stands either way; the log's failure is the server's to report.
            tracing::error!(%error, "recording a role refusal in the officers' audit log");
        }
        Err(self.failure(Problem::Role))
    }

    /// Refuses (403) unless `submitted` is this session's CSRF token.
    pub(crate) fn check_csrf(&self, submitted: Option<&str>) -> Result<(), Failure> {
        if sessions::csrf_matches(&self.session.csrf_token, submitted) {
            Ok(())
        } else {
            Err(self.failure(Problem::Csrf))
        }
    }

    pub(crate) fn may(&self, action: ConsoleAction) -> bool {
        self.session.role.permits(action)
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let visit = Visit::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        let signed_out = Failure {
            lang: visit.lang,
            problem: Problem::SignedOut,
            clear_session: visit.session_token.is_some(),
        };
        let Some(token) = visit.session_token.clone() else {
            return Err(signed_out);
        };
        let now = chrono::Utc::now();
        let lookup = token.clone();
        let found = call(state, move |conn| sessions::find(conn, &lookup, now))
            .await
            .map_err(|error| visit.failure(Problem::Internal(error)))?;
        match found {
            Some(session) => Ok(Signed {
                lang: visit.lang,
                session,
                token,
                request: format!("{} {}", parts.method, parts.uri.path()),
            }),
            None => Err(signed_out),
        }
    }
}

/// Runs `work` on a connection of its own in a blocking thread (WAL lets console requests and
/// the device API read and write side by side).
pub(crate) async fn call<T, F>(state: &AppState, work: F) -> Result<T, BranchError>
where
    F: FnOnce(&mut Connection) -> Result<T, BranchError> + Send + 'static,
    T: Send + 'static,
{
    let data_dir = state.console.data_dir.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = crate::db::open(&data_dir)?;
        work(&mut conn)
    })
    .await?
}

/// Why a console request failed.
#[derive(Debug)]
pub(crate) enum Problem {
    /// No live session (401).
    SignedOut,
    /// A state change without this session's CSRF token (403).
    Csrf,
    /// The officer's role may not do this (403).
    Role,
    NotFound,
    Internal(BranchError),
}

/// A failed console request, answered with a page in the officer's language.
#[derive(Debug)]
pub(crate) struct Failure {
    lang: Lang,
    problem: Problem,
    /// Remove a stale session cookie.
    clear_session: bool,
}

impl Failure {
    /// An error of the library: a missing record is 404, anything else 500.
    pub(crate) fn of(lang: Lang, error: BranchError) -> Failure {
        let problem = match error {
            BranchError::NotFound { .. } => Problem::NotFound,
            other => Problem::Internal(other),
        };
        Failure {
            lang,
            problem,
            clear_session: false,
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let words = self.lang.words();
        let (status, title, text) = match &self.problem {
            Problem::SignedOut => (
                StatusCode::UNAUTHORIZED,
                words.signed_out_title,
                words.signed_out_text,
            ),
            Problem::Csrf => (
                StatusCode::FORBIDDEN,
                words.forbidden_title,
                words.csrf_refused,
            ),
            Problem::Role => (
                StatusCode::FORBIDDEN,
                words.forbidden_title,
                words.role_refused,
            ),
            Problem::NotFound => (
                StatusCode::NOT_FOUND,
                words.not_found_title,
                words.not_found_text,
            ),
            Problem::Internal(error) => {
                tracing::error!(error = %crate::http::ErrorChain(error), "console request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    words.internal_title,
                    words.internal_text,
                )
            }
        };
        let signed_out = matches!(self.problem, Problem::SignedOut);
        let body = layout::message_page(self.lang, title, text, signed_out);
        let mut response = (status, body).into_response();
        if self.clear_session {
            set_cookie(&mut response, expired_cookie(SESSION_COOKIE));
        }
        response
    }
}

/// A cookie of the console: `HttpOnly`, `SameSite=Strict`, path `/`, `Secure` over TLS.
pub(crate) fn console_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .build()
}

pub(crate) fn expired_cookie(name: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::build((name, "")).path("/").build();
    cookie.make_removal();
    cookie
}

pub(crate) fn set_cookie(response: &mut Response, cookie: Cookie<'static>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// `next` when it is a path of this console (starts with one `/`), else `/`: no open redirect.
pub(crate) fn local_path(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && path.len() <= 2000
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// A 303 to `path` (after a form was handled).
pub(crate) fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        for (next, expected) in [
            (Some("/cases/abc"), "/cases/abc"),
            (Some("/?q=siti&page=2"), "/?q=siti&page=2"),
            (Some("//evil.example/"), "/"),
            (Some("https://evil.example/"), "/"),
            (Some("/\\evil"), "/"),
            (None, "/"),
        ] {
            assert_eq!(local_path(next), expected, "{next:?}");
        }
    }

    #[test]
    fn session_cookies_carry_their_flags() {
        let cookie = console_cookie(SESSION_COOKIE, "abc".to_owned(), true).to_string();
        for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
            assert!(cookie.contains(flag), "{cookie}");
        }
        let plain = console_cookie(SESSION_COOKIE, "abc".to_owned(), false).to_string();
        assert!(!plain.contains("Secure"), "{plain}");
    }
}
