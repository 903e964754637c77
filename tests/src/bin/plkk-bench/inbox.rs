//! `plkk-bench --inbox`: the branch console's inbox over a branch of 100,000 cases (or
//! `--inbox-cases N`): median and p95 per filter and search, first through the library call the
//! console and `plkk-branch case inbox` make (a fresh connection each time, as each console
//! request has), then as whole pages over HTTP from a running branch (sign-in cookie, HTML
//! rendered).
//!
//! The fill is real: 10 clinics, each with a desk enrolled through `plkk-sync`; every case is
//! pushed through the branch's push path (`admin::push_as_device`, what `POST /push` does) with
//! the branch's clock stepping over two years, so cases are received over time; about half
//! arrive after the 2×24 h deadline, 1 % written by a desk clock ahead of the branch's, 0.5 % get a
//! conflicting correction, and 85 % of those older than 30 days are decided. The filled branch is
//! kept in DIR for the next run.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, FixedOffset, Utc};
use plkk_branch::admin::{self, InboxFilter, InboxQuery, NewOfficer, OfficerRole};
use plkk_protocol::{CaseStatus, PushEntry};
use plkk_tests::branch::TestBranch;
use plkk_tests::samples::{self, Seeded};
use plkk_tests::sync_desk::SyncDesk;
use serde_json::json;
use uuid::Uuid;

use crate::Figures;

const CLINICS: u64 = 10;
const BATCH: usize = 100;
const RUNS: usize = 60;
const PASSWORD: &str = "bench-officer-1";

