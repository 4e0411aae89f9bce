//! `startup`: how fast `frontdesk serve` becomes ready, and how much memory it
//! holds once it is idle.
//!
//! # What is measured
//!
//! Each run starts the release binary on a new, empty data dir and times it
//! from just before `spawn` until `GET /readyz` first answers 200 (readiness
//! means the database answers, not only that the port is open). The server
//! then sits idle (1.5 s by default) and its resident memory is read from
//! `VmRSS` in `/proc/<pid>/status`; it is then stopped with SIGTERM.
//!
//! An empty data dir is the slowest start there is, and the one every test
//! suite, demo and fresh container pays: the server creates the SQLite file,
//! runs the migrations, creates the instance, generates an RSA-2048 signing
//! key and the first secret key. RSA key generation is a random prime search
//! whose duration varies from run to run, which is why the verdict is taken on
//! the median and min / p90 / max are shown beside it for context.
//!
//! # The limits
//!
//! Both are the project's targets, stated for the built binary (compiling it
//! is not part of the figure; the harness builds it before the first run):
//!
//! - cold start under [`START_LIMIT_MS`]: starting Frontdesk should cost a
//!   test suite or an orchestrator's readiness probe about as much as starting
//!   any small daemon, so that booting a throw-away instance per test run, or
//!   restarting one in production, is never the thing people wait for;
//! - idle RSS under [`RSS_LIMIT_MB`]: a self-hosted auth server sits beside
//!   the application it serves, often on a small VM or container, and its
//!   idle memory is a fixed cost paid all day. It is read after an idle pause
//!   so that start-up work which frees memory is not counted. MB means
//!   10^6 bytes here (`VmRSS` is reported in KiB and converted).

use std::path::Path;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::report::{Better, Report, Summary};
use crate::server::{READY_TIMEOUT, STOP_TIMEOUT, Server, Stopped};

/// Median time from spawn to the first 200 from `/readyz`.
pub const START_LIMIT_MS: f64 = 300.0;

/// Median resident memory of an idle server.
pub const RSS_LIMIT_MB: f64 = 30.0;

#[derive(Debug, clap::Args)]
pub struct Options {
    /// How many times to start the server
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// How long the ready server sits idle before its memory is read, in milliseconds
    #[arg(long, default_value_t = 1500)]
    idle_ms: u64,
}

pub fn run(binary: &Path, options: &Options) -> Result<Report> {
    let idle = Duration::from_millis(options.idle_ms);
    let runs = options.runs;
    eprintln!(
        "startup: {runs} runs of {} serve (about {:.1} s each)",
        binary.display(),
        idle.as_secs_f64() + 0.1
    );

    let mut starts_ms = Vec::new();
    let mut rss_mb = Vec::new();
    let mut notes = Vec::new();
    for i in 1..=runs {
        let sample =
            measure_once(binary, idle).with_context(|| format!("startup run {i} of {runs}"))?;
        starts_ms.push(sample.ready.as_secs_f64() * 1e3);
        rss_mb.push(sample.rss_bytes as f64 / 1e6);
        let stopped = sample.stopped;
        if stopped.killed {
            notes.push(format!(
                "run {i}: still running {} s after SIGTERM; killed",
                STOP_TIMEOUT.as_secs()
            ));
        } else if !stopped.status.success() {
            notes.push(format!(
                "run {i}: exited with {} {:.0} ms after SIGTERM",
                stopped.status,
                stopped.after.as_secs_f64() * 1e3
            ));
        }
    }

    let start = Summary::of(&starts_ms).context("no start measured")?;
    let rss = Summary::of(&rss_mb).context("no memory measured")?;
    let cpus = thread::available_parallelism().map_or(0, usize::from);
    let mut report = Report::new(format!(
        "startup: {runs} cold starts of `frontdesk serve` on an empty data dir ({cpus} CPUs, idle {} ms before RSS)",
        options.idle_ms
    ));
    report
        .info(
            "cold start min",
            start.min,
            "ms",
            START_LIMIT_MS,
            Better::Lower,
        )
        .gate(
            "cold start median",
            start.median,
            "ms",
            START_LIMIT_MS,
            Better::Lower,
        )
        .info(
            "cold start p90",
            start.p90,
            "ms",
            START_LIMIT_MS,
            Better::Lower,
        )
        .info(
            "cold start max",
            start.max,
            "ms",
            START_LIMIT_MS,
            Better::Lower,
        )
        .gate(
            "idle RSS median",
            rss.median,
            "MB",
            RSS_LIMIT_MB,
            Better::Lower,
        )
        .info("idle RSS max", rss.max, "MB", RSS_LIMIT_MB, Better::Lower);
    for note in notes {
        report.note(note);
    }
    Ok(report)
}

struct Sample {
    ready: Duration,
    rss_bytes: u64,
    stopped: Stopped,
}

fn measure_once(binary: &Path, idle: Duration) -> Result<Sample> {
    let mut server = Server::spawn(binary)?;
    let ready = server.wait_ready(READY_TIMEOUT)?;
    thread::sleep(idle);
    let rss_bytes = server.rss_bytes()?;
    let stopped = server.stop(STOP_TIMEOUT)?;
    Ok(Sample {
        ready,
        rss_bytes,
        stopped,
    })
}
