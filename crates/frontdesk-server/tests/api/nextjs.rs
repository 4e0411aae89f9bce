//! The drop-in proof: the seed's Next.js app (`examples/nextjs`, the seed's
//! files with the unmodified `@clerk/nextjs` and `svix`) built for
//! production and run with `next start` against Frontdesk, driven in
//! Chromium by `e2e/nextjs.spec.mjs`: landing page, the redirect to
//! `/sign-in`, sign-up with the emailed code, the dashboard and
//! `/api/user/profile`, the `user.created` and `user.updated` webhooks
//! landing in the app's PostgreSQL table, `<UserButton/>`'s profile and
//! sign-out, password sign-in, the handshake after the token expired,
//! revocation, and `/pro` opening after `tier: "pro"`. Then, on the
//! development instance, `e2e/nextjs-org.spec.mjs`: an organization created
//! with `<OrganizationSwitcher/>`, a second person invited by email who
//! signs up through the link, switches, is given and taken a role in
//! `<OrganizationProfile/>` (the `/org` page's `has({ permission })` opening
//! and closing), and leaves.
//!
//! The app is configured by environment alone, with the block `frontdesk
//! keys show --format nextjs` prints: Frontdesk's own publishable key,
//! `NEXT_PUBLIC_CLERK_PROXY_URL` and `CLERK_API_URL` pointing at Frontdesk,
//! the bundles from Frontdesk's `/npm/…`. The app is on the same site as
//! Frontdesk (`127.0.0.1`, another port), as an app and its Frontdesk share
//! a domain in production: clerk-js keeps the browser's client in
//! Frontdesk's `__client` cookie (SameSite=Lax). The suite runs on a
//! development instance, where codes are read from the dev mailbox, and on a
//! production one (`pk_live_`), which keeps none: there they are read from
//! the `email.created` webhook.
//!
//! Skips (with a printed reason) without `node`, `npm`, Chromium or
//! `FRONTDESK_TEST_DATABASE_URL` (the app keeps its users in PostgreSQL).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use std::sync::{Arc, Mutex};

use frontdesk_domain::InstanceMode;
use frontdesk_store_postgres::testing::TestSchema;
use serde_json::json;
use tokio::process::{Child, Command};
use tokio::sync::OnceCell;

use crate::browser::{BROWSER, e2e, ensure_node_modules, missing, run_spec};
use crate::helpers::{Backend, TestApp, free_port, fresh_config, spawn_with};
use crate::node::{installed_version, npm_ci, repo_root};

const NEXT_VERSION: &str = "16.4.6";
const CLERK_NEXTJS_VERSION: &str = "7.9.17";
const TOKEN_LIFETIME_SECS: u32 = 20;
const BUILD_TIMEOUT: Duration = Duration::from_secs(600);
const SPEC_BUDGET: Duration = Duration::from_secs(240);
const ORG_SPEC_BUDGET: Duration = Duration::from_secs(150);

fn app_dir() -> PathBuf {
    repo_root().join("examples/nextjs")
}

async fn ensure_app_modules() {
    static INSTALLED: OnceCell<()> = OnceCell::const_new();
    INSTALLED
        .get_or_init(|| async {
            let ok = || {
                installed_version(&app_dir(), "next").as_deref() == Some(NEXT_VERSION)
                    && installed_version(&app_dir(), "@clerk/nextjs").as_deref()
                        == Some(CLERK_NEXTJS_VERSION)
            };
            if !ok() {
                npm_ci(&app_dir()).await;
                assert!(ok(), "npm ci did not install next {NEXT_VERSION} and @clerk/nextjs {CLERK_NEXTJS_VERSION}");
            }
        })
        .await;
}

