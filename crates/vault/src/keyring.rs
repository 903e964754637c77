//! `keyring.json`: the data key wrapped once per account and once under the recovery key, the
//! failed-sign-in counts and the failures the audit log has not recorded yet.
//!
//! The file (version 1):
//!
//! ```json
//! {
//!   "version": 1,
//!   "recovery": { "kdf": {...}, "salt": "<hex>", "nonce": "<hex>", "ciphertext": "<hex>" },
//!   "accounts": { "<username>": { "kdf": {...}, "salt": ..., "nonce": ..., "ciphertext": ... } },
//!   "failures": { "<username>": { "count": 5, "last_failure_at": "<RFC 3339>" } },
//!   "pending_failures": [ { "at": ..., "username": ..., "reason": ..., "failures": 5 } ]
//! }
//! ```
//!
//! Each change re-reads the file, applies itself and writes the whole file to a temporary file
//! that is synced and renamed over `keyring.json`, so the app and `plkk` can share it and a crash
//! never leaves half a keyring.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use crate::error::{SignInError, VaultError};
use crate::kdf::KdfParams;
use crate::key::{canonical_recovery, DataKey, RecoveryKey};
use crate::lockout::{lockout_delay, FailureCount, PendingFailure};
use crate::wrap::{dummy_derivation, OpenError, Wrap, WrapOwner};

/// File name of the keyring inside the data directory.
pub const KEYRING_FILE_NAME: &str = "keyring.json";

/// The only format this code reads and writes.
const FORMAT_VERSION: u32 = 1;

/// At most this many failures wait for the audit log; beyond it the oldest are dropped, so that
/// hammering a locked-out username cannot grow the file without bound.
const MAX_PENDING_FAILURES: usize = 1000;

/// Reasons recorded with a [`PendingFailure`].
const REASON_WRONG_PASSWORD: &str = "wrong_password";
const REASON_UNKNOWN_USER: &str = "unknown_user";
const REASON_LOCKED_OUT: &str = "locked_out";
const REASON_WRONG_RECOVERY_KEY: &str = "wrong_recovery_key";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct KeyringFile {
    version: u32,
    recovery: Wrap,
    #[serde(default)]
    accounts: BTreeMap<String, Wrap>,
    #[serde(default)]
    failures: BTreeMap<String, FailureCount>,
    #[serde(default)]
    pending_failures: Vec<PendingFailure>,
}

impl KeyringFile {
    /// The refusal for `username` at `now` if it must still wait.
    fn lockout(&self, username: &str, now: DateTime<Utc>) -> Option<SignInError> {
        let failures = self.failures.get(username)?;
        let wait = failures.remaining_wait(now)?;
        Some(SignInError::LockedOut {
            wait,
            failures: failures.count,
        })
    }

    fn push_pending(&mut self, failure: PendingFailure) {
        if self.pending_failures.len() >= MAX_PENDING_FAILURES {
            let excess = self.pending_failures.len() + 1 - MAX_PENDING_FAILURES;
            self.pending_failures.drain(..excess);
        }
        self.pending_failures.push(failure);
    }

    /// Records a failed attempt and answers the refusal. A `locked_out` attempt is remembered but
    /// not counted (the password was not tried).
    fn count_failure(&mut self, username: &str, reason: &str, now: DateTime<Utc>) -> SignInError {
        if reason == REASON_LOCKED_OUT {
            let refusal = self.lockout(username, now);
            let failures = self.failures.get(username).map_or(0, |f| f.count);
            self.push_pending(PendingFailure {
                at: now,
                username: username.to_owned(),
                reason: reason.to_owned(),
                failures,
            });
            return refusal.unwrap_or(SignInError::WrongCredentials {
                failures,
                wait: None,
            });
        }
        let entry = self
            .failures
            .entry(username.to_owned())
            .or_insert(FailureCount {
                count: 0,
                last_failure_at: now,
            });
        entry.count = entry.count.saturating_add(1);
        entry.last_failure_at = now;
        let failures = entry.count;
        self.push_pending(PendingFailure {
            at: now,
            username: username.to_owned(),
            reason: reason.to_owned(),
            failures,
        });
        SignInError::WrongCredentials {
            failures,
            wait: lockout_delay(failures),
        }
    }
}

/// The keyring file of one data directory. Every change is saved at once (write to a temporary
/// file, fsync, rename), so the app and `plkk` can share it.
///
/// Changes, sign-ins and lockout checks re-read the file first, so what another process wrote
/// is not lost or ignored; `has_account`, `usernames` and `unlock_with_recovery` answer from the
/// last read.
#[derive(Debug)]
pub struct Keyring {
    path: PathBuf,
    file: KeyringFile,
}

impl Keyring {
    /// Whether `data_dir` has a keyring (the desk was set up).
    pub fn exists(data_dir: &Path) -> bool {
        data_dir.join(KEYRING_FILE_NAME).is_file()
    }

