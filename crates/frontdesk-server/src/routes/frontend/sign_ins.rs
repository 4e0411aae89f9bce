//! `/v1/client/sign_ins…`: password, emailed code, and password reset.
//!
//! Unknown identifiers get an attempt that looks like any other (decoy email
//! address id, a dummy password verification that costs the same time, codes
//! that are queued for nobody), so responses do not reveal who has an
//! account. Every decision on the account (wrong password counted, locked,
//! banned) is taken on its state in the database after the check
//! ([`crate::services::credentials`]).

use axum::extract::{Path, State};
use axum::response::Response;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::SessionStatus;
use frontdesk_domain::flows::{ATTEMPT_TTL_SECS, CodeOutcome, SignInAttempt};
use frontdesk_store::{EndSessions, UserPatch};
use frontdesk_types::{EmailAddressId, UserId};
use serde::Deserialize;

use super::ctx::Fapi;
use super::render;
use super::sign_ups::{change_flow, code_error, envelope, insert_flow, load_flow};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiBody;
use crate::services::credentials::{self, Credential, Denied};
use crate::services::mail::Purpose;
use crate::services::{codes, mail, passwords};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Create {
    identifier: Option<String>,
    password: Option<String>,
    strategy: Option<String>,
}

fn user_id_of(a: &SignInAttempt) -> ApiResult<Option<UserId>> {
    a.user_id
        .as_deref()
        .map(|id| id.parse().map_err(ApiError::internal))
        .transpose()
}

/// Mark the attempt complete with its session.
async fn completed(
    state: &AppState,
    fapi: &Fapi,
    id: &str,
    session: &frontdesk_domain::entities::Session,
) -> ApiResult<SignInAttempt> {
    let (attempt, ()) = change_flow::<SignInAttempt, _>(state, fapi, id, "sign_in", |a| {
        a.status = "complete".to_owned();
        a.created_session_id = Some(session.id.to_string());
    })
    .await?;
    Ok(attempt)
}

