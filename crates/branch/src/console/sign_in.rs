//! Signing in and out, and the language switch. The sign-in form (at `/` when signed out, inputs
//! `username` and `password`) carries the value of the `plkk_signin` cookie as its CSRF token; a
//! successful sign-in replaces that cookie by the new session's `plkk_session` and goes to the
//! page asked for. A refusal says so in the officer's words (401; 429 while the username must
//! wait) and keeps the typed username; the password is never sent back.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::html;
use serde::Deserialize;

use super::labels::with_n;
use super::layout::{self, bare_page};
use super::words::Lang;
use super::{
    call, console_cookie, expired_cookie, local_path, see_other, set_cookie, Failure, Problem,
    Signed, Visit, LANG_COOKIE, SESSION_COOKIE, SIGN_IN_COOKIE,
};
use crate::http::AppState;
use crate::officers::{self, SignInError};
use crate::sessions;

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    username: Option<String>,
    password: Option<String>,
    csrf: Option<String>,
    next: Option<String>,
}

/// The sign-in page (`status` 200 when simply shown), with `message` after a refusal.
pub(crate) fn sign_in_page(
    state: &AppState,
    visit: &Visit,
    status: StatusCode,
    username: &str,
    message: Option<&str>,
    next: &str,
) -> Response {
    let lang = visit.lang;
    let words = lang.words();
    let token = visit
        .sign_in_token
        .clone()
        .unwrap_or_else(crate::secrets::new_token);
    let body = html! {
        form.sign-in method="post" action="/sign-in" data-testid="sign-in-form" {
            @if let Some(message) = message {
                p.message role="alert" data-testid="sign-in-error" { (message) }
            }
            input type="hidden" name="csrf" value=(token);
            input type="hidden" name="next" value=(next);
            label for="username" { (words.username) }
            input #username type="text" name="username" value=(username) required
                autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="32"
                autofocus[username.is_empty()];
            label for="password" { (words.password) }
            input #password type="password" name="password" required
                autocomplete="current-password" maxlength="256" autofocus[!username.is_empty()];
            button type="submit" { (words.sign_in) }
        }
        (layout::language_form(lang, &token, next))
    };
    let mut response = (status, bare_page(lang, words.sign_in_title, body)).into_response();
    if visit.sign_in_token.is_none() {
        let secure = state.console.secure_cookies;
        set_cookie(&mut response, console_cookie(SIGN_IN_COOKIE, token, secure));
    }
    if visit.session_token.is_some() {
        set_cookie(&mut response, expired_cookie(SESSION_COOKIE));
    }
    response
}

pub(crate) async fn sign_in(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<SignInForm>,
) -> Response {
    let submitted = form.csrf.as_deref();
    let expected = visit.sign_in_token.as_deref().unwrap_or_default();
    if !sessions::csrf_matches(expected, submitted) {
        return visit.failure(Problem::Csrf).into_response();
    }
    let username = form.username.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let next = local_path(form.next.as_deref());
    let now = Utc::now();
    let typed = username.clone();
    let result = call(&state, move |conn| {
        Ok(officers::sign_in(conn, &typed, &password, now))
    })
    .await;
    let words = visit.lang.words();
    let shown_name = plkk_domain::limits::clip(username.trim(), 32);
    match result {
        Ok(Ok(signed_in)) => {
            let mut response = see_other(&next);
            let secure = state.console.secure_cookies;
            set_cookie(
                &mut response,
                console_cookie(SESSION_COOKIE, signed_in.session.token, secure),
            );
            set_cookie(&mut response, expired_cookie(SIGN_IN_COOKIE));
            response
        }
        Ok(Err(SignInError::WrongCredentials)) => sign_in_page(
            &state,
            &visit,
            StatusCode::UNAUTHORIZED,
            &shown_name,
            Some(words.wrong_credentials),
            &next,
        ),
        Ok(Err(SignInError::LockedOut { wait })) => {
            let message = with_n(words.locked_out, wait.as_secs().max(1));
            let mut response = sign_in_page(
                &state,
                &visit,
                StatusCode::TOO_MANY_REQUESTS,
                &shown_name,
                Some(&message),
                &next,
            );
            if let Ok(value) = wait.as_secs().max(1).to_string().parse() {
                response.headers_mut().insert("retry-after", value);
            }
            response
        }
        Ok(Err(SignInError::Branch(error))) | Err(error) => {
            Failure::of(visit.lang, error).into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: Option<String>,
}

pub(crate) async fn sign_out(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<CsrfForm>,
) -> Result<Response, Failure> {
    signed.check_csrf(form.csrf.as_deref())?;
    let token = signed.token.clone();
    let now = Utc::now();
    call(&state, move |conn| officers::sign_out(conn, &token, now))
        .await
        .map_err(|error| Failure::of(signed.lang, error))?;
    let mut response = see_other("/");
    set_cookie(&mut response, expired_cookie(SESSION_COOKIE));
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub(crate) struct LanguageForm {
    csrf: Option<String>,
    lang: Option<String>,
    back: Option<String>,
}

/// Switches the language: the session's CSRF token when signed in, the sign-in form's otherwise.
pub(crate) async fn language(
    State(state): State<AppState>,
    visit: Visit,
    Form(form): Form<LanguageForm>,
) -> Response {
    let now = Utc::now();
    let expected = match visit.session_token.clone() {
        Some(token) => call(&state, move |conn| sessions::find(conn, &token, now))
            .await
            .ok()
            .flatten()
            .map(|session| session.csrf_token),
        None => None,
    }
    .or_else(|| visit.sign_in_token.clone());
    if !sessions::csrf_matches(
        expected.as_deref().unwrap_or_default(),
        form.csrf.as_deref(),
    ) {
        return visit.failure(Problem::Csrf).into_response();
    }
    let lang = Lang::from_cookie(form.lang.as_deref());
    let mut response = see_other(&local_path(form.back.as_deref()));
    let mut cookie = console_cookie(
        LANG_COOKIE,
        lang.code().to_owned(),
        state.console.secure_cookies,
    );
    cookie.set_max_age(cookie::time::Duration::days(365));
    set_cookie(&mut response, cookie);
    response
}
