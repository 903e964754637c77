//! The store's error type. Causes are kept (`#[source]`) so logs show the whole chain.

use plkk_domain::{Action, Rejected, Role};
use plkk_vault::{SignInError, VaultError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The input broke a rule of the record contract; nothing was written.
    #[error("{0}")]
    Invalid(Rejected),
    /// A referenced record does not exist on this desk.
    #[error("{what} {id} does not exist on this desk")]
    NotFound { what: &'static str, id: String },
    /// The signed-in person's role does not allow this; nothing was done.
    #[error("{} may not {}", role_with_article(*.role), .action.describe())]
    Forbidden { role: Role, action: Action },
    /// A sign-in was refused (wrong username or password, locked out, not set up).
    #[error(transparent)]
    SignIn(#[from] SignInError),
    /// A wrong quick-unlock PIN.
    #[error("wrong PIN")]
    WrongPin {
        failures: u32,
        wait: Option<std::time::Duration>,
    },
    /// The desk is set up already (setup refused).
    #[error("the desk is already set up: sign in with an administrator's account")]
    AlreadySetUp,
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("cannot open the database at {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database migration {name} failed: {source}")]
    Migration {
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored record is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Stored data the desk cannot read back (it did not write it that way).
    #[error("stored data is not what the desk wrote: {0}")]
    Corrupt(String),
}

fn role_with_article(role: Role) -> &'static str {
    match role {
        Role::Receptionist => "a receptionist",
        Role::Nurse => "a nurse",
        Role::Admin => "an administrator",
    }
}

impl From<Rejected> for StoreError {
    fn from(rejected: Rejected) -> Self {
        StoreError::Invalid(rejected)
    }
}

/// A refusal of one field for a rule only the store can check (existence, uniqueness).
pub(crate) fn refused(field: &str, rule: &str, message: String) -> StoreError {
    StoreError::Invalid(Rejected {
        errors: vec![field_error(field, rule, message)],
        warnings: Vec::new(),
    })
}

/// One field error, for refusals that gather several.
pub(crate) fn field_error(field: &str, rule: &str, message: String) -> plkk_domain::Issue {
    plkk_domain::Issue {
        field: field.to_owned(),
        rule: rule.to_owned(),
        severity: plkk_domain::Severity::Error,
        message,
        params: Default::default(),
    }
}

/// Parses a record id given by a user, refusing it as `field` when it is not a UUID.
pub(crate) fn parse_id(field: &str, text: &str) -> Result<uuid::Uuid, StoreError> {
    uuid::Uuid::parse_str(text.trim()).map_err(|_| {
        refused(
            field,
            "uuid_format",
            format!("{field}: must be a record id (UUID), got {text:?}"),
        )
    })
}
