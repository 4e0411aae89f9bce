//! A real OpenID Connect provider for tests: npm `oidc-provider` (pinned in
//! `e2e/package.json`), run by `e2e/oidc-provider.mjs` on loopback, and the
//! browser's part at its login form played with plain HTTP and a cookie jar.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// A running provider; stopped when dropped.
pub struct OidcProvider {
    pub issuer: String,
    _child: Child,
    /// Kept open: a closed pipe would fail the provider if it wrote again.
    _stdout: tokio::io::Lines<BufReader<ChildStdout>>,
}

/// The repository's `e2e` folder.
pub fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

impl OidcProvider {
    /// Start one with `clients` and `accounts` (the JSON the script reads,
    /// see `e2e/oidc-provider.mjs`); `None`, a counted skip for `what`,
    /// without node or the package.
    pub async fn start(what: &str, clients: &Value, accounts: &Value) -> Option<Self> {
        let e2e = e2e_dir();
        if !e2e.join("node_modules/oidc-provider/package.json").exists() {
            crate::skip(
                what,
                "e2e/node_modules has no oidc-provider (npm ci --prefix e2e)",
            );
            return None;
        }
        let spawned = Command::new("node")
            .arg(e2e.join("oidc-provider.mjs"))
            .current_dir(&e2e)
            .env("OIDC_PORT", "0")
            .env("OIDC_CLIENTS", clients.to_string())
            .env("OIDC_ACCOUNTS", accounts.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let Ok(mut child) = spawned else {
            crate::skip(what, "node is not installed");
            return None;
        };
        let stderr = child.stderr.take()?;
        // Its notices, kept for a failure's message (and drained, so that a
        // full pipe never stalls it).
        let said = tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            let mut text = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                text.push_str(&line);
                text.push('\n');
            }
            text
        });
        let mut lines = BufReader::new(child.stdout.take()?).lines();
        // Loading oidc-provider's modules and making its RSA key take about
        // a second on an idle machine; with the whole suite running on two
        // cores it has taken over 30 s. The bound is for a provider that
        // never starts, not a measure of speed.
        let started = std::time::Instant::now();
        let ready = tokio::time::timeout(Duration::from_secs(180), lines.next_line()).await;
        let Ok(Ok(Some(line))) = ready else {
            let _ = child.start_kill();
            panic!(
                "the OpenID Connect provider did not start in {:?}: {}",
                started.elapsed(),
                said.await.unwrap_or_default()
            );
        };
        let issuer = line
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("expected `READY <issuer>`, got {line}"))
            .to_owned();
        Some(Self {
            issuer,
            _child: child,
            _stdout: lines,
        })
    }
}

/// A browser at the provider: cookies kept, redirects followed until one
/// to a URL starting with `stop_at`, which is returned instead.
pub fn provider_browser(stop_at: &str) -> reqwest::Client {
    let stop_at = stop_at.to_owned();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.url().as_str().starts_with(&stop_at) {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .build()
        .unwrap_or_default()
}

/// Open `authorize_url` in `browser` and answer the provider's login form
/// as `email` with `password` (`action` `login`, or `abort` to cancel):
/// the redirect back (not followed).
pub async fn sign_in_at_provider(
    browser: &reqwest::Client,
    authorize_url: &str,
    email: &str,
    password: &str,
    action: &str,
) -> reqwest::Response {
    let page = browser
        .get(authorize_url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("the provider's login page: {e}"));
    if page.status().is_redirection() {
        // Signed in at the provider already: straight back.
        return page;
    }
    assert_eq!(page.status(), 200, "the provider's login page");
    let interaction = page.url().path().trim_end_matches('/').to_owned();
    assert!(interaction.starts_with("/interaction/"), "{interaction}");
    let mut at = page.url().clone();
    at.set_path(&format!("{interaction}/{action}"));
    let res = browser
        .post(at)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("the provider's login form: {e}"));
    assert!(
        res.status().is_redirection(),
        "the provider did not send the browser back: {}",
        res.status()
    );
    res
}
