//! A new user's first hour: a brand-new Next.js app made by the pinned
//! `create-next-app`, plus exactly the lines of Clerk's quickstart
//! (`e2e/fresh-app/quickstart.mjs`: `clerkMiddleware()` in `proxy.ts`,
//! `<ClerkProvider>`, `<SignInButton>`, `<SignUpButton>`, `<UserButton>`)
//! and the env block of `frontdesk keys show --format nextjs` (hosted
//! pages), run with `next dev` as the quickstart says, driven in Chromium by
//! `e2e/fresh-app.spec.mjs`: sign up on the hosted page, back in the app
//! signed in without a reload, the profile and its avatar, sign-out, sign-in.
//!
//! Frontdesk runs as `frontdesk serve` does, at its default public URL
//! `http://localhost:<port>`. The app runs twice: at `http://localhost:<port>`
//! (what `next dev` prints), and at `http://127.0.0.1:<port>`, which the
//! browser treats as another site than Frontdesk's; the hosted pages then
//! bring the user back to the same page at `localhost`, signed in. For the
//! second run the app's `next.config.ts` gets the one line Next.js itself asks
//! for before its development server serves a page to another host name
//! (`allowedDevOrigins`); nothing about Clerk or Frontdesk changes.
//!
//! The app is generated once per build directory (`npx create-next-app`,
//! `npm install @clerk/nextjs`, through npm's configured registry) and never
//! committed. Skips, with a reason counted by the test runner, without
//! `node`, `npm` or Chromium.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::sync::OnceCell;

use crate::browser::{BROWSER, e2e, ensure_node_modules, missing, run_spec};
use crate::helpers::{Backend, TestApp, free_port, fresh_config, spawn_with};
use crate::node::installed_version;

const CREATE_NEXT_APP_VERSION: &str = "16.4.3";
const CLERK_NEXTJS_VERSION: &str = "7.9.17";
const SETUP_TIMEOUT: Duration = Duration::from_secs(600);
const SPEC_BUDGET: Duration = Duration::from_secs(300);

/// Where the generated app is kept between runs: the build directory.
fn cache_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::node::repo_root().join("target"));
    target.join(format!(
        "fresh-next-app-{CREATE_NEXT_APP_VERSION}-clerk-{CLERK_NEXTJS_VERSION}"
    ))
}

