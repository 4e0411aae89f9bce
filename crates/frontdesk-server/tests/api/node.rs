//! Node.js helpers for the tests that drive real npm packages.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Whether `program --version` runs.
pub async fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .is_ok_and(|s| s.success())
}

/// The version of `package` installed in `dir/node_modules`, if any.
pub fn installed_version(dir: &Path, package: &str) -> Option<String> {
    let manifest = dir.join("node_modules").join(package).join("package.json");
    let text = std::fs::read_to_string(manifest).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["version"].as_str().map(str::to_owned)
}

/// `npm ci --prefix dir`, from the committed lockfile; panics with npm's
/// output if it fails.
pub async fn npm_ci(dir: &Path) {
    let out = Command::new("npm")
        .arg("ci")
        .arg("--prefix")
        .arg(dir)
        .args(["--no-audit", "--no-fund", "--loglevel=error"])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "npm ci in {} failed ({}):\n{}\n{}",
        dir.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
}
