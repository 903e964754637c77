//! Desk preferences. The screens' language lives in `preferences.json` beside the database, in
//! the clear, because the sign-in screen needs it before the database can be opened. The idle-lock
//! time is a rule of the clinic, so it lives in the encrypted database and only an administrator
//! changes it.

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use plkk_domain::{Action, AuditAction};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::access::{require, Actor};
use crate::audit;
use crate::error::refused;
use crate::rows::immediate;
use crate::{Store, StoreError};

const PREFERENCES_FILE_NAME: &str = "preferences.json";

/// Minutes without a key press or mouse move before the screen locks, unless changed.
pub const DEFAULT_IDLE_LOCK_MINUTES: u32 = 5;

/// The language of the desk's screens: Indonesian unless someone switched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Language {
    #[default]
    Id,
    En,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Preferences {
    #[serde(default)]
    language: Language,
}

/// The remembered language (Indonesian when none was chosen or the file is unreadable).
pub fn language(data_dir: &Path) -> Language {
    std::fs::read(data_dir.join(PREFERENCES_FILE_NAME))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Preferences>(&bytes).ok())
        .unwrap_or_default()
        .language
}

pub fn set_language(data_dir: &Path, language: Language) -> Result<(), StoreError> {
    let path = data_dir.join(PREFERENCES_FILE_NAME);
    let text = serde_json::to_vec_pretty(&Preferences { language })?;
    std::fs::create_dir_all(data_dir)
        .and_then(|()| std::fs::write(&path, text))
        .map_err(|source| StoreError::File {
            path: path.display().to_string(),
            source,
        })
}

/// Minutes of inactivity before the screen locks.
pub fn idle_lock_minutes(store: &Store) -> Result<u32, StoreError> {
    let stored: Option<String> = store
        .conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'idle_lock_minutes'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    Ok(stored
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_IDLE_LOCK_MINUTES))
}

/// Changes the idle-lock time (administrators only; 1 to 120 minutes).
pub fn set_idle_lock_minutes(
    store: &Store,
    actor: &Actor,
    minutes: u32,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    require(actor, Action::ChangeSettings)?;
    if !(1..=120).contains(&minutes) {
        return Err(refused(
            "idle_minutes",
            "out_of_range",
            format!("idle_minutes: between 1 and 120 minutes, got {minutes}"),
        ));
    }
    let tx = immediate(&store.conn)?;
    tx.execute(
        "INSERT INTO settings (key, value) VALUES ('idle_lock_minutes', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [minutes.to_string()],
    )?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::SettingsChanged,
        Some("idle_lock_minutes"),
        json!({ "minutes": minutes }),
    )?;
    tx.commit()?;
    Ok(())
}

/// A value of the `settings` table (kept by other modules: the last backup, a restore waiting
/// for the branch).
pub(crate) fn read_setting(
    conn: &rusqlite::Connection,
    key: &str,
) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
        row.get(0)
    })
    .optional()
}

pub(crate) fn write_setting(
    conn: &rusqlite::Connection,
    key: &str,
    value: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

pub(crate) fn remove_setting(conn: &rusqlite::Connection, key: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM settings WHERE key = ?1", [key])?;
    Ok(())
}
