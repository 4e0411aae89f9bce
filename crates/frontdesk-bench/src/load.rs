//! HTTP load against the server under test: one-off requests to set things up,
//! and a closed-loop load generator for throughput benchmarks.
//!
//! The load generator shares the machine with the server it measures, so it
//! is built to cost as little CPU per request as possible: one OS thread (a
//! current-thread tokio runtime), `C` keep-alive HTTP/1.1 connections, each
//! sending one pre-serialised request, waiting for the whole response, and
//! sending the next (closed loop: `C` requests in flight at all times). The
//! HTTP/1.1 client is hand-written: it writes a fixed byte string, reads the
//! status line and `Content-Length`, and skips the body, which is all a
//! throughput figure needs and avoids the allocations and task hops of a
//! general-purpose client.
//!
//! Only responses that complete inside the measurement window (after the
//! warm-up) count towards throughput and latency; any status other than the
//! expected one is an error, counted over the whole run.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use crate::report::percentile;
use crate::server::{MachineCpu, context_switches, cpu_time, machine_cpu, processes_cpu_time};

/// An HTTP/1.1 request, serialised once and sent as is.
#[derive(Debug, Clone)]
pub struct Request {
    bytes: Vec<u8>,
}

impl Request {
    /// `method path` to `127.0.0.1:port`, with `Authorization: Bearer
    /// <bearer>` if given, and a JSON body if given.
    pub fn new(
        port: u16,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        json: Option<&str>,
    ) -> Self {
        let mut text = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
        if let Some(key) = bearer {
            text.push_str(&format!("Authorization: Bearer {key}\r\n"));
        }
        if let Some(body) = json {
            text.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
        } else {
            text.push_str("\r\n");
        }
        Self {
            bytes: text.into_bytes(),
        }
    }

    /// The request as sent.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Sends the request once, on a connection of its own, and returns the
    /// status code and the body. For setting up a benchmark, not for load.
    pub fn send(&self, port: u16) -> Result<(u16, String)> {
        Conn::open(port)?.call(self)
    }
}

