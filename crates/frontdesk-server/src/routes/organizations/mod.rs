//! Organizations over HTTP (issue 17), the wire of
//! [`crate::engine::organizations`].
//!
//! `/v1/organizations…` means one thing to each of Clerk's APIs (the Backend
//! API manages an instance's organizations, the Frontend API creates one for
//! the signed-in user); `routing::router` picks by credential, so each API's
//! routes live in their own module: [`backend`], [`members`],
//! [`invitations`], [`domains`] and [`roles`] for the
//! Backend API, `routes::frontend::organizations` for the Frontend API.

pub mod backend;
pub mod domains;
pub mod invitations;
pub mod members;
pub mod roles;

/// The Backend API's organization routes.
pub fn backend_router() -> axum::Router<crate::state::AppState> {
    backend::router()
        .merge(members::router())
        .merge(invitations::router())
        .merge(roles::router())
        .merge(domains::router())
}
