//! Per-IP rate limits on the Frontend API (security.md B3): starting a
//! sign-in or sign-up, 5 per 10 s; attempting a factor, 3 per 10 s.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::rate_limit::RateLimiter;
use crate::state::AppState;

/// The client's address: the peer, or the last `X-Forwarded-For` hop when the
/// peer is a trusted proxy. A header from anyone else is ignored, so rotating
/// it does not reset the limits.
pub fn client_ip(state: &AppState, req: &Request) -> Option<IpAddr> {
    ip_of(state, req.extensions(), req.headers())
}

/// [`client_ip`] for an extractor's request parts.
pub fn peer_ip(state: &AppState, parts: &axum::http::request::Parts) -> Option<IpAddr> {
    ip_of(state, &parts.extensions, &parts.headers)
}

fn ip_of(
    state: &AppState,
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    if !state.config.trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse().ok())
        .or(Some(peer))
}

async fn limit(
    state: &AppState,
    limiter: &RateLimiter<IpAddr>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(ip) = client_ip(state, &req)
        && let Err(wait) = limiter.hit(&ip)
    {
        return ApiError::rate_limited(wait).into_response();
    }
    next.run(req).await
}

/// For routes that start a sign-in or sign-up.
pub async fn creates(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limiter = state.create_limiter.clone();
    limit(&state, &limiter, req, next).await
}

/// For routes that attempt a password or code.
pub async fn attempts(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limiter = state.attempt_limiter.clone();
    limit(&state, &limiter, req, next).await
}
