//! Finding the workspace's programs (`plkk`, `plkk-desk`) from a test or the benchmark: they live
//! beside the running executable's target directory. `cargo build --workspace` builds them.

use std::path::PathBuf;

/// The cargo profile directory (`target/debug` or `target/release`) of the running executable.
pub fn profile_dir() -> PathBuf {
    let executable = std::env::current_exe().expect("the running executable has a path");
    let mut dir = executable
        .parent()
        .expect("the executable is in a directory")
        .to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

/// The path of a workspace binary, failing with instructions when it has not been built.
pub fn workspace_binary(name: &str) -> PathBuf {
    let path = profile_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: build it first with `cargo build --workspace --bins`",
        path.display()
    );
    path
}

/// Runs `plkk` on `data_dir` as a real process, signed in as the receptionist (see
/// `accounts::set_up_desk`), with `stdin` as its input.
pub fn run_plkk(data_dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    run_plkk_as(data_dir, crate::accounts::RECEPTIONIST, args, stdin)
}

/// Runs `plkk` on `data_dir` as a real process signed in as `staff`, with `stdin` as its input.
pub fn run_plkk_as(
    data_dir: &std::path::Path,
    staff: crate::accounts::Staff,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    run_plkk_with(
        data_dir,
        &[
            ("PLKK_USER", staff.username),
            ("PLKK_PASSWORD", staff.password),
        ],
        args,
        stdin,
    )
}

/// Runs `plkk` with these environment variables (no terminal: nothing is prompted).
pub fn run_plkk_with(
    data_dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(workspace_binary("plkk"))
        .args(args)
        .env("PLKK_DATA_DIR", data_dir)
        .env_remove("PLKK_USER")
        .env_remove("PLKK_PASSWORD")
        .env("PLKK_KDF", "fast")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("plkk starts");
    let written = child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes());
    // `plkk` may exit before reading its input (a usage error, say): that is its answer, not ours.
    if let Err(error) = written {
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::BrokenPipe,
            "writing plkk's input: {error}"
        );
    }
    child.wait_with_output().expect("plkk runs to its end")
}

/// `plkk status --json` on `data_dir` (as the receptionist), read back. It exits 10 exactly when
/// it names problems (a desk holding records that was never backed up has one: `no_recent_backup`)
/// and 0 otherwise, printing the same fields either way; anything else fails the test.
pub fn plkk_status(data_dir: &std::path::Path) -> serde_json::Value {
    let output = run_plkk(data_dir, &["status", "--json"], "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let status: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("plkk status --json printed no JSON ({error}): {stderr}"));
    let problems = status["problems"].as_array().map_or(0, Vec::len);
    assert_eq!(
        output.status.code(),
        Some(if problems == 0 { 0 } else { 10 }),
        "plkk status with {problems} problem(s): {stderr}"
    );
    status
}

/// Environment variables that run a program with its clock `offset` ahead of the computer's
/// (`"+15m"`, `"+3h"`), through libfaketime (Debian package `faketime`, installed by
/// `scripts/setup.sh`): the program's wall clock really reads the later time, as on a desk PC
/// whose clock runs fast. Monotonic time is left alone, so timeouts behave.
pub fn fast_clock(offset: &str) -> Vec<(&'static str, String)> {
    let library = [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1",
    ]
    .into_iter()
    .find(|path| std::path::Path::new(path).exists())
    .expect("libfaketime is missing: install the Debian package faketime (scripts/setup.sh)");
    vec![
        ("LD_PRELOAD", library.to_owned()),
        ("FAKETIME", offset.to_owned()),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1".to_owned()),
        ("FAKETIME_DONT_RESET", "1".to_owned()),
    ]
}

/// Runs `command` with its standard output a pipe whose reader is gone before it writes (as in
/// `… | head` once `head` has its lines) and its standard error captured.
pub fn run_with_stdout_closed(mut command: std::process::Command) -> std::process::Output {
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    drop(child.stdout.take());
    child.wait_with_output().expect("the program ends")
}

/// `output` is that of a program that ended as a Unix tool does when its reader went away:
/// stopped by SIGPIPE, nothing said on standard error (no panic about a broken pipe).
pub fn assert_ended_quietly(output: &std::process::Output, what: &str) {
    use std::os::unix::process::ExitStatusExt;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{what} says nothing when its reader goes away: {stderr}"
    );
    assert_eq!(
        output.status.signal(),
        Some(13),
        "{what} stops at SIGPIPE once its reader is gone ({:?}; {stderr})",
        output.status
    );
}
