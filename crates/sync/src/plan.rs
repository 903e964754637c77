//! The pure decisions of the sync, apart from doing them: which outbox entries go in the next
//! batch, when to try again after a failure, and when pending work counts as stalled.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use plkk_store::{OutboxEntry, SyncState};
use uuid::Uuid;

/// Bounds of one push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    pub max_entries: usize,
    /// Bytes of JSON before gzip.
    pub max_bytes: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits {
            max_entries: plkk_protocol::MAX_ENTRIES_PER_PUSH,
            max_bytes: 1024 * 1024,
        }
    }
}

/// The JSON around an entry's payload (ids, kind, sequence), counted against `max_bytes`.
pub const ENTRY_ENVELOPE_BYTES: usize = 200;

/// What the planner needs to know of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub seq: i64,
    pub intake_id: Uuid,
    pub is_intake: bool,
    /// The state of the case's intake entry here; `None`: the intake came from another desk.
    pub intake_state: Option<SyncState>,
    pub bytes: usize,
}

impl Candidate {
    pub fn of(entry: &OutboxEntry) -> Candidate {
        Candidate {
            seq: entry.seq,
            intake_id: entry.intake_id,
            is_intake: entry.kind == plkk_protocol::EntryKind::Intake,
            intake_state: entry.intake_state,
            bytes: entry.payload.len() + ENTRY_ENVELOPE_BYTES,
        }
    }
}

/// The next batch: indices into the candidates, in send order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPlan {
    pub selected: Vec<usize>,
    /// Candidates held back because their intake is not confirmed and not in this batch.
    pub waiting: usize,
    /// Every candidate up to this sequence was considered; the next page starts after it.
    pub considered_through: Option<i64>,
}

/// Picks the next batch from `candidates` (in outbox order): as many as fit, never a note or a
/// correction before its intake is confirmed at the branch or placed earlier in the same batch.
pub fn plan_batch(candidates: &[Candidate], limits: BatchLimits) -> BatchPlan {
    let mut selected = Vec::new();
    let mut intakes_in_batch: HashSet<Uuid> = HashSet::new();
    let mut bytes = 0;
    let mut waiting = 0;
    let mut considered_through = None;
    for (index, candidate) in candidates.iter().enumerate() {
        let ready = candidate.is_intake
            || matches!(candidate.intake_state, None | Some(SyncState::Confirmed))
            || intakes_in_batch.contains(&candidate.intake_id);
        if !ready {
            waiting += 1;
            considered_through = Some(candidate.seq);
            continue;
        }
        let full = selected.len() >= limits.max_entries
            || (!selected.is_empty() && bytes + candidate.bytes > limits.max_bytes);
        if full {
            break;
        }
        bytes += candidate.bytes;
        selected.push(index);
        if candidate.is_intake {
            intakes_in_batch.insert(candidate.intake_id);
        }
        considered_through = Some(candidate.seq);
    }
    BatchPlan {
        selected,
        waiting,
        considered_through,
    }
}

/// How long to wait after a successful cycle before the next one (when nothing wakes it sooner).
pub const SUCCESS_INTERVAL: Duration = Duration::from_secs(60);
/// The first retry after a failure; each further failure doubles it.
pub const FIRST_RETRY: Duration = Duration::from_secs(2);
/// The longest wait between attempts.
pub const MAX_RETRY: Duration = Duration::from_secs(300);
/// Pending work with no attempt for this long is reported as stalled.
pub const STALL_AFTER: Duration = Duration::from_secs(600);

/// The wait before the next attempt after `consecutive_failures` (≥ 1) failures in a row:
/// 2 s, 4 s, 8 s … capped at 5 minutes, spread by ±20 % with `jitter` in [-1, 1] so a clinic's
/// desks do not all retry at the same moment.
pub fn retry_delay(consecutive_failures: u32, jitter: f64) -> Duration {
    let exponent = consecutive_failures.saturating_sub(1).min(16);
    let base = FIRST_RETRY
        .saturating_mul(1u32 << exponent)
        .min(MAX_RETRY)
        .as_secs_f64();
    let spread = base * (1.0 + 0.2 * jitter.clamp(-1.0, 1.0));
    Duration::from_secs_f64(spread.min(MAX_RETRY.as_secs_f64()))
}

