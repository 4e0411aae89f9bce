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

/// Marks a request already logged and counted, for routers that hand
/// requests on to other routers (`routing`).
#[derive(Clone, Copy)]
struct Observed;

/// [`observe`] for a router whose unmatched requests fall through to
/// another router: those are left for that router to observe, under the
/// route it matches.
pub async fn observe_routed(state: State<AppState>, req: Request, next: Next) -> Response {
    if req.extensions().get::<MatchedPath>().is_none() {
        return next.run(req).await;
    }
    observe(state, req, next).await
}

/// Wraps every request (once, however many routers it passes through).
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.extensions().get::<Observed>().is_some() {
        return next.run(req).await;
    }
    req.extensions_mut().insert(Observed);
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
        client_ip: crate::extract::client_ip(&state, &req)
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
        method: method_label(&method).to_owned(),
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

/// The method as a metrics label: the methods Frontdesk serves, and `other`
/// for any extension method, so that a client inventing method names cannot
/// add series without bound (finding F10).
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Admission: at most `max_requests_in_flight` requests are handled at once;
/// one that finds them all busy waits up to [`ADMISSION_WAIT`] for a turn, then
/// is answered 503 with `Retry-After`. Under overload the server keeps
/// serving what it can at full speed and refuses the rest cheaply, instead of
/// letting every request's latency grow with the queue (security.md §4.2).
/// `/healthz` and `/metrics` are always answered.
pub async fn admission(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(req.uri().path(), "/healthz" | "/metrics") {
        return next.run(req).await;
    }
    let permit = match state.in_flight.clone().try_acquire_owned() {
        Ok(p) => p,
        Err(_) => {
            match tokio::time::timeout(ADMISSION_WAIT, state.in_flight.clone().acquire_owned())
                .await
            {
                Ok(Ok(p)) => p,
                _ => {
                    state.metrics.shed.inc();
                    return crate::error::ApiError::unavailable(1).into_response();
                }
            }
        }
    };
    let res = next.run(req).await;
    drop(permit);
    res
}

/// How long a request may wait for a turn before it is refused.
pub const ADMISSION_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Refuse control characters in the path and the query string (NUL above
/// all: PostgreSQL cannot store it), naming the parameter, before any
/// handler or query sees them (finding F8).
pub async fn reject_control_characters(req: Request, next: Next) -> Response {
    if let Some(param) = bad_uri_part(req.uri()) {
        return crate::error::ApiError::bad_param(
            &param,
            "form_param_format_invalid",
            format!("`{param}` contains control characters"),
        )
        .into_response();
    }
    next.run(req).await
}

/// The part of a URI that holds a control character once decoded: `path`, or
/// the name of the query parameter.
fn bad_uri_part(uri: &axum::http::Uri) -> Option<String> {
    let decoded_path = percent_decode(uri.path());
    if decoded_path.chars().any(char::is_control) {
        return Some("path".to_owned());
    }
    let query = uri.query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k.chars().chain(v.chars()).any(char::is_control))
        .map(|(k, _)| {
            if k.chars().any(char::is_control) {
                "query".to_owned()
            } else {
                k.into_owned()
            }
        })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_uris_are_found() {
        let uri = |s: &str| s.parse::<axum::http::Uri>().expect("uri");
        assert_eq!(bad_uri_part(&uri("/v1/users/%00")), Some("path".into()));
        assert_eq!(
            bad_uri_part(&uri("/v1/users?query=%00&limit=1")),
            Some("query".into())
        );
        assert_eq!(
            bad_uri_part(&uri("/v1/users?limit=1&email_address=a%0Ab")),
            Some("email_address".into())
        );
        assert_eq!(bad_uri_part(&uri("/v1/users?query=%C3%A9&x=%25")), None);
        assert_eq!(bad_uri_part(&uri("/v1/users/user_1")), None);
    }

    #[test]
    fn invented_methods_share_one_label() {
        let m = Method::from_bytes(b"M12345").expect("method");
        assert_eq!(method_label(&m), "other");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
    }
}
