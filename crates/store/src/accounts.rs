//! Staff accounts and their roles (who may do what is checked in `access.rs`). Accounts are
//! deactivated, never deleted (records keep naming their authors); removing one also removes its
//! key wrap, so its password no longer opens the database.

use chrono::{DateTime, FixedOffset};
use plkk_domain::limits;
use plkk_domain::{Action, AuditAction, Role};
use plkk_vault::{KdfParams, Keyring};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;

use crate::access::{require, Actor};
use crate::audit;
use crate::error::{field_error, refused};
use crate::rows::immediate;
use crate::{Store, StoreError};

/// An account as an administrator (or the lock screen) sees it. No secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Account {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub has_pin: bool,
    pub created_at: String,
}

impl Account {
    pub fn actor(&self) -> Actor {
        Actor {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
        }
    }
}

/// A new account as typed by an administrator (or at setup).
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password: &'a str,
    pub pin: Option<&'a str>,
}

/// Every account's username and full name (removed ones too: their records still name them), so
/// screens show who wrote a note or a correction by name. Any signed-in role may read it.
pub fn staff_names(store: &Store, actor: &Actor) -> Result<Vec<(String, String)>, StoreError> {
    require(actor, Action::View)?;
    let mut statement = store
        .conn
        .prepare_cached("SELECT username, display_name FROM accounts ORDER BY username")?;
    let names = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(names)
}

/// Every field error of a new account at once (nothing is written when there is one).
pub(crate) fn check_new_account(new: &NewAccount<'_>) -> Result<(), StoreError> {
    let mut errors = Vec::new();
    let mut over_long = Vec::new();
    let mut refuse = |field: &str, rule: &str, message: &str| {
        errors.push(field_error(field, rule, format!("{field}: {message}")));
    };
    let username_ok = limits::refusal(limits::ACCOUNT, "username", new.username).is_none()
        && new
            .username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !username_ok {
        refuse(
            "username",
            "bad_username",
            "2 to 32 characters: lower-case letters, digits, '.', '_' or '-'",
        );
    }
    let name = new.display_name.trim();
    if name.is_empty() || limits::refusal(limits::ACCOUNT, "display_name", name).is_some() {
        refuse(
            "display_name",
            "required",
            "the person's full name, at most 100 characters",
        );
    }
    match password_refusal(new.password) {
        Some(weak) if weak.rule == "weak_password" => {
            refuse("password", "weak_password", "at least 8 characters");
        }
        Some(too_long) => over_long.push(too_long),
        None => {}
    }
    if let Some(pin) = new.pin {
        if !is_pin(pin) {
            refuse("pin", "bad_pin", "exactly 6 digits");
        }
    }
    errors.extend(over_long);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(plkk_domain::Rejected {
            errors,
            warnings: Vec::new(),
        }))
    }
}

/// Why `password` cannot be an account's password (field `password`): under 8 characters
/// (`weak_password`) or longer than the limit; None when it can.
pub(crate) fn password_refusal(password: &str) -> Option<plkk_domain::Issue> {
    if password.chars().count() < 8 {
        Some(field_error(
            "password",
            "weak_password",
            "password: at least 8 characters".to_owned(),
        ))
    } else {
        limits::refusal(limits::ACCOUNT, "password", password)
    }
}

pub(crate) fn is_pin(pin: &str) -> bool {
    limits::refusal(limits::ACCOUNT, "pin", pin).is_none()
        && pin.chars().all(|c| c.is_ascii_digit())
}

/// Inserts an account row (inside the caller's transaction).
pub(crate) fn insert_account(
    conn: &Connection,
    new: &NewAccount<'_>,
    created_by: &str,
    params: KdfParams,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM accounts WHERE username = ?1)",
        [new.username],
        |row| row.get(0),
    )?;
    if exists {
        return Err(refused(
            "username",
            "username_taken",
            format!(
                "username: {} is already used by an account on this desk",
                new.username
            ),
        ));
    }
    conn.execute(
        "INSERT INTO accounts (username, display_name, role, pin_hash, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            new.username,
            new.display_name.trim(),
            new.role.as_str(),
            new.pin.map(|pin| plkk_vault::hash_secret_with(pin, params)),
            now.to_rfc3339(),
            created_by,
        ],
    )?;
    Ok(())
}

