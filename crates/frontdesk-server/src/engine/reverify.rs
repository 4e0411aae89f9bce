//! Step-up: sensitive changes need a factor checked within the last ten
//! minutes ([`require_recent`]); a user proves one again through a
//! [`SessionVerification`] (`/v1/client/sessions/{id}/verify…`, as
//! `<UserVerification/>` drives it, or the hosted `/user/verify` form). A
//! right factor moves the session's factor time (its `fva`) by one atomic
//! update; wrong ones count toward lockout like any other.

use axum::http::StatusCode;
use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::{Session, User};
use frontdesk_domain::flows::reverify::{Level, Proven, SessionVerification, recent_enough};
use frontdesk_domain::flows::{CodeOutcome, CodeStrategy, SecondFactor};
use frontdesk_types::ClerkError;

use super::{code_error, flows, mfa};
use crate::error::{ApiError, ApiResult};
use crate::extract::Browser;
use crate::services::credentials::{self, Credential, Denied};
use crate::services::mail::Purpose;
use crate::services::{codes, mail};
use crate::state::AppState;

/// The error clerk-js's `useReverification` answers by opening
/// `<UserVerification/>` and retrying the call.
pub fn required() -> ApiError {
    ApiError::client(
        StatusCode::FORBIDDEN,
        ClerkError::new(
            "session_reverification_required",
            "You need to verify your identity",
            "Confirm it's you to make this change: enter your password or a code again.",
        ),
    )
}

/// Refuse a sensitive change unless `session` checked a factor recently
/// enough: its second factor for a user who has one, else its first.
pub fn require_recent(state: &AppState, session: &Session, user: &User) -> ApiResult<()> {
    let has_second = !mfa::second_factors(state, user).is_empty();
    if recent_enough(session.factor_ages(UnixMillis::now()), has_second) {
        Ok(())
    } else {
        Err(required())
    }
}

/// Start (or restart) a re-verification of `session` at `level`.
pub async fn start(
    state: &AppState,
    browser: &mut Browser,
    session: &Session,
    user: &User,
    level: Level,
) -> ApiResult<SessionVerification> {
    let fresh =
        SessionVerification::new(session.id.as_str(), level, mfa::second_factors(state, user));
    if flows::load::<SessionVerification>(state, browser, &fresh.id)
        .await
        .is_ok()
    {
        let (v, ()) = flows::change::<SessionVerification, _>(state, browser, &fresh.id, |v| {
            *v = fresh.clone();
        })
        .await?;
        return Ok(v);
    }
    let client = browser.ensure_client(state).await?;
    flows::insert(state, &client.id, &fresh, UnixMillis::now()).await?;
    Ok(fresh)
}

/// The caller's re-verification of `session`.
pub async fn get(
    state: &AppState,
    browser: &Browser,
    session: &Session,
) -> ApiResult<SessionVerification> {
    let id = SessionVerification::id_for(session.id.as_str());
    Ok(flows::load::<SessionVerification>(state, browser, &id)
        .await?
        .1)
}

/// Mail a code to the user's primary address, as a first factor.
pub async fn prepare_email_code(
    state: &AppState,
    browser: &Browser,
    session: &Session,
    user: &User,
) -> ApiResult<SessionVerification> {
    let to = user
        .primary_email()
        .map(|e| e.email_address.clone())
        .ok_or_else(|| {
            ApiError::bad_param("strategy", "strategy_for_user_invalid", "No email address.")
        })?;
    let id = SessionVerification::id_for(session.id.as_str());
    let now = UnixMillis::now();
    let (v, issued) = flows::change::<SessionVerification, _>(state, browser, &id, |v| {
        let (challenge, code) = codes::issue(
            state,
            &v.id,
            &to,
            CodeStrategy::EmailCode,
            v.previous_code(),
            now,
        )?;
        v.first_factor = Some(challenge);
        Ok::<_, ApiError>(code)
    })
    .await?;
    mail::send_code(state, &to, &issued?, Purpose::SignIn, true).await?;
    Ok(v)
}

