//! `signins`: how many password sign-ins per second the server completes,
//! next to the argon2id rate of the same machine.
//!
//! # What is measured
//!
//! A password sign-in is what clerk-js does: create a sign-in with the
//! identifier (`POST /v1/client/sign_ins`), attempt the password
//! (`POST …/attempt_first_factor`, `strategy=password`), and touch the new
//! session (`POST /v1/client/sessions/{id}/touch`). The password check is an
//! argon2id verification at the server's default cost (m = 19456 KiB, t = 2,
//! p = 1), tens of milliseconds of one core, and nothing else in the flow
//! comes close; so the limit is the machine's argon2id rate, measured in the
//! same run with the same code (`frontdesk_crypto::PasswordHasher`): the
//! median time of one verification on one thread, and `cores ÷ that time`.
//!
//! The server runs in development mode on a fresh database (SQLite; also
//! PostgreSQL when a URL is given) with the per-IP limits off (all the load
//! comes from 127.0.0.1) and default hashing cost. `--concurrency` threads
//! each hold a dev browser and a keep-alive connection and sign in over and
//! over, as one user; a flow counts when its last response arrives inside the
//! measurement window. Any unexpected status is an error and fails the run.
//!
//! The gate is the limit, `TARGET × cores ÷ one verification`, which
//! assumes hashes on different cores do not slow each other. argon2id is
//! memory-hard (each hash walks 19 MiB), and on small VMs two at once can be
//! bound by memory bandwidth; the harness also measures `cores` threads
//! hashing at once, prints sign-ins against that (informational), and says
//! so in a note when the cores do not add up.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use frontdesk_crypto::{PasswordCheck, PasswordHasher};
use serde_json::{Value, json};

use crate::load::{Conn, Request};
use crate::report::{Better, Report, Summary};
use crate::server::{Launch, READY_TIMEOUT, STOP_TIMEOUT, cpu_time};
use crate::setup::{Backend, BackendChoice, PgSchema, backends, create, secret_key};

/// Sign-ins per second, as a fraction of the machine's argon2id rate.
pub const TARGET: f64 = 0.8;

/// The server's default argon2id cost (`argon2_memory_kib`,
/// `argon2_iterations`), which the server under test also runs with.
const ARGON2_M_KIB: u32 = 19_456;
const ARGON2_T: u32 = 2;

/// Verifications whose median is the one-core time.
const HASH_SAMPLES: usize = 15;

/// Sign-ins before the window opens.
const WARMUP: Duration = Duration::from_secs(2);

const EMAIL: &str = "bench-signin@example.com";
const PASSWORD: &str = "a long and unremarkable passphrase";

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Database(s) to measure [default: both with a PostgreSQL URL, else sqlite]
    #[arg(long, value_enum)]
    backend: Option<BackendChoice>,
    /// PostgreSQL database in which a throw-away schema is created (and dropped)
    #[arg(
        long,
        env = "FRONTDESK_TEST_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    postgres_url: Option<String>,
    /// Browsers signing in at once [default: 2 × cores]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    concurrency: Option<u32>,
    /// Length of the measurement window, in seconds (after a 2 s warm-up)
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    seconds: u64,
}

/// One-core and all-core argon2id verification rates.
struct Argon2Rates {
    /// Median time of one verification on one thread.
    one: Duration,
    /// Verifications per second with every core verifying at once.
    all_cores: f64,
}

fn argon2_rates(cores: usize) -> Result<Argon2Rates> {
    let hasher = PasswordHasher::new(ARGON2_M_KIB, ARGON2_T, 1)
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    let digest = hasher
        .hash(PASSWORD)
        .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))?;
    let verify = || -> Result<Duration> {
        let start = Instant::now();
        let check = hasher.verify(PASSWORD, &digest);
        let took = start.elapsed();
        ensure!(
            matches!(check, PasswordCheck::Match { .. }),
            "argon2id did not verify its own digest"
        );
        Ok(took)
    };
    verify()?;
    let times: Vec<f64> = (0..HASH_SAMPLES)
        .map(|_| verify().map(|d| d.as_secs_f64()))
        .collect::<Result<_>>()?;
    let one = Summary::of(&times).context("no argon2 samples")?.median;
    let rounds = 12;
    let start = Instant::now();
    thread::scope(|scope| {
        let threads: Vec<_> = (0..cores)
            .map(|_| scope.spawn(|| (0..rounds).try_for_each(|_| verify().map(|_| ()))))
            .collect();
        threads.into_iter().try_for_each(|t| {
            t.join()
                .map_err(|_| anyhow::anyhow!("a hashing thread panicked"))?
        })
    })?;
    let all_cores = (cores * rounds) as f64 / start.elapsed().as_secs_f64();
    Ok(Argon2Rates {
        one: Duration::from_secs_f64(one),
        all_cores,
    })
}

