//! `users`: finding one user among many, as the dashboard does (issue 18),
//! on each database (SQLite; PostgreSQL when a URL is given, in a
//! throw-away schema), against a limit per page.
//!
//! # What is measured
//!
//! `--users` users (1,000,000) are made through the Backend API (an
//! address, a name and an external id each; one in a thousand banned).
//! Then each of the dashboard's searches is read `--reads` times, one after
//! the other, through `GET /v1/users`, which runs the same store query as
//! the dashboard's `/dashboard/users` (a `UserFilter` into `list_users`,
//! 26 rows: a page and a look past it):
//!
//! - the first page, newest first; a page a hundred pages in;
//! - an exact address, an exact id, an exact external id (each through
//!   its unique index: the dashboard tries these first);
//! - the banned filter (a partial index);
//! - part of a name (`query=`: a substring of names, addresses, usernames
//!   and ids — the dashboard's fallback when nothing matches exactly): a
//!   rare one, a first and last name together, and one every user has
//!   (`example.com`), on its first page and a hundred pages in, and among
//!   the banned only.
//!
//! Limit: p99 under [`PAGE_LIMIT_MS`] ms for each. On PostgreSQL the tables
//! are vacuumed and analyzed first, as autovacuum would after a bulk load.
//! On SQLite the search index is filled in batches while the users are
//! made (`services::search_index`); the set-up's time includes it.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};

use crate::load::{self, Request};
use crate::report::{Better, Report, percentile};
use crate::server::{Launch, READY_TIMEOUT, STOP_TIMEOUT};
use crate::setup::{Backend, BackendChoice, PgSchema, backends, create_many, secret_key};

/// p99 of one page of the dashboard's user search (issue 18).
pub const PAGE_LIMIT_MS: f64 = 100.0;

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
    /// Users to search among
    #[arg(long, default_value_t = 1_000_000)]
    users: usize,
    /// Reads of each search measured
    #[arg(long, default_value_t = 50)]
    reads: usize,
    /// Keep-alive connections for the set-up
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    concurrency: u32,
}

struct Figures {
    backend: Backend,
    /// (search, latencies in ms)
    searches: Vec<(String, Vec<f64>)>,
    setup_secs: f64,
}

pub fn run(binary: &Path, options: &Options) -> Result<Report> {
    let (backends, skipped) = backends(options.backend, options.postgres_url.is_some())?;
    let mut measured = Vec::new();
    for backend in backends {
        measured.push(
            measure(binary, backend, options).with_context(|| format!("{} run", backend.name()))?,
        );
    }
    let mut report = Report::new(format!(
        "users: the dashboard's searches among {} users, {} reads each",
        options.users, options.reads
    ));
    for f in &measured {
        let b = f.backend.name();
        for (search, latencies) in &f.searches {
            let mut sorted = latencies.clone();
            sorted.sort_by(f64::total_cmp);
            report
                .figure(
                    format!("{search} p50 ({b})"),
                    percentile(&sorted, 50.0),
                    "ms",
                )
                .gate(
                    format!("{search} p99 ({b})"),
                    percentile(&sorted, 99.0),
                    "ms",
                    PAGE_LIMIT_MS,
                    Better::Lower,
                );
        }
        report.note(format!(
            "{b}: set-up ({} users through the Backend API) took {:.0} s",
            options.users, f.setup_secs
        ));
    }
    if let Some(why) = skipped {
        report.note(why);
    }
    Ok(report)
}

/// A name for user `i`: a first name from a short list, a numbered last name.
fn first_name(i: usize) -> &'static str {
    const NAMES: [&str; 8] = [
        "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
    ];
    NAMES[i % NAMES.len()]
}

