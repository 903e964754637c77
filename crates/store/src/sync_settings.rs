//! What the sync keeps between runs: the desk's enrolment at a branch (address, device id, token,
//! clinic), the pull cursor, how the last attempts went (for the status bar and the watchdog), and
//! what it learned of the line to the branch ([`SyncLink`]: push size, rate, the branch's body
//! limit).

use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use uuid::Uuid;

use crate::rows::{parse_time, parse_utc};
use crate::{Store, StoreError};

/// The desk's enrolment at a branch. The token is a bearer secret: it is never serialized.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Enrolment {
    pub branch_url: String,
    pub device_id: Uuid,
    #[serde(skip)]
    pub token: String,
    pub clinic_code: String,
    pub clinic_name: String,
    #[serde(skip)]
    pub ca_cert_pem: Option<String>,
    pub enrolled_at: DateTime<Utc>,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Enrolment")
            .field("branch_url", &self.branch_url)
            .field("device_id", &self.device_id)
            .field("token", &"<secret>")
            .field("clinic_code", &self.clinic_code)
            .field("clinic_name", &self.clinic_name)
            .field("ca_cert_pem", &self.ca_cert_pem.is_some())
            .field("enrolled_at", &self.enrolled_at)
            .finish()
    }
}

/// The enrolment, if the desk has one.
pub fn enrolment(store: &Store) -> Result<Option<Enrolment>, StoreError> {
    let row = store
        .conn
        .query_row(
            "SELECT branch_url, device_id, token, clinic_code, clinic_name, ca_cert_pem, enrolled_at
             FROM sync_settings WHERE id = 1",
            [],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, String>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((branch_url, device_id, token, clinic_code, clinic_name, ca_cert_pem, enrolled_at)) =
        row
    else {
        return Ok(None);
    };
    Ok(Some(Enrolment {
        branch_url,
        device_id: Uuid::parse_str(&device_id).map_err(|error| {
            StoreError::Corrupt(format!("sync_settings.device_id {device_id:?}: {error}"))
        })?,
        token,
        clinic_code,
        clinic_name,
        ca_cert_pem,
        enrolled_at: parse_utc(&enrolled_at)?,
    }))
}

/// Stores a new enrolment, replacing an earlier one. Enrolling at another branch or for another
/// clinic starts the pull from the beginning (the old cursor means nothing there).
pub fn save_enrolment(store: &mut Store, enrolment: &Enrolment) -> Result<(), StoreError> {
    let tx = store.conn.transaction()?;
    let previous: Option<(String, String)> = tx
        .query_row(
            "SELECT branch_url, clinic_code FROM sync_settings WHERE id = 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let same_place = previous.is_some_and(|(url, clinic)| {
        url == enrolment.branch_url && clinic == enrolment.clinic_code
    });
    if !same_place {
        tx.execute("DELETE FROM sync_cursor", [])?;
        tx.execute("DELETE FROM sync_link", [])?;
    }
    // A new enrolment is a new identity already: a restore needs no other.
    crate::settings::remove_setting(&tx, RESTORED_KEY)?;
    tx.execute(
        "INSERT INTO sync_settings
             (id, branch_url, device_id, token, clinic_code, clinic_name, ca_cert_pem, enrolled_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET
             branch_url = excluded.branch_url, device_id = excluded.device_id,
             token = excluded.token, clinic_code = excluded.clinic_code,
             clinic_name = excluded.clinic_name, ca_cert_pem = excluded.ca_cert_pem,
             enrolled_at = excluded.enrolled_at",
        params![
            enrolment.branch_url,
            enrolment.device_id.to_string(),
            enrolment.token,
            enrolment.clinic_code,
            enrolment.clinic_name,
            enrolment.ca_cert_pem,
            enrolment.enrolled_at.to_rfc3339(),
        ],
    )?;
    tx.execute(
        "UPDATE sync_log SET last_error_code = NULL, last_error_message = NULL WHERE id = 1",
        [],
    )?;
    tx.commit()?;
    Ok(())
}

/// The settings key of a restore that still has to tell the branch (RFC 3339 time of the backup).
const RESTORED_KEY: &str = "restored_from_backup_at";

/// Marks the desk as restored from a backup made at `backup_made_at` (in the restore's
/// transaction): its next sync asks the branch for a new device identity first.
pub(crate) fn mark_restored(
    conn: &Connection,
    backup_made_at: DateTime<FixedOffset>,
) -> rusqlite::Result<()> {
    crate::settings::write_setting(conn, RESTORED_KEY, &backup_made_at.to_rfc3339())
}

/// When the backup this desk was restored from was made, while the branch has not yet given the
/// desk its new identity (`replace_enrolment`).
pub fn restored_device(store: &Store) -> Result<Option<DateTime<FixedOffset>>, StoreError> {
    crate::settings::read_setting(&store.conn, RESTORED_KEY)?
        .map(|text| crate::rows::parse_time(&text))
        .transpose()
}

/// Takes the identity the branch gave a restored desk, in one transaction: the new device id
/// and token; the pull starts again from the beginning (what the old identity sent after the
/// backup comes back as another device's records; records already here are recognised by id);
/// the audit chain is sent again from its first entry under the new identity; the restore mark
/// is cleared.
pub fn replace_enrolment(store: &mut Store, replacement: &Enrolment) -> Result<(), StoreError> {
    let tx = store.conn.transaction()?;
    tx.execute(
        "UPDATE sync_settings SET device_id = ?1, token = ?2, enrolled_at = ?3 WHERE id = 1",
        params![
            replacement.device_id.to_string(),
            replacement.token,
            replacement.enrolled_at.to_rfc3339(),
        ],
    )?;
    tx.execute("DELETE FROM sync_cursor", [])?;
    tx.execute("DELETE FROM audit_sync", [])?;
    crate::settings::remove_setting(&tx, RESTORED_KEY)?;
    tx.commit()?;
    Ok(())
}

/// What the sync learned of the line to the branch; the sync's `plan` decides with it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SyncLink {
    /// JSON bytes the next push may carry (records and audit entries together).
    pub batch_bytes: u64,
    /// JSON bytes per second that recent pushes achieved (smoothed).
    pub bytes_per_second: Option<f64>,
    /// The branch's largest accepted request body in bytes, as the branch said.
    pub branch_max_body: Option<u64>,
    /// The most audit lines the branch takes with one push, as it said.
    pub branch_audit_lines: Option<u64>,
}

