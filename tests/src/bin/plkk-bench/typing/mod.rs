//! `plkk-bench --typing`: how long a newcomer at the desk takes to admit a case and to write a
//! treatment note, in the real window with real key events.
//!
//! The app runs under the display of `xvfb-run` (through `tauri-driver`, which is used only to
//! sign in, open the form, wait for the app's answers and read the result); every keystroke of
//! the person is a real X key event sent by `xdotool` to the focused window. The time is computed
//! from what was sent, at a newcomer's pace (issue 9): 0.48 s per character typed, 1.5 s of
//! reading before each field that gets input (typed, picked or accepted), 0.3 s per navigation
//! key (Tab, Enter, arrows, Ctrl+Enter). The keys are sent faster than that (the app is not
//! waiting for a person), so a run takes seconds, not minutes; the saved case is read back from
//! the desk's database and compared with the card, so a figure only counts when the admission
//! really arrived.
//!
//! Scenarios (one window each): the admission typed entirely by hand; the same with each aid the
//! desk offers used alone (the saving of that aid); all aids for a first-time patient of a
//! first-time employer; all aids for a first-time patient of an employer this desk has seen; a
//! returning patient; and a treatment note.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use plkk_tests::accounts::{self, NURSE, RECEPTIONIST};
use plkk_tests::desk_window::{testid_css, DeskWindow, UI_TIMEOUT};

mod plans;

use plans::{
    admission, card, earlier_case_of_employer, earlier_case_of_patient, note, Aids, Card, NoteCard,
    NOTE_CARD, NO_AIDS,
};
use serde_json::{json, Value};

/// Seconds per character typed (about 25 words a minute).
const PER_CHAR: f64 = 0.48;
/// Seconds of reading the card before each field that gets input.
const PER_FIELD: f64 = 1.5;
/// Seconds per navigation key.
const PER_KEY: f64 = 0.3;
/// How fast the keys really go to the window (milliseconds between two).
const SEND_DELAY_MS: u64 = 12;

const INTAKE_FORM: &str = r#"form[data-testid="intake-form"]"#;
const NOTE_FORM: &str = r#"form[data-testid="note-form"]"#;

