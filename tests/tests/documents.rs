//! Case documents on the desk (issue 13) on a real encrypted data directory: attaching, listing,
//! opening and removing through the store calls the window uses and through `plkk document` as
//! a process; the refusals (unknown kind, type not accepted, content that is not what the name
//! says, over 10,000,000 bytes, an unknown case); the roles per kind; append-only removal; one
//! stored copy per content; every act audited; `plkk status --json` counting what waits.

use plkk_store::{DocumentSyncState, Store, StoreError};
use plkk_tests::accounts::{self, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::sync_desk::{now, SyncDesk};
use plkk_tests::{bins, documents, samples};
use serde_json::Value;

fn count(store: &Store, sql: &str) -> i64 {
    store
        .connection()
        .query_row(sql, [], |row| row.get(0))
        .unwrap()
}

fn refusal(error: StoreError) -> (String, String) {
    let issues = error.issues();
    assert_eq!(issues.len(), 1, "one issue: {issues:?}");
    (issues[0].field.clone(), issues[0].rule.clone())
}

#[test]
fn attach_list_open_and_remove_append_only_with_one_copy_per_content_and_an_audit_trail() {
    let desk = SyncDesk::new();
    let case = desk.admit(samples::intake());
    let mut store = desk.store();
    let receptionist = RECEPTIONIST.actor();
    let photo = documents::photo(2400, 1800, 16, 90, 7);
    let ktp = plkk_store::attach_document(
        &mut store,
        &receptionist,
        &case,
        "ktp",
        Some("KTP.jpg"),
        &photo,
        now(),
    )
    .unwrap();
    assert_eq!(ktp.kind.as_str(), "ktp");
    assert_eq!(ktp.original_bytes, photo.len() as u64);
    assert!(
        ktp.bytes < ktp.original_bytes,
        "downscaled: {} of {}",
        ktp.bytes,
        ktp.original_bytes
    );
    assert_eq!(ktp.sync_state, DocumentSyncState::Pending);
    assert_eq!(ktp.file_name.as_deref(), Some("KTP.jpg"));
    // The same scan attached again (another kind): a second document, one stored copy.
    let again = plkk_store::attach_document(
        &mut store,
        &receptionist,
        &case,
        "other",
        None,
        &photo,
        now(),
    )
    .unwrap();
    assert_eq!(again.sha256, ktp.sha256);
    assert_eq!(count(&store, "SELECT count(*) FROM document_blobs"), 1);

    let listed = plkk_store::list_documents(&store, &NURSE.actor(), &case).unwrap();
    assert_eq!(
        listed.iter().map(|d| d.id).collect::<Vec<_>>(),
        [ktp.id, again.id]
    );
    let opened =
        plkk_store::open_document(&store, &NURSE.actor(), &ktp.id.to_string(), now()).unwrap();
    assert_eq!(
        plkk_domain::sha256_hex(&opened.content),
        ktp.sha256,
        "the bytes named by the SHA-256"
    );
    let data =
        plkk_store::document_data_url(&store, &NURSE.actor(), &ktp.id.to_string(), now()).unwrap();
    assert!(
        data.data_url.starts_with("data:image/jpeg;base64,/9j/"),
        "{}",
        &data.data_url[..40]
    );

    let removed = plkk_store::remove_document(
        &mut store,
        &receptionist,
        &again.id.to_string(),
        "  salah unggah ",
        now(),
    )
    .unwrap();
    let removal = removed.removed.expect("marked removed");
    assert_eq!(
        (removal.reason.as_str(), removal.author.as_str()),
        ("salah unggah", RECEPTIONIST.username)
    );
    let twice = plkk_store::remove_document(
        &mut store,
        &receptionist,
        &again.id.to_string(),
        "lagi",
        now(),
    );
    assert_eq!(
        refusal(twice.unwrap_err()),
        ("id".into(), "already_removed".into())
    );
    let no_reason =
        plkk_store::remove_document(&mut store, &receptionist, &ktp.id.to_string(), " ", now());
    assert_eq!(
        refusal(no_reason.unwrap_err()),
        ("reason".into(), "required".into())
    );
    assert_eq!(
        plkk_store::list_documents(&store, &receptionist, &case)
            .unwrap()
            .len(),
        2,
        "a removed document stays in the history"
    );
    for statement in [
        "UPDATE documents SET kind = 'receipt'",
        "DELETE FROM documents",
        "DELETE FROM document_removals",
        "UPDATE document_blobs SET content = x'00'",
    ] {
        assert!(
            store.connection().execute(statement, []).is_err(),
            "{statement} is refused"
        );
    }
    let kinds: Vec<String> = store
        .connection()
        .prepare("SELECT kind FROM outbox WHERE intake_id = ?1 ORDER BY seq")
        .unwrap()
        .query_map([&case], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        kinds,
        ["intake", "document", "document", "document_removal"]
    );
    let acts: Vec<String> = store
        .connection()
        .prepare("SELECT action FROM audit_log WHERE action LIKE '%document' ORDER BY seq")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        acts,
        [
            "attach_document",
            "attach_document",
            "open_document",
            "open_document",
            "remove_document"
        ]
    );
}

