//! Issue 8, item 14: the OpenAPI document must match the server exactly. Two desks sync through a
//! recording proxy with a real branch (enrolment, pushes with applied and conflicting corrections,
//! pulls of records, statuses and conflicts, audit pushes); every request body the desks sent and
//! every answer they got is validated against the document with a JSON Schema validator, as are
//! the answers to bad requests made directly (each with a status the document lists).

use std::io::Read;

use chrono::Utc;
use plkk_tests::branch::TestBranch;
use plkk_tests::fault_proxy::FaultProxy;
use plkk_tests::sync_desk::{now, object, SyncDesk};
use serde_json::{json, Value};

/// The document as the branch serves it.
fn fetch_document(branch: &TestBranch) -> Value {
    block(async {
        reqwest::get(format!("{}/api/v1/openapi.json", branch.url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn block<F: std::future::Future>(future: F) -> F::Output {
    plkk_tests::sync_desk::block_on(future)
}

/// A validator of `schema` (often a `$ref` into the document's components).
fn validator(document: &Value, schema: &Value, what: &str) -> jsonschema::Validator {
    let mut root = json!({ "components": document["components"].clone() });
    for (keyword, value) in schema.as_object().expect("a schema object") {
        root[keyword] = value.clone();
    }
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&root)
        .unwrap_or_else(|error| panic!("the schema for {what} compiles: {error}"))
}

/// Checks `instance` against `schema`.
fn validate(document: &Value, schema: &Value, instance: &Value, what: &str) {
    let validator = validator(document, schema, what);
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match the document: {errors:#?}\n{instance}"
    );
}

/// The operation of `method` on `path` (a route of the document).
fn operation<'a>(document: &'a Value, method: &str, path: &str) -> &'a Value {
    let operation = &document["paths"][path][method.to_ascii_lowercase()];
    assert!(operation.is_object(), "{method} {path} is documented");
    operation
}

/// The schema of the answer `status` of an operation (which must be documented).
fn answer_schema<'a>(operation: &'a Value, status: u16, what: &str) -> &'a Value {
    let answer = &operation["responses"][status.to_string()];
    assert!(answer.is_object(), "{what}: status {status} is documented");
    &answer["content"]["application/json"]["schema"]
}

/// One HTTP/1.1 message as recorded: the first line's parts, the body (gunzipped) as JSON.
struct Message {
    start: (String, String),
    status: u16,
    body: Option<Value>,
}

fn parse(bytes: &[u8], request: bool) -> Message {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let (head_length, start, status, gzipped) = if request {
        let mut parsed = httparse::Request::new(&mut headers);
        let length = parsed.parse(bytes).unwrap().unwrap();
        let gzipped = parsed
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("content-encoding") && h.value == b"gzip");
        let start = (
            parsed.method.unwrap().to_owned(),
            parsed.path.unwrap().to_owned(),
        );
        (length, start, 0, gzipped)
    } else {
        let mut parsed = httparse::Response::new(&mut headers);
        let length = parsed.parse(bytes).unwrap().unwrap();
        let chunked = parsed
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("transfer-encoding") && h.value != b"identity");
        assert!(!chunked, "answers without gzip carry one plain body");
        (
            length,
            (String::new(), String::new()),
            parsed.code.unwrap(),
            false,
        )
    };
    let mut body = bytes[head_length..].to_vec();
    if gzipped {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut plain)
            .unwrap();
        body = plain;
    }
    Message {
        start,
        status,
        body: (!body.is_empty()).then(|| serde_json::from_slice(&body).expect("a JSON body")),
    }
}

