//! Who is at the other end of the connection.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};

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