/// What one server did in the window.
struct Figures {
    backend: Backend,
    /// Sign-ins completed in the window.
    ok: u64,
    window: Duration,
    errors: u64,
    first_error: Option<String>,
    latencies_ms: Vec<f64>,
    server_cpu: Duration,
}

pub fn run(binary: &Path, options: &Options) -> Result<Report> {
    let (backends, skipped) = backends(options.backend, options.postgres_url.is_some())?;
    let cores = thread::available_parallelism().map_or(1, usize::from);
    let concurrency = options.concurrency.map_or(2 * cores, |c| c as usize);
    eprintln!(
        "signins: argon2id (m={ARGON2_M_KIB} KiB, t={ARGON2_T}, p=1) on one core, then on {cores}"
    );
    let argon2 = argon2_rates(cores)?;
    eprintln!(
        "signins: one verification {:.1} ms; {:.1}/s on {cores} threads at once",
        argon2.one.as_secs_f64() * 1e3,
        argon2.all_cores
    );
    let mut measured = Vec::new();
    for backend in backends {
        measured.push(
            measure(binary, backend, options, concurrency)
                .with_context(|| format!("{} run", backend.name()))?,
        );
    }
    Ok(report(
        options,
        cores,
        concurrency,
        &argon2,
        &measured,
        skipped,
    ))
}

fn measure(
    binary: &Path,
    backend: Backend,
    options: &Options,
    concurrency: usize,
) -> Result<Figures> {
    let schema = PgSchema::for_backend(backend, options.postgres_url.as_deref())?;
    let mut launch = Launch::new(binary)?
        .env("FRONTDESK_BACKEND_RATE_LIMIT", "0")
        .env("FRONTDESK_FRONTEND_CREATE_RATE_LIMIT", "0")
        .env("FRONTDESK_FRONTEND_ATTEMPT_RATE_LIMIT", "0");
    if let Some(schema) = &schema {
        launch = launch.env("FRONTDESK_DATABASE_URL", schema.url.clone());
    }
    let sk = secret_key(&launch)?;
    let mut server = launch.spawn()?;
    server.wait_ready(READY_TIMEOUT)?;
    let port = server.port();
    let name = backend.name();
    create(
        port,
        &sk,
        "/v1/users",
        &json!({"email_address": [EMAIL], "password": PASSWORD}),
    )?;
    eprintln!(
        "signins: {name}: {concurrency} browsers signing in for {} s after {} s warm-up",
        options.seconds,
        WARMUP.as_secs()
    );

    let start = Instant::now();
    let from = start + WARMUP;
    let until = from + Duration::from_secs(options.seconds);
    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Samples::default()));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (stop, samples) = (stop.clone(), samples.clone());
            thread::spawn(move || browser(port, from, until, &stop, &samples))
        })
        .collect();
    thread::sleep(from.saturating_duration_since(Instant::now()));
    let cpu_before = cpu_time(server.pid())?;
    let window_start = Instant::now();
    thread::sleep(until.saturating_duration_since(Instant::now()));
    let server_cpu = cpu_time(server.pid())?.saturating_sub(cpu_before);
    let window = window_start.elapsed();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join()
            .map_err(|_| anyhow::anyhow!("a browser thread panicked"))??;
    }
    server.ensure_running("under load")?;
    let stopped = server.stop(STOP_TIMEOUT)?;
    if stopped.killed {
        eprintln!("signins: {name}: the server had to be killed after SIGTERM");
    }
    drop(schema);
    let mut s = std::mem::take(&mut *samples.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
    s.latencies_ms.sort_by(f64::total_cmp);
    Ok(Figures {
        backend,
        ok: s.ok,
        window,
        errors: s.errors,
        first_error: s.first_error,
        latencies_ms: s.latencies_ms,
        server_cpu,
    })
}

#[derive(Default)]
struct Samples {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latencies_ms: Vec<f64>,
}

