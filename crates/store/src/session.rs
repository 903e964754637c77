//! Setting a desk up and signing in. Setup makes the data key, wraps it for the first
//! administrator and under a recovery key, and encrypts a database left by an earlier, unencrypted
//! version. Signing in unwraps the key with the password (`plkk-vault`), opens the database, checks
//! the account is active and records the sign-in, together with failed attempts the keyring kept
//! while the database was closed.

use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};
use plkk_domain::limits;
use plkk_domain::{AuditAction, Role};
use plkk_vault::{DataKey, KdfParams, Keyring, SignInError};
use serde_json::json;

use crate::access::Actor;
use crate::accounts::{self, check_new_account, insert_account, Account, NewAccount};
use crate::audit;
use crate::encrypt::{
    encrypt_plain_database, finish_interrupted_encryption, plain_database_records,
};
use crate::rows::immediate;
use crate::{DeskAccess, Store, StoreError, DATABASE_FILE_NAME};

/// Where a data directory stands before anyone signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskPhase {
    /// No keyring: the first administrator must be created.
    NeedsSetup,
    /// Set up: sign in to open the database.
    SetUp,
}

pub fn desk_phase(data_dir: &Path) -> DeskPhase {
    if Keyring::exists(data_dir) {
        DeskPhase::SetUp
    } else {
        DeskPhase::NeedsSetup
    }
}

/// Records of an unencrypted database from an earlier version that setup will encrypt (None when
/// there is none).
pub fn unencrypted_records(data_dir: &Path) -> Option<u64> {
    plain_database_records(&data_dir.join(DATABASE_FILE_NAME))
}

/// Why setup cannot run here, if it cannot: a database file exists that is not a readable plain
/// database (damaged, or encrypted by a keyring that is gone). It is never overwritten.
pub fn setup_obstacle(data_dir: &Path) -> Option<String> {
    let path = data_dir.join(DATABASE_FILE_NAME);
    (path.exists() && plain_database_records(&path).is_none()).then(|| {
        format!(
            "{} exists but cannot be read (damaged, or encrypted with keys that are missing); \
             restore keyring.json from a backup, or move the file away to start a new desk",
            path.display()
        )
    })
}

/// What setup hands back: the open desk, its first administrator, and the recovery key to show
/// once.
#[derive(Debug)]
pub struct SetupDone {
    pub access: DeskAccess,
    pub store: Store,
    pub admin: Account,
    pub recovery_key: String,
    /// Records found in an unencrypted database and now encrypted (0 for a new desk).
    pub migrated_records: u64,
}