/// The app's environment: what `frontdesk keys show --format nextjs` prints,
/// plus the webhook secret and the database.
fn app_env(app: &TestApp, webhook_secret: &str, database_url: &str) -> Vec<(String, String)> {
    let instance = &app.state.instance;
    // The seed's app has its own /sign-in and /sign-up pages.
    let block = frontdesk_server::admin::nextjs_env(
        &instance.public_url.origin(),
        &instance.publishable_key,
        Some(app.secret_key.expose()),
        frontdesk_server::admin::SignInPages::InApp,
    );
    frontdesk_server::admin::env_vars(&block)
        .into_iter()
        .chain([
            ("CLERK_WEBHOOK_SECRET", webhook_secret.to_owned()),
            ("DATABASE_URL", database_url.to_owned()),
        ])
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

fn next(args: &[&str], env: &[(String, String)]) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg(app_dir().join("node_modules/next/dist/bin/next"))
        .args(args)
        .current_dir(app_dir())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

async fn wait_for_app(url: &str, server: &mut Child) {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Some(status) = server.try_wait().unwrap() {
            panic!("next start exited ({status})");
        }
        if client.get(url).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("next start did not answer at {url}");
}

/// Receives `email.created` and answers `GET /code?to=…` with the newest
/// six-digit code mailed to that address: how the spec reads codes.
async fn mailbox() -> (String, tokio::task::JoinHandle<()>) {
    use axum::extract::{Query, State};
    type Codes = Arc<Mutex<Vec<(String, String)>>>;
    let codes: Codes = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(|State(codes): State<Codes>, body: String| async move {
                let event: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let data = &event["data"];
                let code = data["body_plain"]
                    .as_str()
                    .unwrap_or_default()
                    .split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                    .map(str::to_owned);
                if let (Some(to), Some(code)) = (data["to_email_address"].as_str(), code) {
                    codes.lock().unwrap().push((to.to_owned(), code));
                }
                axum::http::StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/code",
            axum::routing::get(
                |State(codes): State<Codes>,
                 Query(q): Query<std::collections::HashMap<String, String>>| async move {
                    let to = q.get("to").cloned().unwrap_or_default();
                    let found = codes
                        .lock()
                        .unwrap()
                        .iter()
                        .rev()
                        .find(|(t, _)| *t == to)
                        .map(|(_, c)| c.clone());
                    found.ok_or(axum::http::StatusCode::NOT_FOUND)
                },
            ),
        )
        .with_state(codes);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://127.0.0.1:{port}"), server)
}

/// `"X.Y.Z"` after `marker` in a file of the app's `@clerk/shared`.
fn pinned_in_shared(file: &str, marker: &str) -> String {
    let path = app_dir().join("node_modules/@clerk/shared/dist").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("`{marker}` not in {}", path.display()))
        + marker.len();
    text[start..].split('"').next().unwrap().to_owned()
}

/// The bundles Frontdesk serves (`e2e/node_modules`) are the ones the
/// example's `@clerk/nextjs` asks for: the same clerk-js, and a `@clerk/ui`
/// of the major it loads (`@clerk/ui@1`).
#[tokio::test]
async fn served_bundles_match_what_the_pinned_clerk_nextjs_loads() {
    if !crate::node::available("npm").await {
        frontdesk_testkit::skip("the bundle version check", "npm is not on PATH");
        return;
    }
    ensure_app_modules().await;
    let js = pinned_in_shared("versionSelector.mjs", "packageVersion = \"");
    assert_eq!(
        js,
        crate::browser::CLERK_JS_VERSION,
        "@clerk/nextjs loads clerk-js {js}"
    );
    let ui = pinned_in_shared("loadClerkJsScript.mjs", "__internal_clerkUIVersion, \"");
    let major = |v: &str| v.split('.').next().unwrap().to_owned();
    assert_eq!(
        major(&ui),
        major(crate::browser::CLERK_UI_VERSION),
        "@clerk/nextjs loads @clerk/ui {ui}"
    );
    if ui != crate::browser::CLERK_UI_VERSION {
        println!(
            "note: @clerk/nextjs {CLERK_NEXTJS_VERSION} was built against @clerk/ui {ui}; Frontdesk serves {} (the newest the registry here has), which the spec runs end to end",
            crate::browser::CLERK_UI_VERSION
        );
    }
}

#[tokio::test]
async fn the_seed_nextjs_app_runs_unchanged_on_a_development_instance() {
    run(InstanceMode::Development).await;
}

#[tokio::test]
async fn the_seed_nextjs_app_runs_unchanged_on_a_production_instance() {
    run(InstanceMode::Production).await;
}

async fn run(mode: InstanceMode) {
    if let Some(why) = missing().await {
        frontdesk_testkit::skip("the Next.js drop-in test", &why);
        return;
    }
    let Some(base_url) = TestSchema::base_url_or_skip("the Next.js drop-in test") else {
        return;
    };
    ensure_node_modules().await;
    ensure_app_modules().await;
    let _one_browser = BROWSER.lock().await;

    let dir = tempfile::tempdir().unwrap();
    let (mut config, _) = fresh_config(Backend::Sqlite, &dir).await.unwrap();
    config.argon2_memory_kib = 1024;
    config.argon2_iterations = 1;
    config.backend_rate_limit = Some(0);
    config.bundles_dir = e2e().join("node_modules/@clerk");
    config.session_token_lifetime_secs = TOKEN_LIFETIME_SECS;
    config.webhooks.poll_interval_ms = 100;
    config.webhooks.allow_loopback = Some(true);
    config.mode = mode;
    let port = free_port();
    let app_url = format!("http://127.0.0.1:{port}");
    // Production instances take Frontend API calls from listed origins only.
    config.allowed_origins = vec![app_url.clone()];
    let app = spawn_with(config, dir).await;
    let app_db = TestSchema::create(&base_url).await.unwrap();

    let res = app
        .bapi(
            reqwest::Method::PUT,
            "/v1/instance/session_token_template",
            Some(json!({"claims": {"metadata": "{{user.public_metadata}}"}})),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Production instances keep no dev mailbox: codes come from `email.created`.
    let (mailbox_url, mailbox_server) = mailbox().await;
    if mode == InstanceMode::Production {
        let (status, body) = app
            .post_json(
                "/v1/webhooks/endpoints",
                json!({"url": format!("{mailbox_url}/hook"), "filter_types": ["email.created"]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, endpoint) = app
        .post_json(
            "/v1/webhooks/endpoints",
            json!({"url": format!("{app_url}/api/webhooks/clerk"),
                   "filter_types": ["user.created", "user.updated", "user.deleted"]}),
        )
        .await;
    assert_eq!(status, 200, "{endpoint}");
    let env = app_env(&app, endpoint["secret"].as_str().unwrap(), &app_db.url);
    // "Corp SSO": a real OpenID Connect provider for the social step.
    let social = "social-nextjs@example.com";
    let clients = json!([{"client_id": "frontdesk", "client_secret": "corp secret",
        "redirect_uris": [format!("{}/v1/oauth_callback", app.base)]}]);
    let accounts = json!([{"sub": "social-1", "email": social, "email_verified": true,
        "given_name": "Sol", "family_name": "Cial", "password": "provider password"}]);
    let Some(provider) = frontdesk_testkit::oidc::OidcProvider::start(
        "the Next.js drop-in test",
        &clients,
        &accounts,
    )
    .await
    else {
        return;
    };
    let res = app
        .bapi(
            reqwest::Method::PATCH,
            "/v1/instance/settings",
            Some(
                json!({"social": {"oauth_custom_corp": {"enabled": true, "client_id": "frontdesk",
                "issuer": provider.issuer, "name": "Corp SSO", "client_secret": "corp secret"}}}),
            ),
        )
        .await;
    assert_eq!(res.status(), 200);

    // A production build, with the public settings compiled in.
    let build = next(&["build"], &env).output();
    let out = tokio::time::timeout(BUILD_TIMEOUT, build)
        .await
        .expect("next build finished in time")
        .unwrap();
    assert!(
        out.status.success(),
        "next build failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut server = next(&["start", "-p", &port.to_string()], &env)
        .stdout(log.reopen().unwrap())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    wait_for_app(&app_url, &mut server).await;

    let artifacts = tempfile::Builder::new()
        .prefix("frontdesk-nextjs-")
        .tempdir()
        .unwrap();
    let mut env = vec![
        ("APP_URL", app_url.clone()),
        ("FRONTDESK_URL", app.base.clone()),
        ("SECRET_KEY", app.secret_key.expose().to_owned()),
        ("ENDPOINT_ID", endpoint["id"].as_str().unwrap().to_owned()),
        ("TOKEN_LIFETIME", TOKEN_LIFETIME_SECS.to_string()),
        ("ISSUER", provider.issuer.clone()),
        ("SOCIAL", social.to_owned()),
    ];
    if mode == InstanceMode::Production {
        env.push(("MAILBOX_URL", mailbox_url.clone()));
    }
    let out = run_spec("nextjs.spec.mjs", &env, artifacts.path(), SPEC_BUDGET).await;
    // Organizations in the same app, on the development instance (the
    // invitation's link is read from the dev mailbox).
    let org = if out.status.success() && mode == InstanceMode::Development {
        Some(
            run_spec(
                "nextjs-org.spec.mjs",
                &env,
                artifacts.path(),
                ORG_SPEC_BUDGET,
            )
            .await,
        )
    } else {
        None
    };
    let _ = server.kill().await;
    mailbox_server.abort();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for (name, out) in [
        ("nextjs.spec.mjs", Some(&out)),
        ("nextjs-org.spec.mjs", org.as_ref()),
    ] {
        let Some(out) = out else { continue };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            let kept = artifacts.keep();
            let next_log = std::fs::read_to_string(log.path()).unwrap_or_default();
            panic!(
                "{name}: the Next.js app against a {mode} Frontdesk failed ({}); artifacts in {}:\n{stdout}\n{stderr}\n--- next start\n{next_log}",
                out.status,
                kept.display()
            );
        }
        println!("{name}\n{stdout}");
    }

    // The webhook route wrote the user, then their new name, into PostgreSQL.
    let user_id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("the spec names the user")
        .trim()
        .to_owned();
    let mut db = <sqlx::PgConnection as sqlx::Connection>::connect(&app_db.url)
        .await
        .unwrap();
    let (email, name): (String, Option<String>) =
        sqlx::query_as("SELECT email, name FROM users WHERE clerk_id = $1")
            .bind(&user_id)
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert!(
        email.starts_with("seed-") && email.ends_with("@example.com"),
        "{email}"
    );
    assert_eq!(name.as_deref(), Some("Grace"));
    app.stop().await;
    app_db.drop_schema().await.unwrap();
}
