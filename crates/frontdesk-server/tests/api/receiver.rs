//! A webhook receiver for tests: a real HTTP server on a loopback port that
//! records every request and answers as the test says.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::Notify;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
    pub at: Instant,
}

impl Received {
    pub fn svix_id(&self) -> &str {
        self.headers["svix-id"].to_str().unwrap()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }

    /// Verified with the real `svix` crate.
    pub fn verify(&self, secret: &str) -> Result<(), svix::webhooks::WebhookError> {
        svix::webhooks::Webhook::new(secret)?.verify(self.body.as_bytes(), &self.headers)
    }
}

/// How to answer a request.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// Never answer (until the client gives up).
    Hang,
    /// A redirect to `location`.
    Redirect(String),
    /// 200 with a body of this many bytes.
    Big(usize),
}

type Policy = dyn Fn(&HeaderMap, usize) -> Answer + Send + Sync;

struct Shared {
    log: Mutex<Vec<Received>>,
    arrived: Notify,
    policy: Box<Policy>,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    _server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Answer 204 to everything.
    pub async fn ok() -> Self {
        Self::start(|_, _| Answer::Status(204)).await
    }

    /// `policy(headers, n)` decides, `n` being how many requests with this
    /// `svix-id` came before.
    pub async fn start(
        policy: impl Fn(&HeaderMap, usize) -> Answer + Send + Sync + 'static,
    ) -> Self {
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            policy: Box::new(policy),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            shared,
            _server: server,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Wait (at most 20 s) until `done` holds for what has been received.
    pub async fn wait_until(
        &self,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.shared.arrived.notified();
            let log = self.received();
            if done(&log) {
                return log;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if tokio::time::timeout(left, notified).await.is_err() {
                panic!(
                    "timed out waiting for {what}; received: {:#?}",
                    self.received()
                );
            }
        }
    }

    /// Wait for the first event of `event_type`.
    pub async fn event(&self, event_type: &str) -> Received {
        let log = self
            .wait_until(event_type, |log| {
                log.iter().any(|r| r.json()["type"] == event_type)
            })
            .await;
        log.into_iter()
            .find(|r| r.json()["type"] == event_type)
            .unwrap()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let id = headers
        .get("svix-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let before = shared
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.headers.get("svix-id").and_then(|v| v.to_str().ok()) == Some(id.as_str()))
        .count();
    let answer = (shared.policy)(&headers, before);
    shared.log.lock().unwrap().push(Received {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    });
    shared.arrived.notify_waiters();
    match answer {
        Answer::Status(c) => StatusCode::from_u16(c).unwrap().into_response(),
        Answer::Hang => std::future::pending::<Response>().await,
        Answer::Redirect(to) => (StatusCode::FOUND, [("location", to)]).into_response(),
        Answer::Big(n) => "x".repeat(n).into_response(),
    }
}
