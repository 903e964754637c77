//! Pushing the outbox with the audit log riding along. Each request is sized to the line ([`Link`]:
//! JSON bytes, adjusted after every request and saved at once, so the next cycle or the next `plkk
//! sync` starts from it) and to the branch's body limit (asked with `GET /health` when not known,
//! and again when the branch refuses a request as too large). Records go first, planned by
//! `plan_batch`; the desk's audit entries fill the room left, in compact form
//! (`plkk_protocol::AuditBatch`), as many lines as the branch said it takes (its `GET /health`
//! answer's `max_audit_lines`, else 500). Entries are marked `sent` before a request and their
//! receipts stored after it. A record that cannot go even alone under the branch's limit is put in
//! quarantine with a reason naming its size and the limit, and the others flow.
//!
//! Requests overlap: while the branch commits one request, the next waits there and the desk plans
//! the one after, so at most [`MAX_IN_FLIGHT`] are in flight ([`Flight`]); the one after them is
//! planned while they are, and once the oldest is answered its receipts are stored in the same
//! commit that marks the new one `sent`, which then leaves at once (written with the desk's clock
//! as it leaves, and gzipped on its way). Order still holds where it matters: a note or correction
//! whose intake is in a request in flight is deferred (the branch may apply the later request
//! first) and sent once that request's receipts are stored, in the same cycle; and only one request
//! in flight carries audit entries, so the branch receives the chain in order (one planned while an
//! older request with audit entries is in flight takes the entries after that request's). A request
//! that must be sent again smaller (refused as too large, or for its audit entries) first lets the
//! others finish, then the push plans again from the first entry it held; a request planned
//! meanwhile was never marked and is planned again.

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use chrono::Utc;
use plkk_protocol::{
    AuditBatch, AuditRecord, FieldIssue, Payload, PushEntry, PushResponse, MAX_ENTRIES_PER_PUSH,
};
use plkk_store::OutboxEntry;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::client::{BranchClient, Encoded};
use crate::cycle::{now, offset_from, SyncSummary};
use crate::desk_db::DeskDb;
use crate::plan::{plan_batch, BatchLimits, Candidate, Link};
use crate::SyncError;

/// How many outbox rows are read to plan one request: as many as one request may carry (a page of
/// 1,000 read every payload twice over a backlog, a seventh of the desk's time in the push).
const CANDIDATES_PER_PAGE: usize = MAX_ENTRIES_PER_PUSH;
/// How many times a cycle comes back to entries deferred behind a request in flight.
const MAX_REVISITS: usize = 64;
/// How many requests may be in flight at once. Three keep the branch's writer busy: while it
/// commits one, the next waits at the branch, and the desk stores the receipts of the one before
/// (a commit of its own, as long as the branch's) and sends the one after. With two, the
/// writer waited for the desk's commit before every other request (measured with
/// `plkk-bench --sync`: the writer idle a quarter of the time).
const MAX_IN_FLIGHT: usize = 3;
/// The bytes of a `PushRequest` around its entries and audit batch (whose `,"audit":` the audit
/// batch's size counts): `{"entries":[` (12) … `]` (1), `,"desk_time":` (13) and the desk's
/// clock in RFC 3339 with its quotes (at most 37: `"2026-11-30T08:15:00.123456789+07:00"`), and
/// `}` (1): 64, and 5 to spare.
const WRAPPER_BYTES: usize = 64 + 5;
/// The rule code of a record larger than the branch accepts in one request.
pub const TOO_LARGE_RULE: &str = "too_large_for_branch";

