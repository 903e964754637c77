//! Storage failures a clinic meets, said in words (issue 8, item 7): a full disk (a real one: a
//! 16 MiB tmpfs filled to its last byte), a read-only disk, a database locked by another program,
//! a damaged file. `plkk` runs as a real process; the codes the window translates
//! (`StoreError::code`) are checked on the same failures through the library the window calls.
//! Mounting needs root, as CI (and `scripts/setup.sh`) runs.

#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use plkk_tests::accounts::{self, ADMIN, RECEPTIONIST};
use plkk_tests::{bins, samples};
use serde_json::Value;

/// A small tmpfs mounted on a temporary folder, unmounted when dropped.
struct SmallDisk {
    mount_point: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let mount_point = dir.path().join("disk");
        std::fs::create_dir(&mount_point).unwrap();
        mount(&["-t", "tmpfs", "-o", "size=16m", "tmpfs"], &mount_point);
        SmallDisk {
            mount_point,
            _dir: dir,
        }
    }

    fn desk(&self) -> PathBuf {
        self.mount_point.join("desk")
    }

    /// Writes zeros into a file until the disk has no byte left.
    fn fill(&self, name: &str) {
        let mut file = std::fs::File::create(self.mount_point.join(name)).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        loop {
            match file.write_all(&chunk) {
                Ok(()) => continue,
                Err(error) if error.kind() == std::io::ErrorKind::StorageFull => break,
                Err(error) => panic!("filling the disk: {error}"),
            }
        }
        let mut byte = [0u8; 1];
        while file
            .write(&byte)
            .map(|written| written == 1)
            .unwrap_or(false)
        {
            byte[0] = 0;
        }
    }

    fn remount_read_only(&self) {
        mount(&["-o", "remount,ro"], &self.mount_point);
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(&self.mount_point)
            .status();
    }
}

fn mount(args: &[&str], point: &Path) {
    let status = Command::new("mount")
        .args(args)
        .arg(point)
        .status()
        .expect("mount runs");
    assert!(
        status.success(),
        "mounting a small tmpfs needs root (CI runs as root): mount {args:?} failed"
    );
}

fn plkk(dir: &Path, args: &[&str], stdin: &str) -> Output {
    bins::run_plkk_as(dir, RECEPTIONIST, args, stdin)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn code_of_sign_in(dir: &Path) -> &'static str {
    match plkk_store::sign_in(
        dir,
        RECEPTIONIST.username,
        RECEPTIONIST.password,
        "test",
        now(),
    ) {
        Ok(_) => "signed in",
        Err(error) => error.code(),
    }
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

#[test]
fn on_a_full_disk_reading_goes_on_and_writing_is_refused_in_words_losing_nothing() {
    let disk = SmallDisk::mount();
    let desk = disk.desk();
    accounts::set_up_desk(&desk);
    let admitted = plkk(&desk, &["intake", "add"], &samples::intake().to_string());
    assert!(admitted.status.success(), "{}", stderr(&admitted));
    assert!(
        desk.join("desk.reserve").exists(),
        "the desk keeps a reserve of space"
    );

    disk.fill("filler-1");
    let listed = plkk(&desk, &["intake", "list", "--json"], "");
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let cases: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(
        cases.as_array().unwrap().len(),
        1,
        "reading works on a full disk"
    );
    assert!(
        stderr(&listed).contains("the disk is almost full"),
        "and the person is told: {}",
        stderr(&listed)
    );
    let id = cases[0]["id"].as_str().unwrap().to_owned();
    let shown = plkk(&desk, &["intake", "show", &id], "");
    assert_eq!(shown.status.code(), Some(0), "{}", stderr(&shown));

    // The reserve is spent; the disk fills up again: now nothing can be written.
    disk.fill("filler-2");
    for args in [vec!["intake", "add"], vec!["intake", "list"]] {
        let refused = plkk(&desk, &args, &samples::intake().to_string());
        assert_eq!(
            refused.status.code(),
            Some(1),
            "{args:?}: {}",
            stderr(&refused)
        );
        let words = stderr(&refused);
        assert!(
            words.starts_with("error: ") && words.contains("the disk is full: free some space"),
            "{args:?} says the disk is full, not a broken disk: {words}"
        );
        assert!(!words.starts_with("error: disk I/O error"), "{words}");
    }
    assert_eq!(code_of_sign_in(&desk), "disk_full", "the window's code");

    // Freeing space brings everything back, with nothing lost.
    std::fs::remove_file(disk.mount_point.join("filler-1")).unwrap();
    std::fs::remove_file(disk.mount_point.join("filler-2")).unwrap();
    let listed = plkk(&desk, &["intake", "list", "--json"], "");
    assert!(listed.status.success(), "{}", stderr(&listed));
    let cases: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(cases.as_array().unwrap().len(), 1);
    assert!(
        !stderr(&listed).contains("almost full"),
        "{}",
        stderr(&listed)
    );
    let verified = bins::run_plkk_as(&desk, ADMIN, &["audit", "verify"], "");
    assert!(verified.status.success(), "{}", stderr(&verified));
}

#[test]
fn a_read_only_disk_is_said_to_be_read_only() {
    let disk = SmallDisk::mount();
    let desk = disk.desk();
    accounts::set_up_desk(&desk);
    disk.remount_read_only();
    let refused = plkk(&desk, &["intake", "list"], "");
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("cannot be written (a read-only disk, or no permission"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(code_of_sign_in(&desk), "read_only");
}

#[test]
fn a_database_locked_by_another_program_is_said_to_be_locked() {
    let dir = tempfile::tempdir().unwrap();
    let desk = accounts::set_up_desk(dir.path());
    let holder = desk.access.open().unwrap();
    holder
        .connection()
        .execute_batch("BEGIN EXCLUSIVE")
        .unwrap();
    let refused = plkk(
        dir.path(),
        &["intake", "add"],
        &samples::intake().to_string(),
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("locked by another program"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(code_of_sign_in(dir.path()), "database_locked");
    holder.connection().execute_batch("COMMIT").unwrap();
    let admitted = plkk(
        dir.path(),
        &["intake", "add"],
        &samples::intake().to_string(),
    );
    assert!(admitted.status.success(), "{}", stderr(&admitted));
}

#[test]
fn a_damaged_database_is_said_to_be_damaged() {
    let dir = tempfile::tempdir().unwrap();
    accounts::set_up_desk(dir.path());
    let database = dir.path().join(plkk_store::DATABASE_FILE_NAME);
    let mut bytes = std::fs::read(&database).unwrap();
    // The salt (first 16 bytes) stays; every page after it is garbled, as a failing disk does.
    for byte in &mut bytes[64..] {
        *byte ^= 0x5a;
    }
    std::fs::write(&database, &bytes).unwrap();
    let refused = plkk(dir.path(), &["intake", "list"], "");
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("damaged or is not a desk database"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(code_of_sign_in(dir.path()), "damaged");
}
