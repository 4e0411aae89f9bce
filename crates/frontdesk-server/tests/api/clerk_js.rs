//! The real clerk-js and `@clerk/ui` in Chromium: `e2e/clerk-js.spec.mjs`
//! (Playwright) drives `<SignUp/>` and `<SignIn/>` mounted on a plain page
//! (`e2e/clerk-page.html`) through sign-up with an emailed code, a token
//! refresh, sign-out and sign-in with a password.
//!
//! The setup is clerk-protocol.md §1.7 "Mode A": the page is on
//! `http://localhost:<port>` (served here), Frontdesk on
//! `http://127.0.0.1:<port>` serves the bundles (`/npm/…`) and, as clerk-js's
//! `proxyUrl`, the whole Frontend API; the publishable key names a
//! `*.clerk.accounts.dev` host, which makes clerk-js use a dev browser and is
//! never contacted. The spec fails on any request that leaves loopback.
//!
//! Skips (with a printed reason) when `node`, `npm` or `/usr/bin/chromium` is
//! missing. Installs `e2e/node_modules` with `npm ci --prefix e2e` if the
//! pinned packages are not there.

use std::process::Stdio;
use std::time::Duration;

use frontdesk_domain::{InstanceMode, PublishableKey};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::both_backends;
use crate::browser::{
    BROWSER, CHROMIUM, CLERK_JS_VERSION, CLERK_UI_VERSION, e2e, ensure_node_modules, missing,
    serve_page,
};
use crate::helpers::TestApp;

/// Short enough that clerk-js refreshes within seconds: it refreshes 17 s
/// before expiry (15 s leeway + 2 s lead, `tokenCache`).
const TOKEN_LIFETIME_SECS: u32 = 20;

/// The spec's own budget (the process gets a little more).
const SPEC_BUDGET: Duration = Duration::from_secs(75);

both_backends!(
    real_clerk_js_signs_up_refreshes_signs_out_and_signs_in,
    |c: &mut frontdesk_server::Config| {
        c.argon2_memory_kib = 1024;
        c.argon2_iterations = 1;
        c.bundles_dir = e2e().join("node_modules/@clerk");
        c.session_token_lifetime_secs = TOKEN_LIFETIME_SECS;
    },
    |app: TestApp| async move {
        if let Some(why) = missing().await {
            frontdesk_testkit::skip("the clerk-js browser test", &why);
            app.stop().await;
            return;
        }
        ensure_node_modules().await;
        let _one_browser = BROWSER.lock().await;

        let stdout = run_on_clerk_page(
            &app,
            "clerk-js.spec.mjs",
            &[("TOKEN_LIFETIME", TOKEN_LIFETIME_SECS.to_string())],
            SPEC_BUDGET,
        )
        .await;
        assert!(
            stdout.contains(&format!(
                "loaded clerk-js {CLERK_JS_VERSION}, ui {CLERK_UI_VERSION}"
            )),
            "the page did not run the pinned versions:\n{stdout}"
        );
        println!("{stdout}");
        app.stop().await;
    }
);

/// The server settings of a test on `e2e/clerk-page.html`: cheap hashing,
/// the pinned clerk-js and `@clerk/ui` from `e2e/node_modules`, and no
/// per-IP limits (one browser signs in several times within seconds; the
/// limits have their own tests).
pub fn on_clerk_page(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
    c.bundles_dir = e2e().join("node_modules/@clerk");
    c.frontend_attempt_rate_limit = 0;
    c.frontend_create_rate_limit = 0;
}

/// [`run_on_clerk_page`] for a user with `email` and `password` made first,
/// holding the one browser; `None` (a counted skip) when node or Chromium
/// is missing. Stops the app.
pub async fn run_for_user(
    app: TestApp,
    what: &str,
    spec: &str,
    email: String,
    password: &str,
    budget: Duration,
) {
    if let Some(why) = missing().await {
        frontdesk_testkit::skip(what, &why);
        app.stop().await;
        return;
    }
    ensure_node_modules().await;
    let _one_browser = BROWSER.lock().await;
    crate::helpers::user_with_password(&app, &email, password).await;
    let stdout = run_on_clerk_page(
        &app,
        spec,
        &[
            ("EMAIL", email),
            ("PASSWORD", password.to_owned()),
            ("SECRET_KEY", app.secret_key.expose().to_owned()),
        ],
        budget,
    )
    .await;
    println!("{stdout}");
    app.stop().await;
}

