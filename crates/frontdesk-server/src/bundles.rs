//! The clerk-js and `@clerk/ui` browser bundles: found locally, or fetched
//! from the npm registry on first use.
//!
//! An app's page loads `/npm/@clerk/clerk-js@6/dist/clerk.browser.js` (a
//! major version), which then loads its chunks with the exact version in the
//! path. Frontdesk serves, in order:
//!
//! 1. `bundles_dir/<package>/dist/…` when that directory exists (air-gapped
//!    installs: `frontdesk bundles fetch` fills it; a checkout's
//!    `npm ci --prefix e2e` puts pinned versions there), whatever version the
//!    URL names;
//! 2. otherwise the version the URL names, from `<data_dir>/bundles/`, fetched
//!    there on first request with npm itself (`npm view` resolves a major
//!    version to the newest release, `npm pack` downloads it through the
//!    registry npm is configured with) and checked against the registry's
//!    `dist.integrity` before anything is unpacked. No registry address is
//!    written here: npm's configuration decides.
//!
//! Without npm or a network, requests for missing bundles get 503, and the
//! log says once what to do.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::process::Command;

/// The packages served, by npm name under `@clerk/`.
pub const PACKAGES: &[&str] = &["clerk-js", "ui"];

/// How long a resolved major version (`6` → `6.40.0`) is trusted.
const RESOLVED_TTL: Duration = Duration::from_secs(3600);
/// Longest an npm command may take.
const NPM_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a bundle could not be had.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(
        "npm could not be run ({0}); install Node.js and npm, or fill bundles_dir with `frontdesk bundles fetch` on a machine that can"
    )]
    NoNpm(String),
    #[error("npm failed: {0}")]
    Npm(String),
    #[error(
        "@clerk/{package}@{version}: the tarball's integrity {got} is not the registry's {want}"
    )]
    Integrity {
        package: String,
        version: String,
        got: String,
        want: String,
    },
    #[error("unpacking: {0}")]
    Io(#[from] std::io::Error),
}

/// Where bundles come from, and what has been resolved and fetched.
pub struct Bundles {
    local: PathBuf,
    cache: PathBuf,
    resolved: Mutex<HashMap<(String, String), (String, Instant)>>,
    /// One fetch at a time: a page asks for many files at once.
    fetching: tokio::sync::Mutex<()>,
    warned: AtomicBool,
}

/// Whether `spec` names one exact release (`6.40.0`, `1.36.0-beta.1`).
fn is_exact(spec: &str) -> bool {
    let core = spec.split(['-', '+']).next().unwrap_or_default();
    core.split('.').count() == 3 && core.split('.').all(|p| p.parse::<u64>().is_ok())
}

