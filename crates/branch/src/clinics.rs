//! Clinics and their desks, for the administration (`plkk-branch clinic|enroll-code|device`) and
//! the console's clinics page alike: adding a clinic, issuing a one-time enrolment code, listing
//! devices with what each desk said at its last sync (time, records still waiting, clock offset,
//! app version) and the state of its audit chain as recorded when entries arrived, revoking a
//! device. Every change is written to the officers' audit log in its transaction. A desk reports
//! itself on every pull: its `Date` header (clock), `User-Agent` (`plkk-desk/VERSION`) and
//! `Plkk-Outbox-Waiting` (entries not yet confirmed); [`record_sync`] keeps the latest.

use crate::sql::{params, Db, OptionalExtension, TransactionBehavior};
use chrono::{DateTime, Duration, Utc};
use plkk_domain::limits;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::db::{parse_time, time_text};
use crate::officer_audit::{self, OfficerAction};
use crate::secrets::{hash_secret, new_enrollment_code, normalize_enrollment_code};
use crate::BranchError;

/// How long an enrolment code can be used after it is issued.
pub const ENROLLMENT_CODE_VALIDITY_HOURS: i64 = 24;
/// A clinic none of whose active desks synced for this long is marked silent.
pub const SILENT_AFTER: Duration = Duration::hours(24);
/// A desk clock further off than this (either way) is flagged, as the desk itself warns.
pub const CLOCK_FLAG_SECONDS: i64 = 300;

/// A device as the administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceRow {
    pub device_id: Uuid,
    pub clinic_code: String,
    pub name: String,
    pub enrolled_at: String,
    pub revoked_at: Option<String>,
    /// What the desk said at its last pull; None before its first.
    pub last_sync: Option<DeviceSync>,
    /// Its audit chain at the branch, as recorded when entries arrived (`audit verify` walks it
    /// again).
    pub audit: AuditState,
}

/// What a desk said about itself when it last pulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceSync {
    /// The branch's clock (RFC 3339 UTC).
    pub at: String,
    /// Outbox entries the desk still had unconfirmed (None: it did not say).
    pub waiting: Option<i64>,
    /// The desk's clock minus the branch's, in seconds: positive when the desk's clock runs
    /// fast (None: no `Date` header). As `case list` measures it per intake.
    pub clock_offset_seconds: Option<i64>,
    /// The desk's program version (None: no `plkk-desk/` User-Agent).
    pub app_version: Option<String>,
}

/// A device's audit chain as the branch recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditState {
    /// The highest seq such that 1..=seq are all held.
    pub acked_seq: i64,
    /// Breaks found when entries arrived.
    pub breaks: u64,
}

/// A clinic with its desks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClinicRow {
    pub code: String,
    pub name: String,
    pub created_at: String,
    pub devices: Vec<DeviceRow>,
    /// It has active desks and none of them synced within [`SILENT_AFTER`] (or, never having
    /// synced, was enrolled within it).
    pub silent: bool,
}

