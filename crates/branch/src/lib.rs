//! The BPJS Ketenagakerjaan branch server of PLKK Desk. Desks enrol with a one-time code, push
//! their outbox entries (each applied at most once, answered with a receipt) and pull what changed
//! for their clinic. The server is a library: [`serve`] runs it on a listener the caller bound, so
//! tests start it in-process; [`admin`] holds the administration the `plkk-branch` binary exposes,
//! usable on the same data directory while the server runs.
//!
//! Each desk's audit log (a hash chain) is stored per device (module `audit`): exactly once by
//! (device, seq), links checked as entries arrive, breaks recorded for `plkk-branch audit verify`.
//!
//! The console (module `console`) is a web application for branch officers served by the same
//! router at `/`: server-rendered pages over the same library functions the administration
//! commands use (`cases`, `clinics`, `inbox`, `reports`, `officers`), officer accounts and
//! sessions (`officers`, `sessions`) separate from device tokens, and the officers' audit log
//! (`officer_audit`).
//!
//! Case documents (module `documents`, issue 13): metadata pushed as entries, contents uploaded
//! in chunks and kept as files named by their SHA-256 in the data directory.
//!
//! BPU registrations (module `bpu`, issue 11) are their own tables and queries: pushed like any
//! entry, decided by officers, reported per clinic.
//!
//! The database is SQLite in the data directory or PostgreSQL ([`Database`]); every module
//! reaches it through one seam, `sql::Db`, and never knows which it has.
//!
//! Invariants: every record is validated with `plkk-domain` before it is stored; a push batch is
//! one database transaction committed before its answer is written; a device only ever reads and
//! writes its own clinic's records; only hashes of tokens and enrolment codes are stored.

pub mod admin;
mod audit;
pub mod bpu;
mod care;
mod cases;
mod changes;
mod checkpoint;
mod clinics;
mod config;
mod connections;
mod console;
mod db;
pub mod documents;
mod enroll;
mod error;
mod http;
mod inbox;
pub mod letters;
mod migrate;
mod migrate_store;
mod officer_audit;
mod officers;
mod push;
mod reports;
mod secrets;
mod server;
mod sessions;
mod sql;

pub use clinics::SyncReport;
pub use config::{Config, ConfigFile, TlsFiles, DEFAULT_LISTEN};
pub use connections::{connection_cap, open_file_limit, RESERVED_FILES};
pub use db::{Database, DATABASE_FILE_NAME};
pub use error::BranchError;
pub use http::{openapi_document, router, ApiDoc, ApiError, AppState};
pub use reports::to_csv as report_csv;
pub use secrets::{hash_secret, normalize_enrollment_code};
pub use server::serve;