async fn npm(args: &[&str], cwd: &Path) -> Result<String, BundleError> {
    let run = Command::new("npm")
        .args(args)
        .current_dir(cwd)
        .env("npm_config_update_notifier", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_audit", "false")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(NPM_TIMEOUT, run)
        .await
        .map_err(|_| BundleError::Npm(format!("`npm {}` took over 120 s", args.join(" "))))?
        .map_err(|e| BundleError::NoNpm(e.to_string()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .find(|l| l.contains("ERR"))
            .unwrap_or(err.trim());
        return Err(BundleError::Npm(format!(
            "`npm {}`: {line}",
            args.join(" ")
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The text of a JSON string, or the last string of a JSON array (npm view
/// answers a range with every matching version, oldest first).
fn last_string(json: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(json).ok()? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Array(items) => items.last()?.as_str().map(str::to_owned),
        _ => None,
    }
}

impl Bundles {
    pub fn new(local: PathBuf, data_dir: &Path) -> Self {
        Self {
            local,
            cache: data_dir.join("bundles"),
            resolved: Mutex::default(),
            fetching: tokio::sync::Mutex::new(()),
            warned: AtomicBool::new(false),
        }
    }

    /// The `dist` directory to serve `package@spec` from.
    pub async fn dist(&self, package: &str, spec: &str) -> Result<PathBuf, BundleError> {
        let local = self.local.join(package).join("dist");
        if tokio::fs::metadata(&local).await.is_ok_and(|m| m.is_dir()) {
            return Ok(local);
        }
        let result = self.cached(package, spec).await;
        if let Err(e) = &result
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            tracing::error!(error = %e, "cannot serve the clerk-js/@clerk/ui bundles: components will not render until this is fixed");
        }
        result
    }

    async fn cached(&self, package: &str, spec: &str) -> Result<PathBuf, BundleError> {
        let version = self.resolve(package, spec).await?;
        let dir = self.cache.join(format!("{package}@{version}"));
        if tokio::fs::metadata(dir.join(".complete")).await.is_ok() {
            return Ok(dir.join("dist"));
        }
        let _one = self.fetching.lock().await;
        if tokio::fs::metadata(dir.join(".complete")).await.is_err() {
            fetch_into(package, &version, &self.cache, &dir).await?;
            tracing::info!(package, version, "fetched from the npm registry");
        }
        Ok(dir.join("dist"))
    }

    /// An exact version for `spec`: itself, or what npm resolves it to.
    async fn resolve(&self, package: &str, spec: &str) -> Result<String, BundleError> {
        if is_exact(spec) {
            return Ok(spec.to_owned());
        }
        let key = (package.to_owned(), spec.to_owned());
        if let Ok(map) = self.resolved.lock()
            && let Some((v, at)) = map.get(&key)
            && at.elapsed() < RESOLVED_TTL
        {
            return Ok(v.clone());
        }
        let version = resolve_version(package, spec, &self.cache).await?;
        if let Ok(mut map) = self.resolved.lock() {
            map.insert(key, (version.clone(), Instant::now()));
        }
        Ok(version)
    }
}

/// The release `spec` names: itself when exact, else what npm resolves it to.
pub async fn resolve_version(
    package: &str,
    spec: &str,
    work: &Path,
) -> Result<String, BundleError> {
    if is_exact(spec) {
        return Ok(spec.to_owned());
    }
    tokio::fs::create_dir_all(work).await?;
    let out = npm(
        &[
            "view",
            &format!("@clerk/{package}@{spec}"),
            "version",
            "--json",
        ],
        work,
    )
    .await?;
    last_string(&out)
        .filter(|v| is_exact(v))
        .ok_or_else(|| BundleError::Npm(format!("no release of @clerk/{package} matches `{spec}`")))
}

/// Download `@clerk/<package>@<version>` with npm, check it against the
/// registry's integrity, and unpack it as `dir` (atomically: a half-written
/// directory is never served).
pub async fn fetch_into(
    package: &str,
    version: &str,
    work: &Path,
    dir: &Path,
) -> Result<(), BundleError> {
    tokio::fs::create_dir_all(work).await?;
    let name = format!("@clerk/{package}@{version}");
    let want = npm(&["view", &name, "dist.integrity"], work).await?;
    let staging = work.join(format!(
        ".staging-{package}-{version}-{}",
        std::process::id()
    ));
    let _ = tokio::fs::remove_dir_all(&staging).await;
    tokio::fs::create_dir_all(&staging).await?;
    let packed = npm(
        &[
            "pack",
            &name,
            "--json",
            "--pack-destination",
            &staging.to_string_lossy(),
        ],
        work,
    )
    .await?;
    let file = serde_json::from_str::<serde_json::Value>(&packed)
        .ok()
        .and_then(|v| v[0]["filename"].as_str().map(str::to_owned))
        .ok_or_else(|| BundleError::Npm(format!("`npm pack {name}` printed no file name")))?;
    let tarball = tokio::fs::read(staging.join(&file)).await?;
    if let Err(e) = check_integrity(package, version, &tarball, &want) {
        let _ = tokio::fs::remove_dir_all(&staging).await;
        return Err(e);
    }
    let unpacked = staging.join("package-dir");
    let target = unpacked.clone();
    tokio::task::spawn_blocking(move || unpack(&tarball, &target))
        .await
        .map_err(|e| BundleError::Npm(e.to_string()))??;
    tokio::fs::write(unpacked.join(".complete"), version).await?;
    if let Some(parent) = dir.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let _ = tokio::fs::remove_dir_all(dir).await;
    tokio::fs::rename(&unpacked, dir).await?;
    let _ = tokio::fs::remove_dir_all(&staging).await;
    Ok(())
}

/// The tarball is the one the registry published: its `sha512-…` integrity
/// (what `npm view … dist.integrity` prints) matches.
fn check_integrity(
    package: &str,
    version: &str,
    tarball: &[u8],
    want: &str,
) -> Result<(), BundleError> {
    let got = frontdesk_crypto::sha512_integrity(tarball);
    if got == want.trim() {
        return Ok(());
    }
    Err(BundleError::Integrity {
        package: package.to_owned(),
        version: version.to_owned(),
        got,
        want: want.trim().to_owned(),
    })
}

/// Unpack an npm tarball's `package/` into `dir`, refusing any entry that
/// is not a plain file or directory below it.
fn unpack(tarball: &[u8], dir: &Path) -> Result<(), BundleError> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tarball));
    std::fs::create_dir_all(dir)?;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let Ok(rel) = path.strip_prefix("package") else {
            continue;
        };
        let safe = rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        let kind = entry.header().entry_type();
        if !safe || !(kind.is_file() || kind.is_dir()) {
            continue;
        }
        let out = dir.join(rel);
        if kind.is_dir() {
            std::fs::create_dir_all(&out)?;
            continue;
        }
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)?;
        }
        entry.unpack(&out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gzipped tar with `entries` (path, contents), written raw so that
    /// paths the `tar` crate's builder would refuse can be tested too.
    fn tarball(entries: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut raw = Vec::new();
        for (path, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_cksum();
            raw.extend_from_slice(header.as_bytes());
            raw.extend_from_slice(data);
            raw.resize(raw.len().div_ceil(512) * 512, 0);
        }
        raw.resize(raw.len() + 1024, 0);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).expect("test io");
        gz.finish().expect("test io")
    }

    #[test]
    fn a_tarball_that_is_not_the_published_one_is_refused() {
        let good = tarball(&[("package/dist/clerk.browser.js", b"ok")]);
        let want = frontdesk_crypto::sha512_integrity(&good);
        assert!(check_integrity("clerk-js", "6.40.0", &good, &format!("{want}\n")).is_ok());
        let mut tampered = good.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let e = check_integrity("clerk-js", "6.40.0", &tampered, &want).expect_err("refused");
        assert!(matches!(e, BundleError::Integrity { .. }), "{e}");
    }

    #[test]
    fn unpacking_keeps_to_the_package_directory() {
        let dir = tempfile::tempdir().expect("test io");
        let out = dir.path().join("out");
        let archive = tarball(&[
            ("package/dist/clerk.browser.js", b"ok"),
            ("package/../../escaped.js", b"no"),
            ("other/dist/x.js", b"no"),
        ]);
        unpack(&archive, &out).expect("test io");
        assert_eq!(
            std::fs::read(out.join("dist/clerk.browser.js")).expect("test io"),
            b"ok"
        );
        assert!(!dir.path().join("escaped.js").exists());
        assert!(!out.join("../escaped.js").exists());
        assert!(!out.join("other").exists());
    }

    #[test]
    fn exact_versions_and_ranges() {
        assert!(is_exact("6.40.0"));
        assert!(is_exact("1.36.0-beta.2"));
        for range in ["6", "1", "latest", "6.40", "^6.40.0", "6.x"] {
            assert!(!is_exact(range), "{range}");
        }
        assert_eq!(last_string("\"6.40.0\"").as_deref(), Some("6.40.0"));
        assert_eq!(
            last_string("[\"1.33.1\",\"1.36.0\"]").as_deref(),
            Some("1.36.0")
        );
    }
}
