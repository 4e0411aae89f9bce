//! `webhooks` and `webhook-faults`: delivery throughput, and delivery under
//! failure.
//!
//! # `webhooks` (a benchmark)
//!
//! For each database it starts the release server with the delivery worker
//! off, registers an endpoint (a loopback [`Receiver`] that answers 204 and
//! verifies each signature), and creates `--events` users through the
//! Backend API: that many `user.created` messages wait in the outbox. It
//! then kills the server and starts it again with the worker on, and times
//! from ready until the receiver has every message. Gates: deliveries per
//! second at least [`TARGET_PER_SEC`], and no message lost.
//!
//! # `webhook-faults` (a rerunnable fault test)
//!
//! The receiver answers 500 to 20 % of requests and never answers 5 %
//! (the worker's timeout is 1 s here). While `--events` users are created,
//! the server is killed with SIGKILL `--kills` times and started again.
//! Afterwards, from the receiver's log and the server's message list: every
//! event was answered 2xx to a request with a valid signature; duplicates
//! carry one `svix-id` and one body; nothing is marked delivered that was
//! never answered 2xx; nothing failed for good. The counts are printed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use crate::load::{Conn, Request};
use crate::receiver::{Behaviour, Receiver};
use crate::report::{Better, Report};
use crate::server::{Launch, READY_TIMEOUT, Server, cpu_time};
use crate::setup::{Backend, BackendChoice, PgSchema, backends, secret_key};

/// The target on this two-core machine.
pub const TARGET_PER_SEC: f64 = 2_000.0;

/// Longest a drain may take before the missing messages count as lost.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(clap::Args)]
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
    /// Messages to deliver
    #[arg(long, default_value_t = 20_000)]
    events: usize,
}

#[derive(clap::Args)]
pub struct FaultOptions {
    /// Database(s) to run on [default: both with a PostgreSQL URL, else sqlite]
    #[arg(long, value_enum)]
    backend: Option<BackendChoice>,
    #[arg(
        long,
        env = "FRONTDESK_TEST_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    postgres_url: Option<String>,
    /// Events (users created)
    #[arg(long, default_value_t = 10_000)]
    events: usize,
    /// SIGKILLs of the server while events are made and delivered
    #[arg(long, default_value_t = 4)]
    kills: usize,
}

/// A server with a secret key and an endpoint pointing at `receiver`.
struct Setup {
    server: Server,
    sk: String,
    endpoint: String,
    _schema: Option<PgSchema>,
}

fn start(
    binary: &Path,
    backend: Backend,
    postgres_url: Option<&str>,
    receiver: &Receiver,
    settings: &[(&str, &str)],
) -> Result<Setup> {
    let schema = PgSchema::for_backend(backend, postgres_url)?;
    let mut launch = Launch::new(binary)?.env("FRONTDESK_BACKEND_RATE_LIMIT", "0");
    if let Some(s) = &schema {
        launch = launch.env("FRONTDESK_DATABASE_URL", s.url.clone());
    }
    for (k, v) in settings {
        launch = launch.env(k, *v);
    }
    let sk = secret_key(&launch)?;
    let mut server = launch.spawn()?;
    server.wait_ready(READY_TIMEOUT)?;
    let body = json!({"url": receiver.url(), "filter_types": ["user.created"]}).to_string();
    let (status, text) = Request::new(
        server.port(),
        "POST",
        "/v1/webhooks/endpoints",
        Some(&sk),
        Some(&body),
    )
    .send(server.port())?;
    ensure!(status == 200, "creating the endpoint: {status} {text}");
    let created: Value = serde_json::from_str(&text)?;
    receiver.set_secret(created["secret"].as_str().context("no secret")?)?;
    Ok(Setup {
        endpoint: created["id"].as_str().context("no id")?.to_owned(),
        server,
        sk,
        _schema: schema,
    })
}

