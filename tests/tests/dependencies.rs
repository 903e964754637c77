//! The dependency rules of ARCHITECTURE.md, checked on the resolved graph of `cargo metadata`
//! (for this machine's platform, offline, with `Cargo.lock` as committed): only `src-tauri`
//! (`plkk-desk`) reaches tauri, and `plkk-domain` and `plkk-protocol` reach only the crates
//! listed in [`NO_IO_ALLOWED`] — none that opens files, sockets or databases. A new dependency of
//! either fails here until it is judged and listed. `plkk-pdf` (pages laid out in memory) reaches
//! none of the [`IO_CRATES`] either.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Every crate `plkk-domain` and `plkk-protocol` may reach through their (normal) dependencies,
/// and why it does no IO of its own. Feature unification over the workspace is included: what the
/// branch switches on for `plkk-protocol` (utoipa's schemas) counts.
const NO_IO_ALLOWED: &[(&str, &str)] = &[
    (
        "plkk-domain",
        "the record contract (checked by this same rule)",
    ),
    ("serde", "serialization"),
    ("serde_core", "serialization"),
    ("serde_derive", "derive macros (compile time)"),
    ("serde_json", "JSON text in memory"),
    ("itoa", "number formatting for serde_json"),
    ("zmij", "float formatting for serde_json"),
    ("memchr", "byte search for serde_json"),
    ("indexmap", "ordered maps for utoipa's schemas"),
    ("hashbrown", "hash tables for indexmap"),
    ("equivalent", "key comparison for indexmap"),
    ("foldhash", "hashing for hashbrown"),
    ("allocator-api2", "allocation for hashbrown"),
    (
        "chrono",
        "dates and times as values; the clock is passed in",
    ),
    ("num-traits", "numbers for chrono"),
    (
        "iana-time-zone",
        "chrono's local zone, read only where a binary asks for now()",
    ),
    ("uuid", "ids as values; new ids are passed in"),
    (
        "getrandom",
        "uuid's random source, used only where a binary makes an id",
    ),
    ("rand_core", "uuid's random source"),
    ("libc", "C types for getrandom and iana-time-zone"),
    ("cfg-if", "conditional compilation"),
    ("sha2", "SHA-256 of the audit chain"),
    ("digest", "hash traits for sha2"),
    ("block-buffer", "buffers for sha2"),
    ("crypto-common", "traits for sha2"),
    ("generic-array", "arrays for sha2"),
    ("typenum", "type-level numbers for generic-array"),
    ("cpufeatures", "CPU feature detection for sha2"),
    (
        "toml",
        "the BPU tariff file's text parsed in memory (`Tariff::parse`); reading files is the store's",
    ),
    ("toml_edit", "TOML parsing in memory for toml"),
    ("toml_datetime", "TOML dates as values for toml"),
    ("serde_spanned", "source spans as values for toml"),
    ("winnow", "parser combinators for toml_edit"),
    ("thiserror", "error derive"),
    // The search normal form (plkk_domain::normalise): ICU4X's Unicode tables, compiled into the
    // binary (`compiled_data`), read from memory; no data-provider crate that reads files is reached.
    (
        "icu_normalizer",
        "Unicode decomposition of the search normal form: pure Unicode tables, no IO",
    ),
    (
        "icu_normalizer_data",
        "icu_normalizer's compiled-in tables: pure Unicode tables, no IO",
    ),
    (
        "icu_properties",
        "Unicode general categories of the search normal form: pure Unicode tables, no IO",
    ),
    (
        "icu_properties_data",
        "icu_properties' compiled-in tables: pure Unicode tables, no IO",
    ),
    (
        "icu_collections",
        "code point tries for ICU4X's tables (in memory)",
    ),
    ("icu_locale_core", "locale ids as values for ICU4X"),
    (
        "icu_provider",
        "ICU4X's data traits over the compiled-in tables",
    ),
    ("zerovec", "zero-copy vectors of ICU4X's tables"),
    ("zerovec-derive", "zerovec's derive macros (compile time)"),
    ("zerotrie", "zero-copy tries of ICU4X's tables"),
    ("zerofrom", "zero-copy conversions for ICU4X"),
    ("zerofrom-derive", "zerofrom's derive macros (compile time)"),
    ("yoke", "borrowed data with its owner for ICU4X"),
    ("yoke-derive", "yoke's derive macros (compile time)"),
    ("stable_deref_trait", "a marker trait for yoke"),
    ("litemap", "sorted small maps for ICU4X"),
    ("tinystr", "short strings on the stack for ICU4X"),
    (
        "potential_utf",
        "possibly invalid UTF-8/16 as values for ICU4X",
    ),
    ("utf_types", "UTF types for potential_utf"),
    ("writeable", "formatting to a sink in memory for ICU4X"),
    ("smallvec", "small vectors on the stack for icu_normalizer"),
    ("utf8_iter", "UTF-8 iteration for icu_normalizer"),
    ("utf16_iter", "UTF-16 iteration for icu_normalizer"),
    ("write16", "UTF-16 output in memory for icu_normalizer"),
    (
        "displaydoc",
        "Display derive for ICU4X's errors (compile time)",
    ),
    (
        "synstructure",
        "derive helpers for ICU4X's macros (compile time)",
    ),
    ("thiserror-impl", "error derive macros (compile time)"),
    (
        "ts-rs",
        "TypeScript declarations of the window's types: the optional `ts` feature, a compile-time \
         derive switched on only by plkk-tests; its file-writing export is called only by the \
         ui_bindings test, never by a shipped program",
    ),
    ("ts-rs-macros", "ts-rs's derive macros (compile time)"),
    ("termcolor", "ts-rs-macros' compile-time warnings"),
    // Case documents (plkk_domain::documents): photos decoded, turned upright and downscaled in
    // memory; image's file functions (`open`, `save`) are never called from the domain.
    (
        "image",
        "JPEG and PNG decoded and encoded in memory (only the jpeg and png features)",
    ),
    ("zune-jpeg", "JPEG decoding in memory for image"),
    ("zune-core", "byte streams in memory for zune-jpeg"),
    ("png", "PNG decoding and encoding in memory for image"),
    ("fdeflate", "deflate in memory for png"),
    ("flate2", "deflate over in-memory readers for png"),
    ("miniz_oxide", "deflate in memory for flate2 and png"),
    ("zlib-rs", "deflate in memory for flate2"),
    ("adler2", "checksums for miniz_oxide"),
    ("simd-adler32", "checksums for fdeflate"),
    ("crc32fast", "checksums for png"),
    ("bitflags", "flag types for png"),
    ("bytemuck", "casting pixel buffers for image"),
    ("byteorder-lite", "reading numbers from bytes for image"),
    ("moxcms", "colour profiles applied in memory for image"),
    ("pxfm", "maths functions for moxcms"),
    ("utoipa", "OpenAPI schema types (data only)"),
    ("utoipa-gen", "OpenAPI derive macros (compile time)"),
    ("proc-macro2", "compile-time macros"),
    ("quote", "compile-time macros"),
    ("syn", "compile-time macros"),
    ("unicode-ident", "compile-time macros"),
];

