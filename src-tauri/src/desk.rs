//! The app's state: the desk database, or why it could not be opened (shown in the window instead
//! of a blank screen), the background sync engine, and the clock and author the commands pass to
//! the store.

use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, FixedOffset};
use plkk_store::{Store, StoreError};
use plkk_sync::{Engine, EngineHandle, SyncError};
use serde::Serialize;

/// The desk as the window sees it.
#[derive(Debug)]
pub struct Desk {
    pub data_dir: PathBuf,
    store: Mutex<Result<Store, String>>,
    /// The sync engine, running on Tauri's async runtime; none when the database could not open.
    engine: Option<EngineHandle>,
}

impl Desk {
    /// Opens the desk's database and starts the sync engine (which opens its own connection).
    pub fn open(data_dir: PathBuf) -> Desk {
        let store = Store::open_in_dir(&data_dir).map_err(|error| error.to_string());
        let engine = store.is_ok().then(|| {
            let runtime = tauri::async_runtime::handle();
            Engine::spawn(data_dir.clone(), runtime.inner())
        });
        Desk {
            data_dir,
            store: Mutex::new(store),
            engine,
        }
    }

    /// The sync engine, when it runs.
    pub fn engine(&self) -> Option<&EngineHandle> {
        self.engine.as_ref()
    }

    /// Tells the engine there is new work (after a local write).
    pub fn wake_sync(&self) {
        if let Some(engine) = &self.engine {
            engine.wake();
        }
    }

    /// Runs `action` on the open store, or answers why the store is unavailable.
    pub fn with_store<T, E>(
        &self,
        action: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, CommandError>
    where
        CommandError: From<E>,
    {
        let mut guard = self
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match guard.as_mut() {
            Ok(store) => action(store).map_err(CommandError::from),
            Err(reason) => Err(CommandError {
                code: "store",
                message: reason.clone(),
                issues: Vec::new(),
            }),
        }
    }

    /// Why the database could not be opened, if it could not.
    pub fn store_error(&self) -> Option<String> {
        let guard = self
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.as_ref().err().cloned()
    }
}

/// `--data-dir DIR`, else `PLKK_DATA_DIR`, else the platform's app-data folder (as `plkk`).
pub fn data_dir_from_environment() -> PathBuf {
    let mut arguments = std::env::args_os().skip(1);
    while let Some(argument) = arguments.next() {
        if argument == "--data-dir" {
            if let Some(dir) = arguments.next() {
                return PathBuf::from(dir);
            }
        }
    }
    std::env::var_os("PLKK_DATA_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(plkk_store::default_data_dir)
}

/// The desk's clock, with its local UTC offset.
pub fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

/// An error as the UI receives it: a code it may branch on, a message, and the field issues.
#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
    pub issues: Vec<plkk_domain::Issue>,
}

impl From<SyncError> for CommandError {
    fn from(error: SyncError) -> Self {
        CommandError {
            code: error.code(),
            message: error.to_string(),
            issues: Vec::new(),
        }
    }
}

impl From<StoreError> for CommandError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Invalid(rejected) => CommandError {
                code: "invalid",
                message: rejected.to_string(),
                issues: rejected
                    .errors
                    .into_iter()
                    .chain(rejected.warnings)
                    .collect(),
            },
            StoreError::NotFound { .. } => CommandError {
                code: "not_found",
                message: error.to_string(),
                issues: Vec::new(),
            },
            other => CommandError {
                code: "store",
                message: other.to_string(),
                issues: Vec::new(),
            },
        }
    }
}