/// Pushes everything deliverable and every audit entry the branch lacks. When the branch refuses
/// the audit entries (422: nothing stored), the records still go, without them; that refusal is
/// returned for the cycle to report once it has pulled.
pub(crate) async fn push_all(
    db: &DeskDb,
    client: &BranchClient,
    link: &mut Link,
    summary: &mut SyncSummary,
) -> Result<Option<SyncError>, SyncError> {
    let mut state = PushState {
        after_seq: 0,
        deferred_from: None,
        revisits: 0,
        audit_open: true,
        limit_asked: false,
        audit_refused: None,
    };
    if link.branch_limit.is_none() || link.branch_audit_lines.is_none() {
        ask_limit(client, link, &mut state).await?;
    }
    // Oldest first; at most MAX_IN_FLIGHT.
    let mut in_flight: VecDeque<Flight> = VecDeque::new();
    loop {
        let planned = next_request(db, client, link, &mut state, &in_flight).await;
        let request = match planned {
            Ok(request) => request,
            Err(error) => {
                return Err(settle(db, client, link, &mut state, in_flight, summary, error).await)
            }
        };
        let Some(request) = request else {
            // Nothing more to plan now: let the oldest request in flight finish, then come back
            // to what waited for it.
            if let Some(flight) = in_flight.pop_front() {
                match finish(db, client, link, &mut state, flight, summary, None).await {
                    Ok(Finished::Stored(_)) => {}
                    Ok(Finished::Again(from)) => {
                        if let Err(error) =
                            go_again(db, client, link, &mut state, &mut in_flight, summary, from)
                                .await
                        {
                            return Err(settle(
                                db, client, link, &mut state, in_flight, summary, error,
                            )
                            .await);
                        }
                    }
                    Err(error) => {
                        return Err(
                            settle(db, client, link, &mut state, in_flight, summary, error).await,
                        )
                    }
                }
                continue;
            }
            match state.deferred_from.take() {
                Some(from) if state.revisits < MAX_REVISITS => {
                    state.revisits += 1;
                    plan_again_from(&mut state, Some(from));
                    continue;
                }
                _ => return Ok(state.audit_refused),
            }
        };
        if in_flight.len() < MAX_IN_FLIGHT {
            match start(db, client, link, request, summary).await {
                Ok(flight) => in_flight.push_back(flight),
                Err(error) => {
                    return Err(
                        settle(db, client, link, &mut state, in_flight, summary, error).await,
                    )
                }
            }
            continue;
        }
        // As many in flight as may be: the oldest one's receipts are stored and this request
        // marked sent in one commit, and it leaves.
        let oldest = in_flight.pop_front().expect("requests in flight");
        let finished = finish(
            db,
            client,
            link,
            &mut state,
            oldest,
            summary,
            Some(&request),
        )
        .await;
        match finished {
            Ok(Finished::Stored(Some(newly_sent))) => {
                in_flight.push_back(send(client, link, request, newly_sent, summary));
            }
            Ok(Finished::Stored(None)) => {
                // It was planned with audit entries the branch can no longer take: plan again.
                plan_again_from(&mut state, request.first_seq);
            }
            Ok(Finished::Again(from)) => {
                plan_again_from(&mut state, request.first_seq);
                if let Err(error) =
                    go_again(db, client, link, &mut state, &mut in_flight, summary, from).await
                {
                    return Err(
                        settle(db, client, link, &mut state, in_flight, summary, error).await,
                    );
                }
            }
            Err(error) => {
                return Err(settle(db, client, link, &mut state, in_flight, summary, error).await);
            }
        }
    }
}

/// A request must go again smaller from `from`: the requests still in flight finish first, so
/// nothing is planned twice while it is in flight.
async fn go_again(
    db: &DeskDb,
    client: &BranchClient,
    link: &mut Link,
    state: &mut PushState,
    in_flight: &mut VecDeque<Flight>,
    summary: &mut SyncSummary,
    from: Option<i64>,
) -> Result<(), SyncError> {
    while let Some(other) = in_flight.pop_front() {
        if let Finished::Again(again) =
            finish(db, client, link, state, other, summary, None).await?
        {
            plan_again_from(state, again);
        }
    }
    plan_again_from(state, from);
    Ok(())
}

/// Planning goes back to `from` (an outbox seq) when it is before where it stands.
fn plan_again_from(state: &mut PushState, from: Option<i64>) {
    if let Some(from) = from {
        state.after_seq = state.after_seq.min(from - 1);
    }
}