/// Adds a clinic. Its code is what `enroll-code --clinic` and `case list --clinic` name.
pub(crate) fn add_clinic(
    conn: &mut Db,
    code: &str,
    name: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), BranchError> {
    let code = code.trim();
    let name = name.trim();
    let max = limits::CLINIC_CODE;
    let code_ok = !code.is_empty()
        && code.len() <= max
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !code_ok {
        return Err(BranchError::refused(
            "clinic_code",
            "clinic_code_format",
            format!(
                "clinic code must be 1-{max} letters, digits, '-', '_' or '.', got {}",
                limits::echo(code)
            ),
        ));
    }
    if name.is_empty() {
        return Err(BranchError::refused(
            "clinic_name",
            "required",
            "clinic name: is required",
        ));
    }
    if let Some(mut refusal) = limits::refusal(limits::CLINIC, "clinic_name", name) {
        refusal.message = format!("clinic name: {}", refusal.message);
        return Err(BranchError::Refused(refusal));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let inserted = tx.execute(
        "INSERT INTO clinics (code, name, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (code) DO NOTHING",
        params![code, name, time_text(now)],
    )?;
    if inserted == 0 {
        return Err(BranchError::refused(
            "clinic_code",
            "taken",
            format!("a clinic with code {code:?} already exists"),
        ));
    }
    officer_audit::append(
        &tx,
        now,
        actor,
        OfficerAction::ClinicAdded,
        Some(code),
        json!({ "name": name }),
    )?;
    tx.commit()?;
    Ok(())
}

/// Issues a one-time enrolment code for the clinic, valid 24 hours from `now`. Only its hash is
/// stored: the returned text is the only copy.
pub(crate) fn issue_enrollment_code(
    conn: &mut Db,
    clinic_code: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<String, BranchError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let clinic_id = clinic_id(&tx, clinic_code)?;
    let code = new_enrollment_code();
    let normalized = normalize_enrollment_code(&code).expect("a new code is well formed");
    let expires_at = now + Duration::hours(ENROLLMENT_CODE_VALIDITY_HOURS);
    tx.execute(
        "INSERT INTO enrollment_codes (code_hash, clinic_id, issued_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![hash_secret(&normalized), clinic_id, time_text(now), time_text(expires_at)],
    )?;
    // The code itself is a secret: the log keeps only its expiry.
    officer_audit::append(
        &tx,
        now,
        actor,
        OfficerAction::CodeIssued,
        Some(clinic_code.trim()),
        json!({ "expires_at": time_text(expires_at) }),
    )?;
    tx.commit()?;
    Ok(code)
}

/// Every enrolled device, oldest first.
pub(crate) fn list_devices(conn: &Db) -> Result<Vec<DeviceRow>, BranchError> {
    let mut statement = conn.prepare(
        "SELECT d.id, c.code, d.name, d.enrolled_at, d.revoked_at,
                s.last_sync_at, s.waiting, s.clock_offset_seconds, s.app_version,
                coalesce(a.acked_seq, 0),
                (SELECT count(*) FROM audit_breaks b WHERE b.device_id = d.id)
         FROM devices d JOIN clinics c ON c.id = d.clinic_id
         LEFT JOIN device_syncs s ON s.device_id = d.id
         LEFT JOIN audit_acked a ON a.device_id = d.id
         ORDER BY d.enrolled_at, d.id",
    )?;
    let rows = statement
        .query_map([], |row| {
            let last_sync_at: Option<String> = row.get(5)?;
            let last_sync = match last_sync_at {
                None => None,
                Some(at) => Some(DeviceSync {
                    at,
                    waiting: row.get(6)?,
                    clock_offset_seconds: row.get(7)?,
                    app_version: row.get(8)?,
                }),
            };
            Ok((
                row.get::<String>(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                last_sync,
                AuditState {
                    acked_seq: row.get(9)?,
                    breaks: row.get(10)?,
                },
            ))
        })?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(
            |(id, clinic_code, name, enrolled_at, revoked_at, last_sync, audit)| {
                Ok(DeviceRow {
                    device_id: Uuid::parse_str(&id)
                        .map_err(|_| BranchError::Stored(format!("device id {id:?}")))?,
                    clinic_code,
                    name,
                    enrolled_at,
                    revoked_at,
                    last_sync,
                    audit,
                })
            },
        )
        .collect()
}

/// Every clinic by code, with its devices, marked silent where no active desk synced within a day.
pub(crate) fn list_clinics(conn: &Db, now: DateTime<Utc>) -> Result<Vec<ClinicRow>, BranchError> {
    let devices = list_devices(conn)?;
    let mut statement = conn.prepare("SELECT code, name, created_at FROM clinics ORDER BY code")?;
    let clinics = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<crate::sql::Result<Vec<(String, String, String)>>>()?;
    clinics
        .into_iter()
        .map(|(code, name, created_at)| {
            let own: Vec<DeviceRow> = devices
                .iter()
                .filter(|device| device.clinic_code == code)
                .cloned()
                .collect();
            let silent = is_silent(&own, now)?;
            Ok(ClinicRow {
                code,
                name,
                created_at,
                devices: own,
                silent,
            })
        })
        .collect()
}

/// Whether a clinic with these devices has active desks, none of which synced within a day (a
/// desk that never synced counts from its enrolment).
fn is_silent(devices: &[DeviceRow], now: DateTime<Utc>) -> Result<bool, BranchError> {
    let active: Vec<&DeviceRow> = devices
        .iter()
        .filter(|device| device.revoked_at.is_none())
        .collect();
    if active.is_empty() {
        return Ok(false);
    }
    for device in active {
        let heard = device
            .last_sync
            .as_ref()
            .map_or(&device.enrolled_at, |sync| &sync.at);
        if parse_time(heard)? > now - SILENT_AFTER {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Revokes a device: its token is refused (401 `device_revoked`) from now on. Revoking twice
/// keeps the first time.
pub(crate) fn revoke_device(
    conn: &mut Db,
    device_id: Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), BranchError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: Option<(String, Option<String>)> = tx
        .query_row(
            "SELECT c.code, d.revoked_at FROM devices d JOIN clinics c ON c.id = d.clinic_id
             WHERE d.id = ?1",
            [device_id.to_string()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let Some((clinic_code, revoked_at)) = found else {
        return Err(BranchError::NotFound {
            what: "device",
            name: device_id.to_string(),
        });
    };
    if revoked_at.is_none() {
        tx.execute(
            "UPDATE devices SET revoked_at = ?2 WHERE id = ?1",
            params![device_id.to_string(), time_text(now)],
        )?;
        officer_audit::append(
            &tx,
            now,
            actor,
            OfficerAction::DeviceRevoked,
            Some(&device_id.to_string()),
            json!({ "clinic": clinic_code }),
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// What a desk says about itself on a pull (see the module's header names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub desk_clock: Option<DateTime<Utc>>,
    pub waiting: Option<i64>,
    pub app_version: Option<String>,
}

impl SyncReport {
    /// Reads the `Date`, `User-Agent` and `Plkk-Outbox-Waiting` header values; what is missing or
    /// malformed is left unknown.
    pub fn from_headers(
        date: Option<&str>,
        user_agent: Option<&str>,
        waiting: Option<&str>,
    ) -> SyncReport {
        SyncReport {
            desk_clock: date
                .and_then(|text| DateTime::parse_from_rfc2822(text.trim()).ok())
                .map(|time| time.with_timezone(&Utc)),
            waiting: waiting
                .and_then(|text| text.trim().parse::<i64>().ok())
                .filter(|count| *count >= 0),
            app_version: user_agent
                .and_then(|text| text.trim().strip_prefix("plkk-desk/"))
                .map(|version| version.split_whitespace().next().unwrap_or_default())
                .filter(|version| {
                    !version.is_empty()
                        && version.len() <= 32
                        && version
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c))
                })
                .map(str::to_owned),
        }
    }
}

/// Keeps what `device` said at this pull.
pub(crate) fn record_sync(
    conn: &Db,
    device_id: Uuid,
    report: &SyncReport,
    now: DateTime<Utc>,
) -> Result<(), BranchError> {
    let offset = report.desk_clock.map(|desk| (desk - now).num_seconds());
    conn.prepare_cached(
        "INSERT INTO device_syncs (device_id, last_sync_at, waiting, clock_offset_seconds, app_version)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (device_id) DO UPDATE SET last_sync_at = excluded.last_sync_at,
             waiting = excluded.waiting, clock_offset_seconds = excluded.clock_offset_seconds,
             app_version = excluded.app_version",
    )?
    .execute(params![
        device_id.to_string(),
        time_text(now),
        report.waiting,
        offset,
        report.app_version
    ])?;
    Ok(())
}

pub(crate) fn clinic_id(conn: &Db, clinic_code: &str) -> Result<i64, BranchError> {
    conn.query_row(
        "SELECT id FROM clinics WHERE code = ?1",
        [clinic_code.trim()],
        |row| row.get(0),
    )
    .optional()?
    .ok_or_else(|| BranchError::NotFound {
        what: "clinic",
        name: clinic_code.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desk_reports_itself_in_its_headers() {
        let report = SyncReport::from_headers(
            Some("Mon, 30 Nov 2026 08:00:00 GMT"),
            Some("plkk-desk/0.1.0"),
            Some("7"),
        );
        assert_eq!(
            report.desk_clock,
            Some("2026-11-30T08:00:00Z".parse().unwrap())
        );
        assert_eq!(report.waiting, Some(7));
        assert_eq!(report.app_version.as_deref(), Some("0.1.0"));
        let hostile =
            SyncReport::from_headers(Some("yesterday"), Some("plkk-desk/<script>"), Some("-3"));
        assert_eq!(hostile, SyncReport::default());
        assert_eq!(
            SyncReport::from_headers(None, Some("curl/8"), None),
            SyncReport::default()
        );
    }

    fn device(revoked: bool, synced: Option<&str>) -> DeviceRow {
        DeviceRow {
            device_id: Uuid::nil(),
            clinic_code: "K".to_owned(),
            name: "Meja".to_owned(),
            enrolled_at: "2026-11-01T00:00:00Z".to_owned(),
            revoked_at: revoked.then(|| "2026-11-02T00:00:00Z".to_owned()),
            last_sync: synced.map(|at| DeviceSync {
                at: at.to_owned(),
                waiting: None,
                clock_offset_seconds: None,
                app_version: None,
            }),
            audit: AuditState {
                acked_seq: 0,
                breaks: 0,
            },
        }
    }

    #[test]
    fn a_clinic_is_silent_when_no_active_desk_synced_within_a_day() {
        let now: DateTime<Utc> = "2026-11-30T12:00:00Z".parse().unwrap();
        let check = |devices: &[DeviceRow], expected: bool| {
            assert_eq!(is_silent(devices, now).unwrap(), expected, "{devices:?}");
        };
        check(&[], false);
        check(&[device(false, None)], true);
        let mut fresh = device(false, None);
        fresh.enrolled_at = "2026-11-30T09:00:00Z".to_owned();
        check(&[fresh], false);
        check(&[device(false, Some("2026-11-29T11:59:00Z"))], true);
        check(&[device(false, Some("2026-11-29T12:01:00Z"))], false);
        check(
            &[
                device(false, Some("2026-11-20T00:00:00Z")),
                device(false, Some("2026-11-30T11:00:00Z")),
            ],
            false,
        );
        check(&[device(true, None)], false);
    }
}
