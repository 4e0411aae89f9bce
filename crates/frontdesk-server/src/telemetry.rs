//! Structured logs with `tracing`.
//!
//! The level comes from `RUST_LOG` (default `info`). Request spans carry the
//! request id, method and route — never headers or bodies, so secrets such as
//! `Authorization` cannot reach the log.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

use crate::config::LogFormat;

/// Install the global subscriber. Safe to call more than once (tests): later
/// calls are no-ops.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let writer = std::io::stderr.with_max_level(tracing::Level::TRACE);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