/// Validates a recorded exchange: the request's body and query against the operation, the
/// answer against the schema of its status.
fn check_exchange(document: &Value, request: &[u8], answer: &[u8]) -> String {
    let request = parse(request, true);
    let answer = parse(answer, false);
    let (method, target) = &request.start;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let what = format!("{method} {target} -> {}", answer.status);
    let operation = operation(document, method, path);
    if let Some(body) = &request.body {
        let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
        validate(document, schema, body, &format!("the request of {what}"));
    }
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap();
        let parameter = operation["parameters"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["name"] == name && p["in"] == "query"))
            .unwrap_or_else(|| panic!("{what}: query parameter {name} is documented"));
        let value: Value = value.parse::<i64>().map(Value::from).unwrap();
        validate(
            document,
            &parameter["schema"],
            &value,
            &format!("{name} of {what}"),
        );
    }
    let schema = answer_schema(operation, answer.status, &what);
    let body = answer.body.expect("an answer body");
    validate(document, schema, &body, &format!("the answer of {what}"));
    what
}

#[test]
fn what_desks_send_and_receive_matches_the_openapi_document() {
    let branch = TestBranch::start();
    let document = fetch_document(&branch);
    let proxy = FaultProxy::recording(branch.addr());
    let clinic = "PLKK-API";
    let code_a = branch.clinic_with_code(clinic, "Klinik API");
    let (a, b) = (SyncDesk::new(), SyncDesk::new());
    a.enroll(&proxy.url(), &code_a);
    b.enroll(&proxy.url(), &branch.enrollment_code(clinic));
    let ids = a.capture(2, 1, 11);
    a.sync().expect("a syncs");
    b.sync().expect("b pulls a's records");
    // Both desks correct the same field from the same value: the later one conflicts.
    let correct = |desk: &SyncDesk, phone: &str| {
        let actor = plkk_tests::accounts::RECEPTIONIST.actor();
        let changes = object(json!({ "phone": phone }));
        plkk_store::correct_intake(
            &mut desk.store(),
            &actor,
            &ids[0],
            &changes,
            "Nomor salah",
            now(),
        )
        .expect("a valid correction");
    };
    correct(&a, "081311112222");
    correct(&b, "081399998888");
    a.sync().expect("a's correction applies");
    let conflicted = b.sync().expect("b's correction conflicts");
    assert_eq!(conflicted.conflicts, 1);
    let case = uuid::Uuid::parse_str(&ids[1]).unwrap();
    plkk_branch::admin::set_case_status(
        branch.database(),
        case,
        plkk_protocol::CaseStatus::GuaranteeIssued,
        Some("Dijamin"),
        Some("SJ-001"),
        Utc::now(),
    )
    .unwrap();
    a.sync().expect("a pulls the conflict and the status");
    // Desk a restored from a backup asks for a new identity (POST /restored) at its next sync.
    let backups = tempfile::tempdir().unwrap();
    let backup = backups.path().join("a.tar");
    let admin = plkk_tests::accounts::ADMIN;
    plkk_store::backup(&a.store(), &admin.actor(), &backup, now()).expect("a backup");
    let restored = backups.path().join("restored");
    plkk_store::restore(&restored, &backup, admin.username, admin.password, now())
        .expect("a restore");
    let access = admin.sign_in(&restored).access;
    plkk_tests::sync_desk::block_on(plkk_sync::sync_once(&access))
        .expect("the restored desk syncs");

    let mut seen = Vec::new();
    for (request, answer) in proxy.exchanges() {
        seen.push(check_exchange(&document, &request, &answer));
    }
    for route in [
        "POST /api/v1/enroll",
        "POST /api/v1/push",
        "GET /api/v1/changes",
        "GET /api/v1/health",
        "POST /api/v1/restored",
    ] {
        assert!(
            seen.iter().any(|what| what.starts_with(route)),
            "{route} was exercised: {seen:#?}"
        );
    }
    // The desk's audit entries ride with its pushes (POST /audit takes them in full from others).
    let audit_lines = proxy
        .exchanges()
        .iter()
        .filter_map(|(request, _)| parse(request, true).body)
        .filter_map(|body| body["audit"]["lines"].as_array().map(Vec::len))
        .sum::<usize>();
    assert!(audit_lines > 0, "pushes carried audit lines: {seen:#?}");
    let pulled_kinds: Vec<String> = proxy
        .exchanges()
        .iter()
        .filter_map(|(_, answer)| parse(answer, false).body)
        .filter_map(|body| body["changes"].as_array().cloned())
        .flatten()
        .filter_map(|change| change["kind"].as_str().map(str::to_owned))
        .collect();
    for kind in ["record", "case_status", "conflict"] {
        assert!(
            pulled_kinds.iter().any(|k| k == kind),
            "a {kind} change was pulled"
        );
    }

    // Bad requests, made directly: each answer has a documented status and shape.
    let base = format!("{}/api/v1", branch.url());
    let client = reqwest::Client::new();
    let token = {
        let code = branch.enrollment_code(clinic);
        let enrolled: Value = block(async {
            client
                .post(format!("{base}/enroll"))
                .json(&json!({"code": code, "device_name": "Meja uji"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
        enrolled["token"].as_str().unwrap().to_owned()
    };
    let intake_id = uuid::Uuid::now_v7();
    let invalid_intake = json!({"entries": [{
        "entry_id": uuid::Uuid::now_v7(), "device_seq": 1, "kind": "intake",
        "record_id": intake_id, "intake_id": intake_id,
        "payload": {"intake": {"id": intake_id.to_string(), "nik": "123", "employer_npp": "9".repeat(21)},
                    "author": "resepsionis", "written_at": "2026-11-24T09:00:00+07:00"}}]});
    let push_request = json!({"$ref": "#/components/schemas/PushRequest"});
    assert!(
        !validator(&document, &push_request, "PushRequest").is_valid(&invalid_intake),
        "the document knows employer_npp holds at most 20 characters"
    );
    // Method, route, token, body, Content-Encoding, the status expected.
    type BadRequest<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<Vec<u8>>,
        Option<&'a str>,
        u16,
    );
    let cases: Vec<BadRequest> = vec![
        (
            "POST",
            "/push",
            Some(&token),
            Some(serde_json::to_vec(&invalid_intake).unwrap()),
            None,
            200,
        ),
        (
            "POST",
            "/push",
            Some(&token),
            Some(b"{\"entries\": [".to_vec()),
            None,
            400,
        ),
        (
            "POST",
            "/push",
            None,
            Some(b"{\"entries\": []}".to_vec()),
            None,
            401,
        ),
        (
            "POST",
            "/push",
            Some(&token),
            Some(b"{\"entries\": [{\"entry_id\": [[]]}]}".to_vec()),
            None,
            422,
        ),
        // Small on the wire, over the limit once decompressed.
        (
            "POST",
            "/push",
            Some(&token),
            Some(gzip(&vec![b' '; 9 * 1024 * 1024])),
            Some("gzip"),
            413,
        ),
        (
            "POST",
            "/push",
            Some(&token),
            Some(b"{}".to_vec()),
            Some("br"),
            415,
        ),
        (
            "POST",
            "/audit",
            Some(&token),
            Some(b"{\"entries\": [{\"seq\": 0}]}".to_vec()),
            None,
            422,
        ),
        (
            "POST",
            "/enroll",
            None,
            Some(b"{\"code\": \"AAAA-BBBB-CCCC\", \"device_name\": \"x\"}".to_vec()),
            None,
            404,
        ),
        (
            "POST",
            "/enroll",
            None,
            Some(b"{\"code\": \"!\", \"device_name\": \"x\"}".to_vec()),
            None,
            400,
        ),
        (
            "GET",
            "/changes?since=0&limit=5000",
            Some(&token),
            None,
            None,
            422,
        ),
        ("GET", "/changes?since=0", None, None, None, 401),
        ("GET", "/health", None, None, None, 200),
    ];
    for (method, route, token, body, encoding, expected) in cases {
        let (status, answer) = block(async {
            let mut request = client.request(method.parse().unwrap(), format!("{base}{route}"));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(encoding) = encoding {
                request = request.header("content-encoding", encoding);
            }
            if let Some(body) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(body);
            }
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        });
        let what = format!("{method} {route}");
        assert_eq!(status, expected, "{what}: {answer}");
        let path = format!("/api/v1{}", route.split('?').next().unwrap());
        let schema = answer_schema(operation(&document, method, &path), status, &what);
        validate(&document, schema, &answer, &what);
    }
}
