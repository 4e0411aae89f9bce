//! The whole HTTP surface, and which API a request is for.
//!
//! Clerk serves its Frontend API and its Backend API from different hosts,
//! and their paths overlap (`/v1/organizations…` means one thing to each).
//! Frontdesk serves both from one listener and routes by credential: a
//! request carrying `Authorization: Bearer sk_…` is for the Backend API and
//! is routed among its routes only; any other request is routed among the
//! browser-facing routes (Frontend API, hosted pages) and, when none
//! matches, among the Backend API's, so a Backend API call that forgot its
//! key still gets the Backend API's `401`. Endpoints that need no
//! credential (health, JWKS, avatar, bundles) answer both.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::AUTHORIZATION;
use axum::response::IntoResponse;
use axum::routing::{get, patch};
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::route_not_found;
use crate::state::AppState;
use crate::{middleware, routes};

/// Whether the request presents a secret key, which makes it a Backend API
/// request.
pub fn is_backend(req: &Request) -> bool {
    req.headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.get(..10))
        .is_some_and(|p| p.eq_ignore_ascii_case("bearer sk_"))
}

/// Endpoints that take no credential, on both sides.
fn public() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::health::metrics))
        .route("/.well-known/jwks.json", get(routes::jwks::public))
        .route("/avatar.svg", get(routes::health::avatar))
        .route("/favicon.ico", get(routes::health::favicon))
        .route("/npm/{*path}", get(routes::bundles::serve))
}

/// Clerk's Backend API (and Frontdesk's additions to it).
fn backend() -> Router<AppState> {
    use routes::instance_settings as settings;
    Router::new()
        .route("/v1/jwks", get(routes::jwks::backend))
        .route(
            "/v1/instance",
            get(routes::instance::get).patch(settings::patch_instance),
        )
        .route(
            "/v1/instance/restrictions",
            patch(settings::patch_restrictions),
        )
        .route(
            "/v1/instance/organization_settings",
            get(settings::organization_settings).patch(settings::patch_organization_settings),
        )
        .route(
            "/v1/instance/settings",
            get(settings::all).patch(settings::patch_all),
        )
        .route(
            "/v1/instance/session_token_template",
            get(routes::instance::template)
                .put(routes::instance::put_template)
                .delete(routes::instance::delete_template),
        )
        .merge(routes::organizations::backend_router())
        .merge(routes::users::router())
        .merge(routes::user_factors::router())
        .merge(routes::user_accounts::router())
        .merge(routes::email_addresses::router())
        .merge(routes::sessions::router())
        .merge(routes::actor_tokens::router())
        .merge(routes::clients::router())
        .merge(routes::webhooks::router())
        .route("/v1/dev/emails", get(routes::dev::emails))
        .route(
            "/v1/clients/handshake_payload",
            get(routes::frontend::handshake_payload),
        )
}

/// What browsers call: the Frontend API and the hosted pages.
fn browser(state: &AppState) -> Router<AppState> {
    routes::frontend::router(state).merge(crate::pages::router(state))
}

/// Every request, routed by credential.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let body_timeout = Duration::from_secs(state.config.body_read_timeout_secs.into());
    // Requests are logged and counted under the route that answers them
    // (`observe`), once.
    let observed = |routes: Router<AppState>| -> Router<AppState> {
        routes.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
    };
    let finish = |routes: Router<AppState>| -> Router {
        routes
            .layer(DefaultBodyLimit::max(max_body))
            .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
                body_timeout,
            ))
            .with_state(state.clone())
    };
    // The Backend API's routes behind the browser's: for a path no browser
    // route has (its 404 otherwise), and for a browser path with another
    // method (`GET /v1/organizations` without a key; 405 otherwise).
    let backend_behind = |otherwise: Router<AppState>| -> Router {
        observed(
            backend()
                .merge(otherwise)
                .method_not_allowed_fallback(crate::error::method_not_allowed),
        )
        .with_state(state.clone())
    };
    let backend_only = backend_behind(Router::new().fallback(route_not_found));
    let backend_or_405 = backend_behind(Router::new().fallback(crate::error::method_not_allowed));
    let backend_api = finish(observed(
        backend()
            .merge(public())
            .fallback(route_not_found)
            .method_not_allowed_fallback(crate::error::method_not_allowed),
    ));
    // A browser path with another method (`GET /v1/organizations` without a
    // key) is the Backend API's too.
    let other_method =
        move |req: Request| async move { backend_or_405.oneshot(req).await.into_response() };
    let browser_api = finish(
        browser(&state)
            .merge(public())
            .fallback_service(backend_only)
            .method_not_allowed_fallback(other_method)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                middleware::observe_routed,
            )),
    );
    let dispatch = tower::service_fn(move |req: Request| {
        let api = if is_backend(&req) {
            backend_api.clone()
        } else {
            browser_api.clone()
        };
        async move { api.oneshot(req).await }
    });
    // Layers outside the routes, so that they run before routing: the method
    // override must change the method before a route is chosen; admission
    // and the URI check come before any work.
    Router::new()
        .fallback_service(dispatch)
        .layer(axum::middleware::from_fn(routes::frontend::method_override))
        .layer(axum::middleware::from_fn(
            routes::frontend::trim_trailing_slash,
        ))
        .layer(axum::middleware::from_fn(
            middleware::reject_control_characters,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state,
            middleware::admission,
        ))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
}
