//! The server under test: building it, starting it on a fresh data dir,
//! watching it, stopping it.
//!
//! Benchmarks measure the real `frontdesk` binary, started the way an operator
//! starts it (`frontdesk serve` configured through `FRONTDESK_*` variables),
//! rather than an in-process `Application`: start-up cost, memory and
//! shutdown are properties of the process, and an in-process server would
//! share the harness's allocator, runtime and page cache.
//!
//! Readiness is polled with a hand-written HTTP/1.1 request over a plain
//! `TcpStream`: it costs microseconds, needs no runtime in the harness, and
//! the 2 ms poll interval bounds how much it can add to a measured start.

use std::env;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use tempfile::TempDir;

/// How long a server may take to answer `GET /readyz` with 200 before the run
/// is abandoned: far above any acceptable start, short enough to fail fast.
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a server may take to exit after SIGTERM before it is killed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Between readiness probes: fine enough for a figure quoted to the
/// millisecond, coarse enough not to compete with the server for the CPU.
const POLL_INTERVAL: Duration = Duration::from_millis(2);

/// Builds `frontdesk` in release mode and returns its path, or checks and
/// returns `explicit` (`--binary`) without building.
///
/// The build goes through the same `cargo` that runs the harness (`$CARGO`)
/// and inherits `CARGO_TARGET_DIR`, so the server lands in the same target
/// directory as the harness: `<target>/release/frontdesk`.
pub fn server_binary(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        ensure!(path.is_file(), "--binary {}: no such file", path.display());
        return Ok(path.to_path_buf());
    }
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let args = [
        "build",
        "--release",
        "-p",
        "frontdesk-cli",
        "--bin",
        "frontdesk",
    ];
    eprintln!("building the server: cargo {}", args.join(" "));
    let status = Command::new(&cargo)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .with_context(|| format!("cannot run {}", cargo.to_string_lossy()))?;
    ensure!(
        status.success(),
        "building the server failed ({status}); to measure an already built binary, pass --binary PATH"
    );

    // The harness is normally `<target>/release/frontdesk-bench`; if it was
    // built without `--release` it is in `<target>/debug/`, and the server is
    // still in `<target>/release/`.
    let exe = env::current_exe().context("cannot locate the running harness")?;
    let target = exe
        .parent()
        .and_then(Path::parent)
        .with_context(|| format!("no target directory above {}", exe.display()))?;
    let binary = target
        .join("release")
        .join(format!("frontdesk{}", env::consts::EXE_SUFFIX));
    ensure!(
        binary.is_file(),
        "the server was built but is not at {} (built into another target directory? pass --binary PATH)",
        binary.display()
    );
    Ok(binary)
}

/// This checkout's workspace root, so that the build works from any current
/// directory.
fn workspace_root() -> &'static Path {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.ancestors().nth(2).unwrap_or(manifest_dir)
}

/// A port nobody listens on right now. Another process could take it before
/// the server binds it; on a benchmark machine that is rare enough to retry by
/// hand.
pub fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot bind a local port")?;
    Ok(listener.local_addr()?.port())
}

/// A running `frontdesk serve` on an empty data dir of its own. Dropping it
/// kills the process (if still running) and deletes the directory.
pub struct Server {
    child: Child,
    port: u16,
    started: Instant,
    // Declared last: removed after the process is gone.
    dir: TempDir,
}

/// How a server ended after [`Server::stop`].
#[derive(Debug)]
pub struct Stopped {
    /// From SIGTERM to exit.
    pub after: Duration,
    pub status: ExitStatus,
    /// It did not exit within the timeout and was sent SIGKILL.
    pub killed: bool,
}

impl Server {
    /// Starts `binary serve` on `127.0.0.1:<free port>` with a fresh, empty
    /// data dir, and returns as soon as the process is spawned.
    ///
    /// The child's configuration is exactly what is set here: inherited
    /// `FRONTDESK_*` variables are removed, and it runs inside its temporary
    /// directory so that no `./frontdesk.toml` is picked up. Its stdout (which
    /// shows the first secret key) goes nowhere; its stderr goes to a file
    /// quoted in errors.
    pub fn spawn(binary: &Path) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("frontdesk-bench-")
            .tempdir()
            .context("cannot create a temporary directory")?;
        let port = free_port()?;
        let log =
            File::create(dir.path().join("server.log")).context("cannot create the server log")?;

