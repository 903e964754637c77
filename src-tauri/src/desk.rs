//! The app's Tauri-facing state: the settings read at start, the desk's session
//! (`plkk_store::DeskSession`, which owns sign-in, unlock, lock and sign-out and their rules) and
//! the sync engine started once the database is open (it keeps running while the screen is
//! locked). Commands reach records only through `with_session`, which the session refuses while
//! nobody is signed in or the screen is locked; what each role may do is checked by the store, and
//! a role refusal is written to the audit log here.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset};
use plkk_store::{Actor, DeskAccess, DeskSession, Store, StoreError};
use plkk_sync::{Engine, EngineHandle, SyncError};
use plkk_vault::KdfParams;
use serde::Serialize;

/// The desk as the window sees it.
#[derive(Debug)]
pub struct Desk {
    pub settings: Settings,
    session: Mutex<DeskSession>,
    engine: Mutex<Option<EngineHandle>>,
}

impl Desk {
    pub fn new(settings: Settings) -> Desk {
        let session = DeskSession::new(settings.data_dir.clone(), settings.kdf);
        Desk {
            settings,
            session: Mutex::new(session),
            engine: Mutex::new(None),
        }
    }

    pub fn session(&self) -> MutexGuard<'_, DeskSession> {
        self.session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn engine_slot(&self) -> MutexGuard<'_, Option<EngineHandle>> {
        self.engine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs a step of the session (setup, sign-in, unlock, lock, sign-out, an account change),
    /// audits a role refusal, then starts the sync engine if the step opened the database.
    pub fn step<T>(
        &self,
        step: impl FnOnce(&mut DeskSession) -> Result<T, StoreError>,
    ) -> Result<T, CommandError> {
        let mut session = self.session();
        let answer = step(&mut session)
            .map_err(CommandError::store)
            .map_err(|error| audit_refusal(&session, error))?;
        if let Some((_, access)) = session.open() {
            let mut engine = self.engine_slot();
            if engine.is_none() {
                let runtime = tauri::async_runtime::handle();
                *engine = Some(Engine::spawn(access.clone(), runtime.inner()));
            }
        }
        Ok(answer)
    }

    /// Runs `action` for the signed-in person on the open store; a role refusal is audited.
    pub fn with_session<T, E>(
        &self,
        action: impl FnOnce(&mut Store, &Actor) -> Result<T, E>,
    ) -> Result<T, CommandError>
    where
        CommandError: From<E>,
    {
        let mut session = self.session();
        let (store, actor) = session.signed_in().map_err(CommandError::store)?;
        let answer = action(store, actor).map_err(CommandError::from);
        answer.map_err(|error| audit_refusal(&session, error))
    }

    /// Records a role refusal met outside `with_session` (by a call that opens its own
    /// connection, like enrolment) in the audit log, and gives the error back.
    pub fn refused(&self, error: CommandError) -> CommandError {
        audit_refusal(&self.session(), error)
    }

    /// Runs `action` on the open store whoever is signed in (figures without patient data).
    pub fn with_open<T, E>(
        &self,
        action: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, CommandError>
    where
        CommandError: From<E>,
    {
        match self.session().open() {
            Some((store, _)) => action(store).map_err(CommandError::from),
            None => Err(CommandError::store(StoreError::SignedOut)),
        }
    }

    /// The sync engine, once the database is open.
    pub fn engine(&self) -> Option<EngineHandle> {
        self.engine_slot().clone()
    }

    /// What the sync needs, for the signed-in person (refused while locked or signed out).
    pub fn session_access(&self) -> Result<(DeskAccess, Actor), CommandError> {
        Ok(self.session().signed_in_access()?)
    }

    /// Tells the engine there is new work (after a local write).
    pub fn wake_sync(&self) {
        if let Some(engine) = self.engine() {
            engine.wake();
        }
    }
}

/// What the app reads from its command line and environment, read once at start (the only place
/// the app reads `PLKK_*` variables).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--data-dir DIR`, else `PLKK_DATA_DIR`, else the platform's app-data folder (as `plkk`).
    pub data_dir: PathBuf,
    /// Where exports go: `PLKK_EXPORT_DIR`, else the user's Downloads folder, else `exports` in
    /// the data directory.
    pub export_dir: PathBuf,
    /// The cost of new key wraps and PIN hashes: `PLKK_KDF=fast` for tests and demos only.
    pub kdf: KdfParams,
    /// `PLKK_LOG`: the log filter, if set (see `logging`).
    pub log_filter: Option<String>,
}

impl Settings {
    pub fn from_environment() -> Settings {
        let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let path = |name: &str| {
            std::env::var_os(name)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        };
        let mut data_dir = path("PLKK_DATA_DIR");
        let mut arguments = std::env::args_os().skip(1);
        while let Some(argument) = arguments.next() {
            if argument == "--data-dir" {
                if let Some(dir) = arguments.next() {
                    data_dir = Some(PathBuf::from(dir));
                    break;
                }
            }
        }
        let data_dir = data_dir.unwrap_or_else(plkk_store::default_data_dir);
        let export_dir = path("PLKK_EXPORT_DIR")
            .or_else(plkk_store::download_dir)
            .unwrap_or_else(|| data_dir.join("exports"));
        Settings {
            export_dir,
            kdf: KdfParams::from_setting(variable("PLKK_KDF").as_deref()),
            log_filter: variable("PLKK_LOG"),
            data_dir,
        }
    }
}

/// The desk's clock, with its local UTC offset.
pub fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

/// Writes the audit entry of a role refusal (every refusal the window meets passes here).
fn audit_refusal(session: &DeskSession, error: CommandError) -> CommandError {
    if let Some((role, action)) = error.refusal {
        let refusal = StoreError::Forbidden { role, action };
        if let Err(failure) = session.record_refusal(&refusal, now()) {
            tracing::warn!("the refusal could not be written to the audit log: {failure}");
        }
    }
    error
}

/// An error as the UI receives it: a code it may branch on (`StoreError::code`, a sync error's
/// code, or the session's `signed_out` / `locked`), a message, the field issues, and for a
/// refused sign-in how long to wait.
#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
    pub issues: Vec<plkk_domain::Issue>,
    pub wait_seconds: Option<u64>,
    /// A role refusal (the role and what it may not do), kept until it is in the audit log.
    #[serde(skip)]
    pub refusal: Option<(plkk_domain::Role, plkk_domain::Action)>,
}

impl CommandError {
    /// The store's error as the window receives it.
    pub fn store(error: StoreError) -> CommandError {
        error.into()
    }

    pub fn plain(code: &'static str, message: &str) -> CommandError {
        CommandError {
            code,
            message: message.to_owned(),
            issues: Vec::new(),
            wait_seconds: None,
            refusal: None,
        }
    }
}

impl From<SyncError> for CommandError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::Store(store) => store.into(),
            other => {
                tracing::info!(code = other.code(), "failed");
                CommandError::plain(other.code(), &other.to_string())
            }
        }
    }
}

impl From<StoreError> for CommandError {
    fn from(error: StoreError) -> Self {
        tracing::info!(code = error.code(), "refused");
        CommandError {
            code: error.code(),
            message: error.to_string(),
            issues: error.issues(),
            wait_seconds: error.retry_after().map(|wait| wait.as_secs().max(1)),
            refusal: error.role_refusal(),
        }
    }
}
