//! The branch for the API tests: served in-process on 127.0.0.1:0 with a temporary data
//! directory, talked to with reqwest over real HTTP, and the entries a desk would push. With
//! `PLKK_TEST_BACKEND=postgres` the branch keeps its data in a fresh database of a throwaway
//! PostgreSQL cluster instead (the helper `tests/src/postgres.rs`, shared with the workspace's
//! test package).
#![allow(dead_code)]

#[path = "../../../../tests/src/postgres.rs"]
pub mod postgres;

use std::io::Write;
use std::path::Path;

use chrono::Utc;
use plkk_branch::{admin, Config};
use plkk_protocol::{Changes, Enrollment, ErrorBody, PushResponse};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use uuid::Uuid;

/// Body limit of the test servers: small, so oversized bodies are cheap to make.
pub const LIMIT: usize = 256 * 1024;

pub struct Branch {
    dir: tempfile::TempDir,
    database: Option<String>,
    pub base: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), plkk_branch::BranchError>>>,
}

impl Branch {
    /// A branch on the backend of this run (`PLKK_TEST_BACKEND`).
    pub async fn start() -> Branch {
        let database = postgres::backend_is_postgres().then(postgres::fresh_database);
        Branch::start_with(database).await
    }

    /// A branch on SQLite whatever the run's backend.
    pub async fn start_sqlite() -> Branch {
        Branch::start_with(None).await
    }

    /// A branch on the PostgreSQL database at `url`.
    pub async fn start_on(url: &str) -> Branch {
        Branch::start_with(Some(url.to_owned())).await
    }

    async fn start_with(database: Option<String>) -> Branch {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
        let mut config = Config::for_data_dir(dir.path());
        config.max_body_bytes = LIMIT;
        config.database = database.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(plkk_branch::serve(listener, config, async move {
            let _ = stopped.await;
        }));
        let branch = Branch {
            dir,
            database,
            base,
            client: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
        };
        // serve opens the database before accepting; wait until it answers.
        for _ in 0..100 {
            if branch
                .client
                .get(branch.url("/health"))
                .send()
                .await
                .is_ok()
            {
                return branch;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the branch did not start");
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Where this branch keeps its data, for the administration calls.
    pub fn database(&self) -> plkk_branch::Database {
        plkk_branch::Database::choose(self.dir.path(), self.database.as_deref()).unwrap()
    }

    /// The `plkk-branch` arguments naming this branch's store.
    pub fn store_args(&self) -> Vec<std::ffi::OsString> {
        match &self.database {
            Some(url) => vec!["--database".into(), url.into()],
            None => vec!["--data-dir".into(), self.dir.path().into()],
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = self.task.take().unwrap().await.unwrap();
        result.expect("the server stops cleanly");
    }

    /// Adds the clinic if needed and enrols a new device of it.
    pub async fn enrol(&self, clinic: &str) -> Desk {
        let _ = admin::add_clinic(self.database(), clinic, &format!("Klinik {clinic}"));
        let code = admin::issue_enrollment_code(self.database(), clinic, Utc::now()).unwrap();
        let response = self
            .client
            .post(self.url("/enroll"))
            .json(&json!({"code": code, "device_name": "Meja depan"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let enrollment: Enrollment = response.json().await.unwrap();
        assert_eq!(enrollment.clinic_code, clinic);
        Desk {
            device_id: enrollment.device_id,
            token: enrollment.token,
            next_seq: 0,
        }
    }

    pub async fn push(&self, desk: &mut Desk, entries: Vec<Value>) -> reqwest::Response {
        let entries: Vec<Value> = entries
            .into_iter()
            .map(|mut entry| {
                desk.next_seq += 1;
                entry["device_seq"] = json!(desk.next_seq);
                entry
            })
            .collect();
        self.client
            .post(self.url("/push"))
            .bearer_auth(&desk.token)
            .json(&json!({ "entries": entries }))
            .send()
            .await
            .unwrap()
    }

    pub async fn push_ok(&self, desk: &mut Desk, entries: Vec<Value>) -> PushResponse {
        let response = self.push(desk, entries).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn pull(&self, desk: &Desk, since: i64, limit: u32) -> Changes {
        let response = self
            .client
            .get(self.url(&format!("/changes?since={since}&limit={limit}")))
            .bearer_auth(&desk.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Pulls everything from `since` following the cursor.
    pub async fn pull_all(&self, desk: &Desk, since: i64) -> (Vec<plkk_protocol::Change>, i64) {
        let mut cursor = since;
        let mut changes = Vec::new();
        loop {
            let page = self.pull(desk, cursor, 500).await;
            changes.extend(page.changes);
            cursor = page.next_cursor;
            if !page.has_more {
                return (changes, cursor);
            }
        }
    }

    pub fn counts(&self) -> admin::RecordCounts {
        admin::count_records(self.database()).unwrap()
    }
}

impl Drop for Branch {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub struct Desk {
    pub device_id: Uuid,
    pub token: String,
    pub next_seq: i64,
}

pub fn intake_fields(id: Uuid) -> Value {
    json!({
        "id": id.to_string(),
        "nik": "3216014501900001",
        "full_name": "Siti Aminah",
        "sex": "female",
        "birth_date": "1990-01-05",
        "segment": "BPU",
        "accident_at": "2025-01-10T08:00:00+07:00",
        "admitted_at": "2025-01-10T09:00:00+07:00",
        "case_category": "work_accident",
        "place_type": "workplace",
        "accident_location": "Pasar Induk Cibitung",
        "chronology": "Tergelincir di lantai basah saat mengangkat karung beras",
        "injury": "Luka robek telapak tangan kanan",
        "contact_name": "Budi Santoso",
        "contact_phone": "081234567890",
        "consent": "patient"
    })
}

pub fn intake_entry(id: Uuid) -> Value {
    intake_entry_with(id, intake_fields(id))
}

pub fn intake_entry_with(id: Uuid, fields: Value) -> Value {
    json!({
        "entry_id": Uuid::now_v7(), "device_seq": 0, "kind": "intake",
        "record_id": id, "intake_id": id,
        "payload": {"intake": fields, "author": "resepsionis", "written_at": "2025-01-10T09:01:00+07:00"}
    })
}

pub fn note_entry(intake_id: Uuid) -> Value {
    let id = Uuid::now_v7();
    json!({
        "entry_id": Uuid::now_v7(), "device_seq": 0, "kind": "note",
        "record_id": id, "intake_id": intake_id,
        "payload": {"id": id, "intake_id": intake_id, "written_at": "2025-01-10T09:30:00+07:00",
                    "author": "perawat", "text": "Luka dibersihkan dan dijahit tiga jahitan", "pulse": "88"}
    })
}

pub fn correction_entry(intake_id: Uuid, field: &str, from: &str, to: &str) -> Value {
    let id = Uuid::now_v7();
    json!({
        "entry_id": Uuid::now_v7(), "device_seq": 0, "kind": "intake_correction",
        "record_id": id, "intake_id": intake_id,
        "payload": {"id": id, "intake_id": intake_id, "revision": 1,
                    "changes": [{"field": field, "from": from, "to": to}],
                    "reason": "salah ketik", "author": "resepsionis", "written_at": "2025-01-10T10:00:00+07:00"}
    })
}

pub async fn error_body(response: reqwest::Response, status: StatusCode, code: &str) -> ErrorBody {
    assert_eq!(response.status(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error, code, "{body:?}");
    body
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}
