//! Backend API: sessions (`/v1/sessions…`) and session tokens.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, SessionActivity, SessionStatus};
use frontdesk_store::SessionQuery;
use frontdesk_types::SessionId;
use frontdesk_types::common::Token;
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, ApiJson, ApiResult};
use crate::extract::{ApiBody, BackendCaller, QueryParams};
use crate::render;
use crate::routes::users::load_user;
use crate::services::{sessions, tokens};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/sessions", get(list).post(create))
        .route("/v1/sessions/{session_id}", get(show))
        .route("/v1/sessions/{session_id}/revoke", post(revoke))
        .route("/v1/sessions/{session_id}/tokens", post(token))
        .route(
            "/v1/sessions/{session_id}/tokens/{template}",
            post(token_from_template),
        )
}

fn parse_session_id(raw: &str) -> ApiResult<SessionId> {
    raw.parse().map_err(|_| ApiError::not_found("session"))
}

async fn load(state: &AppState, raw: &str) -> ApiResult<Session> {
    let id = parse_session_id(raw)?;
    state
        .store
        .get_session(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("session"))
}

async fn list(
    _: BackendCaller,
    State(state): State<AppState>,
    q: QueryParams,
) -> ApiResult<Response> {
    let (limit, offset) = q.page()?;
    let user_id = q
        .text("user_id")
        .map(|v| {
            v.parse().map_err(|_| {
                ApiError::bad_param(
                    "user_id",
                    "form_param_format_invalid",
                    "`user_id` is not a user id",
                )
            })
        })
        .transpose()?;
    let client_id = q
        .text("client_id")
        .map(|v| {
            v.parse().map_err(|_| {
                ApiError::bad_param(
                    "client_id",
                    "form_param_format_invalid",
                    "`client_id` is not a client id",
                )
            })
        })
        .transpose()?;
    if user_id.is_none() && client_id.is_none() {
        return Err(ApiError::bad_param(
            "user_id",
            "form_param_missing",
            "Either `user_id` or `client_id` is required",
        ));
    }
    let status = q
        .text("status")
        .map(|s| {
            SessionStatus::parse(&s).ok_or_else(|| {
                ApiError::bad_param(
                    "status",
                    "form_param_value_invalid",
                    format!("`status` cannot be `{s}`"),
                )
            })
        })
        .transpose()?;
    let paginated = q.parse::<bool>("paginated")?.unwrap_or(false);
    let query = SessionQuery {
        user_id,
        client_id,
        status,
        limit,
        offset,
    };
    let now = UnixMillis::now();
    let page: Vec<_> = state
        .store
        .list_sessions(&query)
        .await?
        .iter()
        .map(|s| render::session(s, now))
        .collect();
    if paginated {
        let total = state
            .store
            .list_sessions(&SessionQuery {
                limit: i64::MAX / 2,
                offset: 0,
                ..query
            })
            .await?
            .len();
        Ok(ApiJson(json!({"data": page, "total_count": total})).into_response())
    } else {
        Ok(ApiJson(page).into_response())
    }
}

async fn show(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<frontdesk_types::session::Session>> {
    Ok(ApiJson(render::session(
        &load(&state, &id).await?,
        UnixMillis::now(),
    )))
}

async fn revoke(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<frontdesk_types::session::Session>> {
    let id = parse_session_id(&id)?;
    let now = UnixMillis::now();
    let current = load(&state, id.as_str()).await?;
    let session = match sessions::end(&state, &current, SessionStatus::Revoked, now).await {
        Ok(s) => s,
        // Already over: report it as it is, as Clerk does.
        Err(frontdesk_store::StoreError::NotFound) => current,
        Err(e) => return Err(e.into()),
    };
    Ok(ApiJson(render::session(&session, now)))
}

#[derive(Deserialize)]
struct Create {
    user_id: String,
    /// An organization of the user's to make active in the new session.
    active_organization_id: Option<String>,
}

async fn create(
    _: BackendCaller,
    State(state): State<AppState>,
    ApiBody(body): ApiBody<Create>,
) -> ApiResult<ApiJson<frontdesk_types::session::Session>> {
    let user = load_user(&state, &body.user_id).await?;
    if user.banned {
        return Err(ApiError::bad_param(
            "user_id",
            "user_banned",
            "This user is banned",
        ));
    }
    let org = match body
        .active_organization_id
        .as_deref()
        .filter(|o| !o.is_empty())
    {
        Some(raw) => {
            let org = crate::engine::organizations::load(&state, raw).await?;
            if state.store.membership(&org.id, &user.id).await?.is_none() {
                return Err(ApiError::bad_param(
                    "active_organization_id",
                    "organization_not_found_or_unauthorized",
                    "The user is not a member of this organization.",
                ));
            }
            Some(org.id)
        }
        None => None,
    };
    let now = UnixMillis::now();
    let client = sessions::create_headless_client(&state, now).await?;
    let mut session = sessions::new_session(
        &state,
        &user.id,
        &client.id,
        SessionActivity::default(),
        now,
    );
    state
        .store
        .create_session(&session, &[state.events().session_created(&session, &user)])
        .await?;
    // Set in one statement that checks the membership again (one removed
    // meanwhile leaves the session in the personal workspace).
    if let Some(org) = &org
        && let Ok(active) =
            crate::engine::organizations::activate(&state, &session.id, Some(org)).await
    {
        session = active;
    }
    Ok(ApiJson(render::session(&session, now)))
}

#[derive(Deserialize)]
struct TokenRequest {
    expires_in_seconds: Option<u32>,
}

async fn token(
    _: BackendCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<TokenRequest>,
) -> ApiResult<ApiJson<Token>> {
    let id = parse_session_id(&id)?;
    if let Some(secs) = body.expires_in_seconds
        && !(30..=315_360_000).contains(&secs)
    {
        return Err(ApiError::bad_param(
            "expires_in_seconds",
            "form_param_value_invalid",
            "`expires_in_seconds` must be between 30 and 315360000",
        ));
    }
    let jwt = tokens::mint(&state, &id, None, body.expires_in_seconds).await?;
    Ok(ApiJson(Token::new(jwt)))
}

async fn token_from_template(
    _: BackendCaller,
    Path((_, template)): Path<(String, String)>,
) -> ApiError {
    ApiError::not_found(&format!("JWT template `{template}`"))
}
