//! The store's error type. Causes are kept (`#[source]`) so logs show the whole chain. Each error
//! has a stable `code()` (an interface: the window translates it, scripts read it) and a `kind()`
//! that hosts turn into their answer (the CLI's exit code, the window's error) with one match.
//! Failures of the storage under the database (a full disk, a read-only folder, a database locked
//! by another program, a damaged file) are told apart from SQLite's codes ([`StorageProblem`]) and
//! said in words a receptionist or IT person can act on.

use std::io;

use plkk_domain::{Action, Rejected, Role};
use plkk_vault::{SignInError, VaultError};
use rusqlite::ErrorCode;

/// What an error means for the person who met it: the one classification every host turns into
/// its answer with one match (`plkk`'s exit code, the window's behaviour). The store's errors
/// ([`StoreError::kind`]) use the first four; the sync's (`SyncError::kind` in `plkk-sync`) and
/// the command line's own outcomes use the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input was refused (a field broke a rule, an unknown id); nothing was written.
    Input,
    /// The signed-in person's role may not do this.
    Forbidden,
    /// Signing in was refused (wrong credentials, locked out, wrong PIN or recovery key), or
    /// nobody is signed in (signed out, screen locked).
    SignIn,
    /// The desk's data cannot be used (not set up, storage problem, damaged data).
    Unusable,
    /// The branch could not be reached.
    BranchUnreachable,
    /// The desk is not enrolled at a branch.
    NotEnrolled,
    /// The branch revoked this device.
    DeviceRevoked,
    /// The work ran but left something for a person: records the branch refused or in conflict,
    /// a broken audit chain.
    Unresolved,
    /// The desk works, but its health check found problems a person must look at (`plkk status`:
    /// see `health::Problem`).
    NeedsAttention,
    /// Any other failure.
    Failed,
}

/// A failure of the storage under the desk's database, as a person can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageProblem {
    /// No space left on the disk.
    DiskFull,
    /// The data folder or file cannot be written (read-only disk, no permission).
    ReadOnly,
    /// Another program holds the database locked (longer than the 5 s the desk waits).
    Locked,
    /// The file is not a readable desk database (damaged, or not a database at all).
    Damaged,
}

impl StorageProblem {
    /// The stable code: "disk_full", "read_only", "database_locked" or "damaged".
    pub fn code(self) -> &'static str {
        match self {
            StorageProblem::DiskFull => "disk_full",
            StorageProblem::ReadOnly => "read_only",
            StorageProblem::Locked => "database_locked",
            StorageProblem::Damaged => "damaged",
        }
    }

    /// What happened and what to do, in English (the window has its own words in both languages).
    pub fn advice(self) -> &'static str {
        match self {
            StorageProblem::DiskFull => {
                "the disk is full: free some space (old downloads, the recycle bin), then try again; nothing saved before was lost"
            }
            StorageProblem::ReadOnly => {
                "the desk's data folder cannot be written (a read-only disk, or no permission for this user): ask IT to make it writable; nothing saved before was lost"
            }
            StorageProblem::Locked => {
                "the database is locked by another program (a backup, an antivirus scan, a second copy of the desk): close it, then try again"
            }
            StorageProblem::Damaged => {
                "the database file is damaged or is not a desk database: restore desk.sqlite3 from a backup (ask IT)"
            }
        }
    }

    /// The problem behind an SQLite error, if it is one of these.
    pub fn of_sqlite(error: &rusqlite::Error) -> Option<StorageProblem> {
        let rusqlite::Error::SqliteFailure(failure, _) = error else {
            return None;
        };
        match failure.code {
            ErrorCode::DiskFull => Some(StorageProblem::DiskFull),
            ErrorCode::ReadOnly => Some(StorageProblem::ReadOnly),
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Some(StorageProblem::Locked),
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => Some(StorageProblem::Damaged),
            _ => None,
        }
    }

    /// The problem behind a file error, if it is one of these.
    pub fn of_io(error: &io::Error) -> Option<StorageProblem> {
        match error.kind() {
            io::ErrorKind::StorageFull => Some(StorageProblem::DiskFull),
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                Some(StorageProblem::ReadOnly)
            }
            _ => None,
        }
    }
}

