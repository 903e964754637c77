//! Branch officers: the people who sign in to the console. Accounts are separate from desk
//! devices. Three roles: `viewer` reads everything and downloads reports; `verifier` also sets
//! case statuses (and will decide BPU registrations); `admin` also manages clinics, enrolment
//! codes, devices and officer accounts. Passwords are kept as argon2id PHC strings
//! (`plkk_vault::hash_secret`, the desk's own hashing). Signing in follows the desk's lockout
//! (`plkk_vault::lockout_delay`): after five failures in a row for a username, it must wait 30 s,
//! doubling with each further failure up to 15 minutes, and during the wait even the right
//! password is refused. Every sign-in, failure and account change is written to the officers'
//! audit log in the same transaction.

use std::sync::OnceLock;
use std::time::Duration;

use crate::sql::{params, Db, OptionalExtension, TransactionBehavior};
use chrono::{DateTime, Utc};
use plkk_domain::limits;
use serde::Serialize;
use serde_json::json;

use crate::db::{parse_time, time_text};
use crate::officer_audit::{self, OfficerAction};
use crate::sessions::{self, NewSession};
use crate::BranchError;

/// What an officer may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficerRole {
    Viewer,
    Verifier,
    Admin,
}

/// What an officer does in the console, for the role check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleAction {
    /// Read cases, clinics, devices, reports; download a report.
    Read,
    /// Set a case's status.
    SetStatus,
    /// Add clinics, issue enrolment codes, revoke devices, manage officer accounts.
    Administer,
}

impl ConsoleAction {
    /// Its name in the officers' audit log (a refusal's detail).
    pub fn as_str(self) -> &'static str {
        match self {
            ConsoleAction::Read => "read",
            ConsoleAction::SetStatus => "set_status",
            ConsoleAction::Administer => "administer",
        }
    }
}

impl OfficerRole {
    pub const ALL: [OfficerRole; 3] = [
        OfficerRole::Viewer,
        OfficerRole::Verifier,
        OfficerRole::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OfficerRole::Viewer => "viewer",
            OfficerRole::Verifier => "verifier",
            OfficerRole::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<OfficerRole> {
        OfficerRole::ALL
            .into_iter()
            .find(|role| role.as_str() == text.trim())
    }

    /// Whether this role may do `action`.
    pub fn permits(self, action: ConsoleAction) -> bool {
        match action {
            ConsoleAction::Read => true,
            ConsoleAction::SetStatus => self != OfficerRole::Viewer,
            ConsoleAction::Administer => self == OfficerRole::Admin,
        }
    }
}

/// An officer account as listed (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Officer {
    pub username: String,
    pub display_name: String,
    pub role: OfficerRole,
    pub created_at: String,
    /// Failed sign-ins in a row.
    pub failures: u32,
    /// Console sessions open now (not yet ended or expired).
    pub open_sessions: u32,
}

/// What `officer add` and the officers page give.
#[derive(Debug, Clone, Copy)]
pub struct NewOfficer<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: OfficerRole,
    pub password: &'a str,
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown username or wrong password (which one is not said).
    #[error("wrong username or password")]
    WrongCredentials,
    /// Too many failures in a row: wait this long (even the right password is refused meanwhile).
    #[error("too many failed sign-ins for this username; try again in {} seconds", .wait.as_secs().max(1))]
    LockedOut { wait: Duration },
    #[error(transparent)]
    Branch(#[from] BranchError),
}

impl From<crate::sql::SqlError> for SignInError {
    fn from(error: crate::sql::SqlError) -> Self {
        SignInError::Branch(error.into())
    }
}