/// Check a password for the attempt's account (spending the same time
/// whether or not there is one) and, if it is right, sign in.
async fn sign_in_with_password(
    state: &AppState,
    fapi: &mut Fapi,
    a: &SignInAttempt,
    password: &str,
) -> ApiResult<Result<SignInAttempt, ApiError>> {
    let user_id = user_id_of(a)?;
    let refused = |d: Denied| d.error(state, Credential::Password);
    let user = match credentials::check_password(state, user_id.as_ref(), password).await? {
        Ok(user) => user,
        Err(denied) => {
            change_flow::<SignInAttempt, _>(state, fapi, &a.id, "sign_in", |a| {
                a.password_attempted = true;
            })
            .await?;
            return Ok(Err(refused(denied)));
        }
    };
    let now = UnixMillis::now();
    match fapi.sign_in(state, &user.id, now).await? {
        Ok((_, session)) => Ok(Ok(completed(state, fapi, &a.id, &session).await?)),
        Err(denied) => Ok(Err(refused(denied))),
    }
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
    let user = match identifier
        .as_deref()
        .map(str::parse::<frontdesk_domain::EmailAddress>)
    {
        Some(Ok(email)) => state.store.find_user_by_email(email.as_str()).await?,
        _ => None,
    };
    let attempt = SignInAttempt {
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
    insert_flow(state, &client.id, "sign_in", &attempt.id, &attempt, now).await?;
    match password {
        Some(pw) if attempt.identifier.is_some() => {
            match sign_in_with_password(state, fapi, &attempt, &pw).await? {
                Ok(done) => Ok((done, Ok(()))),
                Err(e) => Ok((attempt, Err(e))),
            }
        }
        _ => Ok((attempt, Ok(()))),
    }
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

/// Get a first factor ready: for the code strategies, queue a code (mailed to
/// real accounts only; the work and the answer are the same either way).
pub(crate) async fn prepare(
    state: &AppState,
    fapi: &Fapi,
    id: &str,
    strategy: &str,
) -> ApiResult<SignInAttempt> {
    let purpose = match strategy {
        "email_code" => Purpose::SignIn,
        "reset_password_email_code" => Purpose::Reset,
        "password" => {
            return Ok(load_flow::<SignInAttempt>(state, fapi, id, "sign_in")
                .await?
                .1);
        }
        other => {
            return Err(ApiError::bad_param(
                "strategy",
                "form_param_value_invalid",
                format!("`{other}` is not supported"),
            ));
        }
    };
    let now = UnixMillis::now();
    let (attempt, issued) = change_flow::<SignInAttempt, _>(state, fapi, id, "sign_in", |a| {
        let identifier = a.identifier.clone().ok_or_else(|| {
            ApiError::bad_param(
                "identifier",
                "form_param_missing",
                "Enter your email address first",
            )
        })?;
        let (challenge, code) = codes::issue(
            state,
            &a.id,
            &identifier,
            strategy,
            a.first_factor.as_ref(),
            now,
        )?;
        a.first_factor = Some(challenge);
        Ok::<_, ApiError>((identifier, code))
    })
    .await?;
    let (identifier, code) = issued?;
    let to = identifier
        .parse::<frontdesk_domain::EmailAddress>()
        .map_or(identifier, |e| e.as_str().to_owned());
    mail::send_code(state, &to, &code, purpose, attempt.user_id.is_some()).await?;
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
/// says. Tries are counted whatever the outcome.
pub(crate) async fn attempt(
    state: &AppState,
    fapi: &mut Fapi,
    id: &str,
    strategy: &str,
    secret: &str,
) -> ApiResult<(SignInAttempt, ApiResult<()>)> {
    let (_, current) = load_flow::<SignInAttempt>(state, fapi, id, "sign_in").await?;
    if current.status == "complete" {
        return Err(ApiError::bad_param(
            "strategy",
            "sign_in_complete",
            "This sign-in is already complete.",
        ));
    }
    match strategy {
        "password" => match sign_in_with_password(state, fapi, &current, secret).await? {
            Ok(done) => Ok((done, Ok(()))),
            Err(e) => Ok((current, Err(e))),
        },
        "email_code" | "reset_password_email_code" => {
            check_code(state, fapi, id, strategy, secret).await
        }
        other => Err(ApiError::bad_param(
            "strategy",
            "form_param_value_invalid",
            format!("`{other}` is not supported"),
        )),
    }
}

/// Count the try on the attempt (one compare-and-swap: parallel tries each
/// count, a code is used once), then act on the outcome: a wrong code counts
/// against the account too; a right one signs in (or, for a reset, asks for
/// the new password) unless the account is locked or banned now.
async fn check_code(
    state: &AppState,
    fapi: &mut Fapi,
    id: &str,
    strategy: &str,
    code: &str,
) -> ApiResult<(SignInAttempt, ApiResult<()>)> {
    let now = UnixMillis::now();
    let (attempt, outcome) = change_flow::<SignInAttempt, _>(state, fapi, id, "sign_in", |a| {
        let user_known = a.user_id.is_some();
        match a.first_factor.as_mut().filter(|f| f.strategy == strategy) {
            Some(challenge) => {
                let matches = user_known && codes::matches(&a.id, challenge, code);
                challenge.attempt(matches, now)
            }
            None => CodeOutcome::NotPending,
        }
    })
    .await?;
    let user_id = user_id_of(&attempt)?;
    let refused = |d: Denied| d.error(state, Credential::Code);
    if outcome != CodeOutcome::Verified {
        if let (Some(uid), CodeOutcome::Incorrect | CodeOutcome::Failed) = (&user_id, outcome) {
            let denied = credentials::count_failure(state, uid).await?;
            if denied != Denied::Incorrect {
                return Ok((attempt, Err(refused(denied))));
            }
        }
        return Ok((attempt, Err(code_error(outcome))));
    }
    let Some(user_id) = user_id else {
        return Ok((attempt, Err(code_error(CodeOutcome::Incorrect))));
    };
    if strategy == "reset_password_email_code" {
        if let Err(denied) = credentials::standing(state, &user_id).await? {
            return Ok((attempt, Err(refused(denied))));
        }
        let (attempt, ()) = change_flow::<SignInAttempt, _>(state, fapi, id, "sign_in", |a| {
            a.status = "needs_new_password".to_owned();
        })
        .await?;
        return Ok((attempt, Ok(())));
    }
    match fapi.sign_in(state, &user_id, now).await? {
        Ok((_, session)) => Ok((completed(state, fapi, id, &session).await?, Ok(()))),
        Err(denied) => Ok((attempt, Err(refused(denied)))),
    }
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
/// user (one transaction), and sign in on this browser.
pub(crate) async fn reset(
    state: &AppState,
    fapi: &mut Fapi,
    id: &str,
    password: &str,
) -> ApiResult<SignInAttempt> {
    let (_, attempt) = load_flow::<SignInAttempt>(state, fapi, id, "sign_in").await?;
    if attempt.status != "needs_new_password" {
        return Err(ApiError::bad_param(
            "password",
            "verification_not_pending",
            "Verify the reset code first.",
        ));
    }
    let user_id = user_id_of(&attempt)?.ok_or_else(|| ApiError::not_found("user"))?;
    let user = state
        .store
        .get_user(&user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let parsed = passwords::parse_new(state, password, "password", &passwords::context_of(&user))?;
    let digest = passwords::hash(state, &parsed).await?;
    // The attempt is used up before the password changes, so one verified
    // code sets one password.
    let (_, claimed) = change_flow::<SignInAttempt, _>(state, fapi, id, "sign_in", |a| {
        let mine = a.status == "needs_new_password";
        if mine {
            a.status = "needs_first_factor".to_owned();
        }
        mine
    })
    .await?;
    if !claimed {
        return Err(ApiError::bad_param(
            "password",
            "verification_not_pending",
            "Verify the reset code first.",
        ));
    }
    let now = UnixMillis::now();
    let events = state.events();
    let patch = UserPatch {
        password_digest: Some(Some(digest)),
        end_sessions: Some(EndSessions {
            status: SessionStatus::Ended,
            except: None,
        }),
        ..UserPatch::default()
    };
    state
        .store
        .patch_user(&user_id, &patch, now, &|u, ended| {
            let mut out = vec![events.user_updated(u)];
            out.extend(ended.iter().filter_map(|s| events.session_ended(s, u)));
            out
        })
        .await?;
    match fapi.sign_in(state, &user_id, now).await? {
        Ok((_, session)) => completed(state, fapi, id, &session).await,
        Err(denied) => Err(denied.error(state, Credential::Password)),
    }
}
