//! The store's modules import only downward, and never in a cycle: row helpers at the bottom,
//! then the database (schema, projections), then one module per table or concept, then the
//! features (ARCHITECTURE.md, "The store's layers"). This test reads every `crate::` path in
//! `crates/store/src` and fails on a module missing from [`LAYERS`], an import from a higher
//! layer, or a cycle between modules (within a layer too), naming the modules involved.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every module of `plkk-store`, bottom layer first. A module may import modules of its own
/// layer or below; a new module is placed here.
const LAYERS: &[(&str, &[&str])] = &[
    ("rows", &["error", "files", "paths", "rows"]),
    (
        "database",
        &["projection", "search", "migrate", "db", "encrypt"],
    ),
    (
        "concepts",
        &[
            "access",
            "audit",
            "payloads",
            "outbox",
            "conflicts",
            "case_status",
            "reference",
            "views",
        ],
    ),
    (
        "features",
        &[
            "accounts",
            "session",
            "desk_session",
            "passwords",
            "settings",
            "intakes",
            "notes",
            "bpu",
            "documents",
            "drafts",
            "suggest",
            "export",
            "status",
            "sync_settings",
            "sync_pull",
            "backup",
            "restore",
            "health",
            "patient_report",
            "record_words",
            "letters",
            "query_plans",
        ],
    ),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Source with line comments removed (doc comments name modules in prose).
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of a module: `src/name.rs`, or every file under `src/name/`.
fn module_code(name: &str) -> String {
    let file = src().join(format!("{name}.rs"));
    if file.exists() {
        return code(&file);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(src().join(name))
        .unwrap_or_else(|error| panic!("module {name}: {error}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    files.sort();
    files.iter().map(|path| code(path)).collect()
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The text of the `{...}` group that `text` starts with, without its braces.
fn group(text: &str) -> &str {
    let mut depth = 0;
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[1..index];
                }
            }
            _ => {}
        }
    }
    panic!("unclosed group in {text}")
}

/// The first segment of each top-level path in a `{a::b, C, d::{e, f}}` group.
fn group_heads(inner: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (index, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                heads.push(ident(inner[start..index].trim()).to_owned());
                start = index + 1;
            }
            _ => {}
        }
    }
    heads.push(ident(inner[start..].trim()).to_owned());
    heads.retain(|head| !head.is_empty());
    heads
}

/// The first segment after each `crate::` in `code`.
fn crate_heads(code: &str) -> Vec<String> {
    let mut heads = Vec::new();
    for (index, _) in code.match_indices("crate::") {
        let rest = &code[index + "crate::".len()..];
        if rest.starts_with('{') {
            heads.extend(group_heads(group(rest)));
        } else {
            heads.push(ident(rest).to_owned());
        }
    }
    heads
}

/// The modules `lib.rs` declares, and which module each name it re-exports comes from.
fn lib_rs() -> (BTreeSet<String>, BTreeMap<String, String>) {
    let lib = code(&src().join("lib.rs"));
    let mut modules = BTreeSet::new();
    let mut exported = BTreeMap::new();
    for chunk in lib.split(';') {
        // The statement starts at the first line that is not an attribute or blank.
        let Some(start) = chunk
            .lines()
            .map(str::trim)
            .position(|line| line.starts_with("mod ") || line.starts_with("pub "))
        else {
            continue;
        };
        let statement = chunk.lines().skip(start).collect::<Vec<_>>().join(" ");
        let statement = statement.trim();
        if let Some(name) = statement
            .strip_prefix("mod ")
            .or_else(|| statement.strip_prefix("pub mod "))
        {
            modules.insert(name.trim().to_owned());
        } else if let Some(path) = statement
            .strip_prefix("pub use ")
            .or_else(|| statement.strip_prefix("pub(crate) use "))
        {
            let module = ident(path).to_owned();
            let rest = path[module.len()..].trim_start_matches("::");
            let names = if rest.starts_with('{') {
                group_heads(group(rest))
            } else {
                vec![ident(rest).to_owned()]
            };
            for name in names {
                exported.insert(name, module.clone());
            }
        }
    }
    (modules, exported)
}

/// Each module's imports of other modules of the crate.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let (modules, exported) = lib_rs();
    let mut graph = BTreeMap::new();
    for module in &modules {
        let mut uses = BTreeSet::new();
        for head in crate_heads(&module_code(module)) {
            let target = if modules.contains(&head) {
                head.clone()
            } else {
                exported.get(&head).cloned().unwrap_or_else(|| {
                    panic!("{module}: crate::{head} is neither a module nor re-exported by lib.rs")
                })
            };
            if &target != module {
                uses.insert(target);
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

/// A cycle through `start`, if the graph has one: the modules in import order.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        graph: &BTreeMap<String, BTreeSet<String>>,
        module: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|seen| seen == module) {
            let mut found = path[at..].to_vec();
            found.push(module.to_owned());
            return Some(found);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(found) = visit(graph, next, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(graph, module, &mut Vec::new(), &mut done))
}

#[test]
fn every_module_has_a_layer() {
    let (modules, _) = lib_rs();
    assert!(modules.contains("outbox") && modules.contains("views"));
    let placed: BTreeSet<String> = LAYERS
        .iter()
        .flat_map(|(_, modules)| modules.iter().map(|name| (*name).to_owned()))
        .collect();
    let unplaced: Vec<&String> = modules.difference(&placed).collect();
    assert!(unplaced.is_empty(), "modules without a layer: {unplaced:?}");
    let gone: Vec<&String> = placed.difference(&modules).collect();
    assert!(
        gone.is_empty(),
        "LAYERS names modules lib.rs lacks: {gone:?}"
    );
}

#[test]
fn modules_import_only_their_layer_or_below() {
    let mut upward = Vec::new();
    for (module, uses) in imports() {
        let Some(own) = layer_of(&module) else {
            continue;
        };
        for target in uses {
            if layer_of(&target).is_some_and(|layer| layer > own) {
                upward.push(format!(
                    "{module} ({}) imports {target} ({})",
                    LAYERS[own].0,
                    LAYERS[layer_of(&target).unwrap()].0
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports from a higher layer: {upward:#?}"
    );
}

#[test]
fn no_import_cycle_between_modules() {
    let graph = imports();
    assert!(
        graph["intakes"].contains("outbox") && graph["outbox"].contains("rows"),
        "the parser sees imports: {graph:?}"
    );
    if let Some(found) = cycle(&graph) {
        panic!("import cycle: {}", found.join(" -> "));
    }
}

#[test]
fn a_cycle_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("accounts", &["audit", "error"][..]),
        ("audit", &["accounts"][..]),
        ("error", &[][..]),
    ]
    .into_iter()
    .map(|(module, uses)| {
        (
            module.to_owned(),
            uses.iter().map(|name| (*name).to_owned()).collect(),
        )
    })
    .collect();
    assert_eq!(
        cycle(&graph).unwrap(),
        ["accounts", "audit", "accounts"],
        "the accounts <-> audit cycle of before"
    );
}