/// Creates an account (administrators only): its row, its key wrap and an audit entry. `params`
/// is the cost of the new wrap and PIN hash.
pub fn add_account(
    store: &mut Store,
    keyring: &mut Keyring,
    actor: &Actor,
    new: &NewAccount<'_>,
    params: KdfParams,
    now: DateTime<FixedOffset>,
) -> Result<Account, StoreError> {
    require(actor, Action::ManageAccounts)?;
    check_new_account(new)?;
    let key = store_key(store)?;
    let tx = immediate(&store.conn)?;
    insert_account(&tx, new, &actor.username, params, now)?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::AccountAdded,
        Some(new.username),
        json!({ "role": new.role.as_str(), "display_name": new.display_name.trim() }),
    )?;
    keyring.add_account(new.username, new.password, &key, params)?;
    tx.commit()?;
    account(store, new.username)?.ok_or_else(|| StoreError::Corrupt("account vanished".into()))
}

/// Deactivates an account and removes its key wrap (administrators only). Refuses removing
/// yourself or the last administrator, which would lock the clinic out of administration.
pub fn remove_account(
    store: &mut Store,
    keyring: &mut Keyring,
    actor: &Actor,
    username: &str,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    require(actor, Action::ManageAccounts)?;
    let target = account(store, username)?
        .filter(|account| account.active)
        .ok_or_else(|| StoreError::NotFound {
            what: "account",
            id: username.to_owned(),
        })?;
    if target.username == actor.username {
        return Err(refused(
            "username",
            "cannot_remove_self",
            "username: you cannot remove your own account".to_owned(),
        ));
    }
    let tx = immediate(&store.conn)?;
    tx.execute(
        "UPDATE accounts SET active = 0, removed_at = ?2, removed_by = ?3 WHERE username = ?1",
        params![username, now.to_rfc3339(), actor.username],
    )?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::AccountRemoved,
        Some(username),
        json!({ "role": target.role.as_str() }),
    )?;
    keyring.remove_account(username)?;
    tx.commit()?;
    Ok(())
}

/// Sets or clears an account's quick-unlock PIN (administrators, or the person themself);
/// `params` is the cost of its hash.
pub fn set_pin(
    store: &Store,
    actor: &Actor,
    username: &str,
    pin: Option<&str>,
    params: KdfParams,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    if actor.username != username {
        require(actor, Action::ManageAccounts)?;
    }
    if let Some(pin) = pin {
        if !is_pin(pin) {
            return Err(refused(
                "pin",
                "bad_pin",
                "pin: exactly 6 digits".to_owned(),
            ));
        }
    }
    let tx = immediate(&store.conn)?;
    let changed = tx.execute(
        "UPDATE accounts SET pin_hash = ?2 WHERE username = ?1 AND active = 1",
        params![
            username,
            pin.map(|pin| plkk_vault::hash_secret_with(pin, params))
        ],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound {
            what: "account",
            id: username.to_owned(),
        });
    }
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::AccountChanged,
        Some(username),
        json!({ "pin": if pin.is_some() { "set" } else { "cleared" } }),
    )?;
    tx.commit()?;
    Ok(())
}

/// Every account, active ones first (administrators only).
pub fn list_accounts(store: &Store, actor: &Actor) -> Result<Vec<Account>, StoreError> {
    require(actor, Action::ManageAccounts)?;
    let mut statement = store.conn.prepare(
        "SELECT username, display_name, role, active, pin_hash IS NOT NULL, created_at
         FROM accounts ORDER BY active DESC, display_name",
    )?;
    let rows = statement.query_map([], account_row)?;
    rows.map(|row| row?.map_err(StoreError::Corrupt)).collect()
}

/// One account by username, active or not.
pub fn account(store: &Store, username: &str) -> Result<Option<Account>, StoreError> {
    let row = store
        .conn
        .query_row(
            "SELECT username, display_name, role, active, pin_hash IS NOT NULL, created_at
             FROM accounts WHERE username = ?1",
            [username],
            account_row,
        )
        .optional()?;
    row.transpose().map_err(StoreError::Corrupt)
}

/// The PIN hash of an active account, if it has one.
pub(crate) fn pin_hash(store: &Store, username: &str) -> Result<Option<String>, StoreError> {
    Ok(store
        .conn
        .query_row(
            "SELECT pin_hash FROM accounts WHERE username = ?1 AND active = 1",
            [username],
            |row| row.get(0),
        )
        .optional()?
        .flatten())
}

type AccountRow = Result<Account, String>;

fn account_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AccountRow> {
    let role: String = row.get(2)?;
    let Some(role) = Role::parse(&role) else {
        return Ok(Err(format!("unknown role {role:?}")));
    };
    Ok(Ok(Account {
        username: row.get(0)?,
        display_name: row.get(1)?,
        role,
        active: row.get(3)?,
        has_pin: row.get(4)?,
        created_at: row.get(5)?,
    }))
}

/// The open store's data key, to wrap for a new account.
pub(crate) fn store_key(store: &Store) -> Result<plkk_vault::DataKey, StoreError> {
    store
        .key
        .clone()
        .ok_or_else(|| StoreError::Corrupt("this database has no key (in-memory)".into()))
}
