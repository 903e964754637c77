//! Issue 15: the desk sends its next requests while the branch commits the previous one. Requests
//! in flight (up to three) must not change the sync's promises: a cut while they are under way loses
//! and duplicates nothing, and a note is still never applied before its intake, even when the later
//! request reaches the branch first. An answer that is wrong about the audit entries (a proxy
//! edits it) leaves no entry marked sent that was never sent, and the next sync delivers the
//! whole chain.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use plkk_tests::branch::TestBranch;
use plkk_tests::fault_proxy::{Fault, FaultProxy};
use plkk_tests::sync_desk::SyncDesk;

/// A branch, a proxy in front of it and an enrolled desk with 150 intakes and 300 notes to send
/// (`seed` for their contents).
fn set_up(seed: u64) -> (TestBranch, FaultProxy, SyncDesk) {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-PIPE", "Klinik Pipa");
    let proxy = FaultProxy::start(branch.addr());
    let desk = SyncDesk::new();
    desk.enroll(&proxy.url(), &code);
    desk.capture(150, 2, seed);
    (branch, proxy, desk)
}

/// The branch holds each of the desk's records exactly once.
fn every_record_once(branch: &TestBranch, desk: &SyncDesk) {
    let counts = branch.counts();
    assert_eq!(counts.intakes, 150, "intakes exactly once");
    assert_eq!(counts.notes, 300, "notes exactly once");
    assert_eq!(counts.entries, desk.entries(), "entries exactly once");
}

