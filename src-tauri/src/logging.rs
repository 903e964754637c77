//! The desktop app's log: what the sync engine and the commands report (audit-chain breaks,
//! pulled records that could not be stored, clock skew, refused commands by code), for a support
//! person. Written to `logs/plkk-desk.YYYY-MM-DD.log` in the data directory (a new file each
//! day, the newest 14 kept; `plkk status` names the folder) and to standard error. The level is
//! `info` for the desk's own crates and `warn` for libraries, or what `PLKK_LOG` says
//! (`tracing-subscriber`'s filter syntax, e.g. `PLKK_LOG=debug`). Logs never hold patient data:
//! commands log their name and an error's code, not their arguments.

use std::path::Path;

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// How many daily files are kept.
const KEPT_FILES: usize = 14;

/// The level when `PLKK_LOG` is not set.
const DEFAULT_FILTER: &str =
    "warn,plkk_desk=info,plkk_store=info,plkk_sync=info,plkk_vault=info,plkk_domain=info";

/// Installs the app's subscriber: daily files under `data_dir`'s log folder and standard error,
/// filtered by `filter` (the value of `PLKK_LOG`, if set). When the folder cannot be written, logs
/// go to standard error only, and that is said there.
pub fn install(data_dir: &Path, filter: Option<&str>) {
    let filter = || {
        filter
            .and_then(|filter| EnvFilter::try_new(filter).ok())
            .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER))
    };
    let log_dir = plkk_store::log_dir(data_dir);
    let files = plkk_store::create_log_dir(data_dir)
        .map_err(|error| error.to_string())
        .and_then(|dir| {
            RollingFileAppender::builder()
                .rotation(Rotation::DAILY)
                .filename_prefix("plkk-desk")
                .filename_suffix("log")
                .max_log_files(KEPT_FILES)
                .build(dir)
                .map_err(|error| error.to_string())
        });
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let (files, problem) = match files {
        Ok(files) => (Some(files), None),
        Err(problem) => (None, Some(problem)),
    };
    let file_layer = files.map(|files| {
        fmt::layer()
            .with_ansi(false)
            .with_writer(files)
            .with_filter(filter())
    });
    tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr)
        .init();
    if let Some(error) = problem {
        tracing::warn!(
            "no log files: cannot write to {}: {error}",
            log_dir.display()
        );
    }
}
