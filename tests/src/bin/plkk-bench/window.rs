//! App start to first paint, and memory, of the real desktop app. The app prints
//! "plkk-desk: first paint" on stderr when the UI reports its first frame; memory is the PSS summed
//! over the app and its WebKit processes (its descendants), read from `/proc` a few seconds later.
//! Each launch is on a set-up desk, so the app starts at its sign-in screen, as at a clinic every
//! morning.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

pub fn start_and_memory() -> anyhow::Result<()> {
    anyhow::ensure!(
        std::env::var_os("DISPLAY").is_some(),
        "--window needs a display: run the benchmark under xvfb-run"
    );
    let app = plkk_tests::bins::workspace_binary("plkk-desk");
    let mut starts = Vec::new();
    let mut memories = Vec::new();
    for _ in 0..RUNS {
        let home = tempfile::tempdir()?;
        plkk_tests::accounts::set_up_desk(&home.path().join("data"));
        let started = Instant::now();
        let mut child = Command::new(&app)
            .env("PLKK_DATA_DIR", home.path().join("data"))
            .env("XDG_DATA_HOME", home.path().join("xdg-data"))
            .env("XDG_CACHE_HOME", home.path().join("xdg-cache"))
            .env("XDG_CONFIG_HOME", home.path().join("xdg-config"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut painted = None;
        for line in BufReader::new(stderr).lines() {
            if line?.contains("plkk-desk: first paint") {
                painted = Some(started.elapsed());
                break;
            }
        }
        let Some(painted) = painted else {
            anyhow::bail!("the app exited without reporting its first paint");
        };
        std::thread::sleep(Duration::from_secs(3));
        let pss_kib = pss_of_tree(child.id());
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let _ = child.wait();
        starts.push(painted);
        memories.push(pss_kib);
    }
    starts.sort();
    memories.sort();
    println!("\n## The desktop app ({RUNS} launches, {})", app.display());
    println!(
        "start to first paint: median {:.0} ms, min {:.0} ms, max {:.0} ms",
        starts[RUNS / 2].as_secs_f64() * 1000.0,
        starts[0].as_secs_f64() * 1000.0,
        starts[RUNS - 1].as_secs_f64() * 1000.0
    );
    println!(
        "memory (PSS, app + WebKit processes) 3 s after first paint: median {:.0} MB, max {:.0} MB",
        memories[RUNS / 2] as f64 / 1024.0,
        memories[RUNS - 1] as f64 / 1024.0
    );
    Ok(())
}

/// PSS in KiB of a process and all its descendants.
fn pss_of_tree(root: u32) -> u64 {
    let mut total = 0;
    let mut pending = vec![root];
    while let Some(pid) = pending.pop() {
        total += pss_kib(pid);
        pending.extend(children_of(pid));
    }
    total
}

fn pss_kib(pid: u32) -> u64 {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    rollup
        .lines()
        .find_map(|line| line.strip_prefix("Pss:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| parent_of(*pid) == Some(parent))
        .collect()
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces: the fields we want follow its closing parenthesis.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}