/// Serve `e2e/clerk-page.html` on its own origin for `app` and run the
/// Playwright `spec` against it with `envs`; its output, after asserting
/// that it passed. Callers hold [`BROWSER`].
/// `e2e/clerk-page.html` for `app`, served on an origin of its own: its
/// URL, and the server (abort it when done).
pub async fn clerk_page(app: &TestApp) -> (String, tokio::task::JoinHandle<()>) {
    let pk = PublishableKey::for_host(
        InstanceMode::Development,
        "frontdesk-test.clerk.accounts.dev",
    )
    .unwrap();
    let html = std::fs::read_to_string(e2e().join("clerk-page.html"))
        .unwrap()
        .replace("__FRONTDESK_URL__", &app.base)
        .replace("__PUBLISHABLE_KEY__", pk.as_str());
    serve_page(html).await
}

pub async fn run_on_clerk_page(
    app: &TestApp,
    spec: &str,
    envs: &[(&str, String)],
    budget: Duration,
) -> String {
    let (page_url, page_server) = clerk_page(app).await;
    let artifacts = tempfile::Builder::new()
        .prefix("frontdesk-clerk-js-")
        .tempdir()
        .unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(e2e().join(spec))
        .current_dir(e2e())
        .env("FRONTDESK_URL", &app.base)
        .env("PAGE_URL", &page_url)
        .env("ARTIFACTS_DIR", artifacts.path())
        .env("CHROMIUM", CHROMIUM)
        .env("CLERK_JS_VERSION", CLERK_JS_VERSION)
        .env("CLERK_UI_VERSION", CLERK_UI_VERSION)
        .env("DEADLINE_MS", budget.as_millis().to_string())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let limit = budget + Duration::from_secs(10);
    let mut child = cmd.spawn().unwrap();
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let errors = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.unwrap().read_to_string(&mut text).await;
        text
    });
    let run = async {
        let mut stdin = stdin.unwrap();
        let mut lines = BufReader::new(stdout.unwrap()).lines();
        let mut text = String::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(request) = line.strip_prefix("ASK ") {
                answer(app, request).await;
                stdin.write_all(b"done\n").await.unwrap();
            }
            text.push_str(&line);
            text.push('\n');
        }
        (child.wait().await.unwrap(), text)
    };
    let out = tokio::time::timeout(limit, run).await;
    page_server.abort();
    let (status, stdout) = out.unwrap_or_else(|_| panic!("{spec} did not finish within {limit:?}"));
    let stderr = errors.await.unwrap_or_default();
    if !status.success() {
        // Keep the screenshot for whoever reads the failure.
        let kept = artifacts.keep();
        panic!(
            "{spec} (clerk-js {CLERK_JS_VERSION} / @clerk/ui {CLERK_UI_VERSION}, Chromium) against Frontdesk failed ({}); artifacts in {}:\n{stdout}\n{stderr}",
            status,
            kept.display()
        );
    }
    assert!(
        stdout.lines().any(|l| l.trim() == "PASS"),
        "no PASS from {spec}:\n{stdout}\n{stderr}"
    );
    stdout
}

/// What a spec asks of the test (`askTest` in `e2e/harness.mjs`): things
/// a browser cannot do, such as letting eleven minutes pass for a session.
async fn answer(app: &TestApp, request: &str) {
    match request.split_once(' ') {
        Some(("age-session", sid)) => crate::reverify::age(app, sid).await,
        _ => panic!("a spec asked for something unknown: {request}"),
    }
}