/// Record what a right factor proved on the session (also used when a
/// factor is proven by adding it: confirming a new app proves the app).
pub async fn proven(state: &AppState, session: &Session, what: Proven) -> ApiResult<Session> {
    let now = UnixMillis::now();
    let (first, second) = match what {
        Proven::First | Proven::FirstThenSecond => (Some(now), None),
        Proven::Second => (None, Some(now)),
    };
    state
        .store
        .record_factor_check(&session.id, first, second, now)
        .await
        .map_err(|e| match e {
            frontdesk_store::StoreError::NotFound => ApiError::unauthorized("You are signed out."),
            other => other.into(),
        })
}

/// A first factor: `password` or `email_code`. `Ok(Err)` is the refusal.
pub async fn attempt_first(
    state: &AppState,
    browser: &Browser,
    session: &Session,
    user: &User,
    strategy: &str,
    secret: &str,
) -> ApiResult<Result<SessionVerification, ApiError>> {
    let id = SessionVerification::id_for(session.id.as_str());
    match strategy {
        "password" => match credentials::check_password(state, Some(&user.id), secret).await? {
            Ok(_) => {}
            Err(denied) => return Ok(Err(denied.error(state, Credential::CurrentPassword))),
        },
        "email_code" => {
            let now = UnixMillis::now();
            let (_, outcome) = flows::change::<SessionVerification, _>(state, browser, &id, |v| {
                let salt = v.id.clone();
                match v.first_factor.as_mut() {
                    Some(c) => {
                        let ok = codes::matches(&salt, c, secret);
                        c.attempt(ok, now)
                    }
                    None => CodeOutcome::NotPending,
                }
            })
            .await?;
            match outcome {
                CodeOutcome::Verified => {}
                CodeOutcome::Incorrect | CodeOutcome::Failed => {
                    let e = match credentials::count_failure(state, &user.id).await? {
                        Denied::Incorrect => code_error(outcome),
                        other => other.error(state, Credential::Code),
                    };
                    return Ok(Err(e));
                }
                other => return Ok(Err(code_error(other))),
            }
        }
        other => {
            return Err(frontdesk_domain::flows::UnknownStrategy(other.to_owned()).into());
        }
    }
    let (v, what) =
        flows::change::<SessionVerification, _>(state, browser, &id, |v| v.first_factor_passed())
            .await?;
    if let Some(what) = what {
        proven(state, session, what).await?;
    }
    Ok(Ok(v))
}

/// A second factor (`totp`, `backup_code`). `Ok(Err)` is the refusal.
pub async fn attempt_second(
    state: &AppState,
    browser: &Browser,
    session: &Session,
    user: &User,
    factor: SecondFactor,
    code: &str,
) -> ApiResult<Result<SessionVerification, ApiError>> {
    let id = SessionVerification::id_for(session.id.as_str());
    let current = get(state, browser, session).await?;
    if !current.second_factors.contains(&factor) {
        return Err(ApiError::bad_param(
            "strategy",
            "verification_not_pending",
            format!("`{}` is not asked for now.", factor.as_str()),
        ));
    }
    let checked = mfa::check(state, &user.id, factor, code, UnixMillis::now()).await?;
    let (v, what) = flows::change::<SessionVerification, _>(state, browser, &id, |v| {
        v.second_factor_tried(factor, checked.is_ok())
    })
    .await?;
    if let Err(e) = checked {
        return Ok(Err(e));
    }
    if let Some(what) = what {
        proven(state, session, what).await?;
    }
    Ok(Ok(v))
}

/// The hosted `/user/verify` form: the password (when the user has one) and
/// the app's code (when the user has one), both proven at once.
pub async fn confirm(
    state: &AppState,
    session: &Session,
    user: &User,
    password: &str,
    code: &str,
) -> ApiResult<()> {
    if user.password_digest.is_some() {
        if let Err(denied) = credentials::check_password(state, Some(&user.id), password).await? {
            return Err(denied.error(state, Credential::CurrentPassword));
        }
        proven(state, session, Proven::First).await?;
    }
    if !mfa::second_factors(state, user).is_empty() {
        let factor = if code.trim().len() == 6 {
            SecondFactor::Totp
        } else {
            SecondFactor::BackupCode
        };
        mfa::check(state, &user.id, factor, code, UnixMillis::now()).await??;
        proven(state, session, Proven::Second).await?;
    }
    Ok(())
}
