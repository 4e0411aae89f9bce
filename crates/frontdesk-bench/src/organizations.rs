//! `organizations`: what organizations cost where it matters, on each
//! database (SQLite; PostgreSQL when a URL is given, in a throw-away
//! schema), against limits measured in the same run.
//!
//! # What is measured
//!
//! 1. **Token minting with an active organization.** A user who is a member
//!    of `--organizations` organizations (1,000), whose role in them has ten
//!    custom permissions over three features; one session in the personal
//!    workspace, one with an organization active (`POST /v1/sessions` with
//!    `active_organization_id`). `POST /v1/sessions/{id}/tokens` is loaded
//!    for each (closed loop, `--concurrency` connections, `--seconds` after
//!    a warm-up). Limit: the rate with the organization at least
//!    [`MINT_TARGET`] of the rate without, in the same run (the `o`/`fea`
//!    claims cost one indexed query per cache miss and a few hundred bytes
//!    to sign, not a slower path).
//! 2. **A large organization's member list.** `--members` (100,000) users
//!    in one organization; `GET /v1/organizations/{id}/memberships`, 10 per
//!    page, at the first, middle and last page, each read `--reads` times
//!    one after the other. Limit: p99 under [`PAGE_LIMIT_MS`] ms per page.
//!    On PostgreSQL the tables are vacuumed and analyzed first, as
//!    autovacuum would within a minute of loading them (see
//!    [`PgSchema::vacuum_analyze`]).
//!
//! Setting up the members is the slow part (two Backend API calls each, on
//! `--concurrency` connections); the timings are taken after it.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};

use crate::load::{self, Load, Measured, Request};
use crate::report::{Better, Report, percentile};
use crate::server::{Launch, READY_TIMEOUT, STOP_TIMEOUT};
use crate::setup::{Backend, BackendChoice, PgSchema, backends, create, create_many, secret_key};

/// Tokens per second with an active organization, as a fraction of the rate
/// in the personal workspace.
pub const MINT_TARGET: f64 = 0.8;
/// p99 of one page of a large organization's members.
pub const PAGE_LIMIT_MS: f64 = 50.0;

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
    /// Organizations the minting user is a member of
    #[arg(long, default_value_t = 1_000)]
    organizations: usize,
    /// Members of the large organization
    #[arg(long, default_value_t = 100_000)]
    members: usize,
    /// Reads of each page measured
    #[arg(long, default_value_t = 50)]
    reads: usize,
    /// Keep-alive connections (load and set-up)
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    concurrency: u32,
    /// Length of each token load, in seconds (after a 1 s warm-up)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
    seconds: u64,
}

