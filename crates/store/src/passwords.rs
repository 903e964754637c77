//! Getting back in. A person changes their own password (proving the current one), an
//! administrator resets another account's password, and an administrator who forgot theirs sets a
//! new one with the recovery key shown at setup. Each wraps the data key afresh for that account in
//! the keyring (`plkk-vault`), so the old password no longer opens the database and the new one
//! does; other accounts' wraps are untouched. Each is audited (`account_changed`, detail
//! `password`: `changed`, `reset` or `recovered`) and clears the account's failed sign-ins. A
//! refused recovery key is audited as a failed sign-in (reason `wrong_recovery_key`) without
//! counting towards a lockout: the key has 140 random bits.

use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};
use plkk_domain::{Action, AuditAction, Role};
use plkk_vault::{KdfParams, Keyring, VaultError};
use serde_json::json;

use crate::access::{require, Actor};
use crate::accounts::{self, password_refusal, store_key};
use crate::audit;
use crate::encrypt::finish_interrupted_encryption;
use crate::error::refused;
use crate::rows::immediate;
use crate::session::{load_keyring, record_failures, typed_username};
use crate::{DeskAccess, Store, StoreError};

/// A password change: whose, the current password (required when it is one's own), and the new
/// one (at least 8 characters).
#[derive(Debug, Clone, Copy)]
pub struct PasswordChange<'a> {
    pub username: &'a str,
    pub current: Option<&'a str>,
    pub new: &'a str,
}

/// Changes `change.username`'s password: one's own with the current password, another's as an
/// administrator (a reset). Refused: a wrong current password (a failed sign-in, counted and
/// audited), a weak new one (`password`/`weak_password`), an unknown or removed account, or a
/// role that may not manage accounts.
pub fn change_password(
    store: &Store,
    keyring: &mut Keyring,
    actor: &Actor,
    change: &PasswordChange<'_>,
    params: KdfParams,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let own = actor.username == change.username;
    if own {
        let Some(current) = change.current.filter(|current| !current.is_empty()) else {
            return Err(refused(
                "current_password",
                "required",
                "current_password: type your current password".to_owned(),
            ));
        };
        if let Err(refusal) = keyring.unlock(change.username, current, now.with_timezone(&Utc)) {
            record_failures(store, keyring)?;
            return Err(refusal.into());
        }
    } else {
        require(actor, Action::ManageAccounts)?;
    }
    if let Some(refusal) = password_refusal(change.new) {
        return Err(StoreError::Invalid(plkk_domain::Rejected {
            errors: vec![refusal],
            warnings: Vec::new(),
        }));
    }
    accounts::account(store, change.username)?
        .filter(|account| account.active)
        .ok_or_else(|| StoreError::NotFound {
            what: "account",
            id: change.username.to_owned(),
        })?;
    let how = if own { "changed" } else { "reset" };
    rewrap(store, keyring, &actor.username, change, how, params, now)
}

/// Sets a new password for the administrator `username` with the desk's recovery key (spaces and
/// dashes in it are ignored). Refused: a wrong recovery key ([`VaultError::WrongRecoveryKey`],
/// audited), a weak new password, an unknown or removed account, or an account that is not an
/// administrator's (`username`/`not_admin`: an administrator resets those). Opens its own
/// connection; the caller signs in with the new password afterwards.
pub fn recover(
    data_dir: &Path,
    username: &str,
    recovery_key: &str,
    new_password: &str,
    params: KdfParams,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let username = &typed_username(username);
    let mut keyring = load_keyring(data_dir)?;
    let key = match keyring.unlock_with_recovery(recovery_key) {
        Ok(key) => key,
        Err(VaultError::WrongRecoveryKey) => {
            keyring.remember_refused_recovery(username, now.with_timezone(&Utc))?;
            // Written now if the database can be opened by someone else later; kept till then.
            return Err(VaultError::WrongRecoveryKey.into());
        }
        Err(other) => return Err(other.into()),
    };
    finish_interrupted_encryption(data_dir)?;
    let store = DeskAccess::new(data_dir, key).open()?;
    record_failures(&store, &mut keyring)?;
    let account = accounts::account(&store, username)?
        .filter(|account| account.active)
        .ok_or_else(|| StoreError::NotFound {
            what: "account",
            id: username.clone(),
        })?;
    if account.role != Role::Admin {
        return Err(refused(
            "username",
            "not_admin",
            format!(
                "username: {username} is not an administrator; the recovery key resets an \
                 administrator's password, and an administrator resets the other accounts"
            ),
        ));
    }
    if let Some(refusal) = password_refusal(new_password) {
        return Err(StoreError::Invalid(plkk_domain::Rejected {
            errors: vec![refusal],
            warnings: Vec::new(),
        }));
    }
    let change = PasswordChange {
        username,
        current: None,
        new: new_password,
    };
    rewrap(
        &store,
        &mut keyring,
        username,
        &change,
        "recovered",
        params,
        now,
    )
}

/// Wraps the data key for `change.username` under the new password and audits it, in one
/// transaction with the audit entry (the keyring is written before the commit, as for a new
/// account).
fn rewrap(
    store: &Store,
    keyring: &mut Keyring,
    by: &str,
    change: &PasswordChange<'_>,
    how: &str,
    params: KdfParams,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let key = store_key(store)?;
    let tx = immediate(&store.conn)?;
    audit::append(
        &tx,
        now,
        by,
        AuditAction::AccountChanged,
        Some(change.username),
        json!({ "password": how }),
    )?;
    keyring.add_account(change.username, change.new, &key, params)?;
    keyring.record_success(change.username)?;
    tx.commit()?;
    Ok(())
}