fn measure(binary: &Path, backend: Backend, options: &Options) -> Result<Figures> {
    let schema = PgSchema::for_backend(backend, options.postgres_url.as_deref())?;
    let mut launch = Launch::new(binary)?.env("FRONTDESK_BACKEND_RATE_LIMIT", "0");
    if let Some(schema) = &schema {
        launch = launch.env("FRONTDESK_DATABASE_URL", schema.url.clone());
    }
    let sk = secret_key(&launch)?;
    let mut server = launch.spawn()?;
    server.wait_ready(READY_TIMEOUT)?;
    let port = server.port();
    let name = backend.name();
    let n = options.users;
    let started = Instant::now();

    eprintln!("users: {name}: {n} users");
    let ids = create_many(
        port,
        &sk,
        |_| "/v1/users".to_owned(),
        |i| {
            json!({
                "email_address": [format!("user{i}@example.com")],
                "first_name": first_name(i),
                "last_name": format!("Member{i}"),
                "external_id": format!("crm-{i}"),
                "skip_password_requirement": true,
            })
        },
        n,
        options.concurrency as usize,
    )?;
    let banned: Vec<usize> = (0..n).step_by(1000).collect();
    for &i in &banned {
        let (status, text) = Request::new(
            port,
            "POST",
            &format!("/v1/users/{}/ban", ids[i]),
            Some(&sk),
            None,
        )
        .send(port)?;
        ensure!(status == 200, "banning answered {status}: {text}");
    }
    let setup_secs = started.elapsed().as_secs_f64();
    if let Some(schema) = &schema {
        schema.vacuum_analyze(&["users", "email_addresses", "user_search"])?;
    }

    let middle = n / 2;
    let searches: Vec<(String, String, Option<usize>)> = vec![
        (
            "first page".to_owned(),
            "limit=26&order_by=-created_at".to_owned(),
            Some(26.min(n)),
        ),
        (
            "page 100".to_owned(),
            "limit=26&offset=2475&order_by=-created_at".to_owned(),
            None,
        ),
        (
            "exact address".to_owned(),
            format!("limit=26&email_address=user{middle}%40example.com"),
            Some(1),
        ),
        (
            "exact id".to_owned(),
            format!("limit=26&user_id={}", ids[middle]),
            Some(1),
        ),
        (
            "exact external id".to_owned(),
            format!("limit=26&external_id=crm-{middle}"),
            Some(1),
        ),
        (
            "banned filter".to_owned(),
            "limit=26&banned=true".to_owned(),
            Some(banned.len().min(26)),
        ),
        (
            "part of a name".to_owned(),
            format!("limit=26&query=member{middle}"),
            None,
        ),
        (
            "first and last name".to_owned(),
            format!(
                "limit=26&query={}%20member{middle}",
                first_name(middle).to_lowercase()
            ),
            Some(1),
        ),
        (
            "a word everyone has".to_owned(),
            "limit=26&query=example.com".to_owned(),
            Some(26.min(n)),
        ),
        (
            "a word everyone has, page 100".to_owned(),
            "limit=26&offset=2475&query=example.com".to_owned(),
            None,
        ),
        (
            "a word everyone has, banned".to_owned(),
            "limit=26&banned=true&query=example.com".to_owned(),
            Some(banned.len().min(26)),
        ),
    ];
    eprintln!("users: {name}: searching");
    let mut conn = load::Conn::open(port)?;
    let mut measured = Vec::new();
    for (label, query, expect) in searches {
        let req = Request::new(port, "GET", &format!("/v1/users?{query}"), Some(&sk), None);
        let (status, text) = conn.call(&req)?;
        ensure!(status == 200, "{label} answered {status}: {text}");
        let found = serde_json::from_str::<Value>(&text)?
            .as_array()
            .map_or(0, Vec::len);
        if let Some(want) = expect {
            ensure!(found == want, "{label}: {found} users (expected {want})");
        } else {
            ensure!(found > 0, "{label}: nobody");
        }
        let mut latencies = Vec::with_capacity(options.reads);
        for _ in 0..options.reads {
            let at = Instant::now();
            let (status, text) = conn.call(&req)?;
            latencies.push(at.elapsed().as_secs_f64() * 1e3);
            ensure!(status == 200, "{label} answered {status}: {text}");
        }
        measured.push((label, latencies));
    }
    let stopped = server.stop(STOP_TIMEOUT)?;
    ensure!(!stopped.killed, "the server did not stop after SIGTERM");
    drop(schema);
    Ok(Figures {
        backend,
        searches: measured,
        setup_secs,
    })
}
