//! The pure decisions of the sync, apart from doing them: which outbox entries go in the next
//! batch, how large a push the line carries ([`Link`], measured in bytes and seconds), how long a
//! push may take, when to try again after a failure, and when pending work counts as stalled.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use plkk_protocol::{MAX_AUDIT_LINES_PER_PUSH, MAX_ENTRIES_PER_PUSH};
use plkk_store::{OutboxEntry, SyncState};
use uuid::Uuid;

/// Bounds of one push's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    pub max_entries: usize,
    /// Bytes of JSON before gzip.
    pub max_bytes: usize,
}

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
    /// The entry, taking `bytes` of the request as written.
    pub fn of(entry: &OutboxEntry, bytes: usize) -> Candidate {
        Candidate {
            seq: entry.seq,
            intake_id: entry.intake_id,
            is_intake: !entry.kind.waits_for_intake(),
            intake_state: entry.intake_state,
            bytes,
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
    /// The first candidate held back because its intake is in a request still in flight: it can
    /// go once that request's receipts are stored, so the push comes back to it in this cycle.
    pub deferred_from: Option<i64>,
}

/// Picks the next batch from `candidates` (in outbox order): as many as fit, never a note or a
/// correction before its intake is confirmed at the branch or placed earlier in the same batch.
/// `in_flight` holds the intakes of a request sent and not yet answered: their notes and
/// corrections are held back (a request sent later may be applied first), and reported in
/// `deferred_from`.
pub fn plan_batch(
    candidates: &[Candidate],
    limits: BatchLimits,
    in_flight: &HashSet<Uuid>,
) -> BatchPlan {
    let mut selected = Vec::new();
    let mut intakes_in_batch: HashSet<Uuid> = HashSet::new();
    let mut bytes = 0;
    let mut waiting = 0;
    let mut considered_through = None;
    let mut deferred_from = None;
    for (index, candidate) in candidates.iter().enumerate() {
        let ready = candidate.is_intake
            || matches!(candidate.intake_state, None | Some(SyncState::Confirmed))
            || intakes_in_batch.contains(&candidate.intake_id);
        if !ready {
            if in_flight.contains(&candidate.intake_id) {
                deferred_from = deferred_from.or(Some(candidate.seq));
            } else {
                waiting += 1;
            }
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
        deferred_from,
    }
}

/// How long to wait after a successful cycle before the next one (when nothing wakes it sooner).
pub const SUCCESS_INTERVAL: Duration = Duration::from_secs(60);
/// The wait between attempts while an outage of the line is young: rural lines drop for seconds to
/// a minute, and an attempt that cannot connect costs a few packets, so the desk keeps trying (each
/// attempt itself waits up to 8 s to connect, its SYN resent by the kernel after 1, 3 and 7 s).
pub const QUICK_RETRY: Duration = Duration::from_secs(1);
/// How long quick retries last into an outage of the line.
pub const QUICK_RETRY_FOR: Duration = Duration::from_secs(120);
/// The longest wait between attempts.
pub const MAX_RETRY: Duration = Duration::from_secs(300);
/// Pending work with no attempt for this long is reported as stalled.
pub const STALL_AFTER: Duration = Duration::from_secs(600);

/// The wait before the next attempt, `outage` after the first failure in a row. While the line is
/// down (`branch_answered` false) and the outage is under [`QUICK_RETRY_FOR`]: [`QUICK_RETRY`], so a
/// line that comes back is used within seconds. Otherwise a quarter of the outage so far (a line
/// back after an outage of T is noticed within T/4), at least [`QUICK_RETRY`] and at most
/// [`MAX_RETRY`]; a branch that answers with an error is never retried quickly. Spread by ±20 %
/// with `jitter` in [-1, 1] so a clinic's desks do not all retry at the same moment.
pub fn retry_delay(outage: Duration, branch_answered: bool, jitter: f64) -> Duration {
    let base = if !branch_answered && outage < QUICK_RETRY_FOR {
        QUICK_RETRY
    } else {
        (outage / 4).clamp(QUICK_RETRY, MAX_RETRY)
    };
    let spread = base.as_secs_f64() * (1.0 + 0.2 * jitter.clamp(-1.0, 1.0));
    Duration::from_secs_f64(spread.min(MAX_RETRY.as_secs_f64()))
}

/// JSON bytes of the first push on a line the desk knows nothing of: about 6 s on a 64 kbit/s line
/// after gzip, 1 s at 384 kbit/s.
pub const FIRST_BATCH_BYTES: usize = 48 * 1024;
/// The smallest budget a push shrinks to (an entry larger than it still goes alone).
pub const MIN_BATCH_BYTES: usize = 2 * 1024;
/// The largest budget a push grows to.
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;
/// How long one push should take: long enough that the round trip is a small part of it, short
/// enough that a cut costs little to resend.
pub const TARGET_PUSH: Duration = Duration::from_secs(5);
/// The rate assumed before any push was measured: a 16 kbit/s 2G line carries about this much
/// JSON per second (2 KB/s, gzip shrinking the desk's JSON about fourfold).
pub const UNMEASURED_BYTES_PER_SECOND: f64 = 8192.0;
/// The part of a push's timeout that does not depend on its size: a few round trips of 1.5 s with a
/// lost packet or two, the branch's work, the answer (connecting has its own timeout).
pub const PUSH_TIMEOUT_BASE: Duration = Duration::from_secs(6);

/// What the desk knows of the line to the branch, adjusted after every push and kept between
/// cycles: the next push's size in JSON bytes (records and audit entries), the rate pushes achieve,
/// and the branch's body limit. Pushes shrink after a failed or slow attempt and grow after quick
/// ones, so a line that drops every few seconds still carries something each time it is up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    pub batch_bytes: usize,
    /// JSON bytes per second that recent pushes achieved (smoothed).
    pub bytes_per_second: Option<f64>,
    /// The largest request body the branch accepts (bytes), as it said.
    pub branch_limit: Option<usize>,
    /// The most audit lines the branch takes with one push, as it said (`None`: not asked yet).
    pub branch_audit_lines: Option<usize>,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            batch_bytes: FIRST_BATCH_BYTES,
            bytes_per_second: None,
            branch_limit: None,
            branch_audit_lines: None,
        }
    }
}

