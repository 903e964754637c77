//! What the desk offers a receptionist so that less is typed (issue 9): the employers this desk
//! has seen (`employer_offers`, with the NPP, segment, workplace accident location and contact
//! person of the latest case naming them) and the patient fields of a returning patient's latest case
//! (`returning_patient`). The `employers` table is a projection of the cases, written with them
//! (`projection::remember_employer`). Offers are only offers: the window fills a field with one when the
//! person takes it.

use chrono::{DateTime, FixedOffset};
use plkk_domain::{normalise, Action, AuditAction, Intake, JsonObject};
use rusqlite::params;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::access::{require, Actor};
use crate::audit;
use crate::projection::name_key;
use crate::rows::immediate;
use crate::{Store, StoreError};

/// An employer this desk has seen, as its latest case gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EmployerOffer {
    pub employer_name: String,
    pub employer_npp: Option<String>,
    pub segment: String,
    /// The accident location of its latest workplace accident, if any.
    pub accident_location: Option<String>,
    /// The contact person (escort) of its latest case: employers often send the same officer.
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// How often a case naming it was written.
    pub uses: u32,
}

/// The intake fields that describe the patient (not the accident), copied from an earlier case.
pub const PATIENT_FIELDS: &[&str] = &[
    "nik",
    "kpj",
    "identity_document",
    "full_name",
    "sex",
    "birth_date",
    "phone",
    "address",
    "occupation",
    "employer_name",
    "employer_npp",
    "segment",
];

/// The patient fields of a returning patient's latest case.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReturningPatient {
    pub case_id: Uuid,
    pub admitted_at: DateTime<FixedOffset>,
    /// Only the fields of `PATIENT_FIELDS` that the case has.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string>"))]
    pub fields: JsonObject,
}

/// Employers this desk has seen whose name has a word starting with what was typed (at least
/// 2 characters; "maj" finds "PT Maju Jaya"), the most used first, at most `limit`.
pub fn employer_offers(
    store: &Store,
    actor: &Actor,
    typed: &str,
    limit: usize,
) -> Result<Vec<EmployerOffer>, StoreError> {
    require(actor, Action::View)?;
    let typed = name_key(typed);
    if typed.chars().count() < 2 {
        return Ok(Vec::new());
    }
    let escaped = typed
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let limit = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
    let mut statement = store.conn.prepare_cached(
        "SELECT name, npp, segment, location, contact_name, contact_phone, uses FROM employers
         WHERE name_key LIKE ?1 || '%' ESCAPE '\\' OR name_key LIKE '% ' || ?1 || '%' ESCAPE '\\'
         ORDER BY name_key = ?2 DESC, uses DESC, last_seq DESC LIMIT ?3",
    )?;
    let offers = statement
        .query_map(params![escaped, typed, limit], |row| {
            Ok(EmployerOffer {
                employer_name: row.get(0)?,
                employer_npp: row.get(1)?,
                segment: row.get(2)?,
                accident_location: row.get(3)?,
                contact_name: row.get(4)?,
                contact_phone: row.get(5)?,
                uses: row.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(offers)
}

/// The patient fields of the latest case with this NIK (read like the search box reads one:
/// `3216 0557 0890 0003` is `3216055708900003`), to copy into a new admission of the same
/// person. Reading them is recorded in the audit log as opening that case. None when this desk
/// has no case with the NIK.
pub fn returning_patient(
    store: &Store,
    actor: &Actor,
    nik: &str,
    now: DateTime<FixedOffset>,
) -> Result<Option<ReturningPatient>, StoreError> {
    require(actor, Action::View)?;
    let record: Option<String> = store
        .conn
        .prepare_cached("SELECT record FROM cases WHERE nik = ?1 ORDER BY intake_seq DESC LIMIT 1")?
        .query_map([normalise::identity_key(nik).unwrap_or_default()], |row| {
            row.get(0)
        })?
        .next()
        .transpose()?;
    let Some(record) = record else {
        return Ok(None);
    };
    let intake: Intake = serde_json::from_str(&record)?;
    let tx = immediate(&store.conn)?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::OpenCase,
        Some(&intake.id.to_string()),
        json!({ "copied": "patient_fields" }),
    )?;
    tx.commit()?;
    let fields = intake
        .to_fields()
        .into_iter()
        .filter(|(name, _)| PATIENT_FIELDS.contains(&name.as_str()))
        .collect();
    Ok(Some(ReturningPatient {
        case_id: intake.id,
        admitted_at: intake.admitted_at,
        fields,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_names_are_matched_in_the_search_normal_form() {
        assert_eq!(name_key("  PT Maju Jaya "), "pt maju jaya");
        assert_eq!(name_key("CV SINAR"), "cv sinar");
        assert_eq!(name_key("PT. Maju-Jaya"), "pt maju jaya");
        assert_eq!(name_key("Toko Ma’ruf"), "toko maruf");
        assert_eq!(name_key("Café Sénang"), "cafe senang");
    }
}