/// Outbox seq and how many times each entry was marked sent.
fn attempts(desk: &SyncDesk) -> Vec<(i64, i64)> {
    let store = desk.store();
    let mut statement = store
        .connection()
        .prepare("SELECT seq, attempts FROM outbox ORDER BY seq")
        .unwrap();
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The desk's whole audit chain is at the branch, sound.
fn whole_chain_at_branch(desk: &SyncDesk, branch: &TestBranch) {
    let logged: u64 = desk
        .store()
        .connection()
        .query_row("SELECT count(*) FROM audit_log", [], |row| row.get(0))
        .unwrap();
    let chains = plkk_branch::admin::verify_audit(branch.database(), None).unwrap();
    assert_eq!(chains.len(), 1, "{chains:?}");
    assert!(chains[0].is_sound(), "no break: {chains:?}");
    assert_eq!(chains[0].entries, logged, "the whole chain arrived");
}

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
fn a_cut_with_requests_in_flight_loses_and_duplicates_nothing_and_keeps_notes_after_intakes() {
    let (branch, proxy, desk) = set_up(15);

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
    every_record_once(&branch, &desk);
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

/// The desk plans its next request while three are in flight. When the oldest is refused as too
/// large, the next (never marked sent) is planned again with the rest, smaller; and the audit
/// entries planned behind a request still carrying earlier ones reach the branch as one unbroken
/// chain.
#[test]
fn a_request_planned_behind_those_in_flight_is_planned_again_when_the_oldest_must_go_smaller() {
    let (branch, proxy, desk) = set_up(16);

    // The branch's limit is asked; the first push is refused as too large (413, nothing stored)
    // while the second and third are under way and the fourth planned.
    proxy.script([Fault::Pass, Fault::Status(413)]);
    let summary = desk.sync().expect("the sync goes on smaller");
    assert!(summary.push_requests >= 4, "{summary:?}");
    assert_eq!(summary.pending, 0, "{summary:?}");
    assert_eq!(
        summary.quarantined, 0,
        "nothing was too large alone: {summary:?}"
    );
    every_record_once(&branch, &desk);
    assert_eq!(desk.status().unconfirmed, 0, "all confirmed");
    // Only the refused request's entries went twice: the one planned behind it was never marked
    // sent before it was planned again.
    let attempts = attempts(&desk);
    let twice = attempts.iter().take_while(|(_, tries)| *tries == 2).count();
    assert!(
        twice > 0,
        "the refused request's entries went again: {attempts:?}"
    );
    assert!(
        attempts[twice..].iter().all(|(_, tries)| *tries == 1),
        "every other entry was marked sent once: {attempts:?}"
    );

    whole_chain_at_branch(&desk, &branch);
    assert_eq!(summary.audit_breaks, 0, "{summary:?}");
}

/// The first push carries audit entries; its answer comes back without its audit part (as no
/// branch of ours answers) while the second and third are under way and the fourth is planned. The
/// sync stops with `unexpected_response` once the receipts that came are stored; the fourth request,
/// planned but never sent, is not left marked sent. The next sync sends the rest and the whole
/// audit chain, every entry exactly once.
#[test]
fn an_answer_without_its_audit_part_leaves_nothing_marked_sent_that_was_not_sent() {
    let (branch, proxy, desk) = set_up(17);

    // The branch's limit is asked first. The first three pushes leave together and may reach the
    // proxy in any order: all three answers go through the edit, which only changes the one with
    // an audit part (the first push's). The desk has planned the fourth by the time it reads
    // that answer.
    proxy.script([
        Fault::Pass,
        Fault::EditAnswer(without_audit),
        Fault::EditAnswer(without_audit),
        Fault::EditAnswer(without_audit),
    ]);
    let failure = desk.sync().expect_err("an answer without its audit part");
    assert_eq!(failure.code(), "unexpected_response", "{failure}");
    let after = desk.status();
    assert_eq!(
        after.sent, 0,
        "the pushes sent have their receipts; nothing else is marked sent: {after:?}"
    );

    let summary = desk.sync().expect("the next sync");
    assert_eq!(summary.pending, 0, "{summary:?}");
    every_record_once(&branch, &desk);
    assert_eq!(desk.status().unconfirmed, 0, "all confirmed");
    let attempts = attempts(&desk);
    assert!(
        attempts.iter().all(|(_, tries)| *tries == 1),
        "every entry was marked sent once: the answered ones kept their receipts, the planned \
         one was never marked: {attempts:?}"
    );
    whole_chain_at_branch(&desk, &branch);
}

/// The first push's answer says the branch holds none of its audit entries (as a branch that
/// lacks an earlier entry answers) while a fourth request, planned behind three in flight, carries
/// the audit entries after them: that request is planned again without them instead of being
/// sent, and the sync delivers every record. The next sync sends the audit entries from where
/// the branch said it stands; those it already had are taken as the same, and the chain is whole.
#[test]
fn audit_entries_planned_behind_an_answer_that_lacks_earlier_ones_are_planned_again() {
    let (branch, proxy, desk) = set_up(18);

    // As above: the limit is asked, then of the first three pushes only the first carries audit
    // entries.
    proxy.script([
        Fault::Pass,
        Fault::EditAnswer(nothing_acked),
        Fault::EditAnswer(nothing_acked),
        Fault::EditAnswer(nothing_acked),
    ]);
    let summary = desk.sync().expect("the records still go");
    let edits = proxy
        .request_lines()
        .iter()
        .filter(|(_, fault)| *fault == "edit_answer")
        .count();
    assert_eq!(edits, 3, "{:?}", proxy.request_lines());
    let held = ACKED_BEFORE_EDIT.load(Ordering::SeqCst);
    assert!(
        held > 0,
        "the first push carried audit entries and the edit met them"
    );
    let chains = plkk_branch::admin::verify_audit(branch.database(), None).unwrap();
    assert_eq!(
        chains[0].entries, held as u64,
        "no audit entries after the first push's went in this sync: {chains:?}"
    );
    assert_eq!(summary.pending, 0, "{summary:?}");
    every_record_once(&branch, &desk);
    let attempts = attempts(&desk);
    assert!(
        attempts.iter().all(|(_, tries)| *tries == 1),
        "the request planned with audit entries was never marked sent before it was planned \
         again: {attempts:?}"
    );

    let again = desk.sync().expect("the next sync");
    assert_eq!(again.audit_breaks, 0, "{again:?}");
    whole_chain_at_branch(&desk, &branch);
}

fn without_audit(answer: &mut serde_json::Value) {
    if let Some(answer) = answer.as_object_mut() {
        answer.remove("audit");
    }
}

/// The `acked_seq` the branch really answered, before [`nothing_acked`] made it 0.
static ACKED_BEFORE_EDIT: AtomicI64 = AtomicI64::new(0);

fn nothing_acked(answer: &mut serde_json::Value) {
    if let Some(audit) = answer
        .get_mut("audit")
        .and_then(|audit| audit.as_object_mut())
    {
        let held = audit["acked_seq"].as_i64().expect("acked_seq");
        ACKED_BEFORE_EDIT.store(held, Ordering::SeqCst);
        audit.insert("acked_seq".to_owned(), serde_json::json!(0));
    }
}
