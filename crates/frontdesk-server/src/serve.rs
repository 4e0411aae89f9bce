//! The accept loop: HTTP/1.1 connections with read deadlines and caps.
//!
//! `axum::serve` reads headers and bodies for as long as a client takes, so a
//! few hundred connections that send half a header line each ("slowloris")
//! hold sockets and file descriptors forever (finding F9). Here every
//! connection gets a deadline for each request head (which also closes
//! keep-alive connections left idle that long), bodies get one through the
//! router's `RequestBodyTimeoutLayer`, and connections are capped in all and
//! per client address. A connection over a cap is closed at once, so the
//! accept queue keeps moving and the server keeps its descriptors for
//! clients that send requests.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// Deadlines and caps of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Longest wait for a complete request head, also between requests on a
    /// kept-alive connection.
    pub header_read_timeout: Duration,
    /// Connections open at once, in all.
    pub max_connections: usize,
    /// Connections open at once from one client address.
    pub max_connections_per_ip: usize,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

/// Open connections, in all and per address.
#[derive(Default)]
struct Connections {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// A slot of [`Connections`], given back when the connection closes.
struct Slot {
    conns: Arc<Mutex<Connections>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = lock(&self.conns);
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.per_ip.remove(&self.ip);
            }
        }
    }
}

fn lock(m: &Mutex<Connections>) -> std::sync::MutexGuard<'_, Connections> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

fn admit(conns: &Arc<Mutex<Connections>>, ip: IpAddr, limits: &ServeLimits) -> Option<Slot> {
    let mut c = lock(conns);
    let mine = c.per_ip.get(&ip).copied().unwrap_or(0);
    if c.total >= limits.max_connections || mine >= limits.max_connections_per_ip {
        return None;
    }
    c.total += 1;
    c.per_ip.insert(ip, mine + 1);
    Some(Slot {
        conns: conns.clone(),
        ip,
    })
}

/// Serve `router` on `listener` until `shutdown` resolves, then let requests
/// in flight finish (up to `limits.shutdown_grace`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let conns = Arc::new(Mutex::new(Connections::default()));
    let (closing_tx, closing_rx) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    let mut refused: u64 = 0;
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was
                    // taken: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = admit(&conns, peer.ip(), &limits) else {
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(%peer, refused, "connection refused: too many open connections");
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = TowerToHyperService::new(tower::service_fn(
            move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(req.map(Body::new))
            },
        ));
        let mut closing = closing_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = closing.wait_for(|c| *c) => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        });
    }
    drop(listener);
    let _ = closing_tx.send(true);
    let deadline = tokio::time::Instant::now() + limits.shutdown_grace;
    while lock(&conns).total > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// The process's soft limit on open files, from `/proc/self/limits` (Linux);
/// `None` elsewhere or if unreadable.
pub fn open_files_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A connection cap that leaves room, under the descriptor limit, for the
/// database pool, webhook and mail clients and log files.
pub fn default_max_connections() -> usize {
    open_files_limit()
        .map(|n| n.saturating_sub(128).max(64))
        .unwrap_or(4096)
        .min(10_000)
}
