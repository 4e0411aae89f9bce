//! `/v1/client/sessions/{id}/verify…`: the wire of
//! [`crate::engine::reverify`], as `<UserVerification/>` drives it
//! (clerk-protocol-wave2.md §2.8).

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, User};
use frontdesk_domain::flows::SecondFactor;
use frontdesk_domain::flows::reverify::{Level, SessionVerification};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{envelope, render};
use crate::engine::{account, reverify};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiBody, Browser};
use crate::state::AppState;

/// `Client.SessionReverification`, with the session as it is now.
async fn body(
    state: &AppState,
    fapi: &Browser,
    v: &SessionVerification,
    session_id: &str,
) -> ApiResult<Value> {
    let (session, user) = account::signed_in(state, fapi, Some(session_id)).await?;
    let mut first = Vec::new();
    if user.password_digest.is_some() {
        first.push(json!({"strategy": "password"}));
    }
    if let Some(e) = user.primary_email() {
        first.push(json!({
            "strategy": "email_code",
            "safe_identifier": render::safe_identifier(&e.email_address),
            "email_address_id": e.id,
            "primary": true,
        }));
    }
    let second: Vec<Value> = v
        .second_factors
        .iter()
        .map(|f| json!({"strategy": f.as_str()}))
        .collect();
    let first_verification = v.first_factor.as_ref().map(render::verification);
    let second_verification = v.second_factor.map(|t| {
        json!({
            "object": format!("verification_{}", t.strategy.as_str()),
            "status": if t.verified { "verified" } else { "unverified" },
            "strategy": t.strategy.as_str(),
            "attempts": t.attempts,
            "expire_at": null,
        })
    });
    let session = render::session(
        state,
        &session,
        &user,
        fapi.origin.as_deref(),
        UnixMillis::now(),
    )
    .await?;
    Ok(json!({
        "object": "session_reverification",
        "level": v.level.as_str(),
        "status": v.status.as_str(),
        "supported_first_factors": first,
        "supported_second_factors": (!second.is_empty()).then_some(second),
        "first_factor_verification": first_verification,
        "second_factor_verification": second_verification,
        "session": session,
    }))
}

async fn answer(
    state: &AppState,
    fapi: &mut Browser,
    v: &SessionVerification,
    session_id: &str,
) -> ApiResult<Response> {
    let b = body(state, fapi, v, session_id).await?;
    envelope(state, fapi, b).await
}

async fn caller(state: &AppState, fapi: &Browser, id: &str) -> ApiResult<(Session, User)> {
    account::signed_in(state, fapi, Some(id)).await
}

#[derive(Deserialize)]
pub struct Start {
    level: Option<String>,
}

pub async fn start(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(b): ApiBody<Start>,
) -> ApiResult<Response> {
    let level: Level = b.level.as_deref().unwrap_or("second_factor").parse()?;
    let (session, user) = caller(&state, &fapi, &id).await?;
    let v = reverify::start(&state, &mut fapi, &session, &user, level).await?;
    answer(&state, &mut fapi, &v, &id).await
}

#[derive(Deserialize)]
pub struct Prepare {
    strategy: String,
}

pub async fn prepare_first(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(b): ApiBody<Prepare>,
) -> ApiResult<Response> {
    let (session, user) = caller(&state, &fapi, &id).await?;
    let v = match b.strategy.as_str() {
        "email_code" => reverify::prepare_email_code(&state, &fapi, &session, &user).await?,
        // Nothing to prepare for a password.
        "password" => reverify::get(&state, &fapi, &session).await?,
        other => {
            return Err(frontdesk_domain::flows::UnknownStrategy(other.to_owned()).into());
        }
    };
    answer(&state, &mut fapi, &v, &id).await
}

#[derive(Deserialize)]
pub struct Attempt {
    strategy: String,
    password: Option<String>,
    code: Option<String>,
}

async fn respond(
    state: &AppState,
    fapi: &mut Browser,
    id: &str,
    result: Result<SessionVerification, ApiError>,
) -> ApiResult<Response> {
    match result {
        Ok(v) => answer(state, fapi, &v, id).await,
        Err(e) => Ok(fapi.respond_error(e)),
    }
}

pub async fn attempt_first(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(b): ApiBody<Attempt>,
) -> ApiResult<Response> {
    let (session, user) = caller(&state, &fapi, &id).await?;
    let secret = match b.strategy.as_str() {
        "password" => b.password,
        _ => b.code,
    }
    .unwrap_or_default();
    let result =
        reverify::attempt_first(&state, &fapi, &session, &user, &b.strategy, &secret).await?;
    respond(&state, &mut fapi, &id, result).await
}

pub async fn attempt_second(
    State(state): State<AppState>,
    mut fapi: Browser,
    Path(id): Path<String>,
    ApiBody(b): ApiBody<Attempt>,
) -> ApiResult<Response> {
    let factor: SecondFactor = b.strategy.parse()?;
    let (session, user) = caller(&state, &fapi, &id).await?;
    let code = b.code.unwrap_or_default();
    let result = reverify::attempt_second(&state, &fapi, &session, &user, factor, &code).await?;
    respond(&state, &mut fapi, &id, result).await
}
