//! The sync's error type. Each error has a stable `code()` the UI translates (the codes are an
//! interface) and an English `Display` for logs and `plkk`; causes are kept as sources.

use plkk_store::{ErrorKind, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this desk is not enrolled at a branch yet (plkk enroll --branch URL --code CODE)")]
    NotEnrolled,
    #[error("the branch address {url:?} is not valid: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("the branch address {url} uses plain http on a host that is not loopback; use https")]
    InsecureUrl { url: String },
    #[error("cannot reach the branch at {url}: {source}")]
    BranchUnreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("secure connection (TLS) to the branch at {url} failed: {source}")]
    Tls {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the branch's CA certificate cannot be used: {source}")]
    InvalidCa {
        #[source]
        source: reqwest::Error,
    },
    #[error("the branch revoked this device; enrol it again with a new code")]
    DeviceRevoked,
    #[error("the branch does not accept this device's token: {message}")]
    Unauthorized { message: String },
    #[error("the branch refused access: {message}")]
    Forbidden { message: String },
    #[error("the enrolment code is not known at the branch (check it, or ask for a new one)")]
    EnrollmentCodeUnknown,
    #[error(
        "the enrolment code has expired (codes are valid 24 hours); ask the branch for a new one"
    )]
    EnrollmentCodeExpired,
    #[error("the enrolment code was already used; ask the branch for a new one")]
    EnrollmentCodeUsed,
    #[error("the branch refused the request ({status} {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the branch failed ({status}): {message}")]
    ServerError { status: u16, message: String },
    #[error("unexpected answer from {url} (a captive portal or proxy?): {what}")]
    UnexpectedResponse { url: String, what: String },
    #[error("the desk's data cannot be used: {0}")]
    Store(#[from] StoreError),
    #[error("the sync engine stopped")]
    EngineStopped,
    /// The same failure, handed to a second caller waiting on the same cycle.
    #[error("{message}")]
    Repeated {
        code: &'static str,
        kind: ErrorKind,
        message: String,
    },
}

impl SyncError {
    /// Whether the request certainly never reached the branch (no connection could be made, or the
    /// TLS handshake failed), so nothing it carried can have been applied there. A connection that
    /// broke after it was made may have carried the request whole: not this.
    pub fn never_reached_branch(&self) -> bool {
        match self {
            SyncError::BranchUnreachable { source, .. } | SyncError::Tls { source, .. } => {
                source.is_connect()
            }
            _ => false,
        }
    }

    /// Whether the branch refused the request as larger than it accepts (413).
    pub fn too_large(&self) -> bool {
        matches!(self, SyncError::Refused { status: 413, .. })
    }

    /// Whether the branch refused the request's body as malformed or of the wrong shape (400, 422):
    /// nothing of it was stored.
    pub fn refused_body(&self) -> bool {
        matches!(
            self,
            SyncError::Refused {
                status: 400 | 422,
                ..
            }
        )
    }

    /// Whether the failure says the line (or the branch behind it) could not carry the request:
    /// transport failures and 5xx answers, not the branch's refusals.
    pub fn line_failed(&self) -> bool {
        matches!(
            self,
            SyncError::BranchUnreachable { .. } | SyncError::ServerError { .. }
        )
    }

    /// A stable snake_case code for the UI and scripts (one of [`SyncError::CODES`], or the
    /// store's code for a store error).
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::NotEnrolled => "not_enrolled",
            SyncError::InvalidUrl { .. } => "invalid_url",
            SyncError::InsecureUrl { .. } => "insecure_url",
            SyncError::BranchUnreachable { .. } => "branch_unreachable",
            SyncError::Tls { .. } | SyncError::InvalidCa { .. } => "tls",
            SyncError::DeviceRevoked => "device_revoked",
            SyncError::Unauthorized { .. } => "unauthorized",
            SyncError::Forbidden { .. } => "forbidden",
            SyncError::EnrollmentCodeUnknown => "enrollment_code_unknown",
            SyncError::EnrollmentCodeExpired => "enrollment_code_expired",
            SyncError::EnrollmentCodeUsed => "enrollment_code_used",
            SyncError::Refused { .. } => "refused",
            SyncError::ServerError { .. } => "server_error",
            SyncError::UnexpectedResponse { .. } => "unexpected_response",
            SyncError::Store(error) => error.code(),
            SyncError::EngineStopped => "engine_stopped",
            SyncError::Repeated { code, .. } => code,
        }
    }

    /// Every code [`SyncError::code`] gives besides the store's, for the window's generated types.
    pub const CODES: &'static [&'static str] = &[
        "not_enrolled",
        "invalid_url",
        "insecure_url",
        "branch_unreachable",
        "tls",
        "device_revoked",
        "unauthorized",
        "forbidden",
        "enrollment_code_unknown",
        "enrollment_code_expired",
        "enrollment_code_used",
        "refused",
        "server_error",
        "unexpected_response",
        "engine_stopped",
    ];

    /// What the failure means for the person who met it (`plkk`'s exit code).
    pub fn kind(&self) -> ErrorKind {
        match self {
            SyncError::Store(error) => error.kind(),
            SyncError::NotEnrolled => ErrorKind::NotEnrolled,
            SyncError::BranchUnreachable { .. } => ErrorKind::BranchUnreachable,
            SyncError::DeviceRevoked => ErrorKind::DeviceRevoked,
            SyncError::InvalidUrl { .. }
            | SyncError::InsecureUrl { .. }
            | SyncError::EnrollmentCodeUnknown
            | SyncError::EnrollmentCodeExpired
            | SyncError::EnrollmentCodeUsed => ErrorKind::Input,
            SyncError::Repeated { kind, .. } => *kind,
            _ => ErrorKind::Failed,
        }
    }

    /// The store's error behind this failure, if it is one.
    pub fn store_error(&self) -> Option<&StoreError> {
        match self {
            SyncError::Store(error) => Some(error),
            _ => None,
        }
    }

    /// Whether the branch answered at all (the desk is online even if the answer is an error).
    pub fn reached_branch(&self) -> bool {
        !matches!(
            self,
            SyncError::BranchUnreachable { .. }
                | SyncError::Tls { .. }
                | SyncError::NotEnrolled
                | SyncError::InvalidUrl { .. }
                | SyncError::InsecureUrl { .. }
                | SyncError::InvalidCa { .. }
                | SyncError::Store(_)
                | SyncError::EngineStopped
        )
    }

    pub(crate) fn repeat(&self) -> SyncError {
        SyncError::Repeated {
            code: self.code(),
            kind: self.kind(),
            message: self.to_string(),
        }
    }
}