/// After `error`, lets the requests still in flight finish (their receipts stored, or their
/// entries back to pending when they never reached the branch) and gives back the first error.
async fn settle(
    db: &DeskDb,
    client: &BranchClient,
    link: &mut Link,
    state: &mut PushState,
    in_flight: VecDeque<Flight>,
    summary: &mut SyncSummary,
    error: SyncError,
) -> SyncError {
    for flight in in_flight {
        if let Err(other) = finish(db, client, link, state, flight, summary, None).await {
            tracing::warn!(%other, "a push in flight failed too");
        }
    }
    error
}

/// Where the push stands within a cycle.
struct PushState {
    /// Outbox entries up to this seq were planned (sent, or held back) in this cycle.
    after_seq: i64,
    /// The first entry deferred behind a request in flight: planning comes back to it.
    deferred_from: Option<i64>,
    /// How many times planning came back to deferred entries in this cycle.
    revisits: usize,
    /// False once the branch says it lacks audit entries this desk no longer has.
    audit_open: bool,
    /// The branch was asked its limit in this cycle.
    limit_asked: bool,
    /// The branch refused a push for its audit entries.
    audit_refused: Option<SyncError>,
}

/// A request sent and not yet answered.
struct Flight {
    request: Request,
    /// Its size as JSON (before gzip), what the line is sized in.
    json_bytes: usize,
    /// The entries that were pending until this request (for `mark_unsent`).
    newly_sent: Vec<Uuid>,
    started: Instant,
    /// The answer, and when it came.
    answer: tokio::task::JoinHandle<(Answer, Instant)>,
}

/// The branch's answer to a push and the request's size on the wire.
type Answer = Result<(PushResponse, usize), SyncError>;

/// One request, ready to go: its entries and audit batch serialised when planned; the request
/// is written around them, with the desk's clock, when it is sent.
struct Request {
    entries: Vec<Box<RawValue>>,
    audit: Option<Box<RawValue>>,
    entry_ids: Vec<Uuid>,
    /// The outbox seq of its first entry (planning comes back there if it must go again).
    first_seq: Option<i64>,
    /// The intakes among its entries.
    intakes: HashSet<Uuid>,
    record_bytes: usize,
    audit_bytes: usize,
    /// The seq of the last audit entry in it.
    audit_through: Option<i64>,
    audit_lines: usize,
}

async fn ask_limit(
    client: &BranchClient,
    link: &mut Link,
    state: &mut PushState,
) -> Result<(), SyncError> {
    let health = client.health().await?;
    state.limit_asked = true;
    let size = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
    link.branch_limit = health.max_body_bytes.map(size);
    link.branch_audit_lines = Some(health.max_audit_lines.map_or(MAX_ENTRIES_PER_PUSH, size));
    Ok(())
}

