//! `plkk-branch --data-dir DIR status` and `backup` as processes on a branch that desks use:
//! exit 0 when healthy, 10 naming a device silent for more than a day or a desk's broken audit
//! chain; a backup taken while the server runs is a consistent database and shows as the last.

use std::path::Path;
use std::process::{Command, Output};

use plkk_tests::bins::{fast_clock, workspace_binary};
use plkk_tests::branch::TestBranch;
use plkk_tests::sync_desk::SyncDesk;
use serde_json::Value;

/// `plkk-branch` on the branch of `data_dir`: its PostgreSQL database too when the tests run there.
fn branch_admin(data_dir: &Path, clock: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(workspace_binary("plkk-branch"));
    command.arg("--data-dir").arg(data_dir);
    if let Some(url) = plkk_tests::branch::database_for(data_dir) {
        command.arg("--database").arg(url);
    }
    command.args(args);
    if let Some(offset) = clock {
        command.envs(fast_clock(offset));
    }
    command.output().expect("plkk-branch runs")
}

/// The exit, the report and stderr of `plkk-branch status --json`; the exit as it would be
/// without this machine's own almost full disk (see [`codes`]).
fn status(data_dir: &Path, clock: Option<&str>) -> (i32, Value, String) {
    let out = branch_admin(data_dir, clock, &["status", "--json"]);
    let value: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&out.stderr)));
    let exit = plkk_tests::disk::exit_besides_this_disk(
        &value,
        plkk_branch::admin::DISK_FREE_MIN_PERCENT,
        out.status.code().unwrap(),
    );
    (
        exit,
        value,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The report's problem codes; the machine's own almost full disk is named, and left out of
/// what the tests judge.
fn codes(value: &Value) -> Vec<String> {
    let codes = value["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|problem| problem["code"].as_str().unwrap().to_owned())
        .collect();
    plkk_tests::disk::codes_besides_this_disk(
        value,
        plkk_branch::admin::DISK_FREE_MIN_PERCENT,
        codes,
    )
}

#[test]
fn status_names_silent_devices_and_the_last_backup() {
    let branch = TestBranch::start();
    let enrolment = branch.clinic_with_code("PLKK-ST", "Klinik Status");
    let desk = SyncDesk::new();
    let device = desk.enroll(&branch.url(), &enrolment).device_id;
    desk.capture(3, 1, 71);
    desk.sync().unwrap();

    let (exit, value, stderr) = status(branch.data_dir(), None);
    assert_eq!(exit, 0, "{stderr}");
    assert_eq!(value["active_devices"], 1);
    assert_eq!(value["clinics"], 1);
    assert!(value["database_bytes"].as_u64().unwrap() > 0);
    assert!(value["last_backup"].is_null());
    assert!(codes(&value).is_empty());

    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("branch-copy.sqlite3");
    let out = branch_admin(
        branch.data_dir(),
        None,
        &["backup", "--output", file.to_str().unwrap()],
    );
    if plkk_tests::postgres::backend_is_postgres() {
        // A PostgreSQL branch is backed up with PostgreSQL's own tools: the command says so.
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert!(said.contains("pg_dump"), "{said}");
        assert!(!file.exists(), "nothing written");
    } else {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let copy = rusqlite::Connection::open(&file).unwrap();
        let intakes: u64 = copy
            .query_row("SELECT count(*) FROM intakes", [], |row| row.get(0))
            .unwrap();
        assert_eq!(intakes, 3, "the copy holds what the branch held");
        let again = branch_admin(
            branch.data_dir(),
            None,
            &["backup", "--output", file.to_str().unwrap()],
        );
        assert_eq!(
            again.status.code(),
            Some(2),
            "an existing file is never overwritten"
        );
        let (_, value, _) = status(branch.data_dir(), None);
        assert!(value["last_backup"]["file"]
            .as_str()
            .unwrap()
            .ends_with("branch-copy.sqlite3"));
    }

    // A day and an hour on, the desk has not been heard from.
    let (exit, value, stderr) = status(branch.data_dir(), Some("+25h"));
    assert_eq!(exit, 10, "{stderr}");
    assert_eq!(codes(&value), ["device_silent"]);
    assert_eq!(value["silent_devices"][0]["device_id"], device.to_string());
    assert!(
        stderr.contains(&device.to_string()) && stderr.contains("[device_silent]"),
        "{stderr}"
    );
}

#[test]
fn status_names_a_desk_whose_audit_chain_arrived_broken() {
    let branch = TestBranch::start();
    let enrolment = branch.clinic_with_code("PLKK-AU", "Klinik Audit");
    let desk = SyncDesk::new();
    desk.enroll(&branch.url(), &enrolment);
    desk.capture(1, 0, 72);
    desk.store()
        .connection()
        .execute_batch(
            "DROP TRIGGER audit_log_no_update;
             UPDATE audit_log SET actor = 'orang-lain' WHERE seq = 2;",
        )
        .unwrap();
    desk.sync().unwrap();
    let (exit, value, stderr) = status(branch.data_dir(), None);
    assert_eq!(exit, 10, "{stderr}");
    assert_eq!(codes(&value), ["audit_chain_broken"]);
    assert_eq!(value["audit_breaks"][0]["seq"], 2);
}

#[test]
fn an_administration_listing_piped_into_a_reader_that_stops_early_ends_quietly() {
    let data = tempfile::tempdir().unwrap();
    let added = branch_admin(
        data.path(),
        None,
        &[
            "clinic",
            "add",
            "--code",
            "PLKK-1",
            "--name",
            "Klinik Sehat",
        ],
    );
    assert!(added.status.success(), "{added:?}");
    let mut command = Command::new(workspace_binary("plkk-branch"));
    command.arg("--data-dir").arg(data.path());
    if let Some(url) = plkk_tests::branch::database_for(data.path()) {
        command.arg("--database").arg(url);
    }
    command.args(["clinic", "list", "--json"]);
    let output = plkk_tests::bins::run_with_stdout_closed(command);
    plkk_tests::bins::assert_ended_quietly(&output, "`plkk-branch clinic list --json | head`");
}
