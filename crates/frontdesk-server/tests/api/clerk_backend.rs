//! Compatibility with the real `@clerk/backend` npm package: runs
//! `compat/backend.test.mjs` (a `node:test` suite pinned to an exact SDK
//! version by `compat/package-lock.json`) against a live server configured
//! with nothing but `CLERK_API_URL` and `CLERK_SECRET_KEY`.
//!
//! Skips (with a printed reason) when `node` or `npm` is not on `PATH`.

use crate::node::{available, installed_version, npm_ci, repo_root};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;
use tokio::sync::OnceCell;

use crate::both_backends;
use crate::helpers::TestApp;

/// The `@clerk/backend` version `compat/package.json` pins.
const SDK_VERSION: &str = "3.25.0";

/// Upper bound for the whole `node --test` run.
const NODE_TIMEOUT: Duration = Duration::from_secs(45);

/// The installed SDK version, if `compat/node_modules` has it.
fn installed_sdk_version(compat: &Path) -> Option<String> {
    installed_version(compat, "@clerk/backend")
}

/// `npm ci` in `compat/` unless the pinned SDK is already installed. Once
/// per test process: the SQLite and PostgreSQL variants may run at once.
async fn ensure_node_modules() {
    static INSTALLED: OnceCell<()> = OnceCell::const_new();
    INSTALLED
        .get_or_init(|| async {
            let compat = repo_root().join("compat");
            if installed_sdk_version(&compat).as_deref() == Some(SDK_VERSION) {
                return;
            }
            npm_ci(&compat).await;
            assert_eq!(
                installed_sdk_version(&compat).as_deref(),
                Some(SDK_VERSION),
                "npm ci did not install @clerk/backend {SDK_VERSION}"
            );
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

both_backends!(
    clerk_backend_sdk_works_with_only_api_url_and_secret_key,
    |c: &mut frontdesk_server::Config| {
        c.backend_rate_limit = Some(0);
        c.argon2_memory_kib = 1024;
        c.argon2_iterations = 1;
    },
    |app: TestApp| async move {
        for program in ["node", "npm"] {
            if !available(program).await {
                eprintln!(
                    "skipping the @clerk/backend compatibility test: `{program}` is not on PATH"
                );
                app.stop().await;
                return;
            }
        }
        ensure_node_modules().await;

        let run = Command::new("node")
            .args(["--test", "--test-reporter=tap", "compat/backend.test.mjs"])
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
            .unwrap_or_else(|_| panic!("node --test did not finish within {NODE_TIMEOUT:?}"))
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "@clerk/backend {SDK_VERSION} against Frontdesk failed ({}):\n{stdout}\n{stderr}",
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
        app.stop().await;
    }
);
