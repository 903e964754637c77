//! The sync's own handle on the desk database. The `Store` is a rusqlite connection (Send, not
//! Sync): every call runs on tokio's blocking pool under a std mutex whose guard never crosses an
//! await.

use std::sync::{Arc, Mutex};

use plkk_store::{DeskAccess, Store, StoreError};

use crate::SyncError;

/// The sync connection's page cache: 32 MiB (SQLite's `cache_size` in KiB when negative).
const SYNC_CACHE_KIB: i64 = -32 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct DeskDb {
    store: Arc<Mutex<Store>>,
}

impl DeskDb {
    pub(crate) async fn open(access: &DeskAccess) -> Result<DeskDb, SyncError> {
        let access = access.clone();
        let store = tokio::task::spawn_blocking(move || {
            let store = access.open()?;
            // The sync reads the outbox again for each request: SQLCipher decrypts and checks
            // every page it reads from disk, so a larger page cache (KiB, negative) saves most of
            // that work on a backlog.
            store
                .connection()
                .pragma_update(None, "cache_size", SYNC_CACHE_KIB)?;
            Ok::<_, StoreError>(store)
        })
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
