//! `frontdesk-bench`: the project's benchmark harness.
//!
//! ```text
//! cargo run --release -p frontdesk-bench -- <benchmark> [options]
//! ```
//!
//! One sub-command per benchmark, one module per sub-command. Each benchmark
//! measures the release `frontdesk` binary (built first, see
//! [`server::server_binary`]) and returns a [`report::Report`]: its figures,
//! each printed next to its limit, measured in the same run, so that a
//! verdict never compares a figure from this machine with a figure from
//! another.
//!
//! Exit code: 0 when every gating figure is within its limit, 1 when one is
//! not, 2 when the benchmark could not be run at all.

mod load;
mod organizations;
mod overload;
mod receiver;
mod report;
mod server;
mod setup;
mod signins;
mod startup;
mod tokens;
mod users;
mod verify;
mod webhooks;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "frontdesk-bench",
    about = "Frontdesk benchmarks: each figure printed next to its limit",
    after_help = "Run as: cargo run --release -p frontdesk-bench -- <benchmark> [options]"
)]
struct Cli {
    /// Measure this `frontdesk` binary instead of building target/release/frontdesk
    #[arg(long, global = true, value_name = "PATH")]
    binary: Option<PathBuf>,
    #[command(subcommand)]
    benchmark: Benchmark,
}

#[derive(Subcommand)]
enum Benchmark {
    /// Cold start of `frontdesk serve` on an empty data dir, and its idle memory
    Startup(startup::Options),
    /// Session tokens minted per second, next to the machine's RSA-2048 signing rate
    Tokens(tokens::Options),
    /// Password sign-ins per second, next to the machine's argon2id rate
    Signins(signins::Options),
    /// The SDK's token verifications per second (vs @clerk/backend and RSA) and middleware overhead
    Verify(verify::Options),
    /// Sign-ins and user reads at 3x capacity: latency of what is accepted, 429/503, memory
    Overload(overload::Options),
    /// Token minting with an active organization (a member of 1,000), and pages of 100,000 members
    Organizations(organizations::Options),
    /// The dashboard's user searches among 1,000,000 users: p99 per page
    Users(users::Options),
    /// Webhook deliveries per second to a loopback receiver, and messages lost
    Webhooks(webhooks::Options),
    /// Webhook delivery under a flaky receiver and SIGKILLs: every event delivered, signed, once marked
    #[command(name = "webhook-faults")]
    WebhookFaults(webhooks::FaultOptions),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result =
        server::server_binary(cli.binary.as_deref()).and_then(|binary| match &cli.benchmark {
            Benchmark::Startup(options) => startup::run(&binary, options),
            Benchmark::Tokens(options) => tokens::run(&binary, options),
            Benchmark::Signins(options) => signins::run(&binary, options),
            Benchmark::Verify(options) => verify::run(options),
            Benchmark::Overload(options) => overload::run(&binary, options),
            Benchmark::Organizations(options) => organizations::run(&binary, options),
            Benchmark::Users(options) => users::run(&binary, options),
            Benchmark::Webhooks(options) => webhooks::run(&binary, options),
            Benchmark::WebhookFaults(options) => webhooks::run_faults(&binary, options),
        });
    match result {
        Ok(report) => {
            report.print();
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