impl Link {
    /// The audit lines the next push may carry: as many as the branch said, within what this
    /// desk sends ([`MAX_AUDIT_LINES_PER_PUSH`]); [`MAX_ENTRIES_PER_PUSH`] for a branch that did
    /// not say (older branches take no more).
    pub fn audit_lines(&self) -> usize {
        self.branch_audit_lines
            .unwrap_or(MAX_ENTRIES_PER_PUSH)
            .min(MAX_AUDIT_LINES_PER_PUSH)
    }

    /// The JSON bytes the next push may carry: the budget, within the branch's limit.
    pub fn request_bytes(&self) -> usize {
        match self.branch_limit {
            Some(limit) => self.batch_bytes.min(limit),
            None => self.batch_bytes,
        }
    }

    /// After a push of `json_bytes` answered in `elapsed`: slower than [`TARGET_PUSH`] shrinks the
    /// budget to what would have taken that long; quicker grows it (at most doubling) when the
    /// push used most of it. The rate is what pushes of a fair size achieved.
    pub fn after_success(&mut self, json_bytes: usize, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64().max(0.001);
        let target = TARGET_PUSH.as_secs_f64();
        let fits_in_target = (json_bytes as f64 * target / seconds) as usize;
        let used_most = json_bytes * 2 >= self.batch_bytes;
        if seconds > target {
            self.batch_bytes = fits_in_target;
        } else if used_most {
            self.batch_bytes = fits_in_target.clamp(self.batch_bytes, self.batch_bytes * 2);
        }
        self.batch_bytes = self.batch_bytes.clamp(MIN_BATCH_BYTES, MAX_BATCH_BYTES);
        if used_most || seconds > target {
            let sample = json_bytes as f64 / seconds;
            self.bytes_per_second = Some(match self.bytes_per_second {
                Some(rate) => (rate + sample) / 2.0,
                None => sample,
            });
        }
    }

