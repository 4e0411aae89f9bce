//! A webhook receiver on a loopback port, for `webhooks` and
//! `webhook-faults`: verifies every request's Svix signature with the
//! Frontdesk SDK, answers as its [`Behaviour`] says, and keeps per message
//! what arrived and what it answered.
//!
//! It runs on one thread of its own (a current-thread tokio runtime), so
//! its CPU cost is bounded and visible.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread;

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use frontdesk::webhook::{Headers, Webhook};

/// How the receiver answers.
#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
    /// 204 to everything.
    Healthy,
    /// 500 to `fail` of requests and no answer at all to `hang` of them
    /// (fractions), 204 to the rest.
    Flaky { fail: f64, hang: f64 },
}

/// What one message (one `svix-id`) got.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub requests: u32,
    pub bad_signatures: u32,
    pub answered_2xx: u32,
    pub answered_500: u32,
    pub hung: u32,
    /// Hash of the first body; `bodies_differ` if a later one was not equal.
    pub body_hash: u64,
    pub bodies_differ: bool,
    pub event_type: String,
}

struct Shared {
    secret: Mutex<Option<Webhook>>,
    behaviour: Behaviour,
    seen: Mutex<HashMap<String, Seen>>,
    /// Requests without a usable `svix-id`.
    anonymous: Mutex<u64>,
}

pub struct Receiver {
    pub port: u16,
    shared: Arc<Shared>,
}

impl Receiver {
    pub fn start(behaviour: Behaviour) -> Result<Self> {
        let std_listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .context("cannot bind the receiver")?;
        std_listener.set_nonblocking(true)?;
        let port = std_listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            secret: Mutex::new(None),
            behaviour,
            seen: Mutex::new(HashMap::new()),
            anonymous: Mutex::new(0),
        });
        let state = shared.clone();
        thread::Builder::new()
            .name("webhook-receiver".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("receiver runtime");
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(std_listener).expect("receiver listener");
                    let app = axum::Router::new().fallback(handle).with_state(state);
                    let _ = axum::serve(listener, app).await;
                });
            })
            .context("cannot start the receiver thread")?;
        Ok(Self { port, shared })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/webhooks", self.port)
    }

    /// The endpoint's secret, once Frontdesk has made it.
    pub fn set_secret(&self, secret: &str) -> Result<()> {
        let wh = Webhook::new(secret).map_err(|e| anyhow::anyhow!("secret: {e}"))?;
        *lock(&self.shared.secret) = Some(wh);
        Ok(())
    }

    pub fn seen(&self) -> HashMap<String, Seen> {
        lock(&self.shared.seen).clone()
    }

    /// Messages answered with a 2xx at least once.
    pub fn delivered(&self) -> usize {
        lock(&self.shared.seen)
            .values()
            .filter(|s| s.answered_2xx > 0)
            .count()
    }

    pub fn anonymous(&self) -> u64 {
        *lock(&self.shared.anonymous)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

enum Reply {
    Ok,
    Fail,
    Hang,
}

fn roll(behaviour: Behaviour, id: &str, nth: u32) -> Reply {
    match behaviour {
        Behaviour::Healthy => Reply::Ok,
        Behaviour::Flaky { fail, hang } => {
            // Deterministic per (message, attempt), uniformly spread.
            let mut h = DefaultHasher::new();
            (id, nth, 0x5eed_u32).hash(&mut h);
            let x = (h.finish() >> 11) as f64 / (1u64 << 53) as f64;
            if x < hang {
                Reply::Hang
            } else if x < hang + fail {
                Reply::Fail
            } else {
                Reply::Ok
            }
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(id) = get("svix-id").map(str::to_owned) else {
        *lock(&shared.anonymous) += 1;
        return StatusCode::BAD_REQUEST;
    };
    let valid = match (lock(&shared.secret).as_ref(), Headers::from_fn(get)) {
        (Some(wh), Ok(h)) => wh.verify(&h, &body).is_ok(),
        _ => false,
    };
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    let hash = hasher.finish();
    let reply = {
        let mut seen = lock(&shared.seen);
        let entry = seen.entry(id.clone()).or_default();
        if entry.requests == 0 {
            entry.body_hash = hash;
            entry.event_type = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_owned))
                .unwrap_or_default();
        } else if entry.body_hash != hash {
            entry.bodies_differ = true;
        }
        let reply = roll(shared.behaviour, &id, entry.requests);
        entry.requests += 1;
        if !valid {
            entry.bad_signatures += 1;
        }
        // A request with a bad signature is refused, as a real receiver would.
        match (valid, &reply) {
            (false, _) => entry.answered_500 += 1,
            (true, Reply::Ok) => entry.answered_2xx += 1,
            (true, Reply::Fail) => entry.answered_500 += 1,
            (true, Reply::Hang) => entry.hung += 1,
        }
        if valid { reply } else { Reply::Fail }
    };
    match reply {
        Reply::Ok => StatusCode::NO_CONTENT,
        Reply::Fail => StatusCode::INTERNAL_SERVER_ERROR,
        Reply::Hang => std::future::pending().await,
    }
}
