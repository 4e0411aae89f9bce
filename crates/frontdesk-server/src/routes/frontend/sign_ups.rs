//! `/v1/client/sign_ups…`: sign-up with email, password and an emailed code.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_domain::entities::{FlowRecord, User, Verification, VerificationStatus};
use frontdesk_domain::flows::{ATTEMPT_TTL_SECS, CodeOutcome, SignUpAttempt};
use frontdesk_domain::{EmailAddress, UnixMillis};
use frontdesk_types::ClerkError;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::ctx::Fapi;
use super::render;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiBody;
use crate::services::{codes, mail, passwords};
use crate::state::AppState;

/// Load an attempt of `kind` that belongs to the caller's client.
pub async fn load_flow<T: DeserializeOwned>(
    state: &AppState,
    fapi: &Fapi,
    id: &str,
    kind: &str,
) -> ApiResult<(FlowRecord, T)> {
    let not_found = || ApiError::not_found(kind);
    let client = fapi.client.as_ref().ok_or_else(not_found)?;
    let flow = state
        .store
        .get_flow(id)
        .await?
        .filter(|f| f.client_id == client.id && f.kind == kind)
        .ok_or_else(not_found)?;
    let attempt = serde_json::from_value(flow.data.clone()).map_err(ApiError::internal)?;
    Ok((flow, attempt))
}

/// Store an attempt back.
pub async fn save_flow<T: serde::Serialize>(
    state: &AppState,
    mut flow: FlowRecord,
    attempt: &T,
) -> ApiResult<()> {
    flow.data = serde_json::to_value(attempt).map_err(ApiError::internal)?;
    flow.updated_at = UnixMillis::now();
    state.store.put_flow(&flow).await?;
    Ok(())
}

/// `{response, client}` with the caller's client as it is now.
pub async fn envelope<T: serde::Serialize>(
    state: &AppState,
    fapi: &mut Fapi,
    response: T,
) -> ApiResult<Response> {
    fapi.reload(state).await?;
    let client = match &fapi.client {
        Some(c) => Some(render::client(state, c, fapi.origin.as_deref()).await?),
        None => None,
    };
    Ok(fapi.respond(&json!({"response": response, "client": client})))
}

#[derive(Deserialize, Default)]
pub struct Fields {
    pub(crate) email_address: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) username: Option<String>,
    /// JSON text in form bodies.
    pub(crate) unsafe_metadata: Option<String>,
}

async fn apply(state: &AppState, a: &mut SignUpAttempt, f: Fields) -> ApiResult<()> {
    if let Some(raw) = f.email_address.filter(|s| !s.is_empty()) {
        let email: EmailAddress = raw.parse().map_err(|e| {
            ApiError::bad_param(
                "email_address",
                "form_param_format_invalid",
                format!("Email address {e}"),
            )
        })?;
        if state
            .store
            .find_user_by_email(email.as_str())
            .await?
            .is_some()
        {
            return Err(ApiError::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                ClerkError::new(
                    "form_identifier_exists",
                    "That email address is taken. Please try another.",
                    "That email address is taken. Please try another.",
                )
                .with_param("email_address"),
            ));
        }
        if a.email_address.as_deref() != Some(email.as_str()) {
            a.email_verification = None;
        }
        a.email_address = Some(email.as_str().to_owned());
    }
    if let Some(pw) = f.password {
        let context: Vec<&str> = [&a.email_address, &f.first_name, &a.first_name]
            .into_iter()
            .filter_map(|v| v.as_deref())
            .collect();
        let parsed = passwords::parse_new(state, &pw, "password", &context)?;
        a.password_digest = Some(passwords::hash(state, &parsed).await?);
    }
    if let Some(v) = f.first_name {
        a.first_name = Some(v).filter(|s| !s.is_empty());
    }
    if let Some(v) = f.last_name {
        a.last_name = Some(v).filter(|s| !s.is_empty());
    }
    if let Some(v) = f.username {
        a.username = Some(v).filter(|s| !s.is_empty());
    }
    if let Some(raw) = f.unsafe_metadata {
        a.unsafe_metadata = serde_json::from_str::<Map<String, Value>>(&raw).map_err(|_| {
            ApiError::bad_param(
                "unsafe_metadata",
                "form_param_format_invalid",
                "unsafe_metadata must be a JSON object",
            )
        })?;
    }
    Ok(())
}

