//! `overload`: sign-ins and `GET /v1/users/{id}` offered at 3× the capacity
//! measured in the same run, and what the server does with the excess.
//!
//! # What is measured
//!
//! For each load (password sign-ins, then Backend API user reads): capacity
//! first, closed loop (each connection sends its next request when the last
//! is answered) for 10 s; then the same requests offered open loop at
//! `--factor` (3) × that rate for `--seconds` (20): each request is sent at
//! its scheduled time whatever the server is doing, on a free keep-alive
//! connection or a new one, and its latency counts from when it was due, so
//! queueing anywhere (the generator, the kernel, the server) shows.
//!
//! The server runs with default hashing cost and every rate limit off (all
//! the load comes from 127.0.0.1), so what answers the excess is the server's
//! own overload protection: the bounded hashing queue (503 for sign-ins it
//! cannot check within a second) and admission control (at most
//! `max_requests_in_flight` requests at once, a second's wait, then 503).
//! Its resident memory is sampled every 50 ms throughout, and read again 10 s
//! after each load stopped.
//!
//! Gates, per database: p99 latency of accepted (2xx) requests < 2 s; peak
//! RSS < 128 MiB; no 5xx other than 503, and every 503/429 with
//! `Retry-After`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::load::{Load, Request, run_many};
use crate::report::{Better, Report, percentile};
use crate::server::{Launch, READY_TIMEOUT, STOP_TIMEOUT, rss_of};
use crate::setup::{Backend, BackendChoice, PgSchema, backends, create, secret_key};

const EMAIL: &str = "bench-overload@example.com";
const PASSWORD: &str = "a long and unremarkable passphrase";

/// p99 of accepted requests must stay under this.
const P99_LIMIT_MS: f64 = 2000.0;
/// Peak resident memory must stay under this.
const RSS_LIMIT_MIB: f64 = 128.0;
/// Connections the generator may open at most, as a multiple of the
/// connections that measured capacity: an open loop on the server's own
/// machine cannot send 3× the capacity of a fast endpoint, so past this many
/// requests in flight it counts the rest as not sent (and says so).
const CONNECTION_FACTOR: usize = 12;

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
    /// How long each overload lasts, in seconds
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
    seconds: u64,
    /// Offered load, as a multiple of the measured capacity
    #[arg(long, default_value_t = 3.0)]
    factor: f64,
    /// Run only the sign-in load, or only the user reads
    #[arg(long, value_enum)]
    only: Option<Only>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Only {
    Signins,
    Reads,
}

/// What one open-loop run saw.
#[derive(Debug, Default, Clone)]
struct Outcome {
    offered: u64,
    accepted: u64,
    status_429: u64,
    status_503: u64,
    other_5xx: u64,
    other: u64,
    /// 429/503 answers without `Retry-After`.
    no_retry_after: u64,
    /// Requests the generator could not send (no connection free or opened).
    not_sent: u64,
    /// The first transport error, if any.
    first_error: Option<String>,
    accepted_ms: Vec<f64>,
}

/// One load's figures on one database.
struct Figures {
    name: &'static str,
    capacity: f64,
    offered_rate: f64,
    seconds: f64,
    outcome: Outcome,
    peak_rss: u64,
    rss_after: u64,
    rss_before: u64,
}

pub fn run(binary: &Path, options: &Options) -> Result<Report> {
    ensure!(options.factor >= 1.0, "--factor below 1 is not an overload");
    let (backends, skipped) = backends(options.backend, options.postgres_url.is_some())?;
    let mut all = Vec::new();
    for backend in backends {
        all.push((
            backend,
            measure(binary, backend, options).with_context(|| format!("{} run", backend.name()))?,
        ));
    }
    let mut report = Report::new(format!(
        "overload: capacity closed loop 10 s, then {}× it open loop for {} s; limits: accepted p99 < {P99_LIMIT_MS} ms, peak RSS < {RSS_LIMIT_MIB} MiB, no 5xx but 503",
        options.factor, options.seconds
    ));
    for (backend, figures) in &all {
        for f in figures {
            row(&mut report, backend.name(), f);
        }
    }
    if let Some(note) = skipped {
        report.note(note);
    }
    Ok(report)
}