    /// Reads the keyring; `VaultError::NotSetUp` when there is none.
    pub fn load(data_dir: &Path) -> Result<Keyring, VaultError> {
        let path = data_dir.join(KEYRING_FILE_NAME);
        let file = read_file(&path)?;
        Ok(Keyring { path, file })
    }

    /// Creates the keyring for a new data key: wraps it under a new recovery key, which is returned
    /// (show it once). `AlreadySetUp` if a keyring exists. Creates `data_dir` if needed.
    ///
    /// Panics if `params` are outside argon2's limits (pass [`KdfParams::DESK`] or
    /// [`KdfParams::from_environment`]).
    pub fn create(
        data_dir: &Path,
        key: &DataKey,
        params: KdfParams,
    ) -> Result<(Keyring, RecoveryKey), VaultError> {
        let path = data_dir.join(KEYRING_FILE_NAME);
        if path.exists() {
            return Err(VaultError::AlreadySetUp(path.display().to_string()));
        }
        fs::create_dir_all(data_dir).map_err(|source| io_error(data_dir, source))?;
        let recovery = RecoveryKey::generate();
        let file = KeyringFile {
            version: FORMAT_VERSION,
            recovery: Wrap::seal(
                key,
                WrapOwner::Recovery,
                recovery.canonical().as_bytes(),
                params,
            ),
            accounts: BTreeMap::new(),
            failures: BTreeMap::new(),
            pending_failures: Vec::new(),
        };
        write_file(&path, &file)?;
        Ok((Keyring { path, file }, recovery))
    }

    /// Wraps `key` for `username` under `password` (replacing an earlier wrap: a password change).
    ///
    /// Panics if `params` are outside argon2's limits.
    pub fn add_account(
        &mut self,
        username: &str,
        password: &str,
        key: &DataKey,
        params: KdfParams,
    ) -> Result<(), VaultError> {
        let wrap = Wrap::seal(
            key,
            WrapOwner::Account(username),
            password.as_bytes(),
            params,
        );
        self.update(|file| {
            file.accounts.insert(username.to_owned(), wrap);
            ((), true)
        })
    }

    /// Removes `username`'s wrap (and its failure count). No error if it had none.
    pub fn remove_account(&mut self, username: &str) -> Result<(), VaultError> {
        self.update(|file| {
            let had_wrap = file.accounts.remove(username).is_some();
            let had_failures = file.failures.remove(username).is_some();
            ((), had_wrap || had_failures)
        })
    }

    pub fn has_account(&self, username: &str) -> bool {
        self.file.accounts.contains_key(username)
    }

    /// Usernames that have a wrap, sorted.
    pub fn usernames(&self) -> Vec<String> {
        self.file.accounts.keys().cloned().collect()
    }

