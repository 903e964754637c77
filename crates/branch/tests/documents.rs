//! Case documents at the branch over real HTTP (issue 13): a `document` entry pushed like any
//! record, its content in chunks with every refusal answered as JSON naming the reason — a chunk
//! that does not start where the branch's copy ends (409), one over the body limit (413), one past
//! the document's end, a whole whose SHA-256 differs (422, the partial copy dropped), another
//! clinic's document and an unknown one (404), a malformed id (400) — and a content held already
//! confirmed without a byte; a removal; an entry naming a size over the limit refused.

mod common;

use common::{error_body, intake_entry, Branch, LIMIT};
use plkk_protocol::{DocumentUpload, Outcome};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn document_entry(intake: Uuid, id: Uuid, sha256: &str, bytes: u64) -> Value {
    json!({
        "entry_id": Uuid::now_v7(), "device_seq": 0, "kind": "document",
        "record_id": id, "intake_id": intake,
        "payload": {"id": id, "intake_id": intake, "kind": "police_report",
                    "media_type": "application/pdf", "sha256": sha256, "bytes": bytes,
                    "original_bytes": bytes, "author": "resepsionis",
                    "written_at": "2025-01-10T09:05:00+07:00"}
    })
}

fn content(bytes: usize) -> Vec<u8> {
    let mut content = b"%PDF-1.4\n".to_vec();
    content.extend((0..bytes as u32).map(|index| (index.wrapping_mul(2_654_435_761) >> 24) as u8));
    content.truncate(bytes);
    content
}