/// One blocking keep-alive connection, for request sequences in which each
/// request depends on the last response (a sign-in flow), one per thread.
pub struct Conn {
    port: u16,
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub fn open(port: u16) -> Result<Self> {
        Ok(Self {
            port,
            stream: connect(port)?,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends `request` and returns the status and the body. After an error
    /// the connection is replaced: a response may still be on its way.
    pub fn call(&mut self, request: &Request) -> Result<(u16, String)> {
        let result = self.exchange(request);
        if result.is_err() {
            self.stream = connect(self.port)?;
        }
        result
    }

    fn exchange(&mut self, request: &Request) -> Result<(u16, String)> {
        self.stream.write_all(&request.bytes)?;
        self.buf.clear();
        loop {
            if let Some(head) = parse_head(&self.buf)? {
                let end = head.len + head.content_length;
                if self.buf.len() >= end {
                    let body = String::from_utf8_lossy(&self.buf[head.len..end]).into_owned();
                    if head.close {
                        self.stream = connect(self.port)?;
                    }
                    return Ok((head.status, body));
                }
            }
            let mut chunk = [0u8; 8192];
            match self.stream.read(&mut chunk) {
                Ok(0) => bail!("the server closed the connection mid-response"),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                // A signal to this process (a child exiting) is not the
                // server's doing: read again.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

fn connect(port: u16) -> Result<TcpStream> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    Ok(stream)
}

/// How to load the server.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Connections, each with one request in flight.
    pub concurrency: usize,
    /// Requests sent before measuring, to warm caches, pools and the CPU.
    pub warmup: Duration,
    /// How long throughput is measured.
    pub window: Duration,
    /// The only status that is not an error.
    pub expect_status: u16,
    /// Also measure the CPU time of the local processes with this command
    /// name (e.g. `postgres`), which compete for the same cores.
    pub watch: Option<&'static str>,
}

/// What a [`Load`] measured.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Expected responses completed within the window.
    pub ok: u64,
    /// Length of the window in which `ok` is counted.
    pub window: Duration,
    /// Time between the CPU readings at the window's edges, which the CPU
    /// times below cover (the window, give or take the readings).
    pub cpu_window: Duration,
    /// Unexpected statuses over the whole run (warm-up included).
    pub errors: u64,
    /// The first unexpected response: status and the start of its body.
    pub first_error: Option<String>,
    /// Latencies of the requests counted in `ok`, in milliseconds, sorted.
    pub latencies_ms: Vec<f64>,
    /// CPU time the server process used during the window.
    pub server_cpu: Duration,
    /// Context switches of the server's threads during the window.
    pub server_context_switches: u64,
    /// CPU time this process (the load generator) used during the window.
    pub harness_cpu: Duration,
    /// CPU time of the [`Load::watch`] processes during the window.
    pub watched_cpu: Option<Duration>,
    /// CPU time of the whole machine during the window (server, load
    /// generator, database server, anything else), all CPUs together.
    pub machine: MachineCpu,
}

impl Measured {
    /// Expected responses per second within the window.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.window.as_secs_f64()
    }

    /// The `p`th latency percentile, in milliseconds (`NaN` if none).
    pub fn latency_ms(&self, p: f64) -> f64 {
        percentile(&self.latencies_ms, p)
    }

    /// Server CPU time per counted request, in microseconds.
    pub fn server_cpu_us_per_request(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1e6 / self.ok.max(1) as f64
    }

    /// Server context switches per counted request.
    pub fn server_switches_per_request(&self) -> f64 {
        self.server_context_switches as f64 / self.ok.max(1) as f64
    }
}

/// Sends `requests` to `127.0.0.1:port` over `load.concurrency` keep-alive
/// connections for `load.warmup + load.window`, and measures the window:
/// connection `i` sends `requests[i]`, `requests[i + C]`, … in turn (`C`
/// connections), so that one connection's requests can differ (distinct
/// sessions, say). `server_pid` is the process whose CPU time is read at
/// the window's edges.
pub fn run_many(port: u16, server_pid: u32, requests: &[Request], load: Load) -> Result<Measured> {
    ensure!(
        load.concurrency > 0,
        "no connections to load the server with"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the load generator's runtime")?;
    runtime.block_on(run_async(port, server_pid, requests, load))
}

/// Samples of one connection.
#[derive(Default)]
struct Worker {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latencies_ms: Vec<f64>,
}

async fn run_async(
    port: u16,
    server_pid: u32,
    requests: &[Request],
    load: Load,
) -> Result<Measured> {
    ensure!(!requests.is_empty(), "no requests to send");
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut connections = Vec::with_capacity(load.concurrency);
    for _ in 0..load.concurrency {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true)?;
        connections.push(stream);
    }

    let start = Instant::now();
    let from = start + load.warmup;
    let until = from + load.window;
    // Spawned tasks run on this thread: the runtime has no other.
    let mut tasks = tokio::task::JoinSet::new();
    let c = connections.len();
    for (i, stream) in connections.into_iter().enumerate() {
        let bytes: Vec<Vec<u8>> = requests
            .iter()
            .skip(i % requests.len())
            .step_by(c)
            .map(|r| r.bytes.clone())
            .collect();
        let expect = load.expect_status;
        tasks.spawn(worker(stream, addr, bytes, expect, from, until));
    }

    // CPU time at the window's edges. Reading /proc takes microseconds; it
    // happens on the load generator's thread, which only delays its requests
    // by as much.
    tokio::time::sleep_until(from).await;
    let server_before = cpu_time(server_pid)?;
    let switches_before = context_switches(server_pid)?;
    let harness_before = cpu_time(std::process::id())?;
    let watched_before = load.watch.map(processes_cpu_time).transpose()?;
    let machine_before = machine_cpu()?;
    let cpu_start = std::time::Instant::now();
    tokio::time::sleep_until(until).await;
    let server_cpu = cpu_time(server_pid)?.saturating_sub(server_before);
    let server_context_switches = context_switches(server_pid)?.saturating_sub(switches_before);
    let harness_cpu = cpu_time(std::process::id())?.saturating_sub(harness_before);
    let watched_cpu = match (load.watch, watched_before) {
        (Some(name), Some(before)) => Some(processes_cpu_time(name)?.saturating_sub(before)),
        _ => None,
    };
    let machine = machine_cpu()?.since(machine_before);
    let cpu_window = cpu_start.elapsed();

    let mut total = Worker::default();
    while let Some(joined) = tasks.join_next().await {
        let w = joined.context("a load generator task panicked")??;
        total.ok += w.ok;
        total.errors += w.errors;
        total.first_error = total.first_error.or(w.first_error);
        total.latencies_ms.extend(w.latencies_ms);
    }
    total.latencies_ms.sort_by(f64::total_cmp);
    Ok(Measured {
        ok: total.ok,
        window: load.window,
        cpu_window,
        errors: total.errors,
        first_error: total.first_error,
        latencies_ms: total.latencies_ms,
        server_cpu,
        server_context_switches,
        harness_cpu,
        watched_cpu,
        machine,
    })
}

/// One connection's closed loop: send, read the whole response, repeat until
/// `until`. Reconnects if the server closes the connection.
async fn worker(
    mut stream: tokio::net::TcpStream,
    addr: SocketAddr,
    requests: Vec<Vec<u8>>,
    expect: u16,
    from: Instant,
    until: Instant,
) -> Result<Worker> {
    let mut w = Worker::default();
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut next = requests.iter().cycle();
    loop {
        let request = next.next().context("no request for this connection")?;
        let sent = Instant::now();
        if sent >= until {
            return Ok(w);
        }
        stream
            .write_all(request)
            .await
            .context("sending a request")?;
        buf.clear();
        let head = loop {
            if let Some(head) = parse_head(&buf)?
                && buf.len() >= head.len + head.content_length
            {
                break head;
            }
            if buf.capacity() - buf.len() < 4096 {
                buf.reserve(16 * 1024);
            }
            let n = stream
                .read_buf(&mut buf)
                .await
                .context("reading a response")?;
            ensure!(n > 0, "the server closed the connection mid-response");
        };
        let done = Instant::now();
        if head.status == expect {
            if done >= from && done <= until {
                w.ok += 1;
                w.latencies_ms
                    .push(done.duration_since(sent).as_secs_f64() * 1e3);
            }
        } else {
            w.errors += 1;
            if w.first_error.is_none() {
                let end = (head.len + head.content_length).min(head.len + 200);
                w.first_error = Some(format!(
                    "HTTP {}: {}",
                    head.status,
                    String::from_utf8_lossy(&buf[head.len..end])
                ));
            }
        }
        ensure!(
            buf.len() == head.len + head.content_length,
            "the server sent more than one response to one request"
        );
        if head.close {
            stream = tokio::net::TcpStream::connect(addr)
                .await
                .with_context(|| format!("cannot reconnect to {addr}"))?;
            stream.set_nodelay(true)?;
        }
    }
}

/// The parts of a response head that the client needs.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    /// Bytes up to and including the blank line.
    len: usize,
    content_length: usize,
    /// `Connection: close`.
    close: bool,
}

/// `None` until the whole head (`…\r\n\r\n`) is in `buf`.
fn parse_head(buf: &[u8]) -> Result<Option<Head>> {
    let Some(blank) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        ensure!(buf.len() < 64 * 1024, "response head larger than 64 KiB");
        return Ok(None);
    };
    let text = std::str::from_utf8(&buf[..blank]).context("response head is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP response: {status_line:?}"))?;
    let mut content_length = None;
    let mut close = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .parse()
                    .with_context(|| format!("bad Content-Length: {value:?}"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("chunked responses are not supported by the benchmark client ({line})");
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    Ok(Some(Head {
        status,
        len: blank + 4,
        content_length: content_length.unwrap_or(0),
        close,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_parsed_once_complete() {
        let response =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_head(&response[..20]).expect("partial"), None);
        let head = parse_head(response).expect("valid").expect("complete");
        assert_eq!(
            head,
            Head {
                status: 200,
                len: response.len() - 2,
                content_length: 2,
                close: false,
            }
        );
        let closing = parse_head(b"HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\n\r\n")
            .expect("valid")
            .expect("complete");
        assert_eq!(
            (closing.status, closing.content_length, closing.close),
            (429, 0, true)
        );
        assert!(parse_head(b"SSH-2.0\r\n\r\n").is_err());
    }

    #[test]
    fn requests_are_serialised_with_their_body() {
        let r = Request::new(4000, "POST", "/v1/x", Some("sk_test_a"), Some("{}"));
        assert_eq!(
            String::from_utf8_lossy(&r.bytes),
            "POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1:4000\r\nAuthorization: Bearer sk_test_a\r\n\
             Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        );
    }
}