/// An SQLite error with the words for its storage problem in front, when it has one.
fn sqlite_words(error: &rusqlite::Error) -> String {
    match StorageProblem::of_sqlite(error) {
        Some(problem) => format!("{} ({error})", problem.advice()),
        None => error.to_string(),
    }
}

/// A file error with the words for its storage problem in front, when it has one.
fn io_words(error: &io::Error) -> String {
    match StorageProblem::of_io(error) {
        Some(problem) => format!("{} ({error})", problem.advice()),
        None => error.to_string(),
    }
}

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
    /// Nobody is signed in (the window's session; never met by `plkk`, which signs in first).
    #[error("nobody is signed in")]
    SignedOut,
    /// The screen is locked: the session's person (or another) must sign in again.
    #[error("the screen is locked")]
    Locked,
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("cannot open the database at {path}: {}", sqlite_words(.source))]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    /// The database could not be opened, and a look at its folder found why (SQLite reports a
    /// full disk while mapping its shared-memory file as a plain I/O error).
    #[error("cannot open the database at {path}: {}", .problem.advice())]
    Storage {
        problem: StorageProblem,
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot create the data directory {path}: {}", io_words(.source))]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {}", io_words(.source))]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database migration {name} failed: {}", sqlite_words(.source))]
    Migration {
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database error: {}", sqlite_words(.0))]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored record is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Stored data the desk cannot read back (it did not write it that way).
    #[error("stored data is not what the desk wrote: {0}")]
    Corrupt(String),
    /// A backup that cannot be restored: not a desk backup, a file that does not match its
    /// checksum, counts or an audit chain that disagree with its manifest. Nothing was changed.
    #[error("the backup {path} cannot be restored: {reason}; nothing was changed")]
    BackupDamaged { path: String, reason: String },
    /// The desk holds records the backup does not: restoring would lose them (the message
    /// names them). Nothing was changed.
    #[error("{0}")]
    RestoreRefused(String),
}

impl StoreError {
    /// The storage problem behind this error, if there is one.
    pub fn storage_problem(&self) -> Option<StorageProblem> {
        match self {
            StoreError::Storage { problem, .. } => Some(*problem),
            StoreError::Open { source, .. }
            | StoreError::Migration { source, .. }
            | StoreError::Sqlite(source) => StorageProblem::of_sqlite(source),
            StoreError::DataDir { source, .. } | StoreError::File { source, .. } => {
                StorageProblem::of_io(source)
            }
            StoreError::Json(_) | StoreError::Corrupt(_) => Some(StorageProblem::Damaged),
            StoreError::Vault(vault) | StoreError::SignIn(SignInError::Vault(vault)) => match vault
            {
                VaultError::Damaged { .. } => Some(StorageProblem::Damaged),
                VaultError::Io { source, .. } => StorageProblem::of_io(source),
                _ => None,
            },
            _ => None,
        }
    }

