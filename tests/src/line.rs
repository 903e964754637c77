//! A shaping TCP relay on loopback that stands in for a rural line between a desk and the branch,
//! for the sync tests and `plkk-bench --line`. It works on bytes, below TLS, so the desk and the
//! branch speak TLS through it as they would over the air.
//!
//! What it emulates, each way: a rate (bytes per second, shared by every connection, as one line
//! is), a one-way delay (half the round trip), loss approximated as delay (a segment of 1,400 bytes
//! is lost with the given probability and arrives one retransmission timeout later, holding back
//! what follows it on its connection), and cuts (nothing passes either way). Bytes caught by a cut
//! are not lost but come through at the connection's next retransmission after the line returns,
//! as TCP's exponential backoff would send them: at the cut's start plus 1, 3, 7, 15 … timeouts,
//! so a 20 s cut can hold a connection for 30 s. A connection opened during a cut completes at its
//! next SYN retransmission after the line returns (1, 3, 7 … s after it was opened).
//!
//! It can also end connections the way broken lines and middleboxes do: drop every connection each
//! time the line has carried so many bytes up (a line that never stays up for long), or, once,
//! close the desk's side with a plain FIN after a request went up whole and the branch began to
//! answer (no TLS close_notify reaches the desk; the answer is dropped).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::samples::Seeded;

/// Bytes per segment on the line.
const SEGMENT: usize = 1400;
/// Segments a direction of one connection holds in flight before the sender must wait (about a
/// TCP window on a slow line).
const IN_FLIGHT_SEGMENTS: usize = 32;

/// What the line is like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineSpec {
    /// Bytes per second each way (64 kbit/s is 8,000).
    pub bytes_per_second: f64,
    pub round_trip: Duration,
    /// Probability that a segment is lost (and comes a retransmission timeout late).
    pub loss: f64,
}

impl LineSpec {
    /// 64 kbit/s, 800 ms round trip, 5 % loss.
    pub const RURAL: LineSpec = LineSpec {
        bytes_per_second: 8_000.0,
        round_trip: Duration::from_millis(800),
        loss: 0.05,
    };
    /// A 2G-like line: 16 kbit/s, 1,500 ms round trip, 10 % loss.
    pub const EDGE: LineSpec = LineSpec {
        bytes_per_second: 2_000.0,
        round_trip: Duration::from_millis(1500),
        loss: 0.10,
    };

    /// TCP's first retransmission timeout on this line (Linux: the round trip plus a margin,
    /// at least 1 s).
    fn retransmission_timeout(&self) -> Duration {
        (self.round_trip + Duration::from_millis(200)).max(Duration::from_secs(1))
    }
}

#[derive(Debug)]
struct LineState {
    /// When each direction's line is free again (0 up, 1 down).
    free_at: [Instant; 2],
    /// Cuts as (start, end), oldest first.
    cuts: Vec<(Instant, Instant)>,
    random: Seeded,
    /// Drop every connection each time this many bytes went up.
    drop_every: Option<u64>,
    up_since_drop: u64,
    /// Close the desk's side of the first connection that carried this many bytes up, when the
    /// branch begins to answer.
    hang_up_after: Option<u64>,
}

#[derive(Debug)]
struct Shared {
    spec: LineSpec,
    upstream: SocketAddr,
    state: Mutex<LineState>,
    /// Bumped to drop every open connection.
    drops: watch::Sender<u64>,
    bytes: [AtomicU64; 2],
    connections: AtomicU64,
}

/// A running line: desks connect to [`Line::addr`], the line connects to the branch.
#[derive(Debug)]
pub struct Line {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Line {
    pub fn start(upstream: SocketAddr, spec: LineSpec, seed: u64) -> Line {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the line");
        let now = runtime.block_on(async { Instant::now() });
        let shared = Arc::new(Shared {
            spec,
            upstream,
            state: Mutex::new(LineState {
                free_at: [now, now],
                cuts: Vec::new(),
                random: Seeded::new(seed),
                drop_every: None,
                up_since_drop: 0,
                hang_up_after: None,
            }),
            drops: watch::channel(0).0,
            bytes: [AtomicU64::new(0), AtomicU64::new(0)],
            connections: AtomicU64::new(0),
        });
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("the line listens");
        let addr = listener.local_addr().expect("an address");
        let accepting = Arc::clone(&shared);
        runtime.spawn(async move {
            while let Ok((desk, _)) = listener.accept().await {
                accepting.connections.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(connection(desk, Arc::clone(&accepting)));
            }
        });
        Line {
            addr,
            shared,
            runtime: Some(runtime),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Cuts the line now for `length`.
    pub fn cut(&self, length: Duration) {
        let start = Instant::now();
        self.shared
            .state
            .lock()
            .unwrap()
            .cuts
            .push((start, start + length));
    }

    /// Whether the line is cut now.
    pub fn is_cut(&self) -> bool {
        let now = Instant::now();
        let state = self.shared.state.lock().unwrap();
        state
            .cuts
            .iter()
            .any(|&(start, end)| start <= now && now < end)
    }

    /// From now on, every connection is dropped each time `bytes` more went up the line.
    pub fn drop_every(&self, bytes: u64) {
        let mut state = self.shared.state.lock().unwrap();
        state.drop_every = Some(bytes);
        state.up_since_drop = 0;
    }

    /// Once: the first connection that carries `bytes` up is closed on the desk's side with a plain
    /// FIN when the branch begins to answer; the answer is dropped.
    pub fn hang_up_after_request(&self, bytes: u64) {
        self.shared.state.lock().unwrap().hang_up_after = Some(bytes);
    }

    /// Bytes that crossed the line up (desk to branch) and down.
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.shared.bytes[0].load(Ordering::Relaxed),
            self.shared.bytes[1].load(Ordering::Relaxed),
        )
    }