/// Plans the next request: the records that fit, then audit entries in the room left. `None`
/// when there is nothing left to send.
async fn next_request(
    db: &DeskDb,
    client: &BranchClient,
    link: &mut Link,
    state: &mut PushState,
    in_flight: &VecDeque<Flight>,
) -> Result<Option<Request>, SyncError> {
    let intakes_in_flight: HashSet<Uuid> = in_flight
        .iter()
        .flat_map(|flight| flight.request.intakes.iter().copied())
        .collect();
    let (entries, pieces, considered_through, first_seq, intakes) = loop {
        let budget = link.request_bytes();
        let after_seq = state.after_seq;
        let page = db
            .call(move |store| plkk_store::push_candidates(store, after_seq, CANDIDATES_PER_PAGE))
            .await?;
        if page.is_empty() {
            break (Vec::new(), Vec::new(), None, None, HashSet::new());
        }
        let limits = BatchLimits {
            max_entries: MAX_ENTRIES_PER_PUSH,
            max_bytes: budget.saturating_sub(WRAPPER_BYTES),
        };
        // Only as many entries are read into their types as one request could take: the rest of
        // the page is read again for the next request.
        let mut pieces = Vec::new();
        let mut read_bytes = 0;
        for entry in &page {
            if pieces.len() >= limits.max_entries || read_bytes > limits.max_bytes {
                break;
            }
            let piece = push_entry(entry)?;
            read_bytes += piece.1 + 1;
            pieces.push(piece);
        }
        let page = &page[..pieces.len()];
        let candidates: Vec<Candidate> = page
            .iter()
            .zip(&pieces)
            .map(|(entry, (_, bytes))| Candidate::of(entry, bytes + 1))
            .collect();
        let plan = plan_batch(&candidates, limits, &intakes_in_flight);
        if let Some(deferred) = plan.deferred_from {
            state.deferred_from = Some(
                state
                    .deferred_from
                    .map_or(deferred, |from| from.min(deferred)),
            );
        }
        let Some(&first) = plan.selected.first() else {
            state.after_seq = plan
                .considered_through
                .unwrap_or_else(|| page.last().map_or(after_seq, |entry| entry.seq));
            continue;
        };
        let alone = WRAPPER_BYTES + pieces[first].1;
        if let Some(limit) = link.branch_limit.filter(|&limit| alone > limit) {
            if !state.limit_asked {
                // The limit may have been raised since it was learned: ask before refusing.
                ask_limit(client, link, state).await?;
                continue;
            }
            quarantine_too_large(db, &page[first], alone, Some(limit)).await?;
            continue;
        }
        let mut selected = Vec::new();
        let mut selected_pieces = Vec::new();
        let mut intakes = HashSet::new();
        let mut pieces = pieces.into_iter().map(Some).collect::<Vec<_>>();
        for &index in &plan.selected {
            selected_pieces.extend(pieces[index].take());
            selected.push(page[index].entry_id);
            if !page[index].kind.waits_for_intake() {
                intakes.insert(page[index].intake_id);
            }
        }
        let first_seq = Some(page[first].seq);
        break (
            selected,
            selected_pieces,
            plan.considered_through,
            first_seq,
            intakes,
        );
    };
    if let Some(through) = considered_through {
        // Planned: the next request starts after these (a request sent again comes back).
        state.after_seq = through;
    }
    let record_bytes: usize = pieces.iter().map(|(_, bytes)| bytes + 1).sum();
    let room = link
        .request_bytes()
        .saturating_sub(WRAPPER_BYTES + record_bytes);
    // One request in flight with audit entries at a time: the branch gets the chain in order.
    // With MAX_IN_FLIGHT in flight this request leaves once the oldest is answered, so only the
    // others must carry none (otherwise it leaves at once: none may); the entries follow those
    // of any request in flight.
    let leaves_after_oldest = usize::from(in_flight.len() == MAX_IN_FLIGHT);
    let audit_in_flight = in_flight
        .iter()
        .skip(leaves_after_oldest)
        .any(|flight| flight.request.audit_through.is_some());
    let audit_after = in_flight
        .iter()
        .filter_map(|flight| flight.request.audit_through)
        .max()
        .unwrap_or(0);
    let audit = if state.audit_open && !audit_in_flight {
        audit_batch(
            db,
            audit_after,
            link.audit_lines(),
            room,
            entries.is_empty(),
        )
        .await?
    } else {
        None
    };
    if entries.is_empty() && audit.is_none() {
        return Ok(None);
    }
    let (audit_bytes, audit_through, audit_lines) = audit.as_ref().map_or((0, None, 0), |audit| {
        (audit.json.get().len(), Some(audit.last_seq), audit.lines)
    });
    Ok(Some(Request {
        entries: pieces.into_iter().map(|(entry, _)| entry).collect(),
        audit: audit.map(|audit| audit.json),
        entry_ids: entries,
        first_seq,
        intakes,
        record_bytes,
        audit_bytes,
        audit_through,
        audit_lines,
    }))
}

/// A [`PushRequest`] as the desk writes it: each entry and the audit batch serialised once, when
/// planned (their sizes decide what fits), and written into the request as they are when it is
/// sent.
#[derive(serde::Serialize)]
struct OutgoingRequest<'a> {
    entries: &'a [Box<RawValue>],
    #[serde(skip_serializing_if = "Option::is_none")]
    audit: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    desk_time: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// The audit entries of a request, serialised: an [`AuditBatch`] as JSON.