/// The username as stored: trimmed, lower case. Refused unless 2-32 of a-z, 0-9, '.', '_', '-'.
pub fn normalize_username(typed: &str) -> Result<String, BranchError> {
    let username = typed.trim().to_lowercase();
    if let Some(refusal) = limits::refusal(limits::OFFICER, "username", &username) {
        return Err(BranchError::Refused(refusal));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if !username.chars().all(allowed) {
        return Err(BranchError::refused(
            "username",
            "username_format",
            format!(
                "username: only letters a-z, digits, '.', '_' and '-' (got {})",
                limits::echo(&username)
            ),
        ));
    }
    Ok(username)
}

/// Adds an officer account; `actor` is who did it (an officer's username or the CLI).
pub(crate) fn add(
    conn: &mut Db,
    new: NewOfficer,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Officer, BranchError> {
    let username = normalize_username(new.username)?;
    let display_name = new.display_name.trim();
    if display_name.is_empty() {
        return Err(BranchError::refused(
            "display_name",
            "required",
            "display_name: the officer's name is required",
        ));
    }
    for (field, text) in [("display_name", display_name), ("password", new.password)] {
        if let Some(refusal) = limits::refusal(limits::OFFICER, field, text) {
            return Err(BranchError::Refused(refusal));
        }
    }
    let password_hash = plkk_vault::hash_secret(new.password);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let inserted = tx.execute(
        "INSERT INTO officers (username, display_name, role, password_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (username) DO NOTHING",
        params![
            username,
            display_name,
            new.role.as_str(),
            password_hash,
            time_text(now)
        ],
    )?;
    if inserted == 0 {
        return Err(BranchError::refused(
            "username",
            "taken",
            format!("username: an officer {username:?} already exists"),
        ));
    }
    officer_audit::append(
        &tx,
        now,
        actor,
        OfficerAction::OfficerAdded,
        Some(&username),
        json!({ "role": new.role.as_str(), "display_name": display_name }),
    )?;
    tx.commit()?;
    Ok(Officer {
        username,
        display_name: display_name.to_owned(),
        role: new.role,
        created_at: time_text(now),
        failures: 0,
        open_sessions: 0,
    })
}

/// Every officer, by username, with their open sessions at `now`.
pub(crate) fn list(conn: &Db, now: DateTime<Utc>) -> Result<Vec<Officer>, BranchError> {
    let idle_since = time_text(now - sessions::IDLE);
    let mut statement = conn.prepare(
        "SELECT o.username, o.display_name, o.role, o.created_at, o.failures,
                (SELECT count(*) FROM officer_sessions s
                 WHERE s.username = o.username AND s.last_seen_at > ?1)
         FROM officers o ORDER BY o.username",
    )?;
    let rows = statement
        .query_map([idle_since], |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<String>(2)?,
                row.get::<String>(3)?,
                row.get::<u32>(4)?,
                row.get::<u32>(5)?,
            ))
        })?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(
            |(username, display_name, role, created_at, failures, open_sessions)| {
                Ok(Officer {
                    role: OfficerRole::parse(&role)
                        .ok_or_else(|| BranchError::Stored(format!("officer role {role:?}")))?,
                    username,
                    display_name,
                    created_at,
                    failures,
                    open_sessions,
                })
            },
        )
        .collect()
}

/// Removes an officer account and ends all of its sessions at once.
pub(crate) fn remove(
    conn: &mut Db,
    username: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), BranchError> {
    let username = username.trim().to_lowercase();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let ended = tx.execute(
        "DELETE FROM officer_sessions WHERE username = ?1",
        [&username],
    )?;
    let removed = tx.execute("DELETE FROM officers WHERE username = ?1", [&username])?;
    if removed == 0 {
        return Err(BranchError::NotFound {
            what: "officer",
            name: username,
        });
    }
    officer_audit::append(
        &tx,
        now,
        actor,
        OfficerAction::OfficerRemoved,
        Some(&username),
        json!({ "sessions_ended": ended }),
    )?;
    tx.commit()?;
    Ok(())
}

/// An officer signed in: the new session (its cookie value and CSRF token).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: NewSession,
}