async fn state(branch: &Branch, token: &str, id: Uuid) -> reqwest::Response {
    branch
        .client
        .get(branch.url(&format!("/documents/{id}/content")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn put(
    branch: &Branch,
    token: &str,
    id: &str,
    offset: u64,
    chunk: &[u8],
) -> reqwest::Response {
    branch
        .client
        .put(branch.url(&format!("/documents/{id}/content?offset={offset}")))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(chunk.to_vec())
        .send()
        .await
        .unwrap()
}

async fn upload(answer: reqwest::Response) -> DocumentUpload {
    assert_eq!(answer.status(), StatusCode::OK);
    answer.json().await.unwrap()
}

#[tokio::test]
async fn chunks_are_checked_and_every_refusal_is_named() {
    let branch = Branch::start().await;
    let mut desk = branch.enrol("PLKK-DOK").await;
    let mut other = branch.enrol("PLKK-LAIN").await;
    let (case, id) = (Uuid::now_v7(), Uuid::now_v7());
    let bytes = content(300_000);
    let sha = sha256_hex(&bytes);
    let pushed = branch
        .push_ok(
            &mut desk,
            vec![intake_entry(case), document_entry(case, id, &sha, 300_000)],
        )
        .await;
    assert!(
        pushed
            .receipts
            .iter()
            .all(|r| r.outcome == Outcome::Applied),
        "{pushed:?}"
    );
    let token = desk.token.clone();

    let fresh = upload(state(&branch, &token, id).await).await;
    assert_eq!((fresh.received_bytes, fresh.confirmed), (0, false));
    assert_eq!(fresh.max_chunk_bytes, LIMIT as u64);

    error_body(
        put(&branch, &token, &id.to_string(), 5, &bytes[5..100]).await,
        StatusCode::CONFLICT,
        "offset_mismatch",
    )
    .await;
    let over = vec![0u8; LIMIT + 1];
    error_body(
        put(&branch, &token, &id.to_string(), 0, &over).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    )
    .await;
    error_body(
        put(&branch, &token, "not-a-uuid", 0, b"x").await,
        StatusCode::BAD_REQUEST,
        "invalid_body",
    )
    .await;
    error_body(
        put(&branch, &token, &Uuid::now_v7().to_string(), 0, b"x").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    error_body(
        put(&branch, &other.token, &id.to_string(), 0, &bytes[..10]).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let missing_offset = branch
        .client
        .put(branch.url(&format!("/documents/{id}/content")))
        .bearer_auth(&token)
        .body(b"x".to_vec())
        .send()
        .await
        .unwrap();
    error_body(
        missing_offset,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;

    let first = upload(put(&branch, &token, &id.to_string(), 0, &bytes[..100_000]).await).await;
    assert_eq!((first.received_bytes, first.confirmed), (100_000, false));
    let mut too_long = bytes[100_000..].to_vec();
    too_long.push(0);
    error_body(
        put(&branch, &token, &id.to_string(), 100_000, &too_long).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "past_the_end",
    )
    .await;
    // The rest with one byte changed: the whole does not match, the partial copy is dropped.
    let mut changed = bytes[100_000..].to_vec();
    changed[10] ^= 1;
    error_body(
        put(&branch, &token, &id.to_string(), 100_000, &changed).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sha256_mismatch",
    )
    .await;
    assert_eq!(
        upload(state(&branch, &token, id).await)
            .await
            .received_bytes,
        0,
        "sent again from 0"
    );

    upload(put(&branch, &token, &id.to_string(), 0, &bytes[..200_000]).await).await;
    let done =
        upload(put(&branch, &token, &id.to_string(), 200_000, &bytes[200_000..]).await).await;
    assert!(done.confirmed);
    let stored = std::fs::read(plkk_branch::documents::content_path(
        branch.data_dir(),
        &sha,
    ))
    .unwrap();
    assert_eq!(stored, bytes, "the file under its SHA-256 is the document");
    // A repeat of the last chunk (its answer lost) is answered, not stored again.
    let repeat =
        upload(put(&branch, &token, &id.to_string(), 200_000, &bytes[200_000..]).await).await;
    assert!(repeat.confirmed);

    // The same content in another clinic's case: confirmed without a byte sent.
    let (other_case, other_id) = (Uuid::now_v7(), Uuid::now_v7());
    branch
        .push_ok(
            &mut other,
            vec![
                intake_entry(other_case),
                document_entry(other_case, other_id, &sha, 300_000),
            ],
        )
        .await;
    let held = upload(state(&branch, &other.token, other_id).await).await;
    assert_eq!((held.received_bytes, held.confirmed), (300_000, true));

    // A removal, and an entry naming a size over the limit.
    let removal = json!({
        "entry_id": Uuid::now_v7(), "device_seq": 0, "kind": "document_removal",
        "record_id": Uuid::now_v7(), "intake_id": case,
        "payload": {"id": Uuid::nil(), "document_id": id, "intake_id": case, "reason": "salah pasien",
                    "author": "resepsionis", "written_at": "2025-01-10T09:06:00+07:00"}
    });
    let mut removal = removal;
    removal["payload"]["id"] = removal["record_id"].clone();
    let too_big = document_entry(case, Uuid::now_v7(), &sha, 10_000_001);
    let answered = branch.push_ok(&mut desk, vec![removal, too_big]).await;
    assert_eq!(answered.receipts[0].outcome, Outcome::Applied);
    assert_eq!(answered.receipts[1].outcome, Outcome::Rejected);
    assert_eq!(answered.receipts[1].issues[0].rule, "document_too_large");
    let listed = plkk_branch::admin::list_documents(branch.data_dir(), case).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].removed.as_deref(), Some("salah pasien"));
}

#[tokio::test]
async fn the_bytes_of_a_chunk_cut_short_are_kept_so_the_desk_resumes_after_them() {
    use tokio::io::AsyncWriteExt;
    let branch = Branch::start().await;
    let mut desk = branch.enrol("PLKK-POTONG").await;
    let (case, id) = (Uuid::now_v7(), Uuid::now_v7());
    let bytes = content(120_000);
    let sha = sha256_hex(&bytes);
    branch
        .push_ok(
            &mut desk,
            vec![intake_entry(case), document_entry(case, id, &sha, 120_000)],
        )
        .await;
    // A chunk of 100,000 bytes announced; the line dies after 30,000 of them.
    let address = branch
        .base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "PUT /api/v1/documents/{id}/content?offset=0 HTTP/1.1\r\nhost: {address}\r\n\
         authorization: Bearer {}\r\ncontent-type: application/octet-stream\r\n\
         content-length: 100000\r\n\r\n",
        desk.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&bytes[..30_000]).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(stream);
    let mut held = 0;
    for _ in 0..50 {
        held = upload(state(&branch, &desk.token, id).await)
            .await
            .received_bytes;
        if held > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(held, 30_000, "the bytes that arrived are kept");
    let done = upload(
        put(
            &branch,
            &desk.token,
            &id.to_string(),
            30_000,
            &bytes[30_000..],
        )
        .await,
    )
    .await;
    assert!(done.confirmed, "the whole matched its SHA-256");
}
