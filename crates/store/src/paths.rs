//! Where a desk keeps its data by default.

use std::path::PathBuf;

/// File name of the desk database inside the data directory.
pub const DATABASE_FILE_NAME: &str = "desk.sqlite3";

/// The application identifier; also the folder name under the platform's app-data folder.
const APP_IDENTIFIER: &str = "id.plkk.desk";

/// The platform's app-data folder for the desk (`~/.local/share/id.plkk.desk` on Linux,
/// `%APPDATA%\id.plkk.desk` on Windows). The desktop app and `plkk` share it.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(APP_IDENTIFIER)
}

/// The user's Downloads folder, where the app writes exports.
pub fn download_dir() -> Option<PathBuf> {
    dirs::download_dir()
}
