//! `/v1/me/profile_image` (upload, remove) and `/v1/images/{id}` (serve):
//! the wire of [`crate::engine::images`].

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use frontdesk_types::common::DeletedObject;
use serde_json::json;

use super::envelope;
use super::me::current;
use crate::engine::images;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Browser, QueryParams, Upload};
use crate::state::AppState;

pub async fn upload(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    upload: Result<Upload, ApiError>,
) -> ApiResult<Response> {
    // Who is asking first: a signed-out caller is told that, whatever it sent.
    let (_, user) = current(&state, &fapi, &q).await?;
    let bytes = upload?.file().await?;
    let (image, _) = images::set(&state, &user, bytes).await?;
    let body = json!({
        "object": "image",
        "id": image.id,
        "name": "profile_image",
        "public_url": images::url(&state, &image.id),
    });
    envelope(&state, &mut fapi, body).await
}

pub async fn remove(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    images::remove(&state, &user)
        .await?
        .ok_or_else(|| ApiError::not_found("image"))?;
    envelope(
        &state,
        &mut fapi,
        DeletedObject::new("image", user.id.as_str()),
    )
    .await
}

/// An uploaded image (a profile image or an organization's logo), to anyone (avatars are shown to other users and on
/// other origins), as the type it was checked to be, never sniffed again.
pub async fn serve(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (content_type, bytes) = match state.store.image(&id).await? {
        Some(image) => (image.content_type, image.bytes),
        None => state
            .store
            .organization_logo(&id)
            .await?
            .ok_or_else(|| ApiError::not_found("image"))?,
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                "public, max-age=86400, immutable".to_owned(),
            ),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'".to_owned(),
            ),
            (
                header::HeaderName::from_static("cross-origin-resource-policy"),
                "cross-origin".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}
