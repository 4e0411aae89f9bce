//! Password hashing off the async workers.
//!
//! argon2id at the configured cost takes tens of milliseconds of CPU; run on
//! an async worker it would stall every other request on that thread, so it
//! runs in the blocking pool.

use frontdesk_crypto::{PasswordCheck, PasswordHasher};
use frontdesk_domain::entities::User;
use frontdesk_domain::{NewPassword, UnixMillis};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Parse a new password chosen by a person: the configured minimum length,
/// not on the common list, not built from the application's name or from
/// `context` (their email address, their names). `param` names the field in
/// the error.
pub fn parse_new(
    state: &AppState,
    text: &str,
    param: &str,
    context: &[&str],
) -> ApiResult<NewPassword> {
    let mut words: Vec<&str> = vec!["frontdesk", &state.config.branding.application_name];
    for c in context {
        words.push(c);
        // The local part of an address alone is the likelier guess.
        if let Some((local, _)) = c.split_once('@') {
            words.push(local);
        }
    }
    NewPassword::parse_checked(text, state.config.min_password_length, &words)
        .map_err(|e| ApiError::bad_param(param, e.code(), e.to_string()))
}

/// The words of a user that their password must not be built from.
pub fn context_of(user: &User) -> Vec<&str> {
    let mut words: Vec<&str> = user
        .email_addresses
        .iter()
        .map(|e| e.email_address.as_str())
        .collect();
    words.extend(user.first_name.as_deref());
    words.extend(user.last_name.as_deref());
    words.extend(user.username.as_deref());
    words
}

/// Run `work` with the hasher in the blocking pool, once a hashing slot is
/// free (at most one hash per core at a time).
async fn with_hasher<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&PasswordHasher) -> T + Send + 'static,
) -> ApiResult<T> {
    let _slot = state
        .hash_slots
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    state.metrics.password_hashes.inc();
    let hasher = state.hasher.clone();
    tokio::task::spawn_blocking(move || work(&hasher))
        .await
        .map_err(ApiError::internal)
}

/// Hash a new password.
pub async fn hash(state: &AppState, password: &NewPassword) -> ApiResult<String> {
    let text = password.expose().to_owned();
    with_hasher(state, move |h| h.hash(&text))
        .await?
        .map_err(ApiError::internal)
}

/// Check a password against a user's digest, upgrading the digest on success
/// when it is an import (bcrypt) or weaker than the configured cost. Users
/// without a password spend the same time as a mismatch.
pub async fn verify(state: &AppState, user: &mut User, password: &str) -> ApiResult<bool> {
    let digest = user.password_digest.clone();
    let text = password.to_owned();
    let check = with_hasher(state, move |h| match digest {
        Some(d) => h.verify(&text, &d),
        None => h.verify_dummy(&text),
    })
    .await?;
    match check {
        PasswordCheck::Mismatch => Ok(false),
        PasswordCheck::Match { needs_rehash } => {
            if needs_rehash {
                // Best effort: a failed upgrade must not fail the sign-in.
                if let Ok(new) = NewPassword::parse(password, 0) {
                    let digest = hash(state, &new).await?;
                    user.password_digest = Some(digest);
                    user.updated_at = UnixMillis::now();
                    if let Err(e) = state.store.update_user(user, &[]).await {
                        tracing::warn!(error = %e, "could not upgrade a password digest");
                    }
                }
            }
            Ok(true)
        }
    }
}

/// Spend one verification's time for an account that does not exist, in the
/// blocking pool like a real one, so that timing does not tell them apart.
pub async fn verify_nobody(state: &AppState, password: &str) -> ApiResult<()> {
    let text = password.to_owned();
    with_hasher(state, move |h| h.verify_dummy(&text)).await?;
    Ok(())
}
