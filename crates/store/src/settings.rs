//! Desk preferences kept in the database, so they survive restarts and follow the data directory.

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use crate::{Store, StoreError};

/// The language of the desk's screens: Indonesian unless someone switched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Id,
    En,
}

pub fn language(store: &Store) -> Result<Language, StoreError> {
    let stored: Option<String> = store
        .conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'language'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    Ok(match stored.as_deref() {
        Some("en") => Language::En,
        _ => Language::Id,
    })
}

pub fn set_language(store: &Store, language: Language) -> Result<(), StoreError> {
    let value = match language {
        Language::Id => "id",
        Language::En => "en",
    };
    store.conn.execute(
        "INSERT INTO settings (key, value) VALUES ('language', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [value],
    )?;
    Ok(())
}
