//! Prometheus metrics (`GET /metrics`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of the HTTP metrics. `route` is the matched route template
/// (`/v1/users/{user_id}`), never the raw path, so ids do not explode the
/// label space.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<HttpLabels, Histogram>,
    /// Password hashes and verifications run (real and dummy alike): the
    /// proof that unknown accounts cost the same work as known ones, and
    /// that refused inputs cost none.
    pub password_hashes: Counter,
    /// Webhook delivery attempts recorded by this node's worker.
    pub webhook_attempts: Counter,
    /// Requests refused with 503 because too many were in flight.
    pub shed: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("frontdesk");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration = Family::<HttpLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 14))
        });
        registry.register(
            "http_requests",
            "HTTP requests handled",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            http_duration.clone(),
        );
        let password_hashes = Counter::default();
        registry.register(
            "password_hashes",
            "argon2id/bcrypt hashes and verifications run",
            password_hashes.clone(),
        );
        let webhook_attempts = Counter::default();
        registry.register(
            "webhook_attempts",
            "Webhook delivery attempts recorded",
            webhook_attempts.clone(),
        );
        let shed = Counter::default();
        registry.register(
            "requests_shed",
            "Requests refused with 503 because too many were in flight",
            shed.clone(),
        );
        Self {
            registry,
            http_requests,
            http_duration,
            password_hashes,
            webhook_attempts,
            shed,
        }
    }
}

impl Metrics {
    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
