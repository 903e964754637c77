//! Issue 8, item 12: an 8 KiB gzip request made the branch allocate 360 MiB (a payload of many
//! tiny nested arrays parsed into a generic JSON value before any check). Against a real
//! `plkk-branch` process: hostile bodies of nested arrays in every place a generic value used to
//! hold them are refused, stored data stay as they were, and the process's peak resident memory
//! (VmHWM) grows by no more than a small multiple of the bodies it accepted.

use std::io::Write;

use plkk_tests::branch_process::BranchProcess;
use serde_json::{json, Value};
use uuid::Uuid;

const MIB: usize = 1024 * 1024;
/// The branch's body limit in this test: the default (8 MiB).
const BODY: usize = plkk_protocol::MAX_BODY_BYTES;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// `head` + `[[],[],...]` + `tail`, just under the body limit once decompressed.
fn nested(head: &str, tail: &str) -> Vec<u8> {
    let room = BODY - head.len() - tail.len() - 2;
    let count = room / 3;
    let mut body = String::with_capacity(BODY);
    body.push_str(head);
    body.push('[');
    for index in 0..count {
        if index > 0 {
            body.push(',');
        }
        body.push_str("[]");
    }
    body.push(']');
    body.push_str(tail);
    assert!(body.len() <= BODY);
    body.into_bytes()
}

fn entry_head(kind: &str) -> String {
    let id = Uuid::now_v7();
    format!(
        r#"{{"entries": [{{"entry_id": "{}", "device_seq": 1, "kind": "{kind}", "record_id": "{id}", "intake_id": "{id}", "payload": "#,
        Uuid::now_v7()
    )
}

/// Each hostile body with the route it goes to.
fn hostile_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let id = Uuid::now_v7();
    vec![
        // In a field of the intake record.
        (
            "/push",
            nested(
                &format!(r#"{}{{"intake": {{"nik": "#, entry_head("intake")),
                r#"}, "author": "a", "written_at": "2026-11-24T09:00:00+07:00"}}]}"#,
            ),
        ),
        // As the whole payload.
        ("/push", nested(&entry_head("note"), "}]}")),
        // As the payload, before the entry's kind is known.
        (
            "/push",
            nested(
                r#"{"entries": [{"payload": "#,
                &format!(
                    r#", "entry_id": "{id}", "device_seq": 1, "kind": "note", "record_id": "{id}", "intake_id": "{id}"}}]}}"#
                ),
            ),
        ),
        // In a note's ICD-10 codes (a list where texts belong).
        (
            "/push",
            nested(
                &format!(
                    r#"{}{{"id": "{id}", "intake_id": "{id}", "written_at": "2026-11-24T09:00:00+07:00", "author": "a", "icd10": "#,
                    entry_head("note")
                ),
                "}]}",
            ),
        ),
        // In an audit entry's detail.
        (
            "/audit",
            nested(
                r#"{"entries": [{"seq": 1, "at": "2026-11-24T09:00:00+07:00", "actor": "a", "action": "admit", "subject": null, "detail": "#,
                r#", "prev_hash": "0", "hash": "0"}]}"#,
            ),
        ),
        // As the entries themselves.
        ("/push", nested(r#"{"entries": "#, "}")),
    ]
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    route: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = client
        .post(format!("{base}{route}"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(body)
        .send()
        .await
        .expect("the branch answers");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON reason");
    (status, body)
}

#[test]
fn nested_arrays_in_any_body_keep_the_branchs_memory_proportional_to_the_body() {
    let branch = BranchProcess::start("");
    let code = branch.clinic_with_code("PLKK-MEM");
    let base = format!("http://{}/api/v1", branch.addr());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::new();
    let token = runtime.block_on(async {
        let enrolled: Value = client
            .post(format!("{base}/enroll"))
            .json(&json!({"code": code, "device_name": "Meja"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        enrolled["token"].as_str().unwrap().to_owned()
    });
    let idle_kib = branch.memory_kib("VmHWM");
    let bodies = hostile_bodies();
    let wire: Vec<usize> = bodies.iter().map(|(_, body)| gzip(body).len()).collect();
    assert!(
        wire.iter().all(|&size| size < 64 * 1024),
        "small on the wire: {wire:?}"
    );
    // Warm up: one hostile body of each kind, so the allocator has its pools.
    runtime.block_on(async {
        for (route, body) in &bodies {
            send(&client, &base, &token, route, gzip(body)).await;
        }
    });
    let counts = branch.counts();
    let before_kib = branch.memory_kib("VmHWM");

    let mut answers = Vec::new();
    runtime.block_on(async {
        for (route, body) in &bodies {
            answers.push(send(&client, &base, &token, route, gzip(body)).await);
        }
        // Four at once, as in the report.
        let (route, body) = &bodies[2];
        let zipped = gzip(body);
        let four = (0..4).map(|_| {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            let (route, zipped) = (*route, zipped.clone());
            async move { send(&client, &base, &token, route, zipped).await }
        });
        answers.extend(futures_join(four).await);
    });
    let after_kib = branch.memory_kib("VmHWM");
    for (status, body) in &answers {
        assert!(
            matches!(status, 400 | 422),
            "refused as malformed or of the wrong shape: {status} {body}"
        );
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{body}"
        );
    }
    assert_eq!(branch.counts(), counts, "stored data unchanged");
    let growth = (after_kib.saturating_sub(before_kib) as usize) * 1024;
    // At most four bodies are in flight at once.
    let bound = 4 * 4 * BODY + 16 * MIB;
    let from_idle = (after_kib.saturating_sub(idle_kib) as usize) * 1024;
    println!(
        "VmHWM idle {} MiB, after a first round {} MiB, after a second round and four at once {} MiB: \
         growth {} MiB from idle, {} MiB in the second round; bound {} MiB (bodies of {} MiB, {} KiB gzipped)",
        idle_kib / 1024,
        before_kib / 1024,
        after_kib / 1024,
        from_idle / MIB,
        growth / MIB,
        bound / MIB,
        BODY / MIB,
        wire.iter().max().unwrap() / 1024
    );
    assert!(
        from_idle <= bound,
        "peak memory grew by {} MiB from idle for bodies of {} MiB",
        from_idle / MIB,
        BODY / MIB
    );
    assert!(
        growth <= bound,
        "peak memory grew by {} MiB for bodies of {} MiB",
        growth / MIB,
        BODY / MIB
    );
    let health = runtime.block_on(async {
        client
            .get(format!("{base}/health"))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(health.as_u16(), 200, "the branch keeps serving");
}

/// Runs the futures concurrently and collects their outputs in order.
async fn futures_join<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.expect("a request task"));
    }
    outputs
}
