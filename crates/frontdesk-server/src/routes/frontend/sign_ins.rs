//! `/v1/client/sign_ins…`: password, emailed code, and password reset.
//!
//! Unknown identifiers get an attempt that looks like any other (decoy email
//! address id, a dummy password verification that costs the same time, codes
//! that are "sent" nowhere), so responses do not reveal who has an account.

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{FlowRecord, SessionStatus, User};
use frontdesk_domain::flows::{ATTEMPT_TTL_SECS, CodeOutcome, SignInAttempt};
use frontdesk_types::EmailAddressId;
use serde::Deserialize;
use serde_json::Value;

use super::ctx::Fapi;
use super::render;
use super::sign_ups::{code_error, envelope, load_flow, save_flow};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiBody;
use crate::render::LOCKOUT_SECS;
use crate::services::{codes, mail, passwords};
use crate::state::AppState;

/// Failed attempts before an account locks (security.md B1).
const MAX_FAILED_ATTEMPTS: i32 = 10;

#[derive(Deserialize)]
pub struct Create {
    identifier: Option<String>,
    password: Option<String>,
    strategy: Option<String>,
}

fn incorrect_password() -> ApiError {
    ApiError::bad_param(
        "password",
        "form_password_incorrect",
        "Password is incorrect. Try again, or use another method.",
    )
}

fn locked() -> ApiError {
    ApiError::client(
        axum::http::StatusCode::FORBIDDEN,
        frontdesk_types::ClerkError::new(
            "user_locked",
            "Your account is locked.",
            "Your account is locked. Please try again later.",
        ),
    )
}

async fn user_of(state: &AppState, a: &SignInAttempt) -> ApiResult<Option<User>> {
    match &a.user_id {
        Some(id) => Ok(state
            .store
            .get_user(&id.parse().map_err(ApiError::internal)?)
            .await?),
        None => Ok(None),
    }
}

/// Count a failure against the account (all IPs), locking it at the limit.
async fn record_failure(state: &AppState, user: &mut User) -> ApiResult<()> {
    let now = UnixMillis::now();
    user.failed_attempts += 1;
    if user.failed_attempts >= MAX_FAILED_ATTEMPTS {
        user.locked_at = Some(now);
    }
    user.updated_at = now;
    // Bookkeeping, not a change of the user: no `user.updated`.
    state.store.update_user(user, &[]).await?;
    Ok(())
}

/// Sign the user in on this client: a new session, other sessions on the
/// browser ended (single-session mode), counters reset.
async fn complete(
    state: &AppState,
    fapi: &mut Fapi,
    a: &mut SignInAttempt,
    user: &mut User,
) -> ApiResult<()> {
    let now = UnixMillis::now();
    let session = fapi.start_session(state, user, now).await?;
    user.failed_attempts = 0;
    user.locked_at = None;
    user.last_sign_in_at = Some(now);
    user.updated_at = now;
    // `session.created` already tells of the sign-in.
    state.store.update_user(user, &[]).await?;
    a.status = "complete".to_owned();
    a.created_session_id = Some(session.id.to_string());
    Ok(())
}

/// Check a password, spending the same time whether or not the account exists.
async fn check_password(
    state: &AppState,
    fapi: &mut Fapi,
    a: &mut SignInAttempt,
    password: &str,
) -> ApiResult<()> {
    if password.len() > frontdesk_domain::password::MAX_PASSWORD_CHARS * 4 {
        return Err(incorrect_password());
    }
    let Some(mut user) = user_of(state, a).await? else {
        passwords::verify_nobody(state, password).await?;
        return Err(incorrect_password());
    };
    let now = UnixMillis::now();
    let ok = passwords::verify(state, &mut user, password).await?;
    if user.is_locked(now, LOCKOUT_SECS) {
        return Err(locked());
    }
    if user.banned {
        return Err(ApiError::bad_param(
            "identifier",
            "user_banned",
            "This account is banned.",
        ));
    }
    if !ok {
        record_failure(state, &mut user).await?;
        return Err(incorrect_password());
    }
    complete(state, fapi, a, &mut user).await
}

pub async fn create(
    State(state): State<AppState>,
    mut fapi: Fapi,
    ApiBody(body): ApiBody<Create>,
) -> ApiResult<Response> {
    let password = match body.strategy.as_deref() {
        Some("password") | None => body.password,
        _ => None,
    };
    let (attempt, result) = start(&state, &mut fapi, body.identifier, password).await?;
    if let Err(e) = result {
        return Ok(fapi.respond_error(e));
    }
    envelope(&state, &mut fapi, render::sign_in(&attempt)).await
}