/// One thing the person does.
#[derive(Debug, Clone)]
enum Step {
    /// Read the next item off the card, then type it into the focused field.
    Type(String),
    /// Read the offer under the focused field and take it with these keys.
    Take(Vec<&'static str>),
    /// Navigation keys (xdotool names): Tab, Return, Down, ctrl+Return, ...
    Keys(Vec<&'static str>),
    /// Wait until the app shows `css` (its answer to what was typed; no time counted: the
    /// reading pause of the next field covers it).
    Await(String),
}

/// What a scenario cost.
#[derive(Debug, Default, Clone, Copy)]
struct Cost {
    characters: usize,
    keys: usize,
    fields: usize,
    tab_stops: usize,
}

impl Cost {
    fn of(steps: &[Step]) -> Cost {
        let mut cost = Cost::default();
        for step in steps {
            match step {
                Step::Type(text) => {
                    cost.fields += 1;
                    cost.characters += text.chars().count();
                }
                Step::Take(keys) => {
                    cost.fields += 1;
                    cost.keys += keys.len();
                }
                Step::Keys(keys) => {
                    cost.keys += keys.len();
                    cost.tab_stops += keys
                        .iter()
                        .filter(|key| matches!(**key, "Tab" | "Return"))
                        .count();
                }
                Step::Await(_) => {}
            }
        }
        cost
    }

    fn keystrokes(&self) -> usize {
        self.characters + self.keys
    }

    fn seconds(&self) -> f64 {
        self.characters as f64 * PER_CHAR
            + self.fields as f64 * PER_FIELD
            + self.keys as f64 * PER_KEY
    }
}

fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

/// A scenario: its name, the steps, and what the desk knew before.
struct Scenario {
    name: &'static str,
    steps: Vec<Step>,
    /// An earlier case on the desk (employer seen before, returning patient), or none.
    earlier: Option<Value>,
}

pub fn typing() -> anyhow::Result<()> {
    anyhow::ensure!(
        std::env::var_os("DISPLAY").is_some(),
        "--typing needs a display: run the benchmark under xvfb-run"
    );
    anyhow::ensure!(
        Command::new("xdotool").arg("version").output().is_ok(),
        "--typing needs xdotool (apt-get install xdotool; scripts/setup.sh installs it)"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let now = now();
    let card = card(now);
    let with = |change: fn(&mut Aids)| {
        let mut aids = NO_AIDS;
        change(&mut aids);
        aids
    };
    let first_time = with(|aids| {
        aids.time_alone = true;
        aids.regency = true;
    });
    let known_employer = with(|aids| {
        aids.time_alone = true;
        aids.regency = true;
        aids.employer = true;
        aids.location = true;
        aids.contact = true;
    });
    let returning = with(|aids| {
        aids.time_alone = true;
        aids.location = true;
        aids.contact = true;
        aids.returning = true;
    });
    let employer_seen = Some(earlier_case_of_employer(&card));
    let scenarios = vec![
        Scenario {
            name: "A. everything typed by hand, no aid taken",
            steps: admission(&card, NO_AIDS),
            earlier: None,
        },
        Scenario {
            name: "B. A + accident time typed alone (0815 = today)",
            steps: admission(&card, with(|aids| aids.time_alone = true)),
            earlier: None,
        },
        Scenario {
            name: "C. A + the NIK's regency taken for the address",
            steps: admission(&card, with(|aids| aids.regency = true)),
            earlier: None,
        },
        Scenario {
            name: "D. A + the employer taken after 3 letters (NPP, segment)",
            steps: admission(&card, with(|aids| aids.employer = true)),
            earlier: employer_seen.clone(),
        },
        Scenario {
            name: "E. D + the employer's accident location taken",
            steps: admission(
                &card,
                with(|aids| {
                    aids.employer = true;
                    aids.location = true;
                }),
            ),
            earlier: employer_seen.clone(),
        },
        Scenario {
            name: "F. E + the employer's last contact person taken",
            steps: admission(
                &card,
                with(|aids| {
                    aids.employer = true;
                    aids.location = true;
                    aids.contact = true;
                }),
            ),
            earlier: employer_seen.clone(),
        },
        Scenario {
            name: "G. first-time patient, first-time employer, every aid (goal < 120 s)",
            steps: admission(&card, first_time),
            earlier: None,
        },
        Scenario {
            name: "H. first-time patient, employer seen before, every aid (goal < 100 s)",
            steps: admission(&card, known_employer),
            earlier: employer_seen,
        },
        Scenario {
            name: "I. returning patient: the earlier case's fields copied, every aid",
            steps: admission(&card, returning),
            earlier: Some(earlier_case_of_patient(&card)),
        },
    ];
    let notes = vec![("treatment note", note(&NOTE_CARD))];
    println!(
        "\n## Typing at a newcomer's pace (0.48 s a character, 1.5 s reading before each field"
    );
    println!(
        "## that gets input, 0.3 s a navigation key); keys sent to the real window by xdotool,"
    );
    println!("## time computed from the keys sent; each result read back from the desk's database");
    let mut results = Vec::new();
    for scenario in &scenarios {
        let started = Instant::now();
        runtime.block_on(run_admission(scenario, &card))?;
        let cost = Cost::of(&scenario.steps);
        println!(
            "{:<72} {:>4} keystrokes ({:>3} characters, {:>2} keys), {:>2} tab stops, {:>2} fields: {:>6.1} s   [run {:.0} s]",
            scenario.name,
            cost.keystrokes(),
            cost.characters,
            cost.keys,
            cost.tab_stops,
            cost.fields,
            cost.seconds(),
            started.elapsed().as_secs_f64()
        );
        results.push((scenario.name, cost));
    }
    summarise(&results);
    for (name, steps) in &notes {
        let started = Instant::now();
        runtime.block_on(run_note(steps, &NOTE_CARD))?;
        let cost = Cost::of(steps);
        println!(
            "{:<72} {:>4} keystrokes ({:>3} characters, {:>2} keys), {:>2} tab stops, {:>2} fields: {:>6.1} s   [run {:.0} s]",
            name,
            cost.keystrokes(),
            cost.characters,
            cost.keys,
            cost.tab_stops,
            cost.fields,
            cost.seconds(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The saving of each aid against A (everything typed by hand), and for the goals the floor that
/// the characters and fields alone set (no navigation key at all).
fn summarise(results: &[(&str, Cost)]) {
    let Some((_, by_hand)) = results.first() else {
        return;
    };
    println!("\nsaving of each aid against A:");
    for (name, cost) in &results[1..] {
        println!(
            "  {:<70} {:>4} keystrokes, {:>5.1} s",
            name,
            by_hand.keystrokes() as i64 - cost.keystrokes() as i64,
            by_hand.seconds() - cost.seconds()
        );
    }
    println!(
        "floor set by what must still be typed and read (characters x 0.48 s + fields x 1.5 s):"
    );
    for (name, cost) in results.iter().filter(|(name, _)| name.contains("goal")) {
        let floor = cost.characters as f64 * PER_CHAR + cost.fields as f64 * PER_FIELD;
        println!(
            "  {:<70} {:>5.1} s of {:>5.1} s ({} characters, {} fields; navigation {:.1} s)",
            name,
            floor,
            cost.seconds(),
            cost.characters,
            cost.fields,
            cost.seconds() - floor
        );
    }
}

/// Runs the note scenario: a nurse opens a case admitted earlier and writes the note.
async fn run_note(steps: &[Step], card: &NoteCard) -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let desk = accounts::set_up_desk(data.path());
    let case_id = {
        let mut store = desk.access.open()?;
        let intake = plkk_tests::samples::intake();
        let fields = intake.as_object().cloned().unwrap_or_default();
        plkk_store::admit_intake(&mut store, &RECEPTIONIST.actor(), &fields, now())?.id
    };
    drop(desk);
    let window = DeskWindow::launch_as(data.path(), NURSE).await;
    window
        .script(&format!("location.hash = '#/case/{case_id}';"), vec![])
        .await;
    let text = window
        .wait_for(&format!("{NOTE_FORM} [name=\"text\"]"), UI_TIMEOUT)
        .await;
    window.click_element(&text, "the note's text").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    focus_window()?;
    perform(&window, steps).await?;
    let saved = window
        .wait_for_count(r#"[data-testid="note"]"#, 1, UI_TIMEOUT)
        .await;
    let shown = saved[0].text().await.unwrap_or_default();
    window.close().await;
    let signed_in = NURSE.sign_in(data.path());
    let case = plkk_store::show_case(
        &signed_in.store,
        &NURSE.actor(),
        &case_id.to_string(),
        now(),
    )?;
    let note = case
        .notes
        .first()
        .ok_or_else(|| anyhow::anyhow!("the note was not saved (the case shows {shown:?})"))?;
    let fields = serde_json::to_value(note)?;
    let expected = [
        ("text", json!(card.text)),
        ("systolic", json!(card.systolic.parse::<u16>()?)),
        ("diastolic", json!(card.diastolic.parse::<u16>()?)),
        ("pulse", json!(card.pulse.parse::<u16>()?)),
        (
            "temperature_c",
            json!(card.temperature.replace(',', ".").parse::<f64>()?),
        ),
        ("spo2", json!(card.spo2.parse::<u8>()?)),
        ("pain_score", json!(card.pain.parse::<u8>()?)),
        ("icd10", json!([card.icd10])),
        ("disposition", json!("outpatient_off_work")),
        ("stmb_days", json!(card.stmb_days.parse::<u16>()?)),
    ];
    for (field, value) in expected {
        anyhow::ensure!(
            fields[field] == value,
            "the saved note's {field} is {} where the notes say {value}",
            fields[field]
        );
    }
    Ok(())
}

/// Runs one admission scenario on a fresh desk and checks the saved case against the card.
async fn run_admission(scenario: &Scenario, card: &Card) -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let desk = accounts::set_up_desk(data.path());
    if let Some(earlier) = &scenario.earlier {
        let mut store = desk.access.open()?;
        let fields = earlier.as_object().cloned().unwrap_or_default();
        plkk_store::admit_intake(&mut store, &RECEPTIONIST.actor(), &fields, now())?;
    }
    drop(desk);
    let window = DeskWindow::launch_as(data.path(), RECEPTIONIST).await;
    window.click("nav-new-intake").await;
    window.wait_for(INTAKE_FORM, UI_TIMEOUT).await;
    // The form puts the cursor in its first field; give the window the keyboard.
    tokio::time::sleep(Duration::from_millis(300)).await;
    focus_window()?;
    perform(&window, &scenario.steps).await?;
    if let Err(problem) = wait_saved(&window).await {
        window.close().await;
        return Err(problem);
    }
    window.close().await;
    check_saved(data.path(), card)
}

/// Waits for the form to say "Tersimpan"; otherwise says what the form holds and shows.
async fn wait_saved(window: &DeskWindow) -> anyhow::Result<()> {
    let deadline = Instant::now() + UI_TIMEOUT;
    loop {
        let status = window
            .find_all(&testid_css("form-status"))
            .await
            .into_iter()
            .next();
        if let Some(status) = status {
            let text = status.text().await.unwrap_or_default();
            if text.contains("Tersimpan") {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            let form = window
                .script(
                    "return Array.from(document.querySelectorAll('form [name]')).map(e => e.name + '=' + (e.type === 'radio' ? (e.checked ? e.value : '') : e.value)).filter(t => !t.endsWith('=')).join(' | ') + ' || ' + Array.from(document.querySelectorAll('[data-testid^=error-], [data-testid=form-status]')).map(e => e.dataset.testid + ': ' + e.textContent).join(' | ');",
                    vec![],
                )
                .await;
            anyhow::bail!("the admission was not saved; the form holds: {form}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends the steps' keys to the focused window.
async fn perform(window: &DeskWindow, steps: &[Step]) -> anyhow::Result<()> {
    for step in steps {
        match step {
            Step::Type(text) => {
                xdotool(&["type", "--delay", &SEND_DELAY_MS.to_string(), "--", text])?
            }
            Step::Take(keys) | Step::Keys(keys) => {
                let mut args = vec!["key", "--delay"];
                let delay = (SEND_DELAY_MS * 4).to_string();
                args.push(&delay);
                args.extend(keys.iter().copied());
                xdotool(&args)?;
            }
            Step::Await(css) => {
                window.wait_for(css, UI_TIMEOUT).await;
            }
        }
        // Let the page handle the events (the app reacts to each field as it is left).
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    Ok(())
}

/// Gives the keyboard to the desk's window (there is no window manager under Xvfb).
fn focus_window() -> anyhow::Result<()> {
    let found = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", "^PLKK Desk$"])
        .output()?;
    let id = String::from_utf8_lossy(&found.stdout)
        .lines()
        .last()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("the desk's window was not found by xdotool"))?;
    xdotool(&["windowfocus", &id])?;
    std::thread::sleep(Duration::from_millis(200));
    Ok(())
}

fn xdotool(args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new("xdotool").args(args).status()?;
    anyhow::ensure!(status.success(), "xdotool {args:?} failed: {status}");
    Ok(())
}

/// The one case on the desk that is not an earlier one must hold the card's values.
fn check_saved(data_dir: &Path, card: &Card) -> anyhow::Result<()> {
    let signed_in = RECEPTIONIST.sign_in(data_dir);
    let query = plkk_store::ListQuery {
        search: card.nik.to_owned(),
        open_only: false,
        limit: 10,
    };
    let found = plkk_store::list_cases(&signed_in.store, &RECEPTIONIST.actor(), &query)?;
    // A returning patient has an earlier case with the same NIK: the new one has the card's time.
    let case = found
        .iter()
        .find(|case| case.intake.accident_at == card.accident_at)
        .ok_or_else(|| {
            anyhow::anyhow!("no case with the card's NIK and accident time was saved")
        })?;
    let fields = serde_json::to_value(&case.intake)?;
    let expected: BTreeMap<&str, Value> = [
        ("full_name", json!(card.full_name)),
        ("phone", json!(card.phone)),
        ("address", json!(card.address())),
        ("kpj", json!(card.kpj)),
        ("segment", json!("PU")),
        ("employer_name", json!(card.employer_name)),
        ("employer_npp", json!(card.employer_npp)),
        ("case_category", json!("work_accident")),
        ("place_type", json!("workplace")),
        ("accident_location", json!(card.location)),
        ("chronology", json!(card.chronology)),
        ("injury", json!(card.injury)),
        ("contact_name", json!(card.contact_name)),
        ("contact_phone", json!(card.contact_phone)),
        ("consent", json!("patient")),
        ("sex", json!("male")),
        ("birth_date", json!("1988-03-12")),
    ]
    .into_iter()
    .collect();
    for (field, value) in expected {
        anyhow::ensure!(
            fields[field] == value,
            "the saved {field} is {} where the card says {value}",
            fields[field]
        );
    }
    let accident_at: DateTime<FixedOffset> = serde_json::from_value(fields["accident_at"].clone())?;
    anyhow::ensure!(
        accident_at == card.accident_at,
        "the saved accident time is {accident_at} where the card says {}",
        card.accident_at
    );
    Ok(())
}
