//! Organizations over HTTP (issue 17), the wire of
//! [`crate::engine::organizations`].
//!
//! `/v1/organizations…` means one thing to each of Clerk's APIs (the Backend
//! API manages an instance's organizations, the Frontend API creates one for
//! the signed-in user); `routing::router` picks by credential, so each API's
//! routes live in their own module: [`backend`] and [`members`] for the
//! Backend API.

pub mod backend;
pub mod members;

use axum::http::StatusCode;
use axum::response::Response;

use crate::error::ApiError;
use crate::extract::Browser;

/// The Backend API's organization routes.
pub fn backend_router() -> axum::Router<crate::state::AppState> {
    backend::router().merge(members::router())
}

/// Frontend API `POST /v1/organizations`: refused as Clerk refuses it on an
/// instance without organizations (the Frontend API's organizations come
/// next; the settings cannot enable them before).
pub async fn create(fapi: Browser) -> Response {
    fapi.respond_error(ApiError::client(
        StatusCode::FORBIDDEN,
        frontdesk_types::ClerkError::new(
            "organization_not_enabled_in_instance",
            "Organizations are not enabled",
            "The organizations feature is not enabled for this instance.",
        ),
    ))
}
