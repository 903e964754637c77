//! Where a desk keeps its data by default, and who is using it (until accounts exist).

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

/// The operating-system account name, used as the author of records until staff accounts exist.
pub fn os_user_name() -> String {
    ["PLKK_USER", "USER", "USERNAME"]
        .iter()
        .find_map(|name| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        })
        .unwrap_or_else(|| "desk".to_owned())
}
