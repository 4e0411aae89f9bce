//! `tokens`: how many session tokens the server mints per second, next to the
//! RSA signing rate of the same machine.
//!
//! # What is measured
//!
//! Every session token is an RS256 JWT: one RSA-2048 PKCS#1 v1.5 signature
//! over SHA-256. That signature is the most expensive thing the server does
//! per token and no server can mint faster than the machine signs, so the
//! limit is derived from the machine, in the same run: the harness first
//! signs a JWT-sized message with `aws-lc-rs` (the library the server signs
//! with) on one thread for a second (the median of five 200 ms rounds), and
//! multiplies that rate by the cores the server uses (its tokio runtime has
//! one worker per CPU, `std::thread::available_parallelism`). It also signs
//! on that many threads at once and prints the total, which shows whether the
//! cores really add up on this machine (SMT siblings, a noisy neighbour); it
//! is not the limit.
//!
//! Then, for each database (SQLite; PostgreSQL when a URL is given, in a
//! throw-away schema), it starts the release server on a fresh data dir with
//! the Backend API rate limit disabled (`FRONTDESK_BACKEND_RATE_LIMIT=0`),
//! creates a secret key with `frontdesk keys secret create`, a user
//! (`POST /v1/users`) and a session (`POST /v1/sessions`), and loads it with
//! a closed-loop generator ([`crate::load`]): `--concurrency` keep-alive
//! connections, each sending the next request as soon as the previous
//! response arrives, for `--seconds` after a one-second warm-up:
//!
//! - `POST /v1/sessions/{id}/tokens` (body `{}`): the gating figure;
//! - `GET /v1/users/{id}`: a Backend API read that signs nothing;
//! - `GET /v1/jwks`: the cheapest authenticated Backend API route (HTTP and
//!   the secret-key lookup, nothing else);
//! - `GET /.well-known/jwks.json`, once (first server only): HTTP alone, no
//!   database at all.
//!
//! The last three are informational baselines that tell per-request overhead
//! from per-token work. Any status other than 200 is an error and fails the
//! run. The CPU time of the server, of the harness, of local `postgres`
//! processes and of the whole machine, and the server's context switches,
//! are read at the edges of each measurement window and printed as notes, so
//! that a low figure says where the time went.
//!
//! # The limit
//!
//! Tokens per second at least [`TARGET`] × (one-core RSA signing rate × the
//! server's cores), on every database measured: minting should cost little
//! more than the signature it cannot avoid. The load generator runs on the
//! same cores (one thread, a few microseconds per request); the report says
//! how much CPU it took, and warns when other processes were busy. `server
//! CPU per token` is judged (informationally) against the CPU budget that the
//! target leaves per token, 1 / (`TARGET` × one-core rate): it does not
//! depend on how the cores were shared, and tells an inefficient server from
//! a crowded machine.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature;
use serde_json::{Value, json};

use crate::load::{self, Conn, Load, Measured, Request};
use crate::report::{Better, Report, Summary};
use crate::server::{Launch, READY_TIMEOUT, STOP_TIMEOUT, cpu_time, machine_cpu};
use crate::setup::{Backend, BackendChoice, PgSchema, backends, create, secret_key};

/// Sessions minted for in turn by the second token load: more than the server
/// mints in a second, so each comes round again only after its one-second
/// mint cache entry has expired, as in real traffic (one refresh per session
/// every 50 s).
const SPREAD_SESSIONS: usize = 8_000;

/// Tokens per second, as a fraction of the machine's RSA-2048 signing rate on
/// the cores the server uses.
pub const TARGET: f64 = 0.8;

/// Requests before each measurement window.
const WARMUP: Duration = Duration::from_secs(1);

/// How long each signing rate is measured.
const RSA_WINDOW: Duration = Duration::from_secs(1);

/// Rounds in [`RSA_WINDOW`], whose median is the rate.
const RSA_ROUNDS: u32 = 5;

/// Above this many cores busy with other processes during a window, the
/// report warns that the machine was not quiet.
const BUSY_MACHINE_CORES: f64 = 0.2;