pub async fn create(
    State(state): State<AppState>,
    mut fapi: Fapi,
    ApiBody(fields): ApiBody<Fields>,
) -> ApiResult<Response> {
    match start(&state, &mut fapi, fields).await {
        Ok(attempt) => envelope(&state, &mut fapi, render::sign_up(&attempt)).await,
        Err(e) => Ok(fapi.respond_error(e)),
    }
}

/// Start a sign-up with `fields`; nothing is stored when they are refused.
pub(crate) async fn start(
    state: &AppState,
    fapi: &mut Fapi,
    fields: Fields,
) -> ApiResult<SignUpAttempt> {
    let client = fapi.ensure_client(state).await?;
    let now = UnixMillis::now();
    let mut attempt = SignUpAttempt {
        id: format!("sua_{}", frontdesk_types::id::random_base62(16)),
        status: "missing_requirements".to_owned(),
        email_address: None,
        password_digest: None,
        first_name: None,
        last_name: None,
        username: None,
        unsafe_metadata: Map::new(),
        email_verification: None,
        created_user_id: None,
        created_session_id: None,
        abandon_at: now.plus_secs(ATTEMPT_TTL_SECS),
    };
    apply(state, &mut attempt, fields).await?;
    let flow = FlowRecord {
        id: attempt.id.clone(),
        client_id: client.id.clone(),
        kind: "sign_up".to_owned(),
        data: Value::Null,
        created_at: now,
        updated_at: now,
    };
    save_flow(state, flow, &attempt).await?;
    Ok(attempt)
}

pub async fn get(
    State(state): State<AppState>,
    mut fapi: Fapi,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (_, attempt) = load_flow::<SignUpAttempt>(&state, &fapi, &id, "sign_up").await?;
    envelope(&state, &mut fapi, render::sign_up(&attempt)).await
}

pub async fn update(
    State(state): State<AppState>,
    mut fapi: Fapi,
    Path(id): Path<String>,
    ApiBody(fields): ApiBody<Fields>,
) -> ApiResult<Response> {
    let (flow, mut attempt) = load_flow::<SignUpAttempt>(&state, &fapi, &id, "sign_up").await?;
    apply(&state, &mut attempt, fields).await?;
    save_flow(&state, flow, &attempt).await?;
    envelope(&state, &mut fapi, render::sign_up(&attempt)).await
}

#[derive(Deserialize)]
pub struct Prepare {
    strategy: String,
}

pub async fn prepare(
    State(state): State<AppState>,
    mut fapi: Fapi,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Prepare>,
) -> ApiResult<Response> {
    if body.strategy != "email_code" {
        return Err(ApiError::bad_param(
            "strategy",
            "form_param_value_invalid",
            format!("`{}` is not supported", body.strategy),
        ));
    }
    let attempt = send_code(&state, &fapi, &id).await?;
    envelope(&state, &mut fapi, render::sign_up(&attempt)).await
}

/// Mail a verification code to the sign-up's address.
pub(crate) async fn send_code(state: &AppState, fapi: &Fapi, id: &str) -> ApiResult<SignUpAttempt> {
    let (flow, mut attempt) = load_flow::<SignUpAttempt>(state, fapi, id, "sign_up").await?;
    let email = attempt.email_address.clone().ok_or_else(|| {
        ApiError::bad_param(
            "email_address",
            "form_param_missing",
            "Enter an email address first",
        )
    })?;
    let now = UnixMillis::now();
    let (challenge, code) = codes::issue(
        state,
        &attempt.id,
        &email,
        "email_code",
        attempt.email_verification.as_ref(),
        now,
    )?;
    attempt.email_verification = Some(challenge);
    save_flow(state, flow, &attempt).await?;
    mail::send_code(state, &email, &code, "verification").await?;
    Ok(attempt)
}