/// Start a sign-in for `identifier`, checking `password` at once when given.
/// The attempt is stored whatever the outcome; the inner result says whether
/// the password was accepted.
pub(crate) async fn start(
    state: &AppState,
    fapi: &mut Fapi,
    identifier: Option<String>,
    password: Option<String>,
) -> ApiResult<(SignInAttempt, ApiResult<()>)> {
    let client = fapi.ensure_client(state).await?;
    let now = UnixMillis::now();
    let identifier = identifier
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let user = match &identifier {
        Some(id) => state.store.find_user_by_email(id).await?,
        None => None,
    };
    let mut attempt = SignInAttempt {
        id: format!("sia_{}", frontdesk_types::id::random_base62(16)),
        status: if identifier.is_some() {
            "needs_first_factor"
        } else {
            "needs_identifier"
        }
        .to_owned(),
        email_address_id: identifier.as_ref().map(|_| {
            user.as_ref()
                .and_then(|u| u.primary_email_address_id.clone())
                .unwrap_or_else(EmailAddressId::generate)
                .to_string()
        }),
        identifier,
        user_id: user.as_ref().map(|u| u.id.to_string()),
        first_factor: None,
        password_attempted: false,
        created_session_id: None,
        abandon_at: now.plus_secs(ATTEMPT_TTL_SECS),
    };
    let flow = FlowRecord {
        id: attempt.id.clone(),
        client_id: client.id.clone(),
        kind: "sign_in".to_owned(),
        data: Value::Null,
        created_at: now,
        updated_at: now,
    };
    let result = match password {
        Some(pw) if attempt.identifier.is_some() => {
            check_password(state, fapi, &mut attempt, &pw).await
        }
        _ => Ok(()),
    };
    save_flow(state, flow, &attempt).await?;
    Ok((attempt, result))
}

pub async fn get(
    State(state): State<AppState>,
    mut fapi: Fapi,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (_, attempt) = load_flow::<SignInAttempt>(&state, &fapi, &id, "sign_in").await?;
    envelope(&state, &mut fapi, render::sign_in(&attempt)).await
}

#[derive(Deserialize)]
pub struct Prepare {
    strategy: String,
}

pub async fn prepare_first_factor(
    State(state): State<AppState>,
    mut fapi: Fapi,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Prepare>,
) -> ApiResult<Response> {
    let attempt = prepare(&state, &fapi, &id, &body.strategy).await?;
    envelope(&state, &mut fapi, render::sign_in(&attempt)).await
}

/// Get a first factor ready: for the code strategies, mail a code (to real
/// accounts only; the answer is the same either way).
pub(crate) async fn prepare(
    state: &AppState,
    fapi: &Fapi,
    id: &str,
    strategy: &str,
) -> ApiResult<SignInAttempt> {
    let (flow, mut attempt) = load_flow::<SignInAttempt>(state, fapi, id, "sign_in").await?;
    let purpose = match strategy {
        "email_code" => "sign-in",
        "reset_password_email_code" => "password reset",
        "password" => return Ok(attempt),
        other => {
            return Err(ApiError::bad_param(
                "strategy",
                "form_param_value_invalid",
                format!("`{other}` is not supported"),
            ));
        }
    };
    let identifier = attempt.identifier.clone().ok_or_else(|| {
        ApiError::bad_param(
            "identifier",
            "form_param_missing",
            "Enter your email address first",
        )
    })?;
    let now = UnixMillis::now();
    let (challenge, code) = codes::issue(
        state,
        &attempt.id,
        &identifier,
        strategy,
        attempt.first_factor.as_ref(),
        now,
    )?;
    attempt.first_factor = Some(challenge);
    save_flow(state, flow, &attempt).await?;
    if attempt.user_id.is_some() {
        mail::send_code(state, &identifier, &code, purpose).await?;
    }
    Ok(attempt)
}

#[derive(Deserialize)]
pub struct AttemptFactor {
    strategy: String,
    code: Option<String>,
    password: Option<String>,
}

pub async fn attempt_first_factor(
    State(state): State<AppState>,
    mut fapi: Fapi,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<AttemptFactor>,
) -> ApiResult<Response> {
    let secret = match body.strategy.as_str() {
        "password" => body.password.unwrap_or_default(),
        _ => body.code.unwrap_or_default(),
    };
    let (attempt, result) = attempt(&state, &mut fapi, &id, &body.strategy, &secret).await?;
    if let Err(e) = result {
        return Ok(fapi.respond_error(e));
    }
    envelope(&state, &mut fapi, render::sign_in(&attempt)).await
}