    /// After a push of `json_bytes` that failed on the way (cut, timeout, refused as too large):
    /// the next one carries half of it.
    pub fn after_failure(&mut self, json_bytes: usize) {
        self.batch_bytes = (json_bytes / 2).clamp(MIN_BATCH_BYTES, MAX_BATCH_BYTES);
    }

    /// How long an exchange of `json_bytes` (a push, or a pull page) may take before the desk gives
    /// up on it: the fixed part and twice its transfer at the measured rate (or the 2G rate before
    /// any measure), at most [`MAX_RETRY`]. A push stalled by a cut is abandoned, so a line that
    /// came back is used on a fresh connection instead of waiting for TCP's retransmission backoff
    /// (after a 20 s cut, TCP may resend only 30 s after it began).
    pub fn timeout_for(&self, json_bytes: usize) -> Duration {
        let rate = self
            .bytes_per_second
            .unwrap_or(UNMEASURED_BYTES_PER_SECOND)
            .max(256.0);
        let transfer = Duration::from_secs_f64((2.0 * json_bytes as f64 / rate).min(3600.0));
        (PUSH_TIMEOUT_BASE + transfer).min(MAX_RETRY)
    }
}

impl Link {
    /// Changes to ask for in one pull: about what one push carries, at 1 KiB a change.
    pub fn pull_rows(&self) -> u32 {
        let rows = self.request_bytes() / 1024;
        u32::try_from(rows.clamp(PULL_ROWS_MIN, PULL_ROWS_MAX)).unwrap_or(500)
    }
}

/// Rows of one pull, at least and at most.
const PULL_ROWS_MIN: usize = 50;
const PULL_ROWS_MAX: usize = 500;

impl From<plkk_store::SyncLink> for Link {
    fn from(stored: plkk_store::SyncLink) -> Self {
        let size = |bytes: u64| usize::try_from(bytes).unwrap_or(usize::MAX);
        Link {
            batch_bytes: size(stored.batch_bytes).clamp(MIN_BATCH_BYTES, MAX_BATCH_BYTES),
            bytes_per_second: stored
                .bytes_per_second
                .filter(|rate| rate.is_finite() && *rate > 0.0),
            branch_limit: stored.branch_max_body.map(size),
            branch_audit_lines: stored.branch_audit_lines.map(size),
        }
    }
}