    /// Checks the lockout, then unwraps the data key with `password`. A failure is counted,
    /// remembered as a PendingFailure and saved; success resets the count. An unknown username
    /// fails the same way (after the same work, so timing does not tell).
    ///
    /// An attempt while locked out is refused without trying the password; it is remembered
    /// (reason `locked_out`) but does not add to the count. If the failure cannot be saved, the
    /// answer is that I/O error instead of the refusal.
    pub fn unlock(
        &mut self,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<DataKey, SignInError> {
        self.refresh().map_err(sign_in_error)?;
        if self.file.lockout(username, now).is_some() {
            return Err(self
                .update(|file| (file.count_failure(username, REASON_LOCKED_OUT, now), true))
                .map_err(sign_in_error)?);
        }
        let reason = match self.file.accounts.get(username) {
            None => {
                dummy_derivation(self.file.recovery.kdf, password.as_bytes());
                REASON_UNKNOWN_USER
            }
            Some(wrap) => match wrap.open(WrapOwner::Account(username), password.as_bytes()) {
                Ok(key) => {
                    self.record_success(username).map_err(sign_in_error)?;
                    return Ok(key);
                }
                Err(OpenError::WrongSecret) => REASON_WRONG_PASSWORD,
                Err(OpenError::Malformed(malformed)) => {
                    return Err(sign_in_error(self.damaged(format!(
                        "the wrap of account {username:?}: {}",
                        malformed.0
                    ))))
                }
            },
        };
        Err(self
            .update(|file| (file.count_failure(username, reason, now), true))
            .map_err(sign_in_error)?)
    }

    /// Refuses with LockedOut while `username` must still wait.
    ///
    /// Reads the file afresh, so failures counted by another process (`plkk` beside the app)
    /// are seen.
    pub fn check_lockout(&self, username: &str, now: DateTime<Utc>) -> Result<(), SignInError> {
        let file = read_file(&self.path).map_err(sign_in_error)?;
        match file.lockout(username, now) {
            Some(refusal) => Err(refusal),
            None => Ok(()),
        }
    }

    /// Counts a failure that was checked elsewhere (a wrong PIN), saves, and answers the refusal.
    ///
    /// With reason `"locked_out"` the attempt is remembered but not counted, and the answer is
    /// `LockedOut` while the username must still wait.
    pub fn record_failure(
        &mut self,
        username: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<SignInError, VaultError> {
        self.update(|file| (file.count_failure(username, reason, now), true))
    }

    /// Remembers a refused recovery attempt for `username` (reason `"wrong_recovery_key"`) until
    /// the audit log can record it, without counting it against the username's sign-ins: the
    /// recovery key has 140 random bits, and a stranger's guesses must not lock the
    /// administrator out.
    pub fn remember_refused_recovery(
        &mut self,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<(), VaultError> {
        self.update(|file| {
            let failures = file.failures.get(username).map_or(0, |f| f.count);
            file.push_pending(PendingFailure {
                at: now,
                username: username.to_owned(),
                reason: REASON_WRONG_RECOVERY_KEY.to_owned(),
                failures,
            });
            ((), true)
        })
    }

    /// Resets `username`'s failure count (after a correct PIN).
    pub fn record_success(&mut self, username: &str) -> Result<(), VaultError> {
        // Written only if there was a count to reset.
        self.update(|file| ((), file.failures.remove(username).is_some()))
    }

    /// Failed sign-ins not yet in the audit log; cleared (and saved) by this call.
    pub fn take_pending_failures(&mut self) -> Result<Vec<PendingFailure>, VaultError> {
        self.update(|file| {
            let taken = std::mem::take(&mut file.pending_failures);
            let changed = !taken.is_empty();
            (taken, changed)
        })
    }

    /// Unwraps the data key with the recovery key.
    pub fn unlock_with_recovery(&self, recovery: &str) -> Result<DataKey, VaultError> {
        let canonical = canonical_recovery(recovery).ok_or(VaultError::WrongRecoveryKey)?;
        match self
            .file
            .recovery
            .open(WrapOwner::Recovery, canonical.as_bytes())
        {
            Ok(key) => Ok(key),
            Err(OpenError::WrongSecret) => Err(VaultError::WrongRecoveryKey),
            Err(OpenError::Malformed(malformed)) => {
                Err(self.damaged(format!("the recovery wrap: {}", malformed.0)))
            }
        }
    }

    /// Re-reads the file, so that changes made by another process are not lost.
    fn refresh(&mut self) -> Result<(), VaultError> {
        self.file = read_file(&self.path)?;
        Ok(())
    }

    /// Re-reads the file, applies `change` (which says whether it changed anything) and saves.
    /// On a failed save the keyring stays as it was.
    fn update<T>(
        &mut self,
        change: impl FnOnce(&mut KeyringFile) -> (T, bool),
    ) -> Result<T, VaultError> {
        let mut file = read_file(&self.path)?;
        let (answer, changed) = change(&mut file);
        if changed {
            write_file(&self.path, &file)?;
        }
        self.file = file;
        Ok(answer)
    }

    fn damaged(&self, reason: String) -> VaultError {
        VaultError::Damaged {
            path: self.path.display().to_string(),
            reason,
        }
    }
}

/// `NotSetUp` keeps its sign-in meaning; other keyring problems pass through.
fn sign_in_error(error: VaultError) -> SignInError {
    match error {
        VaultError::NotSetUp => SignInError::NotSetUp,
        other => SignInError::Vault(other),
    }
}

fn io_error(path: &Path, source: io::Error) -> VaultError {
    VaultError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn read_file(path: &Path) -> Result<KeyringFile, VaultError> {
    let text = match fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(VaultError::NotSetUp),
        Err(source) => return Err(io_error(path, source)),
    };
    let damaged = |reason: String| VaultError::Damaged {
        path: path.display().to_string(),
        reason,
    };
    let file: KeyringFile = serde_json::from_slice(&text).map_err(|e| damaged(e.to_string()))?;
    if file.version != FORMAT_VERSION {
        return Err(damaged(format!(
            "format version {} is not supported (this program reads version {FORMAT_VERSION})",
            file.version
        )));
    }
    file.recovery
        .validate()
        .map_err(|m| damaged(format!("the recovery wrap: {}", m.0)))?;
    for (username, wrap) in &file.accounts {
        wrap.validate()
            .map_err(|m| damaged(format!("the wrap of account {username:?}: {}", m.0)))?;
    }
    Ok(file)
}

fn write_file(path: &Path, file: &KeyringFile) -> Result<(), VaultError> {
    let mut json = serde_json::to_vec_pretty(file).expect("the keyring serializes to JSON");
    json.push(b'\n');
    write_atomically(path, &json).map_err(|source| io_error(path, source))
}

/// Writes `bytes` to a temporary file next to `path` (owner-only on unix), syncs it and renames
/// it over `path`. The temporary name is unique per process and write, so two writers never
/// share one.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let tmp = path.with_file_name(format!(
        "{KEYRING_FILE_NAME}.{}-{}.tmp",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    // A leftover of a crashed writer that had the same process id may have other permissions.
    let _ = fs::remove_file(&tmp);
    let written = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut out = options.open(&tmp)?;
        out.write_all(bytes)?;
        out.sync_all()?;
        drop(out);
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Makes the rename itself durable; best effort.
        if let Ok(dir) = fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}
