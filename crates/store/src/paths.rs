//! Where a desk keeps its data by default, and its log files.

use std::path::{Path, PathBuf};

/// File name of the desk database inside the data directory.
pub const DATABASE_FILE_NAME: &str = "desk.sqlite3";

/// Folder of the desktop app's log files inside the data directory (`plkk-desk.YYYY-MM-DD.log`,
/// one a day, the newest 14 kept).
pub const LOG_DIR_NAME: &str = "logs";

/// The application identifier; also the folder name under the platform's app-data folder.
const APP_IDENTIFIER: &str = "id.plkk.desk";

/// The platform's app-data folder for the desk (`~/.local/share/id.plkk.desk` on Linux,
/// `%APPDATA%\id.plkk.desk` on Windows). The desktop app and `plkk` share it.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(APP_IDENTIFIER)
}

/// Where the desktop app writes its log files for the desk at `data_dir`.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(LOG_DIR_NAME)
}

/// Creates the log folder (and the data directory, owner-only like every folder the desk makes)
/// and gives its path.
pub fn create_log_dir(data_dir: &Path) -> std::io::Result<PathBuf> {
    crate::files::create_private_dir(data_dir)?;
    let dir = log_dir(data_dir);
    crate::files::create_private_dir(&dir)?;
    Ok(dir)
}

/// The user's Downloads folder, where the app writes exports.
pub fn download_dir() -> Option<PathBuf> {
    dirs::download_dir()
}