struct AuditPiece {
    json: Box<RawValue>,
    /// The seq of the last entry in it.
    last_seq: i64,
    lines: usize,
}

/// The audit entries the branch lacks after `after_seq`, at most `most` of them, that fit in
/// `room` bytes (at least one when `alone`: the request carries nothing else), in compact form.
async fn audit_batch(
    db: &DeskDb,
    after_seq: i64,
    most: usize,
    room: usize,
    alone: bool,
) -> Result<Option<AuditPiece>, SyncError> {
    let entries = db
        .call(move |store| plkk_store::unsent_audit_after(store, after_seq, most))
        .await?;
    let records: Vec<AuditRecord> = entries.into_iter().map(audit_record).collect();
    let Some(mut batch) = AuditBatch::pack(&records, record_hash) else {
        return Ok(None);
    };
    let header = serde_json::to_vec(&AuditBatch {
        lines: Vec::new(),
        actors: Vec::new(),
        ..batch.clone()
    })
    .map_err(corrupt)?
    .len()
        + ",\"audit\":".len();
    let mut used = header;
    let mut fitting = 0;
    let mut named = 0;
    for line in &batch.lines {
        // The line and its comma, and its actor's name and comma when it is the first to name
        // it (actors are numbered in order of first appearance).
        let mut bytes = serde_json::to_vec(line).map_err(corrupt)?.len() + 1;
        let names_new_actor = line.actor as usize == named;
        if names_new_actor {
            let actor = &batch.actors[named];
            bytes += serde_json::to_vec(actor).map_err(corrupt)?.len() + 1;
        }
        if used + bytes > room {
            break;
        }
        used += bytes;
        named += usize::from(names_new_actor);
        fitting += 1;
    }
    if fitting == 0 && alone {
        fitting = 1;
    }
    if fitting == 0 {
        return Ok(None);
    }
    batch.truncate(fitting);
    let json = serde_json::value::to_raw_value(&batch).map_err(corrupt)?;
    Ok(Some(AuditPiece {
        json,
        last_seq: records[fitting - 1].seq,
        lines: fitting,
    }))
}

/// Marks the request's entries `sent`, then sends it; the answer is awaited by [`finish`].
async fn start(
    db: &DeskDb,
    client: &BranchClient,
    link: &Link,
    request: Request,
    summary: &mut SyncSummary,
) -> Result<Flight, SyncError> {
    let ids = request.entry_ids.clone();
    let marked = now();
    let newly_sent = db
        .call(move |store| plkk_store::mark_sent(store, &ids, marked))
        .await?;
    Ok(send(client, link, request, newly_sent, summary))
}

/// Sends a request whose entries are marked `sent` (`newly_sent` of them were pending).
fn send(
    client: &BranchClient,
    link: &Link,
    mut request: Request,
    newly_sent: Vec<Uuid>,
    summary: &mut SyncSummary,
) -> Flight {
    summary.sent += request.entry_ids.len() as u64;
    summary.push_requests += 1;
    let json = serde_json::to_vec(&OutgoingRequest {
        entries: &std::mem::take(&mut request.entries),
        audit: request.audit.take().as_deref(),
        // The desk's clock as it sends (not when it planned: a request may wait for the one
        // before it): the branch judges "now" rules against it and keeps the difference.
        desk_time: Some(now()),
    })
    .expect("JSON already serialised and a time serialise");
    let json_bytes = json.len();
    let started = Instant::now();
    let (sender, timeout) = (client.clone(), link.timeout_for(json_bytes));
    let answer = tokio::spawn(async move {
        let answer = sender.push(Encoded::json(json), timeout).await;
        (answer, Instant::now())
    });
    Flight {
        request,
        json_bytes,
        newly_sent,
        started,
        answer,
    }
}

