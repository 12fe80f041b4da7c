//! The web UI in a real browser: headless Chromium (Debian's `chromium`) driven by
//! `tests/browser/portal.mjs` (login, switcher, logout) and `tests/browser/pages.mjs`
//! (the client's pages: axe-core at WCAG 2.1 AA on every page, screenshots at 1280 and
//! 375 pixels under `target/screenshots/`, every evidence type completed through the
//! pages, the keyboard alone for a form and an approval) and `tests/browser/documents.mjs`
//! (document requests: upload by picker and by drag and drop, review seen, downloads)
//! and `tests/browser/credentials.mjs` (a credential handed over through its page, the
//! password's show and hide by keyboard, then revealed by staff) and
//! `tests/browser/conversation.mjs` (a comment posted on a task's page and answered by
//! staff, a question asked, both seen on the activity page) through playwright-core,
//! against each example server.
//! Without Node, the npm module or Chromium the cases say they were skipped, unless
//! `PORTAL_REQUIRE_BROWSER=1` (set by `.ci/run`) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::server::{ADMIN_TOKEN, Db, Scheme, Server};

fn missing_tool() -> Option<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM")
        .map_or_else(|_| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    if !dir.join("node_modules/playwright-core").exists() {
        return Some("run `npm ci --prefix examples/tests/browser`".into());
    }
    if !chromium.exists() {
        return Some(format!(
            "no Chromium at {} (apt-get install chromium)",
            chromium.display()
        ));
    }
    None
}

/// Whether the browser test can run: when it cannot, it says so and is skipped, or
/// fails under `PORTAL_REQUIRE_BROWSER=1`.
fn can_run() -> bool {
    let Some(why) = missing_tool() else {
        return true;
    };
    if std::env::var("PORTAL_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
        panic!("the browser test cannot run: {why}");
    }
    eprintln!("SKIPPED browser test: {why}");
    false
}

/// Runs `script` (in `tests/browser/`) with node against a fresh server of `bin`,
/// with `args` after the server's origin; fails with the script's output.
fn node(bin: &str, script: &str, args: &[&str]) {
    if !can_run() {
        return;
    }
    let server = Server::start(bin, Db::Sqlite, Scheme::Http).expect("server");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser")
        .join(script);
    let out = Command::new("node")
        .arg(script)
        .arg(&server.origin)
        .args(args)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "browser flow failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn run(bin: &str) {
    node(bin, "portal.mjs", &[]);
}

/// Where screenshots go: `screenshots/NAME/` in the build's target directory (the
/// test binary runs from `target/debug/deps/`).
fn screenshots(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let target = exe
        .ancestors()
        .nth(3)
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf);
    target.join("screenshots").join(name)
}

/// The client's pages (`pages.mjs`) in `mode`: `pages` (axe on every page, the
/// screenshots) or `evidence` (every evidence type completed through the pages).
fn pages(bin: &str, server: &str, mode: &str) {
    let shots = screenshots(server);
    let shots = shots.to_str().expect("a UTF-8 path");
    node(bin, "pages.mjs", &[ADMIN_TOKEN, shots, mode]);
}

#[test]
fn axum_portal_works_in_a_real_browser() {
    run(env!("CARGO_BIN_EXE_axum-portal"));
}

#[test]
fn axum_pages_pass_axe_and_fit_a_phone() {
    pages(env!("CARGO_BIN_EXE_axum-portal"), "axum", "pages");
}

#[test]
fn actix_pages_pass_axe_and_fit_a_phone() {
    pages(env!("CARGO_BIN_EXE_actix-portal"), "actix", "pages");
}

#[test]
fn axum_every_evidence_type_completes_through_the_pages() {
    pages(env!("CARGO_BIN_EXE_axum-portal"), "axum", "evidence");
}

#[test]
fn actix_every_evidence_type_completes_through_the_pages() {
    pages(env!("CARGO_BIN_EXE_actix-portal"), "actix", "evidence");
}

#[test]
fn actix_portal_works_in_a_real_browser() {
    run(env!("CARGO_BIN_EXE_actix-portal"));
}

/// Document requests through the pages (`documents.mjs`): upload by the file picker and
/// by drag and drop, a rejection and an approval seen, axe, screenshots.
fn documents(bin: &str, server: &str) {
    let shots = screenshots(server);
    let shots = shots.to_str().expect("a UTF-8 path");
    node(bin, "documents.mjs", &[ADMIN_TOKEN, shots]);
}

#[test]
fn axum_documents_are_uploaded_reviewed_and_seen_in_a_real_browser() {
    documents(env!("CARGO_BIN_EXE_axum-portal"), "axum");
}

#[test]
fn actix_documents_are_uploaded_reviewed_and_seen_in_a_real_browser() {
    documents(env!("CARGO_BIN_EXE_actix-portal"), "actix");
}

/// A credential handed over through its page (`credentials.mjs`): masked, shown and
/// hidden by keyboard, sent, then shown as filled and never as a value; revealed by
/// staff through the API; axe before and after.
fn credentials(bin: &str, server: &str) {
    let shots = screenshots(server);
    let shots = shots.to_str().expect("a UTF-8 path");
    node(bin, "credentials.mjs", &[ADMIN_TOKEN, shots]);
}

#[test]
fn axum_credentials_are_handed_over_in_a_real_browser() {
    credentials(env!("CARGO_BIN_EXE_axum-portal"), "axum");
}

#[test]
fn actix_credentials_are_handed_over_in_a_real_browser() {
    credentials(env!("CARGO_BIN_EXE_actix-portal"), "actix");
}

/// The conversation through the pages (`conversation.mjs`), by keyboard: a comment on a
/// task's page answered by staff, a question asked from it, both in the activity; axe
/// on the task page with comments, the ask page and the activity page.
fn conversation(bin: &str, server: &str) {
    let shots = screenshots(server);
    let shots = shots.to_str().expect("a UTF-8 path");
    node(bin, "conversation.mjs", &[ADMIN_TOKEN, shots]);
}

#[test]
fn axum_conversation_in_a_real_browser() {
    conversation(env!("CARGO_BIN_EXE_axum-portal"), "axum");
}

#[test]
fn actix_conversation_in_a_real_browser() {
    conversation(env!("CARGO_BIN_EXE_actix-portal"), "actix");
}
