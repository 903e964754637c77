//! Every error answer of the API: one enum, one `status_code()` match, a `protocol::ErrorBody`
//! JSON body. Causes of 5xx answers are logged with their chain, never sent to the client.

use axum::http::header::{HeaderValue, CONNECTION};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use plkk_protocol::{ErrorBody, FieldIssue};

use crate::BranchError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON (or not readable, e.g. broken gzip).
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    /// JSON, but not of the expected shape; the message names the field (serde's path).
    #[error("{message}")]
    InvalidBody {
        message: String,
        issues: Vec<FieldIssue>,
    },
    /// A typed value (such as an enrolment code) that cannot be what it claims to be.
    #[error("{0}")]
    BadRequest(String),
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    /// The body did not arrive in full within the body timeout; the connection is closed.
    #[error("the request body did not arrive within {} seconds", timeout.as_secs())]
    BodyTimeout { timeout: std::time::Duration },
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("this device was revoked by the branch; enrol it again with a new code")]
    DeviceRevoked,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    EnrollmentCodeUnknown(String),
    #[error("{0}")]
    EnrollmentCodeExpired(String),
    #[error("{0}")]
    EnrollmentCodeUsed(String),
    /// An answer of the HTTP stack without a body of its own (405, 415, ...).
    #[error("{message}")]
    Other {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("internal error: {0}")]
    Internal(#[from] BranchError),
    #[error("internal error: a request handler panicked: {0}")]
    Panic(String),
}

impl ApiError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidBody { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unauthorized(_) | ApiError::DeviceRevoked => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::EnrollmentCodeUnknown(_) => StatusCode::NOT_FOUND,
            ApiError::EnrollmentCodeExpired(_) | ApiError::EnrollmentCodeUsed(_) => {
                StatusCode::GONE
            }
            ApiError::Other { status, .. } => *status,
            ApiError::Internal(_) | ApiError::Panic(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code in `ErrorBody.error`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::InvalidBody { .. } | ApiError::BadRequest(_) => "invalid_body",
            ApiError::BodyTooLarge { .. } => "body_too_large",
            ApiError::BodyTimeout { .. } => "body_timeout",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::DeviceRevoked => "device_revoked",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::EnrollmentCodeUnknown(_) => "enrollment_code_unknown",
            ApiError::EnrollmentCodeExpired(_) => "enrollment_code_expired",
            ApiError::EnrollmentCodeUsed(_) => "enrollment_code_used",
            ApiError::Other { code, .. } => code,
            ApiError::Internal(_) | ApiError::Panic(_) => "internal",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let code = self.code();
        let message = if status.is_server_error() {
            tracing::error!(error = %ErrorChain(&self), "request failed");
            "internal error at the branch; it is logged there".to_owned()
        } else {
            self.to_string()
        };
        let close = matches!(self, ApiError::BodyTimeout { .. });
        let issues = match self {
            ApiError::InvalidBody { issues, .. } => issues,
            _ => Vec::new(),
        };
        let body = ErrorBody {
            error: code.to_owned(),
            message,
            issues,
        };
        let mut response = (status, Json(body)).into_response();
        if close {
            // The rest of a late body is not waited for.
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// Displays an error with its `source()` chain, for logs.
pub(crate) struct ErrorChain<'a>(pub(crate) &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
