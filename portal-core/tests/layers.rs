//! The core's layers, kept: every module of `portal-core` belongs to one layer, and
//! imports only from its own layer or the ones below, without an import circle.
//!
//! 1. foundations: time, randomness, tokens, ids, addresses, phone numbers, text, uploaded files'
//!    names and types, blob names, policy, redirects, the vault's sealing;
//! 2. records: what is stored and the rules on it alone (firms, contacts, grants,
//!    sessions, links, codes, evidence, phases, tasks, document requests, stored files,
//!    sealed credentials, comments and questions, the audit chain, notifications'
//!    shapes, queued messages);
//! 3. the store traits and the in-memory store;
//! 4. services the operations use (argon2 hashing, background jobs);
//! 5. `portal`: the `Portal` handle and its operations;
//! 6. `web`: the HTTP layer;
//! 7. `testing`.
//!
//! Read from the sources (`use crate::...` and `crate::...` paths), so a new import
//! that runs upward fails here, before anyone draws the graph.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const LAYERS: &[&[&str]] = &[
    &[
        "clock",
        "random",
        "token",
        "id",
        "email",
        "phone",
        "text",
        "file_name",
        "file_type",
        "blob_name",
        "local_time",
        "policy",
        "redirect",
        "vault",
    ],
    &[
        "audit",
        "firm",
        "client",
        "contact",
        "grant",
        "session",
        "magic_link",
        "email_code",
        "password",
        "personal_link",
        "preview",
        "evidence",
        "phase",
        "task",
        "document",
        "file",
        "staff",
        "failure",
        "throttle",
        "notify",
        "outbox",
        "credential",
        "conversation",
        "outbox",
        "notice",
        "staff_notice",
    ],
    &["store", "blob"],
    &["hashing", "background"],
    &["portal"],
    &["web"],
    &["testing"],
];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&module))
        .unwrap_or_else(|| panic!("module `{module}` belongs to no layer: add it to LAYERS"))
}

/// The top-level module a source file belongs to (`src/web/http.rs` -> `web`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_owned())
}

/// Every top-level module named in `crate::name` paths of `text`, comments left out.
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let is_macro = rest[name.len()..].starts_with('!');
            if !is_macro && name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                out.insert(name);
            }
        }
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    // Exported macros are paths at the crate root too (`$crate::forward_store`, passed
    // to another macro without its `!`): only names of modules are imports.
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(&src, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let used = imports(&text);
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(
            used.into_iter()
                .filter(|m| *m != module && modules.contains(m)),
        );
    }
    graph
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let mut upward = Vec::new();
    for (module, used) in graph() {
        for target in used {
            if layer_of(&target) > layer_of(&module) {
                upward.push(format!("{module} -> {target}"));
            }
        }
    }
    assert!(upward.is_empty(), "imports running upward: {upward:?}");
}

#[test]
fn modules_import_each_other_in_no_circle() {
    let graph = graph();
    // Depth-first search for a back edge.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut circle = path[i..].to_vec();
            circle.push(m.to_owned());
            return Some(circle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_owned());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(circle) = visit(m, &graph, &mut Vec::new(), &mut done) {
            panic!("an import circle: {}", circle.join(" -> "));
        }
    }
}

#[test]
fn the_reader_finds_imports_and_skips_comments() {
    let text = "use crate::store::Store;\n// crate::web is mentioned\nlet x = crate::portal::Portal::x; // crate::testing\n$crate::store_conformance!(f);\n";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, ["portal", "store"]);
}