fn row(report: &mut Report, b: &str, f: &Figures) {
    let o = &f.outcome;
    let n = f.name;
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    report
        .figure(format!("{n} capacity ({b})"), f.capacity, "req/s")
        .figure(format!("{n} offered ({b})"), f.offered_rate, "req/s")
        .figure(
            format!("{n} accepted ({b})"),
            o.accepted as f64 / f.seconds,
            "req/s",
        )
        .figure(
            format!("{n} answered 429 ({b})"),
            o.status_429 as f64,
            "req",
        )
        .figure(
            format!("{n} answered 503 ({b})"),
            o.status_503 as f64,
            "req",
        )
        .figure(
            format!("{n} accepted p50 ({b})"),
            percentile(&o.accepted_ms, 50.0),
            "ms",
        )
        .gate(
            format!("{n} accepted p99 ({b})"),
            percentile(&o.accepted_ms, 99.0),
            "ms",
            P99_LIMIT_MS,
            Better::Lower,
        )
        .gate(
            format!("{n} other 5xx and errors ({b})"),
            (o.other_5xx + o.other + o.no_retry_after) as f64,
            "req",
            0.0,
            Better::Lower,
        )
        .figure(format!("{n} RSS before ({b})"), mib(f.rss_before), "MiB")
        .gate(
            format!("{n} peak RSS ({b})"),
            mib(f.peak_rss),
            "MiB",
            RSS_LIMIT_MIB,
            Better::Lower,
        )
        .figure(format!("{n} RSS 10 s after ({b})"), mib(f.rss_after), "MiB");
    if let Some(e) = &o.first_error {
        report.note(format!("{b}: {n}: first error: {e}"));
    }
    if o.not_sent > 0 {
        report.note(format!(
            "{b}: {n}: the generator could not send {} of {} requests (no connection free)",
            o.not_sent, o.offered
        ));
    }
}

fn measure(binary: &Path, backend: Backend, options: &Options) -> Result<Vec<Figures>> {
    let schema = PgSchema::for_backend(backend, options.postgres_url.as_deref())?;
    let mut launch = Launch::new(binary)?
        .env("FRONTDESK_BACKEND_RATE_LIMIT", "0")
        .env("FRONTDESK_FRONTEND_CREATE_RATE_LIMIT", "0")
        .env("FRONTDESK_FRONTEND_ATTEMPT_RATE_LIMIT", "0")
        .env("FRONTDESK_FRONTEND_CLIENT_RATE_LIMIT", "0")
        // All the load comes from one address.
        .env("FRONTDESK_MAX_CONNECTIONS_PER_IP", "5000");
    if let Some(schema) = &schema {
        launch = launch.env("FRONTDESK_DATABASE_URL", schema.url.clone());
    }
    let sk = secret_key(&launch)?;
    let mut server = launch.spawn()?;
    server.wait_ready(READY_TIMEOUT)?;
    let port = server.port();
    let pid = server.pid();
    let name = backend.name();
    let user = create(
        port,
        &sk,
        "/v1/users",
        &json!({"email_address": [EMAIL], "password": PASSWORD}),
    )?;
    // Browsers to sign in on: each sign-in ends the browser's last session.
    let mut sign_ins = Vec::new();
    for _ in 0..200 {
        let (status, body) =
            Request::new(port, "POST", "/v1/dev_browser", None, None).send(port)?;
        ensure!(
            status == 200,
            "POST /v1/dev_browser answered {status}: {body}"
        );
        let db: serde_json::Value = serde_json::from_str(&body)?;
        let db = db["id"].as_str().context("no dev browser id")?.to_owned();
        let body = json!({"identifier": EMAIL, "password": PASSWORD}).to_string();
        sign_ins.push(Request::new(
            port,
            "POST",
            &format!("/v1/client/sign_ins?__clerk_db_jwt={db}"),
            None,
            Some(&body),
        ));
    }
    let reads = vec![Request::new(
        port,
        "GET",
        &format!("/v1/users/{user}"),
        Some(&sk),
        None,
    )];
    let cores = thread::available_parallelism().map_or(1, usize::from);
    let mut out = Vec::new();
    for (label, requests, concurrency) in [
        ("sign-ins", &sign_ins, 2 * cores),
        ("GET /v1/users/{id}", &reads, 64),
    ] {
        let wanted = match options.only {
            None => true,
            Some(Only::Signins) => label.starts_with("sign"),
            Some(Only::Reads) => !label.starts_with("sign"),
        };
        if !wanted {
            continue;
        }
        eprintln!("overload: {name}: {label}: capacity, closed loop, {concurrency} connections");
        let capacity = run_many(
            port,
            pid,
            requests,
            Load {
                concurrency,
                warmup: Duration::from_secs(2),
                window: Duration::from_secs(10),
                expect_status: 200,
                watch: None,
            },
        )?
        .rate();
        let rate = capacity * options.factor;
        eprintln!(
            "overload: {name}: {label}: capacity {capacity:.0}/s; offering {rate:.0}/s for {} s",
            options.seconds
        );
        let rss_before = rss_of(pid)?;
        let sampler = RssSampler::start(pid);
        let outcome = open_loop(
            port,
            requests,
            rate,
            Duration::from_secs(options.seconds),
            (concurrency * CONNECTION_FACTOR).max(512),
        )?;
        let peak_during = sampler.stop();
        thread::sleep(Duration::from_secs(10));
        let rss_after = rss_of(pid)?;
        server.ensure_running("after the overload")?;
        out.push(Figures {
            name: label_static(label),
            capacity,
            offered_rate: rate,
            seconds: options.seconds as f64,
            outcome,
            peak_rss: peak_during.max(rss_before),
            rss_after,
            rss_before,
        });
    }
    let stopped = server.stop(STOP_TIMEOUT)?;
    if stopped.killed {
        eprintln!("overload: {name}: the server had to be killed after SIGTERM");
    }
    drop(schema);
    Ok(out)
}

