//! The app's state: whether the desk is set up, the database once someone signed in (with its
//! sync engine, which keeps running while the screen is locked), who is signed in and whether the
//! screen is locked. Commands reach the store only through `with_session`, which refuses while
//! nobody is signed in or the screen is locked; what each role may do is checked by the store.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset};
use plkk_store::{Actor, DeskAccess, Store, StoreError};
use plkk_sync::{Engine, EngineHandle, SyncError};
use plkk_vault::KdfParams;
use serde::Serialize;

/// The desk as the window sees it.
#[derive(Debug)]
pub struct Desk {
    pub data_dir: PathBuf,
    pub settings: Settings,
    state: Mutex<DeskState>,
}

#[derive(Debug, Default)]
pub struct DeskState {
    /// The database, open since the first sign-in (or setup) of this run.
    pub open: Option<OpenDesk>,
    /// Who is signed in.
    pub session: Option<Actor>,
    /// The screen is locked: the session's user (or another) must sign in again.
    pub locked: bool,
}

#[derive(Debug)]
pub struct OpenDesk {
    pub store: Store,
    pub access: DeskAccess,
    pub engine: EngineHandle,
}

impl Desk {
    pub fn new(settings: Settings) -> Desk {
        Desk {
            data_dir: settings.data_dir.clone(),
            settings,
            state: Mutex::new(DeskState::default()),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, DeskState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps a freshly opened database and starts its sync engine.
    pub fn opened(&self, state: &mut DeskState, store: Store, access: DeskAccess) {
        let runtime = tauri::async_runtime::handle();
        let engine = Engine::spawn(access.clone(), runtime.inner());
        state.open = Some(OpenDesk {
            store,
            access,
            engine,
        });
    }

    /// Runs `action` for the signed-in person on the open store.
    pub fn with_session<T, E>(
        &self,
        action: impl FnOnce(&mut Store, &Actor) -> Result<T, E>,
    ) -> Result<T, CommandError>
    where
        CommandError: From<E>,
    {
        let mut state = self.state();
        let state = &mut *state;
        let (Some(open), Some(actor)) = (state.open.as_mut(), state.session.as_ref()) else {
            return Err(CommandError::store(StoreError::SignedOut));
        };
        if state.locked {
            return Err(CommandError::store(StoreError::Locked));
        }
        action(&mut open.store, actor)
            .map_err(CommandError::from)
            .map_err(|error| audit_refusal(&open.store, actor, error))
    }

    /// Records a role refusal met outside `with_session` (by a call that opens its own
    /// connection, like enrolment) in the audit log, and gives the error back.
    pub fn refused(&self, error: CommandError) -> CommandError {
        let state = self.state();
        match (state.open.as_ref(), state.session.as_ref()) {
            (Some(open), Some(actor)) => audit_refusal(&open.store, actor, error),
            _ => error,
        }
    }

    /// Runs `action` on the open store whoever is signed in (figures without patient data).
    pub fn with_open<T, E>(
        &self,
        action: impl FnOnce(&mut OpenDesk) -> Result<T, E>,
    ) -> Result<T, CommandError>
    where
        CommandError: From<E>,
    {
        match self.state().open.as_mut() {
            Some(open) => action(open).map_err(CommandError::from),
            None => Err(CommandError::store(StoreError::SignedOut)),
        }
    }

    /// The sync engine, once the database is open.
    pub fn engine(&self) -> Option<EngineHandle> {
        self.state().open.as_ref().map(|open| open.engine.clone())
    }

    /// What the sync needs, for the signed-in person (refused while locked or signed out).
    pub fn session_access(&self) -> Result<(DeskAccess, Actor), CommandError> {
        self.with_session(|store, actor| {
            let _ = store;
            Ok::<_, StoreError>(actor.clone())
        })
        .and_then(|actor| {
            let access = self.state().open.as_ref().map(|open| open.access.clone());
            access
                .map(|access| (access, actor))
                .ok_or_else(|| CommandError::store(StoreError::SignedOut))
        })
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
fn audit_refusal(store: &Store, actor: &Actor, error: CommandError) -> CommandError {
    if let Some((role, action)) = error.refusal {
        let refusal = StoreError::Forbidden { role, action };
        if let Err(failure) = plkk_store::record_refusal(store, actor, &refusal, now()) {
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
