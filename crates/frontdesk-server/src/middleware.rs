//! Cross-cutting request handling: request ids, the request span, access log,
//! metrics, and turning 5xx causes into one log line plus an opaque body.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::error::{InternalCause, internal_error_body};
use crate::metrics::HttpLabels;
use crate::state::AppState;

/// Header carrying the request id, in and out.
pub const REQUEST_ID: &str = "x-request-id";

fn request_id(req: &Request) -> String {
    // Accept a caller's id (a proxy's) only if it is short and plain, so it
    // cannot inject text into logs.
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| format!("req_{}", frontdesk_types::id::random_base62(12)))
}

/// Wraps every request.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let meta = crate::services::events::RequestMeta {
        client_ip: crate::routes::frontend::limits::client_ip(&state, &req)
            .map(|ip| ip.to_string())
            .unwrap_or_default(),
        user_agent: req
            .headers()
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    };
    let mut res = crate::services::events::REQUEST
        .scope(meta, next.run(req).instrument(span.clone()))
        .await;
    let status = res.status();
    // Whatever this request changed is committed now: sessions read for
    // minting before it are read again (`MintCache`). Minting changes none.
    if !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS)
        && !route.ends_with("/tokens")
    {
        state.mint_cache.invalidate();
        // …and any event it wrote is in the outbox.
        state.webhooks.wake();
    }

    if let Some(InternalCause(cause)) = res.extensions_mut().remove::<InternalCause>() {
        span.in_scope(|| tracing::error!(%cause, "request failed"));
        res = internal_error_body(Some(&id));
    }
    let elapsed = started.elapsed();
    span.in_scope(|| {
        tracing::debug!(
            status = status.as_u16(),
            latency_ms = elapsed.as_secs_f64() * 1e3,
            "done"
        )
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    let labels = HttpLabels {
        method: method.to_string(),
        route,
        status: status.as_u16(),
    };
    state.metrics.http_requests.get_or_create(&labels).inc();
    state
        .metrics
        .http_duration
        .get_or_create(&labels)
        .observe(elapsed.as_secs_f64());
    res
}

/// A panic in a handler becomes a logged 500, not a dropped connection.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned());
    crate::error::ApiError::Internal(format!("handler panicked: {detail}")).into_response()
}