/// One browser: a dev browser, then sign-in after sign-in until `until`.
fn browser(
    port: u16,
    from: Instant,
    until: Instant,
    stop: &AtomicBool,
    samples: &Mutex<Samples>,
) -> Result<()> {
    let mut conn = Conn::open(port)?;
    let (status, body) = conn.call(&Request::new(port, "POST", "/v1/dev_browser", None, None))?;
    ensure!(
        status == 200,
        "POST /v1/dev_browser answered {status}: {body}"
    );
    let db = field(&body, &["id"])?;
    let mut local = Samples::default();
    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        match sign_in(&mut conn, port, &db) {
            Ok(()) => {
                let done = Instant::now();
                if done >= from && done <= until {
                    local.ok += 1;
                    local
                        .latencies_ms
                        .push(done.duration_since(started).as_secs_f64() * 1e3);
                }
            }
            Err(e) => {
                local.errors += 1;
                local.first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    let mut s = samples.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    s.ok += local.ok;
    s.errors += local.errors;
    if s.first_error.is_none() {
        s.first_error = local.first_error;
    }
    s.latencies_ms.extend(local.latencies_ms);
    Ok(())
}

/// Create a sign-in, attempt the password, touch the session.
fn sign_in(conn: &mut Conn, port: u16, db: &str) -> Result<()> {
    let mut post = |path: &str, body: Value| -> Result<String> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!("{path}{sep}__clerk_db_jwt={db}");
        let req = Request::new(port, "POST", &url, None, Some(&body.to_string()));
        let (status, text) = conn.call(&req)?;
        if status != 200 {
            bail!(
                "POST {path} answered {status}: {}",
                &text[..text.len().min(200)]
            );
        }
        Ok(text)
    };
    let created = post("/v1/client/sign_ins", json!({"identifier": EMAIL}))?;
    let id = field(&created, &["response", "id"])?;
    let attempted = post(
        &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
        json!({"strategy": "password", "password": PASSWORD}),
    )?;
    let session = field(&attempted, &["response", "created_session_id"])?;
    post(&format!("/v1/client/sessions/{session}/touch"), json!({}))?;
    Ok(())
}

fn field(body: &str, path: &[&str]) -> Result<String> {
    let v: Value = serde_json::from_str(body).with_context(|| format!("not JSON: {body}"))?;
    path.iter()
        .fold(&v, |v, k| &v[*k])
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {} in {body}", path.join(".")))
}

fn report(
    options: &Options,
    cores: usize,
    concurrency: usize,
    argon2: &Argon2Rates,
    measured: &[Figures],
    skipped: Option<String>,
) -> Report {
    let one_core = 1.0 / argon2.one.as_secs_f64();
    let limit = (TARGET * one_core * cores as f64 * 10.0).round() / 10.0;
    let mut report = Report::new(format!(
        "signins: create + attempt password + touch, {concurrency} browsers, {} s after {} s warm-up, {cores} cores; limit {TARGET} × {cores} ÷ one argon2id verification (m={ARGON2_M_KIB} KiB, t={ARGON2_T}, p=1)",
        options.seconds,
        WARMUP.as_secs()
    ));
    report
        .figure(
            "argon2id verification, 1 core",
            argon2.one.as_secs_f64() * 1e3,
            "ms",
        )
        .figure(
            format!("argon2id verifications/s, 1 core x {cores}"),
            one_core * cores as f64,
            "verif/s",
        )
        .figure(
            format!("argon2id verifications/s, {cores} threads at once"),
            argon2.all_cores,
            "verif/s",
        );
    for f in measured {
        let b = f.backend.name();
        let rate = f.ok as f64 / f.window.as_secs_f64();
        let cpu_ms = f.server_cpu.as_secs_f64() * 1e3 / f.ok.max(1) as f64;
        report
            .gate(
                format!("sign-ins/s ({b})"),
                rate,
                "signins/s",
                limit,
                Better::Higher,
            )
            .gate(
                format!("errors ({b})"),
                f.errors as f64,
                "flows",
                0.0,
                Better::Lower,
            )
            .figure(
                format!("sign-in latency p50 ({b})"),
                crate::report::percentile(&f.latencies_ms, 50.0),
                "ms",
            )
            .figure(
                format!("sign-in latency p99 ({b})"),
                crate::report::percentile(&f.latencies_ms, 99.0),
                "ms",
            )
            .info(
                format!("sign-ins/s vs {cores} threads hashing at once ({b})"),
                rate,
                "signins/s",
                (TARGET * argon2.all_cores * 10.0).round() / 10.0,
                Better::Higher,
            )
            .info(
                format!("server CPU per sign-in ({b})"),
                cpu_ms,
                "ms",
                (argon2.one.as_secs_f64() * 1e4 / TARGET).round() / 10.0,
                Better::Lower,
            );
        if let Some(e) = &f.first_error {
            report.note(format!("{b}: first error: {e}"));
        }
    }
    let scaling = argon2.all_cores / (one_core * cores as f64);
    if scaling < 0.8 {
        report.note(format!(
            "argon2id does not scale across this machine's cores: {cores} threads at once verify {:.0}/s, {:.0}% of {cores} × one thread; each hash walks 19 MiB, so concurrent hashes compete for memory bandwidth and cache (CPU time per hash rises to match). The gating limit assumes linear scaling; the info row compares with what the machine does in parallel.",
            argon2.all_cores,
            scaling * 100.0
        ));
    }
    if let Some(note) = skipped {
        report.note(note);
    }
    report
}