fn label_static(label: &str) -> &'static str {
    if label.starts_with("sign") {
        "sign-ins"
    } else {
        "GET /v1/users/{id}"
    }
}

/// Reads a process's resident memory every 50 ms until stopped; keeps the peak.
struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: thread::JoinHandle<()>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Ok(rss) = rss_of(pid) {
                    p.fetch_max(rss, Ordering::Relaxed);
                }
                thread::sleep(Duration::from_millis(50));
            }
        });
        Self { stop, peak, thread }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.peak.load(Ordering::Relaxed)
    }
}

/// How long an idle connection may be reused: well within the server's
/// 10 s idle deadline.
const IDLE_REUSE: Duration = Duration::from_secs(5);

/// The status line, `Retry-After` and body length of a response head.
struct Head {
    status: u16,
    retry_after: bool,
    length: usize,
    content_length: usize,
    close: bool,
}

fn parse_head(buf: &[u8]) -> Option<Head> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let text = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = text.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let (mut retry_after, mut content_length, mut close) = (false, 0, false);
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "retry-after" => retry_after = true,
            "content-length" => content_length = v.trim().parse().ok()?,
            "connection" => close = v.trim().eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    Some(Head {
        status,
        retry_after,
        length: end,
        content_length,
        close,
    })
}

