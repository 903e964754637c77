//! Devices: trading a one-time enrolment code for a device token, recognising a device by its
//! token on every later request (and noting when it was last heard from), and giving a desk
//! restored from a backup a new identity in its clinic. Codes and tokens are looked up by their
//! hashes only.

use crate::sql::{params, Db, OptionalExtension, TransactionBehavior};
use chrono::{DateTime, Utc};
use plkk_domain::limits;
use plkk_protocol::Enrollment;
use uuid::Uuid;

use crate::db::{parse_time, time_text};
use crate::push::Device;
use crate::secrets::{hash_secret, new_token, normalize_enrollment_code};
use crate::BranchError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum EnrollError {
    #[error("code: not an enrolment code (expected 12 letters and digits such as K7QM-3XWD-P9RT)")]
    Malformed,
    #[error("device_name: {0}")]
    BadName(String),
    #[error("this enrolment code is not known at the branch; ask the branch for a new one")]
    Unknown,
    #[error(
        "this enrolment code expired (codes are valid 24 hours); ask the branch for a new one"
    )]
    Expired,
    #[error("this enrolment code was already used; ask the branch for a new one")]
    Used,
    #[error(transparent)]
    Branch(#[from] BranchError),
}

impl From<crate::sql::SqlError> for EnrollError {
    fn from(error: crate::sql::SqlError) -> Self {
        EnrollError::Branch(error.into())
    }
}

