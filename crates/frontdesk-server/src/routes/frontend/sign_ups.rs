//! `/v1/client/sign_ups…`: the wire of [`crate::engine::sign_up`].

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_domain::flows::SignUpVerification;
use serde::Deserialize;

use super::envelope;
use super::render;
use crate::engine::oauth::Trip;
use crate::engine::sign_up::{self, Fields};
use crate::error::ApiResult;
use crate::extract::{ApiBody, Browser};
use crate::state::AppState;

/// A new sign-up: with fields, through a provider (`strategy=oauth_*`), or
/// carrying over a sign-in's provider identity (`transfer=true`).
#[derive(Deserialize)]
pub struct Create {
    #[serde(flatten)]
    fields: Fields,
    strategy: Option<String>,
    redirect_url: Option<String>,
    action_complete_redirect_url: Option<String>,
    transfer: Option<String>,
    /// With `strategy=ticket`: an invitation's ticket.
    ticket: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    mut fapi: Browser,
    ApiBody(body): ApiBody<Create>,
) -> ApiResult<Response> {
    let trip = body
        .strategy
        .as_deref()
        .filter(|s| s.starts_with("oauth_"))
        .map(|strategy| Trip {
            strategy,
            redirect_url: body.redirect_url.as_deref(),
            action_complete_redirect_url: body.action_complete_redirect_url.as_deref(),
        });
    let started = if body.strategy.as_deref() == Some("ticket") {
        let ticket = body.ticket.as_deref().unwrap_or_default();
        sign_up::start_ticket(&state, &mut fapi, ticket, body.fields).await
    } else if body.transfer.as_deref() == Some("true") {
        sign_up::start_transfer(&state, &mut fapi, body.fields).await
    } else {
        sign_up::start(&state, &mut fapi, body.fields, trip).await
    };
    match started {
        Ok(attempt) => {
            envelope(
                &state,
                &mut fapi,
                render::sign_up(&attempt, &state.settings().settings.sign_up),
            )
            .await
        }
        Err(e) => Ok(fapi.respond_error(e)),
    }
}

pub async fn get(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let attempt = sign_up::get(&state, &fapi, &id).await?;
    envelope(
        &state,
        &mut fapi,
        render::sign_up(&attempt, &state.settings().settings.sign_up),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(fields): ApiBody<Fields>,
) -> ApiResult<Response> {
    let attempt = sign_up::update(&state, &mut fapi, &id, fields).await?;
    envelope(
        &state,
        &mut fapi,
        render::sign_up(&attempt, &state.settings().settings.sign_up),
    )
    .await
}

#[derive(Deserialize)]
pub struct Prepare {
    strategy: String,
}

pub async fn prepare(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Prepare>,
) -> ApiResult<Response> {
    let attempt = match body.strategy.parse::<SignUpVerification>()? {
        SignUpVerification::EmailCode => sign_up::send_code(&state, &fapi, &id).await?,
    };
    envelope(
        &state,
        &mut fapi,
        render::sign_up(&attempt, &state.settings().settings.sign_up),
    )
    .await
}

#[derive(Deserialize)]
pub struct Attempt {
    code: String,
}

pub async fn attempt(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Attempt>,
) -> ApiResult<Response> {
    let attempt = sign_up::verify(&state, &mut fapi, &id, &body.code).await?;
    envelope(
        &state,
        &mut fapi,
        render::sign_up(&attempt, &state.settings().settings.sign_up),
    )
    .await
}
