//! `/v1/client/sign_ins…`: the wire of [`crate::engine::sign_in`].

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_domain::flows::{FirstFactor, SecondFactor};
use serde::Deserialize;

use super::envelope;
use super::render;
use crate::engine::oauth::Trip;
use crate::engine::sign_in::{self, Step};
use crate::error::ApiResult;
use crate::extract::{ApiBody, Browser};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Create {
    identifier: Option<String>,
    password: Option<String>,
    strategy: Option<String>,
    redirect_url: Option<String>,
    action_complete_redirect_url: Option<String>,
    /// `true`: carry over the identity a sign-up through a provider found
    /// taken.
    transfer: Option<String>,
    /// With `strategy=ticket`: an invitation's ticket.
    ticket: Option<String>,
}

/// The attempt, or the refusal (with the cookies the step set).
async fn answer(
    state: &AppState,
    fapi: &mut Browser,
    (attempt, result): Step,
) -> ApiResult<Response> {
    if let Err(e) = result {
        return Ok(fapi.respond_error(e));
    }
    envelope(
        state,
        fapi,
        render::sign_in(&attempt, &state.settings().settings.sign_in),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    mut fapi: Browser,
    ApiBody(body): ApiBody<Create>,
) -> ApiResult<Response> {
    if body.transfer.as_deref() == Some("true") {
        let attempt = sign_in::start_transfer(&state, &mut fapi).await?;
        return answer(&state, &mut fapi, (attempt, Ok(()))).await;
    }
    if let Some(strategy) = body.strategy.as_deref().filter(|s| s.starts_with("oauth_")) {
        let trip = Trip {
            strategy,
            redirect_url: body.redirect_url.as_deref(),
            action_complete_redirect_url: body.action_complete_redirect_url.as_deref(),
        };
        let attempt = sign_in::start_blank(&state, &mut fapi, Some(trip)).await?;
        return answer(&state, &mut fapi, (attempt, Ok(()))).await;
    }
    if body.strategy.as_deref() == Some("ticket") {
        let ticket = body.ticket.as_deref().unwrap_or_default();
        let step = sign_in::start_ticket(&state, &mut fapi, ticket).await?;
        return answer(&state, &mut fapi, step).await;
    }
    // clerk-js may start the hand-off with the identifier at once.
    if body.strategy.as_deref() == Some("enterprise_sso") {
        let (attempt, started) =
            sign_in::start(&state, &mut fapi, body.identifier, None, false).await?;
        if let Err(e) = started {
            return Ok(fapi.respond_error(e));
        }
        let attempt = sign_in::prepare_enterprise(
            &state,
            &fapi,
            &attempt.id,
            body.redirect_url.as_deref(),
            body.action_complete_redirect_url.as_deref(),
        )
        .await?;
        return answer(&state, &mut fapi, (attempt, Ok(()))).await;
    }
    // A password goes with the password strategy (the default) only.
    let strategy = body.strategy.as_deref().map(str::parse::<FirstFactor>);
    let password = match strategy {
        None | Some(Ok(FirstFactor::Password)) => body.password,
        Some(_) => None,
    };
    let passkey = matches!(strategy, Some(Ok(FirstFactor::Passkey)));
    let step = sign_in::start(&state, &mut fapi, body.identifier, password, passkey).await?;
    answer(&state, &mut fapi, step).await
}

pub async fn get(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let attempt = sign_in::get(&state, &fapi, &id).await?;
    envelope(
        &state,
        &mut fapi,
        render::sign_in(&attempt, &state.settings().settings.sign_in),
    )
    .await
}

#[derive(Deserialize)]
pub struct Prepare {
    strategy: String,
    redirect_url: Option<String>,
    action_complete_redirect_url: Option<String>,
}

pub async fn prepare_first_factor(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Prepare>,
) -> ApiResult<Response> {
    let factor: FirstFactor = body.strategy.parse()?;
    let attempt = if factor == FirstFactor::EnterpriseSso {
        sign_in::prepare_enterprise(
            &state,
            &fapi,
            &id,
            body.redirect_url.as_deref(),
            body.action_complete_redirect_url.as_deref(),
        )
        .await?
    } else {
        sign_in::prepare(&state, &fapi, &id, factor).await?
    };
    envelope(
        &state,
        &mut fapi,
        render::sign_in(&attempt, &state.settings().settings.sign_in),
    )
    .await
}

#[derive(Deserialize)]
pub struct AttemptFactor {
    strategy: String,
    code: Option<String>,
    password: Option<String>,
    public_key_credential: Option<String>,
}

pub async fn attempt_first_factor(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<AttemptFactor>,
) -> ApiResult<Response> {
    let factor: FirstFactor = body.strategy.parse()?;
    let secret = match factor {
        FirstFactor::Password => body.password,
        FirstFactor::EmailCode | FirstFactor::ResetPasswordEmailCode => body.code,
        FirstFactor::Passkey => body.public_key_credential,
        FirstFactor::EnterpriseSso => None,
    };
    let step =
        sign_in::attempt(&state, &mut fapi, &id, factor, &secret.unwrap_or_default()).await?;
    answer(&state, &mut fapi, step).await
}

/// clerk-js also sends `sign_out_of_other_sessions`; a reset ends every
/// other session whatever it says, so it is not read.
#[derive(Deserialize)]
pub struct Reset {
    password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Reset>,
) -> ApiResult<Response> {
    let attempt = sign_in::reset(&state, &mut fapi, &id, &body.password).await?;
    envelope(
        &state,
        &mut fapi,
        render::sign_in(&attempt, &state.settings().settings.sign_in),
    )
    .await
}

#[derive(Deserialize)]
pub struct AttemptSecond {
    strategy: String,
    code: Option<String>,
}

/// `totp` or `backup_code`: the code is all there is to send.
pub async fn attempt_second_factor(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<AttemptSecond>,
) -> ApiResult<Response> {
    let factor: SecondFactor = body.strategy.parse()?;
    let code = body.code.unwrap_or_default();
    let step = sign_in::attempt_second(&state, &mut fapi, &id, factor, &code).await?;
    answer(&state, &mut fapi, step).await
}

/// Nothing to prepare for an app's code or a backup code (clerk-js does not
/// call this for them); the attempt is returned as it is, so that a client
/// that does call it carries on.
pub async fn prepare_second_factor(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Prepare>,
) -> ApiResult<Response> {
    let _: SecondFactor = body.strategy.parse()?;
    let attempt = sign_in::get(&state, &fapi, &id).await?;
    envelope(
        &state,
        &mut fapi,
        render::sign_in(&attempt, &state.settings().settings.sign_in),
    )
    .await
}
