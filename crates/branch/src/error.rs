//! The library's error type. Causes are kept (`#[source]`) so logs show the whole chain. Bad input
//! of an administrator (unknown clinic, malformed id) is [`BranchError::Invalid`], which the
//! binary answers with exit code 2.

#[derive(Debug, thiserror::Error)]
pub enum BranchError {
    /// The administrator's input was refused; the message names the problem.
    #[error("{0}")]
    Invalid(String),
    /// One field of an officer's or administrator's input was refused: the field, the rule and
    /// the message (which starts with the field), so a form shows it beside that field.
    #[error("{}", .0.message)]
    Refused(plkk_domain::Issue),
    /// Something named does not exist (a clinic code, a device id, a case id).
    #[error("{what} {name} does not exist")]
    NotFound { what: &'static str, name: String },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database at {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database migration {name} failed: {source}")]
    Migration {
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database migration {name} failed: {source}")]
    MigrationPostgres {
        name: &'static str,
        #[source]
        source: crate::sql::SqlError,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database error: {0}")]
    Sql(#[from] crate::sql::SqlError),
    /// A command that does not work on a PostgreSQL store yet; the message names it and what to
    /// use instead.
    #[error("{0} is not yet available on PostgreSQL")]
    NotOnPostgres(&'static str),
    /// A stored value the branch wrote cannot be read back (a damaged database).
    #[error("stored value is not valid: {0}")]
    Stored(String),
    #[error("stored JSON is not valid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("configuration: {0}")]
    Config(String),
    #[error("cannot read the configuration file {path}: {source}")]
    ConfigFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS: {message}")]
    Tls {
        message: String,
        #[source]
        source: Option<std::io::Error>,
    },
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
    #[error("a database task stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl BranchError {
    /// A refusal of `field` by `rule`; `message` should start with the field's name.
    pub fn refused(field: &str, rule: &str, message: impl Into<String>) -> BranchError {
        BranchError::Refused(plkk_domain::Issue {
            field: field.to_owned(),
            rule: rule.to_owned(),
            severity: plkk_domain::Severity::Error,
            message: message.into(),
            params: Default::default(),
        })
    }

    /// Whether the fault is the caller's input (exit code 2 in the binary).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            BranchError::Invalid(_)
                | BranchError::Refused(_)
                | BranchError::NotFound { .. }
                | BranchError::Config(_)
        )
    }
}
