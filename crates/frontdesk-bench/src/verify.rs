//! `verify`: session token verifications per second by the Rust SDK
//! (`frontdesk::verify_token`), next to `@clerk/backend`'s `verifyToken` in
//! Node (same token, same key: a PEM, no network, as `jwtKey`) and to the
//! machine's RSA-2048 verify rate, all measured in this run on one core; and
//! the SDK middleware's overhead per request.
//!
//! # The limits
//!
//! - SDK verifications/s ≥ 10 × `@clerk/backend`'s (both on one thread);
//! - SDK verifications/s ≥ 0.7 × raw RSA-2048 PKCS#1 v1.5 verifications/s
//!   (`aws-lc-rs`, one thread): parsing and the claim checks may cost at
//!   most 30 % on top of the signature;
//! - middleware overhead p99 < 100 µs: an axum route behind
//!   `FrontdeskLayer`, with a valid `__session` cookie and `__client_uat`,
//!   called 5,000 times per second for `--seconds` (an open loop, in
//!   process), against the same route without the layer; each request's
//!   latency is measured, and the overhead is the layered p99 minus the
//!   bare p50.
//!
//! `@clerk/backend` comes from `compat/node_modules` (`npm ci --prefix
//! compat`); without Node or the package, its row is left out with a note
//! and the 10× gate is not judged.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{self, KeyPair as _};
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use frontdesk::{Builder, FrontdeskLayer, KeySource, RsaKey, VerifyOptions, verify_token};
use frontdesk_crypto::SigningKey;
use serde_json::json;
use tower::ServiceExt;

use crate::report::{Better, Report, Summary};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Length of each measurement, in seconds
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60))]
    seconds: u64,
    /// Requests per second offered to the middleware
    #[arg(long, default_value_t = 5000)]
    rate: u32,
}

const PUBLISHABLE_KEY: &str = "pk_test_ZnJvbnRkZXNrLWJlbmNoLmV4YW1wbGUuY29tJA";

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A session token as Frontdesk mints them, valid for an hour.
fn token(key: &SigningKey) -> Result<String> {
    let t = now_secs();
    key.sign_jwt(
        &[("cat", "cl_B7d4PD111AAA")],
        &json!({
            "azp": "http://localhost:3000", "exp": t + 3600, "fva": [0, -1], "iat": t,
            "iss": "http://127.0.0.1:4000", "nbf": t - 10, "sid": "sess_bench", "sts": "active",
            "sub": "user_bench", "v": 2, "jti": "bench"
        }),
    )
    .map_err(|e| anyhow::anyhow!("signing: {e}"))
}