/// Create users `0..n` from `threads` connections. A request that fails
/// (the server is being killed) is sent again; a 422 on a retry means the
/// first try had committed.
fn make_users(port: u16, sk: &str, n: usize, threads: usize, tag: &str) -> Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (next, sk, tag) = (next.clone(), sk.to_owned(), tag.to_owned());
            thread::spawn(move || -> Result<()> {
                let mut conn: Option<Conn> = None;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return Ok(());
                    }
                    let body = json!({
                        "email_address": [format!("u{i}-{tag}@bench.example")],
                        "skip_password_requirement": true,
                    })
                    .to_string();
                    let request = Request::new(port, "POST", "/v1/users", Some(&sk), Some(&body));
                    let deadline = Instant::now() + Duration::from_secs(60);
                    let mut retried = false;
                    loop {
                        let result = match conn.as_mut() {
                            Some(c) => c.call(&request),
                            None => Conn::open(port).and_then(|mut c| {
                                let r = c.call(&request);
                                conn = Some(c);
                                r
                            }),
                        };
                        match result {
                            Ok((200, _)) => break,
                            Ok((422, _)) if retried => break,
                            Ok((status, text)) if status < 500 => {
                                bail!("POST /v1/users: {status} {text}")
                            }
                            _ if Instant::now() < deadline => {
                                conn = None;
                                retried = true;
                                thread::sleep(Duration::from_millis(50));
                            }
                            other => bail!("POST /v1/users kept failing: {other:?}"),
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join()
            .map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
    }
    Ok(())
}

/// Every message of the endpoint: id → status.
fn messages(port: u16, sk: &str, endpoint: &str) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    let mut before: Option<String> = None;
    loop {
        let mut path = format!("/v1/webhooks/endpoints/{endpoint}/messages?limit=500");
        if let Some(b) = &before {
            path.push_str(&format!("&before={b}"));
        }
        let (status, text) = Request::new(port, "GET", &path, Some(sk), None).send(port)?;
        ensure!(status == 200, "GET {path}: {status} {text}");
        let page: Value = serde_json::from_str(&text)?;
        let data = page["data"].as_array().context("no data")?;
        for m in data {
            out.insert(
                m["id"].as_str().unwrap_or_default().to_owned(),
                m["status"].as_str().unwrap_or_default().to_owned(),
            );
        }
        match data.last() {
            Some(last) if data.len() == 500 => before = last["id"].as_str().map(str::to_owned),
            _ => return Ok(out),
        }
    }
}

fn pending(port: u16, sk: &str, endpoint: &str) -> Result<bool> {
    let path = format!("/v1/webhooks/endpoints/{endpoint}/messages?status=pending&limit=1");
    let (status, text) = Request::new(port, "GET", &path, Some(sk), None).send(port)?;
    ensure!(status == 200, "GET {path}: {status} {text}");
    let page: Value = serde_json::from_str(&text)?;
    Ok(page["data"].as_array().is_some_and(|d| !d.is_empty()))
}

/// Wait until the receiver has `n` messages answered 2xx and the server has
/// nothing pending; returns when that happened, or `None` at the deadline.
fn drain(setup: &Setup, receiver: &Receiver, n: usize) -> Result<Option<Instant>> {
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    while Instant::now() < deadline {
        if receiver.delivered() >= n {
            let done = Instant::now();
            if !pending(setup.server.port(), &setup.sk, &setup.endpoint)? {
                return Ok(Some(done));
            }
        }
        thread::sleep(Duration::from_millis(5));
    }
    Ok(None)
}

