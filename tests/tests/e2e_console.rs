//! The branch console in a real browser (headless Chromium from Debian's packages, driven over
//! WebDriver), against a real branch, with a real desk (`plkk` run as a process). One browser
//! session walks the whole story, as an officer would:
//!
//! 1. the first administrator is created with `plkk-branch officer add` (a process);
//! 2. sign-in with a wrong password shows the message; the right one opens the inbox;
//! 3. the administrator adds a clinic and issues an enrolment code in the console; the desk enrols
//!    with it (`plkk enroll`), admits a case and syncs (`plkk sync`);
//! 4. the case appears in the inbox, is found by a NIK prefix in the search box `q`, and opens
//!    through the link with the patient's full name;
//! 5. `guarantee_issued` with a reference is set through the status form; the desk's `plkk sync`
//!    pulls it and `plkk intake show` shows it;
//!    then the desk registers a BPU participant (`plkk bpu register`), the officer approves it
//!    on `/bpu` (a bad KPJ refused beside its field first), the desk pulls the KPJ and the
//!    report's BPU column counts it;
//! 6. the desk is revoked in the console (after its confirmation page) and its next `plkk sync`
//!    is refused (exit 6);
//! 7. a viewer sees the case without the status form, and a status POST forged with the viewer's
//!    own session and CSRF token is refused 403.
//!
//! Set `PLKK_CONSOLE_SCREENSHOT=FILE.png` to keep a picture of the inbox (the README's).

use std::path::Path;
use std::process::Output;

use plkk_tests::accounts::{self, ADMIN};
use plkk_tests::bins::{self, workspace_binary};
use plkk_tests::branch::TestBranch;
use plkk_tests::console_browser::ConsoleBrowser;
use plkk_tests::samples;
use serde_json::Value;

const ADMIN_PASSWORD: &str = "sandi-admin-cabang";
const VIEWER_PASSWORD: &str = "sandi-pemantau-1";
const REFERENCE: &str = "SJ/BKS/2026/0042";

/// `plkk-branch` on the branch of `data_dir`: its PostgreSQL database too when the tests run there.
fn branch_cli(data_dir: &Path, args: &[&str], password: &str) -> Output {
    let mut command = std::process::Command::new(workspace_binary("plkk-branch"));
    command.arg("--data-dir").arg(data_dir);
    if let Some(url) = plkk_tests::branch::database_for(data_dir) {
        command.arg("--database").arg(url);
    }
    command
        .args(args)
        .env("PLKK_BRANCH_PASSWORD", password)
        .env("PLKK_KDF", "fast")
        .output()
        .expect("plkk-branch runs")
}

fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what}: exit {:?}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_works_a_case_from_a_real_desk_in_a_real_browser() {
    let branch = TestBranch::start();
    let data = branch.data_dir().to_owned();
    ok(
        branch_cli(
            &data,
            &[
                "officer",
                "add",
                "--username",
                "dewi",
                "--name",
                "Dewi Kepala Cabang",
                "--role",
                "admin",
            ],
            ADMIN_PASSWORD,
        ),
        "the first administrator",
    );
    ok(
        branch_cli(
            &data,
            &[
                "officer",
                "add",
                "--username",
                "lihat",
                "--name",
                "Lia Pemantau",
                "--role",
                "viewer",
            ],
            VIEWER_PASSWORD,
        ),
        "a viewer",
    );
    let browser = ConsoleBrowser::launch(&branch.url()).await;

    // 2. Sign in: wrong, then right.
    browser.open("/").await;
    browser.fill("username", "dewi").await;
    browser.fill("password", "bukan-sandinya").await;
    browser.click(r#"form.sign-in button[type="submit"]"#).await;
    let refused = browser.text(r#"[data-testid="sign-in-error"]"#).await;
    assert!(refused.contains("kata sandi salah"), "{refused}");
    browser.fill("password", ADMIN_PASSWORD).await;
    browser.click(r#"form.sign-in button[type="submit"]"#).await;
    let officer = browser.text(r#"[data-testid="officer"]"#).await;
    assert!(officer.contains("Dewi Kepala Cabang"), "{officer}");

    // 3. A clinic, an enrolment code, a desk enrolled with it, a case synced.
    browser.open("/clinics").await;
    browser.fill("clinic_code", "PLKK-BKS-01").await;
    browser.fill("clinic_name", "Klinik Sehat Cikarang").await;
    browser
        .click(r#"form[action="/clinics"] button[type="submit"]"#)
        .await;
    browser.find(r#"[data-testid="notice"]"#).await;
    browser
        .click(r#"[data-clinic="PLKK-BKS-01"] [data-testid="issue-code"]"#)
        .await;
    let code = browser.text(r#"[data-testid="enrollment-code"]"#).await;
    assert_eq!(code.len(), 14, "{code}");

    let desk_dir = tempfile::tempdir().unwrap();
    let desk = desk_dir.path();
    accounts::set_up_desk(desk);
    ok(
        bins::run_plkk_as(
            desk,
            ADMIN,
            &["enroll", "--branch", &branch.url(), "--code", &code],
            "",
        ),
        "plkk enroll with the console's code",
    );
    let intake = samples::intake();
    let added = ok(
        bins::run_plkk(desk, &["intake", "add"], &intake.to_string()),
        "plkk intake add",
    );
    let case_id = added.lines().last().unwrap().trim().to_owned();
    ok(bins::run_plkk(desk, &["sync"], ""), "plkk sync");

    // 4. The inbox has it; the NIK prefix finds it; the name opens it.
    let full_name = intake["full_name"].as_str().unwrap();
    let nik = intake["nik"].as_str().unwrap();
    browser.open("/").await;
    browser.find(r#"[data-testid="inbox"]"#).await;
    assert!(
        browser.source().await.contains(full_name),
        "the synced case is in the inbox"
    );
    browser.fill("q", &nik[..8]).await;
    browser
        .click(r#"form.filters .search button[type="submit"]"#)
        .await;
    let rows = browser.find_all("table.inbox tbody tr").await;
    assert_eq!(rows.len(), 1, "one case for NIK prefix {}", &nik[..8]);
    if let Ok(path) = std::env::var("PLKK_CONSOLE_SCREENSHOT") {
        browser.open("/").await;
        browser.find(r#"[data-testid="inbox"]"#).await;
        browser.screenshot(Path::new(&path)).await;
        browser.open(&format!("/?q={}", &nik[..8])).await;
    }
    let link = browser
        .find_all("table.inbox tbody tr td a")
        .await
        .into_iter()
        .next()
        .expect("a link in the row");
    assert!(link.text().await.unwrap().contains(full_name));
    link.click().await.unwrap();
    browser.wait_for_path(&format!("/cases/{case_id}")).await;

    // 5. guarantee_issued with a reference, pulled by the desk.
    browser.choose("status", "guarantee_issued").await;
    browser.fill("reference", REFERENCE).await;
    browser.click(r#"form.status button[type="submit"]"#).await;
    let saved = browser.text(r#"[data-testid="notice"]"#).await;
    assert!(saved.contains("Status tersimpan"), "{saved}");
    assert!(browser
        .text(r#"[data-testid="case-status"]"#)
        .await
        .contains("Surat jaminan terbit"));
    ok(
        bins::run_plkk(desk, &["sync"], ""),
        "plkk sync pulls the status",
    );
    let shown: Value = serde_json::from_str(&ok(
        bins::run_plkk(desk, &["intake", "show", &case_id, "--json"], ""),
        "plkk intake show",
    ))
    .unwrap();
    assert_eq!(
        shown["branch_status"]["status"], "guarantee_issued",
        "{shown}"
    );
    assert_eq!(shown["branch_status"]["reference"], REFERENCE, "{shown}");

    // 5b. A BPU registration from the desk: a bad KPJ is refused beside its field, a good one
    // registers the person, the desk pulls the KPJ, and the report counts it.
    let registered = ok(
        bins::run_plkk(
            desk,
            &["bpu", "register"],
            &samples::bpu_registration().to_string(),
        ),
        "plkk bpu register",
    );
    let registration_id = registered.lines().last().unwrap().trim().to_owned();
    ok(
        bins::run_plkk(desk, &["sync"], ""),
        "plkk sync sends the registration",
    );
    browser.open("/bpu").await;
    browser.find(r#"[data-testid="bpu-queue"]"#).await;
    assert!(browser.source().await.contains("Wati Pedagang"));
    browser.fill("kpj", "123").await;
    browser.click(r#"[data-testid="bpu-approve"] button"#).await;
    let refusal = browser.text(r#"p.field-error[data-field="kpj"]"#).await;
    assert!(refusal.contains("11 angka"), "{refusal}");
    browser.fill("kpj", "26110000123").await;
    browser.click(r#"[data-testid="bpu-approve"] button"#).await;
    let approved = browser.text(r#"[data-testid="notice"]"#).await;
    assert!(approved.contains("disetujui"), "{approved}");
    ok(
        bins::run_plkk(desk, &["sync"], ""),
        "plkk sync pulls the decision",
    );
    let shown: Value = serde_json::from_str(&ok(
        bins::run_plkk(desk, &["bpu", "show", &registration_id, "--json"], ""),
        "plkk bpu show",
    ))
    .unwrap();
    assert_eq!(
        (shown["status"].as_str(), shown["kpj"].as_str()),
        (Some("registered"), Some("26110000123"))
    );
    let month = chrono::Local::now().format("%Y-%m").to_string();
    browser
        .open(&format!("/reports?from={month}&to={month}"))
        .await;
    let counted = browser.text(r#"[data-testid="bpu-count"]"#).await;
    assert_eq!(counted, "1 (1)", "one received, one registered");

    // 6. Revoke the desk after its confirmation page; its next sync is refused.
    browser.open("/clinics").await;
    browser
        .click(r#"[data-clinic="PLKK-BKS-01"] [data-testid="revoke"]"#)
        .await;
    browser.click(r#"[data-testid="confirm-revoke"]"#).await;
    browser.find(r#"[data-testid="notice"]"#).await;
    let refused_sync = bins::run_plkk(desk, &["sync"], "");
    assert_eq!(
        refused_sync.status.code(),
        Some(6),
        "a revoked desk's sync: {}",
        String::from_utf8_lossy(&refused_sync.stderr)
    );

    // 7. A viewer: no status form, and a forged POST is refused.
    browser.click(r#"[data-testid="sign-out"]"#).await;
    browser.fill("username", "lihat").await;
    browser.fill("password", VIEWER_PASSWORD).await;
    browser.click(r#"form.sign-in button[type="submit"]"#).await;
    browser.find(r#"[data-testid="officer"]"#).await;
    browser.open(&format!("/cases/{case_id}")).await;
    browser.find(r#"[data-testid="case-status"]"#).await;
    assert!(
        browser
            .find_all(r#"select[name="status"]"#)
            .await
            .is_empty(),
        "no status form"
    );
    assert!(
        browser.find_all(r#"form.status button"#).await.is_empty(),
        "no status button"
    );
    let page = browser.source().await;
    let start = page
        .find(r#"name="csrf" value=""#)
        .expect("the sign-out form's token")
        + 19;
    let csrf = &page[start..start + 64];
    let session = browser
        .cookie("plkk_session")
        .await
        .expect("the viewer's session");
    let forged = reqwest::Client::new()
        .post(format!("{}/cases/{case_id}/status", branch.url()))
        .header("cookie", format!("plkk_session={session}"))
        .form(&[
            ("status", "not_eligible"),
            ("reason", "dipalsukan"),
            ("csrf", csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), reqwest::StatusCode::FORBIDDEN);
    let (case, _) = plkk_branch::admin::show_case(branch.database(), case_id.parse().unwrap())
        .expect("the case");
    assert_eq!(
        case.status, "guarantee_issued",
        "the forged POST changed nothing"
    );
    browser.close().await;
}
