//! `plkk-branch migrate-store --from sqlite:DIR --to postgres://…` (issue 15): a SQLite branch
//! with cases, notes, a conflict, a status, an officer and desks' audit chains is copied into an
//! empty PostgreSQL database of the throwaway cluster (`common::postgres`), every table counted
//! and checksummed; a server on the copy answers the desks as the old one did (the feed goes on
//! from the cursor a desk holds, the inbox finds the case by name); a target with rows is
//! refused and keeps them. A case document travels too: its rows, and its content file copied to
//! the servers' data directory (`--documents-to`) where a download finds it whole. Always SQLite
//! to PostgreSQL, whatever `PLKK_TEST_BACKEND` says.

mod common;

use chrono::Utc;
use common::{correction_entry, intake_entry, note_entry, postgres, Branch};
use plkk_branch::admin::{self, InboxQuery};
use plkk_protocol::CaseStatus;
use sha2::Digest;
use uuid::Uuid;

fn migrate(
    from: &std::path::Path,
    to: &str,
    documents_to: &std::path::Path,
) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_plkk-branch"))
        .arg("migrate-store")
        .arg("--from")
        .arg(format!("sqlite:{}", from.display()))
        .args(["--to", to, "--json", "--documents-to"])
        .arg(documents_to)
        .env_remove("PLKK_BRANCH_DATABASE")
        .output()
        .unwrap()
}

fn document_entry(intake: Uuid, id: Uuid, content: &[u8]) -> serde_json::Value {
    let sha256: String = sha2::Sha256::digest(content)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    serde_json::json!({
        "entry_id": Uuid::now_v7(), "device_seq": 0, "kind": "document",
        "record_id": id, "intake_id": intake,
        "payload": {"id": id, "intake_id": intake, "kind": "police_report",
                    "media_type": "application/pdf", "sha256": sha256, "bytes": content.len(),
                    "original_bytes": content.len(), "author": "resepsionis",
                    "written_at": "2025-01-10T09:05:00+07:00"}
    })
}

#[tokio::test]
async fn a_sqlite_branch_moves_to_postgresql_whole_and_verified() {
    let branch = Branch::start_sqlite().await;
    let mut desk = branch.enrol("PLKK-A").await;
    let reader = branch.enrol("PLKK-A").await;
    let (case, document) = (Uuid::now_v7(), Uuid::now_v7());
    let content = b"%PDF-1.4\n laporan polisi".repeat(40);
    branch
        .push_ok(
            &mut desk,
            vec![
                intake_entry(case),
                note_entry(case),
                correction_entry(case, "employer_name", "", "PT Maju"),
                correction_entry(case, "employer_name", "", "PT Lain"),
                document_entry(case, document, &content),
            ],
        )
        .await;
    let sent = branch
        .client
        .put(branch.url(&format!("/documents/{document}/content?offset=0")))
        .bearer_auth(&desk.token)
        .header("content-type", "application/octet-stream")
        .body(content.clone())
        .send()
        .await
        .unwrap();
    assert!(sent.status().is_success(), "{:?}", sent.text().await);
    admin::set_case_status(
        branch.database(),
        case,
        CaseStatus::Eligible,
        None,
        None,
        Utc::now(),
    )
    .unwrap();
    let (before, cursor) = branch.pull_all(&reader, 0).await;
    let counts = branch.counts();
    // The old server stays up (and idle) so its data directory does too.
    let dir = branch.data_dir().to_owned();

    let url = postgres::fresh_database();
    let servers_dir = tempfile::tempdir().unwrap();
    let copied = migrate(&dir, &url, servers_dir.path());
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    let tables: serde_json::Value = serde_json::from_slice(&copied.stdout).unwrap();
    let rows = |table: &str| {
        tables
            .as_array()
            .unwrap()
            .iter()
            .find(|copied| copied["table"] == table)
            .unwrap_or_else(|| panic!("{table} copied"))["rows"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(rows("intakes"), counts.intakes);
    assert_eq!(rows("notes"), counts.notes);
    assert_eq!(rows("conflicts"), counts.conflicts);
    assert_eq!(rows("entries"), counts.entries);
    assert_eq!(rows("changes") as usize, before.len());
    assert!(
        rows("officer_audit") >= 1,
        "the status set is in the officers' log"
    );

    let on_postgres = plkk_branch::Database::choose(&dir, Some(&url)).unwrap();
    assert_eq!(admin::count_records(&on_postgres).unwrap(), counts);
    let inbox = admin::inbox(
        &on_postgres,
        &InboxQuery {
            q: Some("siti".into()),
            ..Default::default()
        },
        Utc::now(),
    )
    .unwrap();
    assert_eq!(
        inbox.rows.len(),
        1,
        "the name index was written for the copy"
    );
    assert_eq!(inbox.rows[0].status, "eligible");
    assert_eq!(rows("documents"), 1);
    assert_eq!(rows("document_contents"), 1);
    let (listed, held) =
        admin::download_document(&on_postgres, servers_dir.path(), document, Utc::now())
            .expect("the copied content is in the servers' data directory");
    assert_eq!((listed.id, listed.confirmed), (document, true));
    assert_eq!(held, content, "the content arrived whole");
    let chains = admin::verify_audit(&on_postgres, None).unwrap();
    assert_eq!(chains.len(), 2);

    // A server on the copy: the desk's cursor goes on, a new push gets the next receipt.
    let moved = Branch::start_on(&url).await;
    let later = moved
        .push_ok(&mut desk, vec![intake_entry(Uuid::now_v7())])
        .await;
    let receipt = later.receipts[0].receipt.expect("applied");
    assert!(
        receipt > counts.entries as i64,
        "receipts continue after the copied ones"
    );
    let (after, _) = moved.pull_all(&reader, cursor).await;
    assert_eq!(
        after.len(),
        2,
        "the new case's record and status, nothing again: {after:?}"
    );

    let again = migrate(&dir, &url, servers_dir.path());
    assert_eq!(
        again.status.code(),
        Some(2),
        "a non-empty target is refused"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    assert_eq!(
        admin::count_records(&on_postgres).unwrap().intakes,
        counts.intakes + 1,
        "and keeps what it holds"
    );
    moved.stop().await;
    branch.stop().await;
}
