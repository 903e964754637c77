//! App start to first paint, and memory, of the real desktop app (filled in with the UI's
//! first-paint report).

pub fn start_and_memory() -> anyhow::Result<()> {
    anyhow::bail!("--window: the first-paint report is not wired yet")
}