/// The line as last seen; `None` before the first push (or after enrolling elsewhere).
pub fn sync_link(store: &Store) -> Result<Option<SyncLink>, StoreError> {
    Ok(store
        .conn
        .query_row(
            "SELECT batch_bytes, bytes_per_second, branch_max_body, branch_audit_lines
               FROM sync_link WHERE id = 1",
            [],
            |row| {
                Ok(SyncLink {
                    batch_bytes: row.get(0)?,
                    bytes_per_second: row.get(1)?,
                    branch_max_body: row.get(2)?,
                    branch_audit_lines: row.get(3)?,
                })
            },
        )
        .optional()?)
}

pub fn save_sync_link(
    store: &Store,
    link: &SyncLink,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    save_link_in(&store.conn, link, now)
}

/// What the branch answered to one push, stored in one transaction (one commit, so one flush of
/// the disk, per answer): the receipts ([`crate::store_receipts`]), how far the branch holds the
/// audit chain when the push carried audit entries, and the line as the push left it; and the
/// entries of the next request, about to leave, marked sent ([`crate::mark_sent`], whose
/// newly sent entries it returns).
pub fn store_push_answer(
    store: &mut Store,
    receipts: &[plkk_protocol::Receipt],
    audit_acked: Option<i64>,
    link: &SyncLink,
    now: DateTime<FixedOffset>,
    then_sent: &[uuid::Uuid],
) -> Result<(crate::ReceiptTally, Vec<uuid::Uuid>), StoreError> {
    let tx = store
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let tally = crate::outbox::store_receipts_in(&tx, receipts)?;
    if let Some(acked) = audit_acked {
        crate::audit::mark_audit_acked_in(&tx, acked)?;
    }
    save_link_in(&tx, link, now)?;
    let newly_sent = crate::outbox::mark_sent_in(&tx, then_sent, now)?;
    tx.commit()?;
    Ok((tally, newly_sent))
}

fn save_link_in(
    conn: &Connection,
    link: &SyncLink,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO sync_link (id, batch_bytes, bytes_per_second, branch_max_body,
                                branch_audit_lines, updated_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET batch_bytes = excluded.batch_bytes,
                 bytes_per_second = excluded.bytes_per_second,
                 branch_max_body = excluded.branch_max_body,
                 branch_audit_lines = excluded.branch_audit_lines,
                 updated_at = excluded.updated_at",
    )?
    .execute(params![
        link.batch_bytes,
        link.bytes_per_second,
        link.branch_max_body,
        link.branch_audit_lines,
        now.to_rfc3339()
    ])?;
    Ok(())
}

/// The branch sequence of the last pulled change stored (0 before the first pull).
pub fn sync_cursor(store: &Store) -> Result<i64, StoreError> {
    Ok(read_cursor(&store.conn)?)
}

pub(crate) fn read_cursor(conn: &Connection) -> rusqlite::Result<i64> {
    Ok(conn
        .query_row("SELECT cursor FROM sync_cursor WHERE id = 1", [], |row| {
            row.get(0)
        })
        .optional()?
        .unwrap_or(0))
}

