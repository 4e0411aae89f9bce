//! `/v1/me/profile_image` (upload, remove) and `/v1/images/{id}` (serve):
//! the wire of [`crate::engine::images`].

use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use frontdesk_types::common::DeletedObject;
use serde_json::json;

use super::envelope;
use super::me::current;
use crate::engine::images;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Browser, QueryParams};
use crate::state::AppState;

/// The `file` part of a multipart upload, as clerk-js's `setProfileImage`
/// sends it.
async fn file_of(mut form: Multipart) -> ApiResult<Vec<u8>> {
    let bad = |why: String| ApiError::bad_param("file", "form_param_format_invalid", why);
    while let Some(field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        if field.name() == Some("file") {
            return Ok(field
                .bytes()
                .await
                .map_err(|e| bad(e.body_text()))?
                .to_vec());
        }
    }
    Err(ApiError::bad_param(
        "file",
        "form_param_missing",
        "Choose an image to upload.",
    ))
}

pub async fn upload(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let form =
        form.map_err(|e| ApiError::bad_param("file", "form_param_format_invalid", e.body_text()))?;
    let bytes = file_of(form).await?;
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

/// An uploaded image, to anyone (avatars are shown to other users and on
/// other origins), as the type it was checked to be, never sniffed again.
pub async fn serve(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let image = state
        .store
        .image(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("image"))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, image.content_type),
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
        image.bytes,
    )
        .into_response())
}
