//! Backups and restores on real data directories, with `plkk` as a process and a real branch:
//! a backup taken while another process writes is consistent and restores on a fresh machine,
//! where an account of the backup signs in; an older backup restored after newer records reached
//! the branch loses nothing and doubles nothing (the records come back through the pull); a desk
//! holding records a backup lacks is never overwritten; damaged or tampered backups are refused.

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use plkk_store::DeskAccess;
use plkk_tests::accounts::{ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::bins::run_plkk_as;
use plkk_tests::branch::TestBranch;
use plkk_tests::samples::{self, Seeded};
use plkk_tests::sync_desk::{block_on, now, object, SyncDesk};
use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

/// `plkk backup --output FILE` as the administrator; asserts it succeeded.
fn backup(desk: &Path, file: &Path) {
    let out = run_plkk_as(
        desk,
        ADMIN,
        &["backup", "--output", file.to_str().unwrap()],
        "",
    );
    assert_eq!(code(&out), 0, "backup: {}", text(&out.stderr));
}

fn restore(desk: &Path, file: &Path, as_staff: plkk_tests::accounts::Staff) -> Output {
    run_plkk_as(desk, as_staff, &["restore", file.to_str().unwrap()], "")
}

fn count(store: &plkk_store::Store, table: &str) -> u64 {
    store
        .connection()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
}

#[test]
fn a_backup_taken_while_another_process_writes_restores_on_a_fresh_machine() {
    let desk = SyncDesk::new();
    desk.capture(3, 1, 1);
    let before = desk.count("intakes");
    // Another process (this test, on its own connection) admits cases the whole time.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let writing = Arc::clone(&writing);
        let access = desk.access().clone();
        std::thread::spawn(move || {
            let mut store = access.open().unwrap();
            let mut random = Seeded::new(7);
            let actor = RECEPTIONIST.actor();
            let mut written = 0u64;
            while writing.load(Ordering::SeqCst) || written == 0 {
                let intake = object(samples::synthetic_intake(&mut random, 500 + written));
                plkk_store::admit_intake(&mut store, &actor, &intake, now()).unwrap();
                written += 1;
                // A desk writes between a person's keystrokes or the sync's round trips, never
                // back to back: with no gap at all, SQLite's lock (not fair: a waiter polls on
                // its own schedule) let this loop starve the backup's one write past its 5 s
                // busy timeout once on a loaded CI machine.
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            written
        })
    };
    let file = desk.data_dir().join("../backup-while-writing.tar");
    let _ = std::fs::remove_file(&file);
    backup(desk.data_dir(), &file);
    writing.store(false, Ordering::SeqCst);
    let written = writer.join().unwrap();
    let after = desk.count("intakes");
    assert!(written > 0 && after == before + written);

    let manifest = plkk_store::read_manifest(&file).unwrap();
    assert!(
        (before..=after).contains(&manifest.records.intakes),
        "the copy is the desk at one moment: {} intakes, between {before} and {after}",
        manifest.records.intakes
    );
    assert_eq!(manifest.records.notes, 3);

    // A fresh machine: an empty data directory; the nurse's password of the backup opens it.
    let fresh = tempfile::tempdir().unwrap();
    let machine = fresh.path().join("PLKK Desk");
    let out = restore(&machine, &file, NURSE);
    assert_eq!(code(&out), 0, "restore: {}", text(&out.stderr));
    let listed = run_plkk_as(
        &machine,
        NURSE,
        &["intake", "list", "--all", "--json", "--limit", "1000000"],
        "",
    );
    assert_eq!(code(&listed), 0, "{}", text(&listed.stderr));
    let cases: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(
        cases.as_array().unwrap().len() as u64,
        manifest.records.intakes,
        "every case of the backup is there"
    );
    let verified = run_plkk_as(&machine, ADMIN, &["audit", "verify"], "");
    assert_eq!(code(&verified), 0, "{}", text(&verified.stderr));
    let audit = run_plkk_as(&machine, ADMIN, &["audit", "list", "--json"], "");
    let entries: Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert!(
        entries
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["action"] == "restore" && entry["actor"] == "ani"),
        "the restore is in the audit log, by who did it"
    );
    let _ = std::fs::remove_file(&file);
}