/// Crates that do IO; named so that a failure says what went wrong even before the list above is
/// read.
const IO_CRATES: &[&str] = &[
    "rusqlite",
    "libsqlite3-sys",
    "tokio",
    "mio",
    "socket2",
    "reqwest",
    "hyper",
    "axum",
    "rustls",
    "tauri",
    "dirs",
    "tempfile",
    "plkk-store",
    "plkk-vault",
    "plkk-sync",
];

/// The resolved graph: each package's name and the names of the packages it reaches through
/// normal dependencies (what runs with it; not build scripts' or tests' dependencies). Packages
/// are told apart by id, as two versions of one crate may both be present.
struct Graph {
    /// Package id to name.
    names: BTreeMap<String, String>,
    /// Package id to the ids of its normal dependencies.
    direct: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    /// The id of the package named `name` (one of the workspace's).
    fn id(&self, name: &str) -> &str {
        self.names
            .iter()
            .find(|(_, package)| *package == name)
            .map(|(id, _)| id.as_str())
            .unwrap_or_else(|| panic!("no package {name}"))
    }

    /// The names of every package `name` depends on directly.
    fn direct_names(&self, name: &str) -> BTreeSet<&str> {
        self.direct[self.id(name)]
            .iter()
            .map(|id| self.names[id].as_str())
            .collect()
    }