/// One request on `stream`: its head, after reading the whole response.
async fn exchange(stream: &mut TcpStream, bytes: &[u8]) -> Result<Head> {
    stream.write_all(bytes).await?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(head) = parse_head(&buf)
            && buf.len() >= head.length + head.content_length
        {
            return Ok(head);
        }
        let n = stream.read(&mut chunk).await?;
        ensure!(n > 0, "connection closed mid-response");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Send `requests` in turn at `rate` per second for `duration`, each when it
/// is due, and wait for every answer.
fn open_loop(
    port: u16,
    requests: &[Request],
    rate: f64,
    duration: Duration,
    max_connections: usize,
) -> Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let bodies: Vec<Arc<Vec<u8>>> = requests
        .iter()
        .map(|r| Arc::new(r.bytes().to_vec()))
        .collect();
    runtime.block_on(async move {
        // Idle connections with the time they became idle: one idle longer
        // than the server keeps it (its header read deadline, 10 s) is
        // dropped rather than reused, as HTTP clients do.
        let idle: Arc<Mutex<Vec<(TcpStream, Instant)>>> = Arc::default();
        let open = Arc::new(AtomicU64::new(0));
        let outcome: Arc<Mutex<Outcome>> = Arc::default();
        let total = (rate * duration.as_secs_f64()) as u64;
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        let mut sent = 0u64;
        while sent < total {
            let due = ((start.elapsed().as_secs_f64() * rate) as u64 + 1).min(total);
            while sent < due {
                let scheduled = start + Duration::from_secs_f64(sent as f64 / rate);
                let body = bodies[sent as usize % bodies.len()].clone();
                sent += 1;
                let reused = idle
                    .lock()
                    .map(|mut v| {
                        while let Some((s, since)) = v.pop() {
                            if since.elapsed() < IDLE_REUSE {
                                return Some(s);
                            }
                            open.fetch_sub(1, Ordering::Relaxed);
                        }
                        None
                    })
                    .unwrap_or(None);
                if reused.is_none() {
                    // Counted now, not when the task runs: a burst of due
                    // requests must not all see room for one more.
                    if open.load(Ordering::Relaxed) as usize >= max_connections {
                        if let Ok(mut o) = outcome.lock() {
                            o.offered += 1;
                            o.not_sent += 1;
                        }
                        continue;
                    }
                    open.fetch_add(1, Ordering::Relaxed);
                }
                let (idle, open, outcome) = (idle.clone(), open.clone(), outcome.clone());
                tasks.spawn(async move {
                    let stream = match reused {
                        Some(s) => Ok(s),
                        None => TcpStream::connect(("127.0.0.1", port)).await.inspect(|s| {
                            let _ = s.set_nodelay(true);
                        }),
                    };
                    let result = match stream {
                        Ok(mut s) => match exchange(&mut s, &body).await {
                            Ok(head) => {
                                if head.close {
                                    open.fetch_sub(1, Ordering::Relaxed);
                                } else if let Ok(mut v) = idle.lock() {
                                    v.push((s, Instant::now()));
                                }
                                Ok(head)
                            }
                            Err(e) => {
                                open.fetch_sub(1, Ordering::Relaxed);
                                Err(e)
                            }
                        },
                        Err(e) => {
                            open.fetch_sub(1, Ordering::Relaxed);
                            Err(e.into())
                        }
                    };
                    let took = scheduled.elapsed().as_secs_f64() * 1e3;
                    if let Ok(mut o) = outcome.lock() {
                        o.offered += 1;
                        match result {
                            Ok(h) if (200..300).contains(&h.status) => {
                                o.accepted += 1;
                                o.accepted_ms.push(took);
                            }
                            Ok(h) if h.status == 429 || h.status == 503 => {
                                if h.status == 429 {
                                    o.status_429 += 1;
                                } else {
                                    o.status_503 += 1;
                                }
                                if !h.retry_after {
                                    o.no_retry_after += 1;
                                }
                            }
                            Ok(h) if h.status >= 500 => o.other_5xx += 1,
                            Ok(h) => {
                                o.other += 1;
                                o.first_error.get_or_insert(format!("status {}", h.status));
                            }
                            Err(e) => {
                                o.other += 1;
                                o.first_error.get_or_insert(format!("{e:#}"));
                            }
                        }
                    }
                });
            }
            while tasks.try_join_next().is_some() {}
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let drain = tokio::time::timeout(Duration::from_secs(60), async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        ensure!(
            drain.is_ok(),
            "requests still unanswered 60 s after the load"
        );
        let mut o = outcome
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .clone();
        o.accepted_ms.sort_by(f64::total_cmp);
        Ok(o)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_read() {
        let h = parse_head(
            b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-length: 12\r\n\r\n{\"errors\":[]}",
        )
        .expect("head");
        assert_eq!((h.status, h.retry_after, h.content_length), (503, true, 12));
        assert!(parse_head(b"HTTP/1.1 200 OK\r\n").is_none());
    }
}