pub fn inbox_latency(dir: &Path, cases: u64) -> anyhow::Result<()> {
    let data = dir.join(format!("branch-inbox-{cases}"));
    let marker = data.join("filled-until");
    if !marker.exists() {
        if data.exists() {
            std::fs::remove_dir_all(&data)?;
        }
        let started = Instant::now();
        let end = fill(&data, cases)?;
        std::fs::write(&marker, end.to_rfc3339())?;
        println!(
            "inbox: filled {cases} cases in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    let now: DateTime<Utc> = std::fs::read_to_string(&marker)?.trim().parse()?;
    let counts = admin::count_records(&data)?;
    println!(
        "inbox: {} cases, {} corrections, {} conflicts; {RUNS} runs per query, 50 rows a page",
        counts.intakes, counts.corrections, counts.conflicts
    );
    let queries = queries(&data)?;
    println!("library call (admin::inbox, a fresh connection each time):");
    for (label, query) in &queries {
        let mut times = Vec::with_capacity(RUNS);
        let mut rows = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            let page = admin::inbox(&data, query, now)?;
            times.push(started.elapsed());
            rows = page.rows.len();
        }
        println!("  {label:<34} {rows:>3} rows  {}", Figures::of(&mut times));
    }
    http_pages(&data, &queries)?;
    Ok(())
}

/// The filters and searches timed, each alone and a few together.
fn queries(data: &Path) -> anyhow::Result<Vec<(String, InboxQuery)>> {
    let all = InboxQuery::default();
    let with = |change: &dyn Fn(&mut InboxQuery)| {
        let mut query = all.clone();
        change(&mut query);
        query
    };
    let clinic = admin::list_clinics(data, Utc::now())?[3].code.clone();
    let one_filter = |filter: InboxFilter| with(&|q| q.filters = vec![filter]);
    Ok(vec![
        ("no filter (newest)".into(), all.clone()),
        ("page 200".into(), with(&|q| q.page = 200)),
        ("clinic".into(), with(&|q| q.clinic = Some(clinic.clone()))),
        (
            "status received".into(),
            with(&|q| q.status = Some(CaseStatus::Received)),
        ),
        (
            "status guarantee_issued".into(),
            with(&|q| q.status = Some(CaseStatus::GuaranteeIssued)),
        ),
        (
            "segment BPU".into(),
            with(&|q| q.segment = Some(plkk_domain::Segment::Bpu)),
        ),
        ("late (after 2x24 h)".into(), one_filter(InboxFilter::Late)),
        (
            "overdue (undecided > 30 days)".into(),
            one_filter(InboxFilter::Overdue),
        ),
        ("conflict".into(), one_filter(InboxFilter::Conflict)),
        ("desk clock flagged".into(), one_filter(InboxFilter::Clock)),
        (
            "search name 'siti'".into(),
            with(&|q| q.q = Some("siti".into())),
        ),
        (
            "search name 'ra'".into(),
            with(&|q| q.q = Some("ra".into())),
        ),
        (
            "search name 'siti rahma'".into(),
            with(&|q| q.q = Some("siti rahma".into())),
        ),
        (
            "search NIK prefix '3216'".into(),
            with(&|q| q.q = Some("3216".into())),
        ),
        (
            "search NIK prefix '32160545'".into(),
            with(&|q| q.q = Some("32160545".into())),
        ),
        (
            "search KPJ prefix '000000123'".into(),
            with(&|q| q.q = Some("000000123".into())),
        ),
        (
            "clinic + late + overdue".into(),
            with(&|q| {
                q.clinic = Some(clinic.clone());
                q.filters = vec![InboxFilter::Late, InboxFilter::Overdue];
            }),
        ),
        (
            "search 'siti' + segment PU".into(),
            with(&|q| {
                q.q = Some("siti".into());
                q.segment = Some(plkk_domain::Segment::Pu);
            }),
        ),
    ])
}

/// Ten clinics with an enrolled desk each, then `cases` cases received over two years.
fn fill(data: &Path, cases: u64) -> anyhow::Result<DateTime<Utc>> {
    std::fs::create_dir_all(data)?;
    let mut branch = TestBranch::start_in(data, "127.0.0.1:0".parse()?);
    let mut devices = Vec::new();
    for index in 0..CLINICS {
        let code = format!("PLKK-{index:02}");
        let enrolment = branch.clinic_with_code(&code, &format!("Klinik Bench {index:02}"));
        let desk = SyncDesk::new();
        devices.push(desk.enroll(&branch.url(), &enrolment).device_id);
    }
    branch.stop();
    let end = Utc::now();
    let start = end - Span::days(730);
    let step = Span::days(730).num_seconds() as f64 / cases as f64;
    let mut random = Seeded::new(12);
    let mut batches: Vec<Vec<PushEntry>> = vec![Vec::new(); devices.len()];
    let mut decisions: Vec<(Uuid, CaseStatus, DateTime<Utc>)> = Vec::new();
    let mut conflicts: Vec<(usize, Uuid)> = Vec::new();
    for index in 0..cases {
        let received = start + Span::seconds((index as f64 * step) as i64);
        let device = (index % CLINICS) as usize;
        let id = Uuid::now_v7();
        let wib = FixedOffset::east_opt(7 * 3600).expect("WIB");
        let accident =
            (received - Span::minutes(60 + random.below(96 * 60) as i64)).with_timezone(&wib);
        let mut fields = samples::synthetic_intake(&mut random, index);
        fields["id"] = json!(id);
        fields["accident_at"] = json!(accident.to_rfc3339());
        fields["admitted_at"] = json!((accident + Span::minutes(50)).to_rfc3339());
        fields["segment"] = json!(["PU", "BPU", "JAKON", "PMI"][random.below(4) as usize]);
        let ahead = random.below(100) == 0;
        // A desk clock ahead: written after the branch received it (batches arrive later than
        // their cases, so "after" is after the end of the fill).
        let written = if ahead {
            end + Span::minutes(10)
        } else {
            received - Span::minutes(1)
        };
        let entry = json!({
            "entry_id": Uuid::now_v7(), "device_seq": index + 1, "kind": "intake",
            "record_id": id, "intake_id": id,
            "payload": {"intake": fields, "author": "resepsionis",
                        "written_at": written.with_timezone(&wib).to_rfc3339()},
        });
        batches[device].push(serde_json::from_value(entry)?);
        if random.below(200) == 0 {
            conflicts.push((device, id));
        }
        if received < end - Span::days(30) {
            let decided = received + Span::hours(1 + random.below(40 * 24) as i64);
            let roll = random.below(100);
            if roll < 85 {
                let status = [
                    CaseStatus::ConcludedWorkAccident,
                    CaseStatus::ConcludedNotWorkAccident,
                    CaseStatus::NotEligible,
                ][(roll % 3) as usize];
                decisions.push((id, status, decided.min(end)));
            } else if roll < 90 {
                decisions.push((id, CaseStatus::GuaranteeIssued, decided.min(end)));
            }
        }
        if batches[device].len() == BATCH {
            let batch = std::mem::take(&mut batches[device]);
            admin::push_as_device(data, devices[device], &batch, received, None)?;
        }
        if (index + 1) % 20_000 == 0 {
            println!("inbox: fill {} cases", index + 1);
        }
    }
    for (device, batch) in batches.into_iter().enumerate() {
        if !batch.is_empty() {
            admin::push_as_device(data, devices[device], &batch, end, None)?;
        }
    }
    for (index, (device, id)) in conflicts.iter().enumerate() {
        let correction_id = Uuid::now_v7();
        let entry = json!({
            "entry_id": Uuid::now_v7(), "device_seq": cases + 1 + index as u64,
            "kind": "intake_correction", "record_id": correction_id, "intake_id": id,
            "payload": {"id": correction_id, "intake_id": id, "revision": 1,
                        "changes": [{"field": "injury", "from": "not what it was", "to": "Luka bakar"}],
                        "reason": "salah ketik", "author": "resepsionis",
                        "written_at": end.fixed_offset().to_rfc3339()},
        });
        admin::push_as_device(
            data,
            devices[*device],
            &[serde_json::from_value(entry)?],
            end,
            None,
        )?;
    }
    println!("inbox: setting the status of {} cases", decisions.len());
    for (index, (id, status, at)) in decisions.iter().enumerate() {
        let reason = (*status == CaseStatus::NotEligible).then_some("Bukan peserta aktif");
        let reference = (*status == CaseStatus::GuaranteeIssued).then_some("SJ-1");
        admin::set_case_status(data, *id, *status, reason, reference, *at)?;
        if (index + 1) % 20_000 == 0 {
            println!("inbox: {} statuses set", index + 1);
        }
    }
    admin::add_officer(
        data,
        NewOfficer {
            username: "bench",
            display_name: "Bench Officer",
            role: OfficerRole::Viewer,
            password: PASSWORD,
        },
    )?;
    Ok(end)
}

/// The same queries as whole console pages over HTTP (signed in, HTML rendered).
fn http_pages(data: &Path, queries: &[(String, InboxQuery)]) -> anyhow::Result<()> {
    let branch = TestBranch::start_in(data, "127.0.0.1:0".parse()?);
    let addr = branch.addr();
    let (head, _) = request(addr, "GET / HTTP/1.1\r\n", "", "")?;
    let sign_in_token =
        cookie(&head, "plkk_signin").ok_or_else(|| anyhow::anyhow!("no sign-in cookie"))?;
    let body = format!("username=bench&password={PASSWORD}&csrf={sign_in_token}&next=%2F");
    let (head, _) = request(
        addr,
        "POST /sign-in HTTP/1.1\r\ncontent-type: application/x-www-form-urlencoded\r\n",
        &format!("plkk_signin={sign_in_token}"),
        &body,
    )?;
    let session =
        cookie(&head, "plkk_session").ok_or_else(|| anyhow::anyhow!("sign-in refused: {head}"))?;
    println!("whole page over HTTP (GET /?..., signed in, HTML):");
    for (label, query) in queries {
        let path = path_of(query);
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let started = Instant::now();
            let (head, body) = request(
                addr,
                &format!("GET {path} HTTP/1.1\r\n"),
                &format!("plkk_session={session}"),
                "",
            )?;
            times.push(started.elapsed());
            anyhow::ensure!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
            std::hint::black_box(body);
        }
        println!("  {label:<34}      {}", Figures::of(&mut times));
    }
    Ok(())
}

