//! Issue 15: the desk sends its next request while the branch commits the previous one. Two
//! requests in flight must not change the sync's promises: a cut while both are under way loses
//! and duplicates nothing, and a note is still never applied before its intake, even when the later
//! request reaches the branch first.

use std::time::Duration;

use plkk_tests::branch::TestBranch;
use plkk_tests::fault_proxy::{Fault, FaultProxy};
use plkk_tests::sync_desk::SyncDesk;

/// Outbox seq, kind, intake id and branch receipt of every entry on the desk.
fn receipts(desk: &SyncDesk) -> Vec<(i64, String, String, Option<i64>)> {
    let store = desk.store();
    let mut statement = store
        .connection()
        .prepare("SELECT seq, kind, intake_id, receipt FROM outbox ORDER BY seq")
        .unwrap();
    statement
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_cut_with_two_requests_in_flight_loses_and_duplicates_nothing_and_keeps_notes_after_intakes() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-PIPE", "Klinik Pipa");
    let proxy = FaultProxy::start(branch.addr());
    let desk = SyncDesk::new();
    desk.enroll(&proxy.url(), &code);
    desk.capture(150, 2, 15);

    // After the branch's limit is asked: the first push is held at the proxy for a while, so the
    // desk's second push (sent meanwhile) reaches the branch first; the branch applies the second
    // and its answer is cut.
    proxy.script([
        Fault::Pass,
        Fault::Delay(Duration::from_secs(3)),
        Fault::DropAfterForward,
    ]);
    let failure = desk
        .sync()
        .expect_err("the second push's answer never arrives");
    assert_eq!(failure.code(), "branch_unreachable", "{failure}");
    let after_cut = desk.status();
    assert!(
        after_cut.sent > 0,
        "the cut push's entries wait as sent, without receipts: {after_cut:?}"
    );

    let summary = desk.sync().expect("the resend");
    assert_eq!(summary.pending, 0, "{summary:?}");
    let counts = branch.counts();
    assert_eq!(counts.intakes, 150, "intakes exactly once");
    assert_eq!(counts.notes, 300, "notes exactly once");
    assert_eq!(counts.entries, desk.entries(), "entries exactly once");
    assert_eq!(desk.status().unconfirmed, 0, "all confirmed");

    let entries = receipts(&desk);
    let receipt_of = |seq: i64| entries.iter().find(|entry| entry.0 == seq).unwrap().3;
    let first_push = receipt_of(1).expect("the first entry is confirmed");
    let lowest = entries.iter().filter_map(|entry| entry.3).min().unwrap();
    assert!(
        lowest < first_push,
        "the second push was sent while the first was held, and applied first (receipt {lowest} < {first_push})"
    );
    for (seq, kind, intake_id, receipt) in &entries {
        if kind != "note" {
            continue;
        }
        let intake = entries
            .iter()
            .find(|entry| entry.1 == "intake" && entry.2 == *intake_id)
            .unwrap();
        assert!(
            receipt.unwrap() > intake.3.unwrap(),
            "note {seq} was applied after its intake (receipts {receipt:?} and {:?})",
            intake.3
        );
    }
}