    /// Connections the desk opened.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

const UP: usize = 0;
const DOWN: usize = 1;

/// What a reader hands its writer.
enum Segment {
    Bytes { deliver_at: Instant, bytes: Vec<u8> },
    End,
}

async fn connection(desk: TcpStream, shared: Arc<Shared>) {
    let opened = Instant::now();
    let mut drops = shared.drops.subscribe();
    let Ok(branch) = TcpStream::connect(shared.upstream).await else {
        return;
    };
    let _ = desk.set_nodelay(true);
    let _ = branch.set_nodelay(true);
    let (desk_read, desk_write) = desk.into_split();
    let (branch_read, branch_write) = branch.into_split();
    let (up_tx, up_rx) = mpsc::channel(IN_FLIGHT_SEGMENTS);
    let (down_tx, down_rx) = mpsc::channel(IN_FLIGHT_SEGMENTS);
    let carried_up = Arc::new(AtomicU64::new(0));
    let pumps = async {
        tokio::join!(
            read_side(desk_read, up_tx, UP, &shared, &carried_up),
            write_side(up_rx, branch_write, &shared, opened),
            read_side(branch_read, down_tx, DOWN, &shared, &carried_up),
            write_side(down_rx, desk_write, &shared, opened),
        )
    };
    tokio::select! {
        _ = pumps => {}
        _ = drops.changed() => {}
    }
}

/// Reads one direction into segments, each stamped with when it arrives at the other end.
async fn read_side(
    mut from: OwnedReadHalf,
    to: mpsc::Sender<Segment>,
    direction: usize,
    shared: &Shared,
    carried_up: &AtomicU64,
) {
    let mut buffer = vec![0u8; SEGMENT];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => {
                let _ = to.send(Segment::End).await;
                return;
            }
            Ok(read) => read,
        };
        if direction == DOWN && hang_up_now(shared, carried_up) {
            let _ = to.send(Segment::End).await;
            return;
        }
        let deliver_at = schedule(shared, direction, read);
        shared.bytes[direction].fetch_add(read as u64, Ordering::Relaxed);
        if direction == UP {
            carried_up.fetch_add(read as u64, Ordering::Relaxed);
            count_up(shared, read as u64);
        }
        let segment = Segment::Bytes {
            deliver_at,
            bytes: buffer[..read].to_vec(),
        };
        if to.send(segment).await.is_err() {
            return;
        }
    }
}

/// When `bytes` read now in `direction` arrive: after the line is free and has carried them, the
/// one-way delay, and a retransmission timeout more if the segment is lost.
fn schedule(shared: &Shared, direction: usize, bytes: usize) -> Instant {
    let spec = shared.spec;
    let mut state = shared.state.lock().unwrap();
    let now = Instant::now();
    let start = state.free_at[direction].max(now);
    let sent = start + Duration::from_secs_f64(bytes as f64 / spec.bytes_per_second);
    state.free_at[direction] = sent;
    let mut arrive = sent + spec.round_trip / 2;
    let lost = (state.random.below(1_000_000) as f64) < spec.loss * 1_000_000.0;
    if lost {
        arrive += spec.retransmission_timeout();
    }
    arrive
}

fn count_up(shared: &Shared, bytes: u64) {
    let mut state = shared.state.lock().unwrap();
    let Some(every) = state.drop_every else {
        return;
    };
    state.up_since_drop += bytes;
    if state.up_since_drop >= every {
        state.up_since_drop = 0;
        shared.drops.send_modify(|generation| *generation += 1);
    }
}

/// Whether this connection's answer is the one to hang up on (and disarms it).
fn hang_up_now(shared: &Shared, carried_up: &AtomicU64) -> bool {
    let mut state = shared.state.lock().unwrap();
    match state.hang_up_after {
        Some(threshold) if carried_up.load(Ordering::Relaxed) >= threshold => {
            state.hang_up_after = None;
            true
        }
        _ => false,
    }
}

/// Writes one direction's segments when they arrive, holding them through cuts.
async fn write_side(
    mut from: mpsc::Receiver<Segment>,
    mut to: OwnedWriteHalf,
    shared: &Shared,
    opened: Instant,
) {
    while let Some(segment) = from.recv().await {
        let Segment::Bytes { deliver_at, bytes } = segment else {
            let _ = to.shutdown().await;
            return;
        };
        tokio::time::sleep_until(deliver_at).await;
        while let Some(resume) = held_until(shared, opened) {
            tokio::time::sleep_until(resume).await;
        }
        if to.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

/// When a segment arriving now, caught by a cut, comes through: at the first retransmission after
/// the cut's end, counting timeouts (1, 2, 4 … doubling) from when the connection got stuck (the
/// cut's start, or its opening if it was opened during the cut). `None` when the line is up and
/// was not cut while the segment travelled.
fn held_until(shared: &Shared, opened: Instant) -> Option<Instant> {
    let spec = shared.spec;
    let now = Instant::now();
    let state = shared.state.lock().unwrap();
    let travelling = now.checked_sub(spec.round_trip / 2).unwrap_or(now);
    let &(start, end) = state
        .cuts
        .iter()
        .find(|&&(start, end)| start <= now && travelling < end)?;
    let (stuck, first_timeout) = if opened > start {
        (opened, Duration::from_secs(1))
    } else {
        (start, spec.retransmission_timeout())
    };
    let mut timeout = first_timeout;
    let mut resend = stuck + timeout;
    while resend < end {
        timeout *= 2;
        resend += timeout;
    }
    (resend > now).then_some(resend)
}