#[derive(Deserialize)]
pub struct Attempt {
    code: String,
}

/// Clerk's errors for a wrong, spent or expired code.
pub fn code_error(outcome: CodeOutcome) -> ApiError {
    let (code, message) = match outcome {
        CodeOutcome::Incorrect => ("form_code_incorrect", "Incorrect code"),
        CodeOutcome::Failed => (
            "verification_failed",
            "Too many failed attempts. Request a new code.",
        ),
        CodeOutcome::Expired => (
            "verification_expired",
            "This code has expired. Request a new one.",
        ),
        _ => (
            "verification_not_pending",
            "There is no code to verify. Request a new one.",
        ),
    };
    ApiError::bad_param("code", code, message)
}

pub async fn attempt(
    State(state): State<AppState>,
    mut fapi: Fapi,
    Path(id): Path<String>,
    ApiBody(body): ApiBody<Attempt>,
) -> ApiResult<Response> {
    let attempt = verify(&state, &mut fapi, &id, &body.code).await?;
    envelope(&state, &mut fapi, render::sign_up(&attempt)).await
}

/// Check the emailed code; with it right (and a password set), the user is
/// created and signed in on this browser.
pub(crate) async fn verify(
    state: &AppState,
    fapi: &mut Fapi,
    id: &str,
    code: &str,
) -> ApiResult<SignUpAttempt> {
    let (flow, mut attempt) = load_flow::<SignUpAttempt>(state, fapi, id, "sign_up").await?;
    let now = UnixMillis::now();
    let matches = attempt
        .email_verification
        .as_ref()
        .is_some_and(|v| codes::matches(&attempt.id, v, code));
    let outcome = match attempt.email_verification.as_mut() {
        Some(v) => v.attempt(matches, now),
        None => CodeOutcome::NotPending,
    };
    if outcome != CodeOutcome::Verified {
        save_flow(state, flow, &attempt).await?;
        return Err(code_error(outcome));
    }
    let complete = complete_sign_up(state, fapi, &mut attempt, now).await;
    save_flow(state, flow, &attempt).await?;
    complete?;
    Ok(attempt)
}

/// With the email verified and a password set: create the user and a session.
async fn complete_sign_up(
    state: &AppState,
    fapi: &mut Fapi,
    attempt: &mut SignUpAttempt,
    now: UnixMillis,
) -> ApiResult<()> {
    let (Some(email), Some(_)) = (
        attempt.email_address.clone(),
        attempt.password_digest.as_ref(),
    ) else {
        return Ok(());
    };
    let email: EmailAddress = email.parse().map_err(ApiError::internal)?;
    let mut user = User::new(now);
    user.add_email(
        &email,
        Some(Verification {
            status: VerificationStatus::Verified,
            strategy: "email_code".into(),
            attempts: attempt.email_verification.as_ref().map(|v| v.attempts),
            expire_at: attempt.email_verification.as_ref().map(|v| v.expire_at),
        }),
        now,
    );
    user.password_digest = attempt.password_digest.clone();
    user.password_last_updated_at = Some(now);
    user.first_name = attempt.first_name.clone();
    user.last_name = attempt.last_name.clone();
    user.username = attempt.username.clone();
    user.unsafe_metadata = Value::Object(attempt.unsafe_metadata.clone());
    user.last_sign_in_at = Some(now);
    let event = state.events().user_created(&user);
    state
        .store
        .create_user(&user, &[event])
        .await
        .map_err(|e| match e {
            frontdesk_store::StoreError::Conflict(_) => ApiError::bad_param(
                "email_address",
                "form_identifier_exists",
                "That email address is taken. Please try another.",
            ),
            other => other.into(),
        })?;
    let session = fapi.start_session(state, &user, now).await?;
    attempt.status = "complete".to_owned();
    attempt.created_user_id = Some(user.id.to_string());
    attempt.created_session_id = Some(session.id.to_string());
    Ok(())
}
