//! The branch API over real HTTP: a server started in-process on 127.0.0.1:0 with a temporary
//! data directory, talked to with reqwest. No mocks.

mod common;

use chrono::{Duration, Utc};
use common::*;
use plkk_branch::{admin, Config};
use plkk_protocol::{CaseStatus, Enrollment, Outcome, PushResponse};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use uuid::Uuid;

#[tokio::test]
async fn health_answers_with_the_server_time() {
    let branch = Branch::start().await;
    let response = branch
        .client
        .get(branch.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().contains_key("date"),
        "the desk checks its clock against Date"
    );
    let health: plkk_protocol::Health = response.json().await.unwrap();
    assert_eq!(health.status, "ok");
    assert!((Utc::now() - health.server_time).num_seconds().abs() < 5);
    assert_eq!(
        health.max_body_bytes,
        Some(LIMIT as u64),
        "desks size their pushes to it"
    );
    assert_eq!(
        health.max_audit_lines,
        Some(2_000),
        "desks send up to this many audit lines with a push"
    );
    branch.stop().await;
}

/// A desk's audit chain of `length` entries, in the compact form a push carries.
fn audit_batch(length: i64) -> (Vec<plkk_domain::AuditEntry>, plkk_protocol::AuditBatch) {
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T08:00:00+07:00").unwrap();
    let mut entries: Vec<plkk_domain::AuditEntry> = Vec::new();
    for index in 0..length {
        let prev = entries.last().map(|entry| (entry.seq, entry.hash.as_str()));
        let actor = if index % 2 == 0 { "rina" } else { "sari" };
        entries.push(plkk_domain::AuditEntry::next(
            prev,
            at + Duration::minutes(index),
            actor,
            "add_note",
            Some("0193b0a2-0000-7000-8000-000000000001"),
            "{}",
        ));
    }
    let records: Vec<plkk_protocol::AuditRecord> = entries
        .iter()
        .map(|entry| plkk_protocol::AuditRecord {
            seq: entry.seq,
            at: entry.at,
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            subject: entry.subject.clone(),
            detail: entry.detail.clone(),
            prev_hash: entry.prev_hash.clone(),
            hash: entry.hash.clone(),
        })
        .collect();
    let batch = plkk_protocol::AuditBatch::pack(&records, |record| {
        plkk_domain::AuditEntry {
            seq: record.seq,
            at: record.at,
            actor: record.actor.clone(),
            action: record.action.clone(),
            subject: record.subject.clone(),
            detail: record.detail.clone(),
            prev_hash: record.prev_hash.clone(),
            hash: String::new(),
        }
        .computed_hash()
    })
    .unwrap();
    (entries, batch)
}

