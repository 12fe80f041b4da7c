//! What keeps the store contract from drifting silently. `store_conformance!` lists
//! its cases by name: a case written in `src/testing/conformance` but left out of that
//! list would never run, on any store. The "writing a store" guide maps operations to
//! cases: an operation or a case it leaves out would leave it behind.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use portal_core::testing::{CONFORMANCE_CASES, STORE_OPERATIONS};

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

/// The names the guide cites after each "Checked by", up to the end of that sentence.
fn cited_cases(guide: &str) -> BTreeSet<String> {
    // Lines wrap anywhere; sentences are what count.
    let text = guide.split_whitespace().collect::<Vec<_>>().join(" ");
    text.split("Checked by ")
        .skip(1)
        .flat_map(|rest| {
            let sentence = rest.split(". ").next().unwrap_or(rest);
            sentence
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The guide maps every operation to the conformance cases that check it; a new
/// operation or case that it does not mention, or a case it names that does not exist,
/// fails here rather than leaving the guide silently behind.
#[test]
fn the_store_guide_covers_every_operation_and_every_case() {
    let guide = include_str!("../docs/writing-a-store.md");
    let missing: Vec<_> = STORE_OPERATIONS
        .iter()
        .flat_map(|(_, ops)| ops.iter())
        .filter(|op| !guide.contains(&format!("**`{op}`**")))
        .collect();
    assert!(
        missing.is_empty(),
        "operations the guide leaves out: {missing:?}"
    );
    let cited = cited_cases(guide);
    let listed: BTreeSet<String> = CONFORMANCE_CASES.iter().map(|c| c.to_string()).collect();
    let unknown: Vec<_> = cited.difference(&listed).collect();
    assert!(
        unknown.is_empty(),
        "the guide cites cases that do not exist: {unknown:?}"
    );
    let uncited: Vec<_> = listed.difference(&cited).collect();
    assert!(
        uncited.is_empty(),
        "cases the guide never cites: {uncited:?}"
    );
}

/// A misspelt hold would never hold, and the race it should force would pass untested.
#[test]
#[should_panic(expected = "\"sesion\" is not a store operation")]
fn the_recording_store_refuses_to_hold_a_name_that_is_no_operation() {
    use portal_core::MemoryStore;
    use portal_core::testing::RecordingStore;

    let store = RecordingStore::new(std::sync::Arc::new(MemoryStore::new()));
    store.hold_after("session", 2);
    store.hold_after("sesion", 2);
}