pub fn run(binary: &Path, options: &Options) -> Result<Report> {
    let (backends, skipped) = backends(options.backend, options.postgres_url.is_some())?;
    let mut report = Report::new(format!(
        "webhooks: {} messages delivered to a loopback receiver",
        options.events
    ));
    for backend in backends {
        let receiver = Receiver::start(Behaviour::Healthy)?;
        let mut setup = start(
            binary,
            backend,
            options.postgres_url.as_deref(),
            &receiver,
            &[("FRONTDESK_WEBHOOKS__WORKER", "false")],
        )
        .with_context(|| format!("{} run", backend.name()))?;
        let port = setup.server.port();
        eprintln!(
            "webhooks ({}): creating {} users",
            backend.name(),
            options.events
        );
        let made = Instant::now();
        make_users(port, &setup.sk, options.events, 4, "bench")?;
        let made = made.elapsed();

        setup.server.set_env("FRONTDESK_WEBHOOKS__WORKER", "true");
        setup.server.kill_and_restart()?;
        setup.server.wait_ready(READY_TIMEOUT)?;
        let ready = Instant::now();
        let before = receiver.delivered();
        let cpu0 = cpu_time(setup.server.pid())?;
        let done = drain(&setup, &receiver, options.events)?;
        let cpu = cpu_time(setup.server.pid())? - cpu0;
        let delivered = receiver.delivered();
        let lost = options.events.saturating_sub(delivered);
        let rate = match done {
            Some(t) => (options.events - before) as f64 / (t - ready).as_secs_f64(),
            None => 0.0,
        };
        let name = backend.name();
        report
            .gate(
                format!("{name}: deliveries per second"),
                rate,
                "/s",
                TARGET_PER_SEC,
                Better::Higher,
            )
            .gate(
                format!("{name}: messages lost"),
                lost as f64,
                "",
                0.0,
                Better::Lower,
            )
            .figure(
                format!("{name}: server CPU per delivery"),
                cpu.as_secs_f64() * 1e6 / delivered.max(1) as f64,
                "µs",
            )
            .figure(
                format!("{name}: users created per second (events written)"),
                options.events as f64 / made.as_secs_f64(),
                "/s",
            );
        let seen = receiver.seen();
        let bad: u32 = seen.values().map(|s| s.bad_signatures).sum();
        ensure!(bad == 0, "{bad} requests had a bad signature");
        let dupes = seen.values().filter(|s| s.requests > 1).count();
        report.note(format!(
            "{name}: {} requests for {} messages ({dupes} delivered more than once), every signature valid",
            seen.values().map(|s| s.requests as usize).sum::<usize>(),
            seen.len()
        ));
    }
    if let Some(note) = skipped {
        report.note(note);
    }
    Ok(report)
}