/// What became of a request in flight.
enum Finished {
    /// Its receipts are stored; the next request, when one was given, was marked sent in the
    /// same commit (these of its entries were pending until then); `None` when it was not,
    /// because it carries audit entries the branch can no longer take.
    Stored(Option<Vec<Uuid>>),
    /// It must go again smaller, planning from this outbox seq (its first entry).
    Again(Option<i64>),
}

/// Awaits a request's answer and stores what came back (marking `next` sent in the same commit);
/// adjusts and saves the link either way.
async fn finish(
    db: &DeskDb,
    client: &BranchClient,
    link: &mut Link,
    state: &mut PushState,
    flight: Flight,
    summary: &mut SyncSummary,
    next: Option<&Request>,
) -> Result<Finished, SyncError> {
    let Flight {
        request,
        json_bytes,
        newly_sent,
        started,
        answer,
    } = flight;
    let (result, answered) = answer.await.map_err(|_| SyncError::EngineStopped)?;
    let elapsed = answered.duration_since(started);
    let again = Finished::Again(request.first_seq);
    let (answer, wire_bytes) = match result {
        Ok(answered) => answered,
        Err(error) => {
            let audit_refused = request.audit_through.is_some() && error.refused_body();
            if error.never_reached_branch() || error.too_large() || audit_refused {
                db.call(move |store| plkk_store::mark_unsent(store, &newly_sent))
                    .await?;
            }
            if error.too_large() {
                refused_as_too_large(db, client, link, state, &request, json_bytes).await?;
                return Ok(again);
            }
            if audit_refused {
                // Nothing was stored: send the records again without the audit entries.
                tracing::warn!(%error, "the branch refused this desk's audit entries");
                state.audit_open = false;
                state.audit_refused = Some(error);
                // Asked again next cycle: the branch may take fewer lines than it said (an
                // older branch put back in its place). Saved now: the records may all be
                // stored already, and no later answer would save the line.
                link.branch_audit_lines = None;
                save_link(db, link).await?;
                return Ok(again);
            }
            if error.line_failed() {
                link.after_failure(json_bytes);
                save_link(db, link).await?;
            }
            return Err(error);
        }
    };
    link.after_success(json_bytes, elapsed);
    summary.bytes_pushed += wire_bytes as u64;
    summary.record_json_bytes += request.record_bytes as u64;
    summary.audit_json_bytes += request.audit_bytes as u64;
    summary.clock_offset_seconds = Some(offset_from(answer.server_time));
    let batch_ids: HashSet<Uuid> = request.entry_ids.iter().copied().collect();
    let receipts: Vec<_> = answer
        .receipts
        .into_iter()
        .filter(|receipt| batch_ids.contains(&receipt.entry_id))
        .collect();
    let audit = answer.audit.filter(|_| request.audit_through.is_some());
    let acked = audit.as_ref().map(|audit| audit.acked_seq);
    // Audit entries planned after these are only good when the branch holds these.
    let audit_holds = match (acked, request.audit_through) {
        (Some(acked), Some(through)) => acked >= through,
        _ => true,
    };
    // An answer without its audit part is refused below, once the receipts are stored: the
    // next request is then not marked, as it will not be sent.
    let answer_whole = request.audit_through.is_none() || audit.is_some();
    let next_ids = next
        .filter(|next| answer_whole && (audit_holds || next.audit_through.is_none()))
        .map(|next| next.entry_ids.clone());
    let stored_link = plkk_store::SyncLink::from(*link);
    // Receipts, the audit acknowledgement, the line and the next request's entries: one commit.
    let (tally, next_sent) = db
        .call(move |store| {
            let then_sent = next_ids.as_deref().unwrap_or_default();
            let (tally, newly_sent) = plkk_store::store_push_answer(
                store,
                &receipts,
                acked,
                &stored_link,
                now(),
                then_sent,
            )?;
            Ok((tally, next_ids.map(|_| newly_sent)))
        })
        .await?;
    summary.confirmed += tally.confirmed;
    summary.rejected += tally.rejected;
    summary.conflicts += tally.conflicts;
    if let (Some(audit), Some(through)) = (audit, request.audit_through) {
        summary.audit_sent += request.audit_lines as u64;
        for found in &audit.breaks {
            tracing::warn!(seq = found.seq, kind = %found.kind, "the branch found a break in this desk's audit log: {}", found.message);
        }
        summary.audit_breaks += audit.breaks.len() as u64;
        if audit.acked_seq < through {
            // The branch lacks an earlier entry it cannot get from this desk (removed here): it
            // has flagged the break; sending again now would send the same entries.
            state.audit_open = false;
        }
    } else if request.audit_through.is_some() {
        return Err(SyncError::UnexpectedResponse {
            url: client.url().to_owned(),
            what: "a push with audit entries was answered without an audit answer".to_owned(),
        });
    }
    Ok(Finished::Stored(next_sent))
}