/// Sets a desk up with its first administrator. Refused when the desk is set up already.
pub fn setup(
    data_dir: &Path,
    admin: &NewAccount<'_>,
    params: KdfParams,
    now: DateTime<FixedOffset>,
) -> Result<SetupDone, StoreError> {
    let admin = NewAccount {
        role: Role::Admin,
        ..admin.clone()
    };
    check_new_account(&admin)?;
    if Keyring::exists(data_dir) {
        return Err(StoreError::AlreadySetUp);
    }
    if let Some(obstacle) = setup_obstacle(data_dir) {
        return Err(StoreError::Corrupt(obstacle));
    }
    crate::files::create_private_dir(data_dir).map_err(|source| StoreError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    let key = DataKey::generate();
    // An earlier version's plain database is copied, encrypted, before the keyring exists, and
    // swapped in after: a crash in between leaves either the plain file (setup again) or the
    // keyring with a finished encrypted copy (completed at the next open).
    let encrypted = encrypt_plain_database(data_dir, &key)?;
    let (mut keyring, recovery) = Keyring::create(data_dir, &key, params)?;
    keyring.add_account(admin.username, admin.password, &key, params)?;
    finish_interrupted_encryption(data_dir)?;
    let access = DeskAccess::new(data_dir, key);
    let store = access.open()?;
    let tx = immediate(&store.conn)?;
    insert_account(&tx, &admin, admin.username, params, now)?;
    if let Some(records) = encrypted {
        audit::append(
            &tx,
            now,
            admin.username,
            AuditAction::DatabaseEncrypted,
            None,
            json!({ "records": records }),
        )?;
    }
    audit::append(
        &tx,
        now,
        admin.username,
        AuditAction::Setup,
        Some(admin.username),
        json!({ "role": "admin" }),
    )?;
    tx.commit()?;
    let account = accounts::account(&store, admin.username)?
        .ok_or_else(|| StoreError::Corrupt("the administrator was not saved".into()))?;
    Ok(SetupDone {
        access,
        store,
        admin: account,
        recovery_key: recovery.as_str().to_owned(),
        migrated_records: encrypted.unwrap_or(0),
    })
}

/// A signed-in desk: the database open with its key, and who is acting.
#[derive(Debug)]
pub struct SignedIn {
    pub access: DeskAccess,
    pub store: Store,
    pub actor: Actor,
}

/// Checks `password` by unwrapping the data key and opens the database (the app's first sign-in,
/// and every `plkk` command). `via` says where ("app", "cli") in the audit entry.
pub fn sign_in(
    data_dir: &Path,
    username: &str,
    password: &str,
    via: &str,
    now: DateTime<FixedOffset>,
) -> Result<SignedIn, StoreError> {
    let username = &typed_username(username);
    let mut keyring = load_keyring(data_dir)?;
    let key = keyring.unlock(username, password, now.with_timezone(&Utc))?;
    finish_interrupted_encryption(data_dir)?;
    let access = DeskAccess::new(data_dir, key);
    let mut store = access.open()?;
    let actor = match begin_session(&store, &mut keyring, username, via, now) {
        // The sign-in's audit entry found the disk full: give back the reserve and write it.
        Err(error)
            if error.storage_problem() == Some(crate::StorageProblem::DiskFull)
                && store.release_reserve() =>
        {
            begin_session(&store, &mut keyring, username, via, now)?
        }
        other => other?,
    };
    Ok(SignedIn {
        access,
        store,
        actor,
    })
}

/// Signs someone in on a desk whose database is already open (switching user, or unlocking with
/// a password): the password must still unwrap the key.
pub fn sign_in_open(
    store: &Store,
    data_dir: &Path,
    username: &str,
    password: &str,
    now: DateTime<FixedOffset>,
) -> Result<Actor, StoreError> {
    let username = &typed_username(username);
    let mut keyring = load_keyring(data_dir)?;
    match keyring.unlock(username, password, now.with_timezone(&Utc)) {
        Ok(_) => begin_session(store, &mut keyring, username, "app", now),
        Err(refusal) => {
            record_failures(store, &mut keyring)?;
            Err(refusal.into())
        }
    }
}

/// Unlocks the screen with a quick-unlock PIN (only while the database is open).
pub fn unlock_with_pin(
    store: &Store,
    data_dir: &Path,
    username: &str,
    pin: &str,
    now: DateTime<FixedOffset>,
) -> Result<Actor, StoreError> {
    let username = &typed_username(username);
    let mut keyring = load_keyring(data_dir)?;
    let utc = now.with_timezone(&Utc);
    if let Err(refusal) = keyring.check_lockout(username, utc) {
        record_failures(store, &mut keyring)?;
        return Err(refusal.into());
    }
    let matches = accounts::pin_hash(store, username)?
        .is_some_and(|hash| plkk_vault::verify_secret(&hash, pin));
    if !matches {
        let refusal = keyring.record_failure(username, "wrong_pin", utc)?;
        record_failures(store, &mut keyring)?;
        return Err(match refusal {
            SignInError::WrongCredentials { failures, wait } => {
                StoreError::WrongPin { failures, wait }
            }
            other => other.into(),
        });
    }
    keyring.record_success(username)?;
    let actor = active_actor(store, username)?;
    let tx = immediate(&store.conn)?;
    flush_failures(&tx, &mut keyring)?;
    audit::append(
        &tx,
        now,
        username,
        AuditAction::Unlock,
        None,
        json!({ "with": "pin" }),
    )?;
    tx.commit()?;
    Ok(actor)
}

/// Records failed sign-ins the keyring holds (the app calls this right after a failure).
pub fn record_failures(store: &Store, keyring: &mut Keyring) -> Result<(), StoreError> {
    let tx = immediate(&store.conn)?;
    flush_failures(&tx, keyring)?;
    tx.commit()?;
    Ok(())
}

fn begin_session(
    store: &Store,
    keyring: &mut Keyring,
    username: &str,
    via: &str,
    now: DateTime<FixedOffset>,
) -> Result<Actor, StoreError> {
    let actor = active_actor(store, username)?;
    let tx = immediate(&store.conn)?;
    flush_failures(&tx, keyring)?;
    audit::append(
        &tx,
        now,
        username,
        AuditAction::SignIn,
        None,
        json!({ "via": via }),
    )?;
    tx.commit()?;
    Ok(actor)
}

/// The active account behind a username whose password (or PIN) was right. A removed account
/// has no wrap any more, so this refuses only if the files disagree.
fn active_actor(store: &Store, username: &str) -> Result<Actor, StoreError> {
    match accounts::account(store, username)? {
        Some(account) if account.active => Ok(account.actor()),
        _ => Err(SignInError::WrongCredentials {
            failures: 0,
            wait: None,
        }
        .into()),
    }
}

/// A username as typed at sign-in, cut short when it is longer than any username can be: the cut
/// text ends in "…", so it never names a real account, and the failure it causes is counted and
/// audited under a name of bounded length.
pub(crate) fn typed_username(username: &str) -> String {
    limits::clip(username, limits::USERNAME + 1)
}

fn flush_failures(conn: &rusqlite::Connection, keyring: &mut Keyring) -> Result<(), StoreError> {
    for failure in keyring.take_pending_failures()? {
        audit::append(
            conn,
            failure.at.fixed_offset(),
            &failure.username,
            AuditAction::SignInFailed,
            None,
            json!({ "reason": failure.reason, "failures": failure.failures }),
        )?;
    }
    Ok(())
}

pub(crate) fn load_keyring(data_dir: &Path) -> Result<Keyring, StoreError> {
    match Keyring::load(data_dir) {
        Ok(keyring) => Ok(keyring),
        Err(plkk_vault::VaultError::NotSetUp) => Err(SignInError::NotSetUp.into()),
        Err(other) => Err(other.into()),
    }
}
