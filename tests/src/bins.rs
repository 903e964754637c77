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