/// Calls per second of `f` on this thread over `window` (after a warm-up).
fn rate(window: Duration, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(200) {
        f()?;
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < window {
        f()?;
        n += 1;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

fn rsa_verify_rate(window: Duration) -> Result<f64> {
    let pair =
        KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(|e| anyhow::anyhow!("{e}"))?;
    let message = vec![b'a'; 500];
    let mut sig = vec![0u8; pair.public_modulus_len()];
    pair.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        &message,
        &mut sig,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    // Parsed once, as the SDK keeps its keys: the limit is the signature
    // check alone.
    let public = signature::ParsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        pair.public_key().as_ref(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    rate(window, || {
        public
            .verify_sig(&message, &sig)
            .map_err(|_| anyhow::anyhow!("RSA verify failed"))
    })
}

fn compat_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../compat")
}

/// `@clerk/backend`'s `verifyToken` on one Node thread, or why not.
fn node_rate(token: &str, pem: &str, window: Duration) -> Result<f64, String> {
    let dir = compat_dir();
    if !dir.join("node_modules/@clerk/backend").exists() {
        return Err("compat/node_modules has no @clerk/backend (npm ci --prefix compat)".into());
    }
    let script = r#"
import { verifyToken } from '@clerk/backend';
const [token, jwtKey, ms] = [process.env.TOKEN, process.env.PEM, Number(process.env.MS)];
const opts = { jwtKey, authorizedParties: ['http://localhost:3000'] };
const warm = Date.now(); while (Date.now() - warm < 300) await verifyToken(token, opts);
let n = 0; const start = process.hrtime.bigint();
while (Number(process.hrtime.bigint() - start) / 1e6 < ms) { await verifyToken(token, opts); n++; }
const secs = Number(process.hrtime.bigint() - start) / 1e9;
console.log(String(n / secs));
"#;
    let out = Command::new("node")
        .args(["--input-type=module", "-e", script])
        .current_dir(&dir)
        .env("TOKEN", token)
        .env("PEM", pem)
        .env("MS", window.as_millis().to_string())
        .output()
        .map_err(|e| format!("node: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "node failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("")
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| "node printed no rate".to_owned())
}

/// Latencies (µs) of `count` requests sent at `per_sec` to `app`.
async fn latencies(app: Router, cookie: &str, per_sec: u32, window: Duration) -> Result<Vec<f64>> {
    let interval = Duration::from_secs_f64(1.0 / f64::from(per_sec));
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let start = Instant::now();
    let mut out = Vec::new();
    while start.elapsed() < window {
        tick.tick().await;
        let req = http::Request::get("/dashboard")
            .header("host", "localhost:3000")
            .header("accept", "text/html")
            .header("cookie", cookie)
            .body(Body::empty())?;
        let sent = Instant::now();
        let res = app.clone().oneshot(req).await?;
        out.push(sent.elapsed().as_secs_f64() * 1e6);
        ensure!(res.status() == 200, "the route answered {}", res.status());
    }
    out.sort_by(f64::total_cmp);
    Ok(out)
}

pub fn run(options: &Options) -> Result<Report> {
    let window = Duration::from_secs(options.seconds);
    let (key, _) = SigningKey::generate(frontdesk_domain::UnixMillis(0))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let pem = key.public_pem().map_err(|e| anyhow::anyhow!("{e}"))?;
    let token = token(&key)?;
    eprintln!(
        "verify: RSA-2048 verifications on one core ({} s)",
        options.seconds
    );
    let rsa = rsa_verify_rate(window)?;

    eprintln!(
        "verify: the SDK's verify_token on one core ({} s)",
        options.seconds
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let keys = KeySource::Pem(RsaKey::from_pem(&pem)?);
    let verify_options = VerifyOptions {
        authorized_parties: vec!["http://localhost:3000".into()],
        ..VerifyOptions::default()
    };
    let sdk = rate(window, || {
        runtime
            .block_on(verify_token(&token, &keys, &verify_options))
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("the SDK refused the token: {e}"))
    })?;

    eprintln!(
        "verify: @clerk/backend verifyToken in Node ({} s)",
        options.seconds
    );
    let node = node_rate(&token, &pem, window);

    eprintln!(
        "verify: middleware, {} requests/s for {} s, with and without the layer",
        options.rate, options.seconds
    );
    let settings = Builder::default()
        .publishable_key(PUBLISHABLE_KEY)
        .jwt_key(&pem)
        .proxy_url("http://127.0.0.1:4000")
        .build()?;
    let route = || Router::new().route("/dashboard", get(|| async { "ok" }));
    let cookie = format!(
        "__session={token}; __client_uat={}; __clerk_db_jwt=dvb_bench",
        now_secs() - 60
    );
    let (bare, layered) = runtime.block_on(async {
        let bare = latencies(route(), &cookie, options.rate, window).await?;
        let layered = latencies(
            route().layer(FrontdeskLayer::new(settings)),
            &cookie,
            options.rate,
            window,
        )
        .await?;
        anyhow::Ok((bare, layered))
    })?;
    let bare_p50 = Summary::of(&bare).context("no samples")?.median;
    let p = |v: &[f64], q: f64| crate::report::percentile(v, q);
    let overhead_p99 = p(&layered, 99.0) - bare_p50;
    if layered.len() < (options.rate as usize * options.seconds as usize) * 9 / 10 {
        bail!(
            "the middleware load fell behind: {} requests in {} s",
            layered.len(),
            options.seconds
        );
    }

    let mut report = Report::new(format!(
        "verify: RS256 session token, PEM key (no network), one core each; middleware at {} req/s for {} s",
        options.rate, options.seconds
    ));
    report
        .figure("RSA-2048 verifications/s, 1 core", rsa, "verif/s")
        .gate(
            "SDK verify_token/s, 1 core",
            sdk,
            "verif/s",
            (0.7 * rsa).round(),
            Better::Higher,
        );
    match node {
        Ok(node) => {
            report
                .figure(
                    "@clerk/backend verifyToken/s, 1 Node thread",
                    node,
                    "verif/s",
                )
                .gate(
                    "SDK vs @clerk/backend (x)",
                    sdk / node,
                    "x",
                    10.0,
                    Better::Higher,
                );
        }
        Err(why) => {
            report.note(format!("@clerk/backend not measured: {why}"));
        }
    }
    report
        .figure("route without the layer p50", bare_p50, "us")
        .figure("route with the layer p50", p(&layered, 50.0), "us")
        .figure("route with the layer p99", p(&layered, 99.0), "us")
        .gate(
            "middleware overhead p99 (layered p99 - bare p50)",
            overhead_p99,
            "us",
            100.0,
            Better::Lower,
        );
    Ok(report)
}
