//! End to end across processes: Frontdesk (in this test's process, on a
//! fresh database), the seed app (its real binary) and Chromium
//! (`e2e/rust-seed.spec.mjs`). Skips with a reason when Node.js or Chromium
//! is missing.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use frontdesk_server::{Application, Config, admin};
use serde_json::json;
use tokio::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";
const TOKEN_LIFETIME_SECS: u32 = 3;

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
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
        eprintln!("skipping the Rust seed app browser test: node or {CHROMIUM} is missing");
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
    let config = Config {
        port: 0,
        data_dir: dir.path().join("data"),
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        session_token_lifetime_secs: TOKEN_LIFETIME_SECS,
        frontend_create_rate_limit: 0,
        frontend_attempt_rate_limit: 0,
        ..Config::default()
    };
    let fd = Application::build(config).await.unwrap();
    let state = fd.state().clone();
    let base = format!("http://127.0.0.1:{}", fd.port());
    let (sk, _) =
        admin::create_secret_key(state.store.as_ref(), state.instance.instance.mode, "e2e")
            .await
            .unwrap();
    let sk = sk.expose().to_owned();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = fd
            .run_until_stopped(async {
                let _ = stopped.await;
            })
            .await;
    });
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
    let app_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut app = Command::new(env!("CARGO_BIN_EXE_seed-app"))
        .env(
            "FRONTDESK_PUBLISHABLE_KEY",
            state.instance.publishable_key.as_str(),
        )
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
    let _ = stop.send(());
    let _ = server.await;
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