/// The branch refused a request as too large (413; nothing of it was stored): ask its limit, send
/// less next time, and put a record that was alone in the request in quarantine.
async fn refused_as_too_large(
    db: &DeskDb,
    client: &BranchClient,
    link: &mut Link,
    state: &mut PushState,
    request: &Request,
    json_bytes: usize,
) -> Result<(), SyncError> {
    ask_limit(client, link, state).await?;
    link.after_failure(json_bytes);
    save_link(db, link).await?;
    let alone = request.entry_ids.len() == 1 && request.audit_through.is_none();
    if alone {
        let entry_id = request.entry_ids[0];
        let issues = vec![too_large_issue(json_bytes, link.branch_limit)];
        let quarantined = db
            .call(move |store| {
                plkk_store::quarantine_undeliverable(store, entry_id, &issues, Utc::now())
            })
            .await?;
        tracing::warn!(%entry_id, json_bytes, quarantined, "the branch refused a record alone as too large");
        return Ok(());
    }
    if request.entry_ids.is_empty() && request.audit_lines <= 1 {
        // One audit entry larger than the branch accepts: it cannot be delivered this way.
        state.audit_open = false;
        tracing::warn!(
            json_bytes,
            "the branch refused one audit entry as too large"
        );
    }
    Ok(())
}

async fn quarantine_too_large(
    db: &DeskDb,
    entry: &OutboxEntry,
    request_bytes: usize,
    limit: Option<usize>,
) -> Result<(), SyncError> {
    let entry_id = entry.entry_id;
    let issues = vec![too_large_issue(request_bytes, limit)];
    tracing::warn!(%entry_id, request_bytes, ?limit, "a record is larger than the branch accepts");
    db.call(move |store| {
        plkk_store::quarantine_undeliverable(store, entry_id, &issues, Utc::now())
    })
    .await?;
    Ok(())
}

/// Why a record waits in quarantine when it cannot go even alone: its size and the branch's limit.
fn too_large_issue(request_bytes: usize, limit: Option<usize>) -> FieldIssue {
    let message = match limit {
        Some(limit) => format!(
            "record: {request_bytes} bytes, larger than the {limit} bytes the branch accepts in one request; shorten its longest text (e.g. the chronology) or ask the branch to raise max_body_bytes, then send it again"
        ),
        None => format!(
            "record: {request_bytes} bytes, refused by the branch as too large even alone; shorten its longest text (e.g. the chronology), then send it again"
        ),
    };
    let mut params = std::collections::BTreeMap::new();
    params.insert("size".to_owned(), request_bytes.to_string());
    if let Some(limit) = limit {
        params.insert("max_bytes".to_owned(), limit.to_string());
    }
    FieldIssue {
        field: "record".to_owned(),
        rule: TOO_LARGE_RULE.to_owned(),
        severity: "error".to_owned(),
        message,
        params,
    }
}

async fn save_link(db: &DeskDb, link: &Link) -> Result<(), SyncError> {
    let stored = plkk_store::SyncLink::from(*link);
    db.call(move |store| plkk_store::save_sync_link(store, &stored, now()))
        .await
}

