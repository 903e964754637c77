//! Half-typed forms (drafts), kept per person in the desk's encrypted database so that a restart,
//! a power cut or another person's turn loses nothing (issue 9). A draft is the form's field values
//! as typed, under a form name ("intake", "note:<case id>"); only its author reads it back, it is
//! replaced while typing and deleted when the form is saved. Drafts are not records: they are
//! never sent to the branch and not audited (they would flood the log with every keystroke).

use chrono::{DateTime, FixedOffset};
use plkk_domain::JsonObject;
use rusqlite::params;
use serde::Serialize;

use crate::access::Actor;
use crate::error::refused;
use crate::{Store, StoreError};

/// Form names are short and plain: "intake" or "note:" and a case id.
const FORM_NAME_MAX: usize = 64;
/// A draft's JSON may not be larger (bytes): a whole intake with a 4000-character chronology is
/// well under it.
const DRAFT_MAX_BYTES: usize = 64 * 1024;

/// One person's draft of one form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Draft {
    pub form: String,
    pub values: JsonObject,
    pub updated_at: String,
}

fn check_form_name(form: &str) -> Result<(), StoreError> {
    let plain = form
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_'));
    if form.is_empty() || form.len() > FORM_NAME_MAX || !plain {
        return Err(refused(
            "form",
            "draft_form",
            format!("form: a draft's form name is letters, digits, ':', '-' or '_', at most {FORM_NAME_MAX} characters"),
        ));
    }
    Ok(())
}

/// Every draft of the signed-in person.
pub fn drafts_of(store: &Store, actor: &Actor) -> Result<Vec<Draft>, StoreError> {
    let mut statement = store.conn.prepare_cached(
        "SELECT form, body, updated_at FROM drafts WHERE username = ?1 ORDER BY form",
    )?;
    let rows: Vec<(String, String, String)> = statement
        .query_map([&actor.username], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(form, body, updated_at)| {
            Ok(Draft {
                form,
                values: serde_json::from_str(&body)?,
                updated_at,
            })
        })
        .collect()
}

/// Keeps (or replaces) the signed-in person's draft of `form`.
pub fn save_draft(
    store: &Store,
    actor: &Actor,
    form: &str,
    values: &JsonObject,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    check_form_name(form)?;
    let body = serde_json::to_string(values)?;
    if body.len() > DRAFT_MAX_BYTES {
        return Err(refused(
            "values",
            "too_long",
            format!(
                "values: a draft is at most {DRAFT_MAX_BYTES} bytes (got {})",
                body.len()
            ),
        ));
    }
    store.conn.prepare_cached(
        "INSERT INTO drafts (username, form, body, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (username, form) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    )?
    .execute(params![actor.username, form, body, now.to_rfc3339()])?;
    Ok(())
}

/// Forgets the signed-in person's draft of `form` (after a save, or when started over).
pub fn clear_draft(store: &Store, actor: &Actor, form: &str) -> Result<(), StoreError> {
    check_form_name(form)?;
    store
        .conn
        .prepare_cached("DELETE FROM drafts WHERE username = ?1 AND form = ?2")?
        .execute(params![actor.username, form])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_names() {
        for good in ["intake", "note:019ab5d2-7c00-7000-8000-000000000001"] {
            assert!(check_form_name(good).is_ok(), "{good}");
        }
        for bad in ["", "intake'; drop", "note/../x", &"x".repeat(65)] {
            assert!(check_form_name(bad).is_err(), "{bad}");
        }
    }
}
