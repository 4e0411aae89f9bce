//! Checking credentials, and the answers to a refused one.
//!
//! Every decision here is taken on the account's state as the database holds
//! it *after* the slow part (the argon2 check): a failure is counted by one
//! atomic statement whose returned row says whether the account is now
//! locked, and a success becomes a session only through the store's
//! conditional sign-in ("unless banned or locked"). Parallel guesses
//! therefore each count, and a ban or lock made while a password is being
//! checked holds (findings F1, F2).

use axum::http::StatusCode;
use frontdesk_domain::entities::User;
use frontdesk_domain::{AuthState, UnixMillis};
use frontdesk_types::{ClerkError, UserId};

use crate::error::{ApiError, ApiResult};
use crate::services::passwords;
use crate::state::AppState;

/// Why a credential was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Wrong password or code (or no such account).
    Incorrect,
    /// The account is locked; seconds until the lock lapses, if it does.
    Locked {
        retry_after: Option<i64>,
    },
    Banned,
}

/// Which credential was refused, for the error's code and parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Password,
    CurrentPassword,
    Code,
}

impl Denied {
    /// The decision a failure count left: locked if the lock holds now.
    pub fn after_failure(state: &AppState, auth: Option<AuthState>, now: UnixMillis) -> Self {
        match auth {
            Some(a) if state.lockout.holds(a.locked_at, now) => Self::Locked {
                retry_after: a
                    .locked_at
                    .and_then(|at| state.lockout.remaining_secs(at, now)),
            },
            Some(a) if a.banned => Self::Banned,
            _ => Self::Incorrect,
        }
    }

    /// Clerk's error for this refusal. With `hide_user_existence`, a locked
    /// or banned account answers exactly like a wrong credential (finding
    /// F15's setting): nothing tells an attacker the account exists.
    pub fn error(self, state: &AppState, credential: Credential) -> ApiError {
        let hide = state.settings().settings.hide_user_existence;
        match self {
            Self::Locked { retry_after } if !hide => {
                let mut error = ClerkError::new(
                    "user_locked",
                    "Your account is locked.",
                    "Your account is locked. Please try again later.",
                );
                if let Some(secs) = retry_after {
                    error.meta.insert(
                        "lockout_expires_in_seconds".to_owned(),
                        serde_json::json!(secs),
                    );
                }
                ApiError::client(StatusCode::FORBIDDEN, error)
            }
            Self::Banned if !hide => {
                ApiError::bad_param("identifier", "user_banned", "This account is banned.")
            }
            _ => incorrect(credential),
        }
    }
}

/// The error for a wrong credential.
pub fn incorrect(credential: Credential) -> ApiError {
    match credential {
        Credential::Password => ApiError::bad_param(
            "password",
            "form_password_incorrect",
            "Password is incorrect. Try again, or use another method.",
        ),
        Credential::CurrentPassword => ApiError::bad_param(
            "current_password",
            "form_password_incorrect",
            "Password is incorrect.",
        ),
        Credential::Code => ApiError::bad_param("code", "form_code_incorrect", "Incorrect code"),
    }
}

/// Check `password` for the account `user_id` (if any), spending one argon2
/// verification either way. `Ok(user)` when it matches (the caller then signs
/// in through the store, which decides on bans and locks); a mismatch is
/// counted against the account and answered on the count's result.
pub async fn check_password(
    state: &AppState,
    user_id: Option<&UserId>,
    password: &str,
) -> ApiResult<Result<User, Denied>> {
    // Absurd lengths cost nothing (security.md A2): no hash, no count.
    if password.len() > frontdesk_domain::password::MAX_PASSWORD_CHARS * 4 {
        return Ok(Err(Denied::Incorrect));
    }
    let user = match user_id {
        Some(id) => state.store.get_user(id).await?,
        None => None,
    };
    let Some(user) = user else {
        passwords::verify_nobody(state, password).await?;
        return Ok(Err(Denied::Incorrect));
    };
    let digest = user.password_digest.clone();
    if passwords::verify(state, &user, digest, password).await? {
        return Ok(Ok(user));
    }
    Ok(Err(count_failure(state, &user.id).await?))
}

/// Count a failed password or code attempt against an account, all clients
/// and addresses together (security.md B1, B2), and say what it left.
pub async fn count_failure(state: &AppState, user_id: &UserId) -> ApiResult<Denied> {
    let now = UnixMillis::now();
    let auth = state
        .store
        .record_failed_attempt(user_id, &state.lockout, now)
        .await?;
    Ok(Denied::after_failure(state, auth, now))
}

/// Whether the account may go on at `now` (a reset code was right): not
/// banned, not locked, as the database says now.
pub async fn standing(state: &AppState, user_id: &UserId) -> ApiResult<Result<User, Denied>> {
    let now = UnixMillis::now();
    let Some(user) = state.store.get_user(user_id).await? else {
        return Ok(Err(Denied::Incorrect));
    };
    if let Some(at) = user
        .locked_at
        .filter(|_| state.lockout.holds(user.locked_at, now))
    {
        return Ok(Err(Denied::Locked {
            retry_after: state.lockout.remaining_secs(at, now),
        }));
    }
    if user.banned {
        return Ok(Err(Denied::Banned));
    }
    Ok(Ok(user))
}