pub(crate) fn write_cursor(conn: &Connection, cursor: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_cursor (id, cursor) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET cursor = max(cursor, excluded.cursor)",
    )?
    .execute([cursor])?;
    Ok(())
}

/// How syncing went lately.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncLog {
    pub last_attempt_at: Option<DateTime<FixedOffset>>,
    pub last_success_at: Option<DateTime<FixedOffset>>,
    pub last_error: Option<SyncLogError>,
    /// The branch's clock minus the desk's, at the last answer.
    pub clock_offset_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncLogError {
    pub code: String,
    pub message: String,
}

pub fn sync_log(store: &Store) -> Result<SyncLog, StoreError> {
    type LogRow = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    let row: Option<LogRow> = store
        .conn
        .query_row(
            "SELECT last_attempt_at, last_success_at, last_error_code, last_error_message,
                    clock_offset_seconds FROM sync_log WHERE id = 1",
            [],
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
    let Some((attempt, success, code, message, offset)) = row else {
        return Ok(SyncLog::default());
    };
    let parse = |text: Option<String>| text.map(|text| parse_time(&text)).transpose();
    Ok(SyncLog {
        last_attempt_at: parse(attempt)?,
        last_success_at: parse(success)?,
        last_error: code.map(|code| SyncLogError {
            code,
            message: message.unwrap_or_default(),
        }),
        clock_offset_seconds: offset,
    })
}

/// A sync cycle started.
pub fn record_sync_attempt(store: &Store, now: DateTime<FixedOffset>) -> Result<(), StoreError> {
    store.conn.execute(
        "INSERT INTO sync_log (id, last_attempt_at) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET last_attempt_at = excluded.last_attempt_at",
        [now.to_rfc3339()],
    )?;
    Ok(())
}

/// A sync cycle finished: the error is cleared.
pub fn record_sync_success(
    store: &Store,
    now: DateTime<FixedOffset>,
    clock_offset_seconds: Option<i64>,
) -> Result<(), StoreError> {
    store.conn.execute(
        "INSERT INTO sync_log (id, last_attempt_at, last_success_at, clock_offset_seconds)
         VALUES (1, ?1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET last_success_at = excluded.last_success_at,
             last_error_code = NULL, last_error_message = NULL,
             clock_offset_seconds = coalesce(excluded.clock_offset_seconds, clock_offset_seconds)",
        params![now.to_rfc3339(), clock_offset_seconds],
    )?;
    Ok(())
}

/// A sync cycle failed with `code` (a SyncError code) and an English message.
pub fn record_sync_failure(
    store: &Store,
    now: DateTime<FixedOffset>,
    code: &str,
    message: &str,
) -> Result<(), StoreError> {
    store.conn.execute(
        "INSERT INTO sync_log (id, last_attempt_at, last_error_code, last_error_message)
         VALUES (1, ?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET last_attempt_at = excluded.last_attempt_at,
             last_error_code = excluded.last_error_code,
             last_error_message = excluded.last_error_message",
        params![now.to_rfc3339(), code, message],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enrolment(url: &str, clinic: &str) -> Enrolment {
        Enrolment {
            branch_url: url.to_owned(),
            device_id: Uuid::now_v7(),
            token: "tok-4f9a".to_owned(),
            clinic_code: clinic.to_owned(),
            clinic_name: "Klinik".to_owned(),
            ca_cert_pem: None,
            enrolled_at: DateTime::from_timestamp(1_750_000_000, 0).unwrap(),
        }
    }

    #[test]
    fn enrolment_round_trips_and_another_place_resets_the_cursor() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(super::enrolment(&store).unwrap(), None);
        let first = enrolment("http://127.0.0.1:8700", "PLKK-1");
        save_enrolment(&mut store, &first).unwrap();
        assert_eq!(super::enrolment(&store).unwrap(), Some(first.clone()));
        write_cursor(&store.conn, 42).unwrap();
        save_enrolment(&mut store, &enrolment("http://127.0.0.1:8700", "PLKK-1")).unwrap();
        assert_eq!(sync_cursor(&store).unwrap(), 42, "same branch and clinic");
        save_enrolment(&mut store, &enrolment("http://127.0.0.1:9999", "PLKK-1")).unwrap();
        assert_eq!(sync_cursor(&store).unwrap(), 0, "another branch");
        assert!(
            !format!("{first:?}").contains("tok-4f9a"),
            "token not logged"
        );
    }

    #[test]
    fn the_cursor_never_goes_back() {
        let store = Store::open_in_memory().unwrap();
        write_cursor(&store.conn, 10).unwrap();
        write_cursor(&store.conn, 5).unwrap();
        assert_eq!(sync_cursor(&store).unwrap(), 10);
    }
}