struct Figures {
    backend: Backend,
    personal: Measured,
    active: Measured,
    /// (page, latencies in ms)
    pages: Vec<(&'static str, Vec<f64>)>,
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
        "organizations: tokens for a member of {} organizations ({} connections, {} s), and pages of one with {} members",
        options.organizations, options.concurrency, options.seconds, options.members
    ));
    for f in &measured {
        let b = f.backend.name();
        let (personal, active) = (f.personal.rate(), f.active.rate());
        report
            .figure(
                format!("tokens/s, personal workspace ({b})"),
                personal,
                "tokens/s",
            )
            .gate(
                format!("tokens/s, organization active ({b})"),
                active,
                "tokens/s",
                (MINT_TARGET * personal).round(),
                Better::Higher,
            )
            .figure(
                format!("token latency p99, organization active ({b})"),
                f.active.latency_ms(99.0),
                "ms",
            )
            .gate(
                format!("token errors ({b})"),
                (f.personal.errors + f.active.errors) as f64,
                "req",
                0.0,
                Better::Lower,
            );
        for (page, latencies) in &f.pages {
            let mut sorted = latencies.clone();
            sorted.sort_by(f64::total_cmp);
            report
                .figure(
                    format!("members page p50, {page} ({b})"),
                    percentile(&sorted, 50.0),
                    "ms",
                )
                .gate(
                    format!("members page p99, {page} ({b})"),
                    percentile(&sorted, 99.0),
                    "ms",
                    PAGE_LIMIT_MS,
                    Better::Lower,
                );
        }
        report.note(format!(
            "{b}: set-up ({} organizations, {} members) took {:.0} s",
            options.organizations, options.members, f.setup_secs
        ));
        if f.backend == Backend::Postgres {
            report.note(
                "postgres: pages read after VACUUM (ANALYZE), as autovacuum leaves a table a \
                 minute after a bulk load; read before it, PostgreSQL plans the organization \
                 as a 200-row one and sorts 100,000 rows (60-70 ms p99 for a deep page)"
                    .to_owned(),
            );
        }
    }
    if let Some(why) = skipped {
        report.note(why);
    }
    Ok(report)
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
    let concurrency = options.concurrency as usize;
    let started = Instant::now();

    // Ten custom permissions over three features, on the admin role.
    let roles: Value = serde_json::from_str(
        &Request::new(port, "GET", "/v1/organization_roles", Some(&sk), None)
            .send(port)?
            .1,
    )?;
    let admin = roles["data"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["key"] == "org:admin"))
        .and_then(|r| r["id"].as_str())
        .context("no org:admin role")?
        .to_owned();
    for (i, key) in [
        "invoices:read",
        "invoices:pay",
        "invoices:void",
        "invoices:export",
        "reports:read",
        "reports:share",
        "reports:schedule",
        "team:read",
        "team:invite",
        "team:audit",
    ]
    .iter()
    .enumerate()
    {
        let perm = create(
            port,
            &sk,
            "/v1/organization_permissions",
            &json!({"name": format!("p{i}"), "key": format!("org:{key}")}),
        )?;
        let (status, text) = Request::new(
            port,
            "POST",
            &format!("/v1/organization_roles/{admin}/permissions/{perm}"),
            Some(&sk),
            None,
        )
        .send(port)?;
        ensure!(
            status == 200,
            "assigning a permission answered {status}: {text}"
        );
    }

    eprintln!(
        "organizations: {name}: a user in {} organizations",
        options.organizations
    );
    let user = create(
        port,
        &sk,
        "/v1/users",
        &json!({"email_address": ["bench@example.com"], "skip_password_requirement": true}),
    )?;
    let orgs = create_many(
        port,
        &sk,
        |_| "/v1/organizations".to_owned(),
        |i| json!({"name": format!("Org {i}"), "created_by": user}),
        options.organizations,
        concurrency,
    )?;
    let personal_session = create(port, &sk, "/v1/sessions", &json!({"user_id": user}))?;
    let active_session = create(
        port,
        &sk,
        "/v1/sessions",
        &json!({"user_id": user, "active_organization_id": orgs[orgs.len() / 2]}),
    )?;
    let mint = |sid: &str| {
        Request::new(
            port,
            "POST",
            &format!("/v1/sessions/{sid}/tokens"),
            Some(&sk),
            Some("{}"),
        )
    };
    let (status, text) = mint(&active_session).send(port)?;
    ensure!(
        status == 200 && text.contains("jwt"),
        "minting answered {status}: {text}"
    );

    eprintln!(
        "organizations: {name}: {} members in one organization",
        options.members
    );
    let big = orgs[0].clone();
    let members = create_many(
        port,
        &sk,
        |_| "/v1/users".to_owned(),
        |i| json!({"email_address": [format!("member{i}@example.com")], "first_name": format!("Member {i}"), "skip_password_requirement": true}),
        options.members,
        concurrency,
    )?;
    create_many(
        port,
        &sk,
        |_| format!("/v1/organizations/{big}/memberships"),
        |i| json!({"user_id": members[i], "role": "org:member"}),
        options.members,
        concurrency,
    )?;
    let setup_secs = started.elapsed().as_secs_f64();

    let load = Load {
        concurrency,
        warmup: Duration::from_secs(1),
        window: Duration::from_secs(options.seconds),
        expect_status: 200,
        watch: (backend == Backend::Postgres).then_some("postgres"),
    };
    eprintln!("organizations: {name}: minting, personal then with the organization active");
    let personal = load::run_many(port, server.pid(), &[mint(&personal_session)], load)?;
    let active = load::run_many(port, server.pid(), &[mint(&active_session)], load)?;

    if let Some(schema) = &schema {
        schema.vacuum_analyze(&[
            "organization_memberships",
            "organizations",
            "users",
            "email_addresses",
        ])?;
    }
    eprintln!("organizations: {name}: pages of the large organization's members");
    let total = options.members + 1;
    let last = (total - 1) / 10 * 10;
    let mut pages = Vec::new();
    let mut conn = load::Conn::open(port)?;
    for (page, offset) in [("first", 0), ("middle", last / 2 / 10 * 10), ("last", last)] {
        let req = Request::new(
            port,
            "GET",
            &format!("/v1/organizations/{big}/memberships?limit=10&offset={offset}"),
            Some(&sk),
            None,
        );
        let mut latencies = Vec::with_capacity(options.reads);
        for _ in 0..options.reads {
            let at = Instant::now();
            let (status, text) = conn.call(&req)?;
            latencies.push(at.elapsed().as_secs_f64() * 1e3);
            ensure!(status == 200, "the {page} page answered {status}: {text}");
        }
        let body: Value = serde_json::from_str(&conn.call(&req)?.1)?;
        ensure!(
            body["total_count"].as_u64() == Some(total as u64),
            "total_count {} (expected {total})",
            body["total_count"]
        );
        ensure!(
            body["data"].as_array().is_some_and(|d| !d.is_empty()),
            "an empty {page} page"
        );
        pages.push((page, latencies));
    }
    let stopped = server.stop(STOP_TIMEOUT)?;
    ensure!(!stopped.killed, "the server did not stop after SIGTERM");
    drop(schema);
    Ok(Figures {
        backend,
        personal,
        active,
        pages,
        setup_secs,
    })
}
