//! The peer in `plkk-bench --sync`: PouchDB 9 replicating the same backlog (the desk's own outbox
//! payloads, one document each, the record id as `_id`) with `replicate.to()`, batch size 100, to
//! express-pouchdb on leveldb on this machine (`tests/pouch/replicate.js`), through the same
//! counting proxy as our sync. Installs the Node packages (`npm ci` in `tests/pouch`) when they are
//! missing.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use plkk_store::DeskAccess;
use plkk_tests::fault_proxy::FaultProxy;

/// What one PouchDB replication did.
pub(crate) struct PouchRun {
    pub(crate) records: u64,
    pub(crate) seconds: f64,
    /// Bytes on the wire, requests and answers (HTTP heads included), as the proxy counted them.
    pub(crate) wire: (u64, u64),
    /// Peak RSS of the replicating PouchDB and of express-pouchdb, in KiB.
    pub(crate) desk_kib: u64,
    pub(crate) server_kib: Option<u64>,
}

fn package_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("pouch")
}

/// `npm ci` in `tests/pouch` unless its packages are there.
fn install() -> anyhow::Result<()> {
    let dir = package_dir();
    if dir.join("node_modules/pouchdb").is_dir()
        && dir.join("node_modules/express-pouchdb").is_dir()
    {
        return Ok(());
    }
    println!(
        "plkk-bench: installing PouchDB (npm ci in {})",
        dir.display()
    );
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()?;
    anyhow::ensure!(status.success(), "npm ci in {} failed", dir.display());
    Ok(())
}

/// Writes the desk's outbox payloads as PouchDB documents (one JSON object a line) to `file`,
/// before the desk syncs; returns how many.
pub(crate) fn write_documents(desk: &DeskAccess, file: &Path) -> anyhow::Result<u64> {
    let store = desk.open()?;
    let entries = plkk_store::push_candidates(&store, 0, usize::MAX)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
    for entry in &entries {
        let mut document: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&entry.payload)?;
        document.insert("_id".into(), entry.record_id.to_string().into());
        serde_json::to_writer(&mut out, &document)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(entries.len() as u64)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts express-pouchdb on leveldb under `dir/server`, replicates `documents` to it from a
/// local leveldb PouchDB under `dir/desk`, and reads the figures.
pub(crate) fn replicate(documents: &Path, dir: &Path) -> anyhow::Result<PouchRun> {
    install()?;
    let script = package_dir().join("replicate.js");
    let mut server = Server(
        Command::new("node")
            .arg(&script)
            .arg("serve")
            .arg(dir.join("server"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?,
    );
    let mut line = String::new();
    let mut said = BufReader::new(server.0.stdout.take().expect("piped"));
    said.read_line(&mut line)
        .map_err(|error| anyhow::anyhow!("express-pouchdb did not start: {error}"))?;
    // Whatever it says later is drained, so a full pipe never stalls it.
    std::thread::spawn(move || std::io::copy(&mut said, &mut std::io::sink()));
    let started: serde_json::Value = serde_json::from_str(&line)
        .map_err(|error| anyhow::anyhow!("express-pouchdb said {line:?}: {error}"))?;
    let port = started["port"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("express-pouchdb said no port: {line:?}"))?;
    let proxy = FaultProxy::start(format!("127.0.0.1:{port}").parse()?);
    let output = Command::new("node")
        .arg(&script)
        .arg("replicate")
        .arg(format!("{}/bench", proxy.url()))
        .arg(documents)
        .arg(dir.join("desk"))
        .stderr(Stdio::inherit())
        .output()?;
    anyhow::ensure!(output.status.success(), "PouchDB's replication failed");
    let result: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let server_kib = super::sync::vm_hwm(&format!("/proc/{}/status", server.0.id()))
        .and_then(|text| text.trim_end_matches(" kB").trim().parse().ok());
    Ok(PouchRun {
        records: result["records"].as_u64().unwrap_or(0),
        seconds: result["seconds"].as_f64().unwrap_or(f64::NAN),
        wire: proxy.bytes(),
        desk_kib: result["max_rss_kib"].as_u64().unwrap_or(0),
        server_kib,
    })
}
