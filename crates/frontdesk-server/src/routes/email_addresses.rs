//! Backend API: email addresses (`/v1/email_addresses…`).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use frontdesk_domain::entities::{EmailAddressRecord, Verification, VerificationStatus};
use frontdesk_domain::{EmailAddress, UnixMillis};
use frontdesk_types::EmailAddressId;
use frontdesk_types::common::DeletedObject;
use frontdesk_types::user::EmailAddress as WireEmail;
use serde::Deserialize;

use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller};
use crate::render;
use crate::routes::users::load_user;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/email_addresses", post(create))
        .route(
            "/v1/email_addresses/{id}",
            get(show).patch(update).delete(remove),
        )
}

fn admin_verified() -> Verification {
    Verification {
        status: VerificationStatus::Verified,
        strategy: "admin".into(),
        attempts: None,
        expire_at: None,
    }
}

async fn load(state: &AppState, raw: &str) -> ApiResult<EmailAddressRecord> {
    let id: EmailAddressId = raw
        .parse()
        .map_err(|_| ApiError::not_found("email address"))?;
    state
        .store
        .get_email(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("email address"))
}

#[derive(Deserialize)]
struct Create {
    user_id: String,
    email_address: String,
    verified: Option<bool>,
    primary: Option<bool>,
}

async fn create(
    _: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<Create>,
) -> ApiResult<ApiJson<WireEmail>> {
    let mut user = load_user(&state, &body.user_id).await?;
    let email: EmailAddress = body.email_address.parse().map_err(|e| {
        ApiError::bad_param(
            "email_address",
            "form_param_format_invalid",
            format!("`{}` {e}", body.email_address),
        )
    })?;
    let now = UnixMillis::now();
    let verified = body.verified.unwrap_or(false);
    let id = user.add_email(&email, verified.then(admin_verified), now);
    let record = user
        .email_addresses
        .iter()
        .find(|e| e.id == id)
        .cloned()
        .ok_or_else(|| ApiError::internal("added email vanished"))?;
    // One `user.updated`, with the user as it ends up.
    let becomes_primary = body.primary == Some(true) && verified
        || user.primary_email_address_id.as_ref() == Some(&id);
    let event = if becomes_primary {
        Vec::new()
    } else {
        vec![state.events().user_updated(&user)]
    };
    state
        .store
        .add_email(&record, &event)
        .await
        .map_err(|e| match e {
            frontdesk_store::StoreError::Conflict(_) => {
                ApiError::identifier_taken("email_address", "email address")
            }
            other => other.into(),
        })?;
    if becomes_primary {
        make_primary(&state, &user.id, &id).await?;
    }
    Ok(ApiJson(render::email(&record)))
}

async fn show(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<WireEmail>> {
    Ok(ApiJson(render::email(&load(&state, &id).await?)))
}

#[derive(Deserialize)]
struct Update {
    verified: Option<bool>,
    primary: Option<bool>,
}

async fn update(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Update>,
) -> ApiResult<ApiJson<WireEmail>> {
    let mut email = load(&state, &id).await?;
    let now = UnixMillis::now();
    match body.verified {
        Some(true) if !render::is_verified(&email) => email.verification = Some(admin_verified()),
        Some(false) => email.verification = None,
        _ => {}
    }
    email.updated_at = now;
    let primary = body.primary == Some(true);
    if primary && !render::is_verified(&email) {
        return Err(ApiError::bad_param(
            "primary",
            "form_param_value_invalid",
            "Only a verified email address can be primary",
        ));
    }
    let mut user = load_user(&state, email.user_id.as_str()).await?;
    if let Some(slot) = user.email_addresses.iter_mut().find(|e| e.id == email.id) {
        *slot = email.clone();
    }
    if primary {
        state.store.update_email(&email, &[]).await?;
        make_primary(&state, &user.id, &email.id).await?;
    } else {
        let event = state.events().user_updated(&user);
        state.store.update_email(&email, &[event]).await?;
    }
    Ok(ApiJson(render::email(&email)))
}

async fn remove(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<DeletedObject>> {
    let email = load(&state, &id).await?;
    let mut user = load_user(&state, email.user_id.as_str()).await?;
    user.email_addresses.retain(|e| e.id != email.id);
    if user.primary_email_address_id.as_ref() == Some(&email.id) {
        user.primary_email_address_id = None;
    }
    let event = state.events().user_updated(&user);
    state.store.delete_email(&email.id, &[event]).await?;
    Ok(ApiJson(DeletedObject::new(
        "email_address",
        email.id.as_str(),
    )))
}

/// Point the user's primary address at `email` (only that column), with the
/// `user.updated` event rendered from the user as it ends up.
async fn make_primary(
    state: &AppState,
    user_id: &frontdesk_types::UserId,
    email: &frontdesk_types::EmailAddressId,
) -> ApiResult<()> {
    let events = state.events();
    let patch = frontdesk_store::UserPatch {
        primary_email_address_id: Some(email.clone()),
        ..frontdesk_store::UserPatch::default()
    };
    state
        .store
        .patch_user(user_id, &patch, UnixMillis::now(), &|u, _| {
            vec![events.user_updated(u)]
        })
        .await?;
    Ok(())
}