    /// The names of every package `name` reaches.
    fn reaches(&self, name: &str) -> BTreeSet<&str> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![self.id(name)];
        while let Some(next) = stack.pop() {
            for dep in self.direct.get(next).into_iter().flatten() {
                if seen.insert(dep.as_str()) {
                    stack.push(dep);
                }
            }
        }
        seen.into_iter().map(|id| self.names[id].as_str()).collect()
    }
}

fn host_triple() -> String {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "linux" => format!("{arch}-unknown-linux-gnu"),
        "macos" => format!("{arch}-apple-darwin"),
        "windows" => format!("{arch}-pc-windows-msvc"),
        other => panic!("no target triple known for {other}"),
    }
}

fn graph() -> Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--offline",
            "--filter-platform",
            &host_triple(),
        ])
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
    let text = |value: &Value| value.as_str().unwrap().to_owned();
    let names = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|package| (text(&package["id"]), text(&package["name"])))
        .collect();
    let direct = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| {
            let deps = node["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|dep| {
                    dep["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|kind| kind["kind"].is_null())
                })
                .map(|dep| text(&dep["pkg"]))
                .collect();
            (text(&node["id"]), deps)
        })
        .collect();
    Graph { names, direct }
}

#[test]
fn only_the_desktop_app_reaches_tauri() {
    let graph = graph();
    assert!(
        graph.direct_names("plkk-desk").contains("tauri"),
        "the graph is read: plkk-desk depends on tauri"
    );
    let workspace: BTreeSet<&str> = graph
        .names
        .values()
        .map(String::as_str)
        .filter(|name| name.starts_with("plkk"))
        .collect();
    let reaching: Vec<&str> = workspace
        .into_iter()
        .filter(|name| graph.reaches(name).contains("tauri"))
        .collect();
    assert_eq!(reaching, ["plkk-desk"], "workspace crates that reach tauri");
}

#[test]
fn domain_and_protocol_reach_nothing_that_does_io() {
    let graph = graph();
    let allowed: BTreeSet<&str> = NO_IO_ALLOWED.iter().map(|(name, _)| *name).collect();
    for library in ["plkk-domain", "plkk-protocol"] {
        let reaches = graph.reaches(library);
        assert!(reaches.contains("serde"), "the graph is read: {library}");
        let io: Vec<&&str> = reaches
            .iter()
            .filter(|name| IO_CRATES.contains(name))
            .collect();
        assert!(io.is_empty(), "{library} reaches crates that do IO: {io:?}");
        let unlisted: Vec<&&str> = reaches
            .iter()
            .filter(|name| !allowed.contains(*name))
            .collect();
        assert!(
            unlisted.is_empty(),
            "{library} reaches crates not judged free of IO (list them in NO_IO_ALLOWED with why, \
             or drop the dependency): {unlisted:?}"
        );
    }
}

#[test]
fn the_pdf_crate_reaches_nothing_that_does_io() {
    // plkk-pdf lays out pages in memory and answers bytes; the store writes them (owner-only).
    let graph = graph();
    let reaches = graph.reaches("plkk-pdf");
    assert!(reaches.contains("printpdf"), "the graph is read: plkk-pdf");
    let io: Vec<&&str> = reaches
        .iter()
        .filter(|name| IO_CRATES.contains(name))
        .collect();
    assert!(io.is_empty(), "plkk-pdf reaches crates that do IO: {io:?}");
}