/// One entry of the push request's `entries` as JSON, its stored payload read back into its type
/// first (so what leaves the desk is what the branch's parser accepts), and its size (bytes).
fn push_entry(entry: &OutboxEntry) -> Result<(Box<RawValue>, usize), SyncError> {
    let payload = Payload::from_json(entry.kind, &entry.payload).map_err(|error| {
        SyncError::Store(plkk_store::StoreError::Corrupt(format!(
            "outbox entry {} payload: {error}",
            entry.entry_id
        )))
    })?;
    let entry = serde_json::value::to_raw_value(&PushEntry {
        entry_id: entry.entry_id,
        device_seq: entry.seq,
        record_id: entry.record_id,
        intake_id: entry.intake_id,
        payload,
    })
    .map_err(corrupt)?;
    let bytes = entry.get().len();
    Ok((entry, bytes))
}

fn audit_record(entry: plkk_domain::AuditEntry) -> AuditRecord {
    AuditRecord {
        seq: entry.seq,
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        subject: entry.subject,
        detail: entry.detail,
        prev_hash: entry.prev_hash,
        hash: entry.hash,
    }
}

/// The hash an audit record's content should have (the chain rule of `plkk_domain`).
fn record_hash(record: &AuditRecord) -> String {
    plkk_domain::AuditEntry {
        seq: record.seq,
        at: record.at,
        actor: record.actor.clone(),
        action: record.action.clone(),
        subject: record.subject.clone(),
        detail: record.detail.clone(),
        prev_hash: record.prev_hash.clone(),
        hash: String::new(),
    }
    .computed_hash()
}

fn corrupt(error: serde_json::Error) -> SyncError {
    SyncError::Store(plkk_store::StoreError::Json(error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plkk_protocol::{EntryKind, PushRequest};
    use plkk_store::SyncState;

    /// What the desk writes is a `PushRequest` the branch reads back whole: the entries and the
    /// audit batch written as serialised when planned.
    #[test]
    fn the_request_as_written_is_the_push_request_the_branch_reads() {
        let note = r#"{"id": "019ab5d2-7c00-7000-8000-000000000001", "intake_id": "019ab5d2-7c00-7000-8000-000000000002",
            "written_at": "2026-11-24T09:00:00+07:00", "author": "sari", "text": "Luka \"robek\" dijahit", "pulse": 88}"#;
        let entry = OutboxEntry {
            seq: 7,
            entry_id: Uuid::now_v7(),
            kind: EntryKind::Note,
            record_id: "019ab5d2-7c00-7000-8000-000000000001".parse().unwrap(),
            intake_id: "019ab5d2-7c00-7000-8000-000000000002".parse().unwrap(),
            payload: note.to_owned(),
            state: SyncState::Pending,
            intake_state: Some(SyncState::Confirmed),
        };
        let (raw, bytes) = push_entry(&entry).unwrap();
        assert_eq!(bytes, raw.get().len());
        let at = now();
        let audit = AuditBatch {
            first_seq: 3,
            prev_hash: "0".repeat(64),
            actors: vec!["sari".to_owned()],
            lines: vec![plkk_protocol::AuditLine {
                seq: None,
                at,
                actor: 0,
                action: "add_note".to_owned(),
                subject: None,
                detail: None,
                hash: None,
                prev_hash: None,
            }],
        };
        let audit_json = serde_json::value::to_raw_value(&audit).unwrap();
        let json = serde_json::to_vec(&OutgoingRequest {
            entries: &[raw],
            audit: Some(&audit_json),
            desk_time: Some(at),
        })
        .unwrap();
        let read: PushRequest = serde_json::from_slice(&json).unwrap();
        let expected = PushRequest {
            entries: vec![PushEntry {
                entry_id: entry.entry_id,
                device_seq: 7,
                record_id: entry.record_id,
                intake_id: entry.intake_id,
                payload: Payload::from_json(EntryKind::Note, note).unwrap(),
            }],
            audit: Some(audit),
            desk_time: Some(at),
        };
        assert_eq!(read, expected);
        assert_eq!(
            json,
            serde_json::to_vec(&expected).unwrap(),
            "byte for byte"
        );
    }
}
