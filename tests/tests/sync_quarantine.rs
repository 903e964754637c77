//! A record the branch refuses waits in a visible quarantine with the branch's reason, holds back
//! only its own case's later records, and reaches the branch once a person has corrected it and
//! sent it again.

use plkk_tests::accounts::{NURSE, RECEPTIONIST};
use plkk_tests::branch::TestBranch;
use plkk_tests::samples;
use plkk_tests::sync_desk::{now, object, SyncDesk};
use serde_json::json;

#[test]
fn a_rejected_intake_waits_in_quarantine_and_arrives_after_a_correction_and_resend() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-01", "Klinik Sehat");
    let desk = SyncDesk::new();
    desk.enroll(&branch.url(), &code);

    // Saved as an older desk version with looser rules would have saved it: a chronology of six
    // characters, which the branch refuses (at least 20). (A fast desk clock used to be the way
    // to get a refusal here; the branch now judges times against the desk's own clock.)
    let mut store = desk.store();
    let refused_case = plkk_store::admit_intake(
        &mut store,
        &RECEPTIONIST.actor(),
        &object(samples::intake()),
        now(),
    )
    .expect("a valid intake")
    .id
    .to_string();
    for sabotage in [
        "UPDATE outbox_payloads SET payload = json_set(payload, '$.intake.chronology', 'Jatuh.')
         WHERE seq IN (SELECT seq FROM outbox WHERE kind = 'intake')",
        "UPDATE cases SET record = json_set(record, '$.chronology', 'Jatuh.')",
    ] {
        store.connection().execute(sabotage, []).unwrap();
    }
    plkk_store::add_note(
        &mut store,
        &NURSE.actor(),
        &refused_case,
        &object(samples::note()),
        now(),
    )
    .unwrap();
    let other_case = desk.capture(1, 1, 21).remove(0);

    let summary = desk.sync().expect("a refusal is not a failed sync");
    assert_eq!(summary.quarantined, 1);
    let counts = branch.counts();
    assert_eq!(
        (counts.intakes, counts.notes),
        (1, 1),
        "the other case must not be held back by the refused one"
    );
    let quarantine = plkk_store::quarantine(&desk.store(), &RECEPTIONIST.actor()).unwrap();
    assert_eq!(quarantine.len(), 1, "the refused intake is in quarantine");
    let entry = &quarantine[0];
    assert_eq!(entry.record_id.to_string(), refused_case);
    assert!(
        entry.issues.iter().any(|issue| issue.field == "chronology"
            && issue.rule == "too_short"
            && issue.params.get("min").map(String::as_str) == Some("20")),
        "the branch's reason names the field and the rule: {:?}",
        entry.issues
    );
    assert_eq!(entry.waiting_entries, 1, "its note waits for it");
    assert_eq!(desk.status().rejected, 1, "the status bar counts it");
    let other =
        plkk_store::show_case(&desk.store(), &RECEPTIONIST.actor(), &other_case, now()).unwrap();
    assert_eq!(other.sync_state, plkk_store::SyncState::Confirmed);

    // The receptionist completes the chronology and sends it again.
    let chronology = "Terjatuh dari tangga saat memindahkan barang di gudang";
    plkk_store::correct_intake(
        &mut store,
        &RECEPTIONIST.actor(),
        &refused_case,
        &object(json!({ "chronology": chronology })),
        "kronologi dilengkapi",
        now(),
    )
    .unwrap();
    plkk_store::resend(
        &mut store,
        &RECEPTIONIST.actor(),
        &entry.entry_id.to_string(),
        now(),
    )
    .unwrap();
    desk.sync().expect("the resend goes through");

    assert!(plkk_store::quarantine(&desk.store(), &RECEPTIONIST.actor())
        .unwrap()
        .is_empty());
    let counts = branch.counts();
    assert_eq!(
        (counts.intakes, counts.notes),
        (2, 2),
        "the case and its note arrived"
    );
    let case =
        plkk_store::show_case(&desk.store(), &RECEPTIONIST.actor(), &refused_case, now()).unwrap();
    assert_eq!(case.sync_state, plkk_store::SyncState::Confirmed);
    let at_branch = plkk_branch::admin::list_cases(branch.database(), "PLKK-01").unwrap();
    let arrived = at_branch
        .iter()
        .find(|case| case["id"] == refused_case.as_str())
        .expect("the branch has the case");
    assert_eq!(
        arrived["chronology"], chronology,
        "the branch received the corrected chronology"
    );
}