async fn run(cmd: &mut Command, what: &str) {
    let out = tokio::time::timeout(
        SETUP_TIMEOUT,
        cmd.stdin(Stdio::null()).kill_on_drop(true).output(),
    )
    .await
    .unwrap_or_else(|_| panic!("{what} took over {SETUP_TIMEOUT:?}"))
    .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The pristine app: create-next-app's output with the quickstart applied
/// and its packages installed. Made once per build directory.
async fn pristine_app() -> PathBuf {
    static READY: OnceCell<PathBuf> = OnceCell::const_new();
    READY
        .get_or_init(|| async {
            let dir = cache_dir();
            let app = dir.join("app");
            let done = dir.join(".complete");
            if done.exists()
                && installed_version(&app, "@clerk/nextjs").as_deref() == Some(CLERK_NEXTJS_VERSION)
            {
                return app;
            }
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            run(
                Command::new("npx")
                    .args([
                        "--yes",
                        &format!("create-next-app@{CREATE_NEXT_APP_VERSION}"),
                        "app",
                        "--ts",
                        "--app",
                        "--no-src-dir",
                        "--no-tailwind",
                        "--no-eslint",
                        "--import-alias",
                        "@/*",
                        "--use-npm",
                        "--skip-install",
                        "--disable-git",
                        "--yes",
                    ])
                    .current_dir(&dir),
                "create-next-app",
            )
            .await;
            // Clerk's quickstart step 1: `npm install @clerk/nextjs`.
            run(
                Command::new("npm")
                    .args([
                        "install",
                        "--save-exact",
                        &format!("@clerk/nextjs@{CLERK_NEXTJS_VERSION}"),
                        "--no-audit",
                        "--no-fund",
                        "--loglevel=error",
                    ])
                    .current_dir(&app),
                "npm install @clerk/nextjs",
            )
            .await;
            run(
                Command::new("node")
                    .arg(e2e().join("fresh-app/quickstart.mjs"))
                    .arg(&app),
                "the quickstart's edits",
            )
            .await;
            std::fs::write(&done, "").unwrap();
            app
        })
        .await
        .clone()
}

/// A copy of the pristine app with its own `.next`. `node_modules` is
/// hard-linked (Turbopack does not follow a symlinked one out of the app),
/// or copied where links cannot be made.
async fn copy_app(pristine: &Path, into: &Path) {
    let linked = Command::new("cp")
        .arg("-al")
        .arg(pristine.join("node_modules"))
        .arg(into)
        .status()
        .await
        .is_ok_and(|s| s.success());
    if !linked {
        run(
            Command::new("cp")
                .arg("-a")
                .arg(pristine.join("node_modules"))
                .arg(into),
            "copying node_modules",
        )
        .await;
    }
    copy_sources(pristine, into);
}

fn copy_sources(from: &Path, into: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "node_modules" || name == ".next" {
            continue;
        }
        let to = into.join(&name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
            copy_sources(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

async fn wait_for(url: &str, server: &mut Child, log: &Path) {
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Some(status) = server.try_wait().unwrap() {
            panic!(
                "next dev exited ({status}):\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        if client.get(url).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("next dev did not answer at {url}");
}

/// Run the app at `host` with `next dev` and the spec against it.
async fn first_hour(app: &TestApp, pristine: &Path, host: &str) {
    let dir = tempfile::Builder::new()
        .prefix("frontdesk-fresh-app-")
        .tempdir()
        .unwrap();
    copy_app(pristine, dir.path()).await;
    // `.env.local`, exactly what `frontdesk keys show --format nextjs` prints.
    let instance = &app.state.instance;
    let block = frontdesk_server::admin::nextjs_env(
        &instance.public_url.origin(),
        &instance.publishable_key,
        Some(app.secret_key.expose()),
        frontdesk_server::admin::SignInPages::Hosted,
    );
    let text: String = block.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join(".env.local"), text).unwrap();
    if host != "localhost" {
        // Next.js's own requirement for serving its development pages to
        // another host name (it prints this line when it blocks one).
        let config = dir.path().join("next.config.ts");
        let text = std::fs::read_to_string(&config).unwrap();
        let with = text.replacen(
            "const nextConfig: NextConfig = {",
            &format!("const nextConfig: NextConfig = {{\n  allowedDevOrigins: ['{host}'],"),
            1,
        );
        assert_ne!(text, with, "next.config.ts has changed shape");
        std::fs::write(&config, with).unwrap();
    }
    let port = free_port();
    let log = dir.path().join("next-dev.log");
    let mut server = Command::new("node")
        .arg(dir.path().join("node_modules/next/dist/bin/next"))
        .args(["dev", "-p", &port.to_string()])
        .current_dir(dir.path())
        .env("NEXT_TELEMETRY_DISABLED", "1")
        .env("NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED", "1")
        // The template's Google Fonts, answered locally (nothing leaves
        // loopback); see the file.
        .env(
            "NEXT_FONT_GOOGLE_MOCKED_RESPONSES",
            e2e().join("fresh-app/offline-fonts.cjs"),
        )
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.path().join("next-dev.err")).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let app_url = format!("http://{host}:{port}");
    wait_for(
        &format!("http://localhost:{port}/favicon.ico"),
        &mut server,
        &log,
    )
    .await;
    let out = run_spec(
        "fresh-app.spec.mjs",
        &[
            ("APP_URL", app_url.clone()),
            ("FRONTDESK_URL", app.state.instance.public_url.origin()),
            ("SECRET_KEY", app.secret_key.expose().to_owned()),
        ],
        dir.path(),
        SPEC_BUDGET,
    )
    .await;
    let _ = server.kill().await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let logs = std::fs::read_to_string(&log).unwrap_or_default()
            + &std::fs::read_to_string(dir.path().join("next-dev.err")).unwrap_or_default();
        let kept = dir.keep();
        panic!(
            "a fresh app at {app_url} failed ({}); kept in {}:\n{stdout}\n{}\n--- next dev\n{logs}",
            out.status,
            kept.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    println!("{app_url}:\n{stdout}");
}

#[tokio::test]
async fn a_fresh_next_app_signs_in_through_the_hosted_pages() {
    if let Some(reason) = missing().await {
        frontdesk_testkit::skip("a fresh Next.js app in Chromium", &reason);
        return;
    }
    ensure_node_modules().await;
    let pristine = pristine_app().await;
    let _one_browser = BROWSER.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut config, _) = fresh_config(Backend::Sqlite, &dir).await.unwrap();
    // Frontdesk as `frontdesk serve` runs it: on 127.0.0.1, with the default
    // public URL (http://localhost:<port>).
    config.public_url = None;
    config.port = free_port();
    config.argon2_memory_kib = 1024;
    config.argon2_iterations = 1;
    // No local bundles, as on a new user's machine: Frontdesk fetches the
    // clerk-js and @clerk/ui versions the app asks for from npm's registry.
    config.bundles_dir = dir.path().join("no-local-bundles");
    let app = spawn_with(config, dir).await;
    for host in ["localhost", "127.0.0.1"] {
        first_hour(&app, &pristine, host).await;
    }
    app.stop().await;
}
