//! Files the desk writes that hold patient data (the database with its `-wal` and `-shm`
//! companions, exports) are readable by their owner only on Unix (0600; folders 0700), as
//! `keyring.json` is. SQLite gives its `-wal` and `-shm` files the database file's permissions,
//! so creating the database file owner-only first is enough for them. Elsewhere (Windows) the
//! user's profile folder already keeps other users out.
//!
//! Also the lock a running window holds on its data directory (`hold_desk`), which a restore
//! must take exclusively.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` (and its parents) if missing; a new data folder is owner-only.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates (or truncates) `path` for writing, owner-only.
pub(crate) fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    restrict(path)?;
    Ok(file)
}

/// Makes sure the database file at `path` exists owner-only before SQLite opens it, and takes
/// away other users' access from a database (and its `-wal`, `-shm`) an earlier version created
/// readable by everyone.
pub(crate) fn prepare_database_file(path: &Path) -> io::Result<()> {
    if !path.exists() {
        let mut options = OpenOptions::new();
        options.write(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(path)?;
    }
    // Best effort: a read-only disk must still let the desk read its data.
    let _ = restrict(path);
    for suffix in ["-wal", "-shm"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        let companion = Path::new(&companion);
        if companion.exists() {
            let _ = restrict(companion);
        }
    }
    Ok(())
}

/// Removes group and other permissions from an existing file (a no-op off Unix).
fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The file holding the desk's reserve of disk space (zeros), beside the database.
pub(crate) const RESERVE_FILE_NAME: &str = "desk.reserve";
/// Size of the reserve: room for SQLite's `-shm` and `-wal` files and many audit entries.
const RESERVE_BYTES: u64 = 2 * 1024 * 1024;

/// Keeps a reserve of disk space in `dir`: when the disk fills up, the desk gives it back and
/// goes on reading (SQLite needs a little room just to open a database in WAL mode, and every
/// sign-in writes its audit entry). Made only when there is room for twice the reserve (written
/// in full, then cut in half), so the desk never fills the disk itself. False when there is no
/// reserve and no room to make one: the disk is full, or nearly.
pub(crate) fn ensure_reserve(dir: &Path) -> bool {
    let path = dir.join(RESERVE_FILE_NAME);
    if path.exists() {
        return true;
    }
    let made = (|| {
        use std::io::Write;
        let mut file = create_private(&path)?;
        let zeros = vec![0u8; 64 * 1024];
        for _ in 0..(2 * RESERVE_BYTES / zeros.len() as u64) {
            file.write_all(&zeros)?;
        }
        // Written bytes hold their space (file systems count it at write time, before the data
        // reach the disk): no flush needed.
        file.set_len(RESERVE_BYTES)
    })();
    if made.is_err() {
        let _ = std::fs::remove_file(&path);
    }
    made.is_ok()
}

/// Gives the reserve back to the disk; true when there was one.
pub(crate) fn release_reserve(dir: &Path) -> bool {
    std::fs::remove_file(dir.join(RESERVE_FILE_NAME)).is_ok()
}

/// Refuses an output file whose folder does not exist (a USB stick not plugged in, a typo), as
/// an input error naming the folder.
pub(crate) fn check_output_folder(output: &Path) -> Result<(), crate::StoreError> {
    let folder = output
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if folder.is_dir() {
        return Ok(());
    }
    Err(crate::error::refused(
        "output",
        "folder_missing",
        format!(
            "output: the folder {} does not exist (is the USB stick plugged in?)",
            folder.display()
        ),
    ))
}

/// Writes `bytes` to `output` as a new owner-only file (a report or a letter): refused when its
/// folder is missing or the file exists (never overwritten); a failed write leaves no file.
pub(crate) fn write_new_private(output: &Path, bytes: &[u8]) -> Result<(), crate::StoreError> {
    check_output_folder(output)?;
    if output.exists() {
        return Err(crate::error::refused(
            "output",
            "exists",
            format!(
                "output: {} exists already; a file is never overwritten",
                output.display()
            ),
        ));
    }
    let written = create_private(output).and_then(|mut file| {
        io::Write::write_all(&mut file, bytes)?;
        file.sync_all()
    });
    if let Err(source) = written {
        let _ = std::fs::remove_file(output);
        return Err(crate::StoreError::File {
            path: output.display().to_string(),
            source,
        });
    }
    Ok(())
}

/// The file a running window holds a shared lock on, in the data directory.
const IN_USE_FILE_NAME: &str = "desk.lock";

/// A running desk window's hold on its data directory: a shared lock on `desk.lock` (the
/// operating system's file lock, released when the app ends however it ends). A restore takes the
/// lock exclusively, so it refuses while a window has the desk open.
#[derive(Debug)]
pub struct DeskInUse {
    _file: File,
}

/// Holds `data_dir` for a running window (several windows may hold it at once).
pub fn hold_desk(data_dir: &Path) -> Result<DeskInUse, crate::StoreError> {
    let file = open_lock_file(data_dir)?;
    file.lock_shared()
        .map_err(|source| crate::StoreError::File {
            path: data_dir.join(IN_USE_FILE_NAME).display().to_string(),
            source,
        })?;
    Ok(DeskInUse { _file: file })
}

/// Takes `data_dir` for a restore: refused while a window holds it.
pub(crate) fn take_desk(data_dir: &Path) -> Result<File, crate::StoreError> {
    let file = open_lock_file(data_dir)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(crate::StoreError::RestoreRefused(
            "PLKK Desk is open on this data directory: close the app first, then restore; nothing was changed".to_owned(),
        )),
        Err(std::fs::TryLockError::Error(source)) => Err(crate::StoreError::File {
            path: data_dir.join(IN_USE_FILE_NAME).display().to_string(),
            source,
        }),
    }
}

fn open_lock_file(data_dir: &Path) -> Result<File, crate::StoreError> {
    create_private_dir(data_dir).map_err(|source| crate::StoreError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    let path = data_dir.join(IN_USE_FILE_NAME);
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(&path)
        .map_err(|source| crate::StoreError::File {
            path: path.display().to_string(),
            source,
        })
}