/// Fake bundles in the test's own temporary directory (next to `data_dir`),
/// plus things that must never be served: a file outside `dist` and a link
/// from inside `dist` to it.
fn fake_bundles(c: &mut frontdesk_server::Config) {
    let root = c.data_dir.parent().unwrap().join("npm");
    for (path, text) in [
        ("clerk-js/dist/clerk.browser.js", "window.Clerk = 'js';"),
        ("clerk-js/dist/clerk.browser.js.map", "{}"),
        ("clerk-js/package.json", "{\"secret\": true}"),
        ("ui/dist/ui.browser.js", "window.__ui = 1;"),
        ("ui/dist/themes/dark.css", "body{}"),
        ("ui/dist/logo.svg", "<svg/>"),
        ("ui/dist/font.woff2", "w"),
    ] {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        root.join("clerk-js/package.json"),
        root.join("clerk-js/dist/escape.js"),
    )
    .unwrap();
    c.bundles_dir = root;
}

/// The status line of a GET sent byte for byte, so that no client tidies
/// `..` or `%2e` out of the path first.
async fn raw_status(port: u16, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    text.lines().next().unwrap_or_default().to_owned()
}

both_backends!(
    bundles_are_served_from_dist_with_cors_and_nothing_else,
    fake_bundles,
    |app: TestApp| async move {
        for (path, body, content_type) in [
            (
                "/npm/@clerk/clerk-js@6/dist/clerk.browser.js",
                "window.Clerk = 'js';",
                "text/javascript; charset=utf-8",
            ),
            // Lazy chunks are requested with the exact version; any works.
            (
                "/npm/@clerk/clerk-js@6.40.0/dist/clerk.browser.js",
                "window.Clerk = 'js';",
                "text/javascript; charset=utf-8",
            ),
            (
                "/npm/@clerk/clerk-js@latest/dist/clerk.browser.js.map",
                "{}",
                "application/json",
            ),
            (
                "/npm/@clerk/ui@1/dist/ui.browser.js",
                "window.__ui = 1;",
                "text/javascript; charset=utf-8",
            ),
            (
                "/npm/@clerk/ui@1.36.0/dist/themes/dark.css",
                "body{}",
                "text/css; charset=utf-8",
            ),
            ("/npm/@clerk/ui@1/dist/logo.svg", "<svg/>", "image/svg+xml"),
            ("/npm/@clerk/ui@1/dist/font.woff2", "w", "font/woff2"),
        ] {
            let res = app
                .http
                .get(app.url(path))
                .header("origin", "http://localhost:3000")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let h = res.headers();
            assert_eq!(h["content-type"], content_type, "{path}");
            assert_eq!(h["access-control-allow-origin"], "*", "{path}");
            assert_eq!(h["cache-control"], "public, max-age=3600", "{path}");
            assert_eq!(res.text().await.unwrap(), body, "{path}");
        }
        for path in [
            "/npm/@clerk/ui@1/dist/missing.js",
            "/npm/@clerk/clerk-js@6/package.json",
            "/npm/@clerk/clerk-js/dist/clerk.browser.js",
            "/npm/@clerk/backend@3/dist/index.js",
            "/npm/react@19/dist/react.js",
            "/npm/@clerk/clerk-js@6/dist/escape.js",
            "/npm/@clerk/clerk-js@6/dist/",
        ] {
            let res = app.get(path).await;
            assert_eq!(res.status(), 404, "{path}");
            assert_eq!(res.headers()["access-control-allow-origin"], "*", "{path}");
            let body = crate::helpers::json(res).await;
            assert_eq!(body["errors"][0]["code"], "resource_not_found", "{path}");
        }
        let ok = raw_status(app.port, "/npm/@clerk/clerk-js@6/dist/clerk.browser.js").await;
        assert!(ok.contains(" 200 "), "{ok}");
        for path in [
            "/npm/@clerk/clerk-js@6/dist/../package.json",
            "/npm/@clerk/clerk-js@6/dist/%2e%2e/package.json",
            "/npm/@clerk/clerk-js@6/dist/..%2fpackage.json",
            "/npm/@clerk/clerk-js@6/dist/%2E%2E%2Fpackage.json",
            "/npm/@clerk/clerk-js@6/dist/a/../../package.json",
            "/npm/@clerk/ui@1/dist/..%5c..%5cclerk-js%5cpackage.json",
        ] {
            let status = raw_status(app.port, path).await;
            assert!(status.contains(" 404 "), "{path}: {status}");
        }
        app.stop().await;
    }
);