/// Uses `code` up and enrols a new device of its clinic, in one transaction.
pub(crate) fn enroll(
    conn: &mut Db,
    code: &str,
    device_name: &str,
    now: DateTime<Utc>,
) -> Result<Enrollment, EnrollError> {
    if limits::refusal(limits::ENROLMENT, "code", code.trim()).is_some() {
        return Err(EnrollError::Malformed);
    }
    let code = normalize_enrollment_code(code).ok_or(EnrollError::Malformed)?;
    let device_name = device_name.trim();
    if device_name.is_empty() {
        return Err(EnrollError::BadName("is required".to_owned()));
    }
    if let Some(refusal) = limits::refusal(limits::ENROLMENT, "device_name", device_name) {
        return Err(EnrollError::BadName(
            refusal.message.replace("device_name: ", ""),
        ));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let code_hash = hash_secret(&code);
    let found: Option<(i64, String, Option<String>, String, String)> = tx
        .query_row(
            "SELECT c.clinic_id, c.expires_at, c.used_at, k.code, k.name
             FROM enrollment_codes c JOIN clinics k ON k.id = c.clinic_id
             WHERE c.code_hash = ?1",
            [&code_hash],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )
        .optional()?;
    let (clinic_id, expires_at, used_at, clinic_code, clinic_name) =
        found.ok_or(EnrollError::Unknown)?;
    if used_at.is_some() {
        return Err(EnrollError::Used);
    }
    if parse_time(&expires_at)? <= now {
        return Err(EnrollError::Expired);
    }
    let device_id = Uuid::now_v7();
    let token = new_token();
    // The code is claimed only if still unused when this write runs: on PostgreSQL another
    // server may have used it since it was read above (its update waits for that commit, then
    // finds `used_at` set), so a code enrols one device across every server.
    let claimed = tx.execute(
        "UPDATE enrollment_codes SET used_at = ?2, device_id = ?3
         WHERE code_hash = ?1 AND used_at IS NULL",
        params![code_hash, time_text(now), device_id.to_string()],
    )?;
    if claimed != 1 {
        return Err(EnrollError::Used);
    }
    tx.execute(
        "INSERT INTO devices (id, clinic_id, name, token_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![device_id.to_string(), clinic_id, device_name, hash_secret(&token), time_text(now)],
    )?;
    tx.commit()?;
    tracing::info!(%device_id, clinic = %clinic_code, name = device_name, "device enrolled");
    Ok(Enrollment {
        device_id,
        token,
        clinic_code,
        clinic_name,
        server_time: now,
    })
}

/// Gives `device`, a desk restored from a backup, a new identity in the same clinic, in one
/// transaction: a new device (same name) with a new token, and the old device revoked and
/// pointing at it. What the old identity sent stays its own: the restored desk pulls it back as
/// another device's records, and sends its audit chain again under the new identity.
pub(crate) fn replace(
    conn: &mut Db,
    device: Device,
    backup_made_at: DateTime<chrono::FixedOffset>,
    now: DateTime<Utc>,
) -> Result<Enrollment, BranchError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (name, clinic_code, clinic_name): (String, String, String) = tx.query_row(
        "SELECT d.name, c.code, c.name FROM devices d JOIN clinics c ON c.id = d.clinic_id
         WHERE d.id = ?1",
        [device.id.to_string()],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    let device_id = Uuid::now_v7();
    let token = new_token();
    tx.execute(
        "INSERT INTO devices (id, clinic_id, name, token_hash, enrolled_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![
            device_id.to_string(),
            device.clinic_id,
            name,
            hash_secret(&token),
            time_text(now)
        ],
    )?;
    // Still unrevoked when this write runs: two servers given the same request at once make
    // one new identity, and the second is refused as the first's revoked device would be.
    let replaced = tx.execute(
        "UPDATE devices SET revoked_at = ?2, replaced_by = ?3 WHERE id = ?1 AND revoked_at IS NULL",
        params![device.id.to_string(), time_text(now), device_id.to_string()],
    )?;
    if replaced != 1 {
        return Err(BranchError::Invalid(format!(
            "device {} was replaced already",
            device.id
        )));
    }
    tx.commit()?;
    tracing::info!(old = %device.id, new = %device_id, clinic = %clinic_code, backup_made_at = %backup_made_at, "restored desk given a new identity");
    Ok(Enrollment {
        device_id,
        token,
        clinic_code,
        clinic_name,
        server_time: now,
    })
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AuthError {
    #[error("no valid device token")]
    Unknown,
    #[error("this device was revoked by the branch")]
    Revoked,
    #[error(transparent)]
    Branch(#[from] BranchError),
}

/// How often a device's `last_seen_at` is written, at most (seconds).
const LAST_SEEN_EVERY_SECONDS: i64 = 60;

/// The device whose token this is; notes that it was heard from at `now` (once a minute at most).
pub(crate) fn authenticate(
    conn: &Db,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Device, AuthError> {
    let found: Option<(String, i64, Option<String>, Option<String>)> = conn
        .prepare_cached(
            "SELECT id, clinic_id, revoked_at, last_seen_at FROM devices WHERE token_hash = ?1",
        )
        .and_then(|mut statement| {
            statement
                .query_row([hash_secret(token)], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
                .optional()
        })
        .map_err(BranchError::from)?;
    let (id, clinic_id, revoked_at, last_seen_at) = found.ok_or(AuthError::Unknown)?;
    if revoked_at.is_some() {
        return Err(AuthError::Revoked);
    }
    // Written at most once a minute: most requests only read, so they do not wait for a push
    // being committed (`Store::with_auth`). The note is for the device care page only: when the
    // database is busy writing pushes it is left for a later request rather than failing this one.
    let stale = time_text(now - chrono::Duration::seconds(LAST_SEEN_EVERY_SECONDS));
    if last_seen_at.is_none_or(|seen| seen < stale) {
        let noted = conn
            .prepare_cached(
                "UPDATE devices SET last_seen_at = ?2
                 WHERE id = ?1 AND (last_seen_at IS NULL OR last_seen_at < ?3)",
            )
            .and_then(|mut statement| statement.execute(params![id, time_text(now), stale]));
        if let Err(error) = noted {
            tracing::info!(device = %id, %error, "last seen not noted this time");
        }
    }
    let id = Uuid::parse_str(&id)
        .map_err(|_| BranchError::Stored(format!("device id {id:?} is not a UUID")))?;
    Ok(Device { id, clinic_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_seen(conn: &Db, device: Uuid) -> Option<String> {
        conn.prepare_cached("SELECT last_seen_at FROM devices WHERE id = ?1")
            .unwrap()
            .query_row([device.to_string()], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn a_device_is_noted_as_heard_from_at_most_once_a_minute() {
        let dir = tempfile::tempdir().unwrap();
        crate::admin::add_clinic(dir.path(), "PLKK-1", "Klinik Satu").unwrap();
        let code = crate::admin::issue_enrollment_code(dir.path(), "PLKK-1", Utc::now()).unwrap();
        let mut conn = crate::db::open(dir.path()).unwrap();
        let start = Utc::now() - chrono::Duration::hours(1);
        let enrollment = enroll(&mut conn, &code, "Meja", start).unwrap();
        let device = authenticate(&conn, &enrollment.token, start).unwrap();
        assert_eq!(device.id, enrollment.device_id);
        let first = last_seen(&conn, device.id);
        assert_eq!(first, Some(time_text(start)));
        authenticate(
            &conn,
            &enrollment.token,
            start + chrono::Duration::seconds(59),
        )
        .unwrap();
        assert_eq!(
            last_seen(&conn, device.id),
            first,
            "within the minute: only read"
        );
        let later = start + chrono::Duration::seconds(61);
        authenticate(&conn, &enrollment.token, later).unwrap();
        assert_eq!(last_seen(&conn, device.id), Some(time_text(later)));

        // The database busy with another writer: the device is still let in, and noted later.
        if let Db::Sqlite(inner) = &conn {
            inner
                .busy_timeout(std::time::Duration::from_millis(50))
                .unwrap();
        }
        let writer =
            rusqlite::Connection::open(dir.path().join(crate::db::DATABASE_FILE_NAME)).unwrap();
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        let busy = later + chrono::Duration::seconds(120);
        let device = authenticate(&conn, &enrollment.token, busy).unwrap();
        assert_eq!(device.id, enrollment.device_id);
        assert_eq!(last_seen(&conn, device.id), Some(time_text(later)));
        writer.execute_batch("ROLLBACK").unwrap();
        authenticate(&conn, &enrollment.token, busy).unwrap();
        assert_eq!(last_seen(&conn, device.id), Some(time_text(busy)));
    }
}
