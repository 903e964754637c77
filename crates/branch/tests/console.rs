//! The branch console over real HTTP (reqwest, no browser): sign-in and its lockout, the session
//! cookie's flags and renewal, CSRF on every state change, 401 for device tokens on console
//! routes and for sessions on the device API, roles, form refusals naming their field, security
//! headers, the inbox's filters and search, what desks report about themselves, and the
//! officers' audit log.

mod common;

use chrono::Utc;
use common::{correction_entry, intake_entry, intake_entry_with, intake_fields, Branch};
use plkk_branch::admin::{self, InboxFilter, InboxQuery, NewOfficer, OfficerRole};
use plkk_protocol::CaseStatus;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

const PASSWORD: &str = "sandi-cabang-2026";

fn fast_hashing() {
    // Officer passwords made here are hashed with the cheap test cost (PLKK_KDF=fast).
    std::env::set_var("PLKK_KDF", "fast");
}

/// A plain-HTTP client that does not follow redirects (the tests look at them).
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn root(branch: &Branch) -> String {
    branch.base.trim_end_matches("/api/v1").to_owned()
}

fn add_officer(branch: &Branch, username: &str, role: OfficerRole) {
    admin::add_officer(
        branch.data_dir(),
        NewOfficer {
            username,
            display_name: &format!("Petugas {username}"),
            role,
            password: PASSWORD,
        },
    )
    .unwrap();
}

/// The value of cookie `name` set by `response`, with its whole Set-Cookie line.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<(String, String)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|line| line.starts_with(&format!("{name}=")))
        .map(|line| {
            let value = line[name.len() + 1..].split(';').next().unwrap().to_owned();
            (value, line.to_owned())
        })
}