pub fn run_faults(binary: &Path, options: &FaultOptions) -> Result<Report> {
    let (backends, skipped) = backends(options.backend, options.postgres_url.is_some())?;
    let mut report = Report::new(format!(
        "webhook-faults: {} events, receiver 20 % 500 / 5 % hang, {} SIGKILLs",
        options.events, options.kills
    ));
    for backend in backends {
        let name = backend.name();
        let receiver = Receiver::start(Behaviour::Flaky {
            fail: 0.20,
            hang: 0.05,
        })?;
        let mut setup = start(
            binary,
            backend,
            options.postgres_url.as_deref(),
            &receiver,
            &[
                ("FRONTDESK_WEBHOOKS__TIMEOUT_MS", "1000"),
                ("FRONTDESK_WEBHOOKS__POLL_INTERVAL_MS", "100"),
                (
                    "FRONTDESK_WEBHOOKS__RETRY_DELAYS_MS",
                    "[50, 100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000]",
                ),
            ],
        )
        .with_context(|| format!("{name} run"))?;
        let port = setup.server.port();
        let started = Instant::now();
        eprintln!(
            "webhook-faults ({name}): {} users, {} kills",
            options.events, options.kills
        );
        let sk = setup.sk.clone();
        let events = options.events;
        let makers = thread::spawn(move || make_users(port, &sk, events, 4, "faults"));
        for k in 0..options.kills {
            thread::sleep(Duration::from_millis(1500));
            setup.server.kill_and_restart()?;
            setup.server.wait_ready(READY_TIMEOUT)?;
            eprintln!(
                "webhook-faults ({name}): SIGKILL {} of {} done",
                k + 1,
                options.kills
            );
        }
        makers
            .join()
            .map_err(|_| anyhow::anyhow!("the user threads panicked"))??;
        let drained = drain(&setup, &receiver, options.events)?;
        let elapsed = started.elapsed();

        let stored = messages(port, &setup.sk, &setup.endpoint)?;
        let seen = receiver.seen();
        let count = |s: &str| stored.values().filter(|v| *v == s).count();
        let (succeeded, failed, waiting) = (count("success"), count("fail"), count("pending"));
        let undelivered = stored
            .keys()
            .filter(|id| seen.get(*id).is_none_or(|s| s.answered_2xx == 0))
            .count();
        let success_without_2xx = stored
            .iter()
            .filter(|(id, st)| {
                *st == "success" && seen.get(*id).is_none_or(|s| s.answered_2xx == 0)
            })
            .count();
        let phantoms = seen.keys().filter(|id| !stored.contains_key(*id)).count();
        let bad_sigs: u32 = seen.values().map(|s| s.bad_signatures).sum();
        let differing = seen.values().filter(|s| s.bodies_differ).count();
        let requests: u64 = seen.values().map(|s| u64::from(s.requests)).sum();
        let ok2xx: u64 = seen.values().map(|s| u64::from(s.answered_2xx)).sum();
        let dup_delivered = seen.values().filter(|s| s.answered_2xx > 1).count();
        let fails: u64 = seen.values().map(|s| u64::from(s.answered_500)).sum();
        let hangs: u64 = seen.values().map(|s| u64::from(s.hung)).sum();
        let most = seen.values().map(|s| s.requests).max().unwrap_or(0);

        let problems = [
            (
                "events stored",
                stored.len() as f64,
                events as f64,
                Better::Higher,
            ),
            (
                "events never answered 2xx",
                undelivered as f64,
                0.0,
                Better::Lower,
            ),
            (
                "marked delivered without a 2xx",
                success_without_2xx as f64,
                0.0,
                Better::Lower,
            ),
            (
                "failed for good or still pending",
                (failed + waiting) as f64,
                0.0,
                Better::Lower,
            ),
            ("bad signatures", f64::from(bad_sigs), 0.0, Better::Lower),
            (
                "one svix-id, different bodies",
                differing as f64,
                0.0,
                Better::Lower,
            ),
            (
                "svix-ids not in the outbox",
                phantoms as f64,
                0.0,
                Better::Lower,
            ),
            (
                "requests without a svix-id",
                receiver.anonymous() as f64,
                0.0,
                Better::Lower,
            ),
        ];
        for (what, value, limit, better) in problems {
            report.gate(format!("{name}: {what}"), value, "", limit, better);
        }
        report
            .figure(format!("{name}: messages delivered"), succeeded as f64, "")
            .figure(format!("{name}: requests received"), requests as f64, "")
            .figure(format!("{name}: answered 2xx"), ok2xx as f64, "")
            .figure(format!("{name}: answered 500"), fails as f64, "")
            .figure(format!("{name}: left hanging"), hangs as f64, "")
            .figure(
                format!("{name}: delivered more than once"),
                dup_delivered as f64,
                "",
            )
            .figure(
                format!("{name}: most requests for one message"),
                f64::from(most),
                "",
            )
            .figure(format!("{name}: SIGKILLs"), options.kills as f64, "")
            .figure(
                format!("{name}: seconds until drained"),
                elapsed.as_secs_f64(),
                "s",
            );
        if drained.is_none() {
            report.note(format!(
                "{name}: not drained within {} s",
                DRAIN_TIMEOUT.as_secs()
            ));
        }
    }
    if let Some(note) = skipped {
        report.note(note);
    }
    Ok(report)
}
