//! A fault-injecting HTTP/1.1 proxy for the sync tests and the benchmark: it sits between a desk
//! and the branch, counts the bytes on the wire, and applies a scripted fault to each request in
//! turn: connection dropped before or after forwarding the request, a truncated answer, a delay, a
//! 5xx answer, or an HTML captive-portal page with status 200 served by the proxy itself. Each
//! request is forwarded on its own upstream connection (`connection: close`). A recording proxy
//! also keeps every request and answer it passed (asking for answers without gzip, so each is
//! one plain body), for tests that read what crossed the wire.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What happens to one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Forwarded, answer relayed.
    Pass,
    /// The connection is closed before the request reaches the branch.
    DropBeforeForward,
    /// The branch gets the request and answers; the desk never sees the answer.
    DropAfterForward,
    /// Only the first bytes of the answer reach the desk.
    Truncate(usize),
    /// Forwarded after a pause.
    Delay(Duration),
    /// The proxy answers this status itself (e.g. 502, 503) with a plain-text body.
    Status(u16),
    /// The proxy answers 200 with an HTML login page, as hotel and clinic Wi-Fi portals do.
    CaptivePortal,
    /// Forwarded; the sender is told once the request is written to the branch (to kill it).
    Signal(std::sync::mpsc::Sender<()>),
    /// Only the first bytes of the request reach the branch, then both connections are cut (a
    /// line that dies in the middle of an upload).
    CutRequest(usize),
    /// Forwarded without asking for gzip; the branch's JSON answer is changed by this function
    /// before it is relayed: a branch answering as this one never does (a push's answer without
    /// its audit part, say).
    EditAnswer(fn(&mut serde_json::Value)),
    /// The request is not forwarded; the proxy answers 422 with the branch's JSON error body
    /// (`invalid_body`) and this message, as a branch refusing the request's shape does.
    Refuse(&'static str),
}

/// A request and its answer, as bytes on the wire.
pub type Exchange = (Vec<u8>, Vec<u8>);

