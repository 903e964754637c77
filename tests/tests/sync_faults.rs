//! Faults between desk and branch: the desk dying after the branch applied a batch but before the
//! receipts were stored, the branch dying in the middle of a batch, and a proxy that drops,
//! truncates, delays, answers 5xx or serves a captive portal. Every time: nothing lost, nothing
//! duplicated, and the desk converges to all confirmed.

use std::time::Duration;

use plkk_tests::branch::TestBranch;
use plkk_tests::fault_proxy::{Fault, FaultProxy};
use plkk_tests::sync_desk::SyncDesk;

fn assert_exactly_once(branch: &TestBranch, desk: &SyncDesk) {
    let counts = branch.counts();
    assert_eq!(
        counts.intakes,
        desk.count("intakes"),
        "intakes exactly once"
    );
    assert_eq!(counts.notes, desk.count("notes"), "notes exactly once");
    assert_eq!(counts.entries, desk.entries(), "entries exactly once");
    let status = desk.status();
    assert_eq!(status.unconfirmed, 0, "all confirmed: {status:?}");
}

#[test]
fn desk_killed_after_the_branch_applied_a_batch_resends_without_duplicates() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-KILL", "Klinik Kill");
    let proxy = FaultProxy::start(branch.addr());
    let desk = SyncDesk::new();
    desk.enroll(&proxy.url(), &code);
    desk.capture(40, 2, 3);

    // The first request asks the branch's body limit; the second is the first push.
    proxy.script([Fault::Pass, Fault::DropAfterForward]);
    let failure = desk.sync().expect_err("the answer never arrives");
    assert_eq!(failure.code(), "branch_unreachable", "{failure}");
    let applied = branch.counts().entries;
    assert!(applied > 0, "the branch applied the first push");
    let status = desk.status();
    // A second push sent while the first was in flight may have been answered.
    assert_eq!(
        status.sent,
        applied - status.confirmed,
        "the desk holds them as sent, without receipts"
    );

    // A restart: the store is reopened by the next cycle from the files alone.
    let summary = desk.sync().expect("the resend");
    assert_eq!(
        summary.confirmed,
        120 - status.confirmed,
        "repeats are confirmed (duplicate receipts)"
    );
    assert_exactly_once(&branch, &desk);
}

#[test]
fn branch_killed_in_the_middle_of_a_batch_loses_nothing() {
    let mut branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-CRASH", "Klinik Crash");
    let proxy = FaultProxy::start(branch.addr());
    let desk = SyncDesk::new();
    desk.enroll(&proxy.url(), &code);
    desk.capture(300, 2, 4);

    let (signal, forwarded) = std::sync::mpsc::channel();
    // After the branch's limit is asked, the first push goes; the branch is killed as soon as it
    // has the request.
    proxy.script([Fault::Pass, Fault::Signal(signal)]);
    let syncing = {
        let access = desk.access().clone();
        std::thread::spawn(move || plkk_tests::sync_desk::block_on(plkk_sync::sync_once(&access)))
    };
    forwarded
        .recv_timeout(Duration::from_secs(30))
        .expect("the push reached the branch");
    branch.kill();
    let first = syncing.join().unwrap();
    assert!(first.is_err(), "the cycle cannot finish: {first:?}");
    let applied = branch.counts().entries;
    let status = desk.status();
    assert!(status.sent > 0, "the first push was under way");
    // Up to three pushes may be in flight; each is applied whole or not at all, and one may even
    // have been answered before the kill. What the branch holds is made of whole pushes: a sum of
    // some of the pushes' sizes (the desk marks a push's entries with one sent_at).
    let pushes: Vec<u64> = {
        let store = desk.store();
        let mut sizes = store
            .connection()
            .prepare("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL GROUP BY sent_at")
            .unwrap();
        let rows = sizes.query_map([], |row| row.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    let whole_sums: Vec<u64> = (0u32..1 << pushes.len())
        .map(|set| {
            (0..pushes.len())
                .filter(|&at| set & (1 << at) != 0)
                .map(|at| pushes[at])
                .sum()
        })
        .collect();
    assert!(
        whole_sums.contains(&applied),
        "a push is all or nothing: the branch holds {applied} entries, pushes of {pushes:?} were sent"
    );

    branch.restart();
    let summary = desk.sync().expect("the branch is back");
    assert_eq!(summary.pending, 0, "{summary:?}");
    assert_exactly_once(&branch, &desk);
}

#[test]
fn a_faulty_network_converges_without_duplicates() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-NET", "Klinik Jaringan");
    let proxy = FaultProxy::start(branch.addr());
    let desk = SyncDesk::new();
    desk.enroll(&proxy.url(), &code);
    desk.capture(700, 1, 5);

    // A sync reports the first of its faults: those that meet requests in flight behind it
    // (up to three at once) are not named. The first two faults meet each sync's first request.
    proxy.script([
        Fault::Status(503),
        Fault::DropBeforeForward,
        Fault::Pass,
        Fault::DropAfterForward,
        Fault::Truncate(40),
        Fault::Delay(Duration::from_millis(300)),
        Fault::Truncate(400),
        Fault::Status(502),
    ]);
    let mut codes = Vec::new();
    let mut converged = false;
    for _ in 0..20 {
        match desk.sync() {
            Ok(summary) if summary.pending == 0 => {
                converged = true;
                break;
            }
            Ok(_) => {}
            Err(error) => codes.push(error.code()),
        }
    }
    assert!(converged, "repeated syncs converge; errors seen: {codes:?}");
    assert!(codes.contains(&"branch_unreachable"), "{codes:?}");
    assert!(codes.contains(&"server_error"), "{codes:?}");
    assert_exactly_once(&branch, &desk);
}

#[test]
fn a_captive_portal_is_an_unexpected_response_never_a_confirmation() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-WIFI", "Klinik WiFi");
    let proxy = FaultProxy::start(branch.addr());
    let desk = SyncDesk::new();
    desk.enroll(&proxy.url(), &code);
    desk.capture(3, 1, 6);

    proxy.script([Fault::Pass, Fault::CaptivePortal]);
    let failure = desk.sync().expect_err("a login page is not a receipt");
    assert_eq!(failure.code(), "unexpected_response", "{failure}");
    let status = desk.status();
    assert_eq!(status.confirmed, 0, "nothing is confirmed by a portal page");
    assert_eq!(status.sent, 6);
    assert_eq!(branch.counts().entries, 0, "the portal kept the request");

    desk.sync().expect("the real network is back");
    assert_exactly_once(&branch, &desk);
}
