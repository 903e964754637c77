//! `plkk-screenshots`: the pictures of the window in `docs/` (and the README's), taken from the
//! real app on a demo desk: the case list, the intake form and a case, each at 1024×600 (a small
//! clinic laptop) and 1366×768. Not a test: it writes PNG files for people to look at.
//!
//! Usage: `TZ=Asia/Jakarta xvfb-run -a -s '-screen 0 1400x900x24' cargo run -p plkk-tests --bin
//! plkk-screenshots -- [--out docs/screenshots]` (TZ: the desk shows WIB, as at a clinic in Java) (needs the built `plkk-desk` and `tauri-driver`, as the end-to-end
//! tests do). The screen must be larger than the largest size taken.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Duration as TimeSpan, FixedOffset, Local};
use plkk_tests::accounts::{set_up_desk, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::desk_window::{testid_css, DeskWindow, UI_TIMEOUT};
use plkk_tests::samples;
use serde_json::{json, Value};

const SIZES: [(u32, u32); 2] = [(1024, 600), (1366, 768)];

fn now() -> DateTime<FixedOffset> {
    Local::now().fixed_offset()
}

fn main() -> anyhow::Result<()> {
    let mut arguments = std::env::args().skip(1);
    let mut out = PathBuf::from("docs/screenshots");
    while let Some(argument) = arguments.next() {
        match argument.as_str() {
            "--out" => {
                out = PathBuf::from(
                    arguments
                        .next()
                        .ok_or_else(|| anyhow::anyhow!("--out needs a folder"))?,
                )
            }
            other => anyhow::bail!("unknown option {other} (usage: plkk-screenshots [--out DIR])"),
        }
    }
    std::fs::create_dir_all(&out)?;
    let data = tempfile::tempdir()?;
    let closed_case = demo_desk(data.path())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(take_all(data.path(), &out, &closed_case))?;
    println!("plkk-screenshots: written to {}", out.display());
    Ok(())
}

/// A patient's intake whose accident was `hours_ago`.
fn case(hours_ago: i64, changes: Value) -> Value {
    let accident = now() - TimeSpan::hours(hours_ago);
    let mut intake = samples::intake_with(changes);
    intake["accident_at"] = json!(accident.to_rfc3339());
    intake["admitted_at"] = json!((accident + TimeSpan::minutes(40)).to_rfc3339());
    intake
}

/// A desk with a morning's cases (one overdue, one under 12 hours, two calm) and a closed case
/// with treatment notes; returns the closed case's id.
fn demo_desk(data_dir: &Path) -> anyhow::Result<String> {
    let desk = set_up_desk(data_dir);
    let mut store = desk.access.open()?;
    let receptionist = RECEPTIONIST.actor();
    let admit = |store: &mut plkk_store::Store, intake: Value| -> anyhow::Result<String> {
        let fields = intake.as_object().cloned().unwrap_or_default();
        Ok(
            plkk_store::admit_intake(store, &receptionist, &fields, now())?
                .id
                .to_string(),
        )
    };
    admit(
        &mut store,
        case(
            3,
            json!({"nik": "3216051203880007", "full_name": "Agus Setiawan", "sex": "male", "birth_date": "1988-03-12"}),
        ),
    )?;
    admit(
        &mut store,
        case(
            51,
            json!({"nik": "3275014506920004", "full_name": "Dewi Lestari", "birth_date": "1992-06-05", "employer_name": "CV Sinar Abadi",
                   "employer_npp": "23456789", "accident_location": "Bengkel CV Sinar Abadi, Bekasi"}),
        ),
    )?;
    admit(
        &mut store,
        case(
            39,
            json!({"nik": "3216022001790011", "full_name": "Budi Santoso", "sex": "male", "birth_date": "1979-01-20",
                   "segment": "BPU", "employer_name": "Ojek pangkalan Tambun",
                   "employer_npp": null, "place_type": "traffic", "case_category": "commuting_accident",
                   "accident_location": "Jl. Raya Tambun", "police_report_number": "LP/123/XI/2026"}),
        ),
    )?;
    admit(
        &mut store,
        case(
            20,
            json!({"nik": "3216055708900003", "full_name": "Siti Rahmawati"}),
        ),
    )?;
    let closed = admit(
        &mut store,
        case(
            30,
            json!({"nik": "3216056102950008", "full_name": "Rina Marlina", "birth_date": "1995-02-21",
                   "injury": "Luka robek telapak tangan kiri"}),
        ),
    )?;
    let nurse = NURSE.actor();
    let first = json!({
        "text": "Luka robek 3 cm telapak tangan kiri, dijahit 4 jahitan. Tetanus toksoid diberikan.",
        "systolic": 118, "diastolic": 76, "pulse": 84, "temperature_c": "36,8", "spo2": 99,
        "pain_score": 4, "icd10": "S61,0 W26", "disposition": "outpatient_off_work", "stmb_days": 3
    });
    let last = json!({
        "text": "Jahitan dilepas, luka kering. Boleh bekerja kembali.",
        "disposition": "discharged", "outcome": "recovered"
    });
    for note in [first, last] {
        let fields = note.as_object().cloned().unwrap_or_default();
        plkk_store::add_note(&mut store, &nurse, &closed, &fields, now())?;
    }
    Ok(closed)
}

async fn take_all(data_dir: &Path, out: &Path, closed_case: &str) -> anyhow::Result<()> {
    let window = DeskWindow::launch_as(data_dir, ADMIN).await;
    for (width, height) in SIZES {
        let size = format!("{width}x{height}");
        window.resize(width, height).await;
        window.click("nav-cases").await;
        window
            .wait_for(r#"[data-testid="case-row"]"#, UI_TIMEOUT)
            .await;
        settle().await;
        save(&window, &out.join(format!("case-list-{size}.png"))).await?;

        window.click("nav-new-intake").await;
        let form = r#"form[data-testid="intake-form"]"#;
        window.wait_for(form, UI_TIMEOUT).await;
        window.press("3216051203880007").await;
        window.fill_in(form, "full_name", "Agus Setiawan").await;
        window.fill_in(form, "employer_name", "Maj").await;
        window
            .wait_for(&testid_css("offer-employer_name"), UI_TIMEOUT)
            .await;
        settle().await;
        save(&window, &out.join(format!("intake-{size}.png"))).await?;
        window.fill_in(form, "employer_name", "").await;
        window.fill_in(form, "full_name", "").await;
        window.fill_in(form, "nik", "").await;

        window
            .script(&format!("location.hash = '#/case/{closed_case}';"), vec![])
            .await;
        window
            .wait_for(&testid_css("stage-two-due"), UI_TIMEOUT)
            .await;
        settle().await;
        save(&window, &out.join(format!("case-{size}.png"))).await?;
    }
    window.close().await;
    Ok(())
}

/// Lets the page finish drawing (fonts, the last reactive updates) before the picture.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}

async fn save(window: &DeskWindow, path: &Path) -> anyhow::Result<()> {
    let png = window.client().screenshot().await?;
    std::fs::write(path, png)?;
    println!("  {}", path.display());
    Ok(())
}
