//! The web UI in a real browser: headless Chromium (Debian's `chromium`) driven by
//! `tests/browser/portal.mjs` through playwright-core, against each example server.
//! Without Node, the npm module or Chromium the cases say they were skipped, unless
//! `PORTAL_REQUIRE_BROWSER=1` (set by `.ci/run`) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::server::{Db, Scheme, Server};

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

pub fn run(bin: &str) {
    if let Some(why) = missing_tool() {
        if std::env::var("PORTAL_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("the browser test cannot run: {why}");
        }
        eprintln!("SKIPPED browser test: {why}");
        return;
    }
    let server = Server::start(bin, Db::Sqlite, Scheme::Http).expect("server");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/portal.mjs");
    let out = Command::new("node")
        .arg(script)
        .arg(&server.origin)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "browser flow failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn axum_portal_works_in_a_real_browser() {
    run(env!("CARGO_BIN_EXE_axum-portal"));
}

#[test]
fn actix_portal_works_in_a_real_browser() {
    run(env!("CARGO_BIN_EXE_actix-portal"));
}
