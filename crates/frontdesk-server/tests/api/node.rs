//! Node.js helpers for the tests that drive real npm packages.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;
use tokio::sync::OnceCell;

/// The npm packages `compat/package.json` pins, with their exact versions.
pub const COMPAT_PACKAGES: [(&str, &str); 2] = [("@clerk/backend", "3.25.0"), ("svix", "2.5.0")];

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

/// Whether `compat/node_modules` holds every pinned package at its version.
fn compat_modules_installed(compat: &Path) -> bool {
    COMPAT_PACKAGES
        .iter()
        .all(|(package, version)| installed_version(compat, package).as_deref() == Some(*version))
}

/// `npm ci` in `compat/` unless every pinned package is already installed.
/// Once per test process, shared by every test that uses `compat/`: the
/// SQLite and PostgreSQL variants of several tests may run at once, and two
/// concurrent `npm ci` runs in one directory break each other.
pub async fn ensure_compat_modules() {
    static INSTALLED: OnceCell<()> = OnceCell::const_new();
    INSTALLED
        .get_or_init(|| async {
            let compat = repo_root().join("compat");
            if compat_modules_installed(&compat) {
                return;
            }
            npm_ci(&compat).await;
            for (package, version) in COMPAT_PACKAGES {
                assert_eq!(
                    installed_version(&compat, package).as_deref(),
                    Some(version),
                    "npm ci did not install {package} {version}"
                );
            }
        })
        .await;
}

/// `N` from a node:test TAP summary line `# {name} N`.
fn summary_count(tap: &str, name: &str) -> Option<u32> {
    tap.lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("# ")?
                .strip_prefix(name)?
                .trim()
                .parse()
                .ok()
        })
        .next_back()
}

/// Run the `node:test` suite `compat/<file>` against `app`, configured with
/// nothing but `CLERK_API_URL` and `CLERK_SECRET_KEY`, and assert that it ran
/// and passed every test. Without `node` or `npm` on `PATH` it prints why it
/// skips and returns.
pub async fn run_compat_suite(app: &crate::helpers::TestApp, file: &str) {
    for program in ["node", "npm"] {
        if !available(program).await {
            frontdesk_testkit::skip(
                &format!("compat/{file}"),
                &format!("`{program}` is not on PATH"),
            );
            return;
        }
    }
    ensure_compat_modules().await;
    const NODE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(45);
    let run = Command::new("node")
        .args(["--test", "--test-reporter=tap", &format!("compat/{file}")])
        .current_dir(repo_root())
        .env("CLERK_API_URL", &app.base)
        .env("CLERK_SECRET_KEY", app.secret_key.expose())
        .env("CLERK_TELEMETRY_DISABLED", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(NODE_TIMEOUT, run)
        .await
        .unwrap_or_else(|_| panic!("compat/{file} did not finish within {NODE_TIMEOUT:?}"))
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "compat/{file} against Frontdesk failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.lines().any(|l| l.trim() == "# fail 0"),
        "no `# fail 0` in the node:test summary:\n{stdout}\n{stderr}"
    );
    let tests = summary_count(&stdout, "tests");
    assert!(
        tests.is_some_and(|n| n > 0) && summary_count(&stdout, "pass") == tests,
        "node:test did not run and pass every test:\n{stdout}\n{stderr}"
    );
}
