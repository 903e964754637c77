//! What can go wrong: refused sign-ins (for people, worded the same whether the username or the
//! password was wrong) and problems with the keyring file itself.

use std::time::Duration;

/// Why a sign-in was refused. Messages are for people; the same words whether the username or
/// the password was wrong.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("wrong username or password")]
    WrongCredentials {
        failures: u32,
        wait: Option<Duration>,
    },
    #[error("too many failed attempts: try again in {} seconds", .wait.as_secs().max(1))]
    LockedOut { wait: Duration, failures: u32 },
    #[error("the desk is not set up yet: run `plkk setup` or open PLKK Desk")]
    NotSetUp,
    #[error(transparent)]
    Vault(#[from] VaultError),
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the desk is already set up (keyring exists at {0})")]
    AlreadySetUp(String),
    #[error("the desk is not set up yet: run `plkk setup` or open PLKK Desk")]
    NotSetUp,
    #[error("wrong recovery key")]
    WrongRecoveryKey,
    #[error("cannot read or write the keyring {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the keyring {path} is damaged: {reason}")]
    Damaged { path: String, reason: String },
}
