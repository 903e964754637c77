//! What the desk offers a receptionist so that less is typed (issue 9): the employers this desk
//! has seen (`employer_offers`, with the NPP, segment, workplace accident location and contact
//! person of the latest case naming them) and the patient fields of a returning patient's latest case
//! (`returning_patient`). The `employers` table is a projection of the cases, written with them
//! (`remember_employer`). Offers are only offers: the window fills a field with one when the
//! person takes it.

use chrono::{DateTime, FixedOffset};
use plkk_domain::{normalise, Action, AuditAction, Intake, JsonObject, PlaceType};
use rusqlite::{params, Connection};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::accounts::{require, Actor};
use crate::audit::{self, immediate};
use crate::{Store, StoreError};

/// An employer this desk has seen, as its latest case gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
pub struct ReturningPatient {
    pub case_id: Uuid,
    pub admitted_at: DateTime<FixedOffset>,
    /// Only the fields of `PATIENT_FIELDS` that the case has.
    pub fields: JsonObject,
}

/// How a typed employer name is matched: its words in the search normal form
/// (`plkk_domain::normalise`: no case, accents or apostrophes; other punctuation splits words),
/// so `jaya` finds "PT. Maju-Jaya" as the case search does.
fn name_key(name: &str) -> String {
    normalise::index_text(name)
}

/// Adds one case's (or one older row's) employer to the offers: the latest case's values win,
/// an NPP or workplace location given earlier is kept, uses add up.
const UPSERT_EMPLOYER: &str = "INSERT INTO employers
         (name_key, name, npp, segment, location, contact_name, contact_phone, uses, last_seq)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
     ON CONFLICT (name_key) DO UPDATE SET
         name = excluded.name,
         npp = coalesce(excluded.npp, employers.npp),
         segment = excluded.segment,
         location = coalesce(excluded.location, employers.location),
         contact_name = excluded.contact_name,
         contact_phone = excluded.contact_phone,
         uses = employers.uses + excluded.uses,
         last_seq = max(employers.last_seq, excluded.last_seq)";

/// Keeps the employer of a case written just now (admission, correction, pulled record) among
/// those offered. Called inside the transaction that writes the case projection.
pub(crate) fn remember_employer(
    conn: &Connection,
    intake_seq: i64,
    intake: &Intake,
) -> Result<(), StoreError> {
    let Some(name) = intake.employer_name.as_deref() else {
        return Ok(());
    };
    let location =
        (intake.place_type == PlaceType::Workplace).then_some(intake.accident_location.as_str());
    conn.prepare_cached(UPSERT_EMPLOYER)?.execute(params![
        name_key(name),
        name.trim(),
        intake.employer_npp,
        intake.segment.to_string(),
        location,
        intake.contact_name,
        intake.contact_phone,
        1,
        intake_seq,
    ])?;
    Ok(())
}

/// Keys the employers already offered anew after the key's normal form changed (migration
/// `0015_employers_normal_form`): rows whose names now share a key ("PT Maju Jaya" and
/// "PT. Maju-Jaya") become one, the latest one's values first, their uses added up.
pub(crate) fn rekey_employers(conn: &Connection) -> Result<(), StoreError> {
    type Row = (
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
        i64,
    );
    let rows: Vec<Row> = conn
        .prepare(
            "SELECT name, npp, segment, location, contact_name, contact_phone, uses, last_seq
             FROM employers ORDER BY last_seq",
        )?
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    conn.execute("DELETE FROM employers", [])?;
    let mut upsert = conn.prepare(UPSERT_EMPLOYER)?;
    for (name, npp, segment, location, contact_name, contact_phone, uses, last_seq) in rows {
        upsert.execute(params![
            name_key(&name),
            name,
            npp,
            segment,
            location,
            contact_name,
            contact_phone,
            uses,
            last_seq,
        ])?;
    }
    Ok(())
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
