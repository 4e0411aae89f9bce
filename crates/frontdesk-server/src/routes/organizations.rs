//! `/v1/organizations`: the path Clerk's two APIs share with different
//! meanings (the Backend API lists an instance's organizations, the Frontend
//! API creates one for the signed-in user), answered by whichever API the
//! credential selects (`startup::router`). Organizations themselves come
//! with their own issue; until then an instance has none and cannot enable
//! them (`organizations.enabled` is refused by the settings).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiJson};
use crate::extract::{BackendCaller, Browser};

/// Backend API `GET /v1/organizations`: Clerk's paginated list, empty.
pub async fn list(_caller: BackendCaller) -> ApiJson<Value> {
    ApiJson(json!({"data": [], "total_count": 0}))
}

/// Frontend API `POST /v1/organizations`: refused as Clerk refuses it on an
/// instance without organizations (the settings cannot enable them yet).
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
