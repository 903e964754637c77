//! Request extractors with the API's own refusals: [`ApiJson`] tells malformed JSON (400) from JSON
//! of the wrong shape (422, naming the field by serde's path), a body over the limit (413, also
//! after gzip decompression) and a body that does not arrive in time (408); [`AuthDevice`] turns
//! the bearer token into the device (401).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use plkk_domain::limits;
use plkk_protocol::FieldIssue;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::{ApiError, AppState};
use crate::enroll::{self, AuthError};
use crate::push::Device;

/// A JSON body parsed into `T`, or the API's error answer.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.max_body_bytes;
        let timeout = state.body_timeout;
        let reading = Bytes::from_request(request, state);
        let bytes = tokio::time::timeout(timeout, reading)
            .await
            .map_err(|_| ApiError::BodyTimeout { timeout })?
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::BodyTooLarge { limit }
                } else {
                    ApiError::MalformedJson(format!("cannot read the body ({rejection})"))
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body: syntax errors are 400 `malformed_json`, shape errors 422 `invalid_body`.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let inner = error.inner();
        match inner.classify() {
            Category::Data => {
                let path = limits::clip(&error.path().to_string(), 120);
                let field = if path == "." { String::new() } else { path };
                // serde repeats a refused value in full; the answer keeps it short.
                let inner = limits::clip(&inner.to_string(), limits::MESSAGE - 130);
                let message = if field.is_empty() {
                    format!("body: {inner}")
                } else {
                    format!("{field}: {inner}")
                };
                ApiError::InvalidBody {
                    issues: vec![FieldIssue {
                        field: if field.is_empty() {
                            "body".to_owned()
                        } else {
                            field
                        },
                        rule: "invalid_body".to_owned(),
                        severity: "error".to_owned(),
                        message: message.clone(),
                        params: Default::default(),
                    }],
                    message,
                }
            }
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::MalformedJson(limits::clip(&inner.to_string(), limits::MESSAGE - 60))
            }
        }
    })?;
    deserializer
        .end()
        .map_err(|error| ApiError::MalformedJson(error.to_string()))?;
    Ok(value)
}

/// The device whose bearer token the request carries.
#[derive(Debug, Clone, Copy)]
pub struct AuthDevice(pub(crate) Device);

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(ApiError::Unauthorized(
                "a device token is required (Authorization: Bearer TOKEN); enrol the desk first",
            ))?
            .to_owned();
        let found = state
            .with_auth(move |conn| enroll::authenticate(conn, &token, chrono::Utc::now()))
            .await?;
        match found {
            Ok(device) => Ok(AuthDevice(device)),
            Err(AuthError::Unknown) => Err(ApiError::Unauthorized(
                "the device token is not known at the branch; enrol the desk again",
            )),
            Err(AuthError::Revoked) => Err(ApiError::DeviceRevoked),
            Err(AuthError::Branch(error)) => Err(ApiError::Internal(error)),
        }
    }
}
