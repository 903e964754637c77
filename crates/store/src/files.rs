//! Files the desk writes that hold patient data (the database with its `-wal` and `-shm`
//! companions, exports) are readable by their owner only on Unix (0600; folders 0700), as
//! `keyring.json` is. SQLite gives its `-wal` and `-shm` files the database file's permissions,
//! so creating the database file owner-only first is enough for them. Elsewhere (Windows) the
//! user's profile folder already keeps other users out.

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