#[test]
fn refusals_name_the_field_and_rule_and_store_nothing() {
    let desk = SyncDesk::new();
    let case = desk.admit(samples::intake());
    let mut store = desk.store();
    let actor = RECEPTIONIST.actor();
    let jpeg = documents::photo(64, 48, 8, 80, 1);
    let mut attach = |kind: &str, name: Option<&str>, bytes: &[u8], case: &str| {
        plkk_store::attach_document(&mut store, &actor, case, kind, name, bytes, now())
            .map(|_| ())
            .map_err(refusal)
    };
    let refused = |field: &str, rule: &str| -> Result<(), (String, String)> {
        Err((field.to_owned(), rule.to_owned()))
    };
    assert_eq!(
        attach("passport", None, &jpeg, &case),
        refused("kind", "document_kind_unknown")
    );
    assert_eq!(
        attach("ktp", Some("ktp.png"), &jpeg, &case),
        refused("file", "document_type_mismatch")
    );
    assert_eq!(
        attach("ktp", Some("ktp.gif"), b"GIF89a", &case),
        refused("file", "document_type_unsupported")
    );
    assert_eq!(
        attach("ktp", None, b"PK\x03\x04 a docx", &case),
        refused("file", "document_type_unsupported")
    );
    let over = documents::pdf(10_000_001, 2);
    assert_eq!(
        attach("police_report", Some("lp.pdf"), &over, &case),
        refused("file", "document_too_large")
    );
    let unknown_case = "019ab5d2-7c00-7000-8000-000000000001";
    assert_eq!(
        attach("ktp", None, &jpeg, unknown_case),
        refused("intake_id", "not_found")
    );
    assert_eq!(count(&store, "SELECT count(*) FROM documents"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM document_blobs"), 0);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM outbox WHERE kind = 'document'"
        ),
        0
    );
}