fn path_of(query: &InboxQuery) -> String {
    let mut pairs = Vec::new();
    if let Some(q) = &query.q {
        pairs.push(format!("q={}", q.replace(' ', "+")));
    }
    if let Some(clinic) = &query.clinic {
        pairs.push(format!("clinic={clinic}"));
    }
    if let Some(status) = query.status {
        pairs.push(format!("branch_status={}", status.as_str()));
    }
    if let Some(segment) = query.segment {
        pairs.push(format!("segment={}", segment.as_str()));
    }
    for filter in &query.filters {
        pairs.push(format!("{}=1", filter.as_str()));
    }
    pairs.push(format!("page={}", query.page.max(1)));
    format!("/?{}", pairs.join("&"))
}

/// One HTTP/1.1 request on a fresh connection: the answer's head and body.
fn request(
    addr: SocketAddr,
    start: &str,
    cookie: &str,
    body: &str,
) -> anyhow::Result<(String, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let cookie = if cookie.is_empty() {
        String::new()
    } else {
        format!("cookie: {cookie}\r\n")
    };
    write!(
        stream,
        "{start}host: bench\r\nconnection: close\r\n{cookie}content-length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let split = answer.find("\r\n\r\n").unwrap_or(answer.len());
    Ok((answer[..split].to_owned(), answer[split..].to_owned()))
}

fn cookie(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter_map(|line| line.strip_prefix("set-cookie: "))
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .filter(|value| !value.is_empty())
}
