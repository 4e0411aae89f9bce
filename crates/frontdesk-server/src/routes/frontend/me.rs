//! `/v1/me…`: the wire of [`crate::engine::account`] — the signed-in user's
//! names, password, and the devices they are signed in on.

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, User};
use serde::Deserialize;
use serde_json::json;

use super::envelope;
use crate::engine::account;
use crate::error::ApiResult;
use crate::extract::{ApiBody, Browser, QueryParams};
use crate::render::{self, frontend_user};
use crate::state::AppState;

/// The caller's live session (`_clerk_session_id`, else the client's active
/// one) and its user; 401 when signed out.
pub(super) async fn current(
    state: &AppState,
    fapi: &Browser,
    q: &QueryParams,
) -> ApiResult<(Session, User)> {
    account::signed_in(state, fapi, q.text("_clerk_session_id").as_deref()).await
}

pub async fn get(
    State(state): State<AppState>,
    mut fapi: Browser,
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
    primary_email_address_id: Option<String>,
    username: Option<String>,
}

pub async fn update(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    ApiBody(body): ApiBody<Update>,
) -> ApiResult<Response> {
    let (_, mut user) = current(&state, &fapi, &q).await?;
    if let Some(primary) = body.primary_email_address_id.as_deref() {
        user = crate::engine::emails::make_primary(&state, &user, primary).await?;
    }
    if body.first_name.is_some() || body.last_name.is_some() {
        user = account::rename(&state, &user, body.first_name, body.last_name).await?;
    }
    if let Some(username) = body.username.as_deref() {
        user = account::set_username(&state, &user, username).await?;
    }
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
    mut fapi: Browser,
    q: QueryParams,
    ApiBody(body): ApiBody<ChangePassword>,
) -> ApiResult<Response> {
    let (session, user) = current(&state, &fapi, &q).await?;
    crate::engine::reverify::require_recent(&state, &session, &user)?;
    let others = matches!(
        body.sign_out_of_other_sessions.as_deref(),
        Some("true") | Some("1")
    );
    let user = account::set_password(
        &state,
        &session,
        &user,
        body.current_password.as_deref().unwrap_or_default(),
        &body.new_password,
        others,
    )
    .await?;
    let body = frontend_user(&state, &user, user.updated_at);
    envelope(&state, &mut fapi, body).await
}

/// The user's live sessions with their devices.
pub async fn sessions(
    State(state): State<AppState>,
    fapi: Browser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let now = UnixMillis::now();
    let list: Vec<_> = account::live_sessions(&state, &user)
        .await?
        .iter()
        .map(|s| render::session(s, now))
        .collect();
    Ok(fapi.respond(&json!({"response": list, "client": null})))
}

/// Sign out one of the user's devices.
pub async fn revoke_session(
    State(state): State<AppState>,
    mut fapi: Browser,
    q: QueryParams,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (_, user) = current(&state, &fapi, &q).await?;
    let ended = account::revoke(&state, &user, &id).await?;
    envelope(
        &state,
        &mut fapi,
        render::session(&ended, UnixMillis::now()),
    )
    .await
}