    /// A stable snake_case code for the window and scripts (one of [`StoreError::CODES`]).
    pub fn code(&self) -> &'static str {
        if let Some(problem) = self.storage_problem() {
            return problem.code();
        }
        match self {
            StoreError::Invalid(_) => "invalid",
            StoreError::NotFound { .. } => "not_found",
            StoreError::Forbidden { .. } => "forbidden",
            StoreError::SignIn(SignInError::WrongCredentials { .. }) => "wrong_credentials",
            StoreError::SignIn(SignInError::LockedOut { .. }) => "locked_out",
            StoreError::WrongPin { .. } => "wrong_pin",
            StoreError::Vault(VaultError::WrongRecoveryKey) => "wrong_recovery_key",
            StoreError::SignIn(SignInError::NotSetUp) | StoreError::Vault(VaultError::NotSetUp) => {
                "not_set_up"
            }
            StoreError::AlreadySetUp | StoreError::Vault(VaultError::AlreadySetUp(_)) => {
                "already_set_up"
            }
            StoreError::SignedOut => "signed_out",
            StoreError::Locked => "locked",
            StoreError::BackupDamaged { .. } => "backup_damaged",
            StoreError::RestoreRefused(_) => "restore_refused",
            _ => "store",
        }
    }

    /// Every code [`StoreError::code`] gives, for the window's generated types.
    pub const CODES: &'static [&'static str] = &[
        "invalid",
        "not_found",
        "forbidden",
        "wrong_credentials",
        "locked_out",
        "wrong_pin",
        "wrong_recovery_key",
        "not_set_up",
        "already_set_up",
        "signed_out",
        "locked",
        "backup_damaged",
        "restore_refused",
        "disk_full",
        "read_only",
        "database_locked",
        "damaged",
        "store",
    ];

    /// What the error means for the person who met it.
    pub fn kind(&self) -> ErrorKind {
        if self.storage_problem().is_some() {
            return ErrorKind::Unusable;
        }
        match self {
            StoreError::Invalid(_)
            | StoreError::NotFound { .. }
            | StoreError::AlreadySetUp
            | StoreError::Vault(VaultError::AlreadySetUp(_))
            | StoreError::BackupDamaged { .. }
            | StoreError::RestoreRefused(_) => ErrorKind::Input,
            StoreError::Forbidden { .. } => ErrorKind::Forbidden,
            StoreError::SignIn(
                SignInError::WrongCredentials { .. } | SignInError::LockedOut { .. },
            )
            | StoreError::WrongPin { .. }
            | StoreError::Vault(VaultError::WrongRecoveryKey)
            | StoreError::SignedOut
            | StoreError::Locked => ErrorKind::SignIn,
            _ => ErrorKind::Unusable,
        }
    }

    /// The field issues of a refused input: its errors first, then its warnings (none for other
    /// errors).
    pub fn issues(&self) -> Vec<plkk_domain::Issue> {
        match self {
            StoreError::Invalid(rejected) => rejected
                .errors
                .iter()
                .chain(&rejected.warnings)
                .cloned()
                .collect(),
            _ => Vec::new(),
        }
    }

    /// How long to wait before signing in again, after a refused sign-in that set a delay.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            StoreError::SignIn(SignInError::WrongCredentials { wait, .. })
            | StoreError::WrongPin { wait, .. } => *wait,
            StoreError::SignIn(SignInError::LockedOut { wait, .. }) => Some(*wait),
            _ => None,
        }
    }

    /// The role and the act it may not do, for a role refusal (written to the audit log by the
    /// host that met it).
    pub fn role_refusal(&self) -> Option<(Role, Action)> {
        match self {
            StoreError::Forbidden { role, action } => Some((*role, *action)),
            _ => None,
        }
    }
}

/// Why the folder `dir` cannot take a write, found by trying one (a small file created and
/// removed): what SQLite reports only as an I/O error while opening.
pub(crate) fn probe_folder(dir: &std::path::Path) -> Option<StorageProblem> {
    use std::io::Write;
    let probe = dir.join(format!(".plkk-write-check-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|mut file| {
            file.write_all(&[0; 64 * 1024])?;
            file.sync_all()
        });
    let _ = std::fs::remove_file(&probe);
    written
        .err()
        .and_then(|error| StorageProblem::of_io(&error))
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

/// The refusal for a case id this desk does not have.
pub(crate) fn intake_not_found(field: &str, intake_id: uuid::Uuid) -> StoreError {
    refused(
        field,
        "not_found",
        format!("{field}: no case with id {intake_id} on this desk"),
    )
}
