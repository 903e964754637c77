//! The sync's own handle on the desk database. The `Store` is a rusqlite connection (Send, not
//! Sync): every call runs on tokio's blocking pool under a std mutex whose guard never crosses an
//! await.

use std::sync::{Arc, Mutex};

use plkk_store::{DeskAccess, Store, StoreError};

use crate::SyncError;

#[derive(Debug, Clone)]
pub(crate) struct DeskDb {
    store: Arc<Mutex<Store>>,
}

impl DeskDb {
    pub(crate) async fn open(access: &DeskAccess) -> Result<DeskDb, SyncError> {
        let access = access.clone();
        let store = tokio::task::spawn_blocking(move || access.open())
            .await
            .map_err(|_| SyncError::EngineStopped)??;
        Ok(DeskDb {
            store: Arc::new(Mutex::new(store)),
        })
    }

    /// Runs `work` on the store off the async threads.
    pub(crate) async fn call<T, F>(&self, work: F) -> Result<T, SyncError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let answer = tokio::task::spawn_blocking(move || {
            let mut guard = store
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut guard)
        })
        .await
        .map_err(|_| SyncError::EngineStopped)?;
        Ok(answer?)
    }
}