/// About the size of a session token's signing input (`header.payload`).
const JWT_SIGNING_INPUT_BYTES: usize = 500;

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Database(s) to measure [default: both with a PostgreSQL URL, else sqlite]
    #[arg(long, value_enum)]
    pub(crate) backend: Option<BackendChoice>,
    /// PostgreSQL database in which a throw-away schema is created (and dropped)
    #[arg(
        long,
        env = "FRONTDESK_TEST_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    postgres_url: Option<String>,
    /// Keep-alive connections, each with one request in flight
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    concurrency: u32,
    /// Length of each measurement window, in seconds (after a 1 s warm-up)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
    seconds: u64,
}

/// The loads on one server.
struct Figures {
    backend: Backend,
    tokens: Measured,
    /// Minting for [`SPREAD_SESSIONS`] sessions in turn: each is minted for
    /// again only after the server's mint cache has forgotten it.
    spread: Measured,
    users: Measured,
    jwks: Measured,
    /// `GET /.well-known/jwks.json`, on the first server only: it touches no
    /// database.
    public_jwks: Option<Measured>,
    /// Anything unusual, e.g. a server that had to be killed.
    notes: Vec<String>,
}

impl Figures {
    fn loads(&self) -> impl Iterator<Item = (&'static str, &Measured)> {
        [
            ("tokens", Some(&self.tokens)),
            ("tokens, sessions in turn", Some(&self.spread)),
            ("GET /v1/users/{id}", Some(&self.users)),
            ("GET /v1/jwks", Some(&self.jwks)),
            ("GET /.well-known/jwks.json", self.public_jwks.as_ref()),
        ]
        .into_iter()
        .filter_map(|(what, m)| Some((what, m?)))
    }
}

