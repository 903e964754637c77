//! A desk for the sync tests: a real data directory with a store, records admitted through the
//! same store calls the app uses, enrolment and sync through `plkk-sync`.

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use plkk_store::{DeskAccess, Store};
use serde_json::Value;

use crate::samples::{self, Seeded};

/// A set-up desk (see `accounts::set_up_desk`) and the key its signed-in app would hold.
#[derive(Debug)]
pub struct SyncDesk {
    dir: tempfile::TempDir,
    access: DeskAccess,
}

impl Default for SyncDesk {
    fn default() -> Self {
        SyncDesk::new()
    }
}

impl SyncDesk {
    pub fn new() -> SyncDesk {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let access = crate::accounts::set_up_desk(dir.path()).access;
        SyncDesk { dir, access }
    }

    /// The data directory with its key, as a signed-in app hands it to the sync.
    pub fn access(&self) -> &DeskAccess {
        &self.access
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Opens the desk's store (a fresh connection each time, as a restarted app would).
    pub fn store(&self) -> Store {
        self.access.open().expect("the desk store opens")
    }

    /// Admits `intakes` synthetic intakes with `notes_each` notes each; returns the intake ids.
    pub fn capture(&self, intakes: u64, notes_each: usize, seed: u64) -> Vec<String> {
        let mut store = self.store();
        let mut random = Seeded::new(seed);
        let mut ids = Vec::new();
        for index in 0..intakes {
            let intake = object(samples::synthetic_intake(
                &mut random,
                seed * 1_000_000 + index,
            ));
            let receptionist = crate::accounts::RECEPTIONIST.actor();
            let nurse = crate::accounts::NURSE.actor();
            let id = plkk_store::admit_intake(&mut store, &receptionist, &intake, now())
                .expect("a valid intake")
                .id
                .to_string();
            for _ in 0..notes_each {
                plkk_store::add_note(&mut store, &nurse, &id, &object(samples::note()), now())
                    .expect("a valid note");
            }
            ids.push(id);
        }
        ids
    }

    /// Admits one intake (as the receptionist); returns its id.
    pub fn admit(&self, intake: Value) -> String {
        plkk_store::admit_intake(
            &mut self.store(),
            &crate::accounts::RECEPTIONIST.actor(),
            &object(intake),
            now(),
        )
        .expect("a valid intake")
        .id
        .to_string()
    }

    pub fn enroll(&self, branch_url: &str, code: &str) -> plkk_sync::Enrolled {
        self.enroll_trusting(branch_url, code, None)
    }

    /// Enrols trusting `ca_cert_pem` (the branch's own CA) besides the system's roots.
    pub fn enroll_trusting(
        &self,
        branch_url: &str,
        code: &str,
        ca_cert_pem: Option<String>,
    ) -> plkk_sync::Enrolled {
        block_on(plkk_sync::enroll(
            &self.access,
            &crate::accounts::ADMIN.actor(),
            plkk_sync::EnrollOptions {
                branch_url: branch_url.to_owned(),
                code: code.to_owned(),
                device_name: "Meja depan".to_owned(),
                ca_cert_pem,
            },
        ))
        .expect("enrolment succeeds")
    }

    pub fn sync(&self) -> Result<plkk_sync::SyncSummary, plkk_sync::SyncError> {
        block_on(plkk_sync::sync_once(&self.access))
    }

    pub fn status(&self) -> plkk_sync::SyncStatus {
        plkk_sync::sync_status(&self.store()).expect("sync status")
    }

    /// Outbox entries in the desk (every record written here has one).
    pub fn entries(&self) -> u64 {
        self.store()
            .connection()
            .query_row("SELECT count(*) FROM outbox", [], |row| row.get(0))
            .expect("count")
    }

    /// How many rows of `table` the desk has.
    pub fn count(&self, table: &str) -> u64 {
        self.store()
            .connection()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .expect("count")
    }
}

/// Runs a future on a fresh current-thread runtime (each sync is like one `plkk sync`).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

pub fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

pub fn object(value: Value) -> plkk_domain::JsonObject {
    value.as_object().cloned().expect("a JSON object")
}
