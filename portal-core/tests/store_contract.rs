//! What keeps the store contract from drifting silently. `store_conformance!` lists
//! its cases by name: a case written in `src/testing/conformance` but left out of that
//! list would never run, on any store.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use portal_core::testing::CONFORMANCE_CASES;

/// Every `.rs` file under `dir`, subfolders included.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the conformance folder") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The names of the `pub async fn`s in `source`: the conformance modules make their
/// helpers `pub(super)`, so every public async function there is a case.
fn cases_in(source: &str) -> impl Iterator<Item = String> + '_ {
    source.lines().filter_map(|line| {
        let rest = line.trim_start().strip_prefix("pub async fn ")?;
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        Some(name)
    })
}

#[test]
fn every_conformance_case_is_run_by_store_conformance() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/testing/conformance");
    let written: BTreeSet<String> = sources(&dir)
        .iter()
        .flat_map(|file| cases_in(&std::fs::read_to_string(file).unwrap()).collect::<Vec<_>>())
        .collect();
    let listed: BTreeSet<String> = CONFORMANCE_CASES.iter().map(|c| c.to_string()).collect();
    let never_run: Vec<_> = written.difference(&listed).collect();
    assert!(
        never_run.is_empty(),
        "written in {} but not listed in store_conformance! (so never run): {never_run:?}",
        dir.display()
    );
    // The other way round: a listed case the scan did not find means the scan no
    // longer sees the cases (moved or reformatted), and would pass anything.
    assert_eq!(written, listed);
}