/// `body` as the desk's `POST /push`, as it is (the tests' own shapes, not a `PushRequest`).
async fn push_body(branch: &Branch, desk: &Desk, body: Value) -> reqwest::Response {
    branch
        .client
        .post(branch.url("/push"))
        .bearer_auth(&desk.token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn audit_entries_ride_with_a_push_compactly_and_are_held_as_sent_in_full() {
    let branch = Branch::start().await;
    let desk = branch.enrol("PLKK-AUD").await;
    let (entries, batch) = audit_batch(4);
    assert!(
        batch.lines.iter().all(|line| line.hash.is_none()),
        "a sound chain sends no hashes"
    );
    let post = |body: Value| push_body(&branch, &desk, body);
    let mut bad = batch.clone();
    bad.lines[2].actor = 9;
    let refused = post(json!({"entries": [], "audit": bad})).await;
    let body = error_body(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert_eq!(body.issues[0].field, "audit.lines[2].actor", "{body:?}");
    assert!(admin::list_audit(branch.database(), desk.device_id)
        .unwrap()
        .is_empty());

    let answered = post(json!({"entries": [], "audit": batch})).await;
    assert_eq!(answered.status(), StatusCode::OK);
    let answer: PushResponse = answered.json().await.unwrap();
    let audit = answer.audit.expect("an audit answer");
    assert_eq!((audit.acked_seq, audit.breaks.len()), (4, 0));
    let held = admin::list_audit(branch.database(), desk.device_id).unwrap();
    let hashes: Vec<&str> = held.iter().map(|entry| entry.hash.as_str()).collect();
    let sent: Vec<&str> = entries.iter().map(|entry| entry.hash.as_str()).collect();
    assert_eq!(
        hashes, sent,
        "the branch recomputed exactly the desk's hashes"
    );
    branch.stop().await;
}

#[tokio::test]
async fn a_push_carries_up_to_2000_audit_lines_and_one_more_is_refused_by_name() {
    let branch = Branch::start().await;
    let desk = branch.enrol("PLKK-AUD").await;
    let (_, batch) = audit_batch(2_001);
    let post = |body: Value| push_body(&branch, &desk, body);
    let refused = post(json!({"entries": [], "audit": batch})).await;
    let body = error_body(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert!(
        body.message.contains("audit.lines") && body.message.contains("2000"),
        "names the list and its limit: {body:?}"
    );
    assert!(admin::list_audit(branch.database(), desk.device_id)
        .unwrap()
        .is_empty());

    let mut whole = batch;
    whole.truncate(2_000);
    let answered = post(json!({"entries": [], "audit": whole})).await;
    assert_eq!(answered.status(), StatusCode::OK);
    let answer: PushResponse = answered.json().await.unwrap();
    let audit = answer.audit.expect("an audit answer");
    assert_eq!((audit.acked_seq, audit.breaks.len()), (2_000, 0));
    branch.stop().await;
}

#[tokio::test]
async fn enrolment_codes_work_once_within_24_hours() {
    let branch = Branch::start().await;
    let desk = branch.enrol("PLKK-A").await;
    assert_eq!(
        admin::list_devices(branch.database()).unwrap()[0].device_id,
        desk.device_id
    );

    let enrol = |code: String| {
        branch
            .client
            .post(branch.url("/enroll"))
            .json(&json!({"code": code, "device_name": "Meja 2"}))
            .send()
    };
    let unknown = enrol("ABCD-EFGH-JKLM".to_owned()).await.unwrap();
    error_body(unknown, StatusCode::NOT_FOUND, "enrollment_code_unknown").await;
    let malformed = enrol("hello".to_owned()).await.unwrap();
    error_body(malformed, StatusCode::BAD_REQUEST, "invalid_body").await;

    let old = admin::issue_enrollment_code(
        branch.database(),
        "PLKK-A",
        Utc::now() - Duration::hours(25),
    )
    .unwrap();
    let expired = enrol(old).await.unwrap();
    error_body(expired, StatusCode::GONE, "enrollment_code_expired").await;

    let code = admin::issue_enrollment_code(branch.database(), "PLKK-A", Utc::now()).unwrap();
    assert_eq!(
        enrol(code.to_lowercase()).await.unwrap().status(),
        StatusCode::OK,
        "codes are typed in any case"
    );
    let reused = enrol(code).await.unwrap();
    error_body(reused, StatusCode::GONE, "enrollment_code_used").await;
    assert_eq!(
        admin::list_devices(branch.database()).unwrap().len(),
        2,
        "failed enrolments make no device"
    );
    branch.stop().await;
}

#[tokio::test]
async fn a_repeated_entry_is_answered_with_its_first_receipt_and_stored_once() {
    let branch = Branch::start().await;
    let mut desk = branch.enrol("PLKK-A").await;
    let intake_id = Uuid::now_v7();
    let entry = intake_entry(intake_id);
    let first = branch.push_ok(&mut desk, vec![entry.clone()]).await;
    assert_eq!(
        first.receipts[0].outcome,
        Outcome::Applied,
        "{:?}",
        first.receipts[0]
    );
    let number = first.receipts[0]
        .receipt
        .expect("an applied entry has a receipt number");

    let again = branch.push_ok(&mut desk, vec![entry.clone(), entry]).await;
    for receipt in &again.receipts {
        assert_eq!(receipt.outcome, Outcome::Duplicate);
        assert_eq!(
            receipt.receipt,
            Some(number),
            "a repeat gets the first receipt"
        );
    }
    // The same record under a new entry id (a desk that lost its outbox ids) is no new case either.
    let same_record = intake_entry(intake_id);
    let resent = branch.push_ok(&mut desk, vec![same_record]).await;
    assert_eq!(resent.receipts[0].outcome, Outcome::Duplicate);
    let counts = branch.counts();
    assert_eq!(
        (counts.intakes, counts.entries),
        (1, 1),
        "nothing is stored twice"
    );
    let cases = admin::list_cases(branch.database(), "PLKK-A").unwrap();
    assert_eq!(cases[0]["status"], "received", "a new case is received");
    assert_eq!(cases[0]["full_name"], "Siti Aminah");
    branch.stop().await;
}

/// One push holding an intake, its note, the intake again (the same entry, and the same record
/// under a new entry id), a note correcting the first note and a correction of the intake: each
/// entry sees what the entries before it in the push stored, and the clinic's other desk reads
/// the records in the order they were pushed.
#[tokio::test]
async fn entries_of_one_push_see_what_the_push_stored_before_them() {
    let branch = Branch::start().await;
    let mut desk = branch.enrol("PLKK-A").await;
    let other = branch.enrol("PLKK-A").await;
    let intake_id = Uuid::now_v7();
    let intake = intake_entry(intake_id);
    let note = note_entry(intake_id);
    let mut correcting = note_entry(intake_id);
    correcting["payload"]["corrects"] = note["record_id"].clone();
    let correction = correction_entry(
        intake_id,
        "injury",
        "Luka robek telapak tangan kanan",
        "Luka robek jari telunjuk kanan",
    );
    let entries = vec![
        intake.clone(),
        note.clone(),
        intake.clone(),
        intake_entry(intake_id),
        correcting.clone(),
        correction.clone(),
    ];
    let answer = branch.push_ok(&mut desk, entries).await;
    let outcomes: Vec<Outcome> = answer.receipts.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Applied,
            Outcome::Applied,
            Outcome::Duplicate,
            Outcome::Duplicate,
            Outcome::Applied,
            Outcome::Applied
        ],
        "{:?}",
        answer.receipts
    );
    let number = answer.receipts[0].receipt;
    assert!(number.is_some());
    assert_eq!(
        answer.receipts[2].receipt, number,
        "a repeat gets the first receipt"
    );
    assert_eq!(
        answer.receipts[3].receipt, number,
        "so does the same record again"
    );
    let counts = branch.counts();
    assert_eq!(
        (
            counts.intakes,
            counts.notes,
            counts.corrections,
            counts.entries
        ),
        (1, 2, 1, 4),
        "nothing is stored twice"
    );
    let cases = admin::list_cases(branch.database(), "PLKK-A").unwrap();
    assert_eq!(cases[0]["injury"], "Luka robek jari telunjuk kanan");
    assert_eq!(cases[0]["notes"].as_array().map(Vec::len), Some(2));

    let (changes, _) = branch.pull_all(&other, 0).await;
    let records: Vec<String> = changes
        .iter()
        .filter_map(|change| match &change.body {
            plkk_protocol::ChangeBody::Record { entry, .. } => Some(entry.record_id.to_string()),
            _ => None,
        })
        .collect();
    let pushed: Vec<String> = [&intake, &note, &correcting, &correction]
        .iter()
        .map(|entry| entry["record_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        records, pushed,
        "the other desk reads the records in push order"
    );
    assert!(
        matches!(
            &changes[1].body,
            plkk_protocol::ChangeBody::CaseStatus {
                status: CaseStatus::Received,
                ..
            }
        ),
        "the case is received right after its intake: {:?}",
        changes[1]
    );
    branch.stop().await;
}

#[tokio::test]
async fn one_invalid_record_is_rejected_and_the_others_applied() {
    let branch = Branch::start().await;
    let mut desk = branch.enrol("PLKK-A").await;
    let (good, bad) = (Uuid::now_v7(), Uuid::now_v7());
    let mut bad_fields = intake_fields(bad);
    bad_fields["nik"] = json!("3216013501900001"); // day 35: neither a man's nor a woman's
    let orphan_note = note_entry(Uuid::now_v7());
    let response = branch
        .push_ok(
            &mut desk,
            vec![
                intake_entry(good),
                intake_entry_with(bad, bad_fields),
                note_entry(good),
                orphan_note,
            ],
        )
        .await;
    let outcomes: Vec<Outcome> = response.receipts.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Applied,
            Outcome::Rejected,
            Outcome::Applied,
            Outcome::Rejected
        ]
    );
    let rejected = &response.receipts[1];
    assert_eq!(rejected.receipt, None);
    assert!(
        rejected
            .issues
            .iter()
            .any(|i| i.field == "nik" && i.rule == "nik_day" && i.severity == "error"),
        "{:?}",
        rejected.issues
    );
    let orphan = &response.receipts[3];
    assert!(
        orphan
            .issues
            .iter()
            .any(|i| i.field == "intake_id" && i.rule == "not_found"),
        "{:?}",
        orphan.issues
    );
    let counts = branch.counts();
    assert_eq!((counts.intakes, counts.notes, counts.entries), (1, 1, 2));
    // Receipt numbers rise in the order entries are stored, within a push and from one push to
    // the next (PostgreSQL takes a push's numbers in one statement; a rejected entry leaves one
    // unused there).
    let (first, second) = (
        response.receipts[0].receipt.unwrap(),
        response.receipts[2].receipt.unwrap(),
    );
    assert!(first < second, "{first} then {second}");
    let later = branch
        .push_ok(&mut desk, vec![intake_entry(Uuid::now_v7())])
        .await;
    let third = later.receipts[0].receipt.unwrap();
    assert!(second < third, "{second} then {third}");
    branch.stop().await;
}

/// A note's warnings depend on its case's category (an ICD-10 code outside injuries is unusual
/// only for a work accident). The branch checks a note before it reads its case, assuming the
/// category of its case in the same push, else a work accident, and checks it again when the
/// case it reads is of another category: each note gets the warnings of its own case.
#[tokio::test]
async fn a_notes_warnings_follow_its_own_cases_category() {
    let branch = Branch::start().await;
    let mut desk = branch.enrol("PLKK-A").await;
    let intake = |category: &str| {
        let id = Uuid::now_v7();
        let mut fields = intake_fields(id);
        fields["case_category"] = json!(category);
        (id, intake_entry_with(id, fields))
    };
    let asthma = |case: Uuid| {
        let mut note = note_entry(case);
        note["payload"]["icd10"] = json!(["J45"]);
        note
    };
    let (commuting, commuting_entry) = intake("commuting_accident");
    let (work, work_entry) = intake("work_accident");
    branch
        .push_ok(&mut desk, vec![commuting_entry, work_entry])
        .await;
    let (later_commuting, later_commuting_entry) = intake("commuting_accident");
    let response = branch
        .push_ok(
            &mut desk,
            vec![
                asthma(commuting),
                asthma(work),
                later_commuting_entry,
                asthma(later_commuting),
            ],
        )
        .await;
    let chapter_warned: Vec<bool> = response
        .receipts
        .iter()
        .map(|receipt| {
            assert_eq!(receipt.outcome, Outcome::Applied, "{receipt:?}");
            receipt
                .issues
                .iter()
                .any(|issue| issue.field == "icd10" && issue.rule == "icd10_chapter")
        })
        .collect();
    assert_eq!(chapter_warned, [false, true, false, false]);
    branch.stop().await;
}

#[tokio::test]
async fn concurrent_corrections_of_one_field_become_a_conflict() {
    let branch = Branch::start().await;
    let mut first_desk = branch.enrol("PLKK-A").await;
    let mut second_desk = branch.enrol("PLKK-A").await;
    let intake_id = Uuid::now_v7();
    branch
        .push_ok(&mut first_desk, vec![intake_entry(intake_id)])
        .await;
    let before = "Luka robek telapak tangan kanan";
    let first = branch
        .push_ok(
            &mut first_desk,
            vec![correction_entry(
                intake_id,
                "injury",
                before,
                "Luka robek telapak tangan kiri",
            )],
        )
        .await;
    assert_eq!(
        first.receipts[0].outcome,
        Outcome::Applied,
        "{:?}",
        first.receipts[0]
    );
    let second_entry = correction_entry(intake_id, "injury", before, "Patah jari telunjuk kanan");
    let second = branch
        .push_ok(&mut second_desk, vec![second_entry.clone()])
        .await;
    let receipt = &second.receipts[0];
    assert_eq!(receipt.outcome, Outcome::Conflict);
    assert!(
        receipt.receipt.is_some(),
        "a conflict is kept, with a receipt number"
    );
    let conflict = &receipt.conflicts[0];
    assert_eq!(conflict.field, "injury");
    assert_eq!(conflict.base.as_deref(), Some(before));
    assert_eq!(
        conflict.branch.as_deref(),
        Some("Luka robek telapak tangan kiri")
    );
    assert_eq!(conflict.desk.as_deref(), Some("Patah jari telunjuk kanan"));
    let repeat = branch.push_ok(&mut second_desk, vec![second_entry]).await;
    assert_eq!(
        repeat.receipts[0].outcome,
        Outcome::Conflict,
        "a resent conflict stays a conflict"
    );
    assert_eq!(repeat.receipts[0].receipt, receipt.receipt);

    let cases = admin::list_cases(branch.database(), "PLKK-A").unwrap();
    assert_eq!(
        cases[0]["injury"], "Luka robek telapak tangan kiri",
        "the first correction stands"
    );
    assert_eq!(cases[0]["conflicts"].as_array().unwrap().len(), 1);
    let counts = branch.counts();
    assert_eq!((counts.corrections, counts.conflicts), (1, 1));
    branch.stop().await;
}

#[tokio::test]
async fn pull_follows_a_cursor_through_statuses_records_and_conflicts() {
    let branch = Branch::start().await;
    let mut mine = branch.enrol("PLKK-A").await;
    let mut other = branch.enrol("PLKK-A").await;
    let my_case = Uuid::now_v7();
    let their_case = Uuid::now_v7();
    branch.push_ok(&mut mine, vec![intake_entry(my_case)]).await;
    branch
        .push_ok(
            &mut other,
            vec![intake_entry(their_case), note_entry(their_case)],
        )
        .await;
    admin::set_case_status(
        branch.database(),
        my_case,
        CaseStatus::GuaranteeIssued,
        None,
        Some("SJ-001"),
        Utc::now(),
    )
    .unwrap();
    let before = "Luka robek telapak tangan kanan";
    branch
        .push_ok(
            &mut other,
            vec![correction_entry(my_case, "injury", before, "A")],
        )
        .await;
    branch
        .push_ok(
            &mut mine,
            vec![correction_entry(my_case, "injury", before, "B")],
        )
        .await;

    let (changes, cursor) = branch.pull_all(&mine, 0).await;
    let records: Vec<Uuid> = changes
        .iter()
        .filter_map(|change| match &change.body {
            plkk_protocol::ChangeBody::Record {
                origin_device,
                entry,
            } => {
                assert_ne!(
                    *origin_device, mine.device_id,
                    "a desk never gets its own records back"
                );
                Some(entry.record_id)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        records.len(),
        3,
        "the other desk's intake, note and correction: {records:?}"
    );
    assert!(records.contains(&their_case));
    assert!(changes.iter().any(|c| matches!(&c.body,
        plkk_protocol::ChangeBody::CaseStatus { status: CaseStatus::GuaranteeIssued, reference, .. }
        if c.intake_id == my_case && reference.as_deref() == Some("SJ-001"))));
    assert!(changes.iter().any(|c| matches!(&c.body,
        plkk_protocol::ChangeBody::Conflict { origin_device, .. } if *origin_device == mine.device_id)),
        "a desk's own conflict is shown to it");
    let seqs: Vec<i64> = changes.iter().map(|c| c.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "changes come in branch order"
    );

    // Paging: one at a time gives the same changes.
    let mut paged = Vec::new();
    let mut since = 0;
    loop {
        let page = branch.pull(&mine, since, 1).await;
        assert!(page.changes.len() <= 1);
        paged.extend(page.changes.iter().map(|c| c.seq));
        since = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(paged, seqs);
    assert_eq!(since, cursor);
    assert!(
        branch.pull(&mine, cursor, 500).await.changes.is_empty(),
        "nothing new after the cursor"
    );
    admin::set_case_status(
        branch.database(),
        my_case,
        CaseStatus::Eligible,
        Some("lengkap"),
        None,
        Utc::now(),
    )
    .unwrap();
    let fresh = branch.pull(&mine, cursor, 500).await;
    assert_eq!(fresh.changes.len(), 1);
    assert!(fresh.next_cursor > cursor);
    branch.stop().await;
}

#[tokio::test]
async fn a_device_never_reads_or_writes_another_clinics_cases() {
    let branch = Branch::start().await;
    let mut clinic_a = branch.enrol("PLKK-A").await;
    let mut clinic_b = branch.enrol("PLKK-B").await;
    let case_a = Uuid::now_v7();
    branch
        .push_ok(&mut clinic_a, vec![intake_entry(case_a)])
        .await;
    let before = branch.counts();

    let own_case = Uuid::now_v7();
    let response = branch
        .push(
            &mut clinic_b,
            vec![intake_entry(own_case), note_entry(case_a)],
        )
        .await;
    error_body(response, StatusCode::FORBIDDEN, "forbidden").await;
    let takeover = branch.push(&mut clinic_b, vec![intake_entry(case_a)]).await;
    error_body(takeover, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(
        branch.counts(),
        before,
        "nothing of a refused batch is stored"
    );

    admin::set_case_status(
        branch.database(),
        case_a,
        CaseStatus::Eligible,
        None,
        None,
        Utc::now(),
    )
    .unwrap();
    let (changes, _) = branch.pull_all(&clinic_b, 0).await;
    assert!(changes.is_empty(), "B sees nothing of A: {changes:?}");
    assert!(admin::list_cases(branch.database(), "PLKK-B")
        .unwrap()
        .is_empty());
    branch.stop().await;
}

#[tokio::test]
async fn revoked_or_missing_tokens_are_refused() {
    let branch = Branch::start().await;
    let mut desk = branch.enrol("PLKK-A").await;
    let no_token = branch
        .client
        .get(branch.url("/changes"))
        .send()
        .await
        .unwrap();
    error_body(no_token, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let wrong = branch
        .client
        .get(branch.url("/changes"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    error_body(wrong, StatusCode::UNAUTHORIZED, "unauthorized").await;

    admin::revoke_device(branch.database(), desk.device_id, Utc::now()).unwrap();
    let response = branch
        .push(&mut desk, vec![intake_entry(Uuid::now_v7())])
        .await;
    error_body(response, StatusCode::UNAUTHORIZED, "device_revoked").await;
    let pull = branch
        .client
        .get(branch.url("/changes"))
        .bearer_auth(&desk.token)
        .send()
        .await
        .unwrap();
    error_body(pull, StatusCode::UNAUTHORIZED, "device_revoked").await;
    assert_eq!(branch.counts().entries, 0);
    assert!(admin::list_devices(branch.database()).unwrap()[0]
        .revoked_at
        .is_some());
    branch.stop().await;
}

#[tokio::test]
async fn bad_bodies_get_a_json_reason_and_harm_nothing() {
    let branch = Branch::start().await;
    let mut desk = branch.enrol("PLKK-A").await;
    branch
        .push_ok(&mut desk, vec![intake_entry(Uuid::now_v7())])
        .await;
    let before = branch.counts();
    let send = |body: Vec<u8>, gzipped: bool| {
        let mut request = branch
            .client
            .post(branch.url("/push"))
            .bearer_auth(&desk.token)
            .header("content-type", "application/json");
        if gzipped {
            request = request.header("content-encoding", "gzip");
        }
        request.body(body).send()
    };

    let malformed = send(b"{\"entries\": [".to_vec(), false).await.unwrap();
    error_body(malformed, StatusCode::BAD_REQUEST, "malformed_json").await;

    let mut wrong_type = intake_entry(Uuid::now_v7());
    wrong_type["device_seq"] = json!("seven");
    let body = serde_json::to_vec(&json!({"entries": [wrong_type]})).unwrap();
    let wrong = error_body(
        send(body, false).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    assert!(
        wrong.message.contains("entries[0].device_seq"),
        "{}",
        wrong.message
    );

    let mut unknown_field = intake_entry(Uuid::now_v7());
    unknown_field["colour"] = json!("blue");
    let body = serde_json::to_vec(&json!({"entries": [unknown_field]})).unwrap();
    let unknown = error_body(
        send(body, false).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    assert!(unknown.message.contains("colour"), "{}", unknown.message);

    let oversized = format!(
        "{{\"entries\": [], \"pad\": \"{}\"}}",
        "x".repeat(LIMIT + 10)
    );
    let too_large = send(oversized.into_bytes(), false).await.unwrap();
    error_body(too_large, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;

    // A gzip bomb: small on the wire, over the limit once decompressed.
    let bomb = gzip(
        format!(
            "{{\"entries\": [], \"pad\": \"{}\"}}",
            " ".repeat(LIMIT * 8)
        )
        .as_bytes(),
    );
    assert!(bomb.len() < LIMIT / 8);
    let exploded = send(bomb, true).await.unwrap();
    error_body(exploded, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;

    let broken_gzip = send(b"not gzip at all".to_vec(), true).await.unwrap();
    assert!(broken_gzip.status().is_client_error());

    assert_eq!(branch.counts(), before, "stored data unchanged");
    let health = branch
        .client
        .get(branch.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK, "the server keeps running");
    let missing = branch
        .client
        .get(branch.url("/nowhere"))
        .send()
        .await
        .unwrap();
    error_body(missing, StatusCode::NOT_FOUND, "not_found").await;
    branch.stop().await;
}

#[tokio::test]
async fn gzip_works_both_ways() {
    let branch = Branch::start().await;
    let desk = branch.enrol("PLKK-A").await;
    let body = serde_json::to_vec(&json!({"entries": [intake_entry(Uuid::now_v7())]})).unwrap();
    let plain_client = reqwest::Client::builder().no_gzip().build().unwrap();
    let response = plain_client
        .post(branch.url("/push"))
        .bearer_auth(&desk.token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .header("accept-encoding", "gzip")
        .body(gzip(&body))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let compressed = response.bytes().await.unwrap();
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&compressed[..]),
        &mut decoded,
    )
    .unwrap();
    let answer: PushResponse = serde_json::from_slice(&decoded).unwrap();
    assert_eq!(answer.receipts[0].outcome, Outcome::Applied);
    branch.stop().await;
}

#[tokio::test]
async fn the_openapi_document_lists_the_routes() {
    let branch = Branch::start().await;
    let response = branch
        .client
        .get(branch.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with('3'));
    for route in [
        "/api/v1/health",
        "/api/v1/enroll",
        "/api/v1/push",
        "/api/v1/changes",
        "/api/v1/audit",
        "/api/v1/openapi.json",
    ] {
        assert!(
            document["paths"].get(route).is_some(),
            "{route} is documented"
        );
    }
    assert!(document["components"]["schemas"].get("PushEntry").is_some());
    assert!(document["components"]["schemas"]
        .get("AuditPushRequest")
        .is_some());
    branch.stop().await;
}

#[tokio::test]
async fn tls_is_required_beyond_loopback() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let refused = plkk_branch::serve(listener, Config::for_data_dir(dir.path()), async {}).await;
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("TLS"), "{message}");
}

fn cli(store: &[std::ffi::OsString], args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_plkk-branch"))
        .args(store)
        .args(args)
        .env_remove("PLKK_BRANCH_DATA_DIR")
        .output()
        .unwrap()
}

fn stdout(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[tokio::test]
async fn the_admin_commands_work_as_a_process() {
    let branch = Branch::start().await;
    let store = branch.store_args();
    let dir = store.as_slice();
    stdout(&cli(
        dir,
        &[
            "clinic",
            "add",
            "--code",
            "PLKK-C",
            "--name",
            "Klinik Cibitung",
        ],
    ));
    let printed = stdout(&cli(dir, &["enroll-code", "--clinic", "PLKK-C"]));
    let code = printed.lines().last().unwrap().trim().to_owned();
    let enrolled = branch
        .client
        .post(branch.url("/enroll"))
        .json(&json!({"code": code, "device_name": "Meja CLI"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        enrolled.status(),
        StatusCode::OK,
        "the printed code enrols a desk"
    );
    let enrollment: Enrollment = enrolled.json().await.unwrap();
    let mut desk = Desk {
        device_id: enrollment.device_id,
        token: enrollment.token,
        next_seq: 0,
    };
    let case_id = Uuid::now_v7();
    branch
        .push_ok(&mut desk, vec![intake_entry(case_id), note_entry(case_id)])
        .await;

    stdout(&cli(
        dir,
        &[
            "case",
            "status",
            &case_id.to_string(),
            "guarantee_issued",
            "--reference",
            "SJ-9",
        ],
    ));
    let cases: Vec<Value> = serde_json::from_str(&stdout(&cli(
        dir,
        &["case", "list", "--clinic", "PLKK-C", "--json"],
    )))
    .unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["id"], case_id.to_string());
    assert_eq!(cases[0]["status"], "guarantee_issued");
    assert_eq!(cases[0]["status_reference"], "SJ-9");
    assert_eq!(cases[0]["notes"].as_array().unwrap().len(), 1);

    let devices: Vec<Value> =
        serde_json::from_str(&stdout(&cli(dir, &["device", "list", "--json"]))).unwrap();
    assert_eq!(devices[0]["device_id"], desk.device_id.to_string());
    assert!(stdout(&cli(dir, &["device", "list"])).contains("Meja CLI"));
    stdout(&cli(
        dir,
        &["device", "revoke", &desk.device_id.to_string()],
    ));
    let revoked = branch.push(&mut desk, vec![note_entry(case_id)]).await;
    error_body(revoked, StatusCode::UNAUTHORIZED, "device_revoked").await;

    for bad in [
        vec!["case", "status", case_id.to_string().as_str(), "approved"]
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>(),
        vec![
            "case".into(),
            "status".into(),
            "not-a-uuid".into(),
            "eligible".into(),
        ],
        vec!["enroll-code".into(), "--clinic".into(), "NOPE".into()],
        vec!["device".into(), "revoke".into(), Uuid::now_v7().to_string()],
        vec![
            "clinic".into(),
            "add".into(),
            "--code".into(),
            "PLKK-C".into(),
            "--name".into(),
            "lagi".into(),
        ],
        vec!["frobnicate".into()],
    ] {
        let args: Vec<&str> = bad.iter().map(String::as_str).collect();
        let output = cli(dir, &args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.stderr.is_empty(), "{args:?} names the problem");
    }
    branch.stop().await;
}

#[tokio::test]
async fn serves_https_with_a_certificate_and_key_from_pem_files() {
    let dir = tempfile::tempdir().unwrap();
    let identity = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, identity.cert.pem()).unwrap();
    std::fs::write(&key_path, identity.key_pair.serialize_pem()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut config = Config::for_data_dir(&dir.path().join("data"));
    config.set_tls(Some(cert_path), Some(key_path));
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(plkk_branch::serve(listener, config, async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(identity.cert.pem().as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let mut answered = None;
    for _ in 0..100 {
        if let Ok(response) = client
            .get(format!("https://localhost:{port}/api/v1/health"))
            .send()
            .await
        {
            answered = Some(response);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let response = answered.expect("the branch answers over TLS");
    assert_eq!(response.status(), StatusCode::OK);
    let plain = reqwest::get(format!("http://localhost:{port}/api/v1/health")).await;
    assert!(
        plain.is_err() || !plain.unwrap().status().is_success(),
        "no plain HTTP on a TLS port"
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