#[derive(Debug, Default)]
struct Shared {
    faults: Mutex<VecDeque<Fault>>,
    upstream: Mutex<Option<SocketAddr>>,
    /// Non-empty: each request goes to the next of these in turn (servers behind one address).
    turns: Mutex<Vec<SocketAddr>>,
    bytes_from_desk: AtomicU64,
    bytes_to_desk: AtomicU64,
    requests: AtomicU64,
    /// The request line of every request (`PUT /api/v1/... HTTP/1.1`) with its fault's name.
    lines: Mutex<Vec<(String, &'static str)>>,
    /// Some: a request whose body is larger is answered 413 by the proxy (as a reverse proxy with
    /// a body limit of its own in front of the branch does).
    body_limit: Mutex<Option<usize>>,
    /// Some: every request is held this long before it is forwarded (a slow line).
    delay_each: Mutex<Option<Duration>>,
    /// Some: every passed request and its answer, as bytes on the wire.
    recorded: Option<Mutex<Vec<Exchange>>>,
}

#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FaultProxy {
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        FaultProxy::start_with(upstream, Shared::default())
    }

    /// A proxy that passes every request and records it with its answer.
    pub fn recording(upstream: SocketAddr) -> FaultProxy {
        FaultProxy::start_with(
            upstream,
            Shared {
                recorded: Some(Mutex::new(Vec::new())),
                ..Shared::default()
            },
        )
    }

    /// The requests passed so far with their answers (a recording proxy).
    pub fn exchanges(&self) -> Vec<Exchange> {
        let recorded = self.shared.recorded.as_ref().expect("a recording proxy");
        recorded.lock().unwrap().clone()
    }

    fn start_with(upstream: SocketAddr, shared: Shared) -> FaultProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the proxy");
        let shared = Arc::new(shared);
        *shared.upstream.lock().unwrap() = Some(upstream);
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("the proxy listens");
        let addr = listener.local_addr().unwrap();
        let accepting = Arc::clone(&shared);
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(connection(stream, Arc::clone(&accepting)));
            }
        });
        FaultProxy {
            addr,
            shared,
            runtime: Some(runtime),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Faults for the next requests, in order; after them, requests pass.
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.faults.lock().unwrap().extend(faults);
    }

    pub fn set_upstream(&self, upstream: SocketAddr) {
        *self.shared.upstream.lock().unwrap() = Some(upstream);
    }

    /// Sends each request to the next of `upstreams` in turn, as a load balancer in front of
    /// several servers of one branch does.
    pub fn alternate(&self, upstreams: &[SocketAddr]) {
        *self.shared.turns.lock().unwrap() = upstreams.to_vec();
    }

    /// Bytes of requests from the desk and of answers to it, as they crossed the proxy.
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.shared.bytes_from_desk.load(Ordering::Relaxed),
            self.shared.bytes_to_desk.load(Ordering::Relaxed),
        )
    }

    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Answers 413 itself to every request whose body is larger than `bytes`.
    pub fn limit_body(&self, bytes: usize) {
        *self.shared.body_limit.lock().unwrap() = Some(bytes);
    }

    /// Holds every later request `pause` before forwarding it.
    pub fn delay_each(&self, pause: Duration) {
        *self.shared.delay_each.lock().unwrap() = Some(pause);
    }

    /// Each request's first line (`PUT /api/v1/documents/…/content?offset=0 HTTP/1.1`) and what
    /// the proxy did with it (`pass`, `cut_request`, `status`, ...), in arrival order.
    pub fn request_lines(&self) -> Vec<(String, &'static str)> {
        self.shared.lines.lock().unwrap().clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn connection(mut desk: TcpStream, shared: Arc<Shared>) {
    // Every answer relayed says `connection: close`: one request per desk connection.
    let Some(request) = read_request(&mut desk).await else {
        return;
    };
    {
        shared.requests.fetch_add(1, Ordering::Relaxed);
        shared
            .bytes_from_desk
            .fetch_add(request.len() as u64, Ordering::Relaxed);
        let fault = shared
            .faults
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Fault::Pass);
        let upstream = {
            let turns = shared.turns.lock().unwrap();
            if turns.is_empty() {
                shared.upstream.lock().unwrap().expect("an upstream")
            } else {
                let turn = shared.requests.load(Ordering::Relaxed) as usize;
                turns[turn % turns.len()]
            }
        };
        let body_bytes = find(&request, b"\r\n\r\n").map_or(0, |at| request.len() - at - 4);
        let limit = *shared.body_limit.lock().unwrap();
        let fault = match limit {
            Some(limit) if body_bytes > limit => Fault::Status(413),
            _ => fault,
        };
        let pause = *shared.delay_each.lock().unwrap();
        if let Some(pause) = pause {
            tokio::time::sleep(pause).await;
        }
        // The request line only: the body may be megabytes of gzip.
        let line_end = find(&request, b"\r\n").unwrap_or(request.len());
        let first_line = String::from_utf8_lossy(&request[..line_end]).into_owned();
        shared
            .lines
            .lock()
            .unwrap()
            .push((first_line, fault_name(&fault)));
        let answer = match fault {
            Fault::Pass if shared.recorded.is_some() => {
                let request = without_header(&request, "accept-encoding:");
                let answer = forward(&request, upstream, None).await;
                if let (Some(recorded), Some(answer)) = (&shared.recorded, &answer) {
                    recorded.lock().unwrap().push((request, answer.clone()));
                }
                answer
            }
            Fault::Pass => forward(&request, upstream, None).await,
            Fault::DropBeforeForward => return,
            Fault::DropAfterForward => {
                let _ = forward(&request, upstream, None).await;
                return;
            }
            Fault::Truncate(length) => {
                if let Some(mut answer) = forward(&request, upstream, None).await {
                    answer.truncate(length.min(answer.len().saturating_sub(1)));
                    send(&mut desk, &answer, &shared).await;
                }
                return;
            }
            Fault::Delay(pause) => {
                tokio::time::sleep(pause).await;
                forward(&request, upstream, None).await
            }
            Fault::Status(413) => Some(own_answer(413, "text/plain", "Request Entity Too Large\n")),
            Fault::Status(status) => Some(own_answer(status, "text/plain", "Bad gateway\n")),
            Fault::CaptivePortal => Some(own_answer(
                200,
                "text/html; charset=utf-8",
                "<!DOCTYPE html><html><head><title>WiFi Klinik - Login</title></head>\
                 <body><form action=\"/login\"><input name=\"voucher\"></form></body></html>",
            )),
            Fault::Signal(sender) => forward(&request, upstream, Some(sender)).await,
            Fault::EditAnswer(edit) => {
                let request = without_header(&request, "accept-encoding:");
                forward(&request, upstream, None)
                    .await
                    .map(|answer| edited(answer, edit))
            }
            Fault::Refuse(message) => {
                let body = serde_json::json!({"error": "invalid_body", "message": message});
                Some(own_answer(422, "application/json", &body.to_string()))
            }
            Fault::CutRequest(length) => {
                if let Ok(mut branch) = TcpStream::connect(upstream).await {
                    let request = closing(&request);
                    let _ = branch
                        .write_all(&request[..length.min(request.len())])
                        .await;
                    let _ = branch.flush().await;
                }
                return;
            }
        };
        let Some(answer) = answer else { return };
        send(&mut desk, &answer, &shared).await;
    }
}

