//! Issue 8, item 11 at the branch, over real HTTP: every text of every entry kind, audit entry,
//! enrolment and administrative input is held to its length in `plkk_domain::limits` and nothing
//! over it is stored; a pull page is bounded in bytes as well as rows.

mod common;

use chrono::Utc;
use common::*;
use plkk_branch::admin;
use plkk_protocol::{CaseStatus, Changes, Outcome};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

/// What a hostile request must not change: every table's count, every case as the branch holds
/// it, and the audit entries of the device.
fn snapshot(
    branch: &Branch,
    clinic: &str,
    device: Uuid,
) -> (admin::RecordCounts, Vec<Value>, usize) {
    (
        branch.counts(),
        admin::list_cases(branch.database(), clinic).unwrap(),
        admin::list_audit(branch.database(), device).unwrap().len(),
    )
}

/// The one issue of a rejected receipt, as "field rule max".
fn refusal(receipt: &plkk_protocol::Receipt) -> String {
    assert_eq!(receipt.outcome, Outcome::Rejected, "{receipt:?}");
    receipt
        .issues
        .iter()
        .filter(|issue| issue.severity == "error")
        .map(|issue| {
            let bound = issue.params.get("max").map_or("", String::as_str);
            format!("{} {} {bound}", issue.field, issue.rule)
                .trim()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn every_entry_kind_holds_its_text_to_its_length_and_stores_nothing_over_it() {
    let branch = Branch::start().await;
    let mut desk = branch.enrol("PLKK-A").await;
    let case = Uuid::now_v7();
    let mut fields = intake_fields(case);
    fields["employer_npp"] = json!("9".repeat(20)); // at the limit: accepted (with a warning)
    fields["contact_phone"] = json!("0812 - 3456 - 7890"); // 18 characters, 12 digits
    let first = branch
        .push_ok(
            &mut desk,
            vec![intake_entry_with(case, fields), note_entry(case)],
        )
        .await;
    assert!(
        first.receipts.iter().all(|r| r.outcome == Outcome::Applied),
        "{first:?}"
    );
    let before = snapshot(&branch, "PLKK-A", desk.device_id);

    let huge = "x".repeat(40_000);
    let other = Uuid::now_v7();
    let mut npp = intake_fields(other);
    npp["employer_npp"] = json!("9".repeat(21));
    let mut megabyte_npp = intake_entry(Uuid::now_v7());
    megabyte_npp["payload"]["intake"]["employer_npp"] = json!("9".repeat(40_000));
    megabyte_npp["payload"]["intake"]["id"] = megabyte_npp["record_id"].clone();
    let mut intake_author = intake_entry(Uuid::now_v7());
    intake_author["payload"]["author"] = json!("r".repeat(33));
    let mut note_author = note_entry(case);
    note_author["payload"]["author"] = json!(huge);
    let mut note_text = note_entry(case);
    note_text["payload"]["text"] = json!("t".repeat(4001));
    let mut reason = correction_entry(case, "phone", "081234567890", "081311112222");
    reason["payload"]["reason"] = json!("r".repeat(501));
    let mut correction_author = correction_entry(case, "phone", "081234567890", "081311112222");
    correction_author["payload"]["author"] = json!(huge);
    // `from` no longer matches: a conflict, which used to be stored whatever it held.
    let conflicting_from = correction_entry(case, "injury", &huge, "Luka bakar");
    let conflicting_to = correction_entry(case, "nik", "3216014501900099", "3216");
    let answer = branch
        .push_ok(
            &mut desk,
            vec![
                intake_entry_with(other, npp),
                megabyte_npp,
                intake_author,
                note_author,
                note_text,
                reason,
                correction_author,
                conflicting_from,
                conflicting_to,
            ],
        )
        .await;
    let refusals: Vec<String> = answer.receipts.iter().map(refusal).collect();
    assert_eq!(
        refusals,
        [
            "employer_npp too_long 20",
            "employer_npp too_long 20",
            "author too_long 32",
            "author too_long 32",
            "text too_long 4000",
            "reason too_long 500",
            "author too_long 32",
            "changes[0].from too_long 200",
            "nik nik_format",
        ]
    );
    let too_many_changes = {
        let mut entry = correction_entry(case, "phone", "081234567890", "081311112222");
        let change = entry["payload"]["changes"][0].clone();
        entry["payload"]["changes"] = json!(vec![change; 24]);
        entry
    };
    let refused = branch.push(&mut desk, vec![too_many_changes]).await;
    let body = error_body(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert!(
        body.message.contains("entries[0].payload.changes"),
        "{}",
        body.message
    );
    assert!(body.message.contains("at most 23"), "{}", body.message);
    assert_eq!(
        snapshot(&branch, "PLKK-A", desk.device_id),
        before,
        "nothing was stored"
    );
    branch.stop().await;
}

#[tokio::test]
async fn audit_entries_enrolment_and_administration_hold_their_text_to_its_length() {
    let branch = Branch::start().await;
    let desk = branch.enrol("PLKK-A").await;
    let case = Uuid::now_v7();
    let mut pusher = branch.enrol("PLKK-C").await;
    branch.push_ok(&mut pusher, vec![intake_entry(case)]).await;
    let before = snapshot(&branch, "PLKK-A", desk.device_id);
    let cases_before = admin::list_cases(branch.database(), "PLKK-C").unwrap();
    for (field, value, max) in [
        ("actor", "a".repeat(65), 64),
        ("action", "a".repeat(41), 40),
        ("subject", "s".repeat(201), 200),
        ("detail", format!("\"{}\"", "d".repeat(4000)), 4000),
    ] {
        let mut entry = plkk_domain::AuditEntry::next(
            None,
            "2026-11-24T09:00:00+07:00".parse().unwrap(),
            "resepsionis",
            "admit",
            None,
            "{}",
        );
        match field {
            "actor" => entry.actor = value,
            "action" => entry.action = value,
            "subject" => entry.subject = Some(value),
            _ => entry.detail = value,
        }
        entry.hash = entry.computed_hash();
        let response = branch
            .client
            .post(branch.url("/audit"))
            .bearer_auth(&desk.token)
            .json(&json!({"entries": [entry]}))
            .send()
            .await
            .unwrap();
        let body = error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
        let issue = &body.issues[0];
        assert_eq!(
            (
                issue.field.as_str(),
                issue.rule.as_str(),
                issue.params["max"].as_str()
            ),
            (
                format!("entries[0].{field}").as_str(),
                "too_long",
                max.to_string().as_str()
            )
        );
    }
    let code = admin::issue_enrollment_code(branch.database(), "PLKK-A", Utc::now()).unwrap();
    let long_name = branch
        .client
        .post(branch.url("/enroll"))
        .json(&json!({"code": code, "device_name": "m".repeat(101)}))
        .send()
        .await
        .unwrap();
    let body = error_body(long_name, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert!(
        body.message.contains("at most 100 characters"),
        "{}",
        body.message
    );
    let long_code = branch
        .client
        .post(branch.url("/enroll"))
        .json(&json!({"code": "K".repeat(100_000), "device_name": "Meja"}))
        .send()
        .await
        .unwrap();
    let body = error_body(long_code, StatusCode::BAD_REQUEST, "invalid_body").await;
    assert!(
        body.message.len() < 200,
        "the code is not repeated: {}",
        body.message
    );
    let refused = admin::add_clinic(branch.database(), "PLKK-B", &"n".repeat(201)).unwrap_err();
    assert!(refused.to_string().contains("at most 200"), "{refused}");
    let status = |reason: &str, reference: &str| {
        admin::set_case_status(
            branch.database(),
            case,
            CaseStatus::NotEligible,
            Some(reason),
            Some(reference),
            Utc::now(),
        )
    };
    assert!(status(&"r".repeat(501), "SJ-1").is_err());
    assert!(status("Bukan kecelakaan kerja", &"S".repeat(101)).is_err());
    assert_eq!(
        snapshot(&branch, "PLKK-A", desk.device_id),
        before,
        "no audit entry, device or case changed"
    );
    assert_eq!(
        admin::list_cases(branch.database(), "PLKK-C").unwrap(),
        cases_before
    );
    assert_eq!(admin::list_devices(branch.database()).unwrap().len(), 2);
    branch.stop().await;
}

#[tokio::test]
async fn a_pull_page_is_bounded_in_bytes_as_well_as_rows() {
    let branch = Branch::start().await;
    let mut pusher = branch.enrol("PLKK-A").await;
    let puller = branch.enrol("PLKK-A").await;
    let chronology = format!("Tergelincir di lantai basah. {}", "x".repeat(3960));
    let mut ids = Vec::new();
    for _ in 0..8 {
        let entries = (0..40)
            .map(|_| {
                let id = Uuid::now_v7();
                ids.push(id);
                let mut fields = intake_fields(id);
                fields["chronology"] = json!(chronology);
                intake_entry_with(id, fields)
            })
            .collect();
        let answer = branch.push_ok(&mut pusher, entries).await;
        assert!(answer
            .receipts
            .iter()
            .all(|r| r.outcome == Outcome::Applied));
    }
    let mut cursor = 0;
    let mut records = Vec::new();
    let mut pages = 0;
    loop {
        let response = branch
            .client
            .get(branch.url(&format!("/changes?since={cursor}&limit=1000")))
            .bearer_auth(&puller.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.bytes().await.unwrap();
        assert!(
            bytes.len() <= plkk_protocol::MAX_CHANGES_PAGE_BYTES,
            "a page of {} bytes",
            bytes.len()
        );
        let page: Changes = serde_json::from_slice(&bytes).unwrap();
        pages += 1;
        for change in &page.changes {
            if let plkk_protocol::ChangeBody::Record { entry, .. } = &change.body {
                records.push(entry.record_id);
            }
        }
        cursor = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    assert!(pages >= 2, "320 intakes of 4 KB take more than one page");
    assert_eq!(records, ids, "every intake arrives once, in order");
    for query in ["since=0&limit=1001", "since=0&limit=0", "since=-1&limit=10"] {
        let response = branch
            .client
            .get(branch.url(&format!("/changes?{query}")))
            .bearer_auth(&puller.token)
            .send()
            .await
            .unwrap();
        let body = error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
        assert_eq!(body.issues[0].rule, "out_of_range", "{query}");
    }
    branch.stop().await;
}
