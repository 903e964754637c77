//! Checking a desk's letter (`plkk-branch case verify-letter CODE`): the verification code printed
//! after `Kode verifikasi:` is recomputed here from the records the branch received
//! (`plkk_domain::letter_code`, the same function the desk used).
//!
//! The code's first 20 bits name the case, so only the cases they fit are tried. A letter covers
//! the records its desk held when it printed: all of that desk's own records of the case so far
//! and the other desks' records it had pulled, which arrive here and are pulled in the branch's
//! order. So for each desk that sent records of the case, every prefix of its own records (in
//! the order received) with every prefix of the others' records is tried: a few hundred hashes
//! for a long case. The answers: the case (its id and the patient's name); `unknown` (the
//! code's check fails: mistyped or altered, or never printed); `not received` (no case here fits
//! the code: the case has not reached the branch); `records missing` (the case is here, but not
//! every record the letter covers yet, or the code was altered past its check).

use plkk_domain::{LetterCode, LetterRecord};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::error::BranchError;

/// A letter the branch confirmed.
#[derive(Debug, Clone, Serialize)]
pub struct VerifiedLetter {
    pub case_id: Uuid,
    pub full_name: String,
    pub clinic_code: String,
    /// How many of the case's records the letter covers, and how many the branch holds.
    pub records_covered: usize,
    pub records_held: usize,
}

/// Why a code was not confirmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterRefusal {
    #[error(
        "unknown verification code {0:?}: no desk printed it (a character mistyped or changed?)"
    )]
    Unknown(String),
    #[error(
        "the case of verification code {0} has not reached the branch: sync the clinic's desk, then check again"
    )]
    CaseNotReceived(String),
    #[error(
        "case {case_id} has reached the branch, but not every record letter {code} covers: sync the clinic's desk, then check again (or the code was changed)"
    )]
    RecordsMissing { code: String, case_id: Uuid },
}

/// One record of a case as the branch holds it.
struct HeldRecord {
    record: LetterRecord,
    device_id: String,
    /// The branch's entry sequence: the order received.
    seq: i64,
}

/// Checks `typed` against every case the branch holds (see the module).
pub fn verify_letter(conn: &Connection, typed: &str) -> Result<VerifiedLetter, BranchError> {
    let code = LetterCode::parse(typed)
        .ok_or_else(|| refused(LetterRefusal::Unknown(typed.trim().to_owned())))?;
    let mut statement = conn.prepare_cached("SELECT intake_id FROM cases")?;
    let candidates: Vec<Uuid> = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .filter_map(|id| id.ok().and_then(|id| Uuid::parse_str(&id).ok()))
        .filter(|id| code.names_case(*id))
        .collect();
    if candidates.is_empty() {
        return Err(refused(LetterRefusal::CaseNotReceived(code.to_string())));
    }
    for case_id in &candidates {
        let held = held_records(conn, *case_id)?;
        if let Some(covered) = covered_by(&code, *case_id, &held) {
            let case = crate::cases::read(conn, *case_id)?;
            return Ok(VerifiedLetter {
                case_id: *case_id,
                full_name: case.intake.full_name,
                clinic_code: case.clinic_code,
                records_covered: covered,
                records_held: held.len(),
            });
        }
    }
    Err(refused(LetterRefusal::RecordsMissing {
        code: code.to_string(),
        case_id: candidates[0],
    }))
}

fn refused(refusal: LetterRefusal) -> BranchError {
    BranchError::Invalid(refusal.to_string())
}

/// How many records the letter covers, if some set of them a desk could have held gives `code`.
fn covered_by(code: &LetterCode, case_id: Uuid, held: &[HeldRecord]) -> Option<usize> {
    let mut devices: Vec<&str> = held.iter().map(|one| one.device_id.as_str()).collect();
    devices.sort_unstable();
    devices.dedup();
    for device in devices {
        let own: Vec<LetterRecord> = held
            .iter()
            .filter(|one| one.device_id == device)
            .map(|one| one.record)
            .collect();
        let others: Vec<LetterRecord> = held
            .iter()
            .filter(|one| one.device_id != device)
            .map(|one| one.record)
            .collect();
        for mine in 0..=own.len() {
            for theirs in 0..=others.len() {
                let set: Vec<LetterRecord> = own[..mine]
                    .iter()
                    .chain(&others[..theirs])
                    .copied()
                    .collect();
                if !set.iter().any(|record| record.id == case_id) {
                    continue;
                }
                if plkk_domain::letter_code(case_id, &set) == *code {
                    return Some(set.len());
                }
            }
        }
    }
    None
}

/// The case's intake, corrections (applied or in conflict) and notes, with their content
/// digests, in the order received.
fn held_records(conn: &Connection, case_id: Uuid) -> Result<Vec<HeldRecord>, BranchError> {
    let mut statement = conn.prepare_cached(
        "SELECT i.id, 'intake', e.device_id, e.seq, i.record, NULL, NULL
           FROM intakes i JOIN entries e ON e.seq = i.entry_seq WHERE i.id = ?1
         UNION ALL
         SELECT c.id, 'correction', e.device_id, e.seq, NULL, c.author, c.reason
           FROM corrections c JOIN entries e ON e.seq = c.entry_seq WHERE c.intake_id = ?1
         UNION ALL
         SELECT k.correction_id, 'conflict', e.device_id, e.seq, k.correction, NULL, NULL
           FROM conflicts k JOIN entries e ON e.seq = k.entry_seq WHERE k.intake_id = ?1
         UNION ALL
         SELECT n.id, 'note', e.device_id, e.seq, n.record, NULL, NULL
           FROM notes n JOIN entries e ON e.seq = n.entry_seq WHERE n.intake_id = ?1
         ORDER BY 4",
    )?;
    type Row = (
        String,
        String,
        String,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = statement
        .query_map([case_id.to_string()], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut held = Vec::with_capacity(rows.len());
    for (id, kind, device_id, seq, record, author, reason) in rows {
        let Ok(id) = Uuid::parse_str(&id) else {
            continue;
        };
        let record: Option<Value> = record
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok());
        let content = match kind.as_str() {
            "correction" => plkk_domain::correction_content(
                author.as_deref().unwrap_or_default(),
                reason.as_deref().unwrap_or_default(),
            ),
            "conflict" => {
                let text = |key: &str| {
                    record
                        .as_ref()
                        .and_then(|payload| payload.get(key))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                plkk_domain::correction_content(&text("author"), &text("reason"))
            }
            _ => record.unwrap_or(Value::Null),
        };
        held.push(HeldRecord {
            record: LetterRecord {
                id,
                digest: plkk_domain::content_digest(&content),
            },
            device_id,
            seq,
        });
    }
    held.sort_by_key(|one| one.seq);
    Ok(held)
}