/// The value of the first hidden `csrf` input of a page.
fn csrf_of(html: &str) -> String {
    let start = html.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// A signed-in officer: the session cookie and the page's CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

impl Session {
    fn header(&self) -> String {
        format!("plkk_session={}", self.cookie)
    }
}

/// Shows the sign-in page, then posts the form; returns the answer and the sign-in cookie.
async fn try_sign_in(
    http: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let page = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let (token, _) = set_cookie(&page, "plkk_signin").expect("the sign-in page sets its cookie");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"name="username""#) && html.contains(r#"name="password""#));
    assert_eq!(csrf_of(&html), token, "the form carries the cookie's value");
    http.post(format!("{base}/sign-in"))
        .header(COOKIE, format!("plkk_signin={token}"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", token.as_str()),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap()
}

async fn sign_in(http: &reqwest::Client, base: &str, username: &str) -> Session {
    let answer = try_sign_in(http, base, username, PASSWORD).await;
    assert_eq!(
        answer.status(),
        StatusCode::SEE_OTHER,
        "{}",
        answer.text().await.unwrap()
    );
    let (cookie, _) = set_cookie(&answer, "plkk_session").expect("a session cookie");
    let home = http
        .get(format!("{base}/"))
        .header(COOKIE, format!("plkk_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let csrf = csrf_of(&home.text().await.unwrap());
    Session { cookie, csrf }
}

async fn branch_with_case() -> (Branch, Uuid) {
    fast_hashing();
    let branch = Branch::start().await;
    let mut desk = branch.enrol("PLKK-A").await;
    let case = Uuid::now_v7();
    branch.push_ok(&mut desk, vec![intake_entry(case)]).await;
    (branch, case)
}

fn status_of(branch: &Branch, case: Uuid) -> String {
    let (record, _) = admin::show_case(branch.data_dir(), case).unwrap();
    record.status
}

#[tokio::test]
async fn a_state_change_without_the_csrf_token_is_refused_and_changes_nothing() {
    let (branch, case) = branch_with_case().await;
    add_officer(&branch, "admin1", OfficerRole::Admin);
    let http = client();
    let base = root(&branch);
    let session = sign_in(&http, &base, "admin1").await;
    let device = admin::list_devices(branch.data_dir()).unwrap()[0].device_id;
    let counts = branch.counts();
    let log_before = admin::officer_audit(branch.data_dir(), None)
        .unwrap()
        .entries
        .len();
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/cases/{case}/status"),
            vec![("status", "guarantee_issued"), ("reference", "SJ-9")],
        ),
        (
            "/clinics".to_owned(),
            vec![("clinic_code", "PLKK-X"), ("clinic_name", "Klinik X")],
        ),
        ("/clinics/PLKK-A/code".to_owned(), vec![]),
        (format!("/devices/{device}/revoke"), vec![]),
        (
            "/officers".to_owned(),
            vec![
                ("username", "mallory"),
                ("display_name", "M"),
                ("role", "admin"),
                ("password", "12345678"),
            ],
        ),
        ("/officers/admin1/remove".to_owned(), vec![]),
        ("/sign-out".to_owned(), vec![]),
    ];
    for (path, fields) in &forms {
        for csrf in [
            None,
            Some("0".repeat(64)),
            Some(format!("{}x", &session.csrf[1..])),
        ] {
            let mut form = fields.clone();
            if let Some(csrf) = &csrf {
                form.push(("csrf", csrf));
            }
            let answer = http
                .post(format!("{base}{path}"))
                .header(COOKIE, session.header())
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(
                answer.status(),
                StatusCode::FORBIDDEN,
                "{path} with csrf {csrf:?}"
            );
        }
    }
    assert_eq!(status_of(&branch, case), "received");
    assert_eq!(branch.counts(), counts);
    assert_eq!(
        admin::list_clinics(branch.data_dir(), Utc::now())
            .unwrap()
            .len(),
        1
    );
    assert!(admin::list_devices(branch.data_dir()).unwrap()[0]
        .revoked_at
        .is_none());
    assert_eq!(
        admin::list_officers(branch.data_dir(), Utc::now())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        admin::officer_audit(branch.data_dir(), None)
            .unwrap()
            .entries
            .len(),
        log_before,
        "a refused form is not an act"
    );
    // The session still works: sign-out was refused too.
    let answer = http
        .post(format!("{base}/cases/{case}/status"))
        .header(COOKIE, session.header())
        .form(&[
            ("status", "guarantee_issued"),
            ("reference", "SJ-9"),
            ("csrf", session.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&branch, case), "guarantee_issued");
    branch.stop().await;
}

#[tokio::test]
async fn the_session_cookie_is_httponly_strict_and_new_at_every_sign_in() {
    let (branch, _) = branch_with_case().await;
    add_officer(&branch, "rina", OfficerRole::Verifier);
    let http = client();
    let base = root(&branch);
    let answer = try_sign_in(&http, &base, "rina", PASSWORD).await;
    let (first, line) = set_cookie(&answer, "plkk_session").unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(line.contains(flag), "{line}");
    }
    assert!(
        !line.contains("Secure"),
        "plain HTTP on loopback: no Secure flag ({line})"
    );
    assert_eq!(first.len(), 64);
    let (_, signin_line) =
        set_cookie(&answer, "plkk_signin").expect("the sign-in cookie is removed");
    assert!(signin_line.contains("Max-Age=0"), "{signin_line}");

    let second = sign_in(&http, &base, "rina").await;
    assert_ne!(second.cookie, first, "a new value at every sign-in");
    let sign_out = http
        .post(format!("{base}/sign-out"))
        .header(COOKIE, second.header())
        .form(&[("csrf", second.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(sign_out.status(), StatusCode::SEE_OTHER);
    let (cleared, line) = set_cookie(&sign_out, "plkk_session").unwrap();
    assert!(cleared.is_empty() && line.contains("Max-Age=0"), "{line}");
    let after = http
        .get(format!("{base}/clinics"))
        .header(COOKIE, second.header())
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        StatusCode::UNAUTHORIZED,
        "the old value is dead"
    );
    let still = http
        .get(format!("{base}/clinics"))
        .header(COOKIE, format!("plkk_session={first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "another session of the same officer lives on"
    );

    admin::remove_officer(branch.data_dir(), "rina").unwrap();
    let removed = http
        .get(format!("{base}/clinics"))
        .header(COOKIE, format!("plkk_session={first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        removed.status(),
        StatusCode::UNAUTHORIZED,
        "removing an officer ends their sessions"
    );
    branch.stop().await;
}

#[tokio::test]
async fn over_tls_the_session_cookie_is_secure() {
    fast_hashing();
    let dir = tempfile::tempdir().unwrap();
    let identity = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, identity.cert.pem()).unwrap();
    std::fs::write(&key_path, identity.key_pair.serialize_pem()).unwrap();
    let data_dir = dir.path().join("data");
    admin::add_officer(
        &data_dir,
        NewOfficer {
            username: "rina",
            display_name: "Rina",
            role: OfficerRole::Viewer,
            password: PASSWORD,
        },
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut config = plkk_branch::Config::for_data_dir(&data_dir);
    config.set_tls(Some(cert_path), Some(key_path));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(plkk_branch::serve(listener, config, async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .add_root_certificate(
            reqwest::Certificate::from_pem(identity.cert.pem().as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let base = format!("https://localhost:{port}");
    for _ in 0..100 {
        if http
            .get(format!("{base}/api/v1/health"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let answer = try_sign_in(&http, &base, "rina", PASSWORD).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let (_, line) = set_cookie(&answer, "plkk_session").unwrap();
    assert!(
        line.contains("Secure") && line.contains("HttpOnly"),
        "{line}"
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_device_token_is_refused_by_the_console_and_a_session_by_the_api() {
    let (branch, case) = branch_with_case().await;
    add_officer(&branch, "admin1", OfficerRole::Admin);
    let mut desk = branch.enrol("PLKK-A").await;
    let http = client();
    let base = root(&branch);
    let home = http
        .get(format!("{base}/"))
        .bearer_auth(&desk.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        home.status(),
        StatusCode::OK,
        "the sign-in page answers anyone"
    );
    assert!(
        !home.text().await.unwrap().contains("Siti Aminah"),
        "and shows no patient"
    );
    let routes = [
        "/?q=3216".to_owned(),
        format!("/cases/{case}"),
        "/clinics".to_owned(),
        "/reports".to_owned(),
        "/reports.csv".to_owned(),
        "/officers".to_owned(),
        "/audit".to_owned(),
        format!("/devices/{}/audit", desk.device_id),
    ];
    for route in &routes {
        let answer = http
            .get(format!("{base}{route}"))
            .bearer_auth(&desk.token)
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let body = answer.text().await.unwrap();
        if route.starts_with("/?") {
            assert_eq!(status, StatusCode::OK, "{route} is the sign-in page");
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{route}");
        }
        assert!(
            !body.contains("Siti Aminah") && !body.contains("3216014501900001"),
            "{route}: {body}"
        );
    }
    let answer = http
        .post(format!("{base}/cases/{case}/status"))
        .bearer_auth(&desk.token)
        .form(&[("status", "eligible")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);

    let session = sign_in(&http, &base, "admin1").await;
    let pull = http
        .get(branch.url("/changes?since=0"))
        .header(COOKIE, session.header())
        .send()
        .await
        .unwrap();
    assert_eq!(
        pull.status(),
        StatusCode::UNAUTHORIZED,
        "a session is not a device"
    );
    let push = http
        .post(branch.url("/push"))
        .header(COOKIE, session.header())
        .json(&json!({"entries": [intake_entry(Uuid::now_v7())]}))
        .send()
        .await
        .unwrap();
    assert_eq!(push.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(branch.counts().intakes, 1);
    // The device still works.
    branch
        .push_ok(&mut desk, vec![intake_entry(Uuid::now_v7())])
        .await;
    assert_eq!(status_of(&branch, case), "received");
    branch.stop().await;
}

#[tokio::test]
async fn five_failed_sign_ins_make_the_right_password_wait() {
    let (branch, _) = branch_with_case().await;
    add_officer(&branch, "rina", OfficerRole::Verifier);
    let http = client();
    let base = root(&branch);
    for attempt in 1..=5 {
        let refused = try_sign_in(&http, &base, "rina", "bukan-sandinya").await;
        assert_eq!(
            refused.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
        assert!(set_cookie(&refused, "plkk_session").is_none());
        let html = refused.text().await.unwrap();
        assert!(
            html.contains("Nama pengguna atau kata sandi salah"),
            "{html}"
        );
        assert!(
            !html.contains("bukan-sandinya"),
            "the password is never sent back"
        );
    }
    let waiting = try_sign_in(&http, &base, "rina", PASSWORD).await;
    assert_eq!(waiting.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = waiting.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert!(
        set_cookie(&waiting, "plkk_session").is_none(),
        "even the right password is refused"
    );
    assert!(waiting.text().await.unwrap().contains("Coba lagi dalam"));
    let log = admin::officer_audit(branch.data_dir(), None).unwrap();
    let failed = log
        .entries
        .iter()
        .filter(|entry| entry.action == "sign_in_failed")
        .count();
    assert_eq!(
        failed, 6,
        "five wrong passwords and one attempt while locked out"
    );
    assert!(log.sound);
    branch.stop().await;
}

#[tokio::test]
async fn a_viewer_sees_no_status_button_and_a_forged_post_is_refused() {
    let (branch, case) = branch_with_case().await;
    add_officer(&branch, "lihat", OfficerRole::Viewer);
    let http = client();
    let base = root(&branch);
    let session = sign_in(&http, &base, "lihat").await;
    let page = http
        .get(format!("{base}/cases/{case}"))
        .header(COOKIE, session.header())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Siti Aminah"));
    assert!(
        !html.contains(r#"name="status""#),
        "no status form for a viewer"
    );
    let forged = http
        .post(format!("{base}/cases/{case}/status"))
        .header(COOKIE, session.header())
        .form(&[("status", "eligible"), ("csrf", session.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&branch, case), "received");
    for path in ["/officers", "/audit"] {
        let answer = http
            .get(format!("{base}{path}"))
            .header(COOKIE, session.header())
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            StatusCode::FORBIDDEN,
            "{path} is for administrators"
        );
    }
    // Every refusal is in the officers' audit log, as the desk records its role refusals.
    let log = admin::officer_audit(branch.data_dir(), None).unwrap();
    let refused: Vec<(Option<&str>, serde_json::Value)> = log
        .entries
        .iter()
        .filter(|entry| entry.actor == "lihat" && entry.action == "refused")
        .map(|entry| {
            (
                entry.subject.as_deref(),
                serde_json::from_str(&entry.detail).unwrap(),
            )
        })
        .collect();
    let case_text = case.to_string();
    assert_eq!(
        refused,
        [
            (
                Some(case_text.as_str()),
                json!({"action": "set_status", "role": "viewer",
                       "request": format!("POST /cases/{case}/status")}),
            ),
            (
                None,
                json!({"action": "administer", "role": "viewer", "request": "GET /officers"}),
            ),
            (
                None,
                json!({"action": "administer", "role": "viewer", "request": "GET /audit"}),
            ),
        ],
        "{:?}",
        log.entries
    );
    let audit = cli(branch.data_dir(), &["audit", "officers", "--json"], None);
    assert_eq!(audit.status.code(), Some(0), "the chain still verifies");
    let audit: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert_eq!(audit["sound"], true);
    // A forged POST without this session's CSRF token is refused before the role is looked at:
    // it may come from another site, so it writes nothing, not even a refusal.
    let entries = log.entries.len();
    let no_csrf = http
        .post(format!("{base}/cases/{case}/status"))
        .header(COOKIE, session.header())
        .form(&[("status", "eligible")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        admin::officer_audit(branch.data_dir(), None)
            .unwrap()
            .entries
            .len(),
        entries
    );
    branch.stop().await;
}

#[tokio::test]
async fn a_refused_status_names_its_field_and_keeps_what_was_typed() {
    let (branch, case) = branch_with_case().await;
    add_officer(&branch, "rina", OfficerRole::Verifier);
    let http = client();
    let base = root(&branch);
    let session = sign_in(&http, &base, "rina").await;
    let post = |form: Vec<(&'static str, String)>| {
        let http = http.clone();
        let url = format!("{base}/cases/{case}/status");
        let cookie = session.header();
        async move {
            http.post(url)
                .header(COOKIE, cookie)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let csrf = session.csrf.clone();
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![("status", "not_eligible".into()), ("reason", "  ".into())],
            "reason",
        ),
        (
            vec![
                ("status", "guarantee_issued".into()),
                ("reference", "S".repeat(101)),
            ],
            "reference",
        ),
        (
            vec![("status", "eligible".into()), ("reason", "r".repeat(501))],
            "reason",
        ),
        (vec![("status", "guarantee_issued".into())], "reference"),
        (
            vec![
                ("status", "guarantee_issued".into()),
                ("reference", "   ".into()),
            ],
            "reference",
        ),
        (vec![("status", "received".into())], "status"),
        (vec![("status", "<script>".into())], "status"),
    ];
    for (mut form, field) in cases {
        form.push(("csrf", csrf.clone()));
        let answer = post(form.clone()).await;
        assert_eq!(
            answer.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{form:?}"
        );
        let html = answer.text().await.unwrap();
        assert!(
            html.contains(&format!(r#"data-field="{field}""#)),
            "{field} is named: {html}"
        );
        assert!(!html.contains("<script>"), "typed text is escaped");
    }
    assert_eq!(status_of(&branch, case), "received", "nothing was stored");
    // The guarantee's missing reference, in both languages, beside the field.
    for (lang, message) in [
        ("id", "Nomor surat jaminan: wajib diisi"),
        ("en", "Guarantee letter number: is required"),
    ] {
        let answer = http
            .post(format!("{base}/cases/{case}/status"))
            .header(COOKIE, format!("{}; plkk_lang={lang}", session.header()))
            .form(&[("status", "guarantee_issued"), ("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = answer.text().await.unwrap();
        let error = html
            .find(r#"id="error-reference""#)
            .unwrap_or_else(|| panic!("{lang}: no message at the reference field: {html}"));
        assert!(
            html[error..].contains(message),
            "{lang}: {message:?} in {html}"
        );
    }
    let saved = post(vec![
        ("status", "not_eligible".into()),
        ("reason", "Bukan peserta aktif".into()),
        ("csrf", csrf.clone()),
    ])
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        saved.headers()[LOCATION],
        format!("/cases/{case}?saved=status").as_str()
    );
    let (record, history) = admin::show_case(branch.data_dir(), case).unwrap();
    assert_eq!(record.status_reason.as_deref(), Some("Bukan peserta aktif"));
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].actor.as_str(), history[0].status.as_str()),
        ("rina", "not_eligible")
    );
    branch.stop().await;
}

#[tokio::test]
async fn every_console_answer_carries_the_security_headers() {
    let (branch, case) = branch_with_case().await;
    add_officer(&branch, "rina", OfficerRole::Admin);
    let http = client();
    let base = root(&branch);
    let session = sign_in(&http, &base, "rina").await;
    for path in [
        "/".to_owned(),
        format!("/cases/{case}"),
        "/clinics".to_owned(),
        "/nowhere".to_owned(),
        "/assets/console.js".to_owned(),
    ] {
        let answer = http
            .get(format!("{base}{path}"))
            .header(COOKIE, session.header())
            .send()
            .await
            .unwrap();
        let header = |name: &str| {
            answer
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let csp = header("content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
    }
    let case_page = http
        .get(format!("{base}/cases/{case}"))
        .header(COOKIE, session.header())
        .send()
        .await
        .unwrap();
    assert_eq!(case_page.headers()["cache-control"], "no-store");
    let html = case_page.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains(" style="),
        "no inline script or style"
    );
    let missing = http.get(format!("{base}/nowhere")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let api_missing = http.get(branch.url("/nowhere")).send().await.unwrap();
    common::error_body(api_missing, StatusCode::NOT_FOUND, "not_found").await;
    branch.stop().await;
}

#[tokio::test]
async fn the_inbox_filters_and_searches_what_desks_sent() {
    fast_hashing();
    let branch = Branch::start().await;
    let mut desk_a = branch.enrol("PLKK-A").await;
    let mut desk_b = branch.enrol("PLKK-B").await;
    let on_time = Uuid::now_v7();
    let mut fields = intake_fields(on_time);
    fields["full_name"] = json!("Nur Aini Siti");
    fields["nik"] = json!("3275014501900002");
    fields["kpj"] = json!("12345678901");
    fields["segment"] = json!("PU");
    fields["employer_name"] = json!("PT Maju");
    let now = chrono::Local::now().fixed_offset();
    fields["accident_at"] = json!((now - chrono::Duration::hours(3)).to_rfc3339());
    fields["admitted_at"] = json!((now - chrono::Duration::hours(2)).to_rfc3339());
    branch
        .push_ok(&mut desk_a, vec![intake_entry_with(on_time, fields)])
        .await;
    let late = Uuid::now_v7(); // accident in January 2025: received long after 2×24 h
    branch.push_ok(&mut desk_b, vec![intake_entry(late)]).await;
    let conflicted = Uuid::now_v7();
    branch
        .push_ok(&mut desk_b, vec![intake_entry(conflicted)])
        .await;
    branch
        .push_ok(
            &mut desk_b,
            vec![correction_entry(
                conflicted,
                "injury",
                "not what it was",
                "Luka bakar",
            )],
        )
        .await;
    admin::set_case_status(
        branch.data_dir(),
        late,
        CaseStatus::ConcludedWorkAccident,
        None,
        None,
        Utc::now(),
    )
    .unwrap();

    let ids = |query: InboxQuery| {
        admin::inbox(branch.data_dir(), &query, Utc::now())
            .unwrap()
            .rows
            .into_iter()
            .map(|row| row.id.parse::<Uuid>().unwrap())
            .collect::<Vec<_>>()
    };
    let all = InboxQuery::default();
    assert_eq!(
        ids(all.clone()),
        [conflicted, late, on_time],
        "newest first"
    );
    let with = |change: &dyn Fn(&mut InboxQuery)| {
        let mut query = all.clone();
        change(&mut query);
        ids(query)
    };
    assert_eq!(
        with(&|q| q.q = Some("aini".into())),
        [on_time],
        "a word of the name"
    );
    assert_eq!(
        with(&|q| q.q = Some("siti".into())),
        [conflicted, late, on_time],
        "any word"
    );
    assert_eq!(
        with(&|q| q.q = Some("siti ami".into())),
        [conflicted, late],
        "every word"
    );
    assert_eq!(
        with(&|q| q.q = Some("ami".into())),
        [conflicted, late],
        "Siti Aminah"
    );
    assert_eq!(
        with(&|q| q.q = Some("3275 01".into())),
        [on_time],
        "a NIK prefix"
    );
    assert_eq!(
        with(&|q| q.q = Some("1234567".into())),
        [on_time],
        "a KPJ prefix"
    );
    assert_eq!(with(&|q| q.q = Some("9999".into())), Vec::<Uuid>::new());
    assert_eq!(with(&|q| q.clinic = Some("PLKK-A".into())), [on_time]);
    assert_eq!(
        with(&|q| q.segment = Some(plkk_domain::Segment::Pu)),
        [on_time]
    );
    assert_eq!(
        with(&|q| q.status = Some(CaseStatus::ConcludedWorkAccident)),
        [late]
    );
    assert_eq!(
        with(&|q| q.filters = vec![InboxFilter::Late]),
        [conflicted, late]
    );
    assert_eq!(
        with(&|q| q.filters = vec![InboxFilter::Conflict]),
        [conflicted]
    );
    assert_eq!(
        with(&|q| q.filters = vec![InboxFilter::Clock]),
        Vec::<Uuid>::new()
    );
    let in_31_days = Utc::now() + chrono::Duration::days(31);
    let overdue = admin::inbox(
        branch.data_dir(),
        &InboxQuery {
            filters: vec![InboxFilter::Overdue],
            ..all.clone()
        },
        in_31_days,
    )
    .unwrap();
    let overdue: Vec<&str> = overdue.rows.iter().map(|row| row.id.as_str()).collect();
    assert_eq!(
        overdue,
        [conflicted.to_string(), on_time.to_string()],
        "the decided case is not overdue"
    );
    let page = admin::inbox(branch.data_dir(), &all, Utc::now()).unwrap();
    let row = |id: Uuid| {
        page.rows
            .iter()
            .find(|row| row.id == id.to_string())
            .unwrap()
    };
    assert!(row(on_time).within_deadline && !row(late).within_deadline);
    assert_eq!(row(on_time).days_left, Some(30));
    assert_eq!(row(late).days_left, None);
    let refused = admin::inbox(
        branch.data_dir(),
        &InboxQuery {
            q: Some("x".repeat(101)),
            ..all
        },
        Utc::now(),
    );
    assert!(matches!(refused, Err(plkk_branch::BranchError::Refused(issue)) if issue.field == "q"));

    // A correction of the name reaches the search.
    let mut desk_a2 = desk_a;
    branch
        .push_ok(
            &mut desk_a2,
            vec![correction_entry(
                on_time,
                "full_name",
                "Nur Aini Siti",
                "Nur Aini Rahma",
            )],
        )
        .await;
    assert_eq!(
        ids(InboxQuery {
            q: Some("rahma".into()),
            ..Default::default()
        }),
        [on_time]
    );
    assert_eq!(
        ids(InboxQuery {
            q: Some("siti".into()),
            ..Default::default()
        }),
        [conflicted, late]
    );
    branch.stop().await;
}

#[tokio::test]
async fn a_desk_reports_its_clock_version_and_waiting_records_when_it_pulls() {
    fast_hashing();
    let branch = Branch::start().await;
    let desk = branch.enrol("PLKK-A").await;
    assert!(admin::list_devices(branch.data_dir()).unwrap()[0]
        .last_sync
        .is_none());
    let desk_clock = Utc::now() - chrono::Duration::minutes(10);
    let answer = client()
        .get(branch.url("/changes?since=0"))
        .bearer_auth(&desk.token)
        .header(
            "date",
            desk_clock.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        )
        .header("user-agent", "plkk-desk/1.2.3")
        .header(plkk_protocol::OUTBOX_WAITING_HEADER, "4")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let device = &admin::list_devices(branch.data_dir()).unwrap()[0];
    let sync = device.last_sync.as_ref().expect("the pull is recorded");
    assert_eq!(sync.waiting, Some(4));
    assert_eq!(sync.app_version.as_deref(), Some("1.2.3"));
    let offset = sync.clock_offset_seconds.unwrap();
    assert!(
        (-605..=-599).contains(&offset),
        "the desk's clock is slow: {offset}"
    );
    let clinics = admin::list_clinics(branch.data_dir(), Utc::now()).unwrap();
    assert!(!clinics[0].silent);
    let tomorrow = Utc::now() + chrono::Duration::hours(25);
    assert!(
        admin::list_clinics(branch.data_dir(), tomorrow).unwrap()[0].silent,
        "no sync for a day"
    );
    // A case the desk sends after a sync that showed its clock 10 minutes off is flagged.
    let mut desk = desk;
    let case = Uuid::now_v7();
    branch.push_ok(&mut desk, vec![intake_entry(case)]).await;
    let flagged = admin::inbox(
        branch.data_dir(),
        &InboxQuery {
            filters: vec![InboxFilter::Clock],
            ..Default::default()
        },
        Utc::now(),
    )
    .unwrap();
    assert_eq!(flagged.rows.len(), 1);
    // A desk that never pulled, whose push says its clock is 10 minutes fast: flagged too.
    let other = branch.enrol("PLKK-B").await;
    let fast = chrono::Utc::now().fixed_offset() + chrono::Duration::minutes(10);
    let mut entry = intake_entry(Uuid::now_v7());
    entry["device_seq"] = json!(1);
    let pushed = client()
        .post(branch.url("/push"))
        .bearer_auth(&other.token)
        .json(&json!({"entries": [entry], "desk_time": fast.to_rfc3339()}))
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), StatusCode::OK);
    let flagged = admin::inbox(
        branch.data_dir(),
        &InboxQuery {
            filters: vec![InboxFilter::Clock],
            clinic: Some("PLKK-B".into()),
            ..Default::default()
        },
        Utc::now(),
    )
    .unwrap();
    assert_eq!(flagged.rows.len(), 1, "the push's own desk clock flags it");
    branch.stop().await;
}

#[tokio::test]
async fn officer_acts_are_in_the_officers_audit_log() {
    let (branch, case) = branch_with_case().await;
    add_officer(&branch, "admin1", OfficerRole::Admin);
    let http = client();
    let base = root(&branch);
    let _ = try_sign_in(&http, &base, "admin1", "salah-sandi-ya").await;
    let session = sign_in(&http, &base, "admin1").await;
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let http = http.clone();
        let cookie = session.header();
        let mut form = form;
        form.push(("csrf", session.csrf.clone()));
        let url = format!("{base}{path}");
        async move {
            http.post(url)
                .header(COOKIE, cookie)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let status = post(
        format!("/cases/{case}/status"),
        vec![("status", "eligible".into())],
    )
    .await;
    assert_eq!(status.status(), StatusCode::SEE_OTHER);
    let opened = http
        .get(format!("{base}/cases/{case}?saved=status"))
        .header(COOKIE, session.header())
        .send()
        .await
        .unwrap();
    assert!(opened.text().await.unwrap().contains("Status tersimpan"));
    let code_page = post("/clinics/PLKK-A/code".into(), vec![]).await;
    assert_eq!(code_page.status(), StatusCode::OK);
    let html = code_page.text().await.unwrap();
    assert!(
        html.contains(r#"data-testid="enrollment-code""#),
        "the code is shown once"
    );
    let device = admin::list_devices(branch.data_dir()).unwrap()[0].device_id;
    let revoke = post(format!("/devices/{device}/revoke"), vec![]).await;
    assert_eq!(revoke.status(), StatusCode::SEE_OTHER);
    let csv = http
        .get(format!("{base}/reports.csv?from=2025-01&to=2025-01"))
        .header(COOKIE, session.header())
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let text = csv.text().await.unwrap();
    assert!(
        text.contains("PLKK-A,Klinik PLKK-A,2025-01,1,0,0.0,0,0.0,1"),
        "{text}"
    );

    let log = admin::officer_audit(branch.data_dir(), None).unwrap();
    assert!(log.sound);
    let acts: Vec<(&str, &str)> = log
        .entries
        .iter()
        .map(|entry| (entry.actor.as_str(), entry.action.as_str()))
        .collect();
    for expected in [
        ("admin1", "sign_in_failed"),
        ("admin1", "sign_in"),
        ("admin1", "case_opened"),
        ("admin1", "status_set"),
        ("admin1", "code_issued"),
        ("admin1", "device_revoked"),
        ("admin1", "report_downloaded"),
        ("(cli)", "officer_added"),
        ("(cli)", "code_issued"),
    ] {
        assert!(acts.contains(&expected), "{expected:?} in {acts:?}");
    }
    let start = html.find(r#"data-testid="enrollment-code">"#).unwrap() + 30;
    let code = &html[start..start + 14];
    assert!(
        plkk_branch::normalize_enrollment_code(code).is_some(),
        "{code}"
    );
    let text = serde_json::to_string(&log.entries).unwrap();
    assert!(!text.contains(code), "the code itself is never logged");
    branch.stop().await;
}

fn cli(data_dir: &std::path::Path, args: &[&str], password: Option<&str>) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_plkk-branch"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("PLKK_KDF", "fast")
        .env_remove("PLKK_BRANCH_PASSWORD")
        .stdin(std::process::Stdio::null());
    if let Some(password) = password {
        command.env("PLKK_BRANCH_PASSWORD", password);
    }
    command.output().unwrap()
}

#[test]
fn officer_and_audit_commands_work_on_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let add = |username: &str, role: &str, password: Option<&str>| {
        cli(
            data,
            &[
                "officer",
                "add",
                "--username",
                username,
                "--name",
                "Dewi Lestari",
                "--role",
                role,
            ],
            password,
        )
    };
    let added = add("dewi", "admin", Some(PASSWORD));
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let no_password = add("budi", "viewer", None);
    assert_eq!(no_password.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_password.stderr).contains("PLKK_BRANCH_PASSWORD"));
    let bad_role = add("budi", "boss", Some(PASSWORD));
    assert_eq!(bad_role.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("--role"));
    let short = add("budi", "viewer", Some("pendek"));
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("password: must be at least 8"));
    let taken = add("DEWI", "viewer", Some(PASSWORD));
    assert_eq!(
        taken.status.code(),
        Some(2),
        "usernames are case-insensitive"
    );

    let listed = cli(data, &["officer", "list", "--json"], None);
    let officers: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(officers.as_array().unwrap().len(), 1);
    assert_eq!(officers[0]["username"], "dewi");
    assert_eq!(officers[0]["role"], "admin");
    assert!(officers[0].get("password_hash").is_none(), "{officers}");

    let log = cli(data, &["audit", "officers", "--json"], None);
    assert!(log.status.success());
    let log: serde_json::Value = serde_json::from_slice(&log.stdout).unwrap();
    assert_eq!(log["sound"], true);
    assert_eq!(log["entries"][0]["action"], "officer_added");
    assert_eq!(log["entries"][0]["actor"], "(cli)");

    let removed = cli(data, &["officer", "remove", "dewi"], None);
    assert!(removed.status.success());
    assert_eq!(
        cli(data, &["officer", "remove", "dewi"], None)
            .status
            .code(),
        Some(2)
    );

    // An entry changed behind the triggers' back: the chain names it, exit 5.
    let conn = rusqlite::Connection::open(data.join(plkk_branch::DATABASE_FILE_NAME)).unwrap();
    conn.execute_batch(
        "DROP TRIGGER officer_audit_no_update; UPDATE officer_audit SET actor = 'someone' WHERE seq = 1;",
    )
    .unwrap();
    drop(conn);
    let broken = cli(data, &["audit", "officers"], None);
    assert_eq!(broken.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("broken at seq 1"));

    let report = cli(
        data,
        &["report", "--from", "2026-01", "--to", "2026-13"],
        None,
    );
    assert_eq!(report.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&report.stderr).contains("to: a month is written YYYY-MM"));
    let inbox = cli(data, &["case", "inbox", "--json"], None);
    assert!(inbox.status.success());
    let page: serde_json::Value = serde_json::from_slice(&inbox.stdout).unwrap();
    assert_eq!(page["rows"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn guarantee_issued_without_a_reference_is_refused_by_the_command_line() {
    let (branch, case) = branch_with_case().await;
    let id = case.to_string();
    let refused = cli(
        branch.data_dir(),
        &["case", "status", &id, "guarantee_issued"],
        None,
    );
    assert_eq!(refused.status.code(), Some(2), "input refused");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("reference:"),
        "the field is named: {stderr}"
    );
    let blank = cli(
        branch.data_dir(),
        &[
            "case",
            "status",
            &id,
            "guarantee_issued",
            "--reference",
            " ",
        ],
        None,
    );
    assert_eq!(blank.status.code(), Some(2));
    assert_eq!(status_of(&branch, case), "received", "nothing was stored");
    let set = cli(
        branch.data_dir(),
        &[
            "case",
            "status",
            &id,
            "guarantee_issued",
            "--reference",
            "SJ-2026-7",
        ],
        None,
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let (record, _) = admin::show_case(branch.data_dir(), case).unwrap();
    assert_eq!(
        (record.status.as_str(), record.status_reference.as_deref()),
        ("guarantee_issued", Some("SJ-2026-7"))
    );
    branch.stop().await;
}

#[tokio::test]
async fn a_clinic_name_that_starts_a_formula_is_neutralised_in_the_report_csv() {
    fast_hashing();
    let branch = Branch::start().await;
    let formula = r#"=HYPERLINK("http://x","y")"#;
    admin::add_clinic(branch.data_dir(), "PLKK-F", formula).unwrap();
    let mut desk = branch.enrol("PLKK-F").await;
    branch
        .push_ok(&mut desk, vec![intake_entry(Uuid::now_v7())])
        .await;
    add_officer(&branch, "lihat", OfficerRole::Viewer);
    let http = client();
    let base = root(&branch);
    let session = sign_in(&http, &base, "lihat").await;
    let download = http
        .get(format!("{base}/reports.csv?from=2025-01&to=2025-01"))
        .header(COOKIE, session.header())
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    let printed = cli(
        branch.data_dir(),
        &["report", "--from", "2025-01", "--to", "2025-01"],
        None,
    );
    assert!(printed.status.success());
    for (source, text) in [
        ("console download", download.text().await.unwrap()),
        (
            "plkk-branch report",
            String::from_utf8(printed.stdout).unwrap(),
        ),
    ] {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1, "{source}: {text}");
        assert_eq!(&rows[0][0], "PLKK-F", "{source}");
        assert_eq!(
            &rows[0][1],
            format!("'{formula}"),
            "{source}: read back neutralised"
        );
        assert_eq!(&rows[0][3], "1", "{source}: counts stay numbers");
    }
    branch.stop().await;
}

#[tokio::test]
async fn the_inbox_search_reads_names_and_numbers_as_the_desk_does() {
    fast_hashing();
    let branch = Branch::start().await;
    let mut desk = branch.enrol("PLKK-A").await;
    let aminah = Uuid::now_v7();
    branch.push_ok(&mut desk, vec![intake_entry(aminah)]).await;
    let rufah = Uuid::now_v7();
    let mut fields = intake_fields(rufah);
    fields["full_name"] = json!("Siti Ma'rufah");
    fields["nik"] = json!("3275014501900002");
    branch
        .push_ok(&mut desk, vec![intake_entry_with(rufah, fields)])
        .await;
    add_officer(&branch, "lihat", OfficerRole::Viewer);
    let http = client();
    let base = root(&branch);
    let session = sign_in(&http, &base, "lihat").await;
    let ids_in = |html: &str| {
        [rufah, aminah]
            .into_iter()
            .filter(|id| html.contains(&format!("href=\"/cases/{id}\"")))
            .collect::<Vec<_>>()
    };
    for (typed, expected) in [
        ("marufah", vec![rufah]),
        ("ma'rufah", vec![rufah]),
        ("MA’RUFAH", vec![rufah]),
        ("siti ma'ru", vec![rufah]),
        ("siti", vec![rufah, aminah]),
        ("3275 0145 0190 0002", vec![rufah]),
        ("3275-0145-0190-0002", vec![rufah]),
        ("3216-0145", vec![aminah]),
        ("o'neil", vec![]),
    ] {
        let page = http
            .get(format!("{base}/"))
            .query(&[("q", typed)])
            .header(COOKIE, session.header())
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{typed:?}");
        let html = page.text().await.unwrap();
        assert_eq!(ids_in(&html), expected, "console, typed {typed:?}");
        let listed = cli(
            branch.data_dir(),
            &["case", "inbox", "--q", typed, "--json"],
            None,
        );
        assert!(listed.status.success(), "{typed:?}");
        let page: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
        let ids: Vec<Uuid> = page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["id"].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(ids, expected, "plkk-branch case inbox --q {typed:?}");
    }
    branch.stop().await;
}

#[tokio::test]
async fn a_cases_documents_are_listed_and_each_download_is_in_the_officers_log() {
    fast_hashing();
    let branch = Branch::start().await;
    let mut desk = branch.enrol("PLKK-A").await;
    let (case, document, waiting) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let content = b"%PDF-1.4\nlaporan polisi".to_vec();
    let sha256: String = <sha2::Sha256 as sha2::Digest>::digest(&content)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let entry = |id: Uuid, sha: &str| {
        json!({
            "entry_id": Uuid::now_v7(), "device_seq": 0, "kind": "document",
            "record_id": id, "intake_id": case,
            "payload": {"id": id, "intake_id": case, "kind": "police_report",
                        "media_type": "application/pdf", "sha256": sha, "bytes": content.len(),
                        "original_bytes": content.len(), "author": "resepsionis",
                        "written_at": "2025-01-10T09:05:00+07:00"}
        })
    };
    let other_sha = "0".repeat(64);
    branch
        .push_ok(
            &mut desk,
            vec![
                intake_entry(case),
                entry(document, &sha256),
                entry(waiting, &other_sha),
            ],
        )
        .await;
    let put = branch
        .client
        .put(branch.url(&format!("/documents/{document}/content?offset=0")))
        .bearer_auth(&desk.token)
        .body(content.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    add_officer(&branch, "lihat", OfficerRole::Viewer);
    let http = client();
    let base = root(&branch);
    let session = sign_in(&http, &base, "lihat").await;
    let html = http
        .get(format!("{base}/cases/{case}"))
        .header(COOKIE, session.header())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!(r#"href="/documents/{document}""#)),
        "a download link"
    );
    assert!(
        !html.contains(&format!("/documents/{waiting}")),
        "no link before the content arrived"
    );
    assert!(html.contains("police_report"));
    let download = http
        .get(format!("{base}/documents/{document}"))
        .header(COOKIE, session.header())
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(download.bytes().await.unwrap().to_vec(), content);
    let signed_out = http
        .get(format!("{base}/documents/{document}"))
        .send()
        .await
        .unwrap();
    assert_ne!(
        signed_out.status(),
        StatusCode::OK,
        "only for a signed-in officer"
    );
    let log = admin::officer_audit(branch.data_dir(), None).unwrap();
    let downloads: Vec<_> = log
        .entries
        .iter()
        .filter(|entry| entry.action == "document_downloaded")
        .map(|entry| (entry.actor.as_str(), entry.subject.clone()))
        .collect();
    assert_eq!(downloads, [("lihat", Some(document.to_string()))]);
    branch.stop().await;
}
