//! End to end across real processes: Frontdesk (the `frontdesk` binary,
//! `serve` on a fresh data dir, configured through `FRONTDESK_*` as an
//! operator would), the seed app (its binary) and Chromium
//! (`e2e/rust-seed.spec.mjs`). Skips with a reason when Node.js or Chromium
//! is missing.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::process::{Child, Command};

const CHROMIUM: &str = "/usr/bin/chromium";
const TOKEN_LIFETIME_SECS: u32 = 3;

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

/// The `frontdesk` binary next to this test's (`cargo test --workspace`
/// builds it); built with cargo when this package is tested alone.
async fn frontdesk_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf();
    let bin = dir.join("frontdesk");
    if !bin.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let st = Command::new(cargo)
            .args(["build", "-p", "frontdesk-cli", "--bin", "frontdesk"])
            .status()
            .await
            .unwrap();
        assert!(st.success(), "cargo build -p frontdesk-cli");
    }
    assert!(bin.is_file(), "no frontdesk binary at {}", bin.display());
    bin
}

/// `frontdesk <args>` with only the settings in `env`.
fn frontdesk(bin: &PathBuf, env: &[(&str, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(bin);
    for (key, _) in std::env::vars() {
        if key.starts_with("FRONTDESK_") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)))
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

async fn output(mut cmd: Command) -> String {
    let out = cmd.output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn ok(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_pages_sign_in_refresh_revoke_and_pro_in_chromium() {
    if !ok("node").await || !std::path::Path::new(CHROMIUM).exists() {
        frontdesk_testkit::skip(
            "the Rust seed app browser test",
            &format!("node or {CHROMIUM} is missing"),
        );
        return;
    }
    if !e2e_dir().join("node_modules/playwright-core").exists() {
        let st = Command::new("npm")
            .args([
                "ci",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(e2e_dir())
            .status()
            .await
            .unwrap();
        assert!(st.success(), "npm ci --prefix e2e");
    }

    // Frontdesk, with short-lived tokens and a template that puts public
    // metadata in them.
    let dir = tempfile::tempdir().unwrap();
    let bin = frontdesk_binary().await;
    let port = free_port();
    let env = [
        (
            "FRONTDESK_DATA_DIR",
            dir.path().join("data").display().to_string(),
        ),
        ("FRONTDESK_PORT", port.to_string()),
        ("FRONTDESK_ARGON2_MEMORY_KIB", "1024".to_owned()),
        ("FRONTDESK_ARGON2_ITERATIONS", "1".to_owned()),
        (
            "FRONTDESK_SESSION_TOKEN_LIFETIME_SECS",
            TOKEN_LIFETIME_SECS.to_string(),
        ),
        ("FRONTDESK_FRONTEND_CREATE_RATE_LIMIT", "0".to_owned()),
        ("FRONTDESK_FRONTEND_ATTEMPT_RATE_LIMIT", "0".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ];
    let created = output(frontdesk(
        &bin,
        &env,
        &["keys", "secret", "create", "--label", "e2e"],
    ))
    .await;
    let sk = created
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("sk_"))
        .expect("a secret key")
        .to_owned();
    let shown: serde_json::Value = serde_json::from_str(
        &output(frontdesk(&bin, &env, &["keys", "show", "--format", "json"])).await,
    )
    .unwrap();
    let pk = shown["publishable_key"].as_str().unwrap().to_owned();
    let mut server: Child = frontdesk(&bin, &env, &["serve"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Frontdesk's default public URL, the same spelling as the app's.
    let base = format!("http://localhost:{port}");
    let mut ready = false;
    for _ in 0..200 {
        if reqwest::get(format!("{base}/readyz"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        assert!(
            server.try_wait().unwrap().is_none(),
            "frontdesk serve exited"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "frontdesk serve was not ready");
    let http = reqwest::Client::new();
    let bapi = |method: reqwest::Method, path: &str, body: serde_json::Value| {
        http.request(method, format!("{base}{path}"))
            .bearer_auth(&sk)
            .json(&body)
            .send()
    };
    let res = bapi(
        reqwest::Method::PUT,
        "/v1/instance/session_token_template",
        json!({"claims": {"metadata": "{{user.public_metadata}}"}}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let email = "seed-e2e@example.com";
    let password = "a long and unremarkable passphrase";
    let user: serde_json::Value = bapi(
        reqwest::Method::POST,
        "/v1/users",
        json!({"email_address": [email], "password": password, "first_name": "Ada"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let user_id = user["id"].as_str().unwrap().to_owned();

    // The app, as its own process.
    let app_port = free_port();
    let mut app = Command::new(env!("CARGO_BIN_EXE_seed-app"))
        .env("FRONTDESK_PUBLISHABLE_KEY", &pk)
        .env("FRONTDESK_SECRET_KEY", &sk)
        .env("FRONTDESK_API_URL", &base)
        .env("FRONTDESK_PROXY_URL", &base)
        .env("APP_PORT", app_port.to_string())
        .env(
            "APP_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("app.db").display()),
        )
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let app_url = format!("http://localhost:{app_port}");
    for _ in 0..100 {
        if reqwest::get(format!("http://127.0.0.1:{app_port}/"))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let artifacts = tempfile::tempdir().unwrap();
    let run = Command::new("node")
        .arg(e2e_dir().join("rust-seed.spec.mjs"))
        .current_dir(e2e_dir())
        .env("FRONTDESK_URL", &base)
        .env("APP_URL", &app_url)
        .env("SECRET_KEY", &sk)
        .env("EMAIL", email)
        .env("PASSWORD", password)
        .env("USER_ID", &user_id)
        .env("TOKEN_LIFETIME", TOKEN_LIFETIME_SECS.to_string())
        .env("ARTIFACTS_DIR", artifacts.path())
        .env("CHROMIUM", CHROMIUM)
        .env("DEADLINE_MS", "70000")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(80), run)
        .await
        .expect("the spec finished")
        .unwrap();
    let _ = app.kill().await;
    let _ = server.kill().await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let kept = artifacts.keep();
        panic!(
            "the Rust seed app in Chromium failed; artifacts in {}:\n{stdout}\n{}",
            kept.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(stdout.lines().any(|l| l.trim() == "PASS"), "{stdout}");
    println!("{stdout}");
}
