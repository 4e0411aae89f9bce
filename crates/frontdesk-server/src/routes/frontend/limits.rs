//! Per-IP rate limits on the Frontend API (security.md B3): starting a
//! sign-in or sign-up, 5 per 10 s; attempting a factor, 3 per 10 s.

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::extract::client_ip;
use crate::rate_limit::RateLimiter;
use crate::state::AppState;

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
