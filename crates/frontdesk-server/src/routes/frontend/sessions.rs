//! `/v1/client/sessions…`: activity, tokens, signing out.

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, SessionStatus};
use frontdesk_types::SessionId;
use frontdesk_types::common::Token;

use super::envelope;
use super::render;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiBody, Browser};
use crate::services::tokens::{self, OrgChoice};
use crate::state::AppState;
use serde::Deserialize;

/// The session `id` if it belongs to the caller's client. Signed-out callers
/// get 401, which clerk-js treats as "signed out".
async fn own_session(state: &AppState, fapi: &Browser, id: &str) -> ApiResult<Session> {
    let unauthenticated = || ApiError::unauthorized("You are signed out.");
    let client = fapi.client.as_ref().ok_or_else(unauthenticated)?;
    let id: SessionId = id.parse().map_err(|_| ApiError::not_found("session"))?;
    let s = state
        .store
        .get_session(&id)
        .await?
        .filter(|s| s.client_id == client.id)
        .ok_or_else(|| ApiError::not_found("session"))?;
    Ok(s)
}

/// What `touch` and `tokens` may carry: the organization the page shows
/// (`""`: the personal workspace; absent: unchanged).
#[derive(Debug, Default, Deserialize)]
pub struct OrgParams {
    active_organization_id: Option<String>,
    organization_id: Option<String>,
}

/// `""` is the personal workspace; anything else must be an organization id.
fn org_choice(raw: Option<&str>) -> ApiResult<OrgChoice> {
    match raw {
        None => Ok(OrgChoice::Active),
        Some("") => Ok(OrgChoice::Personal),
        Some(id) => id
            .parse()
            .map(OrgChoice::Org)
            .map_err(|_| tokens::not_a_member()),
    }
}

/// `POST /v1/client/sessions/{id}/touch`: the session was used; with
/// `active_organization_id`, the organization it works in from now on
/// (clerk-js's `setActive({organization})`). The answer's token already
/// carries the new organization: clerk-js writes it into `__session`.
pub async fn touch(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(params): ApiBody<OrgParams>,
) -> ApiResult<Response> {
    let s = own_session(&state, &fapi, &id).await?;
    let now = UnixMillis::now();
    let wanted = match org_choice(params.active_organization_id.as_deref())? {
        OrgChoice::Active => None,
        OrgChoice::Personal => Some(None),
        OrgChoice::Org(org) => Some(Some(org)),
    };
    if let Some(org) = wanted
        && s.last_active_organization_id.as_deref() != org.as_ref().map(|o| o.as_str())
    {
        crate::engine::organizations::activate(&state, &s.id, org.as_ref()).await?;
    }
    let idle = i64::from(state.settings().settings.sessions.inactivity_timeout_secs);
    let abandon_at = if idle > 0 {
        now.plus_secs(idle).min(s.expire_at)
    } else {
        s.expire_at
    };
    let s = state
        .store
        .touch_session(&s.id, now, abandon_at, &fapi.placed_activity(&state))
        .await
        .map_err(|_| ApiError::unauthorized("This session has ended."))?;
    let user = state
        .store
        .get_user(&s.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("You are signed out."))?;
    let session = render::session(&state, &s, &user, fapi.origin.as_deref(), now).await?;
    fapi.set_client_uat(&state, now.as_secs());
    envelope(&state, &mut fapi, session).await
}

/// `POST /v1/client/sessions/{id}/tokens`: a bare `{object:"token",jwt}`.
pub async fn token(
    State(state): State<AppState>,
    fapi: Browser,
    Path(id): Path<String>,
    ApiBody(params): ApiBody<OrgParams>,
) -> ApiResult<Response> {
    let s = own_session(&state, &fapi, &id).await?;
    let choice = org_choice(params.organization_id.as_deref())?;
    let jwt = tokens::mint_for(&state, &s.id, fapi.origin.clone(), None, choice)
        .await
        .map_err(|e| match e.code() {
            Some("organization_not_found_or_unauthorized") => e,
            _ => ApiError::unauthorized("This session has ended."),
        })?;
    Ok(fapi.respond(&Token::new(jwt)))
}

async fn finish(
    state: &AppState,
    mut fapi: Browser,
    id: &str,
    status: SessionStatus,
) -> ApiResult<Response> {
    let s = own_session(state, &fapi, id).await?;
    let now = UnixMillis::now();
    let s = match crate::services::sessions::end(state, &s, status, now).await {
        Ok(s) => s,
        Err(frontdesk_store::StoreError::NotFound) => s,
        Err(e) => return Err(e.into()),
    };
    let user = state
        .store
        .get_user(&s.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let session = render::session(state, &s, &user, fapi.origin.as_deref(), now).await?;
    fapi.set_client_uat(state, 0);
    envelope(state, &mut fapi, session).await
}

pub async fn end(
    State(state): State<AppState>,
    fapi: Browser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    finish(&state, fapi, &id, SessionStatus::Ended).await
}

pub async fn remove(
    State(state): State<AppState>,
    fapi: Browser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    finish(&state, fapi, &id, SessionStatus::Removed).await
}

/// `DELETE /v1/client/sessions`: sign out of everything on this browser.
pub async fn sign_out_all(State(state): State<AppState>, mut fapi: Browser) -> ApiResult<Response> {
    if let Some(c) = fapi.client.clone() {
        crate::engine::account::end_client_sessions(&state, &c.id, SessionStatus::Ended).await?;
    }
    fapi.set_client_uat(&state, 0);
    fapi.reload(&state).await?;
    let client = match &fapi.client {
        Some(c) => Some(render::client(&state, c, fapi.origin.as_deref()).await?),
        None => None,
    };
    Ok(fapi.respond(&serde_json::json!({"response": client, "client": null})))
}
