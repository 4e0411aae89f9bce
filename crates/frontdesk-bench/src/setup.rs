//! What every database-backed benchmark sets up: which databases to measure,
//! a throw-away PostgreSQL schema, a secret key, objects made through the
//! Backend API.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use crate::load::{self, Request};
use crate::server::Launch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The databases to measure, and a note if PostgreSQL is left out.
pub fn backends(
    chosen: Option<BackendChoice>,
    has_url: bool,
) -> Result<(Vec<Backend>, Option<String>)> {
    let choice = chosen.unwrap_or(if has_url {
        BackendChoice::Both
    } else {
        BackendChoice::Sqlite
    });
    if choice != BackendChoice::Sqlite && !has_url {
        bail!(
            "--backend {}: PostgreSQL needs a database URL (--postgres-url or FRONTDESK_TEST_DATABASE_URL)",
            if choice == BackendChoice::Both {
                "both"
            } else {
                "postgres"
            }
        );
    }
    let skipped = (chosen.is_none() && !has_url).then(|| {
        "PostgreSQL not measured: set FRONTDESK_TEST_DATABASE_URL or pass --postgres-url".to_owned()
    });
    Ok(match choice {
        BackendChoice::Sqlite => (vec![Backend::Sqlite], skipped),
        BackendChoice::Postgres => (vec![Backend::Postgres], None),
        BackendChoice::Both => (vec![Backend::Sqlite, Backend::Postgres], None),
    })
}

/// `POST path` with a JSON body; returns the `id` of the created object.
pub fn create(port: u16, sk: &str, path: &str, body: &Value) -> Result<String> {
    let (status, text) =
        Request::new(port, "POST", path, Some(sk), Some(&body.to_string())).send(port)?;
    ensure!(status == 200, "POST {path} answered {status}: {text}");
    serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .with_context(|| format!("POST {path}: no `id` in {text}"))
}

/// A schema of its own in the PostgreSQL database, dropped on drop, so that a
/// run starts empty and leaves nothing behind. Created and dropped with
/// `psql`.
pub struct PgSchema {
    base_url: String,
    name: String,
    /// `base_url` with `search_path` set to the schema.
    pub url: String,
}

impl PgSchema {
    /// A fresh schema for a PostgreSQL run, `None` for SQLite.
    pub fn for_backend(backend: Backend, postgres_url: Option<&str>) -> Result<Option<Self>> {
        match backend {
            Backend::Sqlite => Ok(None),
            Backend::Postgres => Ok(Some(Self::create(
                postgres_url.context("no PostgreSQL URL")?,
            )?)),
        }
    }

    pub fn create(base_url: &str) -> Result<Self> {
        let name = format!(
            "fdbench_{}_{:012x}",
            std::process::id(),
            RandomState::new().hash_one(Instant::now()) & 0xffff_ffff_ffff
        );
        psql(base_url, &format!("CREATE SCHEMA {name}"))?;
        let sep = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{sep}options=-c%20search_path%3D{name}");
        Ok(Self {
            base_url: base_url.to_owned(),
            name,
            url,
        })
    }
}

impl PgSchema {
    /// Vacuum and analyze `tables`, as autovacuum does within a minute of a
    /// bulk load (its insert threshold is 1,000 rows + 20%, its analyze
    /// threshold 50 + 10%): without statistics PostgreSQL plans a
    /// 100,000-row organization as a 200-row one (a sort instead of the
    /// index), and without the visibility map an index-only scan still
    /// visits every row it skips.
    pub fn vacuum_analyze(&self, tables: &[&str]) -> Result<()> {
        let list = tables
            .iter()
            .map(|t| format!("{}.{t}", self.name))
            .collect::<Vec<_>>()
            .join(", ");
        psql(&self.base_url, &format!("VACUUM (ANALYZE) {list}"))
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Err(e) = psql(
            &self.base_url,
            &format!("DROP SCHEMA {} CASCADE", self.name),
        ) {
            eprintln!("warning: schema {} left behind: {e:#}", self.name);
        }
    }
}

fn psql(url: &str, sql: &str) -> Result<()> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .output()
        .context("cannot run `psql` (needed to create a schema for the PostgreSQL run)")?;
    ensure!(
        out.status.success(),
        "psql -c \"{sql}\" failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

/// A secret key for the server `launch` will start, made with the CLI.
pub fn secret_key(launch: &Launch) -> Result<String> {
    let printed = launch.cli(&["keys", "secret", "create", "--label", "frontdesk-bench"])?;
    Ok(printed
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("sk_"))
        .with_context(|| {
            format!("`frontdesk keys secret create` printed no secret key: {printed:?}")
        })?
        .to_owned())
}

/// `POST`s on `concurrency` threads, each with its own connection: the ids
/// of what they created, in order.
pub fn create_many(
    port: u16,
    sk: &str,
    path: impl Fn(usize) -> String + Sync,
    body: impl Fn(usize) -> Value + Sync,
    n: usize,
    concurrency: usize,
) -> Result<Vec<String>> {
    let chunk = n.div_ceil(concurrency.max(1));
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..concurrency)
            .map(|t| {
                let (path, body) = (&path, &body);
                scope.spawn(move || -> Result<Vec<String>> {
                    let mut conn = load::Conn::open(port)?;
                    let mut ids = Vec::new();
                    for i in (t * chunk)..((t + 1) * chunk).min(n) {
                        let req = Request::new(
                            port,
                            "POST",
                            &path(i),
                            Some(sk),
                            Some(&body(i).to_string()),
                        );
                        let (status, text) = conn.call(&req)?;
                        ensure!(status == 200, "POST {} answered {status}: {text}", path(i));
                        let id = serde_json::from_str::<Value>(&text)
                            .ok()
                            .and_then(|v| v["id"].as_str().map(str::to_owned))
                            .with_context(|| format!("no id in {text}"))?;
                        ids.push(id);
                    }
                    Ok(ids)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(n);
        for t in threads {
            all.extend(
                t.join()
                    .map_err(|_| anyhow::anyhow!("a set-up thread panicked"))??,
            );
        }
        Ok(all)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_is_measured_by_default_only_with_a_url() {
        let (only_sqlite, note) = backends(None, false).expect("sqlite alone");
        assert_eq!(only_sqlite, [Backend::Sqlite]);
        assert!(note.is_some_and(|n| n.contains("FRONTDESK_TEST_DATABASE_URL")));

        let (both, note) = backends(None, true).expect("both");
        assert_eq!(both, [Backend::Sqlite, Backend::Postgres]);
        assert!(note.is_none());

        let (pg, _) = backends(Some(BackendChoice::Postgres), true).expect("postgres");
        assert_eq!(pg, [Backend::Postgres]);
        let (lite, note) = backends(Some(BackendChoice::Sqlite), true).expect("sqlite");
        assert_eq!(
            (lite.as_slice(), note),
            ([Backend::Sqlite].as_slice(), None)
        );

        assert!(backends(Some(BackendChoice::Both), false).is_err());
    }
}
