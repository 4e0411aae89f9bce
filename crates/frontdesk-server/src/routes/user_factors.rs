//! Backend API: a user's second factors (`/v1/users/{id}/mfa`, `…/totp`,
//! `…/backup_code`, `…/verify_totp`, `…/passkeys/{id}`), as `@clerk/backend`'s `users.*MFA*`
//! methods call them (clerk-protocol-wave2.md §2.9). Changes appear to
//! webhooks as `user.updated`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use frontdesk_domain::UnixMillis;
use frontdesk_domain::flows::SecondFactor;
use frontdesk_types::ClerkError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine::mfa;
use crate::engine::users::load_user;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users/{user_id}/mfa", delete(disable_mfa))
        .route("/v1/users/{user_id}/totp", delete(delete_totp))
        .route(
            "/v1/users/{user_id}/backup_code",
            delete(delete_backup_codes),
        )
        .route("/v1/users/{user_id}/verify_totp", post(verify_totp))
        .route(
            "/v1/users/{user_id}/passkeys/{passkey_id}",
            delete(delete_passkey),
        )
}

/// `users.deleteUserPasskey`: one passkey goes; `user.updated` follows.
async fn delete_passkey(
    _: BackendCaller,
    State(state): State<AppState>,
    Path((id, passkey_id)): Path<(String, String)>,
) -> ApiResult<ApiJson<frontdesk_types::common::DeletedObject>> {
    let user = load_user(&state, &id).await?;
    crate::engine::passkeys::delete(&state, &user.id, &passkey_id).await?;
    Ok(ApiJson(frontdesk_types::common::DeletedObject::new(
        "passkey", passkey_id,
    )))
}

fn receipt(user_id: &str) -> ApiJson<Value> {
    ApiJson(json!({ "user_id": user_id }))
}

/// Every second factor goes (the app, and the backup codes with it).
/// Idempotent: a user without one gets the same receipt.
async fn disable_mfa(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let user = load_user(&state, &id).await?;
    mfa::disable_all(&state, &user.id).await?;
    Ok(receipt(user.id.as_str()))
}

async fn delete_totp(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let user = load_user(&state, &id).await?;
    mfa::delete_totp(&state, &user.id).await?;
    Ok(receipt(user.id.as_str()))
}

async fn delete_backup_codes(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let user = load_user(&state, &id).await?;
    mfa::delete_backup_codes(&state, &user.id).await?;
    Ok(receipt(user.id.as_str()))
}

#[derive(Deserialize)]
struct VerifyTotp {
    code: String,
}

/// Check a code for the app's own step-up: an app code first, else a
/// backup code (which is spent). Wrong codes count toward lockout.
async fn verify_totp(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<VerifyTotp>,
) -> ApiResult<ApiJson<Value>> {
    let user = load_user(&state, &id).await?;
    if !user.mfa.totp_enabled {
        return Err(ApiError::client(
            StatusCode::BAD_REQUEST,
            ClerkError::new(
                "totp_not_enabled",
                "TOTP is not enabled",
                "This user has no authenticator app.",
            ),
        ));
    }
    let now = UnixMillis::now();
    let kind = if mfa::check_totp(&state, &user.id, &body.code, now).await? {
        SecondFactor::Totp
    } else if user.mfa.backup_code_enabled
        && mfa::spend_backup_code(&state, &user.id, &body.code, now).await?
    {
        SecondFactor::BackupCode
    } else {
        return Err(mfa::refused(&state, &user.id).await?);
    };
    Ok(ApiJson(
        json!({"verified": true, "code_type": kind.as_str()}),
    ))
}
