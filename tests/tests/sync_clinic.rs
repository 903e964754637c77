//! Two desks of one clinic through a real branch: each sees the other's cases and notes after a
//! pull, the branch's case status reaches them, a concurrent correction of the same field is kept
//! as a conflict on both (nothing silently overwritten), another clinic sees nothing of it; and
//! enrolment: revoked devices, expired, reused and unknown codes, plain http off loopback.

use chrono::Utc;
use plkk_protocol::CaseStatus;
use plkk_store::Actor;
use plkk_tests::accounts::{ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::branch::TestBranch;
use plkk_tests::sync_desk::{block_on, now, object, SyncDesk};
use serde_json::json;

fn enroll_error(desk: &SyncDesk, url: &str, code: &str) -> plkk_sync::SyncError {
    enroll_as(desk, &ADMIN.actor(), url, code).expect_err("enrolment refused")
}

fn enroll_as(
    desk: &SyncDesk,
    actor: &Actor,
    url: &str,
    code: &str,
) -> Result<plkk_sync::Enrolled, plkk_sync::SyncError> {
    block_on(plkk_sync::enroll(
        desk.access(),
        actor,
        plkk_sync::EnrollOptions {
            branch_url: url.to_owned(),
            code: code.to_owned(),
            device_name: "Meja 2".to_owned(),
            ca_cert_pem: None,
        },
    ))
}

/// Opens a case on `desk` as the nurse would (who may view every case).
fn show(desk: &SyncDesk, case: &str) -> Result<plkk_store::CaseDetail, plkk_store::StoreError> {
    plkk_store::show_case(&desk.store(), &NURSE.actor(), case, now())
}

#[test]
fn two_desks_of_a_clinic_share_cases_and_keep_a_conflict_on_both() {
    let branch = TestBranch::start();
    let code_a = branch.clinic_with_code("PLKK-01", "Klinik Sehat");
    let code_b = branch.enrollment_code("PLKK-01");
    let (desk_a, desk_b) = (SyncDesk::new(), SyncDesk::new());
    desk_a.enroll(&branch.url(), &code_a);
    desk_b.enroll(&branch.url(), &code_b);

    let case = desk_a.capture(1, 1, 11).remove(0);
    let case_b = desk_b.capture(1, 0, 12).remove(0);
    desk_a.sync().unwrap();
    desk_b.sync().unwrap();
    desk_a.sync().unwrap();

    let on_b = show(&desk_b, &case).expect("B has A's case");
    assert_eq!(on_b.notes.len(), 1, "with A's note");
    assert_eq!(
        on_b.sync_state,
        plkk_store::SyncState::Confirmed,
        "pulled = confirmed"
    );
    show(&desk_a, &case_b).expect("A has B's case");

    // B adds a note to A's case: it travels back to A.
    plkk_store::add_note(
        &mut desk_b.store(),
        &NURSE.actor(),
        &case,
        &object(json!({"text": "Kontrol hari ke-3, luka kering"})),
        now(),
    )
    .unwrap();

    // Both correct the same field of the same case before either hears of the other.
    let correct = |desk: &SyncDesk, employer: &str, reason: &str| {
        plkk_store::correct_intake(
            &mut desk.store(),
            &RECEPTIONIST.actor(),
            &case,
            &object(json!({ "employer_name": employer })),
            reason,
            now(),
        )
        .unwrap();
    };
    correct(&desk_a, "PT Maju Bersama", "nama perusahaan salah");
    correct(&desk_b, "PT Maju Sentosa", "sesuai kartu pegawai");
    desk_a.sync().unwrap();
    let b_summary = desk_b.sync().unwrap();
    assert_eq!(
        b_summary.conflicts, 1,
        "B's correction comes second: {b_summary:?}"
    );
    desk_a.sync().unwrap();

    assert_eq!(
        branch.counts().conflicts,
        1,
        "the branch keeps the conflict"
    );
    for (desk, origin) in [(&desk_a, "other_desk"), (&desk_b, "this_desk")] {
        let shown = show(desk, &case).unwrap();
        assert_eq!(
            shown.conflicts.len(),
            1,
            "{origin}: the conflict is listed on the case"
        );
        let conflict = &shown.conflicts[0];
        assert_eq!(conflict.origin, origin);
        assert_eq!(conflict.reason, "sesuai kartu pegawai");
        assert_eq!(conflict.fields[0].field, "employer_name");
        assert_eq!(
            conflict.fields[0].branch.as_deref(),
            Some("PT Maju Bersama")
        );
        assert_eq!(conflict.fields[0].desk.as_deref(), Some("PT Maju Sentosa"));
        assert_eq!(
            shown.fields["employer_name"], "PT Maju Bersama",
            "{origin}: current value is the branch's until a person resolves it"
        );
        assert_eq!(shown.notes.len(), 2, "{origin}: both notes");
    }
    let on_b = show(&desk_b, &case).unwrap();
    let values: Vec<Option<String>> = on_b
        .revisions
        .iter()
        .flat_map(|revision| revision.changes.iter().map(|change| change.to.clone()))
        .collect();
    assert!(
        values.contains(&Some("PT Maju Sentosa".to_owned()))
            && values.contains(&Some("PT Maju Bersama".to_owned())),
        "B keeps its own version and A's: {values:?}"
    );
    assert_eq!(
        desk_b.status().conflict,
        1,
        "B's correction shows as in conflict"
    );

    // The branch's answer for the case reaches both desks.
    plkk_branch::admin::set_case_status(
        branch.database(),
        case.parse().unwrap(),
        CaseStatus::GuaranteeIssued,
        None,
        Some("SJ-2025-001"),
        Utc::now(),
    )
    .unwrap();
    for desk in [&desk_a, &desk_b] {
        desk.sync().unwrap_or_else(|error| panic!("{error}"));
        let status = show(desk, &case)
            .unwrap()
            .branch_status
            .expect("pulled status");
        assert_eq!(status.status, "guarantee_issued");
        assert_eq!(status.reference.as_deref(), Some("SJ-2025-001"));
    }

    // Another clinic's desk sees none of it.
    let other_code = branch.clinic_with_code("PLKK-02", "Klinik Lain");
    let other = SyncDesk::new();
    other.enroll(&branch.url(), &other_code);
    other.capture(1, 0, 13);
    other.sync().unwrap();
    assert_eq!(other.count("intakes"), 1, "only its own case");
    assert!(show(&other, &case).is_err());
}

#[test]
fn a_revoked_device_is_told_so_and_keeps_its_records() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-REV", "Klinik Revoke");
    let desk = SyncDesk::new();
    let enrolled = desk.enroll(&branch.url(), &code);
    desk.capture(1, 0, 21);
    desk.sync().unwrap();
    plkk_branch::admin::revoke_device(branch.database(), enrolled.device_id, Utc::now()).unwrap();
    desk.capture(1, 0, 22);
    let failure = desk.sync().expect_err("revoked");
    assert_eq!(failure.code(), "device_revoked", "{failure}");
    let status = desk.status();
    assert_eq!(status.last_error.unwrap().code, "device_revoked");
    assert_eq!(status.online, Some(true), "the branch answered");
    assert_eq!(status.confirmed, 1);
    assert_eq!(status.pending + status.sent, 1, "the new record is kept");
    assert_eq!(branch.counts().intakes, 1);
}

