//! Reference data the desk computes with: the BPU contribution tariffs. The tariff shipped with
//! the build is compiled into `plkk-domain`; newer ones, pulled from the branch or imported with
//! `plkk reference import FILE`, are kept as their own text in `<data dir>/reference/
//! bpu-tariff-<version>.toml` (reference data, no personal data: a plain file, so a quote needs
//! no sign-in). Each file is parsed by `plkk_domain::Tariff::parse`; a file that no longer parses
//! is left out, never fatal. The tariff for a registration is the one in force on its start date
//! (`plkk_domain::tariff_for`).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};
use plkk_domain::{Action, AuditAction, Contribution, Quote, Tariff};
use serde_json::json;

use crate::access::{require, Actor};
use crate::audit;
use crate::error::refused;
use crate::rows::immediate;
use crate::{Store, StoreError};

/// The largest tariff file taken, in bytes.
pub const MAX_TARIFF_BYTES: usize = 256 * 1024;

/// The folder of a data directory's reference files.
fn reference_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("reference")
}

/// Every tariff the desk knows: the shipped one, then each readable file of the data directory
/// (`None`: only the shipped one), in file-name order.
pub fn tariffs_in(data_dir: Option<&Path>) -> Vec<Tariff> {
    let mut tariffs = vec![Tariff::bundled()];
    let Some(dir) = data_dir.map(reference_dir) else {
        return tariffs;
    };
    let Ok(read) = std::fs::read_dir(&dir) else {
        return tariffs;
    };
    let mut paths: Vec<PathBuf> = read
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("bpu-tariff-") && name.ends_with(".toml"))
        })
        .collect();
    paths.sort();
    for path in paths {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) if text.len() <= MAX_TARIFF_BYTES => text,
            _ => continue,
        };
        match Tariff::parse(&text) {
            Ok(tariff) if !tariffs.iter().any(|known| known.version == tariff.version) => {
                tariffs.push(tariff)
            }
            Ok(_) => {}
            Err(_) => {} // a file this build cannot read is left out, the others still count
        }
    }
    tariffs
}

/// The tariffs of this store's data directory.
pub(crate) fn tariffs(store: &Store) -> Vec<Tariff> {
    tariffs_in(store.data_dir())
}

/// The tariff in force for cover starting on `day` (the shipped one when none is).
pub(crate) fn tariff_on(tariffs: &[Tariff], day: NaiveDate) -> Tariff {
    plkk_domain::tariff_for(tariffs, day)
        .cloned()
        .unwrap_or_else(Tariff::bundled)
}

/// What `quote` costs under the tariff in force on its start date: `plkk bpu quote`, and the
/// window's figure as the person types (no sign-in needed: tariffs are not personal data).
pub fn quote(data_dir: Option<&Path>, quote: Quote) -> Contribution {
    tariff_on(&tariffs_in(data_dir), quote.starts_on).contribution(quote)
}

/// Keeps a tariff's text as `reference/bpu-tariff-<version>.toml`, written whole or not at all
/// (a temporary file renamed over). The version is reduced to `[0-9A-Za-z._-]` in the name.
pub(crate) fn keep_tariff(data_dir: &Path, tariff: &Tariff, text: &str) -> Result<(), StoreError> {
    let dir = reference_dir(data_dir);
    let file_error = |path: &Path, source| StoreError::File {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(|source| file_error(&dir, source))?;
    let safe: String = tariff
        .version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("bpu-tariff-{safe}.toml"));
    let partial = dir.join(format!(".bpu-tariff-{safe}.toml.partial"));
    let written = std::fs::File::create(&partial)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&partial, &path));
    written.map_err(|source| file_error(&path, source))
}

/// Checks a tariff file's text (`file` / `tariff_invalid` naming what is wrong, `too_long` past
/// [`MAX_TARIFF_BYTES`]).
pub(crate) fn read_tariff(text: &str) -> Result<Tariff, StoreError> {
    if text.len() > MAX_TARIFF_BYTES {
        return Err(refused(
            "file",
            "too_long",
            format!(
                "file: a tariff is at most {MAX_TARIFF_BYTES} bytes (got {})",
                text.len()
            ),
        ));
    }
    Tariff::parse(text).map_err(|error| refused("file", "tariff_invalid", format!("file: {error}")))
}

/// `plkk reference import FILE`: side-loads a tariff file (administrators), kept beside the
/// pulled ones and audited. Returns the tariff.
pub fn import_reference(
    store: &Store,
    actor: &Actor,
    text: &str,
    now: DateTime<FixedOffset>,
) -> Result<Tariff, StoreError> {
    require(actor, Action::ChangeSettings)?;
    let tariff = read_tariff(text)?;
    let Some(data_dir) = store.data_dir() else {
        return Err(StoreError::Corrupt(
            "an in-memory desk keeps no reference files".into(),
        ));
    };
    let tx = immediate(&store.conn)?;
    audit::append(
        &tx,
        now,
        &actor.username,
        AuditAction::ReferenceImported,
        Some(&tariff.version),
        json!({"kind": "bpu_tariff", "valid_from": tariff.valid_from}),
    )?;
    keep_tariff(data_dir, &tariff, text)?;
    tx.commit()?;
    Ok(tariff)
}