/// Signs in on a restored data directory and answers what the app would hand the sync.
fn signed_in(data_dir: &Path) -> DeskAccess {
    ADMIN.sign_in(data_dir).access
}

fn sync(access: &DeskAccess) -> plkk_sync::SyncSummary {
    block_on(plkk_sync::sync_once(access)).expect("the sync succeeds")
}

#[test]
fn an_older_backup_restored_after_newer_records_reached_the_branch_loses_nothing() {
    let branch = TestBranch::start();
    let enrolment_code = branch.clinic_with_code("PLKK-BAK", "Klinik Cadangan");
    let desk = SyncDesk::new();
    desk.enroll(&branch.url(), &enrolment_code);
    let early = desk.capture(2, 1, 21);
    desk.sync().unwrap();
    // One case waits in the queue when the backup is taken; the branch confirms it later.
    let queued = desk.capture(1, 0, 22);
    let file = desk.data_dir().join("../older.tar");
    let _ = std::fs::remove_file(&file);
    let made = plkk_store::backup(&desk.store(), &ADMIN.actor(), &file, now()).unwrap();
    assert_eq!(made.manifest.records.intakes, 3);
    // After the backup: two more cases and a correction, all confirmed by the branch.
    let later = desk.capture(2, 1, 23);
    plkk_store::correct_intake(
        &mut desk.store(),
        &RECEPTIONIST.actor(),
        &early[0],
        &object(serde_json::json!({ "phone": "081311112222" })),
        "Nomor telepon salah ketik",
        now(),
    )
    .unwrap();
    let summary = desk.sync().unwrap();
    assert_eq!(summary.pending, 0);
    let at_branch = branch.counts();
    assert_eq!((at_branch.intakes, at_branch.corrections), (5, 1));
    let old_device = desk.status().enrolled.unwrap().device_id;

    // The desk's computer dies; the older backup is restored on a new one.
    let fresh = tempfile::tempdir().unwrap();
    let done =
        plkk_store::restore(fresh.path(), &file, ADMIN.username, ADMIN.password, now()).unwrap();
    assert!(done.replaces_device && done.kept_aside.is_none());
    let access = signed_in(fresh.path());
    let restored = sync(&access);
    assert_eq!(restored.pending, 0, "every queued record is confirmed");
    assert_eq!(restored.quarantined + restored.in_conflict, 0);

    let store = access.open().unwrap();
    let local_entries = count(&store, "audit_log") as i64;
    assert_eq!(count(&store, "intakes"), 5, "the newer cases came back");
    assert_eq!(count(&store, "intake_corrections"), 1);
    assert_eq!(count(&store, "notes"), 4);
    for id in early.iter().chain(&queued).chain(&later) {
        plkk_store::show_case(&store, &NURSE.actor(), id, now())
            .unwrap_or_else(|error| panic!("case {id} is on the restored desk: {error}"));
    }
    let corrected = plkk_store::show_case(&store, &NURSE.actor(), &early[0], now()).unwrap();
    assert_eq!(corrected.intake.phone.as_deref(), Some("081311112222"));
    let after = branch.counts();
    assert_eq!(
        (after.intakes, after.corrections, after.notes, after.entries),
        (
            at_branch.intakes,
            at_branch.corrections,
            at_branch.notes,
            at_branch.entries
        ),
        "the resent record was recognised: nothing doubled at the branch"
    );

    // The restored desk has a new identity; the old one is revoked and its chain still sound.
    let new_device = plkk_sync::sync_status(&store)
        .unwrap()
        .enrolled
        .unwrap()
        .device_id;
    assert_ne!(new_device, old_device);
    let devices = plkk_branch::admin::list_devices(branch.database()).unwrap();
    let old = devices.iter().find(|d| d.device_id == old_device).unwrap();
    assert!(old.revoked_at.is_some(), "the old identity is revoked");
    let chains = plkk_branch::admin::verify_audit(branch.database(), None).unwrap();
    assert!(
        chains.iter().all(|chain| chain.is_sound()),
        "no false break after the restore: {chains:#?}"
    );
    let new_chain = chains.iter().find(|c| c.device_id == new_device).unwrap();
    assert_eq!(
        new_chain.acked_seq, local_entries,
        "the whole chain was sent again under the new identity"
    );

    // Work goes on: a new case reaches the branch once.
    drop(store);
    let mut store = access.open().unwrap();
    let intake = object(samples::intake_with(
        serde_json::json!({ "nik": "3216055708900011" }),
    ));
    plkk_store::admit_intake(&mut store, &RECEPTIONIST.actor(), &intake, now()).unwrap();
    assert_eq!(sync(&access).pending, 0);
    assert_eq!(branch.counts().intakes, 6);
    // The old identity's token is refused from now on.
    assert_eq!(
        desk.sync().unwrap_err().code(),
        "device_revoked",
        "the dead desk's copy could not go on as the same device"
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_desk_holding_records_the_backup_lacks_is_not_overwritten() {
    let desk = SyncDesk::new();
    desk.capture(1, 0, 31);
    let file = desk.data_dir().join("../lacking.tar");
    let _ = std::fs::remove_file(&file);
    backup(desk.data_dir(), &file);
    let newer = desk.capture(1, 1, 32);
    let database = desk.data_dir().join(plkk_store::DATABASE_FILE_NAME);
    let intakes_before = desk.count("intakes");

    let refused = restore(desk.data_dir(), &file, ADMIN);
    assert_eq!(code(&refused), 2, "{}", text(&refused.stderr));
    let said = text(&refused.stderr);
    assert!(
        said.contains("2 record(s)") && said.contains("1 intake") && said.contains("1 note"),
        "{said}"
    );
    assert!(said.contains(&newer[0]), "names the case: {said}");
    assert!(database.exists());
    assert_eq!(
        desk.count("intakes"),
        intakes_before,
        "the desk is untouched"
    );
    let leftovers: Vec<_> = std::fs::read_dir(desk.data_dir())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("replaced-") || name.starts_with(".restore"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Only an administrator of the desk may replace it; the refusal is audited.
    let by_nurse = restore(desk.data_dir(), &file, NURSE);
    assert_eq!(code(&by_nurse), 8, "{}", text(&by_nurse.stderr));
    let refusals: u64 = desk
        .store()
        .connection()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'refused' AND actor = 'ani'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(refusals, 1);
    let by_receptionist = run_plkk_as(
        desk.data_dir(),
        RECEPTIONIST,
        &["backup", "--output", "/tmp/never-written.tar"],
        "",
    );
    assert_eq!(code(&by_receptionist), 8);
    assert!(!Path::new("/tmp/never-written.tar").exists());

    // A newer backup of the same desk restores over it, once no window has the desk open; the
    // old files are kept aside.
    let newest = desk.data_dir().join("../newest.tar");
    let _ = std::fs::remove_file(&newest);
    backup(desk.data_dir(), &newest);
    let window = plkk_store::hold_desk(desk.data_dir()).unwrap();
    let while_open = restore(desk.data_dir(), &newest, ADMIN);
    assert_eq!(code(&while_open), 2, "{}", text(&while_open.stderr));
    assert!(text(&while_open.stderr).contains("close the app first"));
    drop(window);
    let out = restore(desk.data_dir(), &newest, ADMIN);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("replaced-"));
    assert_eq!(desk.count("intakes"), intakes_before);
    for leftover in [file, newest] {
        let _ = std::fs::remove_file(leftover);
    }
}

#[test]
fn damaged_and_tampered_backups_are_refused_and_nothing_is_written() {
    let desk = SyncDesk::new();
    desk.capture(2, 1, 41);
    let scratch = tempfile::tempdir().unwrap();
    let good = scratch.path().join("good.tar");
    backup(desk.data_dir(), &good);

    // A byte changed inside the database copy: its checksum no longer matches.
    let mut bytes = std::fs::read(&good).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    let damaged = scratch.path().join("damaged.tar");
    std::fs::write(&damaged, &bytes).unwrap();
    // Cut short, as a full USB stick leaves it.
    let cut = scratch.path().join("cut.tar");
    std::fs::write(&cut, &std::fs::read(&good).unwrap()[..middle]).unwrap();
    // Not a backup at all.
    let other = scratch.path().join("notes.txt");
    std::fs::write(&other, "catatan rapat").unwrap();
    for (file, why) in [
        (&damaged, "checksum"),
        (&cut, "cannot be restored"),
        (&other, "not a readable desk backup"),
    ] {
        let target = scratch
            .path()
            .join(format!("restore-{}", why.replace(' ', "-")));
        let out = restore(&target, file, ADMIN);
        assert_eq!(code(&out), 2, "{why}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(why), "{}", text(&out.stderr));
        assert!(
            !target.join("keyring.json").exists()
                && !target.join(plkk_store::DATABASE_FILE_NAME).exists(),
            "nothing restored from a {why} failure"
        );
    }

    // An audit chain altered on the desk before the backup (checksums then match).
    let store = desk.store();
    store
        .connection()
        .execute_batch(
            "DROP TRIGGER audit_log_no_update;
             UPDATE audit_log SET actor = 'orang-lain' WHERE seq = 3;",
        )
        .unwrap();
    drop(store);
    let tampered = scratch.path().join("tampered.tar");
    plkk_store::backup(&desk.store(), &ADMIN.actor(), &tampered, now()).unwrap();
    let target = scratch.path().join("restore-tampered");
    let out = restore(&target, &tampered, ADMIN);
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("audit log is broken at entry 3"),
        "{}",
        text(&out.stderr)
    );
    assert!(!target.join("keyring.json").exists());

    // A wrong password for the backup's accounts: sign-in refused.
    let out = run_plkk_with_password(&scratch.path().join("restore-wrong"), &good, "salah-sandi");
    assert_eq!(code(&out), 7, "{}", text(&out.stderr));
}

fn run_plkk_with_password(data_dir: &Path, file: &Path, password: &str) -> Output {
    plkk_tests::bins::run_plkk_with(
        data_dir,
        &[("PLKK_USER", ADMIN.username), ("PLKK_PASSWORD", password)],
        &["restore", file.to_str().unwrap()],
        "",
    )
}

#[test]
fn a_desk_whose_database_is_damaged_is_restored_by_one_of_its_accounts() {
    let desk = SyncDesk::new();
    let ids = desk.capture(2, 0, 51);
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("before-damage.tar");
    backup(desk.data_dir(), &file);
    let database = desk.data_dir().join(plkk_store::DATABASE_FILE_NAME);
    std::fs::write(&database, vec![0x42; 64 * 1024]).unwrap();
    let broken = run_plkk_as(desk.data_dir(), ADMIN, &["intake", "list"], "");
    assert_eq!(code(&broken), 1, "{}", text(&broken.stderr));

    let out = restore(desk.data_dir(), &file, ADMIN);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let listed = run_plkk_as(desk.data_dir(), NURSE, &["intake", "list", "--all"], "");
    assert_eq!(code(&listed), 0, "{}", text(&listed.stderr));
    for id in &ids {
        assert!(text(&listed.stdout).contains(id.as_str()));
    }
    // The damaged file is kept, not deleted.
    let kept: Vec<_> = std::fs::read_dir(desk.data_dir())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("replaced-"))
        .collect();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].path().join(plkk_store::DATABASE_FILE_NAME).exists());
}
