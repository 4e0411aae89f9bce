//! `/v1/client/sign_ups…`: sign-up with email, password and an emailed code.

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_domain::entities::{FlowRecord, User, Verification, VerificationStatus};
use frontdesk_domain::flows::{ATTEMPT_TTL_SECS, CodeOutcome, SignUpAttempt};
use frontdesk_domain::metadata::MAX_METADATA_BYTES;
use frontdesk_domain::{EmailAddress, PersonName, UnixMillis, Username};
use frontdesk_store::{StoreError, UserFilter};
use frontdesk_types::ClientId;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::ctx::Fapi;
use super::render;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiBody;
use crate::services::mail::Purpose;
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

/// Change an attempt: `change` runs on the attempt as stored, and its result
/// is written back only over the version it was read at; if another request
/// wrote first, `change` runs again on that write. `change` awaits nothing,
/// so what it decides (a code try counted, a code used up) is decided on the
/// stored state, and parallel tries are each counted (finding F7).
pub async fn change_flow<T, R>(
    state: &AppState,
    fapi: &Fapi,
    id: &str,
    kind: &str,
    mut change: impl FnMut(&mut T) -> R,
) -> ApiResult<(T, R)>
where
    T: DeserializeOwned + serde::Serialize,
{
    for _ in 0..200 {
        let (mut flow, mut attempt) = load_flow::<T>(state, fapi, id, kind).await?;
        let result = change(&mut attempt);
        flow.data = serde_json::to_value(&attempt).map_err(ApiError::internal)?;
        flow.updated_at = UnixMillis::now();
        match state.store.update_flow(&flow).await {
            Ok(_) => return Ok((attempt, result)),
            Err(StoreError::Stale) => tokio::task::yield_now().await,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Stale.into())
}

/// Store a new attempt.
pub async fn insert_flow<T: serde::Serialize>(
    state: &AppState,
    client_id: &ClientId,
    kind: &str,
    id: &str,
    attempt: &T,
    now: UnixMillis,
) -> ApiResult<()> {
    let flow = FlowRecord {
        id: id.to_owned(),
        client_id: client_id.clone(),
        kind: kind.to_owned(),
        data: serde_json::to_value(attempt).map_err(ApiError::internal)?,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    state.store.insert_flow(&flow).await?;
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

/// Sign-up fields after the rules the Backend API applies to the same fields
/// (finding F18), with the password already hashed: what is left to do to
/// the attempt awaits nothing.
#[derive(Default)]
struct Checked {
    email_address: Option<String>,
    password_digest: Option<String>,
    first_name: Option<Option<String>>,
    last_name: Option<Option<String>>,
    username: Option<Option<String>>,
    unsafe_metadata: Option<Map<String, Value>>,
}

fn name(param: &str, raw: &str) -> ApiResult<Option<String>> {
    PersonName::parse(raw)
        .map(|n| n.map(PersonName::into_string))
        .map_err(|e| {
            ApiError::bad_param(param, "form_param_format_invalid", format!("{param} {e}"))
        })
}

/// Check `f` as the attempt `a` stands (for the password's context words).
async fn check(state: &AppState, a: &SignUpAttempt, f: Fields) -> ApiResult<Checked> {
    let hide = state.config.hide_user_existence;
    let mut out = Checked::default();
    if let Some(raw) = f.email_address.filter(|s| !s.is_empty()) {
        let email: EmailAddress = raw.parse().map_err(|e| {
            ApiError::bad_param(
                "email_address",
                "form_param_format_invalid",
                format!("Email address {e}"),
            )
        })?;
        if !hide
            && state
                .store
                .find_user_by_email(email.as_str())
                .await?
                .is_some()
        {
            return Err(ApiError::identifier_taken("email_address", "email address"));
        }
        out.email_address = Some(email.as_str().to_owned());
    }
    if let Some(v) = &f.first_name {
        out.first_name = Some(name("first_name", v)?);
    }
    if let Some(v) = &f.last_name {
        out.last_name = Some(name("last_name", v)?);
    }
    if let Some(v) = f.username {
        let parsed = match v.trim() {
            "" => None,
            text => Some(Username::parse(text).map_err(|e| {
                ApiError::bad_param("username", "form_username_invalid_character", e.to_string())
            })?),
        };
        if let Some(u) = &parsed {
            let filter = UserFilter {
                usernames: vec![u.as_str().to_owned()],
                ..UserFilter::default()
            };
            if !hide && state.store.count_users(&filter).await? > 0 {
                return Err(ApiError::identifier_taken("username", "username"));
            }
        }
        out.username = Some(parsed.map(Username::into_string));
    }
    if let Some(raw) = f.unsafe_metadata {
        let map = serde_json::from_str::<Map<String, Value>>(&raw)
            .ok()
            .filter(|m| !frontdesk_domain::text::json_has_refused(&Value::Object(m.clone())))
            .ok_or_else(|| {
                ApiError::bad_param(
                    "unsafe_metadata",
                    "form_param_format_invalid",
                    "unsafe_metadata must be a JSON object without control characters",
                )
            })?;
        if raw.len() > MAX_METADATA_BYTES {
            return Err(ApiError::bad_param(
                "unsafe_metadata",
                "form_metadata_too_large",
                format!("`unsafe_metadata` may be at most {MAX_METADATA_BYTES} bytes"),
            ));
        }
        out.unsafe_metadata = Some(map);
    }
    if let Some(pw) = f.password {
        let email = out.email_address.as_ref().or(a.email_address.as_ref());
        let first = out.first_name.as_ref().and_then(Option::as_ref);
        let context: Vec<&str> = [email, first, a.first_name.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let parsed = passwords::parse_new(state, &pw, "password", &context)?;
        out.password_digest = Some(passwords::hash(state, &parsed).await?);
    }
    Ok(out)
}

impl Checked {
    fn apply(&self, a: &mut SignUpAttempt) {
        if let Some(email) = &self.email_address {
            if a.email_address.as_ref() != Some(email) {
                a.email_verification = None;
            }
            a.email_address = Some(email.clone());
        }
        if let Some(d) = &self.password_digest {
            a.password_digest = Some(d.clone());
        }
        if let Some(v) = &self.first_name {
            a.first_name = v.clone();
        }
        if let Some(v) = &self.last_name {
            a.last_name = v.clone();
        }
        if let Some(v) = &self.username {
            a.username = v.clone();
        }
        if let Some(m) = &self.unsafe_metadata {
            a.unsafe_metadata = m.clone();
        }
    }
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
    check(state, &attempt, fields).await?.apply(&mut attempt);
    insert_flow(state, &client.id, "sign_up", &attempt.id, &attempt, now).await?;
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
    let (_, current) = load_flow::<SignUpAttempt>(&state, &fapi, &id, "sign_up").await?;
    let checked = check(&state, &current, fields).await?;
    let (attempt, ()) =
        change_flow::<SignUpAttempt, _>(&state, &fapi, &id, "sign_up", |a| checked.apply(a))
            .await?;
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

/// Mail a verification code to the sign-up's address (with
/// `hide_user_existence`, an address that has an account gets a notice
/// instead, and the code stored is one nobody knows).
pub(crate) async fn send_code(state: &AppState, fapi: &Fapi, id: &str) -> ApiResult<SignUpAttempt> {
    let now = UnixMillis::now();
    let (attempt, issued) = change_flow::<SignUpAttempt, _>(state, fapi, id, "sign_up", |a| {
        let email = a.email_address.clone().ok_or_else(|| {
            ApiError::bad_param(
                "email_address",
                "form_param_missing",
                "Enter an email address first",
            )
        })?;
        let (challenge, code) = codes::issue(
            state,
            &a.id,
            &email,
            "email_code",
            a.email_verification.as_ref(),
            now,
        )?;
        a.email_verification = Some(challenge);
        Ok::<_, ApiError>((email, code))
    })
    .await?;
    let (email, code) = issued?;
    let purpose = if state.config.hide_user_existence
        && state.store.find_user_by_email(&email).await?.is_some()
    {
        Purpose::SignUpTaken
    } else {
        Purpose::SignUp
    };
    mail::send_code(state, &email, &code, purpose, true).await?;
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
    let now = UnixMillis::now();
    let (attempt, outcome) = change_flow::<SignUpAttempt, _>(state, fapi, id, "sign_up", |a| {
        let matches = a
            .email_verification
            .as_ref()
            .is_some_and(|v| codes::matches(&a.id, v, code));
        match a.email_verification.as_mut() {
            Some(v) => v.attempt(matches, now),
            None => CodeOutcome::NotPending,
        }
    })
    .await?;
    if outcome != CodeOutcome::Verified {
        return Err(code_error(outcome));
    }
    complete_sign_up(state, fapi, attempt, now).await
}

/// With the email verified and a password set: create the user and a
/// session, and record both on the attempt.
async fn complete_sign_up(
    state: &AppState,
    fapi: &mut Fapi,
    attempt: SignUpAttempt,
    now: UnixMillis,
) -> ApiResult<SignUpAttempt> {
    let (Some(email), Some(_)) = (
        attempt.email_address.clone(),
        attempt.password_digest.as_ref(),
    ) else {
        return Ok(attempt);
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
            StoreError::Conflict(what) if what.contains("username") => {
                ApiError::identifier_taken("username", "username")
            }
            StoreError::Conflict(_) => ApiError::identifier_taken("email_address", "email address"),
            other => other.into(),
        })?;
    let (_, session) = fapi
        .sign_in(state, &user.id, now)
        .await?
        .map_err(|d| d.error(state, crate::services::credentials::Credential::Password))?;
    let (attempt, ()) = change_flow::<SignUpAttempt, _>(state, fapi, &attempt.id, "sign_up", |a| {
        a.status = "complete".to_owned();
        a.created_user_id = Some(user.id.to_string());
        a.created_session_id = Some(session.id.to_string());
    })
    .await?;
    Ok(attempt)
}