impl From<Link> for plkk_store::SyncLink {
    fn from(link: Link) -> Self {
        plkk_store::SyncLink {
            batch_bytes: link.batch_bytes as u64,
            bytes_per_second: link.bytes_per_second,
            branch_max_body: link.branch_limit.map(|limit| limit as u64),
            branch_audit_lines: link.branch_audit_lines.map(|lines| lines as u64),
        }
    }
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
            &HashSet::new(),
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
            &HashSet::new(),
        );
        assert_eq!(plan.selected, vec![0]);
        assert_eq!(plan.considered_through, Some(1), "next page starts at I2");
    }

    #[test]
    fn notes_of_an_intake_in_flight_are_deferred_not_sent_ahead_of_it() {
        let limits = BatchLimits {
            max_entries: 500,
            max_bytes: 1 << 20,
        };
        let in_flight: HashSet<Uuid> = [Uuid::from_u128(1)].into();
        let words = ["N1s", "N1s", "I2", "N2", "N3"];
        let plan = plan_batch(&candidates(&words.join(" ")), limits, &in_flight);
        let picked: Vec<&str> = plan.selected.iter().map(|&index| words[index]).collect();
        assert_eq!(
            picked,
            ["I2", "N2"],
            "case 1's notes wait for its request's receipts"
        );
        assert_eq!(
            plan.deferred_from,
            Some(1),
            "the push comes back to them in this cycle"
        );
        assert_eq!(
            plan.waiting, 1,
            "N3's intake is pending here and not in flight"
        );
        assert_eq!(plan.considered_through, Some(5));
    }

    fn check_delay(outage_secs: u64, answered: bool, jitter: f64, expected_secs: f64) {
        let delay = retry_delay(Duration::from_secs(outage_secs), answered, jitter).as_secs_f64();
        assert!(
            (delay - expected_secs).abs() < 1e-6,
            "{outage_secs} s into an outage (branch answered: {answered}), jitter {jitter}: {delay} s, expected {expected_secs} s"
        );
    }

    #[test]
    fn retries_are_quick_while_the_line_is_briefly_down_then_back_off_with_a_cap() {
        check_delay(0, false, 0.0, 1.0);
        check_delay(60, false, 0.0, 1.0);
        check_delay(119, false, 0.0, 1.0);
        check_delay(120, false, 0.0, 30.0);
        check_delay(600, false, 0.0, 150.0);
        check_delay(1200, false, 0.0, 300.0);
        check_delay(100_000, false, 0.0, 300.0);
        check_delay(0, true, 0.0, 1.0);
        check_delay(60, true, 0.0, 15.0);
        check_delay(60, false, 1.0, 1.2);
        check_delay(60, false, -1.0, 0.8);
        check_delay(60, false, 7.0, 1.2);
        check_delay(2000, false, 1.0, 300.0);
        check_delay(2000, false, -1.0, 240.0);
    }

    fn pushed(link: &mut Link, kib: usize, seconds: f64) {
        link.after_success(kib * 1024, Duration::from_secs_f64(seconds));
    }

    #[test]
    fn pushes_grow_after_quick_ones_and_shrink_after_slow_or_failed_ones() {
        let mut link = Link::default();
        assert_eq!(link.request_bytes(), 48 * 1024);
        pushed(&mut link, 48, 0.5);
        assert_eq!(link.batch_bytes, 96 * 1024, "quick: at most double");
        pushed(&mut link, 96, 4.0);
        assert_eq!(link.batch_bytes, 120 * 1024, "towards 5 s");
        pushed(&mut link, 3, 0.2);
        assert_eq!(
            link.batch_bytes,
            120 * 1024,
            "a small push says little of the line"
        );
        pushed(&mut link, 120, 10.0);
        assert_eq!(link.batch_bytes, 60 * 1024, "slow: what would take 5 s");
        link.after_failure(60 * 1024);
        assert_eq!(link.batch_bytes, 30 * 1024);
        for _ in 0..20 {
            link.after_failure(link.batch_bytes);
        }
        assert_eq!(link.batch_bytes, MIN_BATCH_BYTES, "never below the floor");
        for _ in 0..20 {
            let bytes = link.batch_bytes;
            link.after_success(bytes, Duration::from_millis(10));
        }
        assert_eq!(link.batch_bytes, MAX_BATCH_BYTES, "never above the ceiling");
    }

    #[test]
    fn the_branch_limit_bounds_every_request() {
        let mut link = Link {
            branch_limit: Some(65_536),
            ..Link::default()
        };
        pushed(&mut link, 48, 0.1);
        assert_eq!(link.request_bytes(), 65_536);
        link.batch_bytes = 4096;
        assert_eq!(link.request_bytes(), 4096);
    }

    #[test]
    fn audit_lines_per_push_are_what_the_branch_said_within_what_the_desk_sends() {
        let told = |lines: Option<usize>| {
            Link {
                branch_audit_lines: lines,
                ..Link::default()
            }
            .audit_lines()
        };
        assert_eq!(told(None), 500, "not asked yet, or an older branch: 500");
        assert_eq!(told(Some(2_000)), 2_000);
        assert_eq!(told(Some(100)), 100);
        assert_eq!(
            told(Some(1_000_000)),
            2_000,
            "never more than the desk sends"
        );
    }

    #[test]
    fn a_push_may_take_its_transfer_at_the_measured_rate_twice_over() {
        let link = Link::default();
        assert_eq!(
            link.timeout_for(40_960),
            Duration::from_secs(16),
            "2G rate assumed"
        );
        let measured = Link {
            bytes_per_second: Some(20_480.0),
            ..Link::default()
        };
        assert_eq!(measured.timeout_for(102_400), Duration::from_secs(16));
        assert_eq!(measured.timeout_for(1 << 30), MAX_RETRY);
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
