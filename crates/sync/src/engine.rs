//! The background sync engine (tokio). It runs a cycle on start, when woken after a local write,
//! on demand, and on a timer: every minute after a success; after a failure every second for the
//! first two minutes the line is down (rural lines drop for seconds to a minute), then a quarter
//! of the outage so far, capped at 5 minutes, ±20 % jitter (`plan::retry_delay`). It opens its own
//! store on the data directory with the key of the signed-in session (it keeps running while the
//! screen is locked). It stops when every handle is dropped.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use plkk_store::DeskAccess;
use rand::Rng;
use tokio::sync::{mpsc, oneshot, Notify};

use crate::cycle::{run_cycle, SyncSummary};
use crate::desk_db::DeskDb;
use crate::plan::{retry_delay, SUCCESS_INTERVAL};
use crate::SyncError;

type Reply = oneshot::Sender<Result<SyncSummary, SyncError>>;

const ONLINE_UNKNOWN: u8 = 0;
const ONLINE: u8 = 1;
const OFFLINE: u8 = 2;

/// Starts engines.
#[derive(Debug)]
pub struct Engine;

/// A handle on a running engine; cheap to clone. The engine stops when the last one is dropped.
#[derive(Debug, Clone)]
pub struct EngineHandle {
    wake: Arc<Notify>,
    online: Arc<AtomicU8>,
    requests: mpsc::UnboundedSender<Reply>,
}

impl Engine {
    pub fn spawn(access: DeskAccess, runtime: &tokio::runtime::Handle) -> EngineHandle {
        let wake = Arc::new(Notify::new());
        let online = Arc::new(AtomicU8::new(ONLINE_UNKNOWN));
        let (requests, receiver) = mpsc::unbounded_channel();
        runtime.spawn(run(
            access,
            Arc::clone(&wake),
            Arc::clone(&online),
            receiver,
        ));
        EngineHandle {
            wake,
            online,
            requests,
        }
    }
}

impl EngineHandle {
    /// Asks for a cycle soon (after a local write); returns at once.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs a cycle now ("Kirim sekarang") and answers with its result.
    pub async fn sync_now(&self) -> Result<SyncSummary, SyncError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(reply)
            .map_err(|_| SyncError::EngineStopped)?;
        answer.await.map_err(|_| SyncError::EngineStopped)?
    }

    /// Whether the last cycle reached the branch; `None` before the first one.
    pub fn online(&self) -> Option<bool> {
        match self.online.load(Ordering::Relaxed) {
            ONLINE => Some(true),
            OFFLINE => Some(false),
            _ => None,
        }
    }
}

async fn run(
    access: DeskAccess,
    wake: Arc<Notify>,
    online: Arc<AtomicU8>,
    mut requests: mpsc::UnboundedReceiver<Reply>,
) {
    let open_failing_since = Instant::now();
    let db = loop {
        match DeskDb::open(&access).await {
            Ok(db) => break db,
            Err(error) => {
                tracing::error!(%error, "the sync engine cannot open the desk's data");
                let delay = retry_delay(open_failing_since.elapsed(), true, jitter());
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    request = requests.recv() => match request {
                        Some(reply) => { let _ = reply.send(Err(error)); }
                        None => return,
                    },
                }
            }
        }
    };
    // When the current run of failures began.
    let mut failing_since: Option<Instant> = None;
    let mut delay = Duration::ZERO;
    loop {
        let mut waiting: Vec<Reply> = Vec::new();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = wake.notified() => {}
            request = requests.recv() => match request {
                Some(reply) => waiting.push(reply),
                None => return,
            },
        }
        while let Ok(reply) = requests.try_recv() {
            waiting.push(reply);
        }
        let result = run_cycle(&db).await;
        delay = match &result {
            Ok(summary) => {
                failing_since = None;
                online.store(ONLINE, Ordering::Relaxed);
                if summary.pending > 0 && summary.confirmed > 0 {
                    // Progress but more to do (written meanwhile): go on soon.
                    Duration::from_secs(1)
                } else {
                    SUCCESS_INTERVAL
                }
            }
            Err(SyncError::NotEnrolled) => {
                online.store(ONLINE_UNKNOWN, Ordering::Relaxed);
                SUCCESS_INTERVAL
            }
            Err(error) => {
                let since = *failing_since.get_or_insert_with(Instant::now);
                let answered = error.reached_branch();
                online.store(if answered { ONLINE } else { OFFLINE }, Ordering::Relaxed);
                retry_delay(since.elapsed(), answered, jitter())
            }
        };
        answer_all(waiting, result);
    }
}

fn answer_all(waiting: Vec<Reply>, result: Result<SyncSummary, SyncError>) {
    let mut waiting = waiting.into_iter();
    let Some(first) = waiting.next() else {
        return;
    };
    for reply in waiting {
        let copy = match &result {
            Ok(summary) => Ok(summary.clone()),
            Err(error) => Err(error.repeat()),
        };
        let _ = reply.send(copy);
    }
    let _ = first.send(result);
}

fn jitter() -> f64 {
    rand::rng().random_range(-1.0..=1.0)
}