/// Try a first factor: `secret` is the password or the code, as `strategy`
/// says. The attempt is stored whatever the outcome (tries are counted).
pub(crate) async fn attempt(
    state: &AppState,
    fapi: &mut Fapi,
    id: &str,
    strategy: &str,
    secret: &str,
) -> ApiResult<(SignInAttempt, ApiResult<()>)> {
    let (flow, mut attempt) = load_flow::<SignInAttempt>(state, fapi, id, "sign_in").await?;
    if attempt.status == "complete" {
        return Err(ApiError::bad_param(
            "strategy",
            "sign_in_complete",
            "This sign-in is already complete.",
        ));
    }
    let result = match strategy {
        "password" => check_password(state, fapi, &mut attempt, secret).await,
        "email_code" | "reset_password_email_code" => {
            check_code(state, fapi, &mut attempt, strategy, secret).await
        }
        other => Err(ApiError::bad_param(
            "strategy",
            "form_param_value_invalid",
            format!("`{other}` is not supported"),
        )),
    };
    save_flow(state, flow, &attempt).await?;
    Ok((attempt, result))
}

async fn check_code(
    state: &AppState,
    fapi: &mut Fapi,
    a: &mut SignInAttempt,
    strategy: &str,
    code: &str,
) -> ApiResult<()> {
    let now = UnixMillis::now();
    let Some(challenge) = a.first_factor.as_mut().filter(|f| f.strategy == strategy) else {
        return Err(code_error(CodeOutcome::NotPending));
    };
    let matches = a.user_id.is_some() && codes::matches(&a.id, challenge, code);
    let outcome = challenge.attempt(matches, now);
    let mut user = user_of(state, a).await?;
    if outcome != CodeOutcome::Verified {
        if let (Some(u), CodeOutcome::Incorrect | CodeOutcome::Failed) = (user.as_mut(), outcome) {
            record_failure(state, u).await?;
        }
        return Err(code_error(outcome));
    }
    let mut user = user.ok_or_else(|| code_error(CodeOutcome::Incorrect))?;
    if user.is_locked(now, LOCKOUT_SECS) {
        return Err(locked());
    }
    if strategy == "reset_password_email_code" {
        a.status = "needs_new_password".to_owned();
        return Ok(());
    }
    complete(state, fapi, a, &mut user).await
}

#[derive(Deserialize)]
pub struct Reset {
    password: String,
    #[serde(default)]
    sign_out_of_other_sessions: Option<String>,
}

pub async fn reset_password(
    State(state): State<AppState>,
    mut fapi: Fapi,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Reset>,
) -> ApiResult<Response> {
    // A reset ends every other session, whatever the form says: whoever
    // knew the old password must not stay signed in.
    let _ = body.sign_out_of_other_sessions;
    let attempt = reset(&state, &mut fapi, &id, &body.password).await?;
    envelope(&state, &mut fapi, render::sign_in(&attempt)).await
}

/// Set a new password after a verified reset code, end every session of the
/// user, and sign in on this browser.
pub(crate) async fn reset(
    state: &AppState,
    fapi: &mut Fapi,
    id: &str,
    password: &str,
) -> ApiResult<SignInAttempt> {
    let (flow, mut attempt) = load_flow::<SignInAttempt>(state, fapi, id, "sign_in").await?;
    if attempt.status != "needs_new_password" {
        return Err(ApiError::bad_param(
            "password",
            "verification_not_pending",
            "Verify the reset code first.",
        ));
    }
    let mut user = user_of(state, &attempt)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let parsed = passwords::parse_new(state, password, "password", &passwords::context_of(&user))?;
    let now = UnixMillis::now();
    user.password_digest = Some(passwords::hash(state, &parsed).await?);
    user.password_last_updated_at = Some(now);
    user.updated_at = now;
    let events = state.events();
    state
        .store
        .update_user(&user, &[events.user_updated(&user)])
        .await?;
    state
        .store
        .end_user_sessions(&user.id, SessionStatus::Ended, now, &|s| {
            events.session_ended(s, &user)
        })
        .await?;
    complete(state, fapi, &mut attempt, &mut user).await?;
    save_flow(state, flow, &attempt).await?;
    Ok(attempt)
}
