//! `/v1/me…`: the signed-in user managing their own account — names,
//! password, and the devices they are signed in on.

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_domain::entities::{Session, SessionStatus, User};
use frontdesk_domain::{NewPassword, UnixMillis};
use frontdesk_store::SessionQuery;
use frontdesk_types::SessionId;
use serde::Deserialize;
use serde_json::json;

use super::ctx::Fapi;
use super::sign_ups::envelope;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiBody, QueryParams};
use crate::render::{self, frontend_user};
use crate::services::passwords;
use crate::state::AppState;

/// The caller's live session (`_clerk_session_id`, else the client's active
/// one) and its user; 401 when signed out.
async fn current(state: &AppState, fapi: &Fapi, q: &QueryParams) -> ApiResult<(Session, User)> {
    let signed_out = || ApiError::unauthorized("You are signed out.");
    let client = fapi.client.as_ref().ok_or_else(signed_out)?;
    let id: SessionId = match q.text("_clerk_session_id") {
        Some(raw) => raw.parse().map_err(|_| signed_out())?,
        None => client
            .last_active_session_id
            .clone()
            .ok_or_else(signed_out)?,
    };
    let now = UnixMillis::now();
    let session = state
        .store
        .get_session(&id)
        .await?
        .filter(|s| s.client_id == client.id && s.status_at(now).is_live())
        .ok_or_else(signed_out)?;
    let user = state
        .store
        .get_user(&session.user_id)
        .await?
        .ok_or_else(signed_out)?;
    Ok((session, user))
}

pub async fn get(
    State(state): State<AppState>,
    mut fapi: Fapi,
    q: QueryParams,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let body = frontend_user(&state, &user, UnixMillis::now());
    envelope(&state, &mut fapi, body).await
}

#[derive(Deserialize)]
pub struct Update {
    first_name: Option<String>,
    last_name: Option<String>,
}

fn name(param: &str, v: String) -> ApiResult<Option<String>> {
    let v = v.trim().to_owned();
    if v.chars().count() > 256 || v.chars().any(char::is_control) {
        return Err(ApiError::bad_param(
            param,
            "form_param_format_invalid",
            format!("{param} is invalid"),
        ));
    }
    Ok(Some(v).filter(|s| !s.is_empty()))
}

pub async fn update(
    State(state): State<AppState>,
    mut fapi: Fapi,
    q: QueryParams,
    ApiBody(body): ApiBody<Update>,
) -> ApiResult<Response> {
    let (_, mut user) = current(&state, &fapi, &q).await?;
    if let Some(v) = body.first_name {
        user.first_name = name("first_name", v)?;
    }
    if let Some(v) = body.last_name {
        user.last_name = name("last_name", v)?;
    }
    user.updated_at = UnixMillis::now();
    state.store.update_user(&user).await?;
    let body = frontend_user(&state, &user, user.updated_at);
    envelope(&state, &mut fapi, body).await
}

#[derive(Deserialize)]
pub struct ChangePassword {
    current_password: Option<String>,
    new_password: String,
    #[serde(default)]
    sign_out_of_other_sessions: Option<String>,
}

/// Change the password; the current one is required (security.md A8).
pub async fn change_password(
    State(state): State<AppState>,
    mut fapi: Fapi,
    q: QueryParams,
    ApiBody(body): ApiBody<ChangePassword>,
) -> ApiResult<Response> {
    let (session, mut user) = current(&state, &fapi, &q).await?;
    let new = NewPassword::parse(&body.new_password, state.config.min_password_length)
        .map_err(|e| ApiError::bad_param("new_password", e.code(), e.to_string()))?;
    if user.password_digest.is_some() {
        let given = body.current_password.unwrap_or_default();
        if !passwords::verify(&state, &mut user, &given).await? {
            return Err(ApiError::bad_param(
                "current_password",
                "form_password_incorrect",
                "Password is incorrect.",
            ));
        }
    }
    let now = UnixMillis::now();
    user.password_digest = Some(passwords::hash(&state, &new).await?);
    user.password_last_updated_at = Some(now);
    user.updated_at = now;
    state.store.update_user(&user).await?;
    if matches!(
        body.sign_out_of_other_sessions.as_deref(),
        Some("true") | Some("1")
    ) {
        for other in state
            .store
            .list_sessions(&SessionQuery {
                user_id: Some(user.id.clone()),
                client_id: None,
                status: Some(SessionStatus::Active),
                limit: 500,
                offset: 0,
            })
            .await?
        {
            if other.id != session.id {
                let _ = state
                    .store
                    .end_session(&other.id, SessionStatus::Revoked, now)
                    .await;
            }
        }
    }
    let body = frontend_user(&state, &user, now);
    envelope(&state, &mut fapi, body).await
}

/// The user's live sessions with their devices.
pub async fn sessions(
    State(state): State<AppState>,
    fapi: Fapi,
    q: QueryParams,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let now = UnixMillis::now();
    let list: Vec<_> = state
        .store
        .list_sessions(&SessionQuery {
            user_id: Some(user.id.clone()),
            client_id: None,
            status: Some(SessionStatus::Active),
            limit: 100,
            offset: 0,
        })
        .await?
        .iter()
        .filter(|s| s.status_at(now).is_live())
        .map(|s| render::session(s, now))
        .collect();
    Ok(fapi.respond(&json!({"response": list, "client": null})))
}

/// Sign out one of the user's devices.
pub async fn revoke_session(
    State(state): State<AppState>,
    mut fapi: Fapi,
    q: QueryParams,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let id: SessionId = id.parse().map_err(|_| ApiError::not_found("session"))?;
    let target = state
        .store
        .get_session(&id)
        .await?
        .filter(|s| s.user_id == user.id)
        .ok_or_else(|| ApiError::not_found("session"))?;
    let now = UnixMillis::now();
    let ended = match state
        .store
        .end_session(&target.id, SessionStatus::Revoked, now)
        .await
    {
        Ok(s) => s,
        Err(frontdesk_store::StoreError::NotFound) => target,
        Err(e) => return Err(e.into()),
    };
    envelope(&state, &mut fapi, render::session(&ended, now)).await
}