/// Whether work has been waiting with nothing attempted for longer than [`STALL_AFTER`]: since
/// the last attempt, or, when there never was one, since the oldest waiting entry was written.
pub fn is_stalled(
    undelivered: u64,
    last_attempt_at: Option<DateTime<FixedOffset>>,
    oldest_unconfirmed_at: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
) -> bool {
    if undelivered == 0 {
        return false;
    }
    let Some(since) = last_attempt_at.or(oldest_unconfirmed_at) else {
        return false;
    };
    (now - since).to_std().is_ok_and(|idle| idle > STALL_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact description of candidates: "I1" intake of case 1 (pending), "N1" note of case 1
    /// whose intake is pending, "N1c" with its intake confirmed, "N1r" rejected, "N1-" pulled.
    fn candidates(spec: &str) -> Vec<Candidate> {
        spec.split_whitespace()
            .enumerate()
            .map(|(index, word)| {
                let is_intake = word.starts_with('I');
                let digits: String = word[1..].chars().take_while(char::is_ascii_digit).collect();
                let case: u128 = digits.parse().unwrap();
                let intake_state = match &word[1 + digits.len()..] {
                    "" => Some(SyncState::Pending),
                    "c" => Some(SyncState::Confirmed),
                    "s" => Some(SyncState::Sent),
                    "r" => Some(SyncState::Rejected),
                    "-" => None,
                    other => panic!("unknown suffix {other}"),
                };
                Candidate {
                    seq: index as i64 + 1,
                    intake_id: Uuid::from_u128(case),
                    is_intake,
                    intake_state,
                    bytes: 100,
                }
            })
            .collect()
    }

    fn check(spec: &str, max_entries: usize, max_bytes: usize, expected: &str, waiting: usize) {
        let candidates = candidates(spec);
        let plan = plan_batch(
            &candidates,
            BatchLimits {
                max_entries,
                max_bytes,
            },
        );
        let words: Vec<&str> = spec.split_whitespace().collect();
        let picked: Vec<&str> = plan.selected.iter().map(|&index| words[index]).collect();
        assert_eq!(picked.join(" "), expected, "batch of {spec:?}");
        assert_eq!(plan.waiting, waiting, "waiting in {spec:?}");
    }

    #[test]
    fn notes_follow_their_intake() {
        check("I1 N1 N1 I2 N2", 500, 1 << 20, "I1 N1 N1 I2 N2", 0);
        check("N1c N2- I3 N3", 500, 1 << 20, "N1c N2- I3 N3", 0);
        check("N1 N1s I2", 500, 1 << 20, "I2", 2);
    }

    #[test]
    fn a_rejected_intake_holds_back_only_its_case() {
        check("N1r N2c N1r N3-", 500, 1 << 20, "N2c N3-", 2);
    }

    #[test]
    fn batches_are_bounded_by_count_and_bytes() {
        check("I1 N1 I2 N2 I3", 3, 1 << 20, "I1 N1 I2", 0);
        check("I1 N1 I2 N2 I3", 500, 250, "I1 N1", 0);
        check("I1 N1", 500, 10, "I1", 0);
        check("I1 N1 N1", 2, 1 << 20, "I1 N1", 0);
    }

    #[test]
    fn a_note_whose_intake_did_not_fit_waits_for_the_next_batch() {
        let plan = plan_batch(
            &candidates("I1 I2 N2"),
            BatchLimits {
                max_entries: 1,
                max_bytes: 1 << 20,
            },
        );
        assert_eq!(plan.selected, vec![0]);
        assert_eq!(plan.considered_through, Some(1), "next page starts at I2");
    }

    fn check_delay(failures: u32, jitter: f64, expected_secs: f64) {
        let delay = retry_delay(failures, jitter).as_secs_f64();
        assert!(
            (delay - expected_secs).abs() < 1e-6,
            "after {failures} failures with jitter {jitter}: {delay} s, expected {expected_secs} s"
        );
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_and_a_cap() {
        check_delay(1, 0.0, 2.0);
        check_delay(2, 0.0, 4.0);
        check_delay(3, 0.0, 8.0);
        check_delay(8, 0.0, 256.0);
        check_delay(9, 0.0, 300.0);
        check_delay(1000, 0.0, 300.0);
        check_delay(1, 1.0, 2.4);
        check_delay(1, -1.0, 1.6);
        check_delay(3, 0.5, 8.8);
        check_delay(3, 7.0, 9.6);
        check_delay(20, 1.0, 300.0);
        check_delay(20, -1.0, 240.0);
        check_delay(0, 0.0, 2.0);
    }

    fn at(minutes: i64) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2025-06-10T10:00:00+07:00").unwrap()
            + chrono::Duration::minutes(minutes)
    }

    #[test]
    fn stalled_means_work_waiting_and_no_attempt_for_ten_minutes() {
        assert!(!is_stalled(0, None, None, at(60)), "nothing to do");
        assert!(
            !is_stalled(5, Some(at(0)), Some(at(0)), at(10)),
            "exactly 10 min"
        );
        assert!(is_stalled(5, Some(at(0)), Some(at(0)), at(11)));
        assert!(
            !is_stalled(5, Some(at(55)), Some(at(0)), at(60)),
            "recent attempt"
        );
        assert!(is_stalled(5, None, Some(at(0)), at(11)), "never attempted");
        assert!(!is_stalled(5, None, None, at(11)));
    }
}
