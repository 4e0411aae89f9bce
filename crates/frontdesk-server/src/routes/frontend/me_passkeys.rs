//! `/v1/me/passkeys…`: the wire of [`crate::engine::passkeys`]'s
//! registration, as `<UserProfile/>`'s Security tab drives it
//! (clerk-protocol-wave2.md §2.5): create (options in `nonce`), the
//! browser's credential in `attempt_verification`, rename, delete.

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_types::common::DeletedObject;
use serde::Deserialize;

use super::envelope;
use super::me::current;
use crate::engine::{passkeys, reverify};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiBody, Browser, QueryParams};
use crate::render::passkey_record;
use crate::state::AppState;

/// Start registering a passkey made on this device. Adding a way in is a
/// sensitive action (clerk-js wraps it in `useReverification`).
pub async fn create(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (session, user) = current(&state, &fapi, &q).await?;
    reverify::require_recent(&state, &session, &user)?;
    let name = passkeys::device_name(&fapi.activity);
    let record =
        match passkeys::begin_registration(&state, &user, fapi.origin.as_deref(), name).await {
            Ok(record) => record,
            Err(e) => return Ok(fapi.respond_error(e)),
        };
    envelope(&state, &mut fapi, passkey_record(&record)).await
}

#[derive(Deserialize)]
pub struct Attempt {
    strategy: Option<String>,
    public_key_credential: Option<String>,
}

/// Finish the registration with the credential the browser made.
pub async fn attempt(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Attempt>,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    if body.strategy.as_deref().is_some_and(|s| s != "passkey") {
        return Err(ApiError::bad_param(
            "strategy",
            "form_param_value_invalid",
            "A passkey is verified with the `passkey` strategy.",
        ));
    }
    let credential = body.public_key_credential.ok_or_else(|| {
        ApiError::bad_param(
            "public_key_credential",
            "form_param_missing",
            "The passkey's credential is missing.",
        )
    })?;
    match passkeys::finish_registration(&state, &user.id, &id, &credential).await {
        Ok((_, record)) => envelope(&state, &mut fapi, passkey_record(&record)).await,
        Err(e) => Ok(fapi.respond_error(e)),
    }
}

#[derive(Deserialize)]
pub struct Rename {
    name: Option<String>,
}

pub async fn rename(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Rename>,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let (_, record) =
        passkeys::rename(&state, &user.id, &id, body.name.as_deref().unwrap_or("")).await?;
    envelope(&state, &mut fapi, passkey_record(&record)).await
}

/// Remove a passkey: a way in goes, so the session must be recent.
pub async fn delete(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (session, user) = current(&state, &fapi, &q).await?;
    reverify::require_recent(&state, &session, &user)?;
    passkeys::delete(&state, &user.id, &id).await?;
    envelope(&state, &mut fapi, DeletedObject::new("passkey", id)).await
}
