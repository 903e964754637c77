//! Console sessions. Signing in makes a new random session value (the cookie's) and a CSRF token;
//! only the SHA-256 of the session value is stored, beside its officer, its CSRF token and when it
//! was last used. A session ends at sign-out, when its officer is removed, after [`IDLE`] without a
//! request, or [`LIFETIME`] after sign-in, whichever comes first; the next sign-in makes a new
//! value. Before sign-in the sign-in form is protected by its own random value (a cookie and a
//! hidden field that must match), which is replaced at every sign-in and sign-out too.

use crate::sql::{params, Db, OptionalExtension};
use chrono::{DateTime, Duration, Utc};

use crate::db::{parse_time, time_text};
use crate::officers::OfficerRole;
use crate::secrets::{hash_secret, new_token};
use crate::BranchError;

/// A session unused this long has ended.
pub const IDLE: Duration = Duration::minutes(30);
/// A session ends this long after sign-in even if used throughout.
pub const LIFETIME: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often (a page view is otherwise a read).
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// A session just opened: the cookie's value (never stored) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
}

/// The officer behind a live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub username: String,
    pub display_name: String,
    pub role: OfficerRole,
    pub csrf_token: String,
}

/// Opens a session for `username` in the caller's transaction; also clears ended sessions.
pub(crate) fn start(
    tx: &Db,
    username: &str,
    now: DateTime<Utc>,
) -> Result<NewSession, BranchError> {
    tx.execute(
        "DELETE FROM officer_sessions WHERE last_seen_at <= ?1 OR created_at <= ?2",
        params![time_text(now - IDLE), time_text(now - LIFETIME)],
    )?;
    let session = NewSession {
        token: new_token(),
        csrf_token: new_token(),
    };
    tx.execute(
        "INSERT INTO officer_sessions (token_hash, username, csrf_token, created_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![
            hash_secret(&session.token),
            username,
            session.csrf_token,
            time_text(now)
        ],
    )?;
    Ok(session)
}

/// The live session whose cookie value is `token`, or None (unknown, ended or expired; an expired
/// one is removed). Notes the use, at most once a minute.
pub(crate) fn find(
    conn: &Db,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Session>, BranchError> {
    let token_hash = hash_secret(token);
    let found: Option<(String, String, String, String, String, String)> = conn
        .prepare_cached(
            "SELECT s.username, o.display_name, o.role, s.csrf_token, s.created_at, s.last_seen_at
             FROM officer_sessions s JOIN officers o ON o.username = s.username
             WHERE s.token_hash = ?1",
        )?
        .query_row([&token_hash], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })
        .optional()?;
    let Some((username, display_name, role, csrf_token, created_at, last_seen_at)) = found else {
        return Ok(None);
    };
    let last_seen = parse_time(&last_seen_at)?;
    if last_seen <= now - IDLE || parse_time(&created_at)? <= now - LIFETIME {
        conn.execute(
            "DELETE FROM officer_sessions WHERE token_hash = ?1",
            [&token_hash],
        )?;
        return Ok(None);
    }
    if now - last_seen >= TOUCH_EVERY {
        conn.execute(
            "UPDATE officer_sessions SET last_seen_at = ?2 WHERE token_hash = ?1",
            params![token_hash, time_text(now)],
        )?;
    }
    let role = OfficerRole::parse(&role)
        .ok_or_else(|| BranchError::Stored(format!("officer role {role:?}")))?;
    Ok(Some(Session {
        username,
        display_name,
        role,
        csrf_token,
    }))
}

/// Ends the session whose cookie value is `token`; whether there was one.
pub(crate) fn end(tx: &Db, token: &str) -> Result<bool, BranchError> {
    Ok(tx.execute(
        "DELETE FROM officer_sessions WHERE token_hash = ?1",
        [hash_secret(token)],
    )? > 0)
}

/// Whether a submitted CSRF token is the session's (constant time in the token's length).
pub fn csrf_matches(expected: &str, submitted: Option<&str>) -> bool {
    let Some(submitted) = submitted else {
        return false;
    };
    if expected.is_empty() || expected.len() != submitted.len() {
        return false;
    }
    expected
        .bytes()
        .zip(submitted.bytes())
        .fold(0u8, |difference, (a, b)| difference | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        "2026-11-30T08:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minutes)
    }

    fn database_with_officer() -> Db {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::migrate::apply(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO officers (username, display_name, role, password_hash, created_at)
             VALUES ('rina', 'Rina', 'verifier', 'x', '2026-11-30T08:00:00Z')",
            [],
        )
        .unwrap();
        Db::Sqlite(conn)
    }

    fn open(conn: &mut Db, at: DateTime<Utc>) -> NewSession {
        let tx = conn.transaction().unwrap();
        let session = start(&tx, "rina", at).unwrap();
        tx.commit().unwrap();
        session
    }

    #[test]
    fn a_session_lives_while_used_and_ends_when_idle() {
        let mut conn = database_with_officer();
        let session = open(&mut conn, t(0));
        let found = find(&conn, &session.token, t(20)).unwrap().unwrap();
        assert_eq!(
            (found.username.as_str(), found.role),
            ("rina", OfficerRole::Verifier)
        );
        assert_eq!(found.csrf_token, session.csrf_token);
        // Used at minute 20, so still alive at minute 49; idle from 49 to 80 ends it.
        assert!(find(&conn, &session.token, t(49)).unwrap().is_some());
        assert!(find(&conn, &session.token, t(80)).unwrap().is_none());
        assert!(
            find(&conn, &session.token, t(81)).unwrap().is_none(),
            "an expired session is gone for good"
        );
    }

    #[test]
    fn a_session_ends_after_its_lifetime_even_if_used() {
        let mut conn = database_with_officer();
        let session = open(&mut conn, t(0));
        for minute in (10..12 * 60).step_by(10) {
            assert!(find(&conn, &session.token, t(minute)).unwrap().is_some());
        }
        assert!(find(&conn, &session.token, t(12 * 60)).unwrap().is_none());
    }

    #[test]
    fn every_sign_in_makes_new_values_and_sign_out_ends_the_session() {
        let mut conn = database_with_officer();
        let first = open(&mut conn, t(0));
        let second = open(&mut conn, t(1));
        assert_ne!(first.token, second.token);
        assert_ne!(first.csrf_token, second.csrf_token);
        let tx = conn.transaction().unwrap();
        assert!(end(&tx, &first.token).unwrap());
        tx.commit().unwrap();
        assert!(find(&conn, &first.token, t(2)).unwrap().is_none());
        assert!(find(&conn, &second.token, t(2)).unwrap().is_some());
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        assert!(csrf_matches("abc123", Some("abc123")));
        assert!(!csrf_matches("abc123", Some("abc124")));
        assert!(!csrf_matches("abc123", Some("abc12")));
        assert!(!csrf_matches("abc123", None));
        assert!(!csrf_matches("", Some("")));
    }
}
