//! Chromium plumbing shared by the browser tests: the pinned npm packages in
//! `e2e/`, one browser at a time, and pages served on another origin.

use std::path::{Path, PathBuf};

use tokio::sync::{Mutex, OnceCell};

use crate::node::{available, installed_version, npm_ci, repo_root};

/// The versions `e2e/package.json` pins, which the page must end up running.
pub const CLERK_JS_VERSION: &str = "6.40.0";
pub const CLERK_UI_VERSION: &str = "1.36.0";

/// Where the browser is; it is never downloaded.
pub const CHROMIUM: &str = "/usr/bin/chromium";

pub fn e2e() -> PathBuf {
    repo_root().join("e2e")
}

/// The version of an installed npm package in `e2e/node_modules`.
fn installed(package: &str) -> Option<String> {
    installed_version(&e2e(), package)
}

fn installed_ok() -> bool {
    installed("@clerk/clerk-js").as_deref() == Some(CLERK_JS_VERSION)
        && installed("@clerk/ui").as_deref() == Some(CLERK_UI_VERSION)
        && installed("playwright-core").is_some()
        && installed("axe-core").is_some()
}

/// `npm ci --prefix e2e` unless the pinned packages are there. Once per test
/// process: the SQLite and PostgreSQL variants may start at once.
pub async fn ensure_node_modules() {
    static INSTALLED: OnceCell<()> = OnceCell::const_new();
    INSTALLED
        .get_or_init(|| async {
            if installed_ok() {
                return;
            }
            npm_ci(&e2e()).await;
            assert!(
                installed_ok(),
                "npm ci did not install @clerk/clerk-js {CLERK_JS_VERSION}, @clerk/ui {CLERK_UI_VERSION} and playwright-core"
            );
        })
        .await;
}

/// Run `e2e/<spec>` in Node.js with what every spec reads (`CHROMIUM`,
/// `ARTIFACTS_DIR`, `DEADLINE_MS`) and `env`, allowing it `budget` (the spec
/// stops itself at its deadline) and 15 s more before giving up on it.
pub async fn run_spec(
    spec: &str,
    env: &[(&str, String)],
    artifacts: &Path,
    budget: std::time::Duration,
) -> std::process::Output {
    let run = tokio::process::Command::new("node")
        .arg(e2e().join(spec))
        .current_dir(e2e())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("ARTIFACTS_DIR", artifacts)
        .env("CHROMIUM", CHROMIUM)
        .env("DEADLINE_MS", budget.as_millis().to_string())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let limit = budget + std::time::Duration::from_secs(15);
    tokio::time::timeout(limit, run)
        .await
        .unwrap_or_else(|_| panic!("{spec} did not finish within {limit:?}"))
        .unwrap()
}

/// A spec of the hosted pages (no clerk-js) for a user with `email` and
/// `password` made first: [`run_page_spec`] with `EMAIL` and `PASSWORD`.
pub async fn run_hosted_spec(
    app: crate::helpers::TestApp,
    what: &str,
    spec: &str,
    email: String,
    password: &str,
    budget: std::time::Duration,
) {
    if let Some(why) = missing().await {
        frontdesk_testkit::skip(what, &why);
        app.stop().await;
        return;
    }
    crate::helpers::user_with_password(&app, &email, password).await;
    let env = vec![("EMAIL", email), ("PASSWORD", password.to_owned())];
    run_page_spec(app, what, spec, env, budget).await;
}

/// A spec of Frontdesk's own pages with `env` (and `FRONTDESK_URL`): holds
/// the one browser, asserts that it passed, prints its log and stops the
/// app; a counted skip without node or Chromium.
pub async fn run_page_spec(
    app: crate::helpers::TestApp,
    what: &str,
    spec: &str,
    mut env: Vec<(&str, String)>,
    budget: std::time::Duration,
) {
    if let Some(why) = missing().await {
        frontdesk_testkit::skip(what, &why);
        app.stop().await;
        return;
    }
    ensure_node_modules().await;
    let _one_browser = BROWSER.lock().await;
    let artifacts = tempfile::Builder::new()
        .prefix("frontdesk-hosted-")
        .tempdir()
        .unwrap();
    env.push(("FRONTDESK_URL", app.state.instance.public_url.origin()));
    let out = run_spec(spec, &env, artifacts.path(), budget).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let kept = artifacts.keep();
        panic!(
            "{what} ({spec}, Chromium) failed ({}); artifacts in {}:\n{stdout}\n{stderr}",
            out.status,
            kept.display()
        );
    }
    assert!(
        stdout.lines().any(|l| l.trim() == "PASS"),
        "no PASS from {spec}:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
    app.stop().await;
}

/// Serve `html` for every path on a loopback port; the page's origin is
/// `http://localhost:<port>`, a different origin from Frontdesk's.
pub async fn serve_page(html: String) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().fallback(move || {
        let html = html.clone();
        async move {
            (
                [
                    (axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (axum::http::header::CACHE_CONTROL, "no-store"),
                ],
                html,
            )
        }
    });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://localhost:{port}"), server)
}

/// One browser at a time: the two backends' variants would otherwise run
/// two Chromiums on a small machine at once.
pub static BROWSER: Mutex<()> = Mutex::const_new(());

/// Why a browser test cannot run here, if it cannot: no `node`/`npm`, or no
/// Chromium. The caller prints it and skips.
pub async fn missing() -> Option<String> {
    for program in ["node", "npm"] {
        if !available(program).await {
            return Some(format!("`{program}` is not on PATH"));
        }
    }
    if !Path::new(CHROMIUM).exists() {
        return Some(format!("no {CHROMIUM} (apt-get install chromium)"));
    }
    None
}