/// Checks the password and opens a session, or refuses (recording the failure). The password is
/// checked outside any transaction (argon2id takes a moment); the outcome, its audit entry and
/// the new session are written in one.
pub(crate) fn sign_in(
    conn: &mut Db,
    typed_username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<SignedIn, SignInError> {
    let username = typed_username.trim().to_lowercase();
    type Stored = (String, u32, Option<String>);
    let stored: Option<Stored> = conn
        .query_row(
            "SELECT password_hash, failures, last_failure_at FROM officers WHERE username = ?1",
            [&username],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let password_max = limits::max_of(limits::OFFICER, "password");
    let Some((password_hash, failures, last_failure_at)) = stored else {
        // The same work as for a real account, so timing does not tell which usernames exist.
        if password.chars().count() <= password_max {
            let _ = plkk_vault::verify_secret(unknown_user_hash(), password);
        }
        record_failure(conn, &username, "unknown_user", now)?;
        return Err(SignInError::WrongCredentials);
    };
    if let Some(wait) = remaining_wait(failures, last_failure_at.as_deref(), now)? {
        record_failure(conn, &username, "locked_out", now)?;
        return Err(SignInError::LockedOut { wait });
    }
    // A password longer than any account's is wrong without spending argon2id on it.
    let too_long = password.chars().count() > password_max;
    if too_long || !plkk_vault::verify_secret(&password_hash, password) {
        record_failure(conn, &username, "wrong_password", now)?;
        return Err(SignInError::WrongCredentials);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE officers SET failures = 0, last_failure_at = NULL WHERE username = ?1",
        [&username],
    )?;
    let session = sessions::start(&tx, &username, now)?;
    officer_audit::append(&tx, now, &username, OfficerAction::SignIn, None, json!({}))?;
    tx.commit()?;
    Ok(SignedIn { session })
}

/// Ends the session whose cookie value is `token` (if it is live) and records the sign-out.
pub(crate) fn sign_out(conn: &mut Db, token: &str, now: DateTime<Utc>) -> Result<(), BranchError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let username: Option<String> = tx
        .query_row(
            "SELECT username FROM officer_sessions WHERE token_hash = ?1",
            [crate::secrets::hash_secret(token)],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(username) = username {
        sessions::end(&tx, token)?;
        officer_audit::append(&tx, now, &username, OfficerAction::SignOut, None, json!({}))?;
    }
    tx.commit()?;
    Ok(())
}

/// How long `username` must still wait, given its failures in a row and the last one's time.
/// Never more than the full delay, so a clock set back does not lock anyone out for longer.
fn remaining_wait(
    failures: u32,
    last_failure_at: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Duration>, BranchError> {
    let (Some(delay), Some(last)) = (plkk_vault::lockout_delay(failures), last_failure_at) else {
        return Ok(None);
    };
    let until = parse_time(last)? + chrono::Duration::from_std(delay).unwrap_or_default();
    Ok((until - now)
        .to_std()
        .ok()
        .filter(|wait| !wait.is_zero())
        .map(|wait| wait.min(delay)))
}

/// Counts a failure (not while locked out: waiting out the delay is the point) and records it.
fn record_failure(
    conn: &mut Db,
    username: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), BranchError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let failures: Option<u32> = if reason == "locked_out" {
        None
    } else {
        tx.query_row(
            "UPDATE officers SET failures = failures + 1, last_failure_at = ?2
             WHERE username = ?1 RETURNING failures",
            params![username, time_text(now)],
            |row| row.get(0),
        )
        .optional()?
    };
    officer_audit::append(
        &tx,
        now,
        username,
        OfficerAction::SignInFailed,
        None,
        json!({ "reason": reason, "failures": failures }),
    )?;
    tx.commit()?;
    Ok(())
}

/// A PHC hash no password matches, checked against for unknown usernames.
fn unknown_user_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| plkk_vault::hash_secret(&crate::secrets::new_token()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> Db {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::migrate::apply(&mut conn).unwrap();
        Db::Sqlite(conn)
    }

    fn t(seconds: i64) -> DateTime<Utc> {
        "2026-11-30T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
            + chrono::Duration::seconds(seconds)
    }

    fn rina(role: OfficerRole) -> NewOfficer<'static> {
        NewOfficer {
            username: " Rina ",
            display_name: "Rina Verifikator",
            role,
            password: "rahasia-cabang",
        }
    }

    fn check_username(typed: &str, expected: Result<&str, &str>) {
        let got = normalize_username(typed).map_err(|error| match error {
            BranchError::Refused(issue) => issue.rule,
            other => panic!("{other}"),
        });
        assert_eq!(
            got.as_deref().map_err(String::as_str),
            expected,
            "typed {typed:?}"
        );
    }

    #[test]
    fn usernames() {
        check_username("rina", Ok("rina"));
        check_username(" Rina.S_2 ", Ok("rina.s_2"));
        check_username("r", Err("too_short"));
        check_username(&"r".repeat(33), Err("too_long"));
        check_username("rina s", Err("username_format"));
        check_username("rina<script>", Err("username_format"));
    }

    #[test]
    fn roles_permit_what_the_issue_says() {
        use ConsoleAction::*;
        use OfficerRole::*;
        let table = [
            (Viewer, [true, false, false]),
            (Verifier, [true, true, false]),
            (Admin, [true, true, true]),
        ];
        for (role, expected) in table {
            let got = [Read, SetStatus, Administer].map(|action| role.permits(action));
            assert_eq!(got, expected, "{role:?}");
        }
    }

    #[test]
    fn five_failures_lock_the_username_even_for_the_right_password() {
        let mut conn = database();
        add(&mut conn, rina(OfficerRole::Verifier), "(cli)", t(0)).unwrap();
        for attempt in 1..=5 {
            let refused = sign_in(&mut conn, "rina", "salah-sandi", t(attempt)).unwrap_err();
            assert!(
                matches!(refused, SignInError::WrongCredentials),
                "{refused}"
            );
        }
        let locked = sign_in(&mut conn, "rina", "rahasia-cabang", t(6)).unwrap_err();
        match locked {
            SignInError::LockedOut { wait } => assert_eq!(wait.as_secs(), 29),
            other => panic!("expected a lockout, got {other}"),
        }
        // Waiting out the delay lets the right password in, and the count starts again.
        let signed_in = sign_in(&mut conn, "rina", "rahasia-cabang", t(36)).unwrap();
        let session = sessions::find(&conn, &signed_in.session.token, t(37)).unwrap();
        assert_eq!(session.unwrap().username, "rina");
        assert_eq!(list(&conn, t(36)).unwrap()[0].failures, 0);
        let log = officer_audit::read(&conn, None).unwrap();
        let actions: Vec<&str> = log.entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "officer_added",
                "sign_in_failed",
                "sign_in_failed",
                "sign_in_failed",
                "sign_in_failed",
                "sign_in_failed",
                "sign_in_failed",
                "sign_in"
            ]
        );
        assert!(log.sound);
    }

    #[test]
    fn removing_an_officer_ends_their_sessions() {
        let mut conn = database();
        add(&mut conn, rina(OfficerRole::Admin), "(cli)", t(0)).unwrap();
        let signed_in = sign_in(&mut conn, "rina", "rahasia-cabang", t(1)).unwrap();
        assert!(sessions::find(&conn, &signed_in.session.token, t(2))
            .unwrap()
            .is_some());
        assert_eq!(list(&conn, t(2)).unwrap()[0].open_sessions, 1);
        remove(&mut conn, "RINA", "(cli)", t(3)).unwrap();
        assert!(sessions::find(&conn, &signed_in.session.token, t(4))
            .unwrap()
            .is_none());
        assert!(matches!(
            remove(&mut conn, "rina", "(cli)", t(5)),
            Err(BranchError::NotFound { .. })
        ));
    }

    #[test]
    fn a_taken_username_and_a_short_password_name_their_field() {
        let mut conn = database();
        add(&mut conn, rina(OfficerRole::Viewer), "(cli)", t(0)).unwrap();
        let field_of = |result: Result<Officer, BranchError>| match result {
            Err(BranchError::Refused(issue)) => (issue.field, issue.rule),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field_of(add(&mut conn, rina(OfficerRole::Viewer), "(cli)", t(1))),
            ("username".to_owned(), "taken".to_owned())
        );
        let short = NewOfficer {
            username: "budi",
            password: "pendek",
            ..rina(OfficerRole::Viewer)
        };
        assert_eq!(
            field_of(add(&mut conn, short, "(cli)", t(1))),
            ("password".to_owned(), "too_short".to_owned())
        );
    }
}