#[test]
fn enrolment_codes_are_single_use_expire_and_must_exist() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-ENR", "Klinik Enrol");
    let first = SyncDesk::new();
    let enrolled = first.enroll(&branch.url(), &code);
    assert_eq!(enrolled.clinic_name, "Klinik Enrol");
    assert_eq!(enrolled.clinic_code, "PLKK-ENR");

    let second = SyncDesk::new();
    let by_nurse = enroll_as(&second, &NURSE.actor(), &branch.url(), &code)
        .expect_err("only an administrator enrols the desk");
    assert!(
        matches!(
            by_nurse,
            plkk_sync::SyncError::Store(plkk_store::StoreError::Forbidden { .. })
        ) && by_nurse.to_string().contains("a nurse may not"),
        "{by_nurse}"
    );
    assert_eq!(
        enroll_error(&second, &branch.url(), &code).code(),
        "enrollment_code_used"
    );
    let expired = plkk_branch::admin::issue_enrollment_code(
        branch.database(),
        "PLKK-ENR",
        Utc::now() - chrono::Duration::hours(25),
    )
    .unwrap();
    assert_eq!(
        enroll_error(&second, &branch.url(), &expired).code(),
        "enrollment_code_expired"
    );
    assert_eq!(
        enroll_error(&second, &branch.url(), "ABCD-EFGH-JKLM").code(),
        "enrollment_code_unknown"
    );
    assert!(
        second.status().enrolled.is_none(),
        "a refused code enrols nothing"
    );
    assert_eq!(second.sync().unwrap_err().code(), "not_enrolled");
}

#[test]
fn a_desk_never_uses_plain_http_beyond_loopback() {
    let desk = SyncDesk::new();
    let started = std::time::Instant::now();
    let error = enroll_error(&desk, "http://10.20.30.40:8700", "ABCD-EFGH-JKLM");
    assert_eq!(error.code(), "insecure_url", "{error}");
    assert!(
        started.elapsed().as_secs() < 5,
        "refused before any connection attempt"
    );
    assert_eq!(
        enroll_error(&desk, "http://cabang.bpjs.example", "X").code(),
        "insecure_url"
    );
    assert!(plkk_sync::BranchAddress::parse("https://cabang.bpjs.example").is_ok());
}