fn fault_name(fault: &Fault) -> &'static str {
    match fault {
        Fault::Pass => "pass",
        Fault::DropBeforeForward => "drop_before_forward",
        Fault::DropAfterForward => "drop_after_forward",
        Fault::Truncate(_) => "truncate",
        Fault::Delay(_) => "delay",
        Fault::Status(_) => "status",
        Fault::CaptivePortal => "captive_portal",
        Fault::Signal(_) => "signal",
        Fault::CutRequest(_) => "cut_request",
        Fault::EditAnswer(_) => "edit_answer",
        Fault::Refuse(_) => "refuse",
    }
}

/// `answer` (a whole HTTP/1.1 answer with a `content-length`) with its JSON body changed by
/// `edit`. Panics (the desk then sees the connection cut) when the body is not plain JSON: an
/// edit that silently did nothing would let a test pass without testing anything.
fn edited(answer: Vec<u8>, edit: fn(&mut serde_json::Value)) -> Vec<u8> {
    let head_end = find(&answer, b"\r\n\r\n").expect("an answer with a head");
    let mut body: serde_json::Value = serde_json::from_slice(&answer[head_end + 4..])
        .unwrap_or_else(|error| {
            panic!(
                "the answer to edit is not plain JSON ({error}): {}",
                String::from_utf8_lossy(&answer[..answer.len().min(300)])
            )
        });
    edit(&mut body);
    let body = serde_json::to_vec(&body).expect("JSON");
    let head = String::from_utf8_lossy(&answer[..head_end]);
    let mut rewritten: Vec<u8> = head
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("content-length:"))
        .flat_map(|line| [line.as_bytes(), b"\r\n"].concat())
        .collect();
    rewritten.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    rewritten.extend_from_slice(&body);
    rewritten
}

async fn send(desk: &mut TcpStream, bytes: &[u8], shared: &Shared) {
    if desk.write_all(bytes).await.is_ok() {
        shared
            .bytes_to_desk
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
    }
    let _ = desk.flush().await;
}

fn own_answer(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} Proxy\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Forwards one request on a new connection asking the branch to close it after the answer, and
/// reads the whole answer. `None` when the branch is not there or the answer is cut.
async fn forward(
    request: &[u8],
    upstream: SocketAddr,
    signal: Option<std::sync::mpsc::Sender<()>>,
) -> Option<Vec<u8>> {
    let mut branch = TcpStream::connect(upstream).await.ok()?;
    branch.write_all(&closing(request)).await.ok()?;
    if let Some(signal) = signal {
        let _ = signal.send(());
    }
    let mut answer = Vec::new();
    branch.read_to_end(&mut answer).await.ok()?;
    (!answer.is_empty()).then_some(answer)
}

/// The request with `connection: close` instead of any connection header.
fn closing(request: &[u8]) -> Vec<u8> {
    let mut rewritten = without_header(request, "connection:");
    let head_end = find(&rewritten, b"\r\n\r\n").map_or(rewritten.len(), |at| at + 2);
    rewritten.splice(head_end..head_end, b"connection: close\r\n".iter().copied());
    rewritten
}

/// The request without the header lines starting with `name` (lower case, with its colon).
fn without_header(request: &[u8], name: &str) -> Vec<u8> {
    let head_end = find(request, b"\r\n\r\n").map_or(request.len(), |at| at + 4);
    let head = String::from_utf8_lossy(&request[..head_end]);
    let lines: Vec<&str> = head
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .filter(|line| !line.to_ascii_lowercase().starts_with(name))
        .collect();
    let mut rewritten = lines.join("\r\n").into_bytes();
    rewritten.extend_from_slice(b"\r\n\r\n");
    rewritten.extend_from_slice(&request[head_end..]);
    rewritten
}

/// Reads one request (head and a content-length body). `None` at end of stream.
async fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at + 4;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    Some(buffer)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
