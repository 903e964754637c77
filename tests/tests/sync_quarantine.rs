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

    // The desk's clock ran an hour fast when this patient was admitted: by the branch's clock the
    // admission time lies in the future, so the branch refuses the intake.
    let fast_clock = now() + chrono::Duration::hours(1);
    let mut store = desk.store();
    let refused_case = plkk_store::admit_intake(
        &mut store,
        &RECEPTIONIST.actor(),
        &object(samples::intake_with(json!({"admitted_at": null}))),
        fast_clock,
    )
    .expect("valid by the desk's own clock")
    .id
    .to_string();
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
    let quarantine = plkk_store::quarantine(&desk.store()).unwrap();
    assert_eq!(quarantine.len(), 1, "the refused intake is in quarantine");
    let entry = &quarantine[0];
    assert_eq!(entry.record_id.to_string(), refused_case);
    assert!(
        entry
            .issues
            .iter()
            .any(|issue| issue.field == "admitted_at" && issue.rule == "admitted_in_future"),
        "the branch's reason names the field and the rule: {:?}",
        entry.issues
    );
    assert_eq!(entry.waiting_entries, 1, "its note waits for it");
    assert_eq!(desk.status().rejected, 1, "the status bar counts it");
    let other =
        plkk_store::show_case(&desk.store(), &RECEPTIONIST.actor(), &other_case, now()).unwrap();
    assert_eq!(other.sync_state, plkk_store::SyncState::Confirmed);

    // The receptionist corrects the admission time and sends it again.
    let corrected_admission = (now() - chrono::Duration::minutes(1)).to_rfc3339();
    plkk_store::correct_intake(
        &mut store,
        &RECEPTIONIST.actor(),
        &refused_case,
        &object(json!({ "admitted_at": corrected_admission })),
        "jam komputer salah",
        now(),
    )
    .unwrap();
    plkk_store::resend(&mut store, &entry.entry_id.to_string()).unwrap();
    desk.sync().expect("the resend goes through");

    assert!(plkk_store::quarantine(&desk.store()).unwrap().is_empty());
    let counts = branch.counts();
    assert_eq!(
        (counts.intakes, counts.notes),
        (2, 2),
        "the case and its note arrived"
    );
    let case =
        plkk_store::show_case(&desk.store(), &RECEPTIONIST.actor(), &refused_case, now()).unwrap();
    assert_eq!(case.sync_state, plkk_store::SyncState::Confirmed);
    let at_branch = plkk_branch::admin::list_cases(branch.data_dir(), "PLKK-01").unwrap();
    let arrived = at_branch
        .iter()
        .find(|case| case["id"] == refused_case.as_str())
        .expect("the branch has the case");
    assert_eq!(
        arrived["admitted_at"]
            .as_str()
            .map(|text| text[..16].to_owned()),
        Some(corrected_admission[..16].to_owned()),
        "the branch received the corrected admission time"
    );
}