#[test]
fn nurses_attach_only_doctors_certificates_and_other_and_everyone_views() {
    let desk = SyncDesk::new();
    let case = desk.admit(samples::intake());
    let mut store = desk.store();
    let pdf = documents::pdf(2_000, 3);
    let nurse = NURSE.actor();
    let certificate = plkk_store::attach_document(
        &mut store,
        &nurse,
        &case,
        "doctor_certificate_3bkk3",
        Some("3b.pdf"),
        &pdf,
        now(),
    )
    .unwrap();
    let ktp = plkk_store::attach_document(&mut store, &nurse, &case, "ktp", None, &pdf, now());
    assert!(matches!(ktp, Err(StoreError::Forbidden { .. })), "{ktp:?}");
    let admin = plkk_store::attach_document(
        &mut store,
        &ADMIN.actor(),
        &case,
        "receipt",
        None,
        &pdf,
        now(),
    );
    assert!(admin.is_ok());
    // A nurse may not remove a KTP a receptionist attached, but removes her own kind.
    let receipt = admin.unwrap();
    let removal =
        plkk_store::remove_document(&mut store, &nurse, &receipt.id.to_string(), "x", now());
    assert!(
        matches!(removal, Err(StoreError::Forbidden { .. })),
        "{removal:?}"
    );
    plkk_store::remove_document(
        &mut store,
        &nurse,
        &certificate.id.to_string(),
        "salah pasien",
        now(),
    )
    .unwrap();
    assert_eq!(
        plkk_store::list_documents(&store, &nurse, &case)
            .unwrap()
            .len(),
        2
    );
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn plkk_document_add_list_get_and_status_as_processes() {
    let dir = tempfile::tempdir().unwrap();
    accounts::set_up_desk(dir.path());
    let case = bins::run_plkk(
        dir.path(),
        &["intake", "add"],
        &samples::intake().to_string(),
    );
    assert!(
        case.status.success(),
        "{}",
        String::from_utf8_lossy(&case.stderr)
    );
    let case = stdout(&case).lines().last().unwrap().trim().to_owned();
    let files = tempfile::tempdir().unwrap();
    let scan = files.path().join("laporan polisi.pdf");
    let pdf = documents::pdf(300_000, 4);
    std::fs::write(&scan, &pdf).unwrap();

    let added = bins::run_plkk(
        dir.path(),
        &[
            "document",
            "add",
            &case,
            "--kind",
            "police_report",
            "--file",
            scan.to_str().unwrap(),
        ],
        "",
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let id = stdout(&added).lines().last().unwrap().trim().to_owned();

    let listed = bins::run_plkk(dir.path(), &["document", "list", &case, "--json"], "");
    let listed: Value = serde_json::from_str(&stdout(&listed)).unwrap();
    let first = &listed[0];
    assert_eq!(first["id"], id.as_str());
    assert_eq!(first["kind"], "police_report");
    assert_eq!(first["sha256"], plkk_domain::sha256_hex(&pdf).as_str());
    assert_eq!(
        (first["bytes"].as_u64(), first["original_bytes"].as_u64()),
        (Some(300_000), Some(300_000))
    );
    assert_eq!(first["sync_state"], "pending");

    let copy = files.path().join("copy.pdf");
    let got = bins::run_plkk(
        dir.path(),
        &["document", "get", &id, "--output", copy.to_str().unwrap()],
        "",
    );
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(std::fs::read(&copy).unwrap(), pdf);

    // A JPEG named .pdf: exit 2, the reason named, nothing added.
    let fake = files.path().join("surat.pdf");
    std::fs::write(&fake, documents::photo(32, 32, 4, 80, 5)).unwrap();
    let refused = bins::run_plkk(
        dir.path(),
        &[
            "document",
            "add",
            &case,
            "--kind",
            "other",
            "--file",
            fake.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("document_type_mismatch"), "{said}");
    // A nurse may not attach a KTP (exit 8, the role refusal).
    let nurse = bins::run_plkk_as(
        dir.path(),
        NURSE,
        &[
            "document",
            "add",
            &case,
            "--kind",
            "ktp",
            "--file",
            scan.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(
        nurse.status.code(),
        Some(8),
        "{}",
        String::from_utf8_lossy(&nurse.stderr)
    );

    let status = bins::run_plkk(dir.path(), &["status", "--json"], "");
    let status: Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(status["documents_waiting"], 1);
    assert_eq!(status["document_bytes_waiting"], 300_000);
}

#[test]
fn a_restore_that_would_lose_a_document_is_refused_naming_it() {
    let desk = SyncDesk::new();
    let case = desk.admit(samples::intake());
    let file = desk.data_dir().join("before-the-ktp.tar");
    plkk_store::backup(&desk.store(), &ADMIN.actor(), &file, now()).unwrap();
    let ktp = plkk_store::attach_document(
        &mut desk.store(),
        &RECEPTIONIST.actor(),
        &case,
        "ktp",
        None,
        &documents::pdf(5_000, 6),
        now(),
    )
    .unwrap();
    let refused = plkk_store::restore(
        desk.data_dir(),
        &file,
        ADMIN.username,
        ADMIN.password,
        now(),
    )
    .expect_err("the backup lacks the KTP");
    let said = refused.to_string();
    assert!(
        said.contains("1 document (") && said.contains(&ktp.id.to_string()),
        "{said}"
    );
    assert_eq!(
        plkk_store::list_documents(&desk.store(), &RECEPTIONIST.actor(), &case)
            .unwrap()
            .len(),
        1,
        "nothing was changed"
    );
}
