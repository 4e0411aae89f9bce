//! Skipped tests that are counted, not hidden.
//!
//! A Rust test that cannot run (no PostgreSQL, no Chromium, no Clerk
//! OpenAPI specs) returns early and libtest reports it `ok`, with the reason
//! captured and thrown away. [`skip`] prints the reason *and* appends it to
//! the file named by [`SKIP_LOG_ENV`], which the workspace's test runner
//! (`scripts/test-runner`, wired in `.cargo/config.toml`) sets for every test
//! binary of one `cargo test`, then counts and prints in one line at the end
//! of the run. `.ci/run` fails when that file is not empty.

pub mod mmdb;
pub mod oidc;

use std::io::Write;

/// The environment variable naming the skip log of the current run.
pub const SKIP_LOG_ENV: &str = "FRONTDESK_SKIP_LOG";

/// Record that `what` did not run, and why.
///
/// One line per call, written with a single `write` on a file opened for
/// appending, so parallel tests and test binaries do not interleave. The
/// runner counts distinct lines, so calling this once per assertion is fine.
pub fn skip(what: &str, reason: &str) {
    let what = one_line(what);
    let reason = one_line(reason);
    eprintln!("skipping {what}: {reason}");
    let Some(path) = std::env::var_os(SKIP_LOG_ENV) else {
        return;
    };
    let line = format!("{what}: {reason}\n");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "could not record the skip in {}: {e}",
            path.to_string_lossy()
        );
    }
}

/// The environment variable naming the PostgreSQL server tests may use.
pub const TEST_DATABASE_URL_ENV: &str = "FRONTDESK_TEST_DATABASE_URL";

/// Set by the test runner when it could not start a throw-away PostgreSQL:
/// the reason, reported by every test that needed one.
pub const POSTGRES_UNAVAILABLE_ENV: &str = "FRONTDESK_TEST_POSTGRES_UNAVAILABLE";

/// The PostgreSQL URL for `what`, or `None` after recording the skip.
///
/// `cargo test` gets one from the test runner (the URL in
/// [`TEST_DATABASE_URL_ENV`], or else a throw-away server it starts), so
/// this is `None` only when neither exists.
pub fn postgres_url_or_skip(what: &str) -> Option<String> {
    match std::env::var(TEST_DATABASE_URL_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let reason = std::env::var(POSTGRES_UNAVAILABLE_ENV).unwrap_or_else(|_| {
                format!("{TEST_DATABASE_URL_ENV} is not set (run through `cargo test`, whose runner starts a throw-away PostgreSQL)")
            });
            skip(what, &reason);
            None
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_stays_on_one_line() {
        assert_eq!(one_line("no\nchromium  here"), "no chromium here");
    }
}