        let mut cmd = Command::new(binary);
        cmd.arg("serve")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        for (key, _) in env::vars_os() {
            if key.to_str().is_some_and(|k| k.starts_with("FRONTDESK_")) {
                cmd.env_remove(key);
            }
        }
        cmd.env("FRONTDESK_DATA_DIR", dir.path().join("data"))
            .env("FRONTDESK_PORT", port.to_string())
            .env("FRONTDESK_HOST", "127.0.0.1")
            .env("RUST_LOG", "warn");

        let started = Instant::now();
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        Ok(Self {
            child,
            port,
            started,
            dir,
        })
    }

    /// Polls `GET /readyz` until it answers 200, and returns the time from
    /// spawn to that answer.
    pub fn wait_ready(&mut self, timeout: Duration) -> Result<Duration> {
        loop {
            let last = match probe(self.port, "/readyz") {
                Ok(200) => return Ok(self.started.elapsed()),
                Ok(code) => format!("HTTP {code}"),
                Err(e) => e.to_string(),
            };
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "`frontdesk serve` exited ({status}) before it was ready{}",
                    self.log_tail()
                );
            }
            if self.started.elapsed() >= timeout {
                bail!(
                    "`frontdesk serve` was not ready within {} s (GET /readyz on port {}: {last}){}",
                    timeout.as_secs(),
                    self.port,
                    self.log_tail()
                );
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// Resident memory of the server process (`VmRSS` in
    /// `/proc/<pid>/status`), in bytes. Linux only.
    pub fn rss_bytes(&mut self) -> Result<u64> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "`frontdesk serve` exited ({status}) while idle{}",
                self.log_tail()
            );
        }
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {path} (Linux only)"))?;
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|n| n.trim().parse().ok())
            .with_context(|| format!("no VmRSS line in {path}"))?;
        Ok(kib * 1024)
    }

    /// Sends SIGTERM (through `kill(1)`, the harness forbids `unsafe`) and
    /// waits for the exit; sends SIGKILL after `timeout`.
    pub fn stop(mut self, timeout: Duration) -> Result<Stopped> {
        let pid = self.child.id().to_string();
        let sent = Instant::now();
        let kill = Command::new("kill")
            .args(["-TERM", &pid])
            .stderr(Stdio::null())
            .status()
            .context("cannot run `kill -TERM`")?;
        if !kill.success() && self.child.try_wait()?.is_none() {
            bail!("`kill -TERM {pid}` failed ({kill})");
        }
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Stopped {
                    after: sent.elapsed(),
                    status,
                    killed: false,
                });
            }
            if sent.elapsed() >= timeout {
                self.child.kill().context("cannot kill the server")?;
                let status = self.child.wait()?;
                return Ok(Stopped {
                    after: sent.elapsed(),
                    status,
                    killed: true,
                });
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// The last lines the server wrote on stderr, for error messages.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            return String::new();
        }
        let tail = &lines[lines.len().saturating_sub(5)..];
        format!("; its stderr ends with:\n    {}", tail.join("\n    "))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One `GET` on a fresh connection; returns the status code.
fn probe(port: u16, path: &str) -> io::Result<u16> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    stream.set_write_timeout(Some(Duration::from_secs(1)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;

    // Only the status line matters: "HTTP/1.1 200 OK\r\n".
    let mut buf = [0u8; 64];
    let mut len = 0;
    while len < buf.len() && !buf[..len].contains(&b'\n') {
        match stream.read(&mut buf[len..])? {
            0 => break,
            n => len += n,
        }
    }
    let line = String::from_utf8_lossy(&buf[..len]);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not an HTTP response: {line:?}"),
            )
        })
}
