//! Backend API authentication.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use frontdesk_crypto::sha256_hex;
use frontdesk_types::SecretKeyId;

use crate::error::ApiError;
use crate::state::AppState;

/// A Backend API caller, authenticated by `Authorization: Bearer sk_…`.
#[derive(Debug, Clone)]
pub struct BackendCaller {
    /// Which secret key was used (for rate limits and audit).
    pub key_id: SecretKeyId,
}

impl FromRequestParts<AppState> for BackendCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = authenticate(parts, state).await?;
        state
            .backend_limiter
            .hit(&caller.key_id)
            .map_err(ApiError::rate_limited)?;
        Ok(caller)
    }
}

/// A Backend API caller on an endpoint exempt from rate limits (JWKS, which
/// verifiers fetch on every unknown `kid`).
#[derive(Debug, Clone)]
pub struct UnlimitedBackendCaller(pub BackendCaller);

impl FromRequestParts<AppState> for UnlimitedBackendCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await.map(Self)
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<BackendCaller, ApiError> {
    let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "Unable to authenticate the request: send your secret key as `Authorization: Bearer sk_…`.",
                )
            })?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if token.starts_with("pk_") {
        return Err(ApiError::unauthorized(
            "A publishable key cannot call the Backend API; use a secret key (sk_…).",
        ));
    }
    if !token.starts_with("sk_") || token.len() > 256 {
        return Err(ApiError::unauthorized(
            "Unable to authenticate the request: the secret key is malformed.",
        ));
    }
    let hash = sha256_hex(token.as_bytes());
    if let Some(key_id) = state.secret_keys.get(&hash) {
        return Ok(BackendCaller { key_id });
    }
    let record = state
        .store
        .find_active_secret_key(&hash)
        .await?
        .ok_or_else(|| {
            // Clerk's code for an unknown key; @clerk/backend maps it to
            // `secret-key-invalid` when a JWKS fetch fails with it.
            ApiError::client(
                axum::http::StatusCode::UNAUTHORIZED,
                frontdesk_types::ClerkError::new(
                    "clerk_key_invalid",
                    "Secret key invalid",
                    "The provided secret key is invalid or has been revoked.",
                ),
            )
        })?;
    state.secret_keys.put(hash, record.id.clone());
    Ok(BackendCaller { key_id: record.id })
}
