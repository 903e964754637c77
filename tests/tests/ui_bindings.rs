//! The window's TypeScript types are generated from the Rust types it receives (ts-rs), into the
//! checked-in `ui/src/lib/bindings/`, which `ui/src/lib/api.ts` imports. This test generates them
//! afresh and fails on any difference, so a renamed or retyped field cannot drift from the UI: run
//! `PLKK_UPDATE_BINDINGS=1 cargo test -p plkk-tests --test ui_bindings` to write them, then fix
//! what `npm run check` finds in the UI.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ts_rs::{Config, TS};

/// Writes every answer type (and the types they use) into `dir`.
fn export(dir: &Path) {
    // serde_json writes u64 and i64 as JSON numbers: `number`, not `bigint`.
    let config = Config::new().with_out_dir(dir).with_large_int("number");
    let results = [
        plkk_store::SessionInfo::export_all(&config),
        plkk_store::SetUp::export_all(&config),
        plkk_store::Account::export_all(&config),
        plkk_store::AuditReport::export_all(&config),
        plkk_store::Saved::export_all(&config),
        plkk_store::CaseListItem::export_all(&config),
        plkk_store::CaseDetail::export_all(&config),
        plkk_store::ConflictView::export_all(&config),
        plkk_store::EmployerOffer::export_all(&config),
        plkk_store::ReturningPatient::export_all(&config),
        plkk_store::Draft::export_all(&config),
        plkk_store::QuarantinedEntry::export_all(&config),
        plkk_store::ExportDone::export_all(&config),
        plkk_store::BackupState::export_all(&config),
        plkk_store::BackupDone::export_all(&config),
        plkk_store::PatientReportDone::export_all(&config),
        plkk_store::LetterDone::export_all(&config),
        plkk_store::SyncState::export_all(&config),
        plkk_domain::AuditEntry::export_all(&config),
        plkk_domain::NikFacts::export_all(&config),
        plkk_domain::Icd10Entry::export_all(&config),
        plkk_domain::Issue::export_all(&config),
        plkk_domain::Role::export_all(&config),
        plkk_sync::SyncStatus::export_all(&config),
        plkk_sync::SyncSummary::export_all(&config),
        plkk_sync::Enrolled::export_all(&config),
        plkk_store::BpuView::export_all(&config),
        plkk_store::BpuCheck::export_all(&config),
        plkk_store::KnownParticipant::export_all(&config),
        plkk_store::DocumentView::export_all(&config),
        plkk_store::DocumentData::export_all(&config),
    ];
    for result in results {
        result.expect("export a type");
    }
}

fn checked_in() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings")
}

/// Every file under `dir` (by its path relative to `dir`) with its text.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                found.insert(name, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    found
}

#[test]
fn the_windows_types_are_the_rust_types() {
    let dir = checked_in();
    if std::env::var("PLKK_UPDATE_BINDINGS").as_deref() == Ok("1") {
        let _ = std::fs::remove_dir_all(&dir);
        export(&dir);
    }
    let fresh = tempfile::tempdir().unwrap();
    export(fresh.path());
    let (expected, found) = (files(fresh.path()), files(&dir));
    let differ: Vec<&String> = expected
        .keys()
        .chain(found.keys())
        .filter(|name| expected.get(*name) != found.get(*name))
        .collect();
    assert!(
        differ.is_empty(),
        "ui/src/lib/bindings differs from the Rust types in {differ:?}: run \
         PLKK_UPDATE_BINDINGS=1 cargo test -p plkk-tests --test ui_bindings, then npm run check"
    );
}