pub fn run(binary: &Path, options: &Options) -> Result<Report> {
    let (backends, skipped) = backends(options.backend, options.postgres_url.is_some())?;
    let cores = thread::available_parallelism().map_or(1, usize::from);
    let load = Load {
        concurrency: options.concurrency as usize,
        warmup: WARMUP,
        window: Duration::from_secs(options.seconds),
        expect_status: 200,
        watch: None,
    };
    let per_load = WARMUP.as_secs() + options.seconds;
    eprintln!(
        "tokens: RSA-2048 signing on one core, then on {cores} ({} s each), then {} loads of {per_load} s ({})",
        RSA_WINDOW.as_secs(),
        3 * backends.len() + 1,
        backends
            .iter()
            .map(|b| b.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rsa = rsa_rates(cores, RSA_WINDOW)?;
    eprintln!(
        "tokens: RSA-2048 signatures/s: {:.0} on one core, {:.0} on {cores} threads at once",
        rsa.one_core, rsa.all_cores
    );

    let mut measured = Vec::new();
    for (i, backend) in backends.into_iter().enumerate() {
        let figures = measure(
            binary,
            backend,
            options.postgres_url.as_deref(),
            load,
            i == 0,
        )
        .with_context(|| format!("{} run", backend.name()))?;
        measured.push(figures);
    }
    Ok(report(options, cores, &rsa, &measured, skipped))
}

/// The machine's RSA-2048 PKCS#1 v1.5 SHA-256 signing rate, with the library
/// and algorithm the server uses, over a JWT-sized message.
struct RsaRates {
    /// Signatures per second on one thread.
    one_core: f64,
    /// Signatures per second of `cores` threads signing at once, all together.
    all_cores: f64,
    /// Cores kept busy by other processes while `all_cores` was measured.
    all_cores_other: f64,
}

fn rsa_rates(cores: usize, window: Duration) -> Result<RsaRates> {
    let key = KeyPair::generate(KeySize::Rsa2048)
        .map_err(|e| anyhow::anyhow!("cannot generate an RSA-2048 key: {e}"))?;
    let message: Vec<u8> = (0..JWT_SIGNING_INPUT_BYTES)
        .map(|i| b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."[i % 65])
        .collect();
    let one_core = signs_per_second(&key, &message, window)?;
    let machine_before = machine_cpu()?;
    let own_before = cpu_time(std::process::id())?;
    let started = Instant::now();
    let all_cores = thread::scope(|scope| {
        let threads: Vec<_> = (0..cores)
            .map(|_| scope.spawn(|| signs_per_second(&key, &message, window)))
            .collect();
        threads
            .into_iter()
            .map(|t| {
                t.join()
                    .map_err(|_| anyhow::anyhow!("a signing thread panicked"))?
            })
            .sum::<Result<f64>>()
    })?;
    let machine = machine_cpu()?.since(machine_before);
    let others = (machine.tasks + machine.interrupts + machine.steal)
        .saturating_sub(cpu_time(std::process::id())?.saturating_sub(own_before));
    Ok(RsaRates {
        one_core,
        all_cores,
        all_cores_other: others.as_secs_f64() / started.elapsed().as_secs_f64(),
    })
}

/// Signatures per second on the calling thread over `window`, after a short
/// warm-up: the median of [`RSA_ROUNDS`] equal rounds, so that a moment of
/// interference (another process, the hypervisor) does not lower the rate,
/// and hence the limit.
fn signs_per_second(key: &KeyPair, message: &[u8], window: Duration) -> Result<f64> {
    let rng = SystemRandom::new();
    let mut sig = vec![0u8; key.public_modulus_len()];
    let mut sign = || {
        key.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
            .map_err(|e| anyhow::anyhow!("RSA signing failed: {e}"))
    };
    // Warm caches, and the CPU's clock.
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(100) {
        sign()?;
    }
    let round = window / RSA_ROUNDS;
    let mut rates = Vec::new();
    for _ in 0..RSA_ROUNDS {
        let start = Instant::now();
        let mut count = 0u64;
        while start.elapsed() < round {
            sign()?;
            count += 1;
        }
        rates.push(count as f64 / start.elapsed().as_secs_f64());
    }
    Summary::of(&rates)
        .map(|s| s.median)
        .context("no signing round")
}

/// One server on `backend`, set up and loaded three times (four with
/// `public_jwks`).
fn measure(
    binary: &Path,
    backend: Backend,
    postgres_url: Option<&str>,
    load: Load,
    public_jwks: bool,
) -> Result<Figures> {
    // Dropped (the schema with it) after the server has stopped.
    let schema = PgSchema::for_backend(backend, postgres_url)?;
    let load = Load {
        watch: (backend == Backend::Postgres).then_some("postgres"),
        ..load
    };
    let mut launch = Launch::new(binary)?.env("FRONTDESK_BACKEND_RATE_LIMIT", "0");
    if let Some(schema) = &schema {
        launch = launch.env("FRONTDESK_DATABASE_URL", schema.url.clone());
    }
    let sk = secret_key(&launch)?;

    let mut server = launch.spawn()?;
    server.wait_ready(READY_TIMEOUT)?;
    let port = server.port();
    let name = backend.name();
    eprintln!("tokens: {name}: server ready on port {port}; creating a user and a session");

    let user_id = create(
        port,
        &sk,
        "/v1/users",
        &json!({
            "email_address": ["bench@example.com"],
            "password": "correct horse battery staple",
        }),
    )?;
    let session_id = create(port, &sk, "/v1/sessions", &json!({ "user_id": user_id }))?;

    let mint = Request::new(
        port,
        "POST",
        &format!("/v1/sessions/{session_id}/tokens"),
        Some(&sk),
        Some("{}"),
    );
    let (status, body) = mint.send(port)?;
    ensure!(
        status == 200,
        "POST /v1/sessions/{{id}}/tokens answered {status}: {body}"
    );
    let jwt = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["jwt"].as_str().map(str::to_owned))
        .with_context(|| format!("no `jwt` in the token response: {body}"))?;
    ensure!(
        jwt.split('.').count() == 3,
        "the token response's `jwt` is not a JWT: {jwt}"
    );

    eprintln!("tokens: {name}: creating {SPREAD_SESSIONS} more sessions");
    let spread_requests = spread_sessions(port, &sk, &user_id)?;
    let mut run_many = |what: &str, requests: &[Request]| -> Result<Measured> {
        eprintln!(
            "tokens: {name}: {what} for {} s after {} s warm-up",
            load.window.as_secs(),
            load.warmup.as_secs()
        );
        let measured = load::run_many(port, server.pid(), requests, load)
            .with_context(|| format!("loading {what}"));
        server.ensure_running(&format!("under load ({what})"))?;
        measured
    };
    let tokens = run_many("POST /v1/sessions/{id}/tokens", std::slice::from_ref(&mint))?;
    let spread = run_many(
        &format!("POST /v1/sessions/{{id}}/tokens, {SPREAD_SESSIONS} sessions in turn"),
        &spread_requests,
    )?;
    let mut run = |what: &str, request: &Request| run_many(what, std::slice::from_ref(request));
    let users = run(
        "GET /v1/users/{id}",
        &Request::new(
            port,
            "GET",
            &format!("/v1/users/{user_id}"),
            Some(&sk),
            None,
        ),
    )?;
    let jwks = run(
        "GET /v1/jwks",
        &Request::new(port, "GET", "/v1/jwks", Some(&sk), None),
    )?;
    let public_jwks = if public_jwks {
        Some(run(
            "GET /.well-known/jwks.json",
            &Request::new(port, "GET", "/.well-known/jwks.json", None, None),
        )?)
    } else {
        None
    };

    let mut notes = Vec::new();
    let stopped = server.stop(STOP_TIMEOUT)?;
    if stopped.killed {
        notes.push(format!(
            "{name}: the server was still running {} s after SIGTERM; killed",
            STOP_TIMEOUT.as_secs()
        ));
    } else if !stopped.status.success() {
        notes.push(format!(
            "{name}: the server exited with {} after SIGTERM",
            stopped.status
        ));
    }
    drop(schema);
    Ok(Figures {
        backend,
        tokens,
        spread,
        users,
        jwks,
        public_jwks,
        notes,
    })
}

fn report(
    options: &Options,
    cores: usize,
    rsa: &RsaRates,
    measured: &[Figures],
    skipped: Option<String>,
) -> Report {
    let limit = (TARGET * rsa.one_core * cores as f64).round();
    // The CPU time per token that the target leaves, in microseconds, to one
    // decimal.
    let budget_us = (1e7 / (TARGET * rsa.one_core)).round() / 10.0;
    let mut report = Report::new(format!(
        "tokens: POST /v1/sessions/{{id}}/tokens, {} connections, {} s after {} s warm-up, {cores} cores (the server runs {cores} tokio workers); limit {TARGET} × RSA-2048 signs/s on 1 core × {cores}",
        options.concurrency,
        options.seconds,
        WARMUP.as_secs(),
    ));
    report
        .figure("RSA-2048 signs/s, 1 core", rsa.one_core, "signs/s")
        .figure(
            format!("RSA-2048 signs/s, 1 core x {cores}"),
            rsa.one_core * cores as f64,
            "signs/s",
        )
        .figure(
            format!("RSA-2048 signs/s, {cores} threads at once"),
            rsa.all_cores,
            "signs/s",
        );
    for f in measured {
        let b = f.backend.name();
        let errors: u64 = f.loads().map(|(_, m)| m.errors).sum();
        report
            .gate(
                format!("tokens/s ({b})"),
                f.tokens.rate(),
                "tokens/s",
                limit,
                Better::Higher,
            )
            .gate(
                format!("errors ({b})"),
                errors as f64,
                "req",
                0.0,
                Better::Lower,
            )
            .figure(
                format!("token latency p50 ({b})"),
                f.tokens.latency_ms(50.0),
                "ms",
            )
            .figure(
                format!("token latency p99 ({b})"),
                f.tokens.latency_ms(99.0),
                "ms",
            )
            .info(
                format!("server CPU per token ({b})"),
                f.tokens.server_cpu_us_per_request(),
                "us",
                budget_us,
                Better::Lower,
            )
            .info(
                format!("tokens/s, {SPREAD_SESSIONS} sessions in turn ({b})"),
                f.spread.rate(),
                "tokens/s",
                limit,
                Better::Higher,
            )
            .info(
                format!("server CPU per token, sessions in turn ({b})"),
                f.spread.server_cpu_us_per_request(),
                "us",
                budget_us,
                Better::Lower,
            )
            .figure(
                format!("GET /v1/users/{{id}} req/s ({b})"),
                f.users.rate(),
                "req/s",
            )
            .figure(format!("GET /v1/jwks req/s ({b})"), f.jwks.rate(), "req/s");
        if let Some(m) = &f.public_jwks {
            report.figure(
                "GET /.well-known/jwks.json req/s (no database)",
                m.rate(),
                "req/s",
            );
        }
    }
    if let Some(note) = skipped {
        report.note(note);
    }
    report.note(format!(
        "the gating load mints for one session again and again, as specified; the server keeps a session read for minting for up to 1 s (voided by any change through this node), so that load mostly skips the database. `sessions in turn` mints for {SPREAD_SESSIONS} sessions round-robin, each past its cache entry: the cost of a refresh in real traffic"
    ));
    if !measured.is_empty() {
        let shares: Vec<String> = measured
            .iter()
            .map(|f| {
                format!(
                    "{} {:.0}%",
                    f.backend.name(),
                    100.0 * f.tokens.harness_cpu.as_secs_f64() / f.tokens.cpu_window.as_secs_f64()
                )
            })
            .collect();
        report.note(format!(
            "the load generator shares the server's {cores} cores: it used {} of one core while tokens were measured",
            shares.join(", ")
        ));
    }
    let rsa_busy = (rsa.all_cores_other > BUSY_MACHINE_CORES)
        .then(|| format!("RSA on {cores} threads ({:.2})", rsa.all_cores_other));
    let busy: Vec<String> = rsa_busy
        .into_iter()
        .chain(
            measured
                .iter()
                .flat_map(|f| f.loads().map(move |(what, m)| (f.backend.name(), what, m)))
                .filter(|(_, _, m)| other_cores(m) > BUSY_MACHINE_CORES)
                .map(|(b, what, m)| format!("{b} {what} ({:.2})", other_cores(m))),
        )
        .collect();
    if !busy.is_empty() {
        report.note(format!(
            "not a quiet machine: other processes kept cores busy during {}; those figures understate the server and the machine",
            busy.join(", ")
        ));
    }
    for f in measured {
        for (what, m) in f.loads() {
            report.note(cpu_line(f.backend.name(), what, m));
        }
        for (what, m) in f.loads() {
            if let Some(e) = &m.first_error {
                report.note(format!(
                    "{} {what}: {} errors, the first: {e}",
                    f.backend.name(),
                    m.errors
                ));
            }
        }
        for note in &f.notes {
            report.note(note.clone());
        }
    }
    report
}

/// Cores (CPU seconds per second) taken during a window by anything but the
/// server, the load generator and the watched database processes: other
/// processes, interrupts not charged to a process, and time stolen by the
/// hypervisor.
fn other_cores(m: &Measured) -> f64 {
    let accounted = m.server_cpu + m.harness_cpu + m.watched_cpu.unwrap_or_default();
    // Interrupt time is counted apart in /proc/stat, but usually also in the
    // CPU time of the process it interrupted: only what is left is "other".
    let busy = m.machine.tasks + m.machine.interrupts;
    let others = (busy.as_secs_f64() - accounted.as_secs_f64()).max(0.0);
    (others + m.machine.steal.as_secs_f64()) / m.cpu_window.as_secs_f64()
}

/// Where the CPU went during one window, per request and in cores (CPU
/// seconds per second).
fn cpu_line(backend: &str, what: &str, m: &Measured) -> String {
    let secs = m.cpu_window.as_secs_f64();
    let server = m.server_cpu.as_secs_f64() / secs;
    let harness = m.harness_cpu.as_secs_f64() / secs;
    let idle = m.machine.idle.as_secs_f64() / secs;
    let database = m.watched_cpu.map(|d| d.as_secs_f64() / secs);
    let mut line = format!(
        "{backend} {what}: server {:.0} us",
        m.server_cpu_us_per_request()
    );
    if let Some(db) = database {
        let us = db * 1e6 / m.rate().max(f64::MIN_POSITIVE);
        line.push_str(&format!(" + local postgres {us:.0} us"));
    }
    line.push_str(&format!(
        " CPU and {:.1} server context switches per request; cores: server {server:.2}, ",
        m.server_switches_per_request()
    ));
    if let Some(db) = database {
        line.push_str(&format!("postgres {db:.2}, "));
    }
    line.push_str(&format!(
        "load generator {harness:.2}, other {:.2}, idle {idle:.2}",
        other_cores(m)
    ));
    line
}

/// [`SPREAD_SESSIONS`] new sessions of `user_id`, as mint requests.
fn spread_sessions(port: u16, sk: &str, user_id: &str) -> Result<Vec<Request>> {
    let mut conn = Conn::open(port)?;
    let create = Request::new(
        port,
        "POST",
        "/v1/sessions",
        Some(sk),
        Some(&json!({ "user_id": user_id }).to_string()),
    );
    (0..SPREAD_SESSIONS)
        .map(|_| {
            let (status, body) = conn.call(&create)?;
            ensure!(status == 200, "POST /v1/sessions answered {status}: {body}");
            let id = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_owned))
                .with_context(|| format!("no session id in {body}"))?;
            Ok(Request::new(
                port,
                "POST",
                &format!("/v1/sessions/{id}/tokens"),
                Some(sk),
                Some("{}"),
            ))
        })
        .collect()
}
