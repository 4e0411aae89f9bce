//! Profile images uploaded by users: checked by their first bytes, kept in
//! the database, served by every node at `/v1/images/{id}`.

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{ImageRecord, User};
use frontdesk_domain::organizations::Organization;
use frontdesk_store::StoreError;
use frontdesk_store::organizations::LogoRecord;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Clerk's limit for a profile image.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// The type of an image by its magic bytes: PNG, JPEG, GIF or WebP. What a
/// client claims is not trusted, and SVG (which can carry script) is refused.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Where an image is served.
pub fn url(state: &AppState, id: &str) -> String {
    format!("{}/v1/images/{id}", state.instance.public_url.origin())
}

/// The type of an upload that may be an image here: at most 10 MB, of a
/// type its first bytes show.
fn checked(bytes: &[u8]) -> ApiResult<&'static str> {
    if bytes.is_empty() || bytes.len() > MAX_IMAGE_BYTES {
        return Err(ApiError::bad_param(
            "file",
            "image_too_large",
            "Choose an image of at most 10 MB.",
        ));
    }
    sniff(bytes).ok_or_else(|| {
        ApiError::bad_param(
            "file",
            "form_param_format_invalid",
            "Choose a PNG, JPEG, GIF or WebP image.",
        )
    })
}

fn image_id() -> String {
    format!("img_{}", frontdesk_types::id::random_base62(24))
}

/// Make `bytes` the organization's logo.
pub async fn set_logo(
    state: &AppState,
    org: &Organization,
    bytes: Vec<u8>,
) -> ApiResult<Organization> {
    let content_type = checked(&bytes)?;
    let logo = LogoRecord {
        id: image_id(),
        organization_id: org.id.clone(),
        content_type: content_type.to_owned(),
        bytes,
        created_at: UnixMillis::now(),
    };
    let events = state.events();
    state
        .store
        .set_organization_logo(&logo, &url(state, &logo.id), logo.created_at, &|o| {
            Some(events.organization("organization.updated", o))
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("organization"),
            other => other.into(),
        })
}

/// Remove the organization's logo; not found if it had none.
pub async fn remove_logo(state: &AppState, org: &Organization) -> ApiResult<Organization> {
    let events = state.events();
    state
        .store
        .remove_organization_logo(&org.id, UnixMillis::now(), &|o| {
            Some(events.organization("organization.updated", o))
        })
        .await?
        .ok_or_else(|| ApiError::not_found("image"))
}

/// Make `bytes` the user's profile image.
pub async fn set(state: &AppState, user: &User, bytes: Vec<u8>) -> ApiResult<(ImageRecord, User)> {
    let content_type = checked(&bytes)?;
    let image = ImageRecord {
        id: image_id(),
        user_id: user.id.clone(),
        content_type: content_type.to_owned(),
        bytes,
        created_at: UnixMillis::now(),
    };
    let events = state.events();
    let updated = state
        .store
        .set_profile_image(&image, &url(state, &image.id), image.created_at, &|u, _| {
            vec![events.user_updated(u)]
        })
        .await?;
    Ok((image, updated))
}

/// Remove the user's profile image; `None` if there was none.
pub async fn remove(state: &AppState, user: &User) -> ApiResult<Option<User>> {
    let events = state.events();
    Ok(state
        .store
        .remove_profile_image(&user.id, UnixMillis::now(), &|u, _| {
            vec![events.user_updated(u)]
        })
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_first_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a.."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
        assert_eq!(sniff(b"<html>"), None);
    }
}
