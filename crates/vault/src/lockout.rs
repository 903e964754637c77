//! Sign-in throttling: after [`FREE_ATTEMPTS`] failures in a row a username must wait, 30 s at
//! first and twice as long after each further failure, at most 15 minutes. Failed attempts are
//! also kept as [`PendingFailure`]s until the audit log can record them.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Consecutive failed sign-ins before the delay starts.
pub const FREE_ATTEMPTS: u32 = 5;

/// The wait after the FREE_ATTEMPTS-th failure.
const FIRST_DELAY: Duration = Duration::from_secs(30);

/// The longest wait.
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

/// A failed sign-in the audit log has not recorded yet.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PendingFailure {
    pub at: DateTime<Utc>,
    pub username: String,
    /// "wrong_password" | "unknown_user" | "locked_out" | "wrong_pin" | "wrong_recovery_key"
    pub reason: String,
    pub failures: u32,
}

/// The delay before the next attempt after `consecutive_failures` failures: none up to
/// FREE_ATTEMPTS-1; 30 s after the 5th, doubling with each further failure, at most 15 minutes.
pub fn lockout_delay(consecutive_failures: u32) -> Option<Duration> {
    let doublings = consecutive_failures.checked_sub(FREE_ATTEMPTS)?;
    let delay = 1u32
        .checked_shl(doublings)
        .and_then(|factor| FIRST_DELAY.checked_mul(factor))
        .unwrap_or(MAX_DELAY);
    Some(delay.min(MAX_DELAY))
}

/// A username's failures in a row, as stored in the keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct FailureCount {
    pub count: u32,
    pub last_failure_at: DateTime<Utc>,
}

impl FailureCount {
    /// How long the username must still wait at `now`, if at all. Never more than the full delay,
    /// so a clock set back does not lock anyone out for longer.
    pub fn remaining_wait(&self, now: DateTime<Utc>) -> Option<Duration> {
        let delay = lockout_delay(self.count)?;
        let until = self.last_failure_at + chrono::Duration::from_std(delay).ok()?;
        let remaining = (until - now).to_std().ok()?;
        (!remaining.is_zero()).then(|| remaining.min(delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_at_the_fifth_failure_and_double_up_to_fifteen_minutes() {
        for n in 0..FREE_ATTEMPTS {
            assert_eq!(lockout_delay(n), None, "{n}");
        }
        let secs: Vec<u64> = (5..=12)
            .map(|n| lockout_delay(n).unwrap().as_secs())
            .collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(lockout_delay(40), Some(MAX_DELAY));
        assert_eq!(lockout_delay(u32::MAX), Some(MAX_DELAY));
    }

    #[test]
    fn remaining_wait() {
        let t0: DateTime<Utc> = "2025-03-01T10:00:00Z".parse().unwrap();
        let four = FailureCount {
            count: 4,
            last_failure_at: t0,
        };
        assert_eq!(four.remaining_wait(t0), None);
        let five = FailureCount {
            count: 5,
            last_failure_at: t0,
        };
        assert_eq!(five.remaining_wait(t0), Some(Duration::from_secs(30)));
        assert_eq!(
            five.remaining_wait(t0 + chrono::Duration::seconds(10)),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            five.remaining_wait(t0 + chrono::Duration::seconds(30)),
            None
        );
        assert_eq!(
            five.remaining_wait(t0 + chrono::Duration::seconds(31)),
            None
        );
        // A clock set back a day: still only the full delay.
        assert_eq!(
            five.remaining_wait(t0 - chrono::Duration::days(1)),
            Some(Duration::from_secs(30))
        );
    }
}
